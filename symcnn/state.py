"""The tensor between two layers: C×H×W, or a flat vector after an fc or flatten."""

from __future__ import annotations

from dataclasses import dataclass

from .dims import Size, size_expr
from .values import Value


@dataclass(frozen=True)
class Spatial:
    """A C×H×W tensor."""

    channels: Value
    height: Size
    width: Size


@dataclass(frozen=True)
class Flat:
    """A vector of features, after an fc or flatten."""

    features: Value


State = Spatial | Flat


def shape_of(state: State) -> tuple[Value, ...]:
    """(C, H, W) or (features,), as ints or sympy expressions."""
    if isinstance(state, Flat):
        return (state.features,)
    return (state.channels, size_expr(state.height), size_expr(state.width))
