"""What a page's claims are compared with: the rows of a network, tied to lines by shape, and its totals.

A line's shape (``[224x224x64]``, HWC or CHW) ties it to the next layer with that
output, in order, so a table row meets its layer even where its numbers are wrong.
The slips a failing claim is checked for live here too: biases, MACs vs FLOPs,
bytes, MB vs MiB, another layer, the adaptive pool, another network of the zoo,
another input size.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, cast

from ..arithmetic import Amount
from ..check import SEARCH_SIZES, Quantity, Slip
from ..values import as_int

if TYPE_CHECKING:
    from ..analysis import LayerResult
    from ..network import Network

KINDS = ("params", "weights", "biases", "activations", "macs", "flops")
FLOAT32_BYTES = 4


@dataclass(frozen=True)
class Row:
    """A layer (or the input, index 0) with its output shape and its numbers."""

    index: int
    name: str
    dims: tuple[int, ...]
    values: dict[str, int]
    layer: LayerResult | None = None

    @property
    def where(self) -> str:
        return "the input" if self.layer is None else f"layer {self.index} {self.name}"

    def shapes(self) -> set[tuple[int, ...]]:
        """How this row's output may be written: channels first or last; a flat 4096 also as 1x1x4096.

        >>> sorted(Row(1, "fc", (4096,), {}).shapes())
        [(1, 1, 4096), (4096,), (4096, 1, 1)]
        """
        dims = self.dims if len(self.dims) == 3 else (*self.dims, 1, 1)
        written = {dims, (*dims[1:], dims[0])}
        if dims[1:] == (1, 1):
            written.add(dims[:1])
        return written


@dataclass(frozen=True)
class OtherNetwork:
    """The value is another network's ``quantity`` (vgg-e's parameters for vgg-d's)."""

    name: str
    quantity: str
    value: int


def _numbers(layer: LayerResult) -> dict[str, int]:
    numbers = {kind: as_int(getattr(layer, kind)) or 0 for kind in KINDS[:-1]}
    numbers["flops"] = 2 * numbers["macs"]
    return numbers


