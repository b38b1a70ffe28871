"""One layer applied to a shape: PyTorch's output-size rules and the layer's weights.

Sizes follow ⌊(x + 2p − d(k − 1) − 1)/s⌋ + 1 for convolutions and pooling;
ceil_mode with PyTorch's rule that a last window starting in the right padding
is dropped; adaptive pooling to a fixed size. A size that depends on an input
symbol stays one :class:`~symcnn.dims.FloorSize`, so nested floors never arise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeGuard, TypeVar

from . import ir
from .braces import value, whole
from .dims import FloorSize, LinearSize, Size, smallest_positive, step
from .domain import Validity
from .errors import LayerError, SizeError, SymcnnError, shorten_literal
from .layers_dense import apply_dense
from .limits import MAX_DIVISOR, MAX_SIZE, MAX_SYMBOL_VALUE, MAX_SYMBOLIC_FLOORS, MAX_SYMBOLIC_SIZES
from .rules import Geometry
from .state import Flat, Spatial, State, shape_of
from .values import Shown, Value, as_expr, as_int, product

if TYPE_CHECKING:
    import sympy

_T = TypeVar("_T")


# Kinds of the parameter-free layers that keep the shape; the rest are "act".
_ELEMENTWISE_KINDS = {"dropout": "dropout", "lrn": "lrn", "identity": "identity", "droppath": "identity"}


class LayerRules:
    """Applies layers to states with symbols given ``values``; records the domain.

    ``validity`` gathers what the sizes, merges and crops say about the input symbols.
    """

    def __init__(self, values: dict[str, int]) -> None:
        self.values = values
        self.validity = Validity()
        self.network_input: Spatial | None = None  # what resize(to=input) resizes to
        self.branch_inputs: list[State] = []  # the inputs of the branches around a layer: resize(to=branch)
        self.lenient = False  # inside a head that is never run: a size below 1 is no error
        self.symbolic_sizes = 0  # sizes that are sympy expressions so far (MAX_SYMBOLIC_SIZES)
        self.cin: Shown | None = None  # {cin}: the channels entering the innermost block around the layer
        # A repeated layer's {…} is worked out once (sympy is slow); one mentioning {cin}, once per binding.
        self._evaluated: dict[ir.Expr, Shown | dict[Shown | None, Shown]] = {}

    # ---------------------------------------------------------------- values

    def input_size(self, expr: ir.Expr, where: str) -> Size:
        if isinstance(expr, ir.Sym) and expr.name not in self.values:
            self.validity.add_symbol(expr.name)
            return FloorSize(expr.name, 0, 1)
        return self.positive(expr, where, "the input size")

    def positive(self, expr: ir.Expr, where: str, what: str, least: int = 1) -> Shown:
        known = self._evaluated.get(expr)
        result = known.get(self.cin) if isinstance(known, dict) else known
        if result is None:
            result = self._whole(expr, where, what)
        number = as_int(result)
        if number is not None and number < least:
            raise LayerError(where, f"{what} is {number}; it must be at least {least}")
        return result

    def _whole(self, expr: ir.Expr, where: str, what: str) -> Shown:
        """``expr``'s value, which must be whole: else the reason names ``what`` (the number of filters is 57.6)."""
        uses_cin = ir.CIN in ir.symbols_of(expr)
        values = {**self.values, ir.CIN: self.cin} if uses_cin and self.cin is not None else self.values
        try:
            exact = value(expr, values)
        except SymcnnError as error:
            raise LayerError(where, f"{what}: {error}") from None
        try:
            result = whole(exact, what)
        except SymcnnError as error:
            raise LayerError(where, str(error)) from None
        if uses_cin:
            per_cin = self._evaluated.setdefault(expr, {})
            assert isinstance(per_cin, dict)
            per_cin[self.cin] = result
        else:
            self._evaluated[expr] = result
        return result

    def check_size(self, size: Size, where: str, what: str) -> None:
        if not isinstance(size, FloorSize) and _too_large(size):  # upsampling or padding, again and again
            raise SizeError(where, f"the output {what} would be more than {MAX_SIZE:.0e} pixels")
        if isinstance(size, FloorSize) and size.divisor > MAX_DIVISOR:  # a bomb even in a head never run
            raise SizeError(
                where,
                f"the strides so far multiply to more than {MAX_DIVISOR:.0e}; no input size up to "
                f"{MAX_SYMBOL_VALUE:,} gives an output {what} that depends on it",
            )
        if _is_sympy(size):  # limits that hold in a head never run too: its sizes cost the same sympy work
            self._check_sympy_size(size, where, what)
        if self.lenient:
            return
        if isinstance(size, int):
            if size < 1:
                raise SizeError(where, f"the output {what} would be {size} at {self._at()}; it must be at least 1")
        elif isinstance(size, FloorSize):
            if size.divisor > MAX_DIVISOR or size.smallest_valid > MAX_SYMBOL_VALUE:
                raise SizeError(
                    where,
                    f"the output {what} is {size}, at least 1 only for {size.symbol} ≥ "
                    f"{shorten_literal(str(size.smallest_valid))}: beyond the largest input size {MAX_SYMBOL_VALUE:,}"
                    if size.divisor <= MAX_DIVISOR
                    else f"the strides so far multiply to more than {MAX_DIVISOR:.0e}; no input size up to "
                    f"{MAX_SYMBOL_VALUE:,} gives an output {what} that depends on it",
                )
            self.validity.at_least(size.symbol, size.smallest_valid)
        elif isinstance(size, LinearSize):
            least = smallest_positive(size)
            if least is None:
                raise SizeError(
                    where, f"the output {what} is {size}, below 1 for every {size.symbol} up to {MAX_SYMBOL_VALUE:,}"
                )
            self.validity.at_least(size.symbol, least)
        else:
            for name in sorted(str(s) for s in size.free_symbols):
                self.validity.unknown(name)

    def _check_sympy_size(self, size: sympy.Expr, where: str, what: str) -> None:
        import sympy

        self.symbolic_sizes += 1
        if self.symbolic_sizes > MAX_SYMBOLIC_SIZES:
            raise LayerError(
                where,
                f"more than {MAX_SYMBOLIC_SIZES:,} output sizes depend on symbolic kernels, strides or paddings; "
                "give their symbols a value (--set NAME=VALUE)",
            )
        if len(size.atoms(sympy.floor)) > MAX_SYMBOLIC_FLOORS:  # each step nests one more: sympy slows down
            raise LayerError(
                where,
                f"the output {what} nests more than {MAX_SYMBOLIC_FLOORS} floors of symbolic strides or kernels; "
                "give their symbols a value (--set NAME=VALUE)",
            )

    def _at(self) -> str:
        given = ", ".join(f"{name} = {value}" for name, value in sorted(self.values.items()))
        return given or "this input size"

    # ---------------------------------------------------------------- layers

    def apply(self, layer: ir.Layer, state: State, where: str) -> tuple[Geometry, State]:
        before = shape_of(state)
        if isinstance(layer, (ir.Conv, ir.Pool, ir.AdaptivePool)):
            if isinstance(state, Flat):
                what = "a convolution" if isinstance(layer, ir.Conv) else "pooling"
                raise LayerError(
                    where, f"{what} needs a C×H×W input, but it gets {before[0]} flat features (after an fc or flatten)"
                )
            if isinstance(layer, ir.Conv):
                return self._conv(layer, state, where)
            if isinstance(layer, ir.Pool):
                return self._pool(layer, state, where)
            height, width = (self.positive(size, where, "the output size") for size in layer.output)
            after = Spatial(state.channels, height, width)
            geometry = Geometry("pool", f"adaptive{layer.mode}pool", before, shape_of(after), (), 0, 0, via=layer.via)
            return geometry, after
        channels = before[0]
        if isinstance(layer, ir.Linear):
            out = self.positive(layer.out_features, where, "the number of outputs")
            factors = (*before, out)
            return Geometry("fc", "linear", before, (out,), factors, out if layer.bias else 0, 0), Flat(out)
        if isinstance(layer, ir.BatchNorm):
            weights = (channels,) if layer.affine else ()
            biases = channels if layer.affine else 0
            buffers = 2 * channels + 1 if layer.track_running_stats else 0
            return Geometry("bn", "bn", before, before, weights, biases, buffers), state
        if isinstance(layer, ir.ChannelNorm):
            return Geometry("ln", "ln", before, before, (channels,), channels, 0, via=layer.via), state
        if isinstance(layer, ir.LayerScale):
            return Geometry("scale", "layerscale", before, before, (channels,), 0, 0, via=layer.via), state
        if isinstance(layer, ir.Shuffle):
            return self._shuffle(layer, state, where), state
        if isinstance(layer, ir.Flatten):
            flat = Flat(product(before))
            return Geometry("flatten", "flatten", before, shape_of(flat), (), 0, 0), flat
        if isinstance(layer, (ir.TransposedConv, ir.Resample, ir.Pad, ir.Crop)):
            return apply_dense(self, layer, state, where)
        kind = _ELEMENTWISE_KINDS.get(layer.op, "act")
        window = _lrn_window(layer) if layer.op == "lrn" else ()
        return Geometry(kind, layer.op, before, before, (), 0, 0, window=window, via=layer.via), state

    def _conv(self, layer: ir.Conv, state: Spatial, where: str) -> tuple[Geometry, State]:
        kernel = self._pair(layer.kernel, where, "the kernel size")
        stride = self._pair(layer.stride, where, "the stride")
        dilation = self._pair(layer.dilation, where, "the dilation")
        padding = self._pair(layer.padding, where, "the padding", least=0)
        channels_in = state.channels
        if layer.out_channels is None:
            channels_out, groups = channels_in, channels_in
        else:
            channels_out = self.positive(layer.out_channels, where, "the number of filters")
            groups = self.positive(layer.groups or ir.Num(1), where, "groups")
        for name, channels in (("channels in", channels_in), ("filters", channels_out)):
            count, parts = as_int(channels), as_int(groups)
            if count is not None and parts is not None and count % parts:
                raise LayerError(where, f"groups = {parts} does not divide the {count} {name}")
        height, width = zip((state.height, state.width), kernel, stride, padding, dilation)
        sizes = [self._step(size, 2 * p - d * (k - 1) - 1 + s, s) for size, k, s, p, d in _distinct(height, width)]
        for size, what in zip(sizes, ("height", "width")):
            self.check_size(size, where, what)
        after = Spatial(channels_out, sizes[0], sizes[-1])
        per_group = channels_in if groups == 1 else _exact_div(channels_in, groups)
        factors = (kernel[0], kernel[1], per_group, channels_out)
        op = "dwconv" if layer.depthwise else "conv"
        biases = channels_out if layer.bias else 0
        return Geometry("conv", op, shape_of(state), shape_of(after), factors, biases, 0, via=layer.via), after

    def _pool(self, layer: ir.Pool, state: Spatial, where: str) -> tuple[Geometry, State]:
        kernel = self._pair(layer.kernel, where, "the window size")
        stride = self._pair(layer.stride, where, "the stride")
        dilation = self._pair(layer.dilation, where, "the dilation")
        padding = self._pair(layer.padding, where, "the padding", least=0)
        sizes: list[Size] = []
        height, width = zip((state.height, state.width), kernel, stride, padding, dilation)
        for size, k, s, p, d in _distinct(height, width):
            span = d * (k - 1) + 1
            # PyTorch's rule: padding at most half the kernel size, the dilation not counted.
            window, pad = as_int(k), as_int(p)
            if window is not None and pad is not None and 2 * pad > window:
                raise LayerError(where, f"padding {pad} is more than half the window {window}")
            shift: Value = p + p - span + s
            if layer.ceil_mode:
                # ceil((x + 2p - span)/s) + 1, less one when the last window would
                # start in the right padding: min(⌊(x + 2p - span + 2s - 1)/s⌋, ⌊(x + p - 1 + s)/s⌋).
                exact = [as_int(v) for v in (span, p, s)]
                if None in exact:
                    raise LayerError(where, "ceil_mode needs a window, stride and padding without symbols")
                span_i, p_i, s_i = (int(v) for v in exact)  # type: ignore[arg-type]
                shift = min(2 * p_i - span_i + 2 * s_i - 1, p_i + s_i - 1)
            # A ceil-mode window may hang over the end: "drops no pixel" is not its question.
            sizes.append(step(size, shift, s) if layer.ceil_mode else self._step(size, shift, s))
        for size, what in zip(sizes, ("height", "width")):
            self.check_size(size, where, what)
        after = Spatial(state.channels, sizes[0], sizes[-1])
        geometry = Geometry(
            "pool", f"{layer.mode}pool", shape_of(state), shape_of(after), (), 0, 0, window=kernel, via=layer.via
        )
        return geometry, after

    def _shuffle(self, layer: ir.Shuffle, state: State, where: str) -> Geometry:
        """A channel shuffle: the shape kept, no parameters; the groups must divide the channels.

        >>> from symcnn.build import build
        >>> (shuffle,) = build("shuffle(groups=3)").layers
        >>> LayerRules({}).apply(shuffle, Spatial(6, 4, 4), "here")[0].output
        (6, 4, 4)
        """
        if isinstance(state, Flat):
            raise LayerError(where, f"shuffle needs a C×H×W input, but it gets {state.features} flat features")
        groups = self.positive(layer.groups, where, "groups")
        count, parts = as_int(state.channels), as_int(groups)
        if count is not None and parts is not None and count % parts:
            raise LayerError(where, f"groups = {parts} does not divide the {count} channels")
        before = shape_of(state)
        return Geometry("shuffle", "shuffle", before, before, (), 0, 0)

    def _step(self, size: Size, shift: Value, divisor: Value) -> Size:
        """⌊(size + shift)/divisor⌋, noting for which inputs it drops no pixel (a seamless tiling)."""
        if isinstance(shift, int) and isinstance(divisor, int):
            self.validity.floor_exact(size, shift - divisor, divisor)
        return step(size, shift, divisor)

    def _pair(self, pair: ir.Pair, where: str, what: str, least: int = 1) -> tuple[Value, Value]:
        first, second = (self.positive(expr, where, what, least) for expr in pair)
        return first, second


