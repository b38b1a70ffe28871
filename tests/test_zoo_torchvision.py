"""Every zoo entry with a torchvision counterpart, against torchvision itself.

The oracle is ``torchvision.models.get_model(name, weights=None)`` and the metadata
of its default weights (``get_model_weights(name).DEFAULT.meta``, which needs no
download): for each entry,

- parameters and buffers equal the torchvision model's, exactly;
- the output, and the output shape of every convolution and linear layer, agree
  with a forward pass at 224, at the smallest valid n, at ``meta["min_size"]`` and at 97;
- the smallest valid n is the smallest at which torch's model runs (it runs there and
  fails at n − 1), and that is the weights' ``meta["min_size"]``, except where the
  figure is a minimum stated for the weights rather than the architecture's limit
  (EfficientNetV2: ``MIN_SIZE_NOT_THE_LIMIT``);
- the MACs at the weights' crop size, in billions to 3 decimals, are ``meta["_ops"]``
  (symcnn's default convention: conv and linear multiply-accumulates, no bias);
- the parameters are ``meta["num_params"]`` where it describes the zoo's form.

torchvision is required: this module fails, never skips, without it. The models are
built once each, on torch's ``meta`` device (shapes without memory or
initialisation), so the biggest (regnet_y_128gf, 645 M parameters) costs well under
a second.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from functools import cache
from typing import Any
from unittest import mock

import pytest
import torch
import torchvision
from torch import nn
from torchvision.models import get_model, get_model_weights, list_models, regnet

import symcnn
from symcnn.errors import SizeError
from symcnn.network import Network

# Zoo name → torchvision name. Every torchvision-built entry keeps torchvision's name.
ZOO_TO_TORCHVISION = {
    name: name
    for name in (
        "alexnet",
        "convnext_tiny",
        "convnext_small",
        "convnext_base",
        "convnext_large",
        "densenet121",
        "densenet161",
        "densenet169",
        "densenet201",
        "efficientnet_b0",
        "efficientnet_b1",
        "efficientnet_b2",
        "efficientnet_b3",
        "efficientnet_b4",
        "efficientnet_b5",
        "efficientnet_b6",
        "efficientnet_b7",
        "efficientnet_v2_s",
        "efficientnet_v2_m",
        "efficientnet_v2_l",
        "googlenet",
        "inception_v3",
        "mnasnet0_5",
        "mnasnet0_75",
        "mnasnet1_0",
        "mnasnet1_3",
        "mobilenet_v2",
        "mobilenet_v3_large",
        "mobilenet_v3_small",
        "regnet_x_400mf",
        "regnet_x_800mf",
        "regnet_x_1_6gf",
        "regnet_x_3_2gf",
        "regnet_x_8gf",
        "regnet_x_16gf",
        "regnet_x_32gf",
        "regnet_y_400mf",
        "regnet_y_800mf",
        "regnet_y_1_6gf",
        "regnet_y_3_2gf",
        "regnet_y_8gf",
        "regnet_y_16gf",
        "regnet_y_32gf",
        "regnet_y_128gf",
        "resnet18",
        "resnet34",
        "resnet50",
        "resnet101",
        "resnet152",
        "resnext50_32x4d",
        "resnext101_32x8d",
        "resnext101_64x4d",
        "shufflenet_v2_x0_5",
        "shufflenet_v2_x1_0",
        "shufflenet_v2_x1_5",
        "shufflenet_v2_x2_0",
        "wide_resnet50_2",
        "wide_resnet101_2",
        "squeezenet1_0",
        "squeezenet1_1",
        "vgg11",
        "vgg11_bn",
        "vgg13",
        "vgg13_bn",
        "vgg16",
        "vgg16_bn",
        "vgg19",
        "vgg19_bn",
    )
}

# Zoo entries that are not torchvision models: papers' own configurations.
NOT_IN_TORCHVISION = {"alexnet-2012", "lenet5", "vgg-a", "vgg-a-lrn", "vgg-b", "vgg-c", "vgg-d", "vgg-e"}
NOT_IN_TORCHVISION |= {"unet", "unet-padded"}  # against a U-Net written in torch: tests/test_zoo_unet.py
# torchvision.models.segmentation's, built with weights_backbone=None: tests/test_zoo_segmentation.py
SEGMENTATION = {
    "fcn_resnet50", "fcn_resnet101", "deeplabv3_resnet50", "deeplabv3_resnet101", "deeplabv3_mobilenet_v3_large",
    "lraspp_mobilenet_v3_large",
}  # fmt: skip

# torchvision's classification models that are not CNNs in symcnn's sense (attention blocks).
TRANSFORMERS = {"maxvit_t", "swin_b", "swin_s", "swin_t", "swin_v2_b", "swin_v2_s", "swin_v2_t"} | {
    "vit_b_16",
    "vit_b_32",
    "vit_h_14",
    "vit_l_16",
    "vit_l_32",
}

# torchvision's CNNs without a zoo entry yet, with what the notation lacks to write them as torchvision
# computes them. None is left: the last, ShuffleNetV2, came with split(…) and shuffle. (The scaled
# EfficientNets, MobileNetV3 and MNASNets are written from their width and depth multipliers with
# make_divisible and ceil in {…}.)
MISSING: dict[str, str] = {}

# torchvision states min_size (33, 33) for every EfficientNetV2 weight (_COMMON_META_V2 in
# torchvision/models/efficientnet.py), but the architecture runs from n = 1: the stem and every
# strided conv are 3×3, stride 2, padding 1 (⌈n/2⌉ ≥ 1), every other conv keeps the size, and the
# head is a global pool. 33 is a minimum stated for the weights, not the architecture's limit
# (EfficientNet-B0, with the same strided convs, states (1, 1)), so for these the smallest valid
# n is the smallest at which torch runs, checked against torch itself, and is below meta's figure.
MIN_SIZE_NOT_THE_LIMIT = {"efficientnet_v2_s": 1, "efficientnet_v2_m": 1, "efficientnet_v2_l": 1}

# What torch raises when a layer's input is too small for it (a conv's kernel, a pool's output).
TOO_SMALL = r"Kernel size can't be greater than actual input size|Output size is too small"

# The zoo writes GoogLeNet and Inception-v3 as get_model builds them: with their auxiliary heads.
BUILD_KWARGS: dict[str, dict[str, Any]] = {
    "googlenet": {"init_weights": False},
    "inception_v3": {"init_weights": False},
}

# meta["num_params"] counts the model its weights load into. GoogLeNet's builder drops the
# aux heads after loading unless asked to keep them, so its figure is the form without them
# (symcnn's aux=False, torchvision's aux_logits=False); Inception-v3's keeps them.
WEIGHTS_WITHOUT_AUX = {"googlenet"}

PAIRS = sorted(ZOO_TO_TORCHVISION.items())
IDS = [zoo_name for zoo_name, _ in PAIRS]
SIZE = 224
OTHER_SIZE = 97


def build(name: str, **kwargs: Any) -> nn.Module:
    """``get_model(name, weights=None, **kwargs)`` on the meta device, in eval mode.

    RegNet's builder computes its stage widths with torch tensors (``.tolist()``), which
    cannot read the meta device, so that one computation runs on the CPU; everything the
    model holds is built on meta.
    """
    original = regnet.BlockParams.from_init_params.__func__  # type: ignore[attr-defined]

    def widths_on_cpu(cls: type, *args: Any, **kw: Any) -> Any:
        with torch.device("cpu"):
            return original(cls, *args, **kw)

    with mock.patch.object(regnet.BlockParams, "from_init_params", classmethod(widths_on_cpu)), torch.device("meta"):
        model = get_model(name, weights=None, **kwargs)
    return model.eval()


@cache
def torch_model(name: str) -> nn.Module:
    return build(name, **BUILD_KWARGS.get(name, {}))


@cache
def weights_meta(name: str) -> tuple[dict[str, Any], int]:
    """The default weights' metadata and crop size."""
    weights = get_model_weights(name).DEFAULT
    (crop,) = weights.transforms().crop_size
    return weights.meta, crop


