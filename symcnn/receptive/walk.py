"""The network walked in the analysis' order, one field per row; branches join their arms unit by unit."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from fractions import Fraction
from typing import TYPE_CHECKING

from .. import ir
from ..analysis import Analysis, LayerResult, segments
from ..braces import evaluate
from ..values import Shown, as_expr, as_int, public

if TYPE_CHECKING:
    pass
from .axis import _adaptive, _resampled, _transposed, _whole, _window
from .fields import MAX_PERIODIC_WORK, Axis, Local, NotDerived, RowField, Step, Whole, _equal, _max, _min, _number


def receptive_fields(network: object) -> tuple[RowField, ...]:
    """The field of every row of ``network.layers`` (a :class:`~symcnn.network.Network` or an
    :class:`~symcnn.analysis.Analysis`), in order.

    >>> import symcnn
    >>> last = receptive_fields(symcnn.parse("conv3-8 maxpool conv3-8(dilation=2) gap fc10"))[-1]
    >>> isinstance(last.height, Whole), last.height.low, last.height.high
    (True, -3, 2*floor(n/2) + 2)
    """
    analysis = getattr(network, "analysis", network)
    assert isinstance(analysis, Analysis)
    return _Walk(analysis).run()


_SAME = Step("same")
Fields = tuple[Axis, Axis] | None  # (height, width); None: not derived (the reason kept beside it)
_MERGE_KINDS = {"res": "add", "cat": "cat", "mul": "mul", "split": "cat"}


class _Walk:
    """Goes through blocks and branches in the analysis' own order, one field per row."""

    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.rows = analysis.layers
        self.found: list[RowField] = []
        self.reason = ""
        self.work = 0  # units of periodic fields worked through so far (MAX_PERIODIC_WORK)

    def run(self) -> tuple[RowField, ...]:
        start = Local(1, 1, (0,), (0,), Step("input"))
        self._sequence(self.analysis.architecture.layers, (start, start), "")
        assert len(self.found) == len(self.rows), "the receptive fields lost step with the analysis' rows"
        return tuple(self.found)

    def _record(self, fields: Fields, arms: tuple[int, ...] = ()) -> LayerResult:
        row = self.rows[len(self.found)]
        height, width = fields if fields is not None else (None, None)
        self.found.append(RowField(row.path, height, width, "" if fields else self.reason, arms))
        return row

    def _sequence(self, nodes: Sequence[ir.Node], fields: Fields, prefix: str) -> Fields:
        for node, segment in zip(nodes, segments(nodes), strict=True):
            path = f"{prefix}/{segment}" if prefix else segment
            if isinstance(node, ir.Block):
                fields = self._sequence(node.body, fields, path)
            elif isinstance(node, ir.Branch):
                fields = self._branch(node, fields, path)
            else:
                row = self.rows[len(self.found)]
                assert row.path == path, f"receptive field of {path} met row {row.path}"
                fields = self._layer(node, row, fields)
                self._record(fields)
        return fields

    def _layer(self, layer: ir.Layer, row: LayerResult, fields: Fields) -> Fields:
        if fields is None:
            if isinstance(layer, ir.Linear) or (isinstance(layer, ir.AdaptivePool) and row.output[1:] == (1, 1)):
                return Whole(None, None, Step("whole")), Whole(None, None, Step("whole"))
            return None
        try:
            self._spend(fields)
            return self._apply(layer, row, fields)
        except NotDerived as error:
            self.reason = f"{row.path}: {error}"
            return None

    def _apply(self, layer: ir.Layer, row: LayerResult, fields: tuple[Axis, Axis]) -> Fields:
        before, after = tuple(map(public, row.geometry.input)), tuple(map(public, row.output))
        if isinstance(layer, (ir.Linear, ir.Flatten)):
            if len(before) == 1:  # flat features already: the vector as a whole sees the region
                return fields
            return _whole(fields[0], before[1]), _whole(fields[1], before[2])
        if isinstance(layer, (ir.Conv, ir.Pool)):
            values = self.analysis.values_at(row.path)
            numbers = [
                [evaluate(expr, values) for expr in pair]
                for pair in (layer.kernel, layer.stride, layer.padding, layer.dilation)
            ]
            return tuple(  # type: ignore[return-value]
                _window(field, k, s, p, d) for field, k, s, p, d in zip(fields, *numbers)
            )
        if isinstance(layer, ir.AdaptivePool):
            if after[1:] == (1, 1):
                return _whole(fields[0], before[1]), _whole(fields[1], before[2])
            sizes = [(_sized(before[axis]), _sized(after[axis])) for axis in (1, 2)]
            return tuple(_adaptive(f, i, o) for f, (i, o) in zip(fields, sizes))  # type: ignore[return-value]
        if isinstance(layer, (ir.Pad, ir.Crop)):
            # zero padding p: unit o reads o − p (a 1-wide window with padding p); a centre crop by c: o + c
            shifts = (
                [evaluate(expr, self.analysis.values_at(row.path)) for expr in layer.padding]
                if isinstance(layer, ir.Pad)
                else [-_crop_margin(before[axis], after[axis]) for axis in (1, 2)]
            )
            return tuple(_window(f, 1, 1, shift, 1) for f, shift in zip(fields, shifts))  # type: ignore[return-value]
        if isinstance(layer, ir.TransposedConv):
            values, what = self.analysis.values_at(row.path), "a transposed convolution's kernel, stride or padding"
            k, s, p, d = (
                [_number(evaluate(expr, values), what) for expr in pair]
                for pair in (layer.kernel, layer.stride, layer.padding, layer.dilation)
            )
            return _transposed(fields[0], k[0], s[0], p[0], d[0]), _transposed(fields[1], k[1], s[1], p[1], d[1])
        if isinstance(layer, ir.Resample):
            if isinstance(fields[0], Whole) and isinstance(fields[1], Whole):
                return fields
            values = self.analysis.values_at(row.path)
            return tuple(  # type: ignore[return-value]
                _resampled(field, layer.mode, _scale(layer, axis, before[axis], after[axis], values), _aligned(layer))
                for axis, field in zip((1, 2), fields)
            )
        # bn, activations, dropout, shuffle…: each unit sees what it saw
        return replace(fields[0], step=_SAME), replace(fields[1], step=_SAME)

    def _spend(self, fields: Fields) -> None:
        """Count the units a layer or a merge works through, unit by unit, for periodic fields."""
        for field in fields or ():
            if isinstance(field, Local) and field.period > 1:
                self.work += field.period
        if self.work > MAX_PERIODIC_WORK:
            raise NotDerived(f"the periodic fields so far take more than {MAX_PERIODIC_WORK:,} units of work to follow")

    def _branch(self, branch: ir.Branch, fields: Fields, path: str) -> Fields:
        if branch.op == "aux" and not self.analysis.aux:
            return fields
        if branch.op in ("aux", "out"):  # a side head: the main path goes on with the branch's input
            self._sequence(branch.arms[0], fields, path)
            return fields
        outputs = [self._sequence(arm, fields, f"{path}/b{number}") for number, arm in enumerate(branch.arms, 1)]
        row = self.rows[len(self.found)]
        assert row.path == f"{path}/{_MERGE_KINDS[branch.op]}", f"merge of {path} met row {row.path}"
        if any(fields is None for fields in outputs):  # the reason stays the first arm's
            self._record(None)
            return None
        try:
            for output in outputs:
                self._spend(output)
            parts = [tuple(map(public, part)) for part in row.geometry.parts]
            merged, arms = _union(outputs, parts, tuple(map(public, row.output)))
        except NotDerived as error:
            self.reason = f"{row.path}: {error}"
            merged, arms = None, ()
        self._record(merged, arms)
        return merged


