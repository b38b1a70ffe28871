"""The forward pass walked as the exported module runs it in training mode: which tensors each row makes,
which of them autograd keeps for the backward pass, each storage counted once (see :mod:`symcnn.training`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from itertools import count
from typing import TYPE_CHECKING

from .. import ir
from ..analysis import LayerResult
from ..errors import SymcnnError
from ..values import Value, as_int, product, public, total
from .facts import AUTOCAST_BYTES, INDEX_BYTES, SAVES_OUTPUT

if TYPE_CHECKING:
    from ..network import Network
    from ..rules import Geometry
    from ..values import Shown


@dataclass(frozen=True)
class SavedRow:
    """The bytes of the tensors that one row makes and the backward pass keeps, and what they are."""

    row: LayerResult
    raw_bytes: Value
    kept: tuple[str, ...]

    @property
    def bytes(self) -> Shown:
        return public(self.raw_bytes)


_CONTIGUOUS, _CHANNELS_LAST, _STRIDED = "contiguous", "channels-last", "strided"


@dataclass(frozen=True)
class _Tensor:
    """A storage in the forward pass: who made it, its bytes, its layout, whether it needs a gradient."""

    key: int
    bytes: Value
    layout: str
    grad: bool
    width: int  # bytes per value


class _Walk:
    """The IR in the analysis' order, paired with its rows, following the tensors from row to row."""

    def __init__(self, network: Network, batch: int, width: int, mixed: bool) -> None:
        self.rows_left = iter(network.analysis.raw_layers)
        self.aux = network.analysis.aux
        self.batch, self.width, self.mixed = batch, width, mixed
        self.keys = count()
        self.saved: dict[int, _Tensor] = {}
        self.made: list[list[tuple[str, _Tensor]]] = []  # per row: (label, tensor) it made
        self.results: list[LayerResult] = []
        self.architecture = network.architecture
        self.input = self._new(network.analysis.raw_input, _CONTIGUOUS, False, width)
        self.rows: list[SavedRow] = []

    def run(self) -> None:
        self._sequence(self.architecture.layers, self.input)
        for row, made in zip(self.results, self.made, strict=True):
            kept = [(label, tensor) for label, tensor in made if tensor.key in self.saved]
            labels = tuple(dict.fromkeys(label for label, _ in kept))
            self.rows.append(SavedRow(row, total(tensor.bytes for _, tensor in kept), labels))

    def _new(self, shape: Sequence[Value], layout: str, grad: bool, width: int) -> _Tensor:
        return _Tensor(next(self.keys), product((self.batch, *shape)) * width, layout, grad, width)

    def _extra(self, label: str, shape: Sequence[Value], width: int, batched: bool = True) -> None:
        """A tensor the current row makes only for the backward pass (indices, statistics, noise, copies)."""
        values = product((self.batch, *shape) if batched else tuple(shape))
        tensor = _Tensor(next(self.keys), values * width, _CONTIGUOUS, True, width)
        self.made[-1].append((label, tensor))
        self.saved[tensor.key] = tensor

    def _keep(self, *tensors: _Tensor) -> None:
        for tensor in tensors:
            self.saved[tensor.key] = tensor

    def _output(self, shape: Sequence[Value], layout: str, grad: bool, width: int) -> _Tensor:
        tensor = self._new(shape, layout, grad, width)
        self.made[-1].append(("output", tensor))
        return tensor

    def _sequence(self, nodes: Sequence[ir.Node], current: _Tensor) -> _Tensor:
        for node in nodes:
            if isinstance(node, ir.Block):
                current = self._sequence(node.body, current)
            elif isinstance(node, ir.Branch):
                current = self._branch(node, current)
            else:
                row = next(self.rows_left)
                self.results.append(row)
                self.made.append([])
                current = self._leaf(node, row, current)
        return current

    def _branch(self, branch: ir.Branch, current: _Tensor) -> _Tensor:
        if branch.op in ("aux", "out"):  # a side head runs on the current tensor in training
            if branch.op == "out" or self.aux:
                self._sequence(branch.arms[0], current)
            return current
        arm_input = current
        if branch.op == "split":  # torch.chunk: views of the input's storage
            arm_input = replace(current, layout=_STRIDED)
        outputs = [self._sequence(arm, arm_input) for arm in branch.arms]
        merge = next(self.rows_left)
        self.results.append(merge)
        self.made.append([])
        grad, width = any(output.grad for output in outputs), max(output.width for output in outputs)
        if merge.kind != "mul":  # float32 and bfloat16 arms (mixed precision) give float32
            return self._output(merge.output, current.layout if merge.kind == "add" else _CONTIGUOUS, grad, width)
        # merged = outputs[0]; merged = merged * output …: each product keeps both operands.
        merged, shape = outputs[0], merge.geometry.parts[0]
        for output, part in zip(outputs[1:], merge.geometry.parts[1:], strict=True):
            if output.grad:
                self._keep(merged)
            if merged.grad:
                self._keep(output)
            shape = tuple(b if as_int(a) == 1 else a for a, b in zip(shape, part, strict=True))
            width = max(merged.width, output.width)
            merged = self._output(shape, _CONTIGUOUS, merged.grad or output.grad, width)
        return merged

    def _leaf(self, node: ir.Node, row: LayerResult, x: _Tensor) -> _Tensor:
        geometry = row.geometry
        kind, op, shape, width = geometry.kind, geometry.op, row.output, x.width
        learns = bool(geometry.weight_factors) or geometry.biases != 0
        if kind in ("identity", "flatten", "crop") or (kind == "dropout" and _dropout_p(node) == 0):
            if kind == "flatten" and _copies_to_flatten(x, geometry.input):
                return self._output(shape, _CONTIGUOUS, x.grad, width)
            if kind == "crop":
                return replace(x, layout=_STRIDED)
            return x
        if not (x.grad or learns):  # no autograd node: nothing kept
            return self._output(shape, x.layout, False, width)
        if kind in ("conv", "upconv", "fc"):
            return self._weighted(x, geometry, shape)
        if kind == "scale":  # x·γ: a float32 γ promotes a bfloat16 x
            self._keep(x)
            return self._output(shape, x.layout, True, max(width, self.width))
        if kind == "act":
            if op in SAVES_OUTPUT:
                output = self._output(shape, x.layout, True, width)
                self._keep(output)
                return output
            self._keep(x)
        elif kind == "pool":
            global_mean = op == "adaptiveavgpool" and all(as_int(size) == 1 for size in shape[1:])
            if not global_mean and geometry.via != "mean":
                self._keep(x)
            if op.endswith("maxpool"):
                self._extra("indices", shape, INDEX_BYTES)
        elif kind == "bn":  # statistics in the parameters' precision
            self._keep(x)
            for label in ("mean", "1/std"):
                self._extra(label, geometry.input[:1], self.width, batched=False)
        elif kind == "ln":
            self._keep(x)
            for label in ("mean", "1/std"):
                self._extra(label, geometry.input[1:], self.width)
            return self._output(shape, _CHANNELS_LAST if len(shape) == 3 else _CONTIGUOUS, True, width)
        elif kind == "dropout":
            if _dropout_p(node) == 1:
                self._extra("zero", (), width, batched=False)  # x * 0: a 0-d zero
            else:
                self._extra("noise", geometry.input, width)
        elif kind == "lrn":
            self._lrn(x, geometry.input, geometry.window)
            width = self.width  # under autocast its 3-d pooling runs in float32, and so does the rest
        layout = _CONTIGUOUS if kind in ("shuffle", "resample", "pad") else x.layout
        return self._output(shape, layout, True, width)

    def _weighted(self, x: _Tensor, geometry: Geometry, shape: tuple[Value, ...]) -> _Tensor:
        """A convolution or Linear: it keeps its input (under autocast, a bfloat16 copy, and one of its weights)."""
        width = AUTOCAST_BYTES if self.mixed else x.width
        if geometry.kind == "fc" and len(geometry.input) == 3 and _copies_to_flatten(x, geometry.input):
            self._extra("flattened copy", geometry.input, width)
        elif geometry.via == "linear" and x.layout != _CHANNELS_LAST and not _single_position(geometry.input):
            self._extra("channels-last copy", geometry.input, width)
        elif x.width != width:
            self._extra("bfloat16 copy", geometry.input, width)
        else:
            self._keep(x)
        # A convolution keeps its weights whatever needs a gradient; a Linear (a matrix product) only
        # when its input needs one. Under autocast they are a bfloat16 copy, not the parameter.
        linear = geometry.kind == "fc" or geometry.via == "linear"
        if self.mixed and (x.grad or not linear):
            self._extra("bfloat16 weights", (geometry.weights,), width, batched=False)
        layout = _CHANNELS_LAST if geometry.via == "linear" else x.layout
        return self._output(shape, _CONTIGUOUS if geometry.kind == "fc" else layout, True, width)

    def _lrn(self, x: _Tensor, shape: tuple[Value, ...], window: tuple[Value, ...]) -> None:
        """LocalResponseNorm as torch composes it: x·x padded over channels, a 3-d average pool, then
        (k + α·avg)^β and x / that; torch keeps x, the padded squares, the sum and its power."""
        channels, height, width = shape
        self._keep(x)
        self._extra("padded squares", (channels + window[0] - 1, height, width), self.width)
        self._extra("k + α·mean", shape, self.width)
        self._extra("its power β", shape, self.width)


def _dropout_p(node: ir.Node) -> Fraction:
    assert isinstance(node, ir.Elementwise)
    text = dict(node.options).get("p", "0.5")
    try:
        return Fraction(text)
    except ValueError:
        raise SymcnnError(f"dropout p = {text} must be a number") from None


def _single_position(shape: tuple[Value, ...]) -> bool:
    return len(shape) == 3 and as_int(shape[1]) == 1 and as_int(shape[2]) == 1


def _copies_to_flatten(x: _Tensor, shape: tuple[Value, ...]) -> bool:
    """Whether flattening ``x`` copies it: a map that is not contiguous, unless it has one position."""
    return len(shape) == 3 and x.layout != _CONTIGUOUS and not _single_position(shape)
