"""The merges at the end of a branch: res adds, cat and split concatenate, mul broadcasts.

Each takes the arms' output states and gives the merged state, or a LayerError that
names the branch and every arm's shape; :func:`chunks` gives a split's arms their inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .dims import Size
from .errors import LayerError
from .state import Flat, Spatial, State, shape_of
from .values import Value, as_expr, as_int, total


def _describe(state: State) -> str:
    sizes = (state.features,) if isinstance(state, Flat) else (state.channels, state.height, state.width)
    return "×".join(str(size) for size in sizes)


def _mismatch(where: str, op: str, outputs: Sequence[State], rule: str) -> LayerError:
    shapes = ", ".join(f"arm {number} gives {_describe(state)}" for number, state in enumerate(outputs, 1))
    return LayerError(where, f"{op} needs {rule}, but {shapes}")


Agree = Callable[[Size, Size], bool]
"""Whether two sizes that meet agree (for some input sizes: :meth:`symcnn.domain.Validity.agree` records which)."""


def _same_sizes(first: State, second: State, agree: Agree) -> bool:
    if isinstance(first, Spatial) and isinstance(second, Spatial):
        # Equal sizes (nearly every merge) need no residue classes.
        same_height = first.height == second.height or agree(first.height, second.height)
        return same_height and (first.width == second.width or agree(first.width, second.width))
    return isinstance(first, Flat) and isinstance(second, Flat)


def _merge_add(outputs: Sequence[State], where: str, agree: Agree) -> State:
    first = outputs[0]
    if any(shape_of(state)[:1] != shape_of(first)[:1] or not _same_sizes(first, state, agree) for state in outputs[1:]):
        raise _mismatch(where, "res", outputs, "arms of one shape")
    return first


def chunks(state: State, parts: int, where: str) -> list[State]:
    """A split's input as ``parts`` equal channel chunks (torch.chunk along dim 1), or a LayerError.

    >>> [shape_of(chunk) for chunk in chunks(Spatial(6, 5, 7), 3, "here")]
    [(2, 5, 7), (2, 5, 7), (2, 5, 7)]
    >>> chunks(Flat(7), 2, "branch 'split(…)'")
    Traceback (most recent call last):
    ...
    symcnn.errors.LayerError: branch 'split(…)': split needs channels divisible by 2, but gets 7
    """
    channels = state.features if isinstance(state, Flat) else state.channels
    count = as_int(channels)
    if count is not None and count % parts:
        raise LayerError(where, f"split needs channels divisible by {parts}, but gets {count}")
    if count is not None:
        chunk: Value = count // parts
    else:
        quotient = as_expr(channels) / parts
        if quotient.is_integer is not True:  # 2·c splits in two; c may not: say so rather than guess
            raise LayerError(where, f"split needs channels divisible by {parts}, but gets {channels}")
        chunk = as_expr(quotient)
    if isinstance(state, Flat):
        return [Flat(chunk)] * parts
    return [Spatial(chunk, state.height, state.width)] * parts


def _merge_cat(outputs: Sequence[State], where: str, agree: Agree, op: str = "cat") -> State:
    if all(isinstance(state, Flat) for state in outputs):
        return Flat(total(state.features for state in outputs if isinstance(state, Flat)))
    spatial = [state for state in outputs if isinstance(state, Spatial)]
    if len(spatial) != len(outputs) or any(not _same_sizes(spatial[0], state, agree) for state in spatial[1:]):
        raise _mismatch(where, op, outputs, "arms of one height and width")
    return Spatial(total(state.channels for state in spatial), spatial[0].height, spatial[0].width)


def _merge_mul(outputs: Sequence[State], where: str, agree: Agree) -> State:
    shapes = [shape_of(state) for state in outputs]
    if len({len(shape) for shape in shapes}) != 1 or len({shape[0] for shape in shapes}) != 1:
        raise _mismatch(where, "mul", outputs, "arms with the same channels")
    merged: State = outputs[0]
    for state in outputs[1:]:
        if isinstance(merged, Spatial) and isinstance(state, Spatial):
            height, width = (
                _broadcast(a, b, agree) for a, b in ((merged.height, state.height), (merged.width, state.width))
            )
            if height is None or width is None:
                raise _mismatch(where, "mul", outputs, "sizes that agree or are 1")
            merged = Spatial(merged.channels, height, width)
    return merged


def _broadcast(first: Size, second: Size, agree: Agree) -> Size | None:
    if first == second or second == 1:
        return first
    if first == 1:
        return second
    return first if agree(first, second) else None


def _merge_split(outputs: Sequence[State], where: str, agree: Agree) -> State:
    return _merge_cat(outputs, where, agree, "split")


MERGES = {"res": _merge_add, "cat": _merge_cat, "mul": _merge_mul, "split": _merge_split}
