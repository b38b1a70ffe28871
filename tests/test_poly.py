"""The analysis's polynomial algebra against plain integer arithmetic and against sympy.

Each random expression is built twice: once from :class:`symcnn.poly.Poly` atoms, and
once as a Python function on ints that computes every size ⌊(n + B)/S⌋ with ``//``.
Their values must agree at every n, and so must the closed forms derived from the Poly
(general form, polynomial form where n is a multiple of the lcm) and its sympy form.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symcnn.poly import Poly, canonical, compile_counts, polynomial_form
from symcnn.values import product, symbol, total

Built = tuple[object, Callable[[int], int]]

atoms = st.tuples(st.integers(-40, 40), st.sampled_from([1, 1, 2, 3, 4, 8, 32])).map(
    lambda pair: (Poly.atom("n", *pair), lambda n, b=pair[0], s=pair[1]: (n + b) // s)
)


def _combine(children: st.SearchStrategy[Built]) -> st.SearchStrategy[Built]:
    numbers = st.integers(-1000, 1000).map(lambda c: (c, lambda n, c=c: c))
    operand = st.one_of(children, numbers)
    add = st.tuples(operand, operand).map(lambda p: (p[0][0] + p[1][0], lambda n, p=p: p[0][1](n) + p[1][1](n)))
    sub = st.tuples(operand, operand).map(lambda p: (p[0][0] - p[1][0], lambda n, p=p: p[0][1](n) - p[1][1](n)))
    mul = st.tuples(operand, operand).map(lambda p: (p[0][0] * p[1][0], lambda n, p=p: p[0][1](n) * p[1][1](n)))
    return st.one_of(add, sub, mul)


expressions = st.recursive(atoms, _combine, max_leaves=8)
sizes = st.lists(st.integers(1, 5000), min_size=1, max_size=8)


@settings(max_examples=300, deadline=None)
@given(expressions, sizes)
def test_poly_values_equal_integer_arithmetic(built: Built, ns: list[int]) -> None:
    value, direct = built
    for n in ns:
        expected = direct(n)
        got = value.evaluate({"n": n}) if isinstance(value, Poly) else value
        assert got == expected
        general = canonical(value)
        assert (general.evaluate({"n": n}) if isinstance(general, Poly) else general) == expected


@settings(max_examples=150, deadline=None)
@given(expressions, sizes)
def test_sympy_form_and_compiled_form_agree(built: Built, ns: list[int]) -> None:
    value, direct = built
    if not isinstance(value, Poly):
        return
    expr = value.as_sympy()
    count = compile_counts(value, "n")
    for n in ns[:3]:
        assert int(expr.subs(symbol("n"), n)) == direct(n) == count(n)


@settings(max_examples=200, deadline=None)
@given(expressions, st.lists(st.integers(1, 60), min_size=1, max_size=5))
def test_polynomial_form_holds_on_multiples(built: Built, multipliers: list[int]) -> None:
    value, direct = built
    form, multiple_of = polynomial_form(canonical(value))
    step = multiple_of.get("n", 1)
    for m in multipliers:
        n = step * m
        got = form.evaluate({"n": n}) if isinstance(form, Poly) else form
        assert got == direct(n)


def test_totals_and_products_mix_ints_polys_and_sympy() -> None:
    half = Poly.atom("n", 1, 2)
    channels = symbol("c")
    mixed = product([3, half, channels])  # a symbol that is no size: sympy from there on
    assert isinstance(mixed, sympy.Expr)
    assert mixed.subs({symbol("n"): 9, channels: 7}) == 3 * 5 * 7
    summed = total([1, half, 2 * half, channels])
    assert isinstance(summed, sympy.Expr)
    assert summed.subs({symbol("n"): 9, channels: 7}) == 1 + 3 * 5 + 7
    assert total([half, -half, 4]) == 4  # no atom left: a plain int again
    assert isinstance(total([half, -half, 4]), int)
