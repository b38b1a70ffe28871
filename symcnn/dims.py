"""Spatial sizes as ⌊(s + B)/S⌋: the floor algebra sympy lacks.

sympy keeps ⌊⌊n/2⌋/2⌋ nested whatever one asks of it. For a positive integer
divisor the identity ⌊(⌊(s + B)/S⌋ + A)/q⌋ = ⌊(s + B + S·A)/(S·q)⌋ holds, so a
size that depends on one input symbol ``s`` after any number of convolutions
and poolings is a single :class:`FloorSize`: three ints. A size that depends on
a symbolic stride or kernel falls back to a sympy expression.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from math import gcd, lcm
from typing import TYPE_CHECKING, TypeAlias

from .limits import MAX_MODULUS, MAX_SIZE_TERMS, MAX_SYMBOL_VALUE
from .poly import Poly
from .values import Shown, Value, as_expr, floor_div, symbol

if TYPE_CHECKING:
    import sympy


@dataclass(frozen=True)
class FloorSize:
    """⌊(symbol + offset) / divisor⌋ for a positive integer symbol.

    >>> FloorSize("n", 0, 1).step(0, 2).step(0, 2)
    FloorSize(symbol='n', offset=0, divisor=4)
    """

    symbol: str
    offset: int
    divisor: int

    def __str__(self) -> str:
        """As people write it: n, n - 4, ⌊(n + 1)/2⌋, ⌊n/4⌋ + 1.

        >>> print(FloorSize("n", 1, 2), FloorSize("n", -4, 1), FloorSize("n", 35, 32))
        ⌊(n + 1)/2⌋ n - 4 ⌊(n + 3)/32⌋ + 1
        """
        quotient, remainder = divmod(self.offset, self.divisor)
        if self.divisor == 1:
            base, quotient = self.symbol, self.offset
        elif remainder:
            base = f"⌊({self.symbol} + {remainder})/{self.divisor}⌋"
        else:
            base = f"⌊{self.symbol}/{self.divisor}⌋"
        return base if quotient == 0 else f"{base} {'+' if quotient > 0 else '-'} {abs(quotient)}"

    def step(self, shift: int, divisor: int) -> FloorSize:
        """⌊(self + shift) / divisor⌋."""
        return FloorSize(self.symbol, self.offset + self.divisor * shift, self.divisor * divisor)

    @property
    def smallest_valid(self) -> int:
        """The least value of the symbol for which this size is at least 1.

        >>> FloorSize("n", -3, 32).smallest_valid
        35
        """
        return max(1, self.divisor - self.offset)

    def expr(self) -> sympy.Expr:
        """As sympy: ⌊(s + r)/S⌋ + q with 0 ≤ r < S, so equal sizes share one atom.

        >>> FloorSize("n", 35, 32).expr()
        floor(n/32 + 3/32) + 1
        """
        return size_atom(self.symbol, self.offset, self.divisor)


# Sizes met in one session, each kept once; a session that meets more (a server, a fuzzer) forgets old ones.
_ATOMS_KEPT = 65_536


@lru_cache(maxsize=_ATOMS_KEPT)
def size_atom(name: str, offset: int, divisor: int) -> sympy.Expr:
    """The sympy expression of the size ⌊(name + offset)/divisor⌋ (what a :class:`~symcnn.poly.Poly` atom shows)."""
    quotient, remainder = divmod(offset, divisor)
    return as_expr(floor_atom(name, remainder, divisor) + quotient)


@lru_cache(maxsize=_ATOMS_KEPT)
def floor_atom(name: str, remainder: int, divisor: int) -> sympy.Expr:
    """⌊(name + remainder)/divisor⌋, built once (sympy objects are costly)."""
    if divisor == 1:
        return as_expr(symbol(name) + remainder)
    import sympy

    # evaluate=False: sympy's floor() would spend ~14 ms proving what is known here,
    # that ⌊(n + r)/S⌋ with 0 ≤ r < S < ∞ and S > 1 does not simplify.
    atom = as_expr(sympy.floor((symbol(name) + remainder) / sympy.Integer(divisor), evaluate=False))
    if len(ATOM_KEYS) >= _ATOMS_KEPT:  # a long session: closed_form.floor_key reads an atom from sympy then
        ATOM_KEYS.clear()
    ATOM_KEYS[atom] = (name, remainder, divisor)
    return atom


# (symbol, r, S) of every atom ⌊(symbol + r)/S⌋ built here: closed forms read them
# back without asking sympy (whose small cache makes that slow in big sessions).
ATOM_KEYS: dict[sympy.Expr, tuple[str, int, int]] = {}


Size: TypeAlias = "int | FloorSize | LinearSize | sympy.Expr"


def step(size: Size, shift: Value, divisor: Value) -> Size:
    """⌊(size + shift) / divisor⌋ in the cheapest exact form.

    >>> step(224, -1, 2), step(FloorSize("n", 0, 1), 1, 2)
    (111, FloorSize(symbol='n', offset=1, divisor=2))
    >>> print(step(scaled(FloorSize("n", 0, 2), 2, 0), 0, 4))  # ⌊2⌊n/2⌋/4⌋ = ⌊n/4⌋
    ⌊n/4⌋
    """
    if isinstance(shift, int) and isinstance(divisor, int):
        if isinstance(size, int):
            return (size + shift) // divisor
        if isinstance(size, FloorSize):
            return size.step(shift, divisor)
        if isinstance(size, LinearSize):
            return size.step(shift, divisor)
    if isinstance(divisor, int) and divisor == 1:
        # Sizes, kernels and paddings are integers: ⌊x/1⌋ = x. sympy's floor() would take ~1 ms
        # to prove it, per layer with a symbolic kernel or padding (conv{k}-8x800 took 2 s).
        return as_expr(_sympy_size(size) + shift)
    return as_expr(floor_div(_sympy_size(size) + shift, divisor))


def scaled(size: Size, factor: Value, shift: Value) -> Size:
    """factor·size + shift: an upsampling, a transposed convolution, a pad or a crop.

    >>> print(scaled(FloorSize("n", 0, 16), 2, -4), scaled(FloorSize("n", 0, 1), 1, -4))
    2·⌊n/16⌋ - 4 n - 4
    """
    if isinstance(factor, int) and isinstance(shift, int):
        if isinstance(size, int):
            return factor * size + shift
        if isinstance(size, (FloorSize, LinearSize)):
            terms, constant = _terms(size)
            return linear(size.symbol, [(factor * c, o, d) for c, o, d in terms], factor * constant + shift)
    return as_expr(factor * _sympy_size(size) + shift)


@dataclass(frozen=True)
class LinearSize:
    """Σ coefficient·⌊(symbol + offset)/divisor⌋ + shift: a size after an upsampling.

    Upsampling multiplies a floor, and a later stride that does not divide the factor
    floors the product; both stay sums of floors of the one symbol, exactly.
    ``terms`` are (coefficient, offset, divisor) with 0 ≤ offset < divisor, sorted.
    """

    symbol: str
    terms: tuple[tuple[int, int, int], ...]
    shift: int

    def __str__(self) -> str:
        """2·⌊n/16⌋ - 4, ⌊(n + 1)/2⌋ + ⌊n/4⌋."""
        text = ""
        for coefficient, offset, divisor in self.terms:
            atom = str(FloorSize(self.symbol, offset, divisor))
            magnitude = abs(coefficient)
            term = atom if magnitude == 1 else f"{magnitude}·{atom}"
            sign = "-" if coefficient < 0 else "+"
            text = (f"-{term}" if sign == "-" else term) if not text else f"{text} {sign} {term}"
        if self.shift:
            text += f" {'+' if self.shift > 0 else '-'} {abs(self.shift)}"
        return text

    def __call__(self, value: int) -> int:
        """The size at ``symbol = value``."""
        return sum(c * ((value + o) // d) for c, o, d in self.terms) + self.shift

    @property
    def period(self) -> int:
        return lcm(*(d for _, _, d in self.terms))

    def step(self, shift: int, divisor: int) -> Size:
        """⌊(self + shift)/divisor⌋, a sum of floors again (or a sympy floor past :data:`MAX_SIZE_TERMS`)."""
        return _floor_of(self.symbol, self.terms, self.shift + shift, divisor)


def linear(symbol: str, terms: list[tuple[int, int, int]], shift: int) -> Size:
    """Σ c·⌊(symbol + o)/d⌋ + shift in its simplest form: an int, a :class:`FloorSize` or a :class:`LinearSize`.

    >>> linear("n", [(1, 3, 2), (1, 0, 2)], 0)
    LinearSize(symbol='n', terms=((1, 0, 2), (1, 1, 2)), shift=1)
    >>> linear("n", [(1, 0, 2)], 1)
    FloorSize(symbol='n', offset=2, divisor=2)
    """
    merged: dict[tuple[int, int], int] = {}
    for coefficient, offset, divisor in terms:
        quotient, remainder = divmod(offset, divisor)
        shift += coefficient * quotient
        if divisor == 1:  # the symbol itself: ⌊(n + 0)/1⌋
            remainder = 0
        merged[remainder, divisor] = merged.get((remainder, divisor), 0) + coefficient
    kept = tuple(sorted((c, o, d) for (o, d), c in merged.items() if c))
    if not kept:
        return shift
    if len(kept) == 1 and kept[0][0] == 1:
        _, offset, divisor = kept[0]
        return FloorSize(symbol, offset + divisor * shift, divisor)
    return LinearSize(symbol, kept, shift)


def _terms(size: Size) -> tuple[tuple[tuple[int, int, int], ...], int]:
    if isinstance(size, int):
        return (), size
    if isinstance(size, FloorSize):
        return ((1, size.offset, size.divisor),), 0
    assert isinstance(size, LinearSize)
    return size.terms, size.shift


def _floor_of(symbol: str, terms: tuple[tuple[int, int, int], ...], shift: int, divisor: int) -> Size:
    """⌊(Σ c·⌊(s + o)/d⌋ + shift)/divisor⌋ as a sum of floors.

    When ``divisor`` divides every coefficient it divides through; one term c·F becomes
    ⌊(F + ⌊shift/c⌋)/(divisor/c)⌋ when c divides the divisor (nested floors collapse). Otherwise the
    value is periodic-plus-linear in s with period T (a multiple of the divisors): it is
    k·⌊s/T⌋ + p(s mod T), and p's steps are floors ⌊(s + T − v)/T⌋ − ⌊s/T⌋.
    """
    if divisor == 1:
        return linear(symbol, list(terms), shift)
    if all(c % divisor == 0 for c, _, _ in terms):
        return linear(symbol, [(c // divisor, o, d) for c, o, d in terms], shift // divisor)
    if len(terms) == 1:
        coefficient, offset, inner = terms[0]
        common = gcd(coefficient, divisor)
        if coefficient == common:  # ⌊(g·F + b)/(g·q)⌋ = ⌊(F + ⌊b/g⌋)/q⌋
            return FloorSize(symbol, offset, inner).step(shift // common, divisor // common)
    base = lcm(*(d for _, _, d in terms))
    rise = sum(c * (base // d) for c, _, d in terms)  # the sum grows by this when s grows by base
    period = base * (divisor // gcd(rise, divisor))
    if period > MAX_MODULUS:
        return _sympy_floor(symbol, terms, shift, divisor)

    def value(s: int) -> int:
        return (sum(c * ((s + o) // d) for c, o, d in terms) + shift) // divisor

    table = [value(s) for s in range(period + 1)]
    steps = [(table[v] - table[v - 1], period - v, period) for v in range(1, period) if table[v] != table[v - 1]]
    if len(steps) >= MAX_SIZE_TERMS:
        return _sympy_floor(symbol, terms, shift, divisor)
    whole = table[period] - table[0] - sum(c for c, _, _ in steps)  # the coefficient of ⌊s/T⌋ left
    return linear(symbol, [*steps, (whole, 0, period)] if whole else steps, table[0])


def _sympy_floor(symbol: str, terms: tuple[tuple[int, int, int], ...], shift: int, divisor: int) -> Size:
    inner = linear(symbol, list(terms), shift)
    return as_expr(floor_div(_sympy_size(inner), divisor))


def evaluate_size(size: FloorSize | LinearSize, value: int) -> int:
    """The size at ``symbol = value``, exactly.

    >>> evaluate_size(FloorSize("n", 1, 2), 224), evaluate_size(LinearSize("n", ((2, 0, 16),), -4), 572)
    (112, 66)
    """
    if isinstance(size, FloorSize):
        return (value + size.offset) // size.divisor
    return size(value)


def smallest_positive(size: FloorSize | LinearSize) -> int | None:
    """The least value of the symbol from which the size is at least 1 (sizes grow with it), None if none
    up to :data:`~symcnn.limits.MAX_SYMBOL_VALUE`.

    >>> smallest_positive(FloorSize("n", -3, 32)), smallest_positive(LinearSize("n", ((2, 0, 16),), -4))
    (35, 48)
    """
    if isinstance(size, FloorSize):
        least = size.smallest_valid
        return least if least <= MAX_SYMBOL_VALUE else None
    low, high = 1, MAX_SYMBOL_VALUE
    if size(high) < 1:
        return None
    while low < high:  # every operation that builds a size keeps it non-decreasing in the symbol
        middle = (low + high) // 2
        if size(middle) >= 1:
            high = middle
        else:
            low = middle + 1
    return low


def difference(first: Size, second: Size) -> tuple[int, int, list[int]] | None:
    """first − second as (period T, rise per period K, values at 0 … T−1), when both are sums of
    floors of one symbol (and T ≤ :data:`~symcnn.limits.MAX_MODULUS`); else None.

    >>> difference(FloorSize("n", 0, 8), scaled(FloorSize("n", 0, 16), 2, 0))
    (16, 0, [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1])
    """
    symbols = {size.symbol for size in (first, second) if isinstance(size, (FloorSize, LinearSize))}
    if len(symbols) != 1 or not all(isinstance(size, (int, FloorSize, LinearSize)) for size in (first, second)):
        return None
    terms_a, shift_a = _terms(first)
    terms_b, shift_b = _terms(second)
    terms = [*terms_a, *((-c, o, d) for c, o, d in terms_b)]
    period = lcm(*(d for _, _, d in terms))
    if period > MAX_MODULUS:
        return None

    def value(s: int) -> int:
        return sum(c * ((s + o) // d) for c, o, d in terms) + shift_a - shift_b

    values = [value(s) for s in range(period)]
    return period, value(period) - values[0], values


def _sympy_size(size: Size) -> Shown:
    if isinstance(size, FloorSize):
        return size.expr()
    if isinstance(size, LinearSize):
        import sympy

        return as_expr(sum((c * size_atom(size.symbol, o, d) for c, o, d in size.terms), sympy.Integer(size.shift)))
    return size


def size_expr(size: Size) -> Value:
    """The size as a value: an int, a :class:`~symcnn.poly.Poly` atom, or a sympy expression.

    >>> size_expr(7), size_expr(FloorSize("n", 1, 2))
    (7, floor(n/2 + 1/2))
    """
    if isinstance(size, FloorSize):
        return _atom(size.symbol, size.offset, size.divisor)
    if isinstance(size, LinearSize):
        result: Value = size.shift
        for coefficient, offset, divisor in size.terms:
            result = result + coefficient * _atom(size.symbol, offset, divisor)
        return result
    return size


@lru_cache(maxsize=_ATOMS_KEPT)
def _atom(name: str, offset: int, divisor: int) -> Poly:
    return Poly.atom(name, offset, divisor)  # one object per size: its hash is worked out once
