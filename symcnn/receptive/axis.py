"""One layer on one axis: a window (Distill's rules), a transposed convolution, a resampling, adaptive pooling."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

from ..values import Shown, as_int
from .fields import MAX_PERIOD, Axis, Local, NotDerived, Step, Whole, _number

# A source map: for output unit o, the first and last unit of the layer's input it reads; it repeats
# every ``units`` outputs, shifted by ``shift`` input units.
Source = Callable[[int], tuple[int, int]]


def _window(field: Axis, k: Shown, s: Shown, p: Shown, d: Shown) -> Axis:
    """A convolution or pooling window; Distill's formulas when the field is affine (period 1)."""
    if isinstance(field, Whole):
        return field
    if field.period == 1:
        low, high, jump = field.lows[0], field.highs[0], field.advance
        step = Step("window", (high - low + 1, k, d, jump, s, low, p))
        return Local(1, jump * s, (low - p * jump,), (high + (d * (k - 1) - p) * jump,), step)
    k_, s_, p_, d_ = (_number(v, "the window") for v in (k, s, p, d))
    return _periodic(field, lambda o: (o * s_ - p_, o * s_ - p_ + d_ * (k_ - 1)), 1, s_)


def _periodic(field: Local, source: Source, units: int, shift: int, rule: str = "window") -> Local:
    """The field through a layer whose unit o reads input units ``source(o)``, repeating every ``units``."""
    if any(as_int(v) is None for v in (field.advance, *field.lows, *field.highs)):
        raise NotDerived(f"its input's field depends on the symbols ({field.start}): give them values")
    period = units * field.period // math.gcd(shift, field.period)
    if period > MAX_PERIOD:
        raise NotDerived(f"the field repeats only every {period:,} units (more than {MAX_PERIOD:,})")
    lows, highs = [], []
    for unit in range(period):
        first, last = source(unit)
        lows.append(field.unit(first)[0])
        highs.append(field.unit(last)[1])
    advance = field.advance * (shift * period // units) // field.period
    return Local(period, advance, tuple(lows), tuple(highs), Step(rule, (period,)))


def _transposed(field: Axis, k: int, s: int, p: int, d: int) -> Axis:
    """ConvTranspose2d: output o = i·s − p + t·d for input i and tap t, so o reads the i it can come from."""
    if isinstance(field, Whole):
        return field

    def source(o: int) -> tuple[int, int]:
        if d == 1:  # the inputs i with o + p − (k − 1) ≤ i·s ≤ o + p: no loop over a long kernel
            inputs = [-((k - 1 - o - p) // s), (o + p) // s]
            inputs = inputs if inputs[0] <= inputs[1] else []
        else:
            inputs = [(o + p - t * d) // s for t in range(k) if (o + p - t * d) % s == 0]
        if not inputs:
            raise NotDerived(f"output unit {o} of a transposed convolution reads no input (kernel {k} < stride {s})")
        return min(inputs), max(inputs)

    return _periodic(field, source, s, 1, "upconv")


def _resampled(field: Axis, mode: str, scale: Fraction, aligned: bool) -> Axis:
    """Interpolation with source coordinate x(o) = (o + ½)·scale − ½ (or o·scale with align_corners,
    ``scale`` then (in − 1)/(out − 1)): nearest reads ⌊o·scale⌋, linear ⌊x⌋ … ⌈x⌉, cubic ⌊x⌋ − 1 … ⌊x⌋ + 2
    (one pixel where x is whole: the other weights are 0). Clamping at the border is not modelled."""
    if isinstance(field, Whole):
        return field

    def source(o: int) -> tuple[int, int]:
        if mode == "nearest":
            return math.floor(o * scale), math.floor(o * scale)
        x = o * scale if aligned else (o + Fraction(1, 2)) * scale - Fraction(1, 2)
        if x.denominator == 1:
            return int(x), int(x)
        return (math.floor(x), math.ceil(x)) if mode == "bilinear" else (math.floor(x) - 1, math.floor(x) + 2)

    return _periodic(field, source, scale.denominator, scale.numerator, "resample")


def _adaptive(field: Axis, size_in: int, size_out: int) -> Axis:
    """Adaptive pooling: unit o reads ⌊o·H/k⌋ … ⌈(o + 1)·H/k⌉ − 1 (PyTorch's windows)."""
    if isinstance(field, Whole):
        return field
    common = math.gcd(size_in, size_out)
    return _periodic(
        field,
        lambda o: (o * size_in // size_out, -((-(o + 1) * size_in) // size_out) - 1),
        size_out // common,
        size_in // common,
        "adaptive",
    )


def _whole(field: Axis, size_in: Shown) -> Whole:
    """Every unit of the layer reads every unit before it (global pooling, fc): one region for all."""
    if isinstance(field, Whole):
        return Whole(field.low, field.high, Step("whole"))
    if field.period > 1 and as_int(size_in) is None:
        return Whole(None, None, Step("whole"))
    return Whole(field.unit(0)[0], field.unit(size_in - 1)[1], Step("whole"))
