"""Closed forms of a total: general (single floors), polynomial, and domain.

A total is a sum of products of floor atoms ⌊(s + r)/S⌋. For s a multiple of
L = lcm of the divisors S every atom is exactly s/S, which gives the
polynomial form (VGG-16 parameters: 2048·n² + 35,597,096 for n a multiple of 32).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from math import lcm

import sympy

from .dims import ATOM_KEYS
from .values import Value, as_expr, symbol


@dataclass(frozen=True)
class ClosedForm:
    """A total in closed form.

    ``general`` holds for every valid input size; ``polynomial`` holds when each
    symbol in ``multiple_of`` is a multiple of the number given (None when no
    polynomial form exists); ``smallest_valid`` is the domain: each input
    symbol at least this (None where it could not be derived).
    """

    general: Value
    polynomial: Value | None
    multiple_of: Mapping[str, int]
    smallest_valid: Mapping[str, int | None]

    @property
    def assumption(self) -> str:
        """The condition of the polynomial form, in words.

        >>> ClosedForm(0, 0, {"n": 32}, {"n": 32}).assumption
        'n a multiple of 32'
        """
        return ", ".join(f"{name} a multiple of {step}" for name, step in self.multiple_of.items() if step > 1)

    @property
    def domain(self) -> str:
        """The validity domain, in words.

        >>> ClosedForm(0, 0, {}, {"n": 32}).domain
        'n ≥ 32'
        """
        parts = [
            f"{name} ≥ {least}" if least is not None else f"{name}: not derived"
            for name, least in self.smallest_valid.items()
        ]
        return ", ".join(parts)


def floor_key(atom: sympy.Expr) -> tuple[str, int, int] | None:
    """(s, r, S) when ``atom`` is ⌊(s + r)/S⌋ with 0 ≤ r < S, else None.

    >>> floor_key(sympy.floor((symbol("n") + 3) / 32))
    ('n', 3, 32)
    >>> floor_key(sympy.floor(symbol("n") * symbol("k") / 2)) is None
    True
    """
    known = ATOM_KEYS.get(atom)
    if known is not None:
        return known
    argument = as_expr(atom.args[0])
    if len(argument.free_symbols) != 1:
        return None
    (free,) = argument.free_symbols
    assert isinstance(free, sympy.Symbol)
    slope = argument.coeff(free)
    offset = argument - slope * free
    if not (isinstance(slope, sympy.Rational) and slope.p == 1 and isinstance(offset, sympy.Rational)):
        return None
    divisor = int(slope.q)
    remainder = offset * divisor
    if not (remainder.is_integer and 0 <= remainder < divisor):
        return None
    return str(free), int(remainder), divisor


def closed_form(total: Value, smallest_valid: Mapping[str, int | None]) -> ClosedForm:
    """The closed forms of ``total`` (a sum over layers of a network).

    >>> n = symbol("n")
    >>> form = closed_form(2097152 * sympy.floor(n / 32) ** 2 + 35597096, {"n": 32})
    >>> form.polynomial, form.assumption, form.domain
    (2048*n**2 + 35597096, 'n a multiple of 32', 'n ≥ 32')
    """
    if isinstance(total, int) or not isinstance(total, sympy.Expr):
        return ClosedForm(total, total, {}, dict(smallest_valid))
    atoms = {atom: key for atom in total.atoms(sympy.floor) if (key := floor_key(atom)) is not None}
    multiple_of: dict[str, int] = {}
    for name, _, divisor in sorted(atoms.values()):
        multiple_of[name] = lcm(multiple_of.get(name, 1), divisor)
    # For s = L·m every atom ⌊(s + r)/S⌋ with 0 ≤ r < S and S | L equals s/S.
    exact = {atom: symbol(name) / divisor for atom, (name, _, divisor) in atoms.items()}
    replaced = total.xreplace(exact)  # type: ignore[no-untyped-call]
    polynomial: Value | None = as_expr(sympy.expand(replaced))  # type: ignore[no-untyped-call]
    if isinstance(polynomial, sympy.Expr) and polynomial.has(sympy.floor):
        polynomial = None
    general = total if _expanded(total) else as_expr(sympy.expand(total))  # type: ignore[no-untyped-call]
    return ClosedForm(general, polynomial, multiple_of, dict(smallest_valid))


def _expanded(expr: sympy.Expr) -> bool:
    """Whether ``expr`` is already a sum of monomials (no sum inside a product or a power).

    >>> n = symbol("n")
    >>> _expanded(3 * n**2 + 5), _expanded(3 * (n + 1) ** 2)
    (True, False)
    """
    for term in sympy.Add.make_args(expr):
        for factor in sympy.Mul.make_args(term):
            base = factor.base if isinstance(factor, sympy.Pow) else factor
            if isinstance(base, (sympy.Add, sympy.Mul)):
                return False
    return True
