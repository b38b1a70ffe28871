"""Printing values as text and as LaTeX: grouped digits, one fraction per floor.

sympy prints ``floor((n + 3)/32)`` as ``floor(n/32 + 3/32)`` and has no
thousands separator; the two printers here print ``⌊(n + 3)/32⌋`` and
``35,597,096`` (text) or ``\\left\\lfloor \\frac{n + 3}{32} \\right\\rfloor``
and ``35{,}597{,}096`` (LaTeX). Plain Python ints go through the same helpers.

>>> from symcnn.values import symbol
>>> n = symbol("n")
>>> text(2097152 * sympy.floor(n / 32) ** 2 + 35597096)
'2,097,152·⌊n/32⌋² + 35,597,096'
>>> latex(sympy.floor(n / 32 + sympy.Rational(3, 32)))
'\\\\left\\\\lfloor \\\\frac{n + 3}{32} \\\\right\\\\rfloor'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from ..values import Value, as_int

_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


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


def _fraction(arg: sympy.Basic) -> tuple[sympy.Expr, sympy.Expr]:
    """The argument of a floor as one numerator over one denominator."""
    numerator, denominator = sympy.fraction(sympy.together(arg))  # type: ignore[no-untyped-call]
    return numerator, denominator


class TextPrinter(StrPrinter):
    """Unicode text: ``2,048·n² + ⌊(n + 3)/32⌋``."""

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        super().__init__(settings)  # type: ignore[no-untyped-call]

    def print(self, expr: object) -> str:
        """``expr`` as text."""
        return str(self.doprint(expr))  # type: ignore[no-untyped-call]

    def _paren(self, expr: sympy.Basic, level: int, strict: bool = False) -> str:
        return str(self.parenthesize(expr, level, strict=strict))  # type: ignore[no-untyped-call]

    def _print_Integer(self, expr: sympy.Integer) -> str:
        return group(int(expr))

    def _print_int(self, expr: int) -> str:
        return group(expr)

    def _print_Rational(self, expr: sympy.Rational) -> str:
        return f"{group(int(expr.p))}/{group(int(expr.q))}"

    def _print_Mul(self, expr: sympy.Mul) -> str:
        # Every factor is printed by this printer, and none prints a "*" (powers
        # use superscripts), so each "*" left is a product sign.
        return str(super()._print_Mul(expr)).replace("*", "·")  # type: ignore[no-untyped-call]

    def _print_Pow(self, expr: sympy.Pow, rational: bool = False) -> str:
        base = self._paren(expr.base, PRECEDENCE["Pow"])
        exponent = as_int(expr.exp)
        if exponent is not None:
            power = base + str(abs(exponent)).translate(_SUPERSCRIPTS) if abs(exponent) != 1 else base
            return power if exponent >= 0 else f"1/{power}"
        return f"{base}^{self._paren(expr.exp, PRECEDENCE['Pow'], strict=True)}"

    def _print_floor(self, expr: sympy.floor) -> str:
        return self._rounded(expr, "⌊", "⌋")

    def _print_ceiling(self, expr: sympy.ceiling) -> str:
        return self._rounded(expr, "⌈", "⌉")

    def _rounded(self, expr: sympy.Expr, left: str, right: str) -> str:
        numerator, denominator = _fraction(expr.args[0])
        if denominator == 1:
            return f"{left}{self._print(numerator)}{right}"
        top = self._paren(numerator, PRECEDENCE["Mul"], strict=True)
        bottom = self._paren(denominator, PRECEDENCE["Mul"], strict=True)
        if isinstance(denominator, sympy.Mul):
            bottom = f"({bottom})"
        return f"{left}{top}/{bottom}{right}"


class TexPrinter(LatexPrinter):
    """LaTeX: ``2{,}048 \\cdot n^{2}``, one ``\\frac`` inside each floor."""

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        super().__init__({"mul_symbol": "dot", **(settings or {})})  # type: ignore[no-untyped-call]

    def print(self, expr: object) -> str:
        """``expr`` as LaTeX."""
        return str(self.doprint(expr))

    def _print_Integer(self, expr: sympy.Integer) -> str:
        return latex_group(int(expr))

    def _print_int(self, expr: int) -> str:
        return latex_group(expr)

    def _print_Rational(self, expr: sympy.Rational) -> str:
        if expr.q == 1:
            return latex_group(int(expr.p))
        sign = "- " if expr.p < 0 else ""
        return rf"{sign}\frac{{{latex_group(abs(int(expr.p)))}}}{{{latex_group(int(expr.q))}}}"

    def _print_floor(self, expr: sympy.floor, exp: str | None = None) -> str:
        return self._rounded(expr, r"\lfloor", r"\rfloor", exp)

    def _print_ceiling(self, expr: sympy.ceiling, exp: str | None = None) -> str:
        return self._rounded(expr, r"\lceil", r"\rceil", exp)

    def _rounded(self, expr: sympy.Expr, left: str, right: str, exp: str | None) -> str:
        numerator, denominator = _fraction(expr.args[0])
        inner = self._print(numerator)
        if denominator != 1:
            inner = rf"\frac{{{inner}}}{{{self._print(denominator)}}}"
        tex = rf"\left{left} {inner} \right{right}"
        return tex if exp is None else f"{tex}^{{{exp}}}"


_TEXT = TextPrinter()
_TEX = TexPrinter()


def text(value: Value) -> str:
    """A value as unicode text, digits grouped.

    >>> from symcnn.values import symbol
    >>> text(35597096), text(607 * symbol("n") ** 2 / 2 + 9192)
    ('35,597,096', '607·n²/2 + 9,192')
    """
    number = as_int(value)
    return group(number) if number is not None else _TEXT.print(value)


def latex(value: Value) -> str:
    """A value as LaTeX, digits grouped as ``35{,}597{,}096``.

    >>> from symcnn.values import symbol
    >>> latex(2048 * symbol("n") ** 2 + 35597096)
    '2{,}048 \\\\cdot n^{2} + 35{,}597{,}096'
    """
    number = as_int(value)
    return latex_group(number) if number is not None else _TEX.print(value)


def _factor(value: Value, printer: TextPrinter | TexPrinter) -> str:
    number = as_int(value)
    if number is not None:
        return str(number)  # a size or a channel count: 4096, as the paper writes it
    printed = printer.print(value)
    return f"({printed})" if isinstance(value, sympy.Add) else printed


def text_factors(factors: Iterable[Value], sign: str = "×") -> str:
    """A shape or a product written factor by factor: ``64×⌊n/2⌋×⌊n/2⌋``.

    >>> text_factors((64, 112, 112))
    '64×112×112'
    """
    return sign.join(_factor(value, _TEXT) for value in factors)


def latex_factors(factors: Iterable[Value], sign: str = r" \times ") -> str:
    """A shape or a product as LaTeX: ``64 \\times 112 \\times 112``.

    >>> latex_factors((64, 112, 112))
    '64 \\\\times 112 \\\\times 112'
    """
    return sign.join(_factor(value, _TEX) for value in factors)


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
    if not isinstance(value, sympy.Add):
        return [latex(value)]
    terms: list[str] = []
    for index, term in enumerate(_TEX._as_ordered_terms(value, order=None)):  # type: ignore[no-untyped-call]
        sign = "" if index == 0 else "+ "
        if index and term.could_extract_minus_sign():
            sign, term = "- ", -term
        printed = _TEX.print(term)
        if _TEX._needs_add_brackets(term):
            printed = rf"\left({printed}\right)"
        terms.append(sign + printed)
    return terms


class InlineTexPrinter(TexPrinter):
    """LaTeX for running text and table cells: ``\\lfloor (n + 3)/32 \\rfloor``, ``607 \\cdot n^{2} / 2``.

    A ``\\frac`` in text style is set too small to read; here floors, ceilings
    and short fractions use a slash.
    """

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        super().__init__({"fold_short_frac": True, **(settings or {})})

    def _rounded(self, expr: sympy.Expr, left: str, right: str, exp: str | None) -> str:
        numerator, denominator = _fraction(expr.args[0])
        inner = self._print(numerator)
        if denominator != 1:
            top = f"({inner})" if isinstance(numerator, sympy.Add) else inner
            bottom = self._print(denominator)
            inner = f"{top}/({bottom})" if isinstance(denominator, sympy.Mul) else f"{top}/{bottom}"
        tex = rf"{left} {inner} {right}"
        return tex if exp is None else f"{tex}^{{{exp}}}"


_TEX_INLINE = InlineTexPrinter()


def latex_inline(value: Value) -> str:
    """A value as LaTeX for text and table cells: floors with a slash, digits grouped.

    >>> from symcnn.values import symbol
    >>> latex_inline(2097152 * sympy.floor((symbol("n") + 3) / 32) ** 2 + 4096)
    '2{,}097{,}152 \\\\cdot \\\\lfloor (n + 3)/32 \\\\rfloor^{2} + 4{,}096'
    """
    number = as_int(value)
    return latex_group(number) if number is not None else _TEX_INLINE.print(value)


def latex_inline_factors(factors: Iterable[Value], sign: str = r" \times ") -> str:
    """A shape or a product as :func:`latex_factors` does, floors with a slash.

    >>> from symcnn.values import symbol
    >>> latex_inline_factors((512, sympy.floor(symbol("n") / 32)), r" \\cdot ")
    '512 \\\\cdot \\\\lfloor n/32 \\\\rfloor'
    """
    return sign.join(_factor(value, _TEX_INLINE) for value in factors)
