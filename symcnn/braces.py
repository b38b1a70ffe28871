"""The value of a ``{…}`` expression: exact rationals and the integer functions builders use.

Network builders compute widths and depths from multipliers: EfficientNet-B3's
``_make_divisible(40 * 1.2, 8)`` channels, ``ceil(3 * 1.4)`` repeats. The text
writes the same arithmetic — ``{make_divisible(40*1.2, 8)}``, ``x{ceil(3*1.4)}`` —
and it is computed exactly: a decimal is a fraction (1.2 = 6/5), ``/`` divides
exactly, nothing goes through floats. Symbols stay symbolic through ``+ - * / //``,
``floor``, ``ceil``, ``max`` and ``min``; ``round`` and ``make_divisible`` need numbers.

>>> from symcnn import ir
>>> width = ir.Call("make_divisible", (ir.BinOp("*", ir.Num(40), ir.Frac(6, 5)), ir.Num(8)))
>>> value(width, {})
48
>>> value(ir.BinOp("/", ir.Num(7), ir.Num(2)), {})
Fraction(7, 2)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import TYPE_CHECKING, TypeAlias

from . import ir
from .errors import SymcnnError
from .limits import MAX_MAGNITUDE
from .values import Shown, as_expr, symbol

if TYPE_CHECKING:
    import sympy

Number: TypeAlias = "int | Fraction"
Exact: TypeAlias = "int | Fraction | sympy.Expr"


def evaluate(expr: ir.Expr, values: Mapping[str, Shown], what: str = "a {…} expression") -> Shown:
    """The value of an IR expression, with the given symbols substituted: a whole number.

    Inside, ``{…}`` is exact rational arithmetic (:mod:`symcnn.braces`); what it gives
    must be whole, as every size and count is.

    >>> evaluate(ir.BinOp("//", ir.Sym("c"), ir.Num(2)), {"c": 9})
    4
    >>> evaluate(ir.BinOp("*", ir.Num(2), ir.Sym("c")), {})
    2*c
    >>> evaluate(ir.Call("ceil", (ir.BinOp("*", ir.Num(3), ir.Frac(7, 5)),)), {})
    5
    """
    if isinstance(expr, ir.Num):
        return expr.value
    if isinstance(expr, ir.Sym):
        return values[expr.name] if expr.name in values else symbol(expr.name)
    return whole(value(expr, values), what)


def value(expr: ir.Expr, values: Mapping[str, Shown]) -> Exact:
    """``expr`` with the given symbols substituted: an int, a Fraction, or a sympy expression."""
    if isinstance(expr, ir.Num):
        return expr.value
    if isinstance(expr, ir.Frac):
        return _normal(Fraction(expr.numerator, expr.denominator))
    if isinstance(expr, ir.Sym):
        if expr.name in values:
            return values[expr.name]
        return symbol(expr.name)
    if isinstance(expr, ir.Call):
        return _call(expr.name, [value(arg, values) for arg in expr.args])
    return _checked(_binary(expr.op, value(expr.left, values), value(expr.right, values)))


def _binary(op: str, left: Exact, right: Exact) -> Exact:
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if _is_zero(right):
        raise SymcnnError("division by zero in a {…} expression")
    if isinstance(left, (int, Fraction)) and isinstance(right, (int, Fraction)):
        return Fraction(left) / right if op == "/" else math.floor(Fraction(left) / right)
    import sympy

    ratio = _sympy(left) / _sympy(right)
    return as_expr(ratio if op == "/" else sympy.floor(ratio))


def _is_zero(number: Exact) -> bool:
    return isinstance(number, (int, Fraction)) and number == 0


def _sympy(number: Exact) -> sympy.Expr:
    import sympy

    if isinstance(number, Fraction):
        return as_expr(sympy.Rational(number.numerator, number.denominator))
    return as_expr(sympy.Integer(number)) if isinstance(number, int) else number


def _normal(number: Exact) -> Exact:
    """A Fraction that is whole becomes an int; sympy values are left as they are."""
    if isinstance(number, Fraction) and number.denominator == 1:
        return number.numerator
    return number


def _checked(result: Exact) -> Exact:
    result = _normal(result)
    if isinstance(result, Fraction):
        if abs(result.numerator) > MAX_MAGNITUDE or result.denominator > MAX_MAGNITUDE:
            raise SymcnnError(f"a {{…}} expression reaches a fraction finer or larger than {MAX_MAGNITUDE:.0e}")
    elif isinstance(result, int) and abs(result) > MAX_MAGNITUDE:
        raise SymcnnError(f"a {{…}} expression reaches {result:.3e}, more than {MAX_MAGNITUDE:.0e}")
    elif not isinstance(result, int) and hasattr(result, "is_Number") and result.is_Number:
        return _checked(Fraction(int(result.p), int(result.q)))  # type: ignore[attr-defined]
    return result


# ---------------------------------------------------------------- functions


def _numbers(name: str, args: list[Exact]) -> list[Number]:
    numbers = [arg for arg in args if isinstance(arg, (int, Fraction))]
    if len(numbers) != len(args):
        raise SymcnnError(f"{name}() needs numbers; give its symbols a value (--set NAME=VALUE)")
    return numbers


def _max(args: list[Exact]) -> Exact:
    if all(isinstance(arg, (int, Fraction)) for arg in args):
        return max(_numbers("max", args))
    import sympy

    return as_expr(sympy.Max(*map(_sympy, args)))  # type: ignore[no-untyped-call]


def _min(args: list[Exact]) -> Exact:
    if all(isinstance(arg, (int, Fraction)) for arg in args):
        return min(_numbers("min", args))
    import sympy

    return as_expr(sympy.Min(*map(_sympy, args)))  # type: ignore[no-untyped-call]


def _floor(args: list[Exact]) -> Exact:
    (arg,) = args
    if isinstance(arg, (int, Fraction)):
        return math.floor(arg)
    import sympy

    return as_expr(sympy.floor(arg))


def _ceil(args: list[Exact]) -> Exact:
    (arg,) = args
    if isinstance(arg, (int, Fraction)):
        return math.ceil(arg)
    import sympy

    return as_expr(sympy.ceiling(arg))


def _round(args: list[Exact]) -> Exact:
    """Python's round: halves go to the even neighbour (round(2.5) = 2)."""
    (number,) = _numbers("round", args)
    return round(Fraction(number))


