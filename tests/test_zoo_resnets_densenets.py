"""Zoo entries for torchvision's ResNets, ResNeXt, Wide ResNet, VGG-bn, SqueezeNets and DenseNets.

Each entry is checked against figures from outside symcnn: torchvision's parameter
and buffer counts, the input sizes torchvision documents as the smallest each model
takes, and facts read off torchvision's model definitions (bias flags, the adaptive
pool before the classifier, the top-level modules).
"""

from __future__ import annotations

from functools import cache

import pytest

import symcnn
from symcnn.errors import SizeError

# ../shared/REFERENCE.md, table "torchvision (weights=None), parameters and buffers":
# (parameters, buffers) of each model built by torchvision, at 224×224.
TORCHVISION = {
    "resnet18": (11_689_512, 9_620),
    "resnet34": (21_797_672, 17_060),
    "resnet50": (25_557_032, 53_173),
    "resnet101": (44_549_160, 105_448),
    "resnet152": (60_192_808, 151_579),
    "resnext50_32x4d": (25_028_904, 68_277),
    "wide_resnet50_2": (68_883_240, 68_277),
    "vgg11_bn": (132_868_840, 5_512),
    "vgg16_bn": (138_365_992, 8_461),
    "squeezenet1_0": (1_248_424, 0),
    "squeezenet1_1": (1_235_496, 0),
    "densenet121": (7_978_856, 83_769),
    "densenet169": (14_149_480, 158_569),
    "densenet201": (20_013_928, 229_257),
}
NAMES = tuple(TORCHVISION)

# torchvision's weights metadata, "min_size" (torchvision/models/resnet.py, vgg.py,
# squeezenet.py, densenet.py): the smallest input each model accepts. An independent
# check of symcnn's domain (the least n at which every size is at least 1).
MIN_SIZE = {
    **dict.fromkeys(["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"], 1),
    **dict.fromkeys(["resnext50_32x4d", "wide_resnet50_2"], 1),
    **dict.fromkeys(["vgg11_bn", "vgg16_bn"], 32),
    "squeezenet1_0": 21,
    "squeezenet1_1": 17,
    **dict.fromkeys(["densenet121", "densenet169", "densenet201"], 29),
}

# Bias flags in torchvision's definitions: ResNet (conv1x1, conv3x3, the stem) and
# DenseNet convs are bias=False (a batch norm follows); VGG's make_layers and
# SqueezeNet's Fire keep nn.Conv2d's default bias=True.
CONV_BIAS = {name: name.startswith(("vgg", "squeezenet")) for name in NAMES}

ODD_SIZES = (97, 227, 255)


@cache
def symbolic(name: str) -> symcnn.Network:
    return symcnn.parse(name)


@cache
def at(name: str, n: int) -> symcnn.Network:
    return symbolic(name).at(n=n)


def test_the_entries_are_in_the_zoo() -> None:
    assert set(NAMES) <= set(symcnn.zoo.names())


@pytest.mark.parametrize("name", NAMES)
def test_params_and_buffers_at_224_match_torchvision(name: str) -> None:
    net = at(name, 224)
    assert (net.params, net.buffers) == TORCHVISION[name]


@pytest.mark.parametrize("name", NAMES)
def test_params_do_not_depend_on_the_input_size(name: str) -> None:
    # An independent fact about these architectures: torchvision reaches every
    # classifier through an adaptive pool (AdaptiveAvgPool2d((1, 1)) in ResNet and
    # SqueezeNet, ((7, 7)) in VGG, F.adaptive_avg_pool2d in DenseNet), so no fc sees
    # a size that depends on n and the parameter count is the same for every n.
    net = symbolic(name)
    kinds = [(layer.kind, layer.geometry.op) for layer in net.layers]
    last_adaptive = max(i for i, (kind, op) in enumerate(kinds) if op.startswith("adaptive"))
    assert all(kind != "fc" for kind, _ in kinds[:last_adaptive])
    params, buffers = TORCHVISION[name]
    assert net.params == params  # symbolically: no n left
    assert net.buffers == buffers
    assert at(name, 97).params == at(name, 255).params == params


@pytest.mark.parametrize("name", NAMES)
def test_symbolic_analysis_and_domain(name: str) -> None:
    net = symbolic(name)
    least = MIN_SIZE[name]
    assert net.analysis.smallest_valid == {"n": least}
    form = net.closed_form("params")
    assert form.polynomial == TORCHVISION[name][0]
    assert form.domain == f"n ≥ {least}"
    smallest = at(name, least)
    assert smallest.params == TORCHVISION[name][0]
    assert all(isinstance(value, int) for value in (smallest.activations, smallest.macs))
    if least > 1:
        with pytest.raises(SizeError):
            net.at(n=least - 1)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n", ODD_SIZES)
def test_odd_input_sizes_evaluate(name: str, n: int) -> None:
    net = at(name, n)
    assert (net.params, net.buffers) == TORCHVISION[name]
    assert isinstance(net.macs, int) and net.macs > 0
    assert all(isinstance(size, int) and size >= 1 for layer in net.layers for size in layer.output)
    assert net.layers[-1].output == (1000,)


@pytest.mark.parametrize("name", NAMES)
def test_conv_bias_flags_follow_torchvision(name: str) -> None:
    convs = [layer for layer in symbolic(name).layers if layer.kind == "conv"]
    assert convs
    assert {layer.biases != 0 for layer in convs} == {CONV_BIAS[name]}


@pytest.mark.parametrize("name", NAMES)
def test_every_leaf_row_has_a_path(name: str) -> None:
    for layer in symbolic(name).layers:
        assert layer.path
        assert all(layer.path.split("/"))


def test_resnet50_depth_1_rows_are_torchvision_top_level_modules() -> None:
    # torchvision's ResNet children, in forward order: conv1, bn1, relu, maxpool,
    # layer1 … layer4, avgpool, fc. symcnn names a top-level leaf by its kind used
    # once ("conv", "bn", "gap"); the notation has no way to call the stem conv
    # "conv1" (a block named conv1 reads as a 1×1 convolution), so those three
    # rows keep symcnn's names.
    rows = at("resnet50", 224).rows(depth=1)
    assert [row.path for row in rows] == [
        "conv",
        "bn",
        "relu",
        "maxpool",
        "layer1",
        "layer2",
        "layer3",
        "layer4",
        "gap",
        "fc",
    ]
    assert sum(row.params for row in rows) == TORCHVISION["resnet50"][0]
    assert [row.output for row in rows[4:8]] == [(256, 56, 56), (512, 28, 28), (1024, 14, 14), (2048, 7, 7)]


@pytest.mark.parametrize("name", ["resnet18", "resnet34", "resnet101", "resnet152", "resnext50_32x4d"])
def test_resnet_stages_fold_to_one_row_each(name: str) -> None:
    paths = [row.path for row in at(name, 224).rows(depth=1)]
    assert paths[4:8] == ["layer1", "layer2", "layer3", "layer4"]


@pytest.mark.parametrize("name", ["densenet121", "densenet169", "densenet201"])
def test_densenet_blocks_and_transitions_fold_like_torchvision_features(name: str) -> None:
    # torchvision's DenseNet.features: conv0 norm0 relu0 pool0, then denseblock1,
    # transition1, …, denseblock4, norm5; relu and the adaptive pool run in forward.
    paths = [row.path for row in at(name, 224).rows(depth=1)]
    assert paths[4:11] == [
        "denseblock1",
        "transition1",
        "denseblock2",
        "transition2",
        "denseblock3",
        "transition3",
        "denseblock4",
    ]
