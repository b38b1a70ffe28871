"""Spatial sizes as ⌊(s + B)/S⌋: the floor algebra sympy lacks.

sympy keeps ⌊⌊n/2⌋/2⌋ nested whatever one asks of it. For a positive integer
divisor the identity ⌊(⌊(s + B)/S⌋ + A)/q⌋ = ⌊(s + B + S·A)/(S·q)⌋ holds, so a
size that depends on one input symbol ``s`` after any number of convolutions
and poolings is a single :class:`FloorSize`: three ints. A size that depends on
a symbolic stride or kernel falls back to a sympy expression.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, TypeAlias

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


@cache
def size_atom(name: str, offset: int, divisor: int) -> sympy.Expr:
    """The sympy expression of the size ⌊(name + offset)/divisor⌋ (what a :class:`~symcnn.poly.Poly` atom shows)."""
    quotient, remainder = divmod(offset, divisor)
    return as_expr(floor_atom(name, remainder, divisor) + quotient)


@cache
def floor_atom(name: str, remainder: int, divisor: int) -> sympy.Expr:
    """⌊(name + remainder)/divisor⌋, built once (sympy objects are costly)."""
    if divisor == 1:
        return as_expr(symbol(name) + remainder)
    import sympy

    # evaluate=False: sympy's floor() would spend ~14 ms proving what is known here,
    # that ⌊(n + r)/S⌋ with 0 ≤ r < S < ∞ and S > 1 does not simplify.
    atom = as_expr(sympy.floor((symbol(name) + remainder) / sympy.Integer(divisor), evaluate=False))
    ATOM_KEYS[atom] = (name, remainder, divisor)
    return atom


# (symbol, r, S) of every atom ⌊(symbol + r)/S⌋ built here: closed forms read them
# back without asking sympy (whose small cache makes that slow in big sessions).
ATOM_KEYS: dict[sympy.Expr, tuple[str, int, int]] = {}


Size: TypeAlias = "int | FloorSize | sympy.Expr"


def step(size: Size, shift: Value, divisor: Value) -> Size:
    """⌊(size + shift) / divisor⌋ in the cheapest exact form.

    >>> step(224, -1, 2), step(FloorSize("n", 0, 1), 1, 2)
    (111, FloorSize(symbol='n', offset=1, divisor=2))
    """
    if isinstance(shift, int) and isinstance(divisor, int):
        if isinstance(size, int):
            return (size + shift) // divisor
        if isinstance(size, FloorSize):
            return size.step(shift, divisor)
    if isinstance(divisor, int) and divisor == 1:
        # Sizes, kernels and paddings are integers: ⌊x/1⌋ = x. sympy's floor() would take ~1 ms
        # to prove it, per layer with a symbolic kernel or padding (conv{k}-8x800 took 2 s).
        return as_expr(_sympy_size(size) + shift)
    return as_expr(floor_div(_sympy_size(size) + shift, divisor))


def _sympy_size(size: Size) -> Shown:
    return size.expr() if isinstance(size, FloorSize) else size


def size_expr(size: Size) -> Value:
    """The size as a value: an int, a :class:`~symcnn.poly.Poly` atom, or a sympy expression.

    >>> size_expr(7), size_expr(FloorSize("n", 1, 2))
    (7, floor(n/2 + 1/2))
    """
    if isinstance(size, FloorSize):
        return _atom(size.symbol, size.offset, size.divisor)
    return size


@cache
def _atom(name: str, offset: int, divisor: int) -> Poly:
    return Poly.atom(name, offset, divisor)  # one object per size: its hash is worked out once