def make_divisible(v: Number, divisor: Number, min_value: Number | None = None) -> int:
    """torchvision's ``_make_divisible`` (MobileNetV2/V3, EfficientNet), exactly.

    ``max(min_value, int(v + divisor / 2) // divisor * divisor)``, one divisor more
    when that rounds v down by more than 10 %.

    >>> make_divisible(32 * Fraction(3, 4), 8), make_divisible(Fraction(44, 5), 8), make_divisible(3, 8)
    (24, 8, 8)
    """
    if divisor <= 0:
        raise SymcnnError(f"make_divisible() needs a positive divisor, not {divisor}")
    least = divisor if min_value is None else min_value
    rounded = max(least, int(Fraction(v) + Fraction(divisor) / 2) // divisor * divisor)
    if rounded < Fraction(9, 10) * v:
        rounded += divisor
    return int(rounded)


def _make_divisible(args: list[Exact]) -> Exact:
    numbers = _numbers("make_divisible", args)
    return make_divisible(*numbers)


# name → (least and most arguments, the function)
FUNCTIONS: dict[str, tuple[int, int, Callable[[list[Exact]], Exact]]] = {
    "max": (2, 16, _max),
    "min": (2, 16, _min),
    "floor": (1, 1, _floor),
    "ceil": (1, 1, _ceil),
    "round": (1, 1, _round),
    "make_divisible": (2, 3, _make_divisible),
}


def _call(name: str, args: list[Exact]) -> Exact:
    return _checked(FUNCTIONS[name][2](args))


def whole(number: Exact, what: str) -> int | sympy.Expr:
    """``number`` where a whole number is needed (channels, a kernel, a repeat count).

    >>> whole(Fraction(288, 5), "the number of filters")
    Traceback (most recent call last):
    ...
    symcnn.errors.SymcnnError: the number of filters is 288/5 = 57.6, not a whole number; round it: ...
    """
    if isinstance(number, int):
        return number
    if isinstance(number, Fraction):
        with localcontext() as context:
            context.prec = 6
            decimal = Decimal(number.numerator) / Decimal(number.denominator)
        shown = f"{number.numerator}/{number.denominator} = {decimal.normalize():f}"
        raise SymcnnError(f"{what} is {shown}, not a whole number; round it: {{round(…)}} or {{floor(…)}}")
    if number.is_integer is not True:
        raise SymcnnError(f"{what} is {number}, which may not be a whole number; use // or floor(…)")
    return number
