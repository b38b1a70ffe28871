"""Counting rules: what one layer adds to MACs and to memory, as data.

Parameters and buffers are facts of a layer; multiply-accumulates and
activations depend on rules that every tool chooses for itself (is the bias
addition counted? pooling? the activation functions? the input?). A
:class:`Rule` is one such choice for one layer kind, a function of the layer's
:class:`Geometry` with a short text; a :class:`Convention` is a tool's table of
them. The tables themselves, one per tool, are in :mod:`symcnn.conventions`
(``CONVENTIONS`` and ``SYMCNN`` are importable from here too):

>>> conv = Geometry("conv", "conv", (64, 7, 7), (128, 7, 7), (1, 1, 64, 128), 128, 0)
>>> Params(1, 1)(conv), Params(1, 1, per_position=False)(conv), Params(2).text
(407680, 8320, '2·w·P')
>>> linear = Geometry("conv", "conv", (64, 7, 7), (128, 7, 7), (1, 1, 64, 128), 128, 0, via="linear")
>>> ByVia(Params(1, 1), {"linear": Params(1, 1, per_position=False)})(linear)
8320
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import SymcnnError
from .values import Value, as_int, product, total

if TYPE_CHECKING:
    from .conventions import CONVENTIONS, SYMCNN

__all__ = ["CONVENTIONS", "KINDS", "SYMCNN", "ByFlag", "ByOp", "ByVia", "Convention", "Geometry", "Memory", "Rule"]

# Every kind of row the analysis makes; add, cat and mul are the merges of branches (a split merges as cat).
# shuffle (ShuffleNet's channel shuffle) writes a new contiguous tensor: an activation wherever
# the convention counts other parameter-free layers that are not in place (pooling).
# upconv (a transposed convolution), resample (upsample, resize), pad and crop are dense prediction's.
KINDS = (
    "conv", "pool", "fc", "bn", "ln", "scale", "act", "dropout", "lrn", "flatten", "identity", "shuffle",
    "add", "cat", "mul", "upconv", "resample", "pad", "crop",
)  # fmt: skip


# Not frozen (hashable by value still; no field is assigned after __init__): a frozen dataclass's
# __init__ sets every field through object.__setattr__, about 0.8 µs a row. With the same change to
# LayerResult (analysis.py), a 100-size sweep, parse included: resnet152 −0.4 ms of 5.5, densenet201 −0.9 ms of 8.6.
@dataclass(unsafe_hash=True)
class Geometry:
    """The facts of one applied layer that counting rules may use.

    ``kind`` is one of :data:`KINDS`; ``op`` names the operation within it
    (relu, softmax …; maxpool, avgpool, adaptiveavgpool …; conv, dwconv).
    ``input`` and ``output`` are (C, H, W) or (features,). The weights are the
    product of ``weight_factors`` (k_h, k_w, C_in/groups, C_out for a conv;
    C, H, W, out for an fc that flattens). ``window`` is the pooling window
    (k_h, k_w) or the LRN's (size,) across channels, empty for other layers.
    ``via`` is how torch runs it where a tool counts that apart (:data:`symcnn.ir.VIA`):
    "functional", "mean" or "linear"; "" is the nn module.
    """

    kind: str
    op: str
    input: tuple[Value, ...]
    output: tuple[Value, ...]
    weight_factors: tuple[Value, ...]
    biases: Value
    buffers: Value
    parts: tuple[tuple[Value, ...], ...] = ()  # the arms' outputs, for a branch's merge
    window: tuple[Value, ...] = ()
    via: str = ""

    @property
    def weights(self) -> Value:
        return product(self.weight_factors) if self.weight_factors else 0

    @property
    def params(self) -> Value:
        """Weights and biases."""
        return self.weights + self.biases

    @property
    def input_values(self) -> Value:
        return product(self.input)

    @property
    def output_values(self) -> Value:
        return product(self.output)

    @property
    def output_area(self) -> Value:
        """H·W of a C×H×W output, 1 for a flat one."""
        return product(self.output[1:])

    @property
    def input_area(self) -> Value:
        """H·W of a C×H×W input, 1 for a flat one."""
        return product(self.input[1:])

    @property
    def affine(self) -> bool:
        """Whether the layer has learnable weights (a batch norm's scale and shift)."""
        return bool(self.weight_factors)

    @property
    def running_stats(self) -> bool:
        """Whether the layer keeps buffers (a batch norm's running statistics)."""
        return as_int(self.buffers) != 0


# ---------------------------------------------------------------- rules


@dataclass(frozen=True)
class Rule:
    """What one layer adds to a count: a function of its :class:`Geometry`, with a short text.

    ``parts`` splits the count into named pieces (a conv's weights and biases);
    the value is their sum. Texts use w and b for the weights and biases, P for
    the output positions (H·W; 1 for a flat output), in and out for the input's
    and output's values, C for the input channels.
    """

    def __call__(self, geometry: Geometry) -> Value:
        return total(value for _, value in self.parts(geometry))

    def parts(self, geometry: Geometry) -> tuple[tuple[str, Value], ...]:
        raise NotImplementedError

    @property
    def text(self) -> str:
        raise NotImplementedError


MacRule = Rule


def _times(factor: int, what: str) -> str:
    return what if factor == 1 else f"{factor}·{what}"


@dataclass(frozen=True)
class Params(Rule):
    """``weights``·w + ``biases``·b, at every output position when ``per_position``
    (at every input position with ``of="in"``: a transposed convolution spreads each input pixel).

    >>> Params(1, 1).text, Params(2).text, Params(1, 1, per_position=False).text, Params(of="in").text
    ('(w + b)·P', '2·w·P', 'w + b', 'w·P_in')
    """

    weights: int = 1
    biases: int = 0
    per_position: bool = True
    of: str = "out"

    def parts(self, geometry: Geometry) -> tuple[tuple[str, Value], ...]:
        area = geometry.input_area if self.of == "in" else geometry.output_area
        positions = area if self.per_position else 1
        return (
            ("weights", self.weights * geometry.weights * positions),
            ("biases", self.biases * geometry.biases * positions),
        )

    @property
    def text(self) -> str:
        terms = [_times(factor, name) for factor, name in ((self.weights, "w"), (self.biases, "b")) if factor]
        inner = " + ".join(terms) or "0"
        if not self.per_position:
            return inner
        positions = "P_in" if self.of == "in" else "P"
        return f"({inner})·{positions}" if len(terms) > 1 else f"{inner}·{positions}"


@dataclass(frozen=True)
class Values(Rule):
    """``factor`` per value of the layer's input (``of="in"``) or output (``of="out"``).

    >>> Values(2, "in").text, Values(1, "out").text, Values(0).text
    ('2·in', 'out', '0')
    """

    factor: int
    of: str = "out"

    def parts(self, geometry: Geometry) -> tuple[tuple[str, Value], ...]:
        values = geometry.input_values if self.of == "in" else geometry.output_values
        return (("", self.factor * values if self.factor else 0),)

    @property
    def text(self) -> str:
        return _times(self.factor, self.of) if self.factor else "0"


@dataclass(frozen=True)
class PerPosition(Rule):
    """(``per_channel``·C + ``constant`` + ``window``·size)·P, C the input channels, size the LRN's.

    >>> PerPosition(3, -1).text, PerPosition(4, -1, window=1).text
    ('(3·C − 1)·P', '(4·C + size − 1)·P')
    """

    per_channel: int
    constant: int = 0
    window: int = 0

    def parts(self, geometry: Geometry) -> tuple[tuple[str, Value], ...]:
        if self.window and not geometry.window:
            raise SymcnnError(f"counting a {geometry.op} this way needs its size as a whole number")
        size = geometry.window[0] if self.window else 0
        per_position = self.per_channel * geometry.input[0] + self.constant + self.window * size
        return (("", per_position * geometry.output_area),)

    @property
    def text(self) -> str:
        inner = _times(self.per_channel, "C")
        if self.window:
            inner += " + " + _times(self.window, "size")
        if self.constant:
            inner += f" {'+' if self.constant > 0 else '−'} {abs(self.constant)}"
        return f"({inner})·P"


@dataclass(frozen=True)
class Sum(Rule):
    """The sum of several rules.

    >>> Sum((Values(1, "in"), Values(1, "out"))).text
    'in + out'
    """

    terms: tuple[Rule, ...]

    def parts(self, geometry: Geometry) -> tuple[tuple[str, Value], ...]:
        return (("", total(rule(geometry) for rule in self.terms)),)

    @property
    def text(self) -> str:
        return " + ".join(rule.text for rule in self.terms)


@dataclass(frozen=True)
class ByOp(Rule):
    """A rule per operation (``Geometry.op``); other operations add 0.

    >>> ByOp({"relu": Values(2), "gelu": Values(2), "silu": Values(1)}).text
    'relu, gelu 2·out; silu out; others 0'
    """

    rules: Mapping[str, Rule] = field(hash=False)

    def parts(self, geometry: Geometry) -> tuple[tuple[str, Value], ...]:
        rule = self.rules.get(geometry.op)
        return (("", 0),) if rule is None else rule.parts(geometry)

    @property
    def text(self) -> str:
        grouped: dict[str, list[str]] = {}
        for op, rule in self.rules.items():
            grouped.setdefault(rule.text, []).append(op)
        return "; ".join(f"{', '.join(ops)} {text}" for text, ops in grouped.items()) + "; others 0"


@dataclass(frozen=True)
class ByFlag(Rule):
    """``yes`` when the layer's flag (``affine`` or ``running_stats``) holds, else ``no``.

    >>> ByFlag("affine", Values(2, "in"), Values(1, "in")).text
    '2·in with affine, in without'
    """

    flag: str
    yes: Rule
    no: Rule

    def parts(self, geometry: Geometry) -> tuple[tuple[str, Value], ...]:
        return (self.yes if getattr(geometry, self.flag) else self.no).parts(geometry)

    @property
    def text(self) -> str:
        flag = self.flag.replace("_", " ")
        return f"{self.yes.text} with {flag}, {self.no.text} without"


@dataclass(frozen=True)
class ByVia(Rule):
    """``module`` for the layer as an nn module; for one that torch runs another way
    (``Geometry.via``: a functional call, a mean, a Linear on a channels-last map), its rule in ``vias``.

    >>> ByVia(Values(2, "in"), {"functional": Values(1, "in"), "mean": Values(0)}).text
    '2·in (via=functional: in; via=mean: 0)'
    >>> ByVia(Values(1, "out"), {"functional": Values(0), "mean": Values(0)}).text
    'out (via=functional, mean: 0)'
    """

    module: Rule
    vias: Mapping[str, Rule] = field(hash=False)

    def parts(self, geometry: Geometry) -> tuple[tuple[str, Value], ...]:
        return self.vias.get(geometry.via, self.module).parts(geometry)

    @property
    def text(self) -> str:
        grouped: dict[str, list[str]] = {}
        for via, rule in self.vias.items():
            grouped.setdefault(rule.text, []).append(via)
        ways = "; ".join(f"via={', '.join(vias)}: {text}" for text, vias in grouped.items())
        return f"{self.module.text} ({ways})"


weight_macs = Params()
"""One multiply-add per weight per output position: conv and fc, no bias."""

OUTPUT = Values(1, "out")
NOTHING = Values(0)

# ---------------------------------------------------------------- conventions


@dataclass(frozen=True)
class Memory:
    """One memory figure a tool reports: ``factor`` times a total of the convention.

    ``quantity`` is "activations", "params", or "stored params" (the parameters
    the tool puts in the figure: :meth:`Convention.stored_params`); ``factor`` is what one counted
    value weighs (4 bytes in float32; 8 = 4 bytes, forward and backward);
    ``unit`` is what the figure counts ("values" or "bytes"); the tool prints
    it in units of ``scale`` of them, named ``scale_name`` (torchinfo: MB of
    10**6 bytes, not MiB).
    """

    title: str
    quantity: str
    factor: int = 1
    unit: str = "values"
    scale: int = 1
    scale_name: str = ""


@dataclass(frozen=True)
class Convention:
    """How one tool counts: MACs (or FLOPs) and activations per layer kind, and its memory figures.

    ``macs`` and ``activation_rules`` map a layer kind to its :class:`Rule`; a
    kind without one adds 0. ``count_input``: whether the input counts as an
    activation. ``unit``: what ``macs`` counts, "MACs" (one per multiply-add) or
    "FLOPs" (two). ``tool``: the call whose number the convention reproduces.
    ``unreported_params``: kinds, or (kind, via) pairs, whose parameters the tool leaves out of its total.
    ``unstored_params``: (kind, via) pairs whose parameters the tool counts in its total but
    leaves out of its "stored params" memory figure (torchinfo's Params size holds leaf modules' only,
    and only those its forward pass runs: an auxiliary head's never in eval mode).
    ``run_params_only``: the tool's parameter total holds only the layers a forward pass runs
    (thop counts in its hooks): not an auxiliary head's in eval mode.
    """

    name: str
    summary: str
    count_input: bool
    activation_rules: Mapping[str, Rule] = field(hash=False)
    macs: Mapping[str, Rule] = field(default_factory=dict, hash=False)
    unit: str = "MACs"
    tool: str = ""
    memory: tuple[Memory, ...] = ()
    unreported_params: frozenset[str | tuple[str, str]] = frozenset()
    unstored_params: frozenset[tuple[str, str]] = frozenset()
    run_params_only: bool = False

    @property
    def in_place(self) -> frozenset[str]:
        """The kinds that never add an activation."""
        return frozenset(kind for kind in KINDS if kind not in self.activation_rules)

    def activations(self, geometry: Geometry) -> Value:
        rule = self.activation_rules.get(geometry.kind)
        return 0 if rule is None else rule(geometry)

    def mac_count(self, geometry: Geometry) -> Value:
        rule = self.macs.get(geometry.kind)
        return 0 if rule is None else rule(geometry)

    def params(self, geometry: Geometry) -> Value:
        """The parameters the tool counts for this layer."""
        unreported = self.unreported_params
        return 0 if geometry.kind in unreported or (geometry.kind, geometry.via) in unreported else geometry.params

    def stored_params(self, geometry: Geometry) -> Value:
        """The parameters the tool's "stored params" memory figure counts for this layer.

        >>> from symcnn.conventions import TORCHINFO
        >>> scale = Geometry("scale", "layerscale", (8, 4, 4), (8, 4, 4), (8,), 0, 0, via="functional")
        >>> TORCHINFO.params(scale), TORCHINFO.stored_params(scale)
        (8, 0)
        """
        return 0 if (geometry.kind, geometry.via) in self.unstored_params else self.params(geometry)


def __getattr__(name: str) -> Any:
    """``CONVENTIONS`` and ``SYMCNN`` live in :mod:`symcnn.conventions` (which imports this module)."""
    if name in ("CONVENTIONS", "SYMCNN"):
        from . import conventions

        return getattr(conventions, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