def _sized(size: Shown) -> int:
    return _number(size, "adaptive pooling to more than 1×1: its windows depend on the size of its input, which")


def _crop_margin(size_in: Shown, size_out: Shown) -> Shown:
    """The offset of a centre crop: half the difference, rounded down (as CenterCrop slices)."""
    from ..values import floor_div

    margin = floor_div(size_in - size_out, 2)
    return margin if isinstance(margin, int) else as_expr(margin)


def _aligned(layer: ir.Resample) -> bool:
    return layer.align_corners and layer.mode != "nearest"


def _scale(layer: ir.Resample, axis: int, size_in: Shown, size_out: Shown, values: Mapping[str, Shown]) -> Fraction:
    """Input pixels per output pixel as the interpolation reads them: 1/factor for upsampling by a
    factor, in/out for a resize to a size, (in − 1)/(out − 1) with align_corners."""
    if layer.mode not in ("nearest", "bilinear", "bicubic"):
        raise NotDerived(f"interpolation mode {layer.mode!r} is not modelled")
    if _aligned(layer):
        size_in, size_out = (_number(size, "a resize with align_corners: the size") for size in (size_in, size_out))
        return Fraction(size_in - 1, size_out - 1) if size_out > 1 else Fraction(0)
    if layer.target == "factor":  # torch reads the source at 1/factor, whatever the sizes
        assert layer.factor is not None
        return Fraction(1, _number(evaluate(layer.factor[0 if axis == 1 else 1], values), "the factor"))
    return Fraction(_number(size_in, "a resize: the size in"), _number(size_out, "a resize: the size out"))


