"""Published figures (../shared/REFERENCE.md), reproduced exactly.

Every expected number here is quoted from the source named beside it.
"""

from __future__ import annotations

import pytest

import symcnn

# Stack Overflow accepted answer "How to calculate the number of parameters of
# VGG-16" per REFERENCE.md: parameters per group of layers (weights + biases).
VGG16_GROUPS = [
    ("conv3-64", 2, 38_720),
    ("conv3-128", 2, 221_440),
    ("conv3-256", 3, 1_475_328),
    ("conv3-512", 3, 5_899_776),
    ("conv3-512", 3, 7_079_424),
]
VGG16_FC = [102_764_544, 16_781_312, 4_097_000]


@pytest.mark.parametrize("name", ["vgg-d", "vgg16"])
def test_vgg16_parameters_per_layer_group(name: str) -> None:
    net = symcnn.parse(name, n=224)
    convs = [layer for layer in net.layers if layer.kind == "conv"]
    fcs = [layer for layer in net.layers if layer.kind == "fc"]
    start = 0
    for text, count, expected in VGG16_GROUPS:
        group = convs[start : start + count]
        assert [layer.name for layer in group] == [text] * count
        assert sum(layer.params for layer in group) == expected
        start += count
    assert start == len(convs)
    assert [layer.params for layer in fcs] == VGG16_FC
    assert net.params == 138_357_544


def test_first_conv3_256_and_the_next() -> None:
    # REFERENCE.md: first 128·3·3·256 + 256 = 295,168; others 256·3·3·256 + 256 = 590,080.
    convs = [layer for layer in symcnn.parse("vgg-d", n=224).layers if layer.name == "conv3-256"]
    assert [layer.params for layer in convs] == [295_168, 590_080, 590_080]
    assert convs[0].biases == 256
    assert convs[0].weights == 294_912  # the "conv layers have no bias" answer's figure


def test_cs231n_vgg16_table() -> None:
    # CS231n notes as quoted in REFERENCE.md.
    net = symcnn.parse("vgg-d", n=224)
    assert net.input == (3, 224, 224)
    assert net.analysis.input_activations == 150_528
    first = net.layers[0]
    assert first.output == (64, 224, 224)
    assert first.activations == 3_211_264
    assert first.weights == 1_728
    fc1 = next(layer for layer in net.layers if layer.kind == "fc")
    assert fc1.geometry.input == (512, 7, 7)
    assert fc1.weights == 102_760_448
    assert net.activations == 15_237_608  # the sum of its rows, not "24M"


# VGG paper, Table 2, exact counts at 224×224 with biases (REFERENCE.md).
@pytest.mark.parametrize(
    ("name", "exact", "millions"),
    [
        ("vgg-a", 132_863_336, 133),
        ("vgg-a-lrn", 132_863_336, 133),
        ("vgg-b", 133_047_848, 133),
        ("vgg-c", 133_638_952, 134),
        ("vgg-d", 138_357_544, 138),
        ("vgg-e", 143_667_240, 144),
    ],
)
def test_vgg_paper_table_2(name: str, exact: int, millions: int) -> None:
    params = symcnn.parse(name, n=224).params
    assert params == exact
    assert round(params / 1e6) == millions


# torchvision (weights=None) parameter and buffer counts (REFERENCE.md).
@pytest.mark.parametrize(
    ("name", "params", "buffers"),
    [
        ("alexnet", 61_100_840, 0),
        ("vgg11", 132_863_336, 0),
        ("vgg13", 133_047_848, 0),
        ("vgg16", 138_357_544, 0),
        ("vgg19", 143_667_240, 0),
    ],
)
def test_torchvision_counts(name: str, params: int, buffers: int) -> None:
    net = symcnn.parse(name, n=224)
    assert (net.params, net.buffers) == (params, buffers)


def test_vgg16_macs() -> None:
    # REFERENCE.md: conv and fc weights only, no bias: 15,470,264,320 at 224.
    assert symcnn.parse("vgg-d", n=224).macs == 15_470_264_320


def test_lenet5() -> None:
    # Issue #2: LeNet-5 on 1×32×32 has 61,706 parameters.
    net = symcnn.parse("lenet5", n=32)
    assert net.input == (1, 32, 32)
    assert net.params == 61_706


def test_alexnet_2012_by_the_papers_layer_table() -> None:
    # A second route: the 2012 paper's layers written out as (k·k·C_in/groups + 1)·C_out.
    convs = [(11, 3, 96, 1), (5, 96, 256, 2), (3, 256, 384, 1), (3, 384, 384, 2), (3, 384, 256, 2)]
    expected = sum((k * k * cin // g + 1) * cout for k, cin, cout, g in convs)
    expected += (6 * 6 * 256 + 1) * 4096 + (4096 + 1) * 4096 + (4096 + 1) * 1000
    assert symcnn.parse("alexnet-2012", n=227).params == expected == 60_965_224
