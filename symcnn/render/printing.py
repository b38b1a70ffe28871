"""Printing values as text and as LaTeX: grouped digits, one fraction per floor.

sympy prints ``floor((n + 3)/32)`` as ``floor(n/32 + 3/32)`` and has no
thousands separator; here values print as ``⌊(n + 3)/32⌋`` and ``35,597,096``
(text) or ``\\left\\lfloor \\frac{n + 3}{32} \\right\\rfloor`` and ``35{,}597{,}096``
(LaTeX). A Python int is printed here, without sympy; a symbolic value by
:mod:`symcnn.render.expressions`, which imports sympy on first use.

>>> import sympy
>>> from symcnn.values import symbol
>>> n = symbol("n")
>>> text(2097152 * sympy.floor(n / 32) ** 2 + 35597096)
'2,097,152·⌊n/32⌋² + 35,597,096'
>>> latex(sympy.floor(n / 32 + sympy.Rational(3, 32)))
'\\\\left\\\\lfloor \\\\frac{n + 3}{32} \\\\right\\\\rfloor'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from ..values import as_expr, as_int

if TYPE_CHECKING:
    import sympy

    from ..values import Value

SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def group(number: int) -> str:
    """An integer with its digits grouped by commas.

    >>> group(138357544), group(-1234)
    ('138,357,544', '-1,234')
    """
    return f"{int(number):,}"


def latex_group(number: int) -> str:
    """An integer with its digits grouped as LaTeX likes them: ``35{,}597{,}096``.

    >>> latex_group(35597096)
    '35{,}597{,}096'
    """
    return group(number).replace(",", "{,}")


@lru_cache(maxsize=256)
def latex_symbol(name: str) -> str:
    """A symbol's name as LaTeX, as sympy writes it (a single letter as it is).

    >>> latex_symbol("n"), latex_symbol("k_h")
    ('n', 'k_{h}')
    """
    if len(name) == 1 and name.isascii() and name.isalpha():
        return name  # sympy's name handling (Greek letters, sub- and superscripts) needs more letters
    from .sympy_printers import tex_symbol

    return tex_symbol(name)


def _show(value: sympy.Expr, kind: str) -> str:
    """A symbolic value printed by the walk ``kind`` (sympy is imported on first use)."""
    from .expressions import show

    return show(value, kind)


def text(value: Value) -> str:
    """A value as unicode text, digits grouped.

    >>> from symcnn.values import symbol
    >>> text(35597096), text(607 * symbol("n") ** 2 / 2 + 9192)
    ('35,597,096', '607·n²/2 + 9,192')
    """
    return group(value) if isinstance(value, int) else _show(as_expr(value), "text")


def plain(value: Value) -> str:
    """A value as sympy's ``str`` writes it, which ``sympy.parse_expr`` reads back.

    >>> from symcnn.values import symbol
    >>> plain(2048), plain(2048 * symbol("n") ** 2 + 35597096)
    ('2048', '2048*n**2 + 35597096')
    """
    return str(value) if isinstance(value, int) else _show(as_expr(value), "plain")


def latex(value: Value) -> str:
    """A value as LaTeX, digits grouped as ``35{,}597{,}096``.

    >>> from symcnn.values import symbol
    >>> latex(2048 * symbol("n") ** 2 + 35597096)
    '2{,}048 \\\\cdot n^{2} + 35{,}597{,}096'
    """
    return latex_group(value) if isinstance(value, int) else _show(as_expr(value), "tex")


def latex_inline(value: Value) -> str:
    """A value as LaTeX for text and table cells: floors with a slash, digits grouped.

    >>> import sympy
    >>> from symcnn.values import symbol
    >>> latex_inline(2097152 * sympy.floor((symbol("n") + 3) / 32) ** 2 + 4096)
    '2{,}097{,}152 \\\\cdot \\\\lfloor (n + 3)/32 \\\\rfloor^{2} + 4{,}096'
    """
    return latex_group(value) if isinstance(value, int) else _show(as_expr(value), "inline")


def _factors(factors: Iterable[Value], sign: str, kind: str) -> str:
    """Factors joined by ``sign``: numbers as the paper writes them (4096), sums in parentheses."""
    printed = []
    for value in factors:
        if isinstance(value, int):
            printed.append(str(value))
        else:
            from .expressions import factor

            printed.append(factor(as_expr(value), kind))
    return sign.join(printed)


def text_factors(factors: Iterable[Value], sign: str = "×") -> str:
    """A shape or a product written factor by factor: ``64×⌊n/2⌋×⌊n/2⌋``.

    >>> text_factors((64, 112, 112))
    '64×112×112'
    """
    return _factors(factors, sign, "text")


def latex_factors(factors: Iterable[Value], sign: str = r" \times ") -> str:
    """A shape or a product as LaTeX: ``64 \\times 112 \\times 112``.

    >>> latex_factors((64, 112, 112))
    '64 \\\\times 112 \\\\times 112'
    """
    return _factors(factors, sign, "tex")


def latex_inline_factors(factors: Iterable[Value], sign: str = r" \times ") -> str:
    """A shape or a product as :func:`latex_factors` does, floors with a slash.

    >>> import sympy
    >>> from symcnn.values import symbol
    >>> latex_inline_factors((512, sympy.floor(symbol("n") / 32)), r" \\cdot ")
    '512 \\\\cdot \\\\lfloor n/32 \\\\rfloor'
    """
    return _factors(factors, sign, "inline")


def _kept(factors: Sequence[Value]) -> list[Value]:
    """The factors that are not 1 (at least one kept)."""
    kept = [factor for factor in factors if as_int(factor) != 1]
    return kept or list(factors[:1])


def weight_formula(factors: Sequence[Value], weights: Value) -> str:
    """The weights of a layer as factors and value: ``3·3·3·64 = 1,728``.

    ``factors`` is a geometry's ``weight_factors``, ``weights`` their product
    as the analysis computed it; factors equal to 1 are left out.

    >>> weight_formula((512, 7, 7, 4096), 102760448)
    '512·7·7·4096 = 102,760,448'
    >>> weight_formula((64, 1, 1, 10), 640), weight_formula((), 0), weight_formula((64,), 64)
    ('64·10 = 640', '0', '64')
    """
    value = text(weights)
    if not factors:
        return value
    formula = text_factors(_kept(factors), "·")
    return value if formula == value else f"{formula} = {value}"


def latex_weight_formula(factors: Sequence[Value], weights: Value) -> str:
    """The weight formula as LaTeX: ``3 \\cdot 3 \\cdot 3 \\cdot 64 = 1{,}728``.

    >>> latex_weight_formula((3, 3, 3, 64), 1728)
    '3 \\\\cdot 3 \\\\cdot 3 \\\\cdot 64 = 1{,}728'
    """
    value = latex(weights)
    if not factors:
        return value
    formula = latex_factors(_kept(factors), r" \cdot ")
    return value if formula == value else f"{formula} = {value}"


def latex_terms(value: Value) -> list[str]:
    """A sum as LaTeX, one string per term, each after the first with its sign (+ or −).

    Joined with spaces the terms give :func:`latex` of the sum, so a long
    closed form can be broken over lines between terms.

    >>> from symcnn.values import symbol
    >>> form = 2048 * symbol("n") ** 2 - 96 * symbol("n") + 35597096
    >>> latex_terms(form)
    ['2{,}048 \\\\cdot n^{2}', '- 96 \\\\cdot n', '+ 35{,}597{,}096']
    >>> " ".join(latex_terms(form)) == latex(form), latex_terms(5)
    (True, ['5'])
    """
    if isinstance(value, int):
        return [latex_group(value)]
    from .expressions import tex_terms

    return tex_terms(as_expr(value))
