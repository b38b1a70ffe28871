"""symcnn.expand multiplies out as sympy.expand does (the second route), on random expressions of counts."""

from __future__ import annotations

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symcnn.expand import expand

N, K, C = (sympy.Symbol(name, integer=True, positive=True) for name in "nkc")
LEAVES = [N, K, C, sympy.floor(K / 2), sympy.floor((N + 3) / 32), sympy.floor(N / 2 + K / 2)]


def _expressions() -> st.SearchStrategy[sympy.Expr]:
    leaf = st.one_of(
        st.sampled_from(LEAVES),
        st.integers(-50, 50).map(sympy.Integer),
        st.fractions(max_denominator=7).map(lambda f: sympy.Rational(f.numerator, f.denominator)),
    )
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.lists(inner, min_size=2, max_size=3).map(lambda args: sympy.Add(*args)),
            st.lists(inner, min_size=2, max_size=3).map(lambda args: sympy.Mul(*args)),
            st.tuples(inner, st.integers(0, 3)).map(lambda pair: sympy.Pow(pair[0], pair[1])),
        ),
        max_leaves=12,
    )


@settings(max_examples=300, deadline=None)
@given(_expressions())
def test_expand_equals_sympys(expr: sympy.Expr) -> None:
    ours = expand(expr)
    assert ours == sympy.expand(expr) or sympy.expand(ours - sympy.expand(expr)) == 0


def test_what_it_does_not_cover_goes_to_sympy() -> None:
    for expr in (
        1 / (N + 1) ** 2,
        sympy.sqrt(N + 1) * (N + 2),
        sympy.Float(1.5) * (N + 1),
        sympy.floor((N + 1) * (K + 1)),
    ):
        assert expand(expr) == sympy.expand(expr)