def _is_sympy(size: Size) -> TypeGuard[sympy.Expr]:
    return not isinstance(size, (int, FloorSize, LinearSize))


def _too_large(size: Size) -> bool:
    """Whether a size (or, for a sum of floors, a coefficient or its constant) passes :data:`MAX_SIZE`."""
    if isinstance(size, int):
        return size > MAX_SIZE
    if isinstance(size, LinearSize):
        return size.shift > MAX_SIZE or any(abs(c) > MAX_SIZE for c, _, _ in size.terms)
    return False


def _distinct(height: _T, width: _T) -> list[_T]:
    """The height's (size, kernel, stride, padding, dilation), and the width's unless they are the same.

    A square layer on a square input computes its output size once: with a symbolic size
    each costs sympy work (the callers take the width from ``sizes[-1]``).
    """
    return [height] if height == width else [height, width]


def _lrn_window(layer: ir.Elementwise) -> tuple[Value, ...]:
    """An LRN's (size,): the channels each value is normalised over (PyTorch's default 5).

    Empty when the size is not a whole number (the export refuses it then).

    >>> from symcnn.build import build
    >>> [_lrn_window(layer) for layer in build("lrn lrn(size=3) lrn(size=2.5)").layers]
    [(5,), (3,), ()]
    """
    text = dict(layer.options).get("size", "5")
    return (int(text),) if text.isdigit() else ()


def _exact_div(numerator: Value, denominator: Value) -> Value:
    if isinstance(numerator, int) and isinstance(denominator, int):
        return numerator // denominator
    import sympy

    return as_expr(sympy.Integer(numerator) / denominator if isinstance(numerator, int) else numerator / denominator)