@cache
def symbolic(name: str) -> Network:
    return symcnn.parse(name)


@cache
def at(name: str, n: int) -> Network:
    return symbolic(name).at(n=n)


def min_size(name: str) -> int:
    """The weights' ``meta["min_size"]``, square."""
    height, width = weights_meta(name)[0]["min_size"]
    assert height == width
    return int(height)


def least(name: str) -> int:
    """The smallest n at which torchvision's model runs: ``meta["min_size"]`` unless stated otherwise."""
    return MIN_SIZE_NOT_THE_LIMIT.get(name, min_size(name))


def count(tensors: Any) -> int:
    return sum(t.numel() for t in tensors)


@cache
def torch_shapes(name: str, n: int) -> tuple[tuple[int, ...], Counter[tuple[int, ...]]]:
    """The output shape and the multiset of conv and linear output shapes at n×n, without the batch.

    A Linear on a channels-last map (ConvNeXt's blocks) gives (H, W, C): read as (C, H, W), the
    1×1 convolution the zoo writes for it. A multiset, because torch runs a block's shortcut and
    main path in either order.
    """
    shapes: list[tuple[int, ...]] = []

    def hook(module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
        shape = tuple(output.shape[1:])
        if isinstance(module, nn.Linear) and len(shape) == 3:
            shape = (shape[2], shape[0], shape[1])
        shapes.append(shape)

    model = torch_model(name)
    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    try:
        with torch.no_grad():
            output = model(torch.empty(1, 3, n, n, device="meta"))
    finally:
        for handle in handles:
            handle.remove()
    return tuple(output.shape[1:]), Counter(shapes)


def symcnn_shapes(name: str, n: int) -> tuple[tuple[int, ...], Counter[tuple[int, ...]]]:
    net = at(name, n)
    # An auxiliary head's rows are there (its parameters count), but eval mode never runs it.
    convs = Counter(tuple(layer.output) for layer in net.layers if layer.kind in ("conv", "fc") and not layer.idle)
    return tuple(net.layers[-1].output), convs


# ------------------------------------------------------------------ the lists


def test_torchvision_is_the_tested_version() -> None:
    # The metadata below (min_size, _ops, num_params) is torchvision's at this version.
    assert torchvision.__version__.split("+")[0] == "0.29.1"


def test_every_zoo_entry_is_mapped_or_named_as_not_torchvision() -> None:
    zoo = set(symcnn.zoo.names())
    assert set(ZOO_TO_TORCHVISION) | NOT_IN_TORCHVISION | SEGMENTATION == zoo
    assert not set(ZOO_TO_TORCHVISION) & (NOT_IN_TORCHVISION | SEGMENTATION)


def test_every_torchvision_classification_model_is_accounted_for() -> None:
    # When an entry for a MISSING model is added, move it from MISSING to ZOO_TO_TORCHVISION.
    models = set(list_models(module=torchvision.models))
    assert set(ZOO_TO_TORCHVISION.values()) <= models
    assert not set(MISSING) & set(ZOO_TO_TORCHVISION.values())
    assert set(ZOO_TO_TORCHVISION.values()) | set(MISSING) | TRANSFORMERS == models
    assert not set(symcnn.zoo.names()) & (TRANSFORMERS | set(MISSING))


# ------------------------------------------------------------------ each entry


@pytest.mark.parametrize(("zoo_name", "tv_name"), PAIRS, ids=IDS)
def test_params_and_buffers_match_torchvision(zoo_name: str, tv_name: str) -> None:
    model = torch_model(tv_name)
    net = at(zoo_name, SIZE)
    assert (net.params, net.buffers) == (count(model.parameters()), count(model.buffers()))


@pytest.mark.parametrize(("zoo_name", "tv_name"), PAIRS, ids=IDS)
def test_smallest_valid_n_is_where_torch_starts_to_run(zoo_name: str, tv_name: str) -> None:
    smallest = least(tv_name)
    assert symbolic(zoo_name).analysis.smallest_valid == {"n": smallest}
    if smallest > 1:
        with pytest.raises(SizeError):
            symbolic(zoo_name).at(n=smallest - 1)
    # torch runs at that n (the shape test's forward pass) and not at n − 1 (at n = 1, an empty input).
    assert torch_shapes(tv_name, smallest)[0] == (1000,)
    with torch.no_grad(), pytest.raises(RuntimeError, match=TOO_SMALL):
        torch_model(tv_name)(torch.empty(1, 3, smallest - 1, smallest - 1, device="meta"))
    # That n is the weights' min_size, or below it where the figure is not the architecture's limit.
    if tv_name in MIN_SIZE_NOT_THE_LIMIT:
        assert smallest < min_size(tv_name)
    else:
        assert smallest == min_size(tv_name)


@pytest.mark.parametrize(("zoo_name", "tv_name"), PAIRS, ids=IDS)
def test_output_shapes_match_a_forward_pass(zoo_name: str, tv_name: str) -> None:
    sizes = dict.fromkeys((SIZE, least(tv_name), min_size(tv_name), OTHER_SIZE))
    for n in sizes:
        output, convs = torch_shapes(tv_name, n)
        assert output == (1000,)
        assert symcnn_shapes(zoo_name, n) == (output, convs), f"n = {n}"


@pytest.mark.parametrize(("zoo_name", "tv_name"), PAIRS, ids=IDS)
def test_macs_at_the_crop_size_are_torchvision_ops(zoo_name: str, tv_name: str) -> None:
    meta, crop = weights_meta(tv_name)
    macs = at(zoo_name, crop).macs
    assert isinstance(macs, int)
    # Exact decimal rounding (half to even) of the MACs in billions, against the figure as written.
    assert round(Fraction(macs, 10**9), 3) == Fraction(str(meta["_ops"])), f"{macs:,} MACs at {crop}"


@pytest.mark.parametrize(("zoo_name", "tv_name"), PAIRS, ids=IDS)
def test_params_are_torchvision_num_params(zoo_name: str, tv_name: str) -> None:
    meta, crop = weights_meta(tv_name)
    if tv_name in WEIGHTS_WITHOUT_AUX:
        without = symcnn.parse(zoo_name, aux=False, n=crop).params
        assert without == meta["num_params"] == count(build(tv_name, aux_logits=False, init_weights=False).parameters())
        assert meta["num_params"] < at(zoo_name, crop).params == count(torch_model(tv_name).parameters())
    else:
        assert at(zoo_name, crop).params == meta["num_params"]


# ------------------------------------------------------------------ the oracle itself


def test_meta_build_has_the_cpu_build_shapes() -> None:
    # The meta-device build (with RegNet's widths computed on the CPU) is the model
    # get_model builds normally: the same tensors, name by name.
    for name in ("regnet_x_400mf", "regnet_y_400mf", "convnext_tiny"):
        on_cpu = get_model(name, weights=None).state_dict()
        on_meta = torch_model(name).state_dict()
        assert {k: tuple(v.shape) for k, v in on_cpu.items()} == {k: tuple(v.shape) for k, v in on_meta.items()}


def test_shape_check_sees_a_wrong_width() -> None:
    # The conv-shape multiset is not blind: RegNetX-400MF with stage 3 one group-width too wide.
    text = symcnn.zoo.text("regnet_x_400mf").replace("x_block_proj(160, 16)", "x_block_proj(176, 16)")
    wrong = symcnn.parse(text.replace("x_block(160, 16)", "x_block(176, 16)")).at(n=SIZE)
    convs = Counter(tuple(layer.output) for layer in wrong.layers if layer.kind in ("conv", "fc"))
    assert convs != torch_shapes("regnet_x_400mf", SIZE)[1]
