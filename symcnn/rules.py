"""Counting conventions: what each layer kind adds to activations and MACs.

Parameters and buffers are facts of a layer; activations and multiply-accumulates
depend on rules that every tool chooses for itself (is the input counted? the
bias addition? pooling?). Each convention is one :class:`Convention` value:
data, not ``if``s spread over the code, so that other tools' rules can be added
beside the default one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .values import Value, product


@dataclass(frozen=True)
class Geometry:
    """The facts of one applied layer that counting rules may use.

    ``kind`` is one of conv, pool, fc, bn, ln, scale, act, dropout, lrn, flatten,
    identity, and add, cat, mul for the merge at the end of a branch.
    ``input`` and ``output`` are (C, H, W) or (features,). The weights are the
    product of ``weight_factors`` (k_h, k_w, C_in/groups, C_out for a conv;
    C, H, W, out for an fc that flattens).
    """

    kind: str
    op: str
    input: tuple[Value, ...]
    output: tuple[Value, ...]
    weight_factors: tuple[Value, ...]
    biases: Value
    buffers: Value
    parts: tuple[tuple[Value, ...], ...] = ()  # the arms' outputs, for a branch's merge

    @property
    def weights(self) -> Value:
        return product(self.weight_factors) if self.weight_factors else 0

    @property
    def output_values(self) -> Value:
        return product(self.output)

    @property
    def output_area(self) -> Value:
        """H·W of a C×H×W output, 1 for a flat one."""
        return product(self.output[1:])


MacRule = Callable[[Geometry], Value]


def weight_macs(geometry: Geometry) -> Value:
    """One multiply-add per weight per output position: conv and fc, no bias."""
    return geometry.weights * geometry.output_area


@dataclass(frozen=True)
class Convention:
    """How one tool counts activations and MACs.

    ``in_place``: layer kinds whose output is not counted as a new activation.
    ``macs``: a rule per layer kind; a kind without a rule adds 0.
    """

    name: str
    summary: str
    count_input: bool
    in_place: frozenset[str]
    macs: Mapping[str, MacRule] = field(default_factory=dict)

    def activations(self, geometry: Geometry) -> Value:
        return 0 if geometry.kind in self.in_place else geometry.output_values

    def mac_count(self, geometry: Geometry) -> Value:
        rule = self.macs.get(geometry.kind)
        return 0 if rule is None else rule(geometry)


SYMCNN = Convention(
    name="symcnn",
    summary=(
        "activations: the input and every layer's output except activation functions, softmax, "
        "dropout, lrn, identity and flatten (in place); MACs: conv k_h·k_w·(C_in/groups)·C_out·H_out·W_out, "
        "fc in·out, no bias, every other layer 0"
    ),
    count_input=True,
    in_place=frozenset({"act", "dropout", "lrn", "flatten", "identity"}),
    macs={"conv": weight_macs, "fc": weight_macs},
)

CONVENTIONS: dict[str, Convention] = {SYMCNN.name: SYMCNN}
