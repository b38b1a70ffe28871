"""Which input sizes a network accepts: exact sets "n ≥ n₀ and n ≡ r₁, r₂, … (mod m)".

Every symbolic size is a sum of floors ⌊(n + B)/S⌋ (:mod:`symcnn.dims`), so whether a
size is at least 1, or two sizes that meet at a merge agree, depends on n only through
a threshold and the residue of n modulo the floors' periods. A :class:`Domain` keeps,
for each residue r modulo its modulus, the least valid n ≡ r (or None: no n ≡ r is
valid); every larger n ≡ r is valid too. Intersections are exact.

>>> sizes = Domain.at_least(32)
>>> merges = Domain.residues(16, {0})
>>> both = sizes & merges
>>> both.describe("n"), both.contains(48), both.contains(40), both.contains(16)
('n ≥ 32 and n ≡ 0 (mod 16)', True, False, False)
>>> both.nearest(40)
(32, 48)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from math import lcm

from .dims import FloorSize, LinearSize, Size, difference
from .limits import MAX_MODULUS


@dataclass(frozen=True)
class Domain:
    """The valid values of one input symbol: per residue modulo ``modulus``, the least valid one."""

    modulus: int
    least: tuple[int | None, ...]  # least[r]: the least valid n ≡ r (mod modulus), or None

    @staticmethod
    def at_least(bound: int) -> Domain:
        """Every n ≥ ``bound`` (and n ≥ 1: sizes are positive)."""
        return Domain(1, (max(bound, 1),))

    @staticmethod
    def residues(modulus: int, residues: set[int] | frozenset[int]) -> Domain:
        """Every n ≥ 1 whose residue modulo ``modulus`` is one of ``residues``.

        >>> Domain.residues(4, {0, 2}).describe("n")
        'n ≡ 0 (mod 2)'
        """
        return _residue_classes(modulus, frozenset(residues))

    @staticmethod
    def _residues(modulus: int, residues: frozenset[int]) -> Domain:
        least = tuple((r or modulus) if r in residues else None for r in range(modulus))
        return Domain(modulus, least).reduced()

    @staticmethod
    def by_residue(modulus: int, least: list[int | None]) -> Domain:
        """From the least valid n of each residue class (each raised to its class and to 1)."""
        return Domain(modulus, tuple(None if x is None else _lift(max(x, 1), r, modulus) for r, x in enumerate(least)))

    def __and__(self, other: Domain) -> Domain | None:
        """Both at once; None when the common modulus would pass :data:`~symcnn.limits.MAX_MODULUS`."""
        return _intersection(self, other)

    def _intersect(self, other: Domain) -> Domain | None:
        modulus = lcm(self.modulus, other.modulus)
        if modulus > MAX_MODULUS:
            return None
        least: list[int | None] = []
        for r in range(modulus):
            a, b = self.least[r % self.modulus], other.least[r % other.modulus]
            least.append(None if a is None or b is None else _lift(max(a, b), r, modulus))
        return Domain(modulus, tuple(least)).reduced()

    def reduced(self) -> Domain:
        """The same set with the smallest modulus that states it.

        >>> Domain(4, (4, 5, 6, 7)).reduced()
        Domain(modulus=1, least=(4,))
        """
        for divisor in range(1, self.modulus):
            if self.modulus % divisor:
                continue
            least: list[int | None] = []
            for r in range(divisor):
                known = [x for x in self.least[r::divisor] if x is not None]
                least.append(min(known) if known else None)
            lifted = tuple(
                None if (x := least[r % divisor]) is None else _lift(x, r, self.modulus) for r in range(self.modulus)
            )
            if lifted == self.least:
                return Domain(divisor, tuple(least))
        return self

    @property
    def empty(self) -> bool:
        return all(x is None for x in self.least)

    @property
    def smallest(self) -> int | None:
        """The least valid value of all."""
        known = [x for x in self.least if x is not None]
        return min(known) if known else None

    @property
    def residue_set(self) -> tuple[int, ...]:
        return tuple(r for r, x in enumerate(self.least) if x is not None)

    @property
    def threshold(self) -> int:
        """The least n₀ for which "n ≥ n₀ and n ≡ r (mod m), r valid" holds of every such n.

        >>> Domain(2, (4, 1)).threshold  # 1, 3, 4, 5, 6, …: from 3 on every n is valid
        3
        """
        known = [(r, x) for r, x in enumerate(self.least) if x is not None]
        top = max(x for _, x in known)
        best = top
        for start in range(top, max(top - self.modulus, 0), -1):
            if all(x <= _lift(start, r, self.modulus) for r, x in known):
                best = start
        return min(_lift(best, r, self.modulus) for r, _ in known)  # the first value it includes

    def contains(self, value: int) -> bool:
        least = self.least[value % self.modulus]
        return least is not None and value >= least

    def nearest(self, value: int) -> tuple[int | None, int | None]:
        """The valid values closest to ``value`` below and above it (None where there is none below).

        >>> Domain.residues(16, {12}).nearest(30)
        (28, 44)
        """
        below: int | None = None
        above: int | None = None
        for r, least in enumerate(self.least):
            if least is None:
                continue
            up = max(least, _lift(value, r, self.modulus))
            above = up if above is None else min(above, up)
            down = value - ((value - r) % self.modulus)
            if down >= least:
                below = down if below is None else max(below, down)
        return below, above

    def describe(self, name: str) -> str:
        """In words: n ≥ 32; n ≡ 0 (mod 16); n ≥ 188 and n ≡ 12 (mod 16); and smaller valid values.

        >>> Domain(2, (4, 1)).describe("n"), Domain(1, (None,)).describe("n")
        ('n ≥ 3 (and n = 1)', 'no n')
        """
        if self.empty:
            return f"no {name}"
        start = self.threshold
        residues = self.residue_set
        some = len(residues) < self.modulus
        first = min(_lift(1, r, self.modulus) for r in residues)
        parts = [] if some and start == first else [f"{name} ≥ {start}"]
        if some:
            parts.append(f"{name} ≡ {', '.join(map(str, residues))} (mod {self.modulus})")
        text = " and ".join(parts)
        extra = self.below_threshold()
        if extra:
            shown = ", ".join(map(str, extra[:5])) + (", …" if len(extra) > 5 else "")
            text += f" (and {name} = {shown})"
        return text

    def below_threshold(self) -> list[int]:
        """The valid values under :attr:`threshold`, which "n ≥ n₀ and n ≡ …" leaves out."""
        start = self.threshold
        found: list[int] = []
        for least in self.least:
            if least is not None:
                found.extend(range(least, start, self.modulus))
        return sorted(found)

    def as_json(self) -> dict[str, object]:
        """``{"min", "modulus", "residues"}`` (and ``"also"``: valid values below ``min``); min null when empty."""
        if self.empty:
            return {"min": None, "modulus": 1, "residues": []}
        result: dict[str, object] = {"min": self.threshold, "modulus": self.modulus, "residues": list(self.residue_set)}
        extra = self.below_threshold()
        if extra:
            result["also"] = extra
        return result


# A network meets the same conditions at every block it repeats: each is worked out once.
@lru_cache(maxsize=4096)
def _intersection(first: Domain, second: Domain) -> Domain | None:
    return first._intersect(second)


@lru_cache(maxsize=4096)
def _residue_classes(modulus: int, residues: frozenset[int]) -> Domain:
    return Domain._residues(modulus, residues)


@lru_cache(maxsize=4096)
def _floor_exact(size: Size, shift: int, divisor: int) -> Domain | None:
    """Where ⌊(size + shift)/divisor⌋ drops no pixel (None: it cannot be stated)."""
    found = difference(size, 0)
    if found is None:
        return None
    period, rise, values = found
    modulus = period * divisor
    if modulus > MAX_MODULUS:
        return None
    exact = {r for r in range(modulus) if (values[r % period] + rise * (r // period) + shift) % divisor == 0}
    return Domain.residues(modulus, exact)


def _lift(value: int, residue: int, modulus: int) -> int:
    """The least n ≥ ``value`` with n ≡ ``residue`` (mod ``modulus``)."""
    return value + (residue - value) % modulus


class Validity:
    """What the walk learns about the input symbols: a bound from the sizes (each at least 1),
    residue classes from merges and crops, and where every floor and crop is exact (tiling).

    >>> from symcnn.dims import FloorSize, scaled
    >>> validity = Validity()
    >>> validity.add_symbol("n")
    >>> validity.at_least("n", 32)
    >>> validity.agree(FloorSize("n", 0, 8), scaled(FloorSize("n", 0, 16), 2, 0))
    True
    >>> validity.domain("n").describe("n")
    'n ≥ 32 and n ≡ 0, 1, 2, 3, 4, 5, 6, 7 (mod 16)'
    """

    def __init__(self) -> None:
        self.bounds: dict[str, int | None] = {}  # None: a symbolic stride or kernel hides the domain
        self.classes: dict[str, Domain | None] = {}
        self.tiling: dict[str, Domain | None] = {}
        # The floors met, (size, shift, divisor): where they drop no pixel is worked out only when asked
        # (a classifier's report never asks; a dense network's tiling line does).
        self.floors: list[tuple[Size, int, int]] = []

    def add_symbol(self, name: str) -> None:
        self.bounds.setdefault(name, 1)

    def at_least(self, name: str, bound: int) -> None:
        known = self.bounds.get(name, 1)
        if known is not None:
            self.bounds[name] = max(known, bound)

    def unknown(self, name: str) -> None:
        if name in self.bounds:
            self.bounds[name] = None

    def domain(self, name: str) -> Domain | None:
        """Every value of ``name`` the network accepts (None: not derived)."""
        bound = self.bounds.get(name, 1)
        if bound is None or (name in self.classes and self.classes[name] is None):
            return None
        domain = Domain.at_least(bound)
        classes = self.classes.get(name)
        return domain if classes is None else domain & classes

    def domains(self) -> dict[str, Domain | None]:
        return {name: self.domain(name) for name in self.bounds}

    def tilings(self) -> dict[str, Domain | None]:
        """Where no floor drops a pixel and every crop is centred, per symbol (absent: everywhere)."""
        for size, shift, divisor in self.floors:
            assert isinstance(size, (FloorSize, LinearSize))
            self.exact_where(size.symbol, _floor_exact(size, shift % divisor, divisor))
        self.floors.clear()
        return {name: self.tiling[name] for name in self.bounds if name in self.tiling}

    def restrict(self, name: str, domain: Domain | None) -> bool:
        """Keep only ``domain`` (None: what it is cannot be stated); False when nothing would be left."""
        known = self.classes.get(name, Domain.at_least(1))
        merged = None if known is None or domain is None else known & domain
        if merged is not None and (merged.empty or self._empty_with_bound(name, merged)):
            return False
        self.classes[name] = merged
        return True

    def _empty_with_bound(self, name: str, classes: Domain) -> bool:
        bound = self.bounds.get(name, 1)
        return bound is not None and (Domain.at_least(bound) & classes or classes).empty

    def agree(self, first: Size, second: Size) -> bool:
        """Whether two sizes that meet at a merge agree for some residue class of large inputs;
        the classes where they do become part of the domain."""
        if first == second:
            return True
        found = difference(first, second)
        if found is None:
            return False
        period, rise, values = found
        if rise:  # one grows faster: equal at one input size at most
            return False
        residues = {r for r, value in enumerate(values) if value == 0}
        if not residues:
            return False
        return self.restrict(_symbol_of(first, second), Domain.residues(period, residues))

    def covers(self, larger: Size, smaller: Size) -> bool:
        """Whether ``larger`` ≥ ``smaller`` (a crop's input and its target) for some large inputs; records
        where, and where the margin is even (a centred crop)."""
        found = difference(larger, smaller)
        if found is None:
            return isinstance(larger, int) and isinstance(smaller, int) and larger >= smaller
        period, rise, values = found
        least: list[int | None] = []
        for r, value in enumerate(values):
            if rise > 0:
                steps = max(0, -(value // rise)) if value < 0 else 0
                least.append(period * steps + r)
            else:
                least.append(r if value >= 0 and rise == 0 else None)
        name = _symbol_of(larger, smaller)
        if not self.restrict(name, Domain.by_residue(period, least)):
            return False
        # Even margins: the margin at r + period is the margin at r plus the rise.
        doubled = 2 * period
        even = {r for r in range(doubled) if (values[r % period] + rise * (r // period)) % 2 == 0}
        self.exact_where(name, Domain.residues(doubled, even))
        return True

    def floor_exact(self, size: Size, shift: int, divisor: int) -> None:
        """Where ⌊(size + shift)/divisor⌋ drops nothing: size + shift a multiple of the divisor."""
        if divisor != 1 and isinstance(size, (FloorSize, LinearSize)):
            self.floors.append((size, shift, divisor))

    def exact_where(self, name: str, domain: Domain | None) -> None:
        """Record a tiling condition (None: one that cannot be stated, so the tiling is not derived)."""
        known = self.tiling.get(name, Domain.at_least(1))
        if known is None or domain is None:
            self.tiling[name] = None
            return
        self.tiling[name] = known & domain


def _symbol_of(first: Size, second: Size) -> str:
    """The input symbol of two sizes that :func:`~symcnn.dims.difference` could compare (one may be a number)."""
    symbolic = first if isinstance(first, (FloorSize, LinearSize)) else second
    assert isinstance(symbolic, (FloorSize, LinearSize))
    return symbolic.symbol
