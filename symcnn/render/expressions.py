"""Symbolic values printed fast, exactly as sympy's printers (and symcnn's subclasses) print them.

The values of a network are small sums and products of floor atoms ⌊(n + r)/S⌋,
symbols and numbers, and a network repeats a few of them many times. Each
printer here walks such an expression itself and remembers what it printed,
node by node; an atom built by :func:`symcnn.dims.floor_atom` is printed from
its key (name, r, S) with no ``sympy.together``. The order of the terms of a
sum and of the factors of a product is sympy's, worked out once per node by
:mod:`symcnn.render.walked`, which also says which expressions are walked.

Anything outside that family (a negative power, a float, an unevaluated
product, a function other than floor and ceiling) goes to the printers that
define the output, ``str`` and those of :mod:`symcnn.render.sympy_printers`:
the walks print what they print.

This module imports sympy; :mod:`symcnn.render.printing` imports it only for a
value that is not a number.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from math import ceil, floor

import sympy

from ..values import symbol
from . import walked
from .printing import SUPERSCRIPTS, group, latex_group, latex_symbol
from .sympy_printers import TEX, TEX_INLINE, TEXT, as_integer
from .walked import MEMORY, ROUNDINGS

# ---------------------------------------------------------------- the walks


class _Walk:
    """Prints walkable expressions; every other one as ``fallback`` prints it."""

    def __init__(self, fallback: Callable[[sympy.Basic], str]) -> None:
        self.fallback = fallback
        self.memory: dict[sympy.Basic, str] = {}

    def __call__(self, expr: sympy.Basic) -> str:
        printed = self.memory.get(expr)
        if printed is None:
            printed = self.node(expr) if walked.walkable(expr) else self.fallback(expr)
            if len(self.memory) >= MEMORY:
                self.memory.clear()
            self.memory[expr] = printed
        return printed

    def node(self, expr: sympy.Basic) -> str:
        if isinstance(expr, sympy.Rational):
            return self.number(int(expr.p), int(expr.q))
        if type(expr) is sympy.Symbol:
            return self.symbol(expr)
        if type(expr) in ROUNDINGS:
            return self.rounded(expr)
        if isinstance(expr, sympy.Pow):
            return self.power(expr.base, int(expr.exp))
        if isinstance(expr, sympy.Mul):
            return self.product(*walked.product(expr))
        return self.sum(walked.terms(expr))

    def number(self, p: int, q: int) -> str:
        raise NotImplementedError

    def symbol(self, expr: sympy.Symbol) -> str:
        return str(expr.name)

    def rounded(self, expr: sympy.Basic) -> str:
        return self.fallback(expr)

    def power(self, base: sympy.Basic, exponent: int) -> str:
        raise NotImplementedError

    def product(self, p: int, q: int, factors: Sequence[sympy.Basic]) -> str:
        raise NotImplementedError

    def sum(self, terms: Sequence[sympy.Basic]) -> str:
        raise NotImplementedError


class _Plain(_Walk):
    """sympy's ``str``: ``9408*floor(n/2 + 1/2)**2 + 1920000``."""

    def number(self, p: int, q: int) -> str:
        return str(p) if q == 1 else f"{p}/{q}"

    def power(self, base: sympy.Basic, exponent: int) -> str:
        return f"{self.factor(base)}**{exponent}"

    def factor(self, expr: sympy.Basic) -> str:
        return f"({self(expr)})" if isinstance(expr, sympy.Add) else self(expr)

    def product(self, p: int, q: int, factors: Sequence[sympy.Basic]) -> str:
        sign = "-" if p < 0 else ""
        numerator = ([self.number(abs(p), 1)] if abs(p) != 1 else []) + [self.factor(f) for f in factors]
        printed = sign + "*".join(numerator)
        return printed if q == 1 else f"{printed}/{self.number(q, 1)}"

    def sum(self, terms: Sequence[sympy.Basic]) -> str:
        parts: list[str] = []
        for term in terms:
            printed = self(term)
            negative = printed.startswith("-")
            parts += ["-" if negative else "+", printed[1:] if negative else printed]
        first = parts.pop(0)
        return ("-" if first == "-" else "") + " ".join(parts)