def _union(
    outputs: list[Fields], parts: Sequence[tuple[Shown, ...]], merged: tuple[Shown, ...]
) -> tuple[Fields, tuple[int, ...]]:
    """The arms' fields joined unit by unit (each unit of the merge sees what any arm's unit sees)."""
    axes: list[Axis] = []
    attaining: set[int] | None = None
    for axis in (0, 1):
        arms: list[Axis] = []
        for fields, shape in zip(outputs, parts):
            assert fields is not None
            field = fields[axis]
            if isinstance(field, Local) and shape[1 + axis] == 1 and merged[1 + axis] != 1:  # broadcast (mul)
                field = _whole(field, 1)
            arms.append(field)
        joined, best = _join(arms)
        axes.append(joined)
        attaining = best if attaining is None else attaining & best
    return (axes[0], axes[1]), tuple(sorted(attaining or ()))


def _join(arms: list[Axis]) -> tuple[Axis, set[int]]:
    wholes = [arm for arm in arms if isinstance(arm, Whole)]
    if wholes:
        firsts, lasts = [arm.low for arm in wholes], [arm.high for arm in wholes]
        low = None if None in firsts else _min([first for first in firsts if first is not None])
        high = None if None in lasts else _max([last for last in lasts if last is not None])
        joined: Axis = Whole(low, high, Step("merge"))
        return joined, {number for number, arm in enumerate(arms, 1) if isinstance(arm, Whole)}
    local = [arm for arm in arms if isinstance(arm, Local)]
    jumps = [arm.jump for arm in local]
    if not all(_equal_jump(jump, jumps[0]) for jump in jumps[1:]):
        raise NotDerived(f"the arms' jumps differ ({', '.join(map(str, jumps))}): their units do not align")
    period = math.lcm(*(arm.period for arm in local))
    if period > 1 and any(as_int(v) is None for arm in local for v in (*arm.lows, *arm.highs)):
        raise NotDerived("the arms' fields repeat with a period and depend on the symbols: give them values")
    if period == 1:
        lows, highs = [_min([arm.lows[0] for arm in local])], [_max([arm.highs[0] for arm in local])]
    else:
        units = [[arm.unit(o) for arm in local] for o in range(period)]
        lows = [_min([low for low, _ in unit]) for unit in units]
        highs = [_max([high for _, high in unit]) for unit in units]
    advance = local[0].advance * period // local[0].period if period > 1 else local[0].advance
    joined = Local(period, advance, tuple(lows), tuple(highs), Step("merge"))
    size = joined.size
    best = {number for number, arm in enumerate(local, 1) if _equal(arm.size, size)}
    return joined, best


def _equal_jump(first: Shown | Fraction, second: Shown | Fraction) -> bool:
    if isinstance(first, Fraction) or isinstance(second, Fraction):  # a periodic field's jump: numbers
        return first == second
    return _equal(first, second)
