"""``{…}`` syntax trees → IR expressions: numbers, decimals, symbols, operators and calls.

A part of the builder (:class:`symcnn.build._Builder` inherits it): it puts a block's
arguments in for its parameters, keeps ``{cin}`` for the analysis to bind, and
refuses, with a caret, what no value could make right: an unknown function, a
wrong number of arguments, ``{cin}`` outside a block, an expression too large.

>>> from symcnn.build import build
>>> ir.expr_text(build("fc{make_divisible(k*1.2, 8)}").layers[0].out_features)
'make_divisible(k * 1.2, 8)'
>>> len(build("let b = conv1-8x{ceil(3*1.2)}; b").layers[0].body)
4
>>> [layer.span.text for layer in build("let b(c) = conv3-{make_divisible(c*1.2, 8)}; b(40)").layers[0].body]
['conv3-48']
"""

from __future__ import annotations

import difflib
from fractions import Fraction

from lark import Token, Tree

from . import braces, ir
from .errors import NotationSyntaxError, SymcnnError, caret_context, shorten_literal
from .limits import MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_OPERATORS, MAX_LITERAL, MAX_LITERAL_DIGITS

_OPERATORS: dict[str, ir.Operator] = {"add": "+", "sub": "-", "mul": "*", "floordiv": "//", "truediv": "/"}

MAX_DECIMAL_PLACES = MAX_LITERAL_DIGITS - 1
"""Digits after the point of a decimal in braces: its denominator stays within MAX_LITERAL."""


