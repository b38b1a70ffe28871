"""The notation contract (../shared/NOTATION.md): every form it lists parses and
means what it says. Expected values are PyTorch's rules written out by hand."""

from __future__ import annotations

import pytest

import symcnn
from symcnn import ir
from symcnn.build import build

VGG16 = """conv3-64x2 maxpool conv3-128x2 maxpool conv3-256x3 maxpool
conv3-512x3 maxpool conv3-512x3 maxpool fc4096 fc4096 fc1000 softmax"""

VGG16_PAPER_SPELLING = """conv3-64 conv3-64 maxpool conv3-128 conv3-128 maxpool
conv3-256 conv3-256 conv3-256 maxpool conv3-512 conv3-512 conv3-512 maxpool
conv3-512 conv3-512 conv3-512 maxpool FC-4096 FC-4096 FC-1000 soft-max"""


@pytest.mark.parametrize("text", [VGG16, VGG16_PAPER_SPELLING])
def test_examples_that_must_work(text: str) -> None:
    # NOTATION.md: "VGG-16 (the paper's configuration D), 138,357,544 parameters at n = 224".
    assert symcnn.parse(text, n=224).params == 138_357_544


def test_both_spellings_mean_the_same_layers() -> None:
    first, second = symcnn.parse(VGG16, n=224), symcnn.parse(VGG16_PAPER_SPELLING, n=224)
    assert [(a.kind, a.output, a.params) for a in first.layers] == [(b.kind, b.output, b.params) for b in second.layers]


@pytest.mark.parametrize(
    "text",
    [
        "conv3-64, conv3-64, maxpool",
        "conv3-64 -> conv3-64 -> maxpool",
        "conv3-64\nconv3-64  # a comment\nmaxpool",
        "CONV3-64 Conv3-64 MaxPool",
        "conv3-64x2 maxpool",
        "(conv3-64)x2 maxpool",
    ],
)
def test_separators_case_and_repetition(text: str) -> None:
    net = symcnn.parse(text, n=8)
    assert [layer.output for layer in net.layers] == [(64, 8, 8), (64, 8, 8), (64, 4, 4)]


def test_group_repeated() -> None:
    net = symcnn.parse("(conv3-64 bn relu)x2", n=8)
    assert [layer.kind for layer in net.layers] == ["conv", "bn", "act"] * 2


def _output(text: str, n: int) -> tuple[object, ...]:
    return symcnn.parse(text, n=n).layers[-1].output


def _size(x: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    """PyTorch's Conv2d/MaxPool2d output size (the formula quoted in REFERENCE.md)."""
    return (x + 2 * p - d * (k - 1) - 1) // s + 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("conv3-64", (64, _size(31, 3, p=1), _size(31, 3, p=1))),
        ("conv1x7-128", (128, _size(31, 1), _size(31, 7, p=3))),
        ("conv11-96(stride=4, padding=0)", (96, _size(31, 11, s=4), _size(31, 11, s=4))),
        ("conv3-64(padding=(0, 2), dilation=2)", (64, _size(31, 3, d=2), _size(31, 3, p=2, d=2))),
        ("dwconv3", (3, 31, 31)),
        ("maxpool", (3, 15, 15)),
        ("pool", (3, 15, 15)),
        ("maxpool3", (3, 10, 10)),
        ("maxpool3(stride=2, padding=1)", (3, _size(31, 3, s=2, p=1), _size(31, 3, s=2, p=1))),
        ("avgpool3(stride=2)", (3, _size(31, 3, s=2), _size(31, 3, s=2))),
        ("gap", (3, 1, 1)),
        ("adaptiveavgpool7", (3, 7, 7)),
        ("adaptiveavgpool6x6", (3, 6, 6)),
        ("adaptiveavgpool2x5", (3, 2, 5)),
        ("fc4096", (4096,)),
        ("FC-4096", (4096,)),
        ("flatten", (3 * 31 * 31,)),
        ("relu6", (3, 31, 31)),
        ("lrn", (3, 31, 31)),
    ],
)
def test_layer_shapes(text: str, expected: tuple[int, ...]) -> None:
    assert _output(text, 31) == expected


def test_maxpool_window_then_repetition() -> None:
    # `maxpool3x2` is maxpool3 twice; only adaptive pools read NxM as a size.
    net = symcnn.parse("maxpool3x2", n=27)
    assert [layer.output for layer in net.layers] == [(3, 9, 9), (3, 3, 3)]


def test_ceil_mode_and_pytorchs_last_window_rule() -> None:
    # ceil((x + 2p - k)/s) + 1, minus one when the last window starts in the right padding.
    for x in range(1, 40):
        for k, s, p in [(3, 2, 0), (3, 2, 1), (2, 2, 0), (2, 3, 1), (3, 3, 1), (1, 2, 0), (4, 3, 2)]:
            expected = -(-(x + 2 * p - k) // s) + 1
            if (expected - 1) * s >= x + p:
                expected -= 1
            if expected < 1 or x + 2 * p < k:
                continue
            text = f"maxpool{k}(stride={s}, padding={p}, ceil_mode=true)"
            assert _output(text, x)[1] == expected, (x, k, s, p)


def test_conv_counts() -> None:
    # (f_h·f_w·C_in + 1)·C_out (REFERENCE.md's rule), with groups and without bias.
    assert symcnn.parse("conv3-64", n=8).params == (3 * 3 * 3 + 1) * 64
    assert symcnn.parse("conv3-64(bias=false)", n=8).params == 3 * 3 * 3 * 64
    assert symcnn.parse("input 4xnxn conv3-8(groups=2)", n=8).params == 3 * 3 * 2 * 8 + 8
    assert symcnn.parse("input 8xnxn dwconv3", n=8).params == 3 * 3 * 1 * 8 + 8
    assert symcnn.parse("fc1000(bias=false)", n=1).params == 3 * 1000


def test_batch_norm_counts() -> None:
    # NOTATION.md: 2·C parameters, 2·C running statistics + 1 counter as buffers.
    net = symcnn.parse("conv3-64 bn fc10 bn", n=4)
    bn2d, bn1d = (layer for layer in net.layers if layer.kind == "bn")
    assert (bn2d.params, bn2d.buffers) == (2 * 64, 2 * 64 + 1)
    assert (bn1d.params, bn1d.buffers, bn1d.output) == (2 * 10, 2 * 10 + 1, (10,))


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        ("input 3x224x224", (3, 224, 224)),
        ("input 1x28x28", (1, 28, 28)),
        ("input 3xnxn", (3, 5, 5)),
        ("input 3xhxw", (3, 5, 7)),
        ("input 3 x h x w", (3, 5, 7)),
    ],
)
def test_input_forms(text: str, shape: tuple[int, ...]) -> None:
    net = symcnn.parse(text)
    values = {name: value for name, value in (("n", 5), ("h", 5), ("w", 7)) if name in net.symbols}
    assert net.at(**values).input == shape


def test_default_input() -> None:
    assert build("relu").input == ir.Input(ir.Num(3), ir.Sym("n"), ir.Sym("n"))


def test_braces_arithmetic() -> None:
    net = symcnn.parse("conv3-{2*c} conv3-{(c + 4)//2 - 1}(stride={s}) fc{k}", n=16, c=8, s=2, k=10)
    assert [layer.output for layer in net.layers] == [(16, 16, 16), (5, 8, 8), (10,)]


def test_nothing_in_a_text_is_evaluated_as_python() -> None:
    with pytest.raises(symcnn.SymcnnError):
        symcnn.parse("fc{__import__('os').getcwd()}")
