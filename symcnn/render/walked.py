"""The expressions the fast printers walk, and sympy's order of their terms and factors.

The family: numbers, symbols, floors and ceilings, and sums, products and
positive integer powers of them that sympy's printers print term by term
(:func:`walkable`). For such an expression the order of the terms of a sum
(``as_ordered_terms``) and of the factors of a product (a factor's
``sort_key``) is worked out here as sympy works it out, once per node: sympy's
own took most of a second for a thousand rows each with a sum of its own (a
symbolic kernel), its sort keys recomputing the terms of every sum inside and
its ``complex`` of every coefficient going through mpmath.
tests/test_render_speed_equivalence.py checks both against sympy, node by node.

>>> from symcnn.dims import floor_atom
>>> from symcnn.values import symbol
>>> n, w = symbol("n"), symbol("w")
>>> value = n + 3 * w + 6 * floor_atom("n", 1, 2) - 294
>>> terms(value) == tuple(value.as_ordered_terms()), sort_key(value) == value.sort_key()
(True, True)
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sympy

from ..dims import ATOM_KEYS
from .sympy_printers import as_integer

ROUNDINGS = (sympy.floor, sympy.ceiling)
_ONE_KEY = sympy.S.One.sort_key()
# Entries kept per cache (and per printer of symcnn.render.expressions) before it is emptied:
# a session printing many networks.
MEMORY = 1 << 15


@lru_cache(maxsize=MEMORY)
def walkable(expr: sympy.Basic) -> bool:
    """Whether ``expr`` is a number, a symbol, a floor or ceiling, or a sum,
    product or positive integer power the walk prints as sympy does."""
    if isinstance(expr, sympy.Rational) or type(expr) is sympy.Symbol or type(expr) in ROUNDINGS:
        return True
    if isinstance(expr, sympy.Pow):
        return _factor_walkable(expr)
    if isinstance(expr, sympy.Mul):
        coefficient, factors = _split(expr)
        # A lone sum times a number is no product sympy keeps (it distributes the number).
        lone_sum = len(factors) == 1 and isinstance(factors[0], sympy.Add)
        return coefficient is not None and bool(factors) and not lone_sum and all(map(_factor_walkable, factors))
    if isinstance(expr, sympy.Add):
        return all(not isinstance(term, sympy.Add) and walkable(term) for term in expr.args)
    return False


def _factor_walkable(expr: sympy.Basic) -> bool:
    """A factor of a walked product: a symbol, a floor, a sum, or one of them to a power of 2 or more."""
    if isinstance(expr, sympy.Pow):
        exponent = as_integer(expr.exp)
        if exponent is None or exponent < 2 or isinstance(expr.base, sympy.Pow):
            return False
        expr = expr.base
    if type(expr) is sympy.Symbol or type(expr) in ROUNDINGS:
        return True
    return isinstance(expr, sympy.Add) and walkable(expr)


def _split(expr: sympy.Basic) -> tuple[sympy.Rational | None, tuple[sympy.Basic, ...]]:
    """A product's rational coefficient (1 when it has none; None when it is not rational,
    or when the product is unevaluated) and its other factors, in their order."""
    args = expr.args
    first = args[0]
    if first is sympy.S.One or any(isinstance(arg, sympy.Number) for arg in args[1:]):
        return None, args
    if isinstance(first, sympy.Number):
        return (first, args[1:]) if isinstance(first, sympy.Rational) else (None, args)
    return sympy.Integer(1), args


@lru_cache(maxsize=MEMORY)
def sort_key(expr: sympy.Basic) -> Any:
    """sympy's ``expr.sort_key()``, worked out here for a walkable sum, product or power.

    sympy's own recomputes the ordered terms of every sum inside (its cache
    holds 1,000 entries); this one keeps them. Numbers, symbols and anything
    outside the family are sympy's.
    """
    if isinstance(expr, (sympy.Rational, sympy.Symbol)) or not walkable(expr):
        return expr.sort_key()
    coefficient: sympy.Basic = sympy.S.One
    body = expr
    if isinstance(expr, sympy.Mul):
        args = expr.args
        if isinstance(args[0], sympy.Number):
            coefficient, args = args[0], args[1:]
        if len(args) > 1:  # sympy's as_ordered_factors
            keys = tuple(sorted(map(sort_key, args)))
            return _class_key(sympy.Mul), (len(keys), keys), _ONE_KEY, coefficient
        body = args[0]
    exponent: sympy.Basic = sympy.S.One
    if isinstance(body, sympy.Pow):
        body, exponent = body.args
    if type(body) is sympy.Symbol:
        keys = (str(body),)
    elif isinstance(body, sympy.Add):
        keys = tuple(map(sort_key, terms(body)))
    else:  # a floor or a ceiling
        keys = tuple(map(sort_key, body.args))
    return _class_key(type(body)), (len(keys), keys), exponent.sort_key(), coefficient


def _class_key(kind: type[sympy.Basic]) -> Any:
    """A class's ``class_key()`` (a function's builds a set of its numbers of arguments each time)."""
    key = _CLASS_KEYS.get(kind)
    if key is None:
        key = _CLASS_KEYS[kind] = kind.class_key()
    return key


_CLASS_KEYS: dict[type[sympy.Basic], Any] = {}


@lru_cache(maxsize=MEMORY)
def product(expr: sympy.Basic) -> tuple[int, int, tuple[sympy.Basic, ...]]:
    """A walked product as p, q (its coefficient p/q) and its factors in sympy's order."""
    coefficient, factors = _split(expr)
    assert coefficient is not None
    return int(coefficient.p), int(coefficient.q), tuple(sorted(factors, key=sort_key))