class Targets:
    """The rows and totals of ``net`` (ints at given sizes), a cursor for ties, and slip searches."""

    def __init__(self, net: Network, arch: str = "") -> None:
        self.net, self.arch = net, arch
        shape = tuple(as_int(size) or 0 for size in net.input)
        inputs = {kind: 0 for kind in KINDS} | {"activations": as_int(net.input_activations) or 0}
        self.rows = [Row(0, "input", shape, inputs)]
        for layer in net.layers:
            dims = tuple(as_int(size) or 0 for size in layer.output)
            self.rows.append(Row(layer.index, layer.name, dims, _numbers(layer), layer))
        self.totals = {kind: as_int(net.total(kind)) or 0 for kind in KINDS[:-1]}
        self.totals["flops"] = 2 * self.totals["macs"]
        self._tied = [row for row in self.rows if row.values["activations"]]
        self._adaptive = sum(row.values["activations"] for row in self.rows if row.name.startswith("adaptive"))
        self._by_shape: dict[tuple[int, ...], list[int]] = {}
        for position, row in enumerate(self._tied):
            for shape in row.shapes():
                self._by_shape.setdefault(shape, []).append(position)
        self._cursor = 0
        everything = [Quantity(kind, self.totals[kind], None) for kind in KINDS]
        everything += [Quantity(kind, row.values[kind], row.layer) for row in self.rows[1:] for kind in KINDS]
        self._index = sorted((q for q in everything if q.value), key=lambda q: q.value)
        self._keys = [q.value for q in self._index]
        self._others: dict[str, dict[str, int]] | None = None
        self._by_size: dict[str, dict[int, int]] = {}
        self._sorted_others: dict[str, list[tuple[int, str]]] = {}
        self._slip_index: dict[tuple[str, bool], tuple[list[int], list[int]]] = {}

    def tie(self, shapes: tuple[tuple[int, ...], ...]) -> list[Row | None]:
        """The next rows, in order, whose outputs are ``shapes`` (None for a shape no layer has)."""
        tied: list[Row | None] = []
        for shape in shapes:
            positions = self._by_shape.get(shape, [])
            later = bisect_left(positions, self._cursor)
            if later < len(positions):
                tied.append(self._tied[positions[later]])
                self._cursor = positions[later] + 1
            else:  # a row about a layer already passed (the caption's first layer), or none
                tied.append(self._tied[positions[0]] if positions else None)
        return tied

    def value(self, row: Row | None, kind: str, in_bytes: bool) -> int:
        number = self.totals[kind] if row is None else row.values[kind]
        return FLOAT32_BYTES * number if in_bytes else number

    def match(self, said: Said, rows: tuple[Row, ...], in_bytes: bool, kind: str | None = None) -> Quantity | None:
        """What an amount equals (a tied row's numbers first, then totals, then any layer's)."""
        width = FLOAT32_BYTES if in_bytes else 1
        for row in rows:
            for name in KINDS if kind is None else (kind,):
                if row.values[name] and said(width * row.values[name]):
                    return Quantity(name, row.values[name], row.layer)
        for least, most in said.spans:
            low = bisect_left(self._keys, -(-least // width))
            high = bisect_right(self._keys, most // width)
            found = [q for q in self._index[low:high] if kind is None or q.quantity == kind]
            found.sort(key=lambda q: q.layer is not None)  # totals first
            if found and (not in_bytes or found[0].quantity == "activations" or kind is not None):
                return found[0]
        return None

    def slipping_rows(self, said: Said, kind: str, in_bytes: bool) -> list[Row]:
        """The rows with a slip that could give what ``said`` says (looked up, not searched)."""
        key = (kind, in_bytes)
        if key not in self._slip_index:
            pairs = [
                (value, position)
                for position, row in enumerate(self.rows)
                for value in _slip_values(row, kind, in_bytes)
            ]
            pairs.sort(key=lambda pair: pair[0])
            self._slip_index[key] = ([value for value, _ in pairs], [position for _, position in pairs])
        keys, positions = self._slip_index[key]
        found: set[int] = set()
        for least, most in said.spans:
            found.update(positions[bisect_left(keys, least) : bisect_right(keys, most)])
        return [self.rows[position] for position in sorted(found)]

    def row_slips(self, said: Said, row: Row, kind: str, in_bytes: bool, others: bool = True) -> tuple[Slip, ...]:
        found = list(self._common_slips(said, row.values, row.layer, kind, in_bytes))
        if others and not in_bytes:  # another row's number: the table's rows are out of step
            for other in self.rows:
                if other is not row and other.values[kind] and said(other.values[kind]):
                    found.append(Slip("other-layer", Quantity(kind, other.values[kind], other.layer), other.index))
                    break
        return tuple(found)

    def total_slips(self, said: Said, kind: str, in_bytes: bool) -> tuple[Slip | OtherNetwork, ...]:
        found: list[Slip | OtherNetwork] = list(self._common_slips(said, self.totals, None, kind, in_bytes))
        width = FLOAT32_BYTES if in_bytes else 1
        adaptive = self._adaptive
        if kind == "activations" and adaptive and said(width * (self.totals[kind] - adaptive)):
            found.append(Slip("adaptive-pool-left-out", Quantity(kind, self.totals[kind], None), adaptive))
        others = self._other_totals(kind)
        for least, most in said.spans:
            for _, name in others[
                bisect_left(others, (-(-least // width), "")) : bisect_right(others, (most // width, "~"))
            ]:
                found.append(OtherNetwork(name, kind, self._other_networks()[name][kind]))
        value = said.amounts[0].value
        if not found and not in_bytes and kind in ("params", "activations", "macs") and value.denominator == 1:
            size = self._sizes(kind).get(int(value))
            if size is not None:
                found.append(Slip("input-size", Quantity(kind, int(value), None), size))
        return tuple(found)

    def _sizes(self, kind: str) -> dict[int, int]:
        """The network's ``kind`` total at every other input size n of :data:`SEARCH_SIZES`, by value (swept once)."""
        if kind in self._by_size:
            return self._by_size[kind]
        from ..analysis import analyze
        from ..network import Network

        table: dict[int, int] = {}  # value → the first other n with it
        self._by_size[kind] = table
        net = self.net
        if "n" not in net.values or net.symbols:
            return table
        others = {name: given for name, given in net.values.items() if name != "n"}
        symbolic = Network(analyze(net.architecture, others, net.convention, net.mode, net.analysis.aux))
        if symbolic.symbols != ("n",):
            return table
        domain = symbolic.analysis.domains.get("n")
        least = symbolic.analysis.smallest_valid.get("n") or 1
        sizes = [size for size in SEARCH_SIZES if size >= least and (domain is None or domain.contains(size))]
        for size, total in zip(sizes, symbolic.sweep(kind, sizes), strict=True):
            if size != net.values["n"]:
                table.setdefault(total, size)
        return table

    def _common_slips(
        self, said: Said, numbers: dict[str, int], layer: LayerResult | None, kind: str, in_bytes: bool
    ) -> list[Slip]:
        found: list[Slip] = []
        right = numbers[kind]

        if in_bytes:
            if said(2 * right):
                found.append(Slip("float16-bytes", Quantity(kind, right, layer), 2))
            if said(right):
                found.append(Slip("values-as-bytes", Quantity(kind, right, layer), 1))
            mebibytes = Fraction(FLOAT32_BYTES * right, 2**20) * 10**6
            if said(mebibytes) and not said(FLOAT32_BYTES * right):
                found.append(Slip("mib-as-mb", Quantity(kind, right, layer), FLOAT32_BYTES))
            return found
        if kind == "params" and said(numbers["weights"]) and numbers["biases"]:
            found.append(Slip("biases-left-out", Quantity(kind, right, layer), numbers["biases"]))
        if kind == "weights" and said(numbers["params"]) and numbers["biases"]:
            found.append(Slip("biases-included", Quantity(kind, right, layer), numbers["biases"]))
        if kind == "flops" and said(numbers["macs"]):
            found.append(Slip("macs-for-flops", Quantity("macs", numbers["macs"], layer), 2))
        if kind == "macs" and said(numbers["flops"]):
            found.append(Slip("flops-for-macs", Quantity("macs", right, layer), 2))
        if kind in ("activations", "params") and said(FLOAT32_BYTES * right):
            found.append(Slip("float32-bytes", Quantity(kind, right, layer), FLOAT32_BYTES))
        return found

    def _other_totals(self, kind: str) -> list[tuple[int, str]]:
        """The other networks' ``kind`` totals, sorted (looked up by bisection)."""
        if kind not in self._sorted_others:
            self._sorted_others[kind] = sorted((totals[kind], name) for name, totals in self._other_networks().items())
        return self._sorted_others[kind]

    def _other_networks(self) -> dict[str, dict[str, int]]:
        """The totals of the zoo's other networks of this family (vgg16 and vgg-a … vgg-e for vgg-d), built once."""
        if self._others is not None:
            return self._others
        from .. import zoo
        from ..errors import SymcnnError
        from ..network import parse
        from ..rules import CONVENTIONS

        self._others = {}
        family = re.match(r"[a-z]+", self.arch.lower())
        if family is None or self.arch not in zoo.names():
            return self._others
        convention = next(name for name, rule in CONVENTIONS.items() if rule is self.net.convention)
        for name in zoo.names():
            if name == self.arch or not name.startswith(family.group()):
                continue
            try:
                other = parse(name, convention=convention, **cast("dict[str, Any]", dict(self.net.values)))
            except SymcnnError:
                continue
            if other.symbols:
                continue
            totals = {kind: as_int(other.total(kind)) or 0 for kind in KINDS[:-1]}
            self._others[name] = totals | {"flops": 2 * totals["macs"]}
        return self._others


def _slip_values(row: Row, kind: str, in_bytes: bool) -> list[int]:
    """What a claim about ``row``'s ``kind`` says under each slip :meth:`Targets._common_slips` knows."""
    right = row.values[kind]
    if in_bytes:  # MiB as MB: rounded to a whole byte, the amounts it is compared with being rounded
        return [2 * right, right, FLOAT32_BYTES * right * 10**6 // 2**20]
    mistaken = {"params": "weights", "weights": "params", "flops": "macs", "macs": "flops"}
    values = [row.values[mistaken[kind]]] if kind in mistaken else []
    if kind in ("activations", "params"):
        values.append(FLOAT32_BYTES * right)
    return [value for value in values if value]


class Said:
    """What a claim's amounts say, as the whole numbers each stands for (compared as ints: pages are long)."""

    def __init__(self, amounts: list[Amount]) -> None:
        self.amounts = amounts
        self.spans = [bounds(amount) for amount in amounts]

    def __call__(self, value: int | Fraction) -> bool:
        """Whether ``value`` is what one of the amounts says: equal, or rounding to it."""
        if isinstance(value, int):
            return any(low <= value <= high for low, high in self.spans)
        return any(_agrees(value, amount) for amount in self.amounts)


def _agrees(value: Fraction, amount: Amount) -> bool:
    if amount.step:
        return abs(value - amount.value) * 2 <= amount.step
    return value == amount.value


def bounds(amount: Amount) -> tuple[int, int]:
    """The whole numbers ``amount`` stands for: itself, or those that round to it (none for 1/3).

    >>> bounds(Amount(Fraction(3_200_000), Fraction(100_000))), bounds(Amount(Fraction(1, 3)))
    ((3150000, 3250000), (1, 0))
    """
    if not amount.step and amount.value.denominator == 1:
        return amount.value.numerator, amount.value.numerator
    half = (amount.step or Fraction(0)) / 2
    return math.ceil(amount.value - half), math.floor(amount.value + half)
