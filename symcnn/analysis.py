"""Layer IR → shapes and counts for every layer, exact, as ints or sympy.

The walk goes through blocks and branches in order. Every leaf layer, and the
merge at the end of every branch, becomes one :class:`LayerResult` with a path
that says where it sits (``layer1/bottleneck2/res/b1/conv3``). The per-layer
shape rules live in :mod:`symcnn.layers`, the counting rules in :mod:`symcnn.rules`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TypeAlias

from . import ir
from .dims import Size
from .domain import Domain, Validity
from .errors import LayerError
from .layers import LayerRules
from .limits import MAX_SYMPY_ROWS
from .merges import MERGES, chunks
from .poly import Poly
from .rules import SYMCNN, Convention, Geometry
from .state import Spatial, State, shape_of
from .values import Shown, Value, product, public, total

QUANTITIES = ("params", "weights", "biases", "buffers", "activations", "macs")
# eval: torch skips auxiliary heads in forward (their parameters count, their work does not);
# train: it runs them. Every tool here measures a model in eval mode, as symcnn does by default.
MODES = ("eval", "train")

# A split's arms see chunks of the input, but they merge as cat's do: the split itself is a view.
_MERGE_KINDS = {"res": "add", "cat": "cat", "mul": "mul", "split": "cat"}
MERGE_KINDS = frozenset(_MERGE_KINDS.values())
# Rows of dense prediction: a network with one states where its tiles join (Analysis.tiling).
DENSE_KINDS = frozenset({"upconv", "resample", "pad", "crop"})


# Not frozen (hashable by value still; no field is assigned after __init__): a frozen dataclass's
# __init__ sets every field through object.__setattr__, about 0.8 µs a row. With the same change to
# Geometry (rules.py), a 100-size sweep, parse included: resnet152 −0.4 ms of 5.5, densenet201 −0.9 ms of 8.6.
@dataclass(unsafe_hash=True)
class LayerResult:
    """One row: a layer applied (or a branch's merge, or a folded block)."""

    index: int
    path: str
    name: str
    geometry: Geometry
    params: Value
    weights: Value
    biases: Value
    buffers: Value
    activations: Value
    macs: Value
    idle: bool = False  # in an auxiliary head that this mode does not run (eval): no work counted

    @property
    def kind(self) -> str:
        return self.geometry.kind

    @property
    def output(self) -> tuple[Value, ...]:
        return self.geometry.output

    @property
    def depth(self) -> int:
        """How deep the row sits: 1 for a top-level layer."""
        return self.path.count("/") + 1


@dataclass(frozen=True)
class Analysis:
    """Every layer of an architecture, and the totals, under one convention.

    ``domains`` maps each input symbol to the values the network accepts (None where a
    symbolic stride or kernel hides them): every size at least 1, every merge's sizes equal;
    ``tiling`` to those where no floor drops a pixel and every crop is centred.
    ``groups`` maps the path of every block and branch to its text, ``block_inputs``
    the path of every block to the channels entering it (what ``{cin}`` means inside).

    The walk counts in :class:`~symcnn.poly.Poly` (the ``raw_`` fields); the layers,
    shapes and totals it shows are ints and sympy expressions, converted on first use,
    so a total or a closed form never waits for sympy.
    """

    architecture: ir.Architecture
    values: Mapping[str, int]
    convention: Convention
    mode: str
    aux: bool  # whether the auxiliary heads exist (False: the network the published weights describe)
    raw_input: tuple[Value, ...]
    raw_input_activations: Value
    raw_layers: tuple[LayerResult, ...]
    domains: Mapping[str, Domain | None]
    groups: Mapping[str, str]
    raw_block_inputs: Mapping[str, Value] = field(default_factory=dict)
    validity: Validity | None = field(default=None, compare=False, repr=False)  # what the walk learnt
    raw_outputs: tuple[tuple[str, tuple[Value, ...]], ...] = ()  # the side outputs (out(…)): path, shape
    _totals: dict[str, Value] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def tiling(self) -> Mapping[str, Domain | None]:
        """Per input symbol, where no floor drops a pixel and every crop is centred (worked out when asked)."""
        return {} if self.validity is None else self.validity.tilings()

    @cached_property
    def smallest_valid(self) -> Mapping[str, int | None]:
        """Each input symbol's least valid value (None where the domain is not derived)."""
        return {name: None if domain is None else domain.smallest for name, domain in self.domains.items()}

    @cached_property
    def outputs(self) -> tuple[tuple[str, tuple[Value, ...]], ...]:
        """Every output the network returns, as (path, shape): the side outputs of ``out(…)`` heads
        in order, then the main one ("" when the network is its input, else the last row's path)."""
        main = self.raw_layers[-1] if self.raw_layers else None
        last: tuple[str, tuple[Value, ...]] = (main.path, main.output) if main else ("", self.raw_input)
        return tuple((path, tuple(map(public, shape))) for path, shape in (*self.raw_outputs, last))

    @cached_property
    def exact_tiling(self) -> Mapping[str, Domain | None]:
        """For a network that upsamples, pads or crops: per input symbol whose sizes pass a stride or a crop,
        the valid values for which no floor drops a pixel and every crop is centred (None: not derived;
        an empty Domain: no such value). Empty for other networks, whose floors drop pixels by design."""
        if not any(layer.kind in DENSE_KINDS for layer in self.raw_layers):
            return {}
        exact: dict[str, Domain | None] = {}
        for name, domain in self.domains.items():
            if name in self.tiling:
                tiling = self.tiling[name]
                exact[name] = None if domain is None or tiling is None else domain & tiling
        return exact

    @cached_property
    def polynomial_classes(self) -> Mapping[str, Domain | None]:
        """Where a polynomial closed form should hold: the domain, narrowed to the exact tilings of a
        network that has them (a U-Net's tiles join for one residue class)."""
        classes = dict(self.domains)
        for name, exact in self.exact_tiling.items():
            if exact is not None and not exact.empty:
                classes[name] = exact
        return classes

    @cached_property
    def layers(self) -> tuple[LayerResult, ...]:
        shown: dict[Geometry, Geometry] = {}
        return tuple(_public_layer(layer, shown) for layer in self.raw_layers)

    @cached_property
    def input(self) -> tuple[Value, ...]:
        return tuple(map(public, self.raw_input))

    @cached_property
    def input_activations(self) -> Value:
        return public(self.raw_input_activations)

    @cached_property
    def block_inputs(self) -> Mapping[str, Value]:
        return {path: public(channels) for path, channels in self.raw_block_inputs.items()}

    def raw_total(self, quantity: str) -> Value:
        """The sum of one of :data:`QUANTITIES` over the layers (the input too, for activations),
        as the walk counts it (a :class:`~symcnn.poly.Poly` where it depends on a size)."""
        if quantity not in self._totals:
            extra = [self.raw_input_activations] if quantity == "activations" else []
            self._totals[quantity] = total(extra + [getattr(layer, quantity) for layer in self.raw_layers])
        return self._totals[quantity]

    def total(self, quantity: str) -> Value:
        """The sum of one of :data:`QUANTITIES` over the layers (the input too, for activations).

        >>> from symcnn.build import build
        >>> analyze(build("conv3-8 maxpool")).total("activations")
        11*n**2 + 8*floor(n/2)**2
        """
        return public(self.raw_total(quantity))

    def values_at(self, path: str) -> Mapping[str, Shown]:
        """The symbols' values for the row at ``path``, ``{cin}`` bound to its innermost block's input.

        >>> from symcnn.build import build
        >>> result = analyze(build("let half = conv1-{cin//2}; conv3-12 half half"), {"n": 4})
        >>> result.values_at("half2/conv"), result.values_at("conv")
        ({'n': 4, 'cin': 6}, {'n': 4})
        """
        parts = path.split("/")
        for end in range(len(parts) - 1, 0, -1):
            channels = self.raw_block_inputs.get("/".join(parts[:end]))
            if channels is not None:
                return {**self.values, ir.CIN: public(channels)}
        return self.values

    def rows(self, depth: int | None = None) -> tuple[LayerResult, ...]:
        """The layers, with every block or branch deeper than ``depth`` folded into one row.

        >>> from symcnn.build import build
        >>> result = analyze(build("let b = conv3-8 relu\\nb b fc10"), {"n": 4})
        >>> [(row.path, row.params) for row in result.rows(depth=1)]
        [('b1', 224), ('b2', 584), ('fc', 1290)]
        """
        if depth is None:
            return self.layers
        rows: list[LayerResult] = []
        start = 0
        while start < len(self.layers):
            layer = self.layers[start]
            if layer.depth <= depth:
                rows.append(layer)
                start += 1
                continue
            prefix = "/".join(layer.path.split("/")[:depth])
            end = start
            while end < len(self.layers) and (self.layers[end].path + "/").startswith(prefix + "/"):
                end += 1
            rows.append(_fold(prefix, _short(self.groups.get(prefix, prefix)), self.layers[start:end]))
            start = end
        return tuple(rows)

    def blocks(self) -> tuple[LayerResult, ...]:
        """Every block and branch folded into one row of totals, in order of appearance.

        >>> from symcnn.build import build
        >>> [(row.path, row.params) for row in analyze(build("let b = conv3-8 relu; b b"), {"n": 4}).blocks()]
        [('b1', 224), ('b2', 584)]
        """
        folded = []
        for path, name in self.groups.items():
            inside = [layer for layer in self.layers if layer.path.startswith(path + "/")]
            if inside:  # an empty block (``let e = ()``) has no rows to total
                folded.append(_fold(path, name, inside))
        return tuple(folded)


def _public_layer(layer: LayerResult, shown: dict[Geometry, Geometry]) -> LayerResult:
    """``layer`` with ints and sympy expressions in place of Polys (a geometry converted once)."""
    geometry = shown.get(layer.geometry)
    if geometry is None:
        raw = layer.geometry
        geometry = shown[raw] = replace(
            raw,
            input=tuple(map(public, raw.input)),
            output=tuple(map(public, raw.output)),
            weight_factors=tuple(map(public, raw.weight_factors)),
            biases=public(raw.biases),
            buffers=public(raw.buffers),
            parts=tuple(tuple(map(public, part)) for part in raw.parts),
        )
    return replace(
        layer,
        geometry=geometry,
        params=public(layer.params),
        weights=public(layer.weights),
        biases=public(layer.biases),
        buffers=public(layer.buffers),
        activations=public(layer.activations),
        macs=public(layer.macs),
    )


def _fold(path: str, name: str, layers: Sequence[LayerResult]) -> LayerResult:
    sums = {quantity: total(getattr(layer, quantity) for layer in layers) for quantity in QUANTITIES}
    first, last = layers[0].geometry, layers[-1].geometry
    geometry = Geometry("block", name, first.input, last.output, (), sums["biases"], sums["buffers"])
    idle = all(layer.idle for layer in layers)  # a folded auxiliary head that eval mode does not run
    return LayerResult(
        index=layers[0].index,
        path=path,
        name=name,
        geometry=geometry,
        params=sums["params"],
        weights=sums["weights"],
        biases=sums["biases"],
        buffers=sums["buffers"],
        activations=sums["activations"],
        macs=sums["macs"],
        idle=idle,
    )


def analyze(
    architecture: ir.Architecture,
    values: Mapping[str, int] | None = None,
    convention: Convention = SYMCNN,
    mode: str = "eval",
    aux: bool = True,
) -> Analysis:
    """Shapes and counts of every layer, with ``values`` given to symbols, in ``mode`` (see
    :data:`MODES`), with or without the auxiliary heads (``aux(…)``).

    >>> from symcnn.build import build
    >>> result = analyze(build("conv3-64 maxpool fc10"), {"n": 32})
    >>> [layer.output for layer in result.layers]
    [(64, 32, 32), (64, 16, 16), (10,)]
    >>> result.total("params")
    165642
    """
    return _Walk(architecture, dict(values or {}), convention, mode, aux).run()


_Key: TypeAlias = "tuple[int, State] | tuple[int, State, Value | None]"  # a layer (by id) on an input (and {cin})


class _Walk:
    def __init__(
        self, architecture: ir.Architecture, values: dict[str, int], convention: Convention, mode: str, aux: bool
    ) -> None:
        self.architecture = architecture
        self.values = values
        self.convention = convention
        self.mode = mode
        self.aux = aux
        self.idle_heads = 0  # > 0 inside an auxiliary head that eval mode does not run
        self.rules = LayerRules(values)
        self.results: list[LayerResult] = []
        self.groups: dict[str, str] = {}
        self.block_inputs: dict[str, Value] = {}
        self.equal: dict[ir.Layer, ir.Layer] = {}  # the first of equal layers (layers compare without spans)
        self.segments: dict[int, tuple[Sequence[ir.Node], list[tuple[ir.Node, str, tuple[int, bool]]]]] = {}
        # Repeated layers (a block used 36 times, a text written out) meet the same input
        # again: apply and count each (layer, input) once. Layers compare without their spans.
        self.applied: dict[_Key, tuple[Geometry, State]] = {}
        self.applied_idle: dict[_Key, tuple[Geometry, State]] = {}  # in heads that are never run
        self.counted: dict[Geometry, tuple[Value, Value, Value, Value]] = {}  # weights, params, activations, MACs
        self.sympy_rows = 0  # distinct rows counted in sympy (MAX_SYMPY_ROWS)
        self.outputs: list[tuple[str, tuple[Value, ...]]] = []  # side outputs: out(…) heads

    def run(self) -> Analysis:
        spec = self.architecture.input
        where = "input" if spec.span is None else f"input {spec.span.text!r} ({_position(spec.span)})"
        channels = self.rules.positive(spec.channels, where, "the channel count")
        height, width = (self.rules.input_size(size, where) for size in (spec.height, spec.width))
        given = Spatial(channels, height, width)
        self.rules.network_input = given
        state: State = given
        first = shape_of(state)
        self._sequence(self.architecture.layers, state, "")
        return Analysis(
            architecture=self.architecture,
            values=self.values,
            convention=self.convention,
            mode=self.mode,
            aux=self.aux,
            raw_input=first,
            raw_input_activations=product(first) if self.convention.count_input else 0,
            raw_layers=tuple(self.results),
            domains=self.rules.validity.domains(),
            groups=self.groups,
            raw_block_inputs=self.block_inputs,
            validity=self.rules.validity,
            raw_outputs=tuple(self.outputs),
        )

    def _sequence(self, nodes: Sequence[ir.Node], state: State, prefix: str) -> State:
        named = self.segments.get(id(nodes))  # a block's body is one tuple, however often it is used
        if named is None or named[0] is not nodes:
            named = self.segments[id(nodes)] = (
                nodes,
                [(*pair, self._facts(pair[0])) for pair in zip(nodes, segments(nodes), strict=True)],
            )
        for node, segment, (same, uses_cin) in named[1]:
            path = f"{prefix}/{segment}" if prefix else segment
            if isinstance(node, ir.Block):
                self.groups[path] = node.span.text
                state = self._block(node, state, path)
            elif isinstance(node, ir.Branch):
                state = self._branch(node, state, path)
            else:
                # A layer that mentions {cin} gives another result in another block's input.
                key = (same, state, self.rules.cin) if uses_cin else (same, state)
                # A head that is never run checks no sizes: what it finds stays apart from what is checked.
                applied = self.applied_idle if self.rules.lenient else self.applied
                known = applied.get(key)
                if known is None:
                    where = f"layer {len(self.results) + 1} {node.span.text!r} at {path} ({_position(node.span)})"
                    known = applied[key] = self.rules.apply(node, state, where)
                geometry, state = known
                self._record(path, node.span.text, geometry)
        return state

    def _facts(self, node: ir.Node) -> tuple[int, bool]:
        """For a leaf layer: the id of the first equal layer met (equal layers, written apart, share
        their results; an int hashes faster than a layer), and whether it mentions {cin}."""
        if isinstance(node, (ir.Block, ir.Branch)):
            return 0, False
        return id(self.equal.setdefault(node, node)), ir.uses_cin(node)

    def _block(self, block: ir.Block, state: State, path: str) -> State:
        """A block's body, with ``{cin}`` bound to the channels entering it."""
        channels = state.channels if isinstance(state, Spatial) else state.features
        self.block_inputs[path] = channels
        # {cin} is worked out by sympy-free braces or by sympy: a count of sizes goes in as sympy.
        outer, self.rules.cin = self.rules.cin, public(channels)
        try:
            return self._sequence(block.body, state, path)
        finally:
            self.rules.cin = outer

    def _branch(self, branch: ir.Branch, state: State, path: str) -> State:
        if branch.op == "aux":
            return self._auxiliary(branch, state, path)
        if branch.op == "out":  # a second output: its head always runs, the main path goes on unchanged
            self.groups[path] = _one_line(branch.span.text)
            self.outputs.append((path, shape_of(self._sequence(branch.arms[0], state, path))))
            return state
        self.groups[path] = _one_line(branch.span.text)  # a folded row shows one line
        where = f"branch {_short(self.groups[path])!r} at {path} ({_position(branch.span)})"
        inputs = chunks(state, len(branch.arms), where) if branch.op == "split" else [state] * len(branch.arms)
        self.rules.branch_inputs.append(state)
        crops: list[int] = []  # the rows of crops that end an arm: their size is the merge's
        try:
            outputs = []
            for number, (arm, arm_input) in enumerate(zip(branch.arms, inputs, strict=True), 1):
                outputs.append(self._sequence(arm, arm_input, f"{path}/b{number}"))
                crops.append(len(self.results) - 1 if arm and _crops_to_merge(arm[-1]) else -1)
        finally:
            self.rules.branch_inputs.pop()
        if any(row >= 0 for row in crops):
            outputs = self._crop_to_merge(outputs, crops, where)
        merged = MERGES[branch.op](outputs, where, self._agree)
        kind = _MERGE_KINDS[branch.op]
        geometry = Geometry(kind, kind, shape_of(state), shape_of(merged), (), 0, 0, tuple(map(shape_of, outputs)))
        self._record(f"{path}/{kind}", kind, geometry)
        return merged

    def _agree(self, first: Size, second: Size) -> bool:
        return self.rules.lenient or self.rules.validity.agree(first, second)

    def _crop_to_merge(self, outputs: list[State], crops: list[int], where: str) -> list[State]:
        """The arms that end in ``crop`` cropped to the size of the first arm that does not (U-Net's skips)."""
        targets = [state for state, row in zip(outputs, crops, strict=True) if row < 0]
        if not targets:
            raise LayerError(where, "every arm ends in a crop: a crop needs an arm that gives it its size")
        target = targets[0]
        if not isinstance(target, Spatial):
            raise LayerError(where, "a crop needs a C×H×W arm to take its size from, not flat features")
        cropped: list[State] = []
        for state, row in zip(outputs, crops, strict=True):
            if row < 0:
                cropped.append(state)
                continue
            assert isinstance(state, Spatial)
            for larger, smaller, what in (
                (state.height, target.height, "height"),
                (state.width, target.width, "width"),
            ):
                if not (self.rules.lenient or self.rules.validity.covers(larger, smaller)):
                    raise LayerError(
                        where,
                        f"a crop's input {what} {larger} is smaller than the {smaller} it is cropped to"
                        " for every input size",
                    )
            after = Spatial(state.channels, target.height, target.width)
            old = self.results[row]
            geometry = replace(old.geometry, output=shape_of(after))
            self.results[row] = self._result(old.index, old.path, old.name, geometry)
            cropped.append(after)
        return cropped

    def _auxiliary(self, branch: ir.Branch, state: State, path: str) -> State:
        """A side head (GoogLeNet's, Inception's): its rows always count parameters, and MACs and
        activations only in train mode. In eval mode torch never runs it, so its sizes do not
        limit the input either. The main path goes on with the branch's input."""
        if not self.aux:
            return state
        self.groups[path] = branch.span.text
        idle = self.mode == "eval"
        self.idle_heads += idle
        lenient, self.rules.lenient = self.rules.lenient, self.rules.lenient or idle
        try:
            self._sequence(branch.arms[0], state, path)
        finally:
            self.idle_heads -= idle
            self.rules.lenient = lenient
        return state

    def _record(self, path: str, name: str, geometry: Geometry) -> None:
        self.results.append(self._result(len(self.results) + 1, path, name, geometry))  # one row, in order

    def _result(self, index: int, path: str, name: str, geometry: Geometry) -> LayerResult:
        counts = self.counted.get(geometry)
        if counts is None:
            weights = geometry.weights
            counts = self.counted[geometry] = (
                weights,
                weights + geometry.biases,
                self.convention.activations(geometry),
                self.convention.mac_count(geometry),
            )
            if not isinstance(counts[3], (int, Poly)):  # counted in sympy: a symbolic channel count or kernel
                self.sympy_rows += 1
                if self.sympy_rows > MAX_SYMPY_ROWS:
                    raise LayerError(
                        f"layer {index} {name!r} at {path}",
                        f"more than {MAX_SYMPY_ROWS:,} distinct rows count in symbols that are no size "
                        "(channels or kernels); give them a value (--set NAME=VALUE)",
                    )
        return LayerResult(
            index=index,
            path=path,
            name=name,
            geometry=geometry,
            params=counts[1],
            weights=counts[0],
            biases=geometry.biases,
            buffers=geometry.buffers,
            activations=0 if self.idle_heads else counts[2],
            macs=0 if self.idle_heads else counts[3],
            idle=self.idle_heads > 0,
        )


def _one_line(text: str) -> str:
    """A branch's text as a folded row shows it: comments dropped, whitespace run together.

    >>> _one_line("res(conv3-8   # first arm\\n  | conv1-8)")
    'res(conv3-8 | conv1-8)'
    """
    return " ".join((re.sub(r"#[^\n]*", "", text) if "#" in text else text).split())


def _short(text: str, limit: int = 60) -> str:
    """A branch's text for a message: its start and its end when it is long (a U-Net's spans lines).

    >>> _short("cat( | maxpool " + "conv3-8 " * 20 + "upconv2-8)")
    'cat( | maxpool conv3-8 conv3-8 … conv3-8 conv3-8 upconv2-8)'
    """
    if len(text) <= limit:
        return text
    words = text.split(" ")
    head: list[str] = []
    tail: list[str] = []
    while len(" ".join([*head, words[len(head)]])) <= limit // 2:
        head.append(words[len(head)])
    while len(" ".join([words[-len(tail) - 1], *tail])) <= limit // 2:
        tail.insert(0, words[-len(tail) - 1])
    return " ".join([*head, "…", *tail])


def _crops_to_merge(node: ir.Node) -> bool:
    return isinstance(node, ir.Crop) and node.margin is None


def _position(span: ir.Span) -> str:
    return f"line {span.line}, column {span.column}"


def segments(nodes: Sequence[ir.Node]) -> list[str]:
    """Path segments of a sequence: conv1, bn1, conv2 … (a name used once keeps no number)."""
    bases = [_base_name(node) for node in nodes]
    counts = Counter(bases)
    seen: Counter[str] = Counter()
    segments = []
    for base in bases:
        seen[base] += 1
        if counts[base] == 1:
            segments.append(base)
        else:
            segments.append(f"{base}{'.' if base[-1].isdigit() else ''}{seen[base]}")
    return segments


def _base_name(node: ir.Node) -> str:
    if isinstance(node, ir.Block):
        return node.name
    if isinstance(node, ir.Branch):
        return node.op
    if isinstance(node, ir.Conv):
        return "dwconv" if node.depthwise else "conv"
    if isinstance(node, ir.Pool):
        return f"{node.mode}pool"
    if isinstance(node, ir.AdaptivePool):
        return "gap" if node.span.text.lower().startswith("gap") else f"adaptive{node.mode}pool"
    if isinstance(node, ir.Elementwise):
        return node.op
    if isinstance(node, ir.Resample):
        return "upsample" if node.target == "factor" else "resize"
    return _LEAF_NAMES[type(node)]


_LEAF_NAMES: dict[type, str] = {
    ir.Linear: "fc",
    ir.BatchNorm: "bn",
    ir.ChannelNorm: "ln",
    ir.LayerScale: "layerscale",
    ir.Flatten: "flatten",
    ir.Shuffle: "shuffle",
    ir.TransposedConv: "upconv",
    ir.Pad: "pad",
    ir.Crop: "crop",
}