@lru_cache(maxsize=MEMORY)
def terms(expr: sympy.Basic) -> tuple[sympy.Basic, ...]:
    """A sum's terms in the order sympy's printers print them (``as_ordered_terms``).

    For a walkable sum, worked out here as sympy does it: each term's factors
    as powers of bases (its generators, ordered by their sort keys), the terms
    by their exponents, highest first, then by coefficient; only without
    sympy's ``complex`` of every coefficient and its sort keys.
    """
    if not walkable(expr):
        return tuple(expr.as_ordered_terms())  # type: ignore[attr-defined]
    args = expr.args
    if len(args) == 2:  # sympy's special case: a positive number and a negative multiple, in that order
        number, other = sorted(args, key=lambda arg: not isinstance(arg, sympy.Number))
        if (
            isinstance(number, sympy.Number)
            and isinstance(other, sympy.Mul)
            and len(other.args) == 2
            and isinstance(other.args[0], sympy.Number)
            and number > 0
            and other.args[0] < 0
        ):
            return number, other
    generators: set[sympy.Basic] = set()
    split = []
    for term in args:
        coefficient: int | sympy.Rational = 1
        factors = term.args if isinstance(term, sympy.Mul) else (term,)
        if isinstance(term, sympy.Rational):
            coefficient, factors = term, ()
        elif isinstance(factors[0], sympy.Rational):  # a walked product's coefficient is rational
            coefficient, factors = factors[0], factors[1:]
        powers = {}
        for factor in factors:
            base, exponent = factor.args if isinstance(factor, sympy.Pow) else (factor, 1)
            powers[base] = int(exponent)
            generators.add(base)
        split.append((term, _float(coefficient), powers))
    order = {base: index for index, base in enumerate(sorted(generators, key=sort_key))}
    keyed = []
    for term, real, powers in split:
        monomial = [0] * len(order)
        for base, exponent in powers.items():
            monomial[order[base]] = -exponent
        keyed.append(((tuple(monomial), real), term))
    return tuple(term for _, term in sorted(keyed, key=lambda pair: pair[0]))


def _float(number: int | sympy.Rational) -> float:
    """``complex(number).real``, as sympy's ``as_terms`` compares coefficients."""
    if isinstance(number, int):
        return float(number)
    try:
        return int(number.p) / int(number.q)
    except OverflowError:
        return float(number)


def atom_key(expr: sympy.Basic) -> tuple[str, int, int] | None:
    """(name, r, S) of a floor atom ⌊(name + r)/S⌋ with 0 ≤ r < S and S > 1, built by symcnn."""
    key = ATOM_KEYS.get(expr) if type(expr) is sympy.floor else None  # type: ignore[call-overload]
    if key is None:
        return None
    _, remainder, divisor = key
    return key if 0 <= remainder < divisor and divisor > 1 else None
