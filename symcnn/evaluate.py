"""Exact evaluation of closed forms at many input sizes at once.

A closed form such as 2,097,152·⌊n/32⌋² + 35,597,096 is compiled once into
Python source with integer floor division, ``(n // 32)``: exact for every n,
unlike sympy's ``lambdify`` (which divides in floats). With numpy installed it
runs on int64 arrays — when a bound shows that no value can overflow —
otherwise on Python ints.

Importing this module imports no sympy (a sweep of a closed form in symcnn's own
polynomials needs none); its functions import it when they are called.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .closed_form import floor_key
from .errors import SymcnnError
from .expand import expand
from .values import Value, as_expr

if TYPE_CHECKING:
    import sympy

_INT64_SAFE = 2**62
# From this many sizes on, a sweep evaluates on numpy's int64 arrays where no value can overflow;
# below it Python ints beat importing numpy (100–190 ms).
ARRAYS_FROM = 4096

Compiled = tuple[Callable[[Any], Any], Callable[[int], int]]


def _code(expr: sympy.Basic) -> str:
    """Python source for a polynomial in symbols and floor atoms, integers only."""
    import sympy

    if isinstance(expr, sympy.Integer):
        return str(int(expr))
    if isinstance(expr, sympy.Symbol):
        return expr.name
    if isinstance(expr, sympy.floor):
        key = floor_key(expr)
        if key is not None:
            name, remainder, divisor = key
            return f"(({name} + {remainder}) // {divisor})" if remainder else f"({name} // {divisor})"
        numerator, denominator = sympy.fraction(sympy.together(expr.args[0]))  # type: ignore[no-untyped-call]
        return f"(({_code(numerator)}) // ({_code(denominator)}))"
    if isinstance(expr, sympy.Pow) and isinstance(expr.exp, sympy.Integer) and expr.exp > 0:
        return f"({_code(expr.base)})**{int(expr.exp)}"
    if isinstance(expr, sympy.Mul):
        return "*".join(f"({_code(factor)})" for factor in expr.args)
    if isinstance(expr, sympy.Add):
        return " + ".join(f"({_code(term)})" for term in expr.args)
    raise SymcnnError(f"cannot evaluate {expr} exactly with integers")


@lru_cache(maxsize=256)
def _compile(form: sympy.Expr, name: str) -> Compiled:
    import sympy

    coefficients = form.as_coefficients_dict()  # type: ignore[no-untyped-call]
    terms = [(int(c), _code(m)) for m, c in coefficients.items() if isinstance(c, sympy.Integer)]
    if len(terms) != len(coefficients):
        raise SymcnnError(f"cannot evaluate {form} exactly with integers")
    # In the expanded form each floor atom ⌊(n + r)/S⌋ (0 ≤ r < S) is ≥ 0 and grows with
    # n: with every coefficient made positive the sum bounds |form| at the largest size.
    exact = " + ".join(f"{c}*{m}" for c, m in terms)
    bound = " + ".join(f"{abs(c)}*{m}" for c, m in terms)
    source = f"(lambda {name}: {exact}, lambda {name}: {bound})"
    functions: Compiled = eval(compile(source, "<symcnn closed form>", "eval"), {"__builtins__": {}})
    return functions  # the source is printed by _code from our own closed form, never user text


def compile_form(form: Value, name: str) -> Callable[[Any], Any]:
    """A function of the symbol ``name`` that evaluates ``form`` exactly.

    >>> import sympy
    >>> from symcnn.values import symbol
    >>> n = symbol("n")
    >>> f = compile_form(2097152 * sympy.floor((n + 3) / 32) ** 2 + 35597096, "n")
    >>> f(224), f(28)
    (138357544, 35597096)
    """
    if isinstance(form, int):
        constant = form
        return lambda values: constant
    return _compile(expand(as_expr(form)), name)[0]


def evaluate_many(form: Value, name: str, sizes: Sequence[int], *, expanded: bool = False) -> list[int]:
    """``form`` at every value of ``sizes``, exactly.

    ``expanded`` says that ``form`` is already a sum of monomials (closed forms
    are), which saves expanding it again.

    >>> import sympy
    >>> from symcnn.values import symbol
    >>> evaluate_many(sympy.floor((symbol("n") + 1) / 3), "n", [5, 6, 7])
    [2, 2, 2]
    """
    if isinstance(form, int):
        return [form] * len(sizes)
    if not sizes:
        return []
    polynomial = as_expr(form) if expanded else expand(as_expr(form))
    function, bound = _compile(polynomial, name)
    largest = max(sizes)
    if len(sizes) < ARRAYS_FROM:
        return [int(function(size)) for size in sizes]
    try:
        import numpy
    except ImportError:  # numpy is optional: Python ints are exact too, only slower
        return [int(function(size)) for size in sizes]
    if largest >= _INT64_SAFE or abs(bound(largest)) >= _INT64_SAFE or min(sizes) < 0:
        return [int(function(size)) for size in sizes]
    result = function(numpy.asarray(sizes, dtype=numpy.int64))
    values: list[int] = [int(result)] * len(sizes) if isinstance(result, int) else result.tolist()
    return values
