"""The hand-calculation checker: which quantities of a network equal a value,
and, when none does, the likely slip (biases, MACs vs FLOPs, bytes, input size).

Pure analysis: findings are plain data; :mod:`symcnn.render.check` words them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

from .analysis import LayerResult, analyze
from .arithmetic import Claim, parse_claim
from .network import Network
from .values import as_int

QUANTITIES = ("params", "weights", "biases", "buffers", "activations", "macs")
SEARCH_SIZES = range(1, 4097)


@dataclass(frozen=True)
class Quantity:
    """One number of a network: a layer's, a block's or the total's."""

    quantity: str
    value: int
    layer: LayerResult | None  # None: the whole network

    @property
    def where(self) -> str:
        return "the network" if self.layer is None else f"layer {self.layer.index} {self.layer.name}"


def ordinal(layer: LayerResult, net: Network) -> str:
    """Which of the layers with its name ``layer`` is: "the first conv3-256 of 3".

    >>> import symcnn
    >>> net = symcnn.parse("vgg16", n=224)
    >>> ordinal(net.layers[10], net)
    'the first conv3-256 of 3'
    """
    same = [row for row in net.layers if row.name == layer.name]
    if len(same) < 2 or layer not in same:
        return ""
    words = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
    position = same.index(layer)
    word = words[position] if position < len(words) else f"#{position + 1}"
    return f"the {word} {layer.name} of {len(same)}"


@dataclass(frozen=True)
class Slip:
    """A value that equals ``quantity`` once a known slip is undone.

    ``kind``: biases-left-out, biases-added, flops-for-macs, macs-for-flops,
    float32-bytes, float16-bytes, mib-as-mb, input-size. ``detail`` is the number
    that explains it (the biases, the factor, the input size).
    """

    kind: str
    quantity: Quantity
    detail: int


@dataclass(frozen=True)
class Checked:
    """A hand calculation checked, alone or against a network at its values: what ``symcnn check``
    says, as an object (``holds``; printed as the command prints it; a report in Jupyter)."""

    claim: Claim
    network: Network | None = None
    name: str = ""  # the network's name in the report

    @property
    def holds(self) -> bool | None:
        return self.claim.holds

    def __str__(self) -> str:
        from .render.notebook import check_text

        return check_text(self)

    def _repr_html_(self) -> str:
        from .render.notebook import check_html

        return check_html(self)

    def _repr_markdown_(self) -> str:
        from .render.notebook import check_markdown

        return check_markdown(self)


def check(expression: str, network: Network | None = None, name: str = "") -> Checked:
    """Check arithmetic as people write it (``128x3x3x256 + 256 = 295,168``), and with a network
    (every symbol given a value), which of its numbers the values are.

    >>> import symcnn
    >>> check("128x3x3x256 = 295,168", symcnn.parse("vgg16", n=224)).holds
    False
    """
    return Checked(parse_claim(expression), network, name)


def quantities(net: Network) -> Iterator[Quantity]:
    """Every number of ``net`` that is an int: totals first, then blocks, then layers."""
    for name in QUANTITIES:
        total = as_int(net.total(name))
        if total:
            yield Quantity(name, total, None)
    for row in (*net.analysis.blocks(), *net.layers):
        for name in QUANTITIES:
            value = as_int(getattr(row, name))
            if value:
                yield Quantity(name, value, row)


def matches(value: Fraction, net: Network, step: Fraction | None = None) -> list[Quantity]:
    """The quantities equal to ``value`` (or that round to it, for a value written rounded to ``step``).

    >>> import symcnn
    >>> [(q.quantity, q.where) for q in matches(Fraction(295168), symcnn.parse("vgg16", n=224))]
    [('params', 'layer 11 conv3-256')]
    """
    if step:
        return [q for q in quantities(net) if abs(q.value - value) * 2 <= step]
    return [q for q in quantities(net) if q.value == value]


def nearest(value: Fraction, net: Network, count: int = 3, in_bytes: bool = False) -> list[Quantity]:
    """The ``count`` quantities closest to ``value`` (by ratio); in float32 bytes for a byte value."""
    if value <= 0:
        return []
    width = 4 if in_bytes else 1
    pool = [q for q in quantities(net) if not in_bytes or q.quantity in ("activations", "params")]
    ranked = sorted(pool, key=lambda q: abs(Fraction(width * q.value) / value - 1))
    seen: list[Quantity] = []
    for quantity in ranked:
        if all((quantity.value, quantity.quantity) != (other.value, other.quantity) for other in seen):
            seen.append(quantity)
        if len(seen) == count:
            break
    return seen


def slips(value: Fraction, net: Network, in_bytes: bool = False) -> list[Slip]:
    """The known slips that turn some quantity of ``net`` into ``value``.

    >>> import symcnn
    >>> [(s.kind, s.quantity.where, s.detail) for s in slips(Fraction(294912), symcnn.parse("vgg16", n=224))]
    [('biases-left-out', 'layer 11 conv3-256', 256)]
    """
    found: list[Slip] = []
    for quantity in quantities(net):
        found.extend(_slips_of(value, quantity, in_bytes))
    return found + _input_size_slips(value, net)


def _slips_of(value: Fraction, quantity: Quantity, in_bytes: bool) -> Iterator[Slip]:
    layer, number = quantity.layer, quantity.value
    if quantity.quantity == "params" and layer is not None:
        biases = as_int(layer.biases) or 0
        if biases and value == number - biases:
            yield Slip("biases-left-out", quantity, biases)
        outputs = as_int(layer.output[0])
        if layer.kind in ("conv", "fc") and not biases and outputs and value == number + outputs:
            yield Slip("biases-added", quantity, outputs)
    if quantity.quantity == "macs" and not in_bytes:
        if value == 2 * number:
            yield Slip("flops-for-macs", quantity, 2)
        if 2 * value == number:
            yield Slip("macs-for-flops", quantity, 2)
    if quantity.quantity in ("activations", "params"):
        for kind, width in (("float32-bytes", 4), ("float16-bytes", 2)):
            if value == width * number:
                yield Slip(kind, quantity, width)
        if in_bytes and value % 10**6 == 0 and round(Fraction(4 * number, 2**20)) * 10**6 == value:
            yield Slip("mib-as-mb", quantity, 4)


def _input_size_slips(value: Fraction, net: Network) -> list[Slip]:
    """Totals that equal ``value`` at another input size (networks with one free or given n)."""
    if value.denominator != 1 or "n" not in net.values or len(net.symbols) > 0:
        return []
    others = {name: given for name, given in net.values.items() if name != "n"}
    symbolic = Network(analyze(net.architecture, others, net.convention, net.mode, net.analysis.aux))  # n free again
    domain = symbolic.analysis.domains.get("n")
    least = symbolic.analysis.smallest_valid.get("n") or 1
    sizes = [size for size in SEARCH_SIZES if size >= least and (domain is None or domain.contains(size))]
    found = []
    for name in ("params", "activations", "macs"):
        if symbolic.symbols != ("n",):
            break
        values = symbolic.sweep(name, sizes)
        for size, total in zip(sizes, values, strict=True):
            if total == value and size != net.values["n"]:
                found.append(Slip("input-size", Quantity(name, total, None), size))
                break
    return found
