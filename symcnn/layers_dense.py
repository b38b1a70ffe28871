"""The layers of dense prediction applied to a shape: transposed convolution, resampling, pad, crop.

Their sizes grow again: a transposed convolution gives (x − 1)·s − 2p + d·(k − 1) +
output_padding + 1, an upsampling f·x, a pad x + 2p, a crop x − 2c, each an affine map
of the size before (:func:`symcnn.dims.scaled`), so a size stays a sum of floors of the
input symbol and the domain stays exact. A crop without a margin (``crop``, U-Net's
skip connections) takes its size from the branch it ends an arm of: here it keeps its
input, and :mod:`symcnn.analysis` sets it at the merge.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import ir
from .dims import Size, scaled
from .errors import LayerError
from .rules import Geometry
from .state import Flat, Spatial, State, shape_of
from .values import Value, as_int

if TYPE_CHECKING:
    from .layers import LayerRules

_WHAT = {ir.TransposedConv: "a transposed convolution", ir.Resample: "resampling", ir.Pad: "padding"}


def apply_dense(rules: LayerRules, layer: ir.Layer, state: State, where: str) -> tuple[Geometry, State]:
    """``layer`` (one of the dense-prediction layers) applied to ``state``."""
    if isinstance(state, Flat):
        what = _WHAT.get(type(layer), "a crop")
        raise LayerError(where, f"{what} needs a C×H×W input, but it gets {state.features} flat features")
    before = shape_of(state)
    if isinstance(layer, ir.TransposedConv):
        return _transposed(rules, layer, state, where)
    if isinstance(layer, ir.Resample):
        height, width = _resampled(rules, layer, state, where)
        _check(rules, [height, width], where)
        after = Spatial(state.channels, height, width)
        # op: the interpolation mode (what the tools count by); via: nn.Upsample "" or F.interpolate
        geometry = Geometry("resample", layer.mode, before, shape_of(after), (), 0, 0, via=layer.via)
        return geometry, after
    if isinstance(layer, ir.Pad):
        top, left = rules._pair(layer.padding, where, "the padding", least=0)
        after = _shifted(rules, state, (2 * top, 2 * left), where)
        return Geometry("pad", "pad", before, shape_of(after), (), 0, 0), after
    assert isinstance(layer, ir.Crop)
    if layer.margin is None:  # set at the merge (analysis), once the other arms' size is known
        return Geometry("crop", "crop", before, before, (), 0, 0), state
    top, left = rules._pair(layer.margin, where, "the crop margin", least=0)
    after = _shifted(rules, state, (-2 * top, -2 * left), where)
    return Geometry("crop", "crop", before, shape_of(after), (), 0, 0), after


def _transposed(rules: LayerRules, layer: ir.TransposedConv, state: Spatial, where: str) -> tuple[Geometry, State]:
    kernel = rules._pair(layer.kernel, where, "the kernel size")
    stride = rules._pair(layer.stride, where, "the stride")
    dilation = rules._pair(layer.dilation, where, "the dilation")
    padding = rules._pair(layer.padding, where, "the padding", least=0)
    extra = rules._pair(layer.output_padding, where, "the output padding", least=0)
    channels_out = rules.positive(layer.out_channels, where, "the number of filters")
    groups = rules.positive(layer.groups, where, "groups")
    for name, channels in (("channels in", state.channels), ("filters", channels_out)):
        count, parts = as_int(channels), as_int(groups)
        if count is not None and parts is not None and count % parts:
            raise LayerError(where, f"groups = {parts} does not divide the {count} {name}")
    _whole_factors(stride, where, "the stride of a transposed convolution")
    sizes: list[Size] = []
    for size, k, s, p, d, e in zip((state.height, state.width), kernel, stride, padding, dilation, extra):
        numbers = [as_int(v) for v in (s, d, e)]
        if None not in numbers and numbers[2] >= max(numbers[0], numbers[1]):  # type: ignore[operator, type-var]
            raise LayerError(where, f"output_padding {e} must be smaller than the stride {s} or the dilation {d}")
        sizes.append(scaled(size, s, d * (k - 1) + e + 1 - s - 2 * p))
    _check(rules, sizes, where)
    after = Spatial(channels_out, sizes[0], sizes[1])
    per_group = state.channels if groups == 1 else _divided(state.channels, groups)
    # Each input pixel spreads the kernel: the weights are (C_in, C_out/groups, k_h, k_w) in torch.
    factors = (kernel[0], kernel[1], per_group, channels_out)
    biases = channels_out if layer.bias else 0
    return Geometry("upconv", "upconv", shape_of(state), shape_of(after), factors, biases, 0), after


def _resampled(rules: LayerRules, layer: ir.Resample, state: Spatial, where: str) -> tuple[Size, Size]:
    if layer.target == "factor":
        assert layer.factor is not None
        factors = rules._pair(layer.factor, where, "the upsampling factor")
        _whole_factors(factors, where, "an upsampling factor")
        sizes = [scaled(size, factor, 0) for size, factor in zip((state.height, state.width), factors)]
        return sizes[0], sizes[1]
    if layer.target == "size":
        assert layer.factor is not None
        height, width = (rules.positive(expr, where, "the size") for expr in layer.factor)
        return height, width
    if layer.target == "input":
        target = rules.network_input
    else:
        inputs = [shape for shape in rules.branch_inputs if isinstance(shape, Spatial)]
        if not rules.branch_inputs:
            raise LayerError(where, "resize(to=branch) resizes to the size entering its branch, but it is in none")
        target = inputs[-1] if inputs and inputs[-1] is rules.branch_inputs[-1] else None
        if target is None:
            raise LayerError(where, "resize(to=branch) needs a C×H×W input to its branch, not flat features")
    assert target is not None
    return target.height, target.width


def _whole_factors(factors: tuple[Value, Value], where: str, what: str) -> None:
    """A factor that multiplies a size must be a number: a symbol there makes every later size a polynomial
    of growing degree in it (sympy's work grows with each layer), where a symbolic kernel or padding only
    shifts the size."""
    for factor in factors:
        if as_int(factor) is None:
            raise LayerError(
                where, f"{what} is {factor}: it must be a number here; give its symbols a value (--set NAME=VALUE)"
            )


def _shifted(rules: LayerRules, state: Spatial, shifts: tuple[Value, Value], where: str) -> Spatial:
    sizes = [scaled(size, 1, shift) for size, shift in zip((state.height, state.width), shifts)]
    _check(rules, sizes, where)
    return Spatial(state.channels, sizes[0], sizes[1])


def _check(rules: LayerRules, sizes: list[Size], where: str) -> None:
    for size, what in zip(sizes, ("height", "width")):
        rules.check_size(size, where, what)


def _divided(channels: Value, groups: Value) -> Value:
    from .layers import _exact_div  # here: layers imports this module

    return _exact_div(channels, groups)
