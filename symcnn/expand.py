"""Multiplying a sympy expression out in dict algebra: sympy.expand's result at a fraction of its cost.

``sympy.expand`` rebuilds and re-sorts every intermediate sum while it distributes;
a count over a network whose kernels are symbols (``conv{k}-224x95``) spent a second
in it. Here a sum is a dict from monomials (frozensets of (atom, exponent)) to
exact coefficients, so multiplying out is dict work and sympy builds only the
result. Anything this algebra does not cover (a sum under a negative or fractional
power, a float, a function of an unexpanded sum) goes to ``sympy.expand`` whole.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING, TypeAlias

from .errors import SymcnnError
from .limits import MAX_EXPANDED_TERMS

if TYPE_CHECKING:
    import sympy

Monomial: TypeAlias = "frozenset[tuple[sympy.Expr, int]]"
Terms: TypeAlias = "dict[Monomial, int | Fraction]"
_ONE: Monomial = frozenset()


class _Uncovered(Exception):
    """An expression this algebra does not multiply out (sympy's expand takes it)."""


def expand(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` as a sum of monomials, equal to ``sympy.expand(expr)``.

    >>> import sympy
    >>> n, k = sympy.symbols("n k", integer=True, positive=True)
    >>> expand(3 * (n - k + 1) ** 2 * sympy.floor(k / 2) - 3 * n**2 * sympy.floor(k / 2))
    3*k**2*floor(k/2) - 6*k*n*floor(k/2) - 6*k*floor(k/2) + 6*n*floor(k/2) + 3*floor(k/2)
    """
    import sympy

    try:
        terms = _terms(expr)
    except _Uncovered:
        return sympy.expand(expr)  # type: ignore[no-any-return, no-untyped-call]
    return sympy.Add(*(_monomial(monomial, coefficient) for monomial, coefficient in terms.items()))


def _monomial(monomial: Monomial, coefficient: int | Fraction) -> sympy.Expr:
    import sympy

    number = sympy.Rational(coefficient.numerator, coefficient.denominator)
    return sympy.Mul(number, *(sympy.Pow(atom, exponent) for atom, exponent in monomial))


@lru_cache(maxsize=4096)  # a network's totals share their layers' terms (and callers never mutate them)
def _terms(expr: sympy.Expr) -> Terms:
    import sympy

    if isinstance(expr, sympy.Rational):
        if not expr:
            return {}
        return {_ONE: int(expr.p) if expr.q == 1 else Fraction(int(expr.p), int(expr.q))}
    if isinstance(expr, sympy.Add):
        terms: Terms = {}
        for argument in expr.args:
            for monomial, coefficient in _terms(argument).items():
                terms[monomial] = terms.get(monomial, 0) + coefficient
        return {monomial: c for monomial, c in terms.items() if c}
    if isinstance(expr, sympy.Mul):
        product: Terms = {_ONE: 1}
        for factor in expr.args:
            product = _times(product, _terms(factor))
        return product
    if isinstance(expr, sympy.Pow) and isinstance(expr.exp, sympy.Integer):
        exponent = int(expr.exp)
        if isinstance(expr.base, (sympy.Add, sympy.Mul)):
            if exponent < 0:
                raise _Uncovered
            return _power(_terms(expr.base), exponent)
        return {frozenset({(_atom(expr.base), exponent)}): 1}
    return {frozenset({(_atom(expr), 1)}): 1}


def _atom(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` as an atom of a monomial: a symbol, or a function of expanded arguments (as deep expand leaves it)."""
    import sympy

    if isinstance(expr, sympy.Symbol):
        return expr
    if isinstance(expr, (sympy.Number, sympy.Pow)):
        raise _Uncovered  # a float, an irrational power …
    if not all(is_expanded(argument) for argument in expr.args if isinstance(argument, sympy.Expr)):
        raise _Uncovered
    return expr


def is_expanded(expr: sympy.Expr) -> bool:
    """Whether ``expr`` is already a sum of monomials (no sum inside a product or a power).

    >>> import sympy
    >>> n = sympy.Symbol("n")
    >>> is_expanded(3 * n**2 + 5), is_expanded(3 * (n + 1) ** 2)
    (True, False)
    """
    import sympy

    for term in sympy.Add.make_args(expr):
        for factor in sympy.Mul.make_args(term):
            base = factor.base if isinstance(factor, sympy.Pow) else factor
            if isinstance(base, (sympy.Add, sympy.Mul)):
                return False
    return True


def _times(first: Terms, second: Terms) -> Terms:
    if len(first) * len(second) > MAX_EXPANDED_TERMS * 8:
        raise SymcnnError(
            f"the closed form would have more than {MAX_EXPANDED_TERMS:,} terms once multiplied out; "
            "give some symbols a value (--set NAME=VALUE)"
        )
    terms: Terms = {}
    for a, x in first.items():
        for b, y in second.items():
            monomial = _merged(a, b)
            terms[monomial] = terms.get(monomial, 0) + x * y
    return {monomial: c for monomial, c in terms.items() if c}


def _merged(first: Monomial, second: Monomial) -> Monomial:
    if not first:
        return second
    if not second:
        return first
    exponents = dict(first)
    for atom, exponent in second:
        exponents[atom] = exponents.get(atom, 0) + exponent
    return frozenset((atom, exponent) for atom, exponent in exponents.items() if exponent)


def _power(base: Terms, exponent: int) -> Terms:
    if exponent > MAX_EXPANDED_TERMS:
        raise _Uncovered  # sympy's expand (or the caller's term limit) meets it
    result: Terms = {_ONE: 1}
    for _ in range(exponent):
        result = _times(result, base)
    return result
