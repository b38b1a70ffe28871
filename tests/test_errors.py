"""Bad input: one clear SymcnnError with a caret or the layer's name; exit 2, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

import symcnn


def _error(text: str, **values: int) -> symcnn.SymcnnError:
    with pytest.raises(symcnn.SymcnnError) as caught:
        symcnn.parse(text, **values)
    return caught.value


def test_syntax_error_has_line_column_and_caret() -> None:
    error = _error("conv3-64\nconv3-128(stride=2\nfc10")
    assert isinstance(error, symcnn.NotationSyntaxError)
    assert (error.line, error.column) == (2, 19)
    assert error.context == "conv3-128(stride=2\n                  ^"
    assert "expected" in str(error)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("conv3-64 convv3-64", "unknown layer or block 'convv3'"),
        ("conv3-", "ends too early"),
        ("conv3-64 $", "unexpected character '$'"),
        ("relu input 3x8x8", "may only be the first statement"),
        ("let b = relu\nb(3)", "block 'b' takes no arguments, but is given 1"),
        ("let b(c) = conv3-{c}\nb", "block 'b' takes (c), but is given 0"),
        ("let b(c) = conv3-{c} b(c)", "block 'b' uses itself"),
        ("let a = b\nlet b = relu\na", "unknown layer or block 'b'"),
        ("let basic = relu\nbasik", "unknown layer or block 'basik'; did you mean 'basic'?"),
        ("let b = relu\nlet b = tanh", "block 'b' is defined twice"),
        ("let relu = tanh", "'relu' reads as a layer"),
        ("let conv1 = conv3-8", "'conv1' reads as a layer"),
        ("let maxpool2 = gap\nmaxpool2", "'maxpool2' reads as a layer"),
        ("let fc10 = gap\nfc10", "'fc10' reads as a layer"),
        ("let b(c, c) = relu", "names a parameter twice"),
    ],
)
def test_syntax_errors(text: str, fragment: str) -> None:
    error = _error(text)
    assert fragment in str(error)
    assert "^" in str(error)


@pytest.mark.parametrize(
    ("text", "values", "fragment"),
    [
        ("conv3-64(groups=3)", {}, "groups = 3 does not divide the 64 filters"),
        ("input 6xnxn conv3-64(groups=4)", {}, "groups = 4 does not divide the 6 channels in"),
        ("fc10 conv3-64", {}, "a convolution needs a C×H×W input"),
        ("fc10 maxpool", {}, "pooling needs a C×H×W input"),
        ("conv0-64", {}, "the kernel size is 0"),
        ("conv3-0", {}, "the number of filters is 0"),
        ("conv3-64(stride=0)", {}, "the stride is 0"),
        ("maxpool3(padding=2)", {}, "more than half the window"),
        ("conv3-64(strid=2)", {}, "unknown option 'strid'; did you mean 'stride'?"),
        ("conv3-64(stride=2, stride=2)", {}, "given twice"),
        ("conv3-64(stride=2.5)", {}, "takes a whole number"),
        ("fc{k//0}", {"k": 3}, "division by zero"),
        ("maxpool maxpool", {"n": 3}, "would be 0 at n = 3"),
        ("res(conv3-64 bn)", {}, "branch 'res(conv3-64 bn)' at res (line 1, column 1): res needs arms of one shape"),
        ("res(conv3-8(stride=2) | conv3-8)", {}, "arm 1 gives 8×⌊(n + 1)/2⌋×⌊(n + 1)/2⌋, arm 2 gives 8×n×n"),
        ("cat(conv3-8(stride=2) | conv3-8)", {}, "cat needs arms of one height and width"),
        ("cat(fc10 | conv3-8)", {}, "cat needs arms of one height and width"),
        ("mul(conv3-8 | conv3-4)", {}, "mul needs arms with the same channels"),
        ("mul(conv3-8(stride=2) | conv3-8)", {}, "mul needs sizes that agree or are 1"),
        ("let b(c) = conv3-{c}(groups=3)\nb(8)", {}, "at b/conv (line 1, column 12): groups = 3 does not divide"),
    ],
)
def test_layer_errors_name_the_layer(text: str, values: dict[str, int], fragment: str) -> None:
    error = _error(text, **values)
    assert fragment in str(error)
    assert isinstance(error, (symcnn.LayerError, symcnn.NotationSyntaxError))


def test_size_error_says_from_which_n_the_network_is_valid() -> None:
    error = _error("vgg-d", n=31)
    assert "the network is valid for n ≥ 32" in str(error)
    assert "maxpool" in str(error)


def test_unknown_zoo_name_suggests_the_nearest() -> None:
    error = _error("vgg1")
    assert isinstance(error, symcnn.UnknownNameError)
    assert "vgg16" in str(error) and "vgg19" in str(error)


def test_unknown_symbol() -> None:
    error = _error("conv3-64", m=3)
    assert "unknown symbol 'm'" in str(error)


@pytest.mark.parametrize("value", [0, -1, 10**13])
def test_symbol_values_are_bounded(value: int) -> None:
    assert "outside" in str(_error("conv3-64", n=value))


def test_limits() -> None:
    assert "more than 100,000 layers" in str(_error("conv3-8x100000000"))
    assert "more than 100,000 layers" in str(_error("(conv3-8x1000)x1000"))
    nested = _error("(" * 5000 + "relu" + ")" * 5000)
    assert "nested more than 60 deep" in str(nested)
    assert isinstance(nested, symcnn.NotationSyntaxError) and (nested.line, nested.column) == (1, 61)
    assert "larger than" in str(_error("fc99999999999999"))
    assert "reaches" in str(_error("fc{k*k*k*k*k*k*k*k}", k=10**11))
    assert "longer than" in str(_error("relu " * 300_000))


BAD_INPUTS = [
    ["report", "conv3-64(stride=2"],
    ["report", "conv3-64 foo"],
    ["report", "vgg1"],
    ["report", "fc10 conv3-64"],
    ["report", "vgg16", "--n", "8"],
    ["report", "vgg16", "--set", "k=ten"],
    ["report", "vgg16", "--set", "k=10"],
    ["report", "@/nonexistent/file.txt"],
    ["report", "vgg16", "--format", "pdf"],
    ["zoo", "resnet9000"],
    ["report", "res(conv3-64 bn)"],
    ["report", "cat(conv3-8(stride=2) | conv3-8)"],
    ["report", "let b(c) = conv3-{c}\nb"],
    ["report", "let b = b relu"],
    ["reprot", "vgg16"],
    [],
]


@pytest.mark.parametrize("argv", BAD_INPUTS)
def test_cli_bad_input_exits_2_without_traceback(argv: list[str]) -> None:
    result = subprocess.run([sys.executable, "-m", "symcnn", *argv], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("symcnn: error: ")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    text = argv[-1] if argv else ""
    if "res(" in text or "cat(" in text:
        assert "branch '" in result.stderr  # names the branch
    if "let " in text:
        assert "block 'b'" in result.stderr  # names the block
