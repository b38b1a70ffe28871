"""The hand-calculation checker. Expected values are the arithmetic done by hand
or REFERENCE.md's figures (cited), never the checker's own output."""

from __future__ import annotations

import time
from fractions import Fraction

import pytest

import symcnn
from symcnn.arithmetic import parse_claim
from symcnn.check import matches, slips
from symcnn.cli import main
from symcnn.errors import shorten_literal
from symcnn.render.check import number, report


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


# Issue #8: no input crashes or hangs `check`; each limit is checked before the work it protects.
BOMBS = [
    ("(1/1e60)^200", r"too small or too fine.*10\^60", 9),  # 10^-12000: printing it raised ValueError
    ("2^1e-200^22", r"the number 1e-200 is too small", 3),
    ("1e999999999", r"exponent of 1e999999999 is out of range", 1),  # Fraction(10) ** 999999999 never finished
    ("1e-999999999", r"exponent of 1e-999999999 is out of range", 1),
    ("1e" + "9" * 70, r"exponent of 1e99…9999 \(72 characters\) is out of range", 1),
    ("2^2^2^2^2^2", r"whole number from -200 to 200, not 65,536", 4),
    ("2^2^2^2^2", "not 65,536", 2),
    ("((2^100)^100)^100", "the power is too large to check", 9),
    ("2^-200", "too small or too fine", 2),
    ("(1/3)^130", "too small or too fine", 6),
    ("10^61", "too large", 3),
    ("(2/3)^-200", "too small or too fine", 6),  # (3/2)^200 ≈ 10^35 but over 2^200: refused from bit lengths
    ("2^0.5", "whole number", 2),
    ("2^(1/3)", "whole number", 2),
    ("0^-1", "division by zero", 2),
    ("1/0", "division by zero", 2),
    ("5/(3-3)", "division by zero", 2),
    ("1e30 x 1e31", "the product is too large", 6),
    ("1e60 + 1e60", "the sum is too large", 6),
    ("1e-30 / 1e31", "the quotient is too small", 7),
    ("1e61", "the number 1e61 is too large", 1),
    ("0.5e-60", "too small or too fine", 1),
    ("9" * 80, r"the number 9999…9999 \(80 digits\) has more than 60 digits", 1),
    ("1." + "0" * 70, "more than 60 digits", 1),
    ("1" * 4301, r"the expression 1111…1111 \(4,301 digits\) is longer than 500", 501),
    ("1+" * 5000 + "1", r"\(10,001 characters\) is longer than 500", 501),
    ("1KKK", "cannot read this as arithmetic", 1),
    ("1M M M", "cannot read this as arithmetic", 4),
    ("٣", r"only the digits 0-9 are read, not '٣' \(ARABIC-INDIC DIGIT THREE\)", 1),
    ("3 = ٣", "only the digits 0-9", 5),
    ("2²", r"not '²' \(SUPERSCRIPT TWO\)", 2),
    ("１", r"not '１' \(FULLWIDTH DIGIT ONE\)", 1),
    ("1,٠٠٠", "only the digits 0-9", 3),
    ("½", "only the digits 0-9", 1),
    ("", "cannot read this as arithmetic", 1),
]


@pytest.mark.parametrize(("text", "message", "column"), BOMBS)
def test_bombs_are_refused_quickly_with_a_caret(text: str, message: str, column: int) -> None:
    began = time.perf_counter()
    with pytest.raises(symcnn.NotationSyntaxError, match=message) as refused:
        parse_claim(text)
    assert time.perf_counter() - began < 1  # refused, not computed (the limits are checked first)
    assert refused.value.column == column
    assert refused.value.context.splitlines()[1].endswith("^")


@pytest.mark.parametrize(
    "text",
    [
        "-" * 499 + "1",  # deep nesting: evaluated without recursion
        "(" * 249 + "1" + ")" * 249,
        "1^" * 249 + "1",
        "+".join(["1"] * 250),
    ],
)
def test_deep_expressions_within_the_length_limit(text: str) -> None:
    began = time.perf_counter()
    assert parse_claim(text).left.value in (-1, 1, 2, 250)
    assert time.perf_counter() - began < 1


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1e60", 10**60),  # every limit is inclusive
        ("1e-60", Fraction(1, 10**60)),
        ("2^199", 2**199),
        ("2^-199", Fraction(1, 2**199)),
        ("(2/3)^-20", Fraction(3**20, 2**20)),
        ("0^0", 1),
        ("(-1)^200", 1),
        ("9" * 60, 10**60 - 1),
        ("1e-200 x 1e200", None),  # refused: 1e-200 on its own is too fine
    ],
)
def test_values_at_the_limits(text: str, value: int | Fraction | None) -> None:
    if value is None:
        with pytest.raises(symcnn.SymcnnError):
            parse_claim(text)
    else:
        assert parse_claim(text).left.value == value


def test_shorten_literal() -> None:
    assert shorten_literal("1" * 4301) == "1111…1111 (4,301 digits)"
    assert shorten_literal("295,168") == "295,168"


def test_number_never_fails_however_large() -> None:
    # Past 4,300 digits str(int) raises ValueError; the report shows the size instead.
    assert number(Fraction(10**5000)) == "a number of 5,001 digits"
    assert number(Fraction(1, 10**5000)) == "a fraction of 1 digit over 5,001 digits"
    assert number(Fraction(10**400, 3)).endswith("/3")  # float() would overflow
    assert number(Fraction(1, 2**199)) == f"1/{2**199}"


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["check", "(1/1e60)^200"], 2),
        (["check", "2^1e-200^22"], 2),
        (["check", "1e999999999"], 2),
        (["check", "٣"], 2),
        (["check", "1" * 10_000], 2),
        (["check", "2^10 = 1024"], 0),
        (["check", "2^10 = 1000"], 1),
        (["check", "1e-60"], 0),
    ],
)
def test_cli_exit_codes(argv: list[str], code: int, capsys: pytest.CaptureFixture[str]) -> None:
    began = time.perf_counter()
    assert main(argv) == code
    assert time.perf_counter() - began < 1
    if code == 2:
        assert "symcnn: error:" in capsys.readouterr().err


def test_a_negative_value_has_no_nearest_quantity() -> None:
    text = report(parse_claim("0 - 5"), symcnn.parse("vgg16", n=224), "vgg16")
    assert "-5 is no quantity of the network (each is a positive whole number)" in text
