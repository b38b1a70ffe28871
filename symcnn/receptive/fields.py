"""A row's receptive field on one axis (affine, periodic or the whole input), and exact arithmetic on its numbers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import TYPE_CHECKING

from ..values import Shown, as_expr, as_int

if TYPE_CHECKING:
    import sympy

# Units in one period of a periodic field (a resize 97 → 1000 has period 1000); each layer after it works
# through a period unit by unit, so a longer one is "not derived" (a fuzzed upsample8x96 took 5 s at 100,000).
MAX_PERIOD = 4_096
# Units of periodic fields worked through in one network, layer after layer (a period of 2,048 through
# 200 merges took 2.5 s); past it the rows are "not derived".
MAX_PERIODIC_WORK = 100_000


@dataclass(frozen=True)
class Step:
    """How a row's field came from the one before: ``rule`` and the numbers it used.

    window: (r_in, k, d, j_in, s, start_in, p) on an affine field, else (P,) as upconv, resample and
    adaptive (a periodic field's period); merge, same, whole: ().
    """

    rule: str
    numbers: tuple[Shown | Fraction, ...] = ()


@dataclass(frozen=True)
class Local:
    """Along one axis: unit o sees pixels ``lows[o mod P] + ⌊o/P⌋·advance`` … ``highs[…] + ⌊o/P⌋·advance``."""

    period: int
    advance: Shown
    lows: tuple[Shown, ...]
    highs: tuple[Shown, ...]
    step: Step

    @cached_property
    def size(self) -> Shown:
        """The largest field over one period: input pixels from the first to the last seen."""
        return _max([high - low + 1 for low, high in zip(self.lows, self.highs)])

    @property
    def jump(self) -> Shown | Fraction:
        """Input pixels between neighbouring units (a fraction after upsampling)."""
        if self.period == 1:
            return self.advance
        ratio = Fraction(int(self.advance), self.period)  # a periodic field is all numbers
        return ratio.numerator if ratio.denominator == 1 else ratio

    @property
    def start(self) -> Shown:
        """The first input pixel unit 0 sees (negative: in the padding)."""
        return self.lows[0]

    def unit(self, index: int | Shown) -> tuple[Shown, Shown]:
        """The first and the last input pixel unit ``index`` sees.

        >>> Local(2, 1, (0, 0), (0, 1), Step("periodic")).unit(3)
        (1, 2)
        """
        if self.period == 1:
            return self.lows[0] + index * self.advance, self.highs[0] + index * self.advance
        assert isinstance(index, int)
        turns, phase = divmod(index, self.period)
        return self.lows[phase] + turns * self.advance, self.highs[phase] + turns * self.advance


@dataclass(frozen=True)
class Whole:
    """Every unit sees the same region, pixels ``low`` … ``high`` (None: not derived): the whole input."""

    low: Shown | None
    high: Shown | None
    step: Step

    @property
    def size(self) -> Shown | None:
        return None if self.low is None or self.high is None else self.high - self.low + 1


Axis = Local | Whole


@dataclass(frozen=True)
class RowField:
    """The receptive field of one row's output units: per axis, or None with ``reason`` when not derived."""

    path: str
    height: Axis | None
    width: Axis | None
    reason: str = ""
    arms: tuple[int, ...] = ()  # for a merge: the arms (1-based) whose fields reach the merged size


class NotDerived(Exception):
    """A field that has no closed form here; the message says why (a symbol where a number is needed…)."""


def _extreme(values: Sequence[Shown], pick: Callable[[Sequence[int]], int]) -> Shown:
    """The least or greatest of ``values``: a number where they differ by numbers, else sympy's Min or Max."""
    numbers = [as_int(v) for v in values]
    if all(n is not None for n in numbers):
        return pick([n for n in numbers if n is not None])
    import sympy

    first = values[0]
    offsets = [as_int(_expanded(v, first)) for v in values]
    if all(offset is not None for offset in offsets):
        return values[offsets.index(pick([o for o in offsets if o is not None]))]
    return as_expr((sympy.Max if pick is max else sympy.Min)(*values))


def _max(values: Sequence[Shown]) -> Shown:
    return _extreme(values, max)


def _min(values: Sequence[Shown]) -> Shown:
    return _extreme(values, min)


def _equal(first: Shown, second: Shown) -> bool:
    if isinstance(first, int) and isinstance(second, int):
        return first == second
    return bool(_expanded(first, second) == 0)


def _expanded(first: Shown, second: Shown) -> sympy.Expr:
    """first − second, multiplied out (so that equal expressions give 0)."""
    import sympy

    return as_expr(sympy.expand(sympy.Integer(0) + first - second))  # type: ignore[no-untyped-call]


def _number(value: Shown, what: str) -> int:
    exact = as_int(value)
    if exact is None:
        raise NotDerived(f"{what} is {value}: give its symbols a value (--set NAME=VALUE)")
    return exact
