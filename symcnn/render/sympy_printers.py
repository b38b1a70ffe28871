"""sympy's printers in symcnn's notation: the definition of what :mod:`symcnn.render.expressions` prints.

sympy prints ``floor((n + 3)/32)`` as ``floor(n/32 + 3/32)`` and has no
thousands separator; :class:`TextPrinter` prints ``⌊(n + 3)/32⌋`` and
``35,597,096``, :class:`TexPrinter` ``\\left\\lfloor \\frac{n + 3}{32} \\right\\rfloor``
and ``35{,}597{,}096``, :class:`InlineTexPrinter` ``\\lfloor (n + 3)/32 \\rfloor``.
The walks of :mod:`symcnn.render.expressions` print what these print, faster;
an expression they do not walk is printed here.
"""

from __future__ import annotations

from typing import Any

import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from .printing import SUPERSCRIPTS, group, latex_group


def as_integer(value: sympy.Basic) -> int | None:
    """``value`` as an int when it is a sympy Integer, else None."""
    return int(value) if isinstance(value, sympy.Integer) else None


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
        exponent = as_integer(expr.exp)
        if exponent is not None:
            power = base + str(abs(exponent)).translate(SUPERSCRIPTS) if abs(exponent) != 1 else base
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

    def terms(self, expr: sympy.Add) -> list[str]:
        """A sum's terms, each after the first with its sign (+ or -): joined by spaces, the sum."""
        terms: list[str] = []
        for index, term in enumerate(self._as_ordered_terms(expr, order=None)):  # type: ignore[no-untyped-call]
            sign = "" if index == 0 else "+ "
            if index and term.could_extract_minus_sign():
                sign, term = "- ", -term
            printed = self.print(term)
            if self._needs_add_brackets(term):
                printed = rf"\left({printed}\right)"
            terms.append(sign + printed)
        return terms

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


TEXT = TextPrinter()
TEX = TexPrinter()
TEX_INLINE = InlineTexPrinter()


def tex_symbol(name: str) -> str:
    """A symbol's name as sympy's LaTeX printer writes it: ``k_h`` as ``k_{h}``, ``alpha`` as ``\\alpha``."""
    return TEX.print(sympy.Symbol(name))  # type: ignore[no-untyped-call]
