"""Arithmetic the way people write it — ``128x3x3x256 + 256 = 295,168`` — exactly.

Parsed by ``grammar/arithmetic.lark`` and evaluated with fractions: nothing is
ever evaluated as Python, and sizes that could exhaust memory or time (huge
exponents, very long numbers) are refused with a message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from lark import Lark, Token, Tree, UnexpectedInput

from .errors import NotationSyntaxError, SymcnnError, caret_context
from .parser import grammar_path

MAX_TEXT_CHARS = 500
MAX_MAGNITUDE = Fraction(10) ** 60
MAX_EXPONENT = 200

_SUFFIXES = {
    "": (1, False),
    "k": (10**3, False),
    "K": (10**3, False),
    "M": (10**6, False),
    "G": (10**9, False),
    "B": (10**9, False),  # billions, as in "15.5B MACs"
    "T": (10**12, False),
    "KB": (10**3, True),
    "MB": (10**6, True),
    "GB": (10**9, True),
    "TB": (10**12, True),
    "KiB": (2**10, True),
    "MiB": (2**20, True),
    "GiB": (2**30, True),
    "TiB": (2**40, True),
}
_NUMBER = re.compile(r"^(?P<digits>[\d,]*\.?\d*)(?:[eE](?P<exp>[+-]?\d+))?\s?(?P<suffix>[A-Za-z]*)$")


@dataclass(frozen=True)
class Amount:
    """An exact value; ``step`` is the rounding unit when it was written rounded
    (0.59M → 10,000), None when exact; ``in_bytes`` when it carries a byte unit."""

    value: Fraction
    step: Fraction | None = None
    in_bytes: bool = False


@dataclass(frozen=True)
class Claim:
    """``left`` alone, or ``left relation right`` (relation ``=`` or ``~=``)."""

    left: Amount
    relation: str | None = None
    right: Amount | None = None

    @property
    def holds(self) -> bool | None:
        """Whether the claim holds (None without one).

        ``=`` is exact unless one side was written rounded (138M), then the other
        side must round to it; ``~=`` rounds to the right side's last significant
        digit (295,000 ≈ 295,168).

        >>> parse_claim("128x3x3x256 + 256 = 295,168").holds
        True
        >>> parse_claim("138,357,544 = 138M").holds, parse_claim("138,357,544 = 139M").holds
        (True, False)
        >>> parse_claim("295,168 ~= 295,000").holds
        True
        """
        if self.right is None:
            return None
        step = _tolerance(self.left, self.right, approximate=self.relation == "~=")
        return abs(self.left.value - self.right.value) * 2 <= step if step else self.left.value == self.right.value


def _tolerance(left: Amount, right: Amount, approximate: bool) -> Fraction:
    steps = [amount.step for amount in (left, right) if amount.step is not None]
    if approximate:
        steps.append(_significant_step(right.value))
    return max(steps, default=Fraction(0))


def _significant_step(value: Fraction) -> Fraction:
    """The unit of the last non-zero digit of a whole number (295,000 → 1,000)."""
    if value.denominator != 1 or value == 0:
        return Fraction(0)
    number, step = abs(value.numerator), 1
    while number % 10 == 0:
        number //= 10
        step *= 10
    return Fraction(step)


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(grammar_path("arithmetic.lark").read_text(encoding="utf-8"), parser="lalr", cache=True)


def parse_claim(text: str) -> Claim:
    """Read ``text`` as a value or a claim.

    >>> claim = parse_claim("7×7×512×4096")
    >>> claim.left.value, claim.relation
    (Fraction(102760448, 1), None)
    >>> parse_claim("0.59M").left
    Amount(value=Fraction(590000, 1), step=Fraction(10000, 1), in_bytes=False)
    """
    if len(text) > MAX_TEXT_CHARS:
        raise SymcnnError(f"the expression is longer than {MAX_TEXT_CHARS} characters")
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as error:
        line, column = error.line if error.line > 0 else 1, error.column if error.column > 0 else len(text) + 1
        raise NotationSyntaxError(
            "cannot read this as arithmetic (numbers, + - * x × · / ^, parentheses, = or ~=)",
            line,
            column,
            caret_context(text, line, column),
        ) from None
    left = _amount(tree.children[0])
    if len(tree.children) == 1:
        return Claim(left)
    relation = "~=" if str(tree.children[1]) in ("~=", "≈") else "="
    return Claim(left, relation, _amount(tree.children[2]))


def _amount(node: Tree[Token] | Token) -> Amount:
    assert isinstance(node, Tree)
    if node.data == "number":
        return _number(str(node.children[0]))
    value = _evaluate(node)
    numbers = node.scan_values(lambda token: isinstance(token, Token) and token.type == "NUMBER")
    in_bytes = any(_number(str(token)).in_bytes for token in numbers)
    return Amount(value, None, in_bytes)


def _number(text: str) -> Amount:
    match = _NUMBER.match(text.strip())
    if match is None or len(text) > 60:
        raise SymcnnError(f"cannot read the number {text!r}")
    digits, exponent, suffix = match.group("digits").replace(",", ""), match.group("exp"), match.group("suffix")
    if suffix not in _SUFFIXES:
        raise SymcnnError(f"unknown unit {suffix!r} in {text!r}; use K, M, G, T, B or KB, MB, GB, KiB, MiB, GiB")
    scale, in_bytes = _SUFFIXES[suffix]
    power = Fraction(10) ** int(exponent) if exponent else Fraction(1)
    if exponent and abs(int(exponent)) > MAX_EXPONENT:
        raise SymcnnError(f"the exponent in {text!r} is too large")
    value = Fraction(digits) * power * scale
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    rounded = bool(suffix and not in_bytes and scale > 1) or decimals > 0 or (in_bytes and scale > 1)
    step = Fraction(1, 10**decimals) * power * scale if rounded else None
    return Amount(value, step, in_bytes)


def _evaluate(node: Tree[Token] | Token) -> Fraction:
    assert isinstance(node, Tree)
    if node.data == "number":
        return _number(str(node.children[0])).value
    if node.data == "neg":
        return _checked(-_evaluate(node.children[0]))
    operands = [child for child in node.children if isinstance(child, Tree)]
    left, right = (_evaluate(operand) for operand in operands)
    if node.data == "add":
        return _checked(left + right)
    if node.data == "sub":
        return _checked(left - right)
    if node.data == "mul":
        return _checked(left * right)
    if node.data == "div":
        if right == 0:
            raise SymcnnError("division by zero")
        return _checked(left / right)
    if right.denominator != 1 or abs(right) > MAX_EXPONENT:
        raise SymcnnError(f"exponents must be whole numbers up to {MAX_EXPONENT}, not {right}")
    if left == 0 and right < 0:
        raise SymcnnError("division by zero")
    return _checked(left ** int(right))


def _checked(value: Fraction) -> Fraction:
    if abs(value) > MAX_MAGNITUDE:
        raise SymcnnError("the value is too large to check (more than 10^60)")
    return value
