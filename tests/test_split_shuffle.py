"""ShuffleNetV2's two operations: ``split(…)`` (a channel split) and ``shuffle`` (a channel shuffle).

Shapes and counts are checked against torch on the exported module (row by row, at odd
sizes), the errors for their location and wording, the merge row for what it holds, and
the export against torchvision's own ShuffleNetV2 value for value.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from test_torch_oracle import assert_agrees, export
from torchvision.models import get_model

import symcnn
from symcnn.rules import CONVENTIONS
from symcnn.values import symbol

# Texts run by torch at odd sizes: every row's shape, parameters, buffers and MACs, and the totals.
AGREEING = [
    "input 6x13x13 split(conv1-5 | ) shuffle",
    "input 6x9x7 split( | conv3-2 bn relu | dwconv3 bn) shuffle(groups=3)",
    "input 8x11x11 split(dwconv3(stride=2) bn | conv1-4 relu dwconv3(stride=2)) shuffle(groups=4)",
    "input 4x15x15 split(split(conv1-3 | ) shuffle(groups=2) | maxpool3(stride=1, padding=1)) shuffle(groups=3)",
    "input 4x9x9 gap fc6 split(fc5 | ) relu fc2",
    "input 12x7x9 cat(split( | conv1-6) | conv1-2) shuffle(groups=7) res(split(conv1-6 | conv1-8))",
    "shufflenet_v2_x0_5",
]


@pytest.mark.parametrize("text", AGREEING)
def test_shapes_and_counts_agree_with_torch(text: str) -> None:
    for n in (33, 57) if text.startswith("shufflenet") else (None,):
        net = symcnn.parse(text) if n is None else symcnn.parse(text, n=n)
        assert_agrees(net, "cpu")


# Bad input: (text, the error's class, what its message says).
ERRORS = [
    (
        "input 3x9x9 split(conv1-2 | )",
        symcnn.LayerError,
        "branch 'split(conv1-2 | )' at split (line 1, column 13): split needs channels divisible by 2, but gets 3",
    ),
    (
        "input 8x9x9 split( | conv1-2 | )",
        symcnn.LayerError,
        "at split (line 1, column 13): split needs channels divisible by 3, but gets 8",
    ),
    (
        "input cxnxn split( | conv1-2)",
        symcnn.LayerError,
        "split needs channels divisible by 2, but gets c",
    ),
    (
        "conv3-8\n  split(conv3-4(stride=2) | )",
        symcnn.LayerError,
        "(line 2, column 3): split needs arms of one height and width, but arm 1 gives 4×",
    ),
    (
        "conv3-6 shuffle(groups=4)",
        symcnn.LayerError,
        "layer 2 'shuffle(groups=4)' at shuffle (line 1, column 9): groups = 4 does not divide the 6 channels",
    ),
    ("conv3-6 shuffle(groups=0)", symcnn.LayerError, "groups is 0; it must be at least 1"),
    ("conv3-6 gap fc4 shuffle", symcnn.LayerError, "shuffle needs a C×H×W input, but it gets 4 flat features"),
    ("conv3-6 shuffle(group=3)", symcnn.LayerError, "unknown option 'group'; did you mean 'groups'?"),
    ("conv3-6 shuffle(groups=true)", symcnn.LayerError, "option 'groups' takes a whole number"),
    ("conv3-6 split()", symcnn.LayerError, "branch 'split()' (line 1, column 9): split needs at least two arms"),
    ("conv3-6 split(conv1-4)", symcnn.LayerError, "(line 1, column 9): split needs at least two arms"),
    ("conv3-6\nsplit( | )", symcnn.LayerError, "(line 2, column 1): split needs a layer in at least one arm"),
    ("let split = relu", symcnn.NotationSyntaxError, "'split' reads as a layer"),
    ("let shuffle = relu", symcnn.NotationSyntaxError, "'shuffle' reads as a layer"),
    ("conv3-6 shufle", symcnn.NotationSyntaxError, "did you mean 'shuffle'?"),
]


@pytest.mark.parametrize(("text", "error", "fragment"), ERRORS, ids=[text for text, _, _ in ERRORS])
def test_bad_input_is_an_error_with_its_location(text: str, error: type[Exception], fragment: str) -> None:
    with pytest.raises(error) as caught:
        symcnn.parse(text) if text.startswith("input") else symcnn.parse(text, n=9)
    assert fragment in str(caught.value)


def test_the_cli_exits_2_on_an_odd_split() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "symcnn", "report", "input 3x9x9 split(conv1-2 | )"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "split needs channels divisible by 2, but gets 3" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_merge_row_is_a_cat_of_the_arms() -> None:
    net = symcnn.parse("input 10x7x5 split(conv1-3(bias=false) | ) shuffle")
    assert [(row.path, row.kind) for row in net.layers] == [
        ("split/b1/conv", "conv"),
        ("split/cat", "cat"),
        ("shuffle", "shuffle"),
    ]
    conv, merge, shuffle = net.layers
    assert conv.geometry.input == (5, 7, 5)  # the arm sees its chunk
    assert merge.geometry.input == (10, 7, 5)  # the merge sees the whole input
    assert merge.geometry.parts == ((3, 7, 5), (5, 7, 5))
    assert merge.output == shuffle.output == (8, 7, 5)
    assert (merge.params, merge.buffers, merge.macs, merge.activations) == (0, 0, 0, 8 * 7 * 5)
    assert (shuffle.params, shuffle.buffers, shuffle.macs, shuffle.activations) == (0, 0, 0, 8 * 7 * 5)


# Each convention's activations for a shuffle: a new tensor where the tool counts parameter-free
# layers that are not in place, none where it counts only layers with parameters.
SHUFFLE_ACTIVATIONS = {
    "symcnn": 1,
    "fvcore": 0,
    "torchinfo": 0,
    "ptflops": 1,
    "ptflops-aten": 1,
    "thop": 1,
    "torch": 1,
}


@pytest.mark.parametrize(("convention", "per_value"), SHUFFLE_ACTIVATIONS.items())
def test_a_shuffle_costs_nothing_but_perhaps_its_output(convention: str, per_value: int) -> None:
    assert set(SHUFFLE_ACTIVATIONS) == set(CONVENTIONS)
    net = symcnn.parse("input 6xnxn shuffle(groups=3)", convention=convention)
    (row,) = net.layers
    n = symbol("n")
    assert (row.params, row.macs) == (0, 0)
    assert row.activations == per_value * 6 * n**2


def test_a_split_of_symbolic_channels() -> None:
    net = symcnn.parse("input {2*c}xnxn split( | conv1-4) shuffle(groups=2)")
    c, n = symbol("c"), symbol("n")
    assert net.layers[-1].output == (c + 4, n, n)
    assert net.layers[0].params == 4 * c + 4


@pytest.mark.parametrize("name", ["shufflenet_v2_x0_5", "shufflenet_v2_x1_0"])
def test_the_export_computes_what_torchvision_computes(name: str) -> None:
    """The same weights give the same output: split takes the right half, shuffle interleaves as torchvision's."""
    torch.manual_seed(0)
    theirs = get_model(name, weights=None).eval()
    ours = export(symcnn.parse(name, n=41), "cpu").eval()
    for mine, other in ((ours.parameters(), theirs.parameters()), (ours.buffers(), theirs.buffers())):
        pairs = list(zip(mine, other, strict=True))
        assert all(a.shape == b.shape for a, b in pairs)
        with torch.no_grad():
            for a, b in pairs:
                a.copy_(b)
    x = torch.randn(2, 3, 41, 41)
    with torch.no_grad():
        assert torch.allclose(ours(x), theirs(x), atol=1e-5)
