"""The hand-calculation checker. Expected values are the arithmetic done by hand
or REFERENCE.md's figures (cited), never the checker's own output."""

from __future__ import annotations

from fractions import Fraction

import pytest

import symcnn
from symcnn.arithmetic import parse_claim
from symcnn.check import matches, slips
from symcnn.render.check import report


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3*3*128*256+256", 3 * 3 * 128 * 256 + 256),
        ("128x3x3x256 + 256", 128 * 3 * 3 * 256 + 256),
        ("(3·3·3)·64", 3 * 3 * 3 * 64),
        ("7×7×512×4096", 7 * 7 * 512 * 4096),
        ("295,168", 295168),
        ("0.59M", 590000),
        ("138M", 138 * 10**6),
        ("2^10", 1024),
        ("2**10", 1024),
        ("1e9", 10**9),
        ("8GiB", 8 * 2**30),
        ("93MB", 93 * 10**6),
        ("15.5B", 15_500_000_000),
        ("-(2 - 5) / 3", 1),
    ],
)
def test_arithmetic(text: str, value: int) -> None:
    assert parse_claim(text).left.value == value


@pytest.mark.parametrize(
    ("text", "holds"),
    [
        ("128x3x3x256 + 256 = 295,168", True),  # REFERENCE.md: 128·3·3·256 + 256 = 295,168
        ("128x3x3x256 = 295,168", False),
        ("138,357,544 = 138M", True),  # a rounded right side: 138,357,544 rounds to 138M
        ("138,357,544 = 139M", False),
        ("590,080 ~= 0.59M", True),
        ("295,168 ~= 295,000", True),
        ("295,168 ~= 296,000", False),
        ("2^10 = 1024", True),
    ],
)
def test_claims(text: str, holds: bool) -> None:
    assert parse_claim(text).holds is holds


@pytest.mark.parametrize("text", ["2^1000", "9" * 80, "1/0", "3 +", "import os", "__import__('os')", "1,5", "2^0.5"])
def test_bad_input_is_refused_not_evaluated(text: str) -> None:
    with pytest.raises(symcnn.SymcnnError):
        parse_claim(text)


def test_the_first_conv3_256_of_vgg16() -> None:
    # REFERENCE.md: the first conv3-256 has 128·3·3·256 + 256 = 295,168 parameters; 294,912 forgets the biases.
    net = symcnn.parse("vgg16", n=224)
    (found,) = matches(Fraction(128 * 3 * 3 * 256 + 256), net)
    assert (found.quantity, found.layer is not None and found.layer.name) == ("params", "conv3-256")
    (slip,) = slips(Fraction(128 * 3 * 3 * 256), net)
    assert (slip.kind, slip.detail) == ("biases-left-out", 256)
    text = report(parse_claim("128x3x3x256 = 295,168"), net, "vgg16")
    assert "the first conv3-256 of 3" in text and "256 biases" in text


def test_macs_written_as_flops() -> None:
    # REFERENCE.md: VGG-16's MACs are 15,470,264,320; FLOPs count 2 per multiply-add.
    net = symcnn.parse("vgg-d", n=224)
    kinds = {slip.kind for slip in slips(Fraction(2 * 15_470_264_320), net)}
    assert "flops-for-macs" in kinds


def test_bytes_for_values() -> None:
    # CS231n (REFERENCE.md): 15,237,608 activations; in float32 that is 4 bytes each.
    net = symcnn.parse("vgg-d", n=224)
    assert "float32-bytes" in {slip.kind for slip in slips(Fraction(4 * 15_237_608), net)}


def test_wrong_input_size() -> None:
    # The paper's VGG-16 at 256: 2048·256² + 35,597,096 (DERIVATION.md's closed form).
    net = symcnn.parse("vgg-d", n=224)
    found = [slip for slip in slips(Fraction(2048 * 256**2 + 35_597_096), net) if slip.kind == "input-size"]
    assert [slip.detail for slip in found] == [256]
