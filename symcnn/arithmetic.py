"""Arithmetic the way people write it — ``128x3x3x256 + 256 = 295,168`` — exactly.

Parsed by ``grammar/arithmetic.lark`` and evaluated with fractions: nothing is
ever evaluated as Python. Every size that could exhaust memory or time is
checked before the work it protects and refused with a message and a caret:

- the text: at most :data:`MAX_TEXT_CHARS` characters, digits 0-9 only (٣, ²,
  １ are refused, not read as 3, 2, 1);
- a number: at most :data:`MAX_DIGITS` digits, counted before ``int()``; an
  exponent (``1e9``) of at most :data:`MAX_EXPONENT`, its digits counted first;
- every value, written or computed: at most :data:`MAX_MAGNITUDE` in size and
  with a denominator of at most :data:`MAX_DENOMINATOR` (nothing smaller than
  10^-60, nothing finer), so every operand of every operation is small;
- a power: a whole exponent of at most :data:`MAX_EXPONENT`, and a result too
  large or too fine refused from the bit lengths before it is computed.

>>> parse_claim("2^2^2^2^2")
Traceback (most recent call last):
...
symcnn.errors.NotationSyntaxError: line 1, column 2: the exponent must be a whole number from -200 to 200, not 65,536
2^2^2^2^2
 ^
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from lark import Lark, Token, Tree, UnexpectedInput

from .errors import NotationSyntaxError, caret_context, shorten_literal
from .parser import grammar_path

MAX_TEXT_CHARS = 500
MAX_DIGITS = 60  # digits of one number, 0.59 or 138,357,544 (its exponent apart)
MAX_EXPONENT = 200  # of a power, 2^200, and of a number, 1e-200
MAX_MAGNITUDE = Fraction(10) ** 60
MAX_DENOMINATOR = 10**60
_MAGNITUDE_BITS = MAX_DENOMINATOR.bit_length()  # 200: 2^199 ≤ 10^60 < 2^200

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
_NUMBER = re.compile(
    r"(?P<digits>[0-9,]*\.?[0-9]*)(?:[eE](?P<sign>[+-]?)(?P<exp>[0-9]+))?[ \t]?(?P<suffix>[A-Za-z]*)", re.ASCII
)
_OPERATIONS = {"add": "the sum", "sub": "the difference", "mul": "the product", "div": "the quotient"}


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
        steps.append(significant_step(right.value))
    return max(steps, default=Fraction(0))


def significant_step(value: Fraction) -> Fraction:
    """The unit of the last non-zero digit of a whole number: 800,000 → 100,000 (what a rounded figure is rounded to).

    >>> significant_step(Fraction(800_000)), significant_step(Fraction(3_211_264))
    (Fraction(100000, 1), Fraction(1, 1))
    """
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


@dataclass(frozen=True)
class _Source:
    """Where the text being read stands in ``whole`` (a condition holds its bound at ``offset``)."""

    whole: str
    offset: int = 0

    def error(self, index: int, reason: str) -> NotationSyntaxError:
        """``reason`` with a caret under character ``index`` of the text being read."""
        return error_at(self.whole, self.offset + index, reason)


def error_at(text: str, index: int, reason: str) -> NotationSyntaxError:
    """A :class:`NotationSyntaxError` with a caret under ``text[index]`` (0-based).

    >>> print(error_at("1 + 2\\n3 / 0", 8, "division by zero"))
    line 2, column 3: division by zero
    3 / 0
      ^
    """
    index = min(max(index, 0), len(text))
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return NotationSyntaxError(reason, line, column, caret_context(text, line, column))


def check_ascii_digits(text: str, offset: int = 0, whole: str | None = None) -> None:
    """Refuse a digit other than 0-9 (٣, ², １): Python's ``int()`` reads some of them, symcnn reads none.

    >>> check_ascii_digits("2^10")
    >>> check_ascii_digits("2²")
    Traceback (most recent call last):
    ...
    symcnn.errors.NotationSyntaxError: line 1, column 2: only the digits 0-9 are read, not '²' (SUPERSCRIPT TWO)
    2²
     ^
    """
    for index, char in enumerate(text):
        if not char.isascii() and (char.isdigit() or char.isnumeric()):
            name = unicodedata.name(char, f"U+{ord(char):04X}")
            reason = f"only the digits 0-9 are read, not {char!r} ({name})"
            raise error_at(whole if whole is not None else text, offset + index, reason)


def parse_claim(text: str, *, within: str | None = None, at: int = 0) -> Claim:
    """Read ``text`` as a value or a claim.

    When ``text`` is part of a longer text, ``within`` is that text and ``at``
    where ``text`` starts in it: error carets point into ``within``.

    >>> claim = parse_claim("7×7×512×4096")
    >>> claim.left.value, claim.relation
    (Fraction(102760448, 1), None)
    >>> parse_claim("0.59M").left
    Amount(value=Fraction(590000, 1), step=Fraction(10000, 1), in_bytes=False)
    """
    source = _Source(text if within is None else within, at if within is not None else 0)
    if len(text) > MAX_TEXT_CHARS:
        reason = f"the expression {shorten_literal(text)} is longer than {MAX_TEXT_CHARS} characters"
        raise source.error(MAX_TEXT_CHARS, reason)
    check_ascii_digits(text, source.offset, source.whole)
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as error:
        line, column = error.line if error.line > 0 else 1, error.column if error.column > 0 else len(text) + 1
        lines = text.split("\n")
        index = sum(len(before) + 1 for before in lines[: line - 1]) + column - 1
        raise source.error(
            index, "cannot read this as arithmetic (numbers, + - * x × · / ^, parentheses, = or ~=)"
        ) from None
    left = _amount(tree.children[0], source)
    if len(tree.children) == 1:
        return Claim(left)
    relation = "~=" if str(tree.children[1]) in ("~=", "≈") else "="
    return Claim(left, relation, _amount(tree.children[2], source))


def _amount(node: Tree[Token] | Token, source: _Source) -> Amount:
    assert isinstance(node, Tree)
    if node.data == "number":
        return _number(_token(node), source)
    value = _evaluate(node, source)
    numbers = node.scan_values(lambda token: isinstance(token, Token) and token.type == "NUMBER")
    in_bytes = any(_SUFFIXES.get(_suffix(str(token)), (1, False))[1] for token in numbers)
    return Amount(value, None, in_bytes)


def read_number(text: str) -> Amount:
    """One number as the grammar's NUMBER reads it, without the parser (a page's commonest side).

    >>> read_number("0.59M") == parse_claim("0.59M").left, read_number("12.25MiB").in_bytes
    (True, True)
    """
    return _number(Token("NUMBER", text, 0), _Source(text))


def _token(node: Tree[Token]) -> Token:
    token = node.children[0]
    assert isinstance(token, Token)
    return token


def _suffix(text: str) -> str:
    match = _NUMBER.fullmatch(text.strip())
    return match.group("suffix") if match else ""


def _number(token: Token, source: _Source) -> Amount:
    """A number as written: its digits counted before ``int()``, its exponent before ``10**``."""
    text, start = str(token), token.start_pos or 0
    shown = shorten_literal(text.strip())
    match = _NUMBER.fullmatch(text.strip())
    if match is None:
        raise source.error(start, f"cannot read the number {shown}")
    digits, suffix = match.group("digits").replace(",", ""), match.group("suffix")
    if sum(char.isdigit() for char in digits) > MAX_DIGITS:
        reason = (
            f"the number {shown} has more than {MAX_DIGITS} digits; write it with an exponent or a unit (1.5e9, 138M)"
        )
        raise source.error(start, reason)
    if suffix not in _SUFFIXES:
        raise source.error(start, f"unknown unit {suffix!r} in {shown}; use K, M, G, T, B or KB, MB, GB, KiB, MiB, GiB")
    exponent = 0
    if match.group("exp") is not None:
        exponent_digits = match.group("exp").lstrip("0") or "0"
        if len(exponent_digits) > len(str(MAX_EXPONENT)) or int(exponent_digits) > MAX_EXPONENT:
            reason = f"the exponent of {shown} is out of range: -{MAX_EXPONENT} to {MAX_EXPONENT}, e.g. 1e9, 2.5e-3"
            raise source.error(start, reason)
        exponent = -int(exponent_digits) if match.group("sign") == "-" else int(exponent_digits)
    scale, in_bytes = _SUFFIXES[suffix]
    whole, _, decimals = digits.partition(".")
    power = Fraction(10) ** exponent
    value = Fraction(int(whole + decimals or "0"), 10 ** len(decimals)) * power * scale
    _check(value, source, start, f"the number {shown}")
    rounded = bool(suffix and not in_bytes and scale > 1) or len(decimals) > 0 or (in_bytes and scale > 1)
    step = Fraction(1, 10 ** len(decimals)) * power * scale if rounded else None
    return Amount(value, step, in_bytes)


def _evaluate(root: Tree[Token], source: _Source) -> Fraction:
    """The value of ``root``, without recursion (a deep expression cannot exhaust the stack)."""
    values: list[Fraction] = []
    stack: list[tuple[Tree[Token], bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if node.data == "number":
            values.append(_number(_token(node), source).value)
            continue
        operands = [child for child in node.children if isinstance(child, Tree)]
        if not ready:
            stack.append((node, True))
            stack.extend((operand, False) for operand in reversed(operands))
            continue
        arguments = values[len(values) - len(operands) :]
        del values[len(values) - len(operands) :]
        operator = next(child for child in node.children if isinstance(child, Token))
        values.append(_operate(node.data, arguments, operator.start_pos or 0, source))
    (value,) = values
    return value


def _operate(operation: str, arguments: list[Fraction], at: int, source: _Source) -> Fraction:
    """One operation on checked operands (each at most 10^60, denominators at most 10^60: small work)."""
    if operation == "neg":
        return -arguments[0]
    left, right = arguments
    if operation == "pow":
        return _power(left, right, at, source)
    if operation == "div" and right == 0:
        raise source.error(at, "division by zero")
    if operation == "add":
        result = left + right
    elif operation == "sub":
        result = left - right
    elif operation == "mul":
        result = left * right
    else:
        result = left / right
    return _check(result, source, at, _OPERATIONS[operation])


def _power(base: Fraction, exponent: Fraction, at: int, source: _Source) -> Fraction:
    """``base ^ exponent``, refused before it is computed when the result would be too large or too fine.

    With ``|base| = n/d`` raised to ``k``, the result is ``n^k/d^k``; its size is at
    least ``2^(k·(bits(n) − 1 − bits(d)))`` and its denominator at least ``2^(k·(bits(d) − 1))``.
    """
    if exponent.denominator != 1 or abs(exponent) > MAX_EXPONENT:
        shown = shorten_literal(f"{exponent.numerator:,}" if exponent.denominator == 1 else str(exponent))
        raise source.error(
            at, f"the exponent must be a whole number from -{MAX_EXPONENT} to {MAX_EXPONENT}, not {shown}"
        )
    power = int(exponent)
    if base == 0 and power < 0:
        raise source.error(at, "division by zero: 0 to a negative power")
    if base == 0 or power == 0:
        return base**power
    numerator, denominator = abs(base.numerator), base.denominator
    if power < 0:
        numerator, denominator = denominator, numerator
    k = abs(power)
    if k * (numerator.bit_length() - 1 - denominator.bit_length()) >= _MAGNITUDE_BITS:
        raise source.error(at, "the power is too large to check: more than 10^60")
    if k * (denominator.bit_length() - 1) >= _MAGNITUDE_BITS:
        raise source.error(at, "the power is too small or too fine to check exactly: its denominator exceeds 10^60")
    return _check(base**power, source, at, "the power")


def _check(value: Fraction, source: _Source, at: int, what: str) -> Fraction:
    if abs(value) > MAX_MAGNITUDE:
        raise source.error(at, f"{what} is too large to check: more than 10^60")
    if value.denominator > MAX_DENOMINATOR:
        raise source.error(at, f"{what} is too small or too fine to check exactly: its denominator exceeds 10^60")
    return value