class _Text(_Plain):
    """:class:`TextPrinter`: digits grouped, ``·`` for products, superscript powers."""

    def number(self, p: int, q: int) -> str:
        return group(p) if q == 1 else f"{group(p)}/{group(q)}"

    def power(self, base: sympy.Basic, exponent: int) -> str:
        return self.factor(base) + str(exponent).translate(SUPERSCRIPTS)

    def product(self, p: int, q: int, factors: Sequence[sympy.Basic]) -> str:
        return super().product(p, q, factors).replace("*", "·")

    def rounded(self, expr: sympy.Basic) -> str:
        key = walked.atom_key(expr)
        if key is None:
            return self.fallback(expr)
        name, remainder, divisor = key
        top = f"({name} + {group(remainder)})" if remainder else name
        return f"⌊{top}/{group(divisor)}⌋"


class _Tex(_Walk):
    """:class:`TexPrinter`: ``\\frac`` for fractions, ``\\cdot`` for products."""

    fold = False

    def __init__(self, fallback: Callable[[sympy.Basic], str]) -> None:
        super().__init__(fallback)
        self.negated: dict[sympy.Basic, str] = {}

    def number(self, p: int, q: int) -> str:
        if q == 1:
            return latex_group(p)
        sign = "- " if p < 0 else ""
        return rf"{sign}\frac{{{latex_group(abs(p))}}}{{{latex_group(q)}}}"

    def symbol(self, expr: sympy.Symbol) -> str:
        return latex_symbol(str(expr.name))

    def rounded(self, expr: sympy.Basic) -> str:
        key = walked.atom_key(expr)
        if key is None:
            return self.fallback(expr)
        name, remainder, divisor = key
        top = latex_symbol(name)
        top = f"{top} + {latex_group(remainder)}" if remainder else top
        return self.floor(top, remainder != 0, latex_group(divisor))

    def floor(self, top: str, sum_: bool, bottom: str) -> str:
        return rf"\left\lfloor \frac{{{top}}}{{{bottom}}} \right\rfloor"

    def power(self, base: sympy.Basic, exponent: int) -> str:
        printed = self(base)
        if isinstance(base, sympy.Add) or (type(base) is sympy.Symbol and "^" in printed):
            printed = rf"\left({printed}\right)"
        return f"{printed}^{{{latex_group(exponent)}}}"

    def factors(self, p: int, factors: Sequence[sympy.Basic]) -> str:
        """``p · factors`` as sympy's ``convert``: a lone factor as it is, sums in brackets in a product."""
        if p == 1 and len(factors) == 1:
            return self(factors[0])
        printed = [latex_group(p)] if p != 1 else []
        for factor in factors:
            tex = self(factor)
            printed.append(rf"\left({tex}\right)" if isinstance(factor, sympy.Add) else tex)
        return r" \cdot ".join(printed)

    def product(self, p: int, q: int, factors: Sequence[sympy.Basic]) -> str:
        sign = "- " if p < 0 else ""
        numerator = self.factors(abs(p), factors)
        if q == 1:
            return sign + numerator
        denominator = latex_group(q)
        if self.fold and len(denominator.split()) <= 2 and "^" not in denominator:
            return f"{sign}{numerator} / {denominator}"
        return rf"{sign}\frac{{{numerator}}}{{{denominator}}}"

    def negative(self, term: sympy.Basic) -> bool:
        """sympy's ``could_extract_minus_sign`` for a walked term."""
        if isinstance(term, sympy.Rational):
            return bool(term.p < 0)
        return isinstance(term, sympy.Mul) and walked.product(term)[0] < 0

    def minus(self, term: sympy.Basic) -> str:
        """The walked term ``-term`` (of a negative term)."""
        printed = self.negated.get(term)
        if printed is None:
            if isinstance(term, sympy.Rational):
                printed = self.number(-int(term.p), int(term.q))
            else:
                p, q, factors = walked.product(term)
                printed = self.product(-p, q, factors)
            if len(self.negated) >= MEMORY:
                self.negated.clear()
            self.negated[term] = printed
        return printed

    def terms(self, terms: Sequence[sympy.Basic]) -> list[str]:
        """The terms of a sum, each after the first with its sign."""
        printed = []
        for index, term in enumerate(terms):
            if index == 0:
                printed.append(self(term))
            elif self.negative(term):
                printed.append("- " + self.minus(term))
            else:
                printed.append("+ " + self(term))
        return printed

    def sum(self, terms: Sequence[sympy.Basic]) -> str:
        return " ".join(self.terms(terms))


