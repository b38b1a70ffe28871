"""Values: Python ints where everything is known, sympy expressions otherwise.

Counting runs on plain ints whenever it can (a network evaluated at n = 224 never
touches sympy); a value becomes a sympy expression only through a symbol that
has no value yet. Nothing here goes through floats.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache, lru_cache
from typing import TYPE_CHECKING, TypeAlias

from .poly import Poly, add_all

if TYPE_CHECKING:
    import sympy

# sympy is imported only when a value needs a symbol (``symbol`` is the only way in):
# a network evaluated at numbers never pays its import (~0.4 s).
# Inside the analysis a count of sizes is a Poly (fast, exact); what it shows the world is sympy.
Value: TypeAlias = "int | Poly | sympy.Expr"
# A value as symcnn shows it (and as ``{…}`` expressions and symbols' values are): never a Poly.
Shown: TypeAlias = "int | sympy.Expr"


@cache
def symbol(name: str) -> sympy.Symbol:
    """The sympy symbol for ``name``: a positive integer, created once.

    >>> symbol("n").is_integer, symbol("n").is_positive
    (True, True)
    """
    import sympy

    # sympy imports its tensor module on the first Add it builds (~30 ms); doing it
    # here keeps that cost out of the first analysis.
    import sympy.tensor.tensor

    return sympy.Symbol(name, integer=True, positive=True)  # type: ignore[no-untyped-call]


def floor_div(numerator: Value, denominator: Value) -> Value:
    """⌊numerator / denominator⌋, exact for ints and for expressions.

    >>> floor_div(7, 2), floor_div(-7, 2)
    (3, -4)
    >>> floor_div(symbol("n") + 1, 2)
    floor(n/2 + 1/2)
    """
    if isinstance(numerator, int) and isinstance(denominator, int):
        return numerator // denominator
    import sympy

    ratio = sympy.Integer(numerator) / denominator if isinstance(numerator, int) else numerator / denominator
    return as_expr(sympy.floor(ratio))


def as_expr(value: object) -> sympy.Expr:
    """``value`` as a sympy expression: a Poly converted, anything else typed (sympy's own functions are untyped)."""
    if isinstance(value, Poly):
        return value.as_sympy()
    import sympy

    assert isinstance(value, sympy.Expr)
    return value


def public(value: Value) -> Shown:
    """``value`` as the analysis shows it: an int or a sympy expression, never a Poly."""
    return value.as_sympy() if isinstance(value, Poly) else value


def total(values: Iterable[Value]) -> Value:
    """The sum, kept an int while every term is one; one sympy ``Add`` otherwise.

    Growing a sympy sum term by term is quadratic; one ``Add`` is not.

    >>> total([1, 2, 3])
    6
    >>> total([1, symbol("n"), 2])
    n + 3
    """
    number = 0
    polys: list[Poly] = []
    terms: list[sympy.Expr] = []
    for value in values:
        if isinstance(value, int):
            number += value
        elif isinstance(value, Poly):
            polys.append(value)
        else:
            terms.append(value)
    if not terms:
        return add_all(polys) + number if polys else number
    import sympy

    return sympy.Add(*terms, *(poly.as_sympy() for poly in polys), number)


def product(values: Iterable[Value]) -> Value:
    """The product, an int while every factor is one (cached: layers repeat their shapes)."""
    return _product(tuple(values))


@lru_cache(maxsize=4096)
def _product(values: tuple[Value, ...]) -> Value:
    """
    >>> product([3, 3, 64])
    576
    >>> product([symbol("n") - 4, symbol("n") - 4, 6])
    6*(n - 4)**2
    """
    number = 1
    polys: Value = 1
    factors: list[sympy.Expr] = []
    for value in values:
        if isinstance(value, int):
            number *= value
        elif isinstance(value, Poly):
            polys = value * polys
        else:
            factors.append(value)
    if not factors:
        return polys * number
    import sympy

    if isinstance(polys, Poly):
        factors.append(polys.as_sympy())

    # One Mul keeps (n - 4)·(n - 4)·6 as 6·(n - 4)², not (6·n - 24)·(n - 4).
    return as_expr(sympy.Mul(number, *factors))


def as_int(value: Value) -> int | None:
    """``value`` as an int when it is a number, else None.

    >>> import sympy
    >>> as_int(sympy.Integer(5)), as_int(symbol("n"))
    (5, None)
    """
    if isinstance(value, int):
        return value
    if isinstance(value, Poly):  # never constant
        return None
    import sympy

    if isinstance(value, sympy.Integer):
        return int(value)
    return None
