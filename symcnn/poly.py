"""Polynomials in size atoms ⌊(s + B)/S⌋ with exact coefficients: the analysis's own algebra.

Every count of a layer whose sizes depend on an input symbol is a polynomial in its
sizes, and every size is one :class:`~symcnn.dims.FloorSize`, three numbers. A
:class:`Poly` keeps such a count as a dict from monomials (sorted tuples of
(atom, exponent)) to coefficients: adding and multiplying them is dict work, about
ten times cheaper than sympy's, and exact. sympy is met only at the edges, when a
value is shown (:meth:`Poly.as_sympy`) or mixes with a symbol that is no size (a
symbolic channel count), and a closed form comes from :func:`canonical` and
:func:`polynomial_form` without it.

>>> n = Poly.atom("n", 0, 1)
>>> half = Poly.atom("n", 1, 2)
>>> count = 64 * half * half + 3 * n + 7
>>> count.evaluate({"n": 224})
803495
>>> print(polynomial_form(canonical(count))[0])
16*n**2 + 3*n + 7
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from functools import lru_cache
from math import lcm
from typing import TYPE_CHECKING, Any, TypeAlias

from .errors import SymcnnError
from .limits import MAX_EXPANDED_TERMS

if TYPE_CHECKING:
    import sympy

# ⌊(symbol + offset)/divisor⌋; divisor 1 is symbol + offset. The same triple as FloorSize's.
Atom: TypeAlias = tuple[str, int, int]
Monomial: TypeAlias = tuple[tuple[Atom, int], ...]
Coefficient: TypeAlias = "int | Fraction"


class Poly:
    """A non-constant polynomial in size atoms; arithmetic with ints keeps it one, and a
    result without atoms is a plain number again (so ``as_int`` style checks stay cheap)."""

    __slots__ = ("_hash", "_sympy", "terms")

    def __init__(self, terms: dict[Monomial, Coefficient]) -> None:
        self.terms = terms  # no zero coefficient, and at least one monomial besides ()
        self._hash: int | None = None
        self._sympy: sympy.Expr | None = None

    @staticmethod
    def atom(symbol: str, offset: int, divisor: int) -> Poly:
        """The size ⌊(symbol + offset)/divisor⌋ itself."""
        return Poly({(((symbol, offset, divisor), 1),): 1})

    # ------------------------------------------------------------ arithmetic

    def __add__(self, other: object) -> Any:
        if isinstance(other, int):
            if other == 0:
                return self
            terms = dict(self.terms)
            constant = terms.get((), 0) + other
            if constant:
                terms[()] = constant
            else:
                del terms[()]
            return Poly(terms)
        if isinstance(other, Poly):
            return make(_added(self.terms, other.terms))
        return self.as_sympy() + other  # a symbol that is no size: sympy from here on

    __radd__ = __add__

    def __neg__(self) -> Poly:
        return Poly({monomial: -c for monomial, c in self.terms.items()})

    def __sub__(self, other: object) -> Any:
        return self + (-other if isinstance(other, (int, Poly)) else -1 * other)  # type: ignore[operator]

    def __rsub__(self, other: object) -> Any:
        return -self + other

    def __mul__(self, other: object) -> Any:
        if isinstance(other, int):
            if other == 1:
                return self
            return Poly({monomial: c * other for monomial, c in self.terms.items()}) if other else 0
        if isinstance(other, Poly):
            terms: dict[Monomial, Coefficient] = {}
            for first, a in self.terms.items():
                for second, b in other.terms.items():
                    monomial = _times(first, second)
                    terms[monomial] = terms.get(monomial, 0) + a * b
            return make(terms)
        return self.as_sympy() * other

    __rmul__ = __mul__

    def __truediv__(self, other: object) -> Any:  # a ratio is no count: sympy's
        return self.as_sympy() / other

    def __rtruediv__(self, other: object) -> Any:
        return other / self.as_sympy()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Poly) and self.terms == other.terms

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self.terms.items()))
        return self._hash

    # ------------------------------------------------------------ edges

    def _sympy_(self) -> sympy.Expr:  # sympy converts a Poly met in its own arithmetic through this
        return self.as_sympy()

    def as_sympy(self) -> sympy.Expr:
        """As sympy: each atom as :func:`symcnn.dims.size_atom` builds it (built once per Poly)."""
        if self._sympy is None:
            import sympy

            from .dims import size_atom

            terms = []
            for monomial, coefficient in self.terms.items():
                factors = [size_atom(*atom) ** exponent for atom, exponent in monomial]
                terms.append(sympy.Mul(_rational(coefficient), *factors))
            self._sympy = sympy.Add(*terms)
        return self._sympy

    def __str__(self) -> str:
        return str(self.as_sympy())

    __repr__ = __str__

    def evaluate(self, values: Mapping[str, int]) -> Coefficient:
        """The value with every symbol given, exactly."""
        result: Coefficient = 0
        for monomial, coefficient in self.terms.items():
            for (name, offset, divisor), exponent in monomial:
                coefficient *= ((values[name] + offset) // divisor) ** exponent
            result += coefficient
        return result

    @property
    def symbols(self) -> frozenset[str]:
        return frozenset(atom[0] for monomial in self.terms for atom, _ in monomial)


def make(terms: dict[Monomial, Coefficient]) -> Any:
    """A Poly of ``terms`` without zero coefficients, or a number when no atom is left."""
    terms = {monomial: c for monomial, c in terms.items() if c}
    if len(terms) > MAX_EXPANDED_TERMS:
        raise SymcnnError(
            f"a closed form would have more than {MAX_EXPANDED_TERMS:,} terms once multiplied out; "
            "give some symbols a value (--set NAME=VALUE)"
        )
    if not terms.keys() - {()}:
        constant = terms.get((), 0)
        return int(constant) if isinstance(constant, int) or constant.denominator == 1 else constant
    return Poly(terms)


def _added(first: dict[Monomial, Coefficient], second: dict[Monomial, Coefficient]) -> dict[Monomial, Coefficient]:
    terms = dict(first)
    for monomial, c in second.items():
        terms[monomial] = terms.get(monomial, 0) + c
    return terms


@lru_cache(maxsize=1 << 14)
def _times(first: Monomial, second: Monomial) -> Monomial:
    if not first:
        return second
    if not second:
        return first
    exponents = dict(first)
    for atom, exponent in second:
        exponents[atom] = exponents.get(atom, 0) + exponent
    return tuple(sorted(exponents.items()))


def _rational(coefficient: Coefficient) -> sympy.Rational:
    import sympy

    return sympy.Rational(coefficient.numerator, coefficient.denominator)  # type: ignore[no-any-return]


def add_all(values: Iterable[Poly]) -> Any:
    """The sum of many Polys in one pass (a total over a network's layers)."""
    terms: dict[Monomial, Coefficient] = {}
    for value in values:
        for monomial, c in value.terms.items():
            terms[monomial] = terms.get(monomial, 0) + c
    return make(terms)


# ---------------------------------------------------------------- closed forms


@lru_cache(maxsize=4096)
def _canonical_atom(atom: Atom) -> dict[Monomial, Coefficient]:
    """⌊(s + B)/S⌋ as ⌊(s + r)/S⌋ + q with 0 ≤ r < S (s + B when S = 1): equal sizes, one atom."""
    name, offset, divisor = atom
    quotient, remainder = divmod(offset, divisor) if divisor > 1 else (offset, 0)
    terms: dict[Monomial, Coefficient] = {(((name, remainder, divisor), 1),): 1}
    if quotient:
        terms[()] = quotient
    return terms


def canonical(value: Any) -> Any:
    """``value`` multiplied out over canonical atoms ⌊(s + r)/S⌋, 0 ≤ r < S: the general closed form.

    >>> print(canonical(Poly.atom("n", 35, 32) * Poly.atom("n", -4, 1)))
    n*floor(n/32 + 3/32) + n - 4*floor(n/32 + 3/32) - 4
    """
    if not isinstance(value, Poly):
        return value
    result: dict[Monomial, Coefficient] = {}
    for monomial, coefficient in value.terms.items():
        expanded: dict[Monomial, Coefficient] = {(): coefficient}
        for atom, exponent in monomial:
            for _ in range(exponent):
                expanded = _product_terms(expanded, _canonical_atom(atom))
        result = _added(result, expanded)
    return make(result)


def _product_terms(
    first: dict[Monomial, Coefficient], second: dict[Monomial, Coefficient]
) -> dict[Monomial, Coefficient]:
    terms: dict[Monomial, Coefficient] = {}
    for a, x in first.items():
        for b, y in second.items():
            monomial = _times(a, b)
            terms[monomial] = terms.get(monomial, 0) + x * y
    if len(terms) > MAX_EXPANDED_TERMS:
        make(terms)  # raises: too many terms
    return terms


def polynomial_form(general: Any, residues: Mapping[str, tuple[int, int]] | None = None) -> tuple[Any, dict[str, int]]:
    """The general form as a polynomial, exact when each symbol s is a multiple of every S of its
    atoms (the lcm, per symbol, is the second result): each atom ⌊(s + r)/S⌋ is then s/S.

    With ``residues`` {s: (m, c)}, the polynomial holds for s ≡ c modulo the lcm L of m and the
    atoms' S instead (a domain of one residue class): s = L·q + c makes ⌊(s + r)/S⌋ = (s − c)/S + ⌊(c + r)/S⌋.

    >>> tile = Poly.atom("n", 0, 32)
    >>> form, multiple_of = polynomial_form(canonical(2097152 * tile * tile + 35597096))
    >>> print(form)
    2048*n**2 + 35597096
    >>> multiple_of
    {'n': 32}
    >>> form, modulus = polynomial_form(Poly.atom("n", 0, 16), {"n": (16, 12)})
    >>> print(form, modulus)
    n/16 - 3/4 {'n': 16}
    """
    if not isinstance(general, Poly):
        return general, {}
    residues = residues or {}
    multiple_of: dict[str, int] = {}
    for monomial in general.terms:
        for (name, _, divisor), _ in monomial:
            if divisor > 1:
                multiple_of[name] = lcm(multiple_of.get(name, 1), divisor, residues.get(name, (1, 0))[0])
    terms: dict[Monomial, Coefficient] = {}
    for monomial, coefficient in general.terms.items():
        expanded: dict[Monomial, Coefficient] = {(): coefficient}
        for (name, offset, divisor), exponent in monomial:
            plain: Monomial = (((name, 0, 1), 1),)
            if divisor == 1:
                linear: dict[Monomial, Coefficient] = {plain: 1, (): offset} if offset else {plain: 1}
            else:
                residue = residues.get(name, (1, 0))[1] % multiple_of[name]
                constant = Fraction(-residue, divisor) + (residue + offset) // divisor
                linear = {plain: Fraction(1, divisor), (): constant} if constant else {plain: Fraction(1, divisor)}
            for _ in range(exponent):
                expanded = _product_terms(expanded, linear)
        terms = _added(terms, expanded)
    whole = {k: int(c) if isinstance(c, Fraction) and c.denominator == 1 else c for k, c in terms.items() if c}
    return make(whole), dict(sorted(multiple_of.items()))


def compile_counts(value: Poly, name: str) -> Any:
    """A function of the one symbol ``name`` that evaluates ``value`` with integer floors only.

    The source is printed from the Poly's own numbers, never from user text.

    >>> compile_counts(3 * Poly.atom("n", 1, 2) + 5, "n")(7)
    17
    """
    if value.symbols != {name}:
        raise SymcnnError(f"cannot evaluate {value} with {name} alone")
    terms = []
    for monomial, coefficient in value.terms.items():
        factors = [repr(coefficient)]
        for (_, offset, divisor), exponent in monomial:
            atom = f"(s + {offset})" if offset else "s"
            atom = f"({atom} // {divisor})" if divisor > 1 else atom
            factors.append(f"{atom}**{exponent}" if exponent > 1 else atom)
        terms.append("*".join(factors))
    source = "lambda s: " + " + ".join(terms)
    return eval(compile(source, "<symcnn count>", "eval"), {"__builtins__": {}, "Fraction": Fraction})