class ExpressionBuilder:
    """Builds the IR expression of a ``{…}``, a number or a symbol written in a text."""

    text: str
    env: dict[str, ir.Expr]  # block parameters → the arguments of the current use
    symbols: set[str]  # the free symbols met so far
    in_block: int  # block bodies open around what is being built: {cin} means something there

    def _expr(self, node: Token | Tree[Token]) -> ir.Expr:
        assert isinstance(node, Tree)
        if node.data == "number":
            digits = str(node.children[0]).lstrip("0") or "0"
            if len(digits) > len(str(MAX_LITERAL)) or int(digits) > MAX_LITERAL:  # digits first: int() is quadratic
                raise self._syntax(node, f"the number {shorten_literal(digits)} is larger than {MAX_LITERAL:,}")
            return ir.Num(int(digits))
        if node.data == "fraction":
            return self._fraction(node)
        if node.data == "symbol":
            return self._symbol(node)
        if node.data == "brace":
            self._check_size(node)
            return self._expr(node.children[0])
        if node.data == "call":
            return self._call(node)
        left, right = (self._expr(child) for child in node.children)
        return ir.BinOp(_OPERATORS[str(node.data)], left, right)

    def _symbol(self, node: Tree[Token]) -> ir.Expr:
        name = str(node.children[0])
        if name in self.env:
            return self.env[name]
        if name == ir.CIN:  # bound by the analysis at each use of the block, never a free symbol
            if not self.in_block:
                raise self._syntax(
                    node, "{cin} is the channel count of a block's input; it means nothing outside a block"
                )
            return ir.Sym(name)
        self.symbols.add(name)
        return ir.Sym(name)

    def _fraction(self, node: Tree[Token]) -> ir.Frac:
        """A decimal, exact: 1.2 → 6/5. Digits are counted before int() (it is quadratic)."""
        text = str(node.children[0])
        if "e" in text.lower():
            raise self._syntax(node, f"write the decimal {shorten_literal(text)} without an exponent")
        integer, _, decimals = text.partition(".")
        integer, decimals = integer.lstrip("0"), decimals.rstrip("0")
        if len(integer) > MAX_LITERAL_DIGITS or int(integer or "0") >= MAX_LITERAL:
            raise self._syntax(node, f"the number {shorten_literal(text)} is larger than {MAX_LITERAL:,}")
        if len(decimals) > MAX_DECIMAL_PLACES:
            raise self._syntax(
                node, f"the decimal {shorten_literal(text)} has more than {MAX_DECIMAL_PLACES} digits after the point"
            )
        number = Fraction(int(integer + decimals or "0"), 10 ** len(decimals))
        return ir.Frac(number.numerator, number.denominator)

    def _call(self, node: Tree[Token]) -> ir.Call:
        name, given = str(node.children[0]), len(node.children) - 1
        known = braces.FUNCTIONS.get(name)
        if known is None:
            names = tuple(braces.FUNCTIONS)
            close = suggest(name, names).removeprefix("; ")
            hint = f" ({close})" if close else ""
            raise self._syntax(node, f"unknown function {name!r}{hint}; the functions are {', '.join(names)}")
        least, most = known[0], known[1]
        if not least <= given <= most:
            wanted = f"{least}" if least == most else f"{least} to {most}" if most > least + 1 else f"{least} or {most}"
            plural = "" if wanted == "1" else "s"
            raise self._syntax(node, f"{name}() takes {wanted} argument{plural}, but is given {given}")
        return ir.Call(name, tuple(self._expr(child) for child in node.children[1:]))

    def _check_size(self, brace: Tree[Token]) -> None:
        """Refuse a {…} expression too large to compute with, before any recursion into it.

        A call counts one operator and one more per argument: max(a, b) is 3.
        """
        operators, deepest = 0, 0
        stack = [(brace.children[0], 0)]
        while stack:
            node, depth = stack.pop()
            if isinstance(node, Tree) and (node.data in _OPERATORS or node.data == "call"):
                operators += len(node.children) if node.data == "call" else 1
                deepest = max(deepest, depth + 1)
                stack.extend((child, depth + 1) for child in node.children)
        if operators > MAX_EXPRESSION_OPERATORS:
            reason = f"has {operators:,} operators; at most {MAX_EXPRESSION_OPERATORS}"
            raise self._syntax(brace, f"a {{…}} expression {reason}")
        if deepest > MAX_EXPRESSION_DEPTH:
            reason = f"nests {deepest} operators deep; at most {MAX_EXPRESSION_DEPTH}"
            raise self._syntax(brace, f"a {{…}} expression {reason}")

    def _repeat_count(self, node: Token | Tree[Token]) -> int:
        """A repetition count: a whole number ≥ 1, worked out now (``x{ceil(3*1.2)}``, ``x{d}`` in a block)."""
        assert isinstance(node, Tree)
        expr = self._expr(node)
        try:
            number = braces.value(expr, {})
            if not isinstance(number, (int, Fraction)):
                names = sorted(ir.symbols_of(expr))
                cin = "; {cin} has a value only when the network is analysed" if ir.CIN in names else ""
                raise SymcnnError(f"a repetition count must be a number, not {ir.expr_text(expr)}{cin}")
            count = braces.whole(number, "a repetition count")
        except SymcnnError as error:
            raise self._syntax(node, str(error)) from None
        if not isinstance(count, int) or count < 1:
            raise self._syntax(node, "a repetition count must be at least 1")
        return count

    def _shown(self, expr: ir.Expr) -> str | None:
        """The value of a brace without symbols, as a layer's text shows it: {make_divisible(40*1.2, 8)} → 48."""
        if isinstance(expr, ir.Num):
            return str(expr.value)
        if isinstance(expr, ir.Sym) or ir.symbols_of(expr):
            return None
        try:
            number = braces.value(expr, {})
        except SymcnnError:
            return None  # the analysis says what is wrong, with the layer
        return str(number) if isinstance(number, int) else None

    def _syntax(self, tree: Tree[Token], reason: str) -> NotationSyntaxError:
        meta = tree.meta
        return NotationSyntaxError(reason, meta.line, meta.column, caret_context(self.text, meta.line, meta.column))


def suggest(name: str, known: tuple[str, ...]) -> str:
    """A did-you-mean for a mistyped name, or nothing.

    >>> suggest("ciel", ("floor", "ceil")), suggest("zzz", ("floor", "ceil"))
    ("; did you mean 'ceil'?", '')
    """
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    return f"; did you mean {' or '.join(repr(word) for word in close)}?" if close else ""