class _InlineTex(_Tex):
    """:class:`InlineTexPrinter`: floors and short fractions with a slash."""

    fold = True

    def floor(self, top: str, sum_: bool, bottom: str) -> str:
        return rf"\lfloor {f'({top})' if sum_ else top}/{bottom} \rfloor"


PLAIN_WALK = _Plain(str)
TEXT_WALK = _Text(TEXT.print)
TEX_WALK = _Tex(TEX.print)
TEX_INLINE_WALK = _InlineTex(TEX_INLINE.print)
WALKS: dict[str, _Walk] = {"plain": PLAIN_WALK, "text": TEXT_WALK, "tex": TEX_WALK, "inline": TEX_INLINE_WALK}


def show(value: sympy.Basic, kind: str) -> str:
    """``value`` as the walk ``kind`` prints it: "plain" (sympy's ``str``), "text", "tex" or "inline"."""
    return WALKS[kind](value)


def factor(value: sympy.Basic, kind: str) -> str:
    """A factor of a shape or a product: a number as the paper writes it (4096), a sum in parentheses."""
    number = as_integer(value)
    if number is not None:
        return str(number)
    printed = WALKS[kind](value)
    return f"({printed})" if isinstance(value, sympy.Add) else printed


def tex_terms(expr: sympy.Basic) -> list[str]:
    """A sum as LaTeX, one string per term, each after the first with its sign (see ``printing.latex_terms``)."""
    if not isinstance(expr, sympy.Add):
        return [TEX_WALK(expr)]
    return TEX_WALK.terms(walked.terms(expr)) if walked.walkable(expr) else TEX.terms(expr)


# ---------------------------------------------------------------- values


class _Opaque(Exception):
    """An expression the exact evaluation below does not handle."""


def value_at(expr: int | sympy.Basic, values: Mapping[str, int]) -> int | None:
    """The value of ``expr`` with its symbols given ``values``: an int, or None when it
    is not a whole number (a fraction, a symbol without a value, a division by zero).

    Sums, products, integer powers, floors and ceilings are worked out in exact
    fractions (a floor atom from its key); any other expression goes through
    sympy's ``xreplace``.

    >>> from symcnn.dims import floor_atom
    >>> value_at(3 * floor_atom("n", 3, 32) ** 2 + symbol("n"), {"n": 61}), value_at(symbol("n") / 2, {"n": 3})
    (73, None)
    """
    if isinstance(expr, int):
        return expr
    try:
        number = _exact(expr, values)
    except (LookupError, ZeroDivisionError):
        return None
    except _Opaque:
        sample = {symbol(name): sympy.Integer(given) for name, given in values.items()}
        return as_integer(expr.xreplace(sample))  # type: ignore[no-untyped-call]
    return int(number) if number.denominator == 1 else None


def _exact(expr: sympy.Basic, values: Mapping[str, int]) -> Fraction:
    if isinstance(expr, sympy.Rational):
        return Fraction(int(expr.p), int(expr.q))
    if type(expr) is sympy.Symbol:
        return Fraction(values[str(expr.name)])
    if type(expr) in ROUNDINGS:
        key = walked.atom_key(expr)
        if key is not None:
            name, remainder, divisor = key
            return Fraction((values[name] + remainder) // divisor)
        inner = _exact(expr.args[0], values)
        return Fraction(floor(inner) if type(expr) is sympy.floor else ceil(inner))
    if isinstance(expr, sympy.Add):
        return sum((_exact(term, values) for term in expr.args), Fraction(0))
    if isinstance(expr, sympy.Mul):
        result = Fraction(1)
        for factor in expr.args:
            result *= _exact(factor, values)
        return result
    if isinstance(expr, sympy.Pow):
        exponent = as_integer(expr.exp)
        if exponent is not None:
            return _exact(expr.base, values) ** exponent
    raise _Opaque
