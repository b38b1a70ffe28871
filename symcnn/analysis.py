"""Layer IR → shapes and counts for every layer, exact, as ints or sympy.

The walk follows PyTorch's output-size rules: ⌊(x + 2p − d(k − 1) − 1)/s⌋ + 1
for convolutions and pooling, ceil_mode with PyTorch's rule that a last window
starting in the right padding is dropped, adaptive pooling to a fixed size. A
size that depends on an input symbol stays one :class:`~symcnn.dims.FloorSize`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sympy

from . import ir
from .dims import FloorSize, Size, size_expr, step
from .errors import LayerError, SizeError, SymcnnError
from .rules import SYMCNN, Convention, Geometry
from .values import Value, as_expr, as_int, evaluate, product, total

QUANTITIES = ("params", "weights", "biases", "buffers", "activations", "macs")


@dataclass(frozen=True)
class LayerResult:
    """One layer applied: where it stands, its output shape and its counts."""

    index: int
    name: str
    geometry: Geometry
    params: Value
    weights: Value
    biases: Value
    buffers: Value
    activations: Value
    macs: Value

    @property
    def kind(self) -> str:
        return self.geometry.kind

    @property
    def output(self) -> tuple[Value, ...]:
        return self.geometry.output


@dataclass(frozen=True)
class Analysis:
    """Every layer of an architecture, and the totals, under one convention.

    ``smallest_valid`` maps each input symbol to the least value for which every
    size is at least 1 (None where a symbolic stride or kernel hides it).
    """

    architecture: ir.Architecture
    values: Mapping[str, int]
    convention: Convention
    input: tuple[Value, ...]
    input_activations: Value
    layers: tuple[LayerResult, ...]
    smallest_valid: Mapping[str, int | None]

    def total(self, quantity: str) -> Value:
        """The sum of one of :data:`QUANTITIES` over the layers (the input too, for activations)."""
        extra = [self.input_activations] if quantity == "activations" else []
        return total(extra + [getattr(layer, quantity) for layer in self.layers])


@dataclass
class _Spatial:
    channels: Value
    height: Size
    width: Size


@dataclass
class _Flat:
    features: Value


_State = _Spatial | _Flat


def analyze(
    architecture: ir.Architecture, values: Mapping[str, int] | None = None, convention: Convention = SYMCNN
) -> Analysis:
    """Shapes and counts of every layer, with ``values`` given to symbols.

    >>> from symcnn.build import build
    >>> result = analyze(build("conv3-64 maxpool fc10"), {"n": 32})
    >>> [layer.output for layer in result.layers]
    [(64, 32, 32), (64, 16, 16), (10,)]
    >>> result.total("params")
    165642
    """
    return _Walk(architecture, dict(values or {}), convention).run()


class _Walk:
    def __init__(self, architecture: ir.Architecture, values: dict[str, int], convention: Convention) -> None:
        self.architecture = architecture
        self.values = values
        self.convention = convention
        self.smallest_valid: dict[str, int | None] = {}

    def run(self) -> Analysis:
        spec = self.architecture.input
        channels = self._positive(spec.channels, "input", "the channel count")
        state: _State = _Spatial(channels, self._input_size(spec.height), self._input_size(spec.width))
        first = self._shape(state)
        results: list[LayerResult] = []
        for index, layer in enumerate(self.architecture.layers, start=1):
            geometry, state = self._apply(layer, state, index)
            results.append(self._count(index, layer, geometry))
        return Analysis(
            architecture=self.architecture,
            values=self.values,
            convention=self.convention,
            input=first,
            input_activations=product(first) if self.convention.count_input else 0,
            layers=tuple(results),
            smallest_valid=self.smallest_valid,
        )

    # ---------------------------------------------------------------- sizes

    def _input_size(self, expr: ir.Expr) -> Size:
        if isinstance(expr, ir.Sym) and expr.name not in self.values:
            self.smallest_valid.setdefault(expr.name, 1)
            return FloorSize(expr.name, 0, 1)
        return self._positive(expr, "input", "the input size")

    def _positive(self, expr: ir.Expr, where: str, what: str, least: int = 1) -> Value:
        try:
            value = evaluate(expr, self.values)
        except LayerError:
            raise
        except SymcnnError as error:
            raise LayerError(where, f"{what}: {error}") from None
        number = as_int(value)
        if number is not None and number < least:
            raise LayerError(where, f"{what} is {number}; it must be at least {least}")
        return value

    def _check_size(self, size: Size, where: str, what: str) -> None:
        if isinstance(size, int):
            if size < 1:
                raise SizeError(where, f"the output {what} would be {size} at {self._at()}; it must be at least 1")
        elif isinstance(size, FloorSize):
            known = self.smallest_valid.get(size.symbol, 1)
            if known is not None:
                self.smallest_valid[size.symbol] = max(known, size.smallest_valid)
        else:
            for name in sorted(str(s) for s in size.free_symbols):
                if name in self.smallest_valid:
                    self.smallest_valid[name] = None

    def _at(self) -> str:
        given = ", ".join(f"{name} = {value}" for name, value in sorted(self.values.items()))
        return given or "this input size"

    # ---------------------------------------------------------------- layers

    def _apply(self, layer: ir.Layer, state: _State, index: int) -> tuple[Geometry, _State]:
        where = f"layer {index} {layer.span.text!r} (line {layer.span.line}, column {layer.span.column})"
        before = self._shape(state)
        if isinstance(layer, (ir.Conv, ir.Pool, ir.AdaptivePool)) and isinstance(state, _Flat):
            what = {ir.Conv: "a convolution", ir.Pool: "pooling", ir.AdaptivePool: "pooling"}[type(layer)]
            raise LayerError(
                where, f"{what} needs a C×H×W input, but it gets {before[0]} flat features (after an fc or flatten)"
            )
        if isinstance(layer, ir.Conv):
            assert isinstance(state, _Spatial)
            return self._conv(layer, state, where)
        if isinstance(layer, ir.Pool):
            assert isinstance(state, _Spatial)
            return self._pool(layer, state, where)
        if isinstance(layer, ir.AdaptivePool):
            assert isinstance(state, _Spatial)
            height, width = (self._positive(size, where, "the output size") for size in layer.output)
            after = _Spatial(state.channels, height, width)
            op = f"adaptive{layer.mode}pool"
            return self._geometry("pool", op, before, after), after
        if isinstance(layer, ir.Linear):
            out = self._positive(layer.out_features, where, "the number of outputs")
            factors = (*before, out)
            return Geometry("fc", "linear", before, (out,), factors, out if layer.bias else 0, 0), _Flat(out)
        if isinstance(layer, ir.BatchNorm):
            channels = before[0]
            weights = (channels,) if layer.affine else ()
            biases = channels if layer.affine else 0
            buffers = 2 * channels + 1 if layer.track_running_stats else 0
            return Geometry("bn", "bn", before, before, weights, biases, buffers), state
        if isinstance(layer, ir.Flatten):
            after_flat = _Flat(product(before))
            return self._geometry("flatten", "flatten", before, after_flat), after_flat
        kind = _ELEMENTWISE_KINDS.get(layer.op, "act")
        return Geometry(kind, layer.op, before, before, (), 0, 0), state

    def _conv(self, layer: ir.Conv, state: _Spatial, where: str) -> tuple[Geometry, _State]:
        kernel = self._pair(layer.kernel, where, "the kernel size")
        stride = self._pair(layer.stride, where, "the stride")
        dilation = self._pair(layer.dilation, where, "the dilation")
        padding = self._pair(layer.padding, where, "the padding", least=0)
        channels_in = state.channels
        if layer.out_channels is None:
            channels_out, groups = channels_in, channels_in
        else:
            channels_out = self._positive(layer.out_channels, where, "the number of filters")
            groups = self._positive(layer.groups or ir.Num(1), where, "groups")
        for name, channels in (("channels in", channels_in), ("filters", channels_out)):
            count, parts = as_int(channels), as_int(groups)
            if count is not None and parts is not None and count % parts:
                raise LayerError(where, f"groups = {parts} does not divide the {count} {name}")
        sizes = [
            step(size, 2 * p - d * (k - 1) - 1 + s, s)
            for size, k, s, p, d in zip((state.height, state.width), kernel, stride, padding, dilation)
        ]
        for size, what in zip(sizes, ("height", "width")):
            self._check_size(size, where, what)
        after = _Spatial(channels_out, sizes[0], sizes[1])
        per_group = channels_in if groups == 1 else _exact_div(channels_in, groups)
        factors = (kernel[0], kernel[1], per_group, channels_out)
        op = "dwconv" if layer.depthwise else "conv"
        geometry = Geometry(
            "conv", op, self._shape(state), self._shape(after), factors, channels_out if layer.bias else 0, 0
        )
        return geometry, after

    def _pool(self, layer: ir.Pool, state: _Spatial, where: str) -> tuple[Geometry, _State]:
        kernel = self._pair(layer.kernel, where, "the window size")
        stride = self._pair(layer.stride, where, "the stride")
        dilation = self._pair(layer.dilation, where, "the dilation")
        padding = self._pair(layer.padding, where, "the padding", least=0)
        sizes: list[Size] = []
        for size, k, s, p, d in zip((state.height, state.width), kernel, stride, padding, dilation):
            span = d * (k - 1) + 1
            numbers = [as_int(v) for v in (span, p, s)]
            if numbers[0] is not None and numbers[1] is not None and 2 * numbers[1] > numbers[0]:
                raise LayerError(where, f"padding {numbers[1]} is more than half the window {numbers[0]}")
            shift: Value = p + p - span + s
            if layer.ceil_mode:
                # ceil((x + 2p - span)/s) + 1, less one when the last window would
                # start in the right padding: min(⌊(x + 2p - span + 2s - 1)/s⌋, ⌊(x + p - 1 + s)/s⌋).
                exact = [as_int(v) for v in (span, p, s)]
                if None in exact:
                    raise LayerError(where, "ceil_mode needs a window, stride and padding without symbols")
                span_i, p_i, s_i = (int(v) for v in exact)  # type: ignore[arg-type]
                shift = min(2 * p_i - span_i + 2 * s_i - 1, p_i + s_i - 1)
            sizes.append(step(size, shift, s))
        for size, what in zip(sizes, ("height", "width")):
            self._check_size(size, where, what)
        after = _Spatial(state.channels, sizes[0], sizes[1])
        return self._geometry("pool", f"{layer.mode}pool", self._shape(state), after), after

    def _pair(self, pair: ir.Pair, where: str, what: str, least: int = 1) -> tuple[Value, Value]:
        first, second = (self._positive(expr, where, what, least) for expr in pair)
        return first, second

    # ---------------------------------------------------------------- counts

    def _geometry(self, kind: str, op: str, before: tuple[Value, ...], after: _State) -> Geometry:
        return Geometry(kind, op, before, self._shape(after), (), 0, 0)

    @staticmethod
    def _shape(state: _State) -> tuple[Value, ...]:
        if isinstance(state, _Flat):
            return (state.features,)
        return (state.channels, size_expr(state.height), size_expr(state.width))

    def _count(self, index: int, layer: ir.Layer, geometry: Geometry) -> LayerResult:
        weights = geometry.weights
        return LayerResult(
            index=index,
            name=layer.span.text,
            geometry=geometry,
            params=weights + geometry.biases,
            weights=weights,
            biases=geometry.biases,
            buffers=geometry.buffers,
            activations=self.convention.activations(geometry),
            macs=self.convention.mac_count(geometry),
        )


def _exact_div(numerator: Value, denominator: Value) -> Value:
    if isinstance(numerator, int) and isinstance(denominator, int):
        return numerator // denominator
    return as_expr(sympy.Integer(numerator) / denominator if isinstance(numerator, int) else numerator / denominator)


_ELEMENTWISE_KINDS = {"dropout": "dropout", "lrn": "lrn", "identity": "identity"}
