"""Closed forms of a total: general (single floors), polynomial, and domain.

A total is a sum of products of floor atoms ⌊(s + r)/S⌋. For s a multiple of
L = lcm of the divisors S every atom is exactly s/S, which gives the
polynomial form (VGG-16 parameters: 2048·n² + 35,597,096 for n a multiple of 32).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from math import comb, lcm
from typing import TYPE_CHECKING

from .dims import ATOM_KEYS
from .domain import Domain
from .errors import SymcnnError
from .expand import expand, is_expanded
from .limits import MAX_EXPANDED_TERMS
from .poly import Poly, canonical, polynomial_form
from .values import Value, as_expr, public, symbol

if TYPE_CHECKING:
    import sympy


@dataclass(frozen=True)
class ClosedForm:
    """A total in closed form.

    ``general`` holds for every valid input size; ``polynomial`` holds when each
    symbol in ``multiple_of`` is a multiple of the number given (None when no
    polynomial form exists); ``domains`` is the domain: the values each input
    symbol may take (None where it could not be derived). Both forms are
    ints or sympy expressions, built from the ``raw_`` forms (which may be
    :class:`~symcnn.poly.Poly`) when first asked for.
    """

    raw_general: Value
    raw_polynomial: Value | None
    multiple_of: Mapping[str, int]
    domains: Mapping[str, Domain | None]
    residue_of: Mapping[str, int] = field(default_factory=dict)  # the polynomial's s ≡ c (mod multiple_of[s])

    @cached_property
    def general(self) -> Value:
        return public(self.raw_general)

    @cached_property
    def polynomial(self) -> Value | None:
        return None if self.raw_polynomial is None else public(self.raw_polynomial)

    @property
    def assumption(self) -> str:
        """The condition of the polynomial form, in words.

        >>> ClosedForm(0, 0, {"n": 32}, {"n": Domain.at_least(32)}).assumption
        'n a multiple of 32'
        """
        return ", ".join(
            f"{name} ≡ {self.residue_of[name]} (mod {step})"
            if self.residue_of.get(name)
            else f"{name} a multiple of {step}"
            for name, step in self.multiple_of.items()
            if step > 1
        )

    @property
    def domain(self) -> str:
        """The validity domain, in words.

        >>> ClosedForm(0, 0, {}, {"n": Domain.at_least(32)}).domain
        'n ≥ 32'
        >>> ClosedForm(0, 0, {}, {"n": Domain.residues(16, {0}) & Domain.at_least(32)}).domain
        'n ≥ 32 and n ≡ 0 (mod 16)'
        """
        parts = [
            domain.describe(name) if domain is not None else f"{name}: not derived"
            for name, domain in self.domains.items()
        ]
        return ", ".join(parts)

    @property
    def smallest_valid(self) -> Mapping[str, int | None]:
        """Each symbol's least valid value (None where the domain is not derived)."""
        return {name: None if domain is None else domain.smallest for name, domain in self.domains.items()}


def floor_key(atom: sympy.Expr) -> tuple[str, int, int] | None:
    """(s, r, S) when ``atom`` is ⌊(s + r)/S⌋ with 0 ≤ r < S, else None.

    >>> import sympy
    >>> floor_key(sympy.floor((symbol("n") + 3) / 32))
    ('n', 3, 32)
    >>> floor_key(sympy.floor(symbol("n") * symbol("k") / 2)) is None
    True
    """
    known = ATOM_KEYS.get(atom)
    if known is not None:
        return known
    import sympy

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


def closed_form(
    total: Value, domains: Mapping[str, Domain | None], classes: Mapping[str, Domain | None] | None = None
) -> ClosedForm:
    """The closed forms of ``total`` (a sum over layers of a network).

    The polynomial holds for multiples of the floors' divisors, or, when ``classes`` (the domain,
    or where a dense network tiles exactly) has no multiple of them, on its first residue class.

    >>> import sympy
    >>> n = symbol("n")
    >>> form = closed_form(2097152 * sympy.floor(n / 32) ** 2 + 35597096, {"n": Domain.at_least(32)})
    >>> form.polynomial, form.assumption, form.domain
    (2048*n**2 + 35597096, 'n a multiple of 32', 'n ≥ 32')
    """
    if isinstance(total, int):
        return ClosedForm(total, total, {}, dict(domains))
    if isinstance(total, Poly):
        expanded = canonical(total)
        residues = _residues(classes if classes is not None else domains)
        exact, lcms = polynomial_form(expanded, residues)
        shown = {name: residues[name][1] % lcms[name] for name in lcms if name in residues}
        return ClosedForm(expanded, exact, lcms, dict(domains), {k: v for k, v in shown.items() if v})
    import sympy

    if not is_expanded(total) and expanded_terms(total) > MAX_EXPANDED_TERMS:
        raise SymcnnError(
            f"the closed form would have more than {MAX_EXPANDED_TERMS:,} terms once multiplied out; "
            "give some symbols a value (--set NAME=VALUE)"
        )
    atoms = {atom: key for atom in total.atoms(sympy.floor) if (key := floor_key(atom)) is not None}
    multiple_of: dict[str, int] = {}
    for name, _, divisor in sorted(atoms.values()):
        multiple_of[name] = lcm(multiple_of.get(name, 1), divisor)
    # For s = L·m every atom ⌊(s + r)/S⌋ with 0 ≤ r < S and S | L equals s/S.
    exact = {atom: symbol(name) / divisor for atom, (name, _, divisor) in atoms.items()}
    replaced = total.xreplace(exact)  # type: ignore[no-untyped-call]
    polynomial: Value | None = expand(replaced)
    if isinstance(polynomial, sympy.Expr) and polynomial.has(sympy.floor):
        polynomial = None
    general = total if is_expanded(total) else expand(total)
    return ClosedForm(general, polynomial, multiple_of, dict(domains))


def _residues(classes: Mapping[str, Domain | None]) -> dict[str, tuple[int, int]]:
    """Per symbol whose domain leaves out the multiples of its modulus: (modulus, its first residue)."""
    found = {}
    for name, domain in classes.items():
        if domain is not None and domain.modulus > 1 and not domain.empty and 0 not in domain.residue_set:
            found[name] = (domain.modulus, domain.residue_set[0])
    return found


def expanded_terms(expr: sympy.Expr) -> int:
    """How many terms ``expr`` can have once multiplied out: an upper bound, found without expanding.

    >>> a, b, c = symbol("a"), symbol("b"), symbol("c")
    >>> expanded_terms((a + b + 1) * (a + c)), expanded_terms((a + b) ** 3 + c)
    (6, 5)
    """
    import sympy

    if isinstance(expr, sympy.Add):
        return sum(expanded_terms(as_expr(term)) for term in expr.args)
    if isinstance(expr, sympy.Mul):
        count = 1
        for factor in expr.args:
            count *= expanded_terms(as_expr(factor))
            if count > MAX_EXPANDED_TERMS:  # stop multiplying before the numbers grow
                return count
        return count
    if isinstance(expr, sympy.Pow) and isinstance(expr.exp, sympy.Integer) and expr.exp > 1:
        base = expanded_terms(as_expr(expr.base))
        power = min(int(expr.exp), MAX_EXPANDED_TERMS)
        return comb(base + power - 1, power) if base <= MAX_EXPANDED_TERMS else base
    return 1
