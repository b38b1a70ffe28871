"""A training step's memory: the walk's saved tensors plus parameters, gradients, buffers and optimizer state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from ..analysis import LayerResult
from ..closed_form import ClosedForm, closed_form
from ..domain import Domain
from ..errors import SymcnnError, UnknownNameError
from ..evaluate import evaluate_many
from ..values import Value, public, total
from .facts import COUNTER_BYTES, MAX_BATCH, OPTIMIZERS, PRECISIONS, STEP_BYTES
from .walk import SavedRow, _Walk

if TYPE_CHECKING:
    from ..network import Network
    from ..values import Shown


@dataclass(frozen=True)
class TrainMemory:
    """A training step's memory in bytes: ``saved`` (for the backward pass) + ``parameters`` +
    ``gradients`` + ``buffers`` + ``optimizer_state`` = ``total``; ints at numbers, sympy in symbols."""

    batch: int
    optimizer: str
    precision: str
    input_bytes: Value  # the input batch, counted in ``saved`` when an op keeps it
    input_saved: bool
    rows: tuple[SavedRow, ...]
    raw_parameters: Value
    raw_buffers: Value
    raw_optimizer_state: Value
    domains: Mapping[str, Domain | None] = field(repr=False, compare=False)
    classes: Mapping[str, Domain | None] = field(repr=False, compare=False)

    @cached_property
    def raw_saved(self) -> Value:
        return total([self.input_bytes if self.input_saved else 0, *(row.raw_bytes for row in self.rows)])

    @cached_property
    def raw_total(self) -> Value:
        return total([self.raw_saved, 2 * self.raw_parameters, self.raw_buffers, self.raw_optimizer_state])

    @property
    def saved(self) -> Shown:
        return public(self.raw_saved)

    @property
    def parameters(self) -> Shown:
        return public(self.raw_parameters)

    @property
    def gradients(self) -> Shown:
        """One gradient per parameter, in the parameters' precision."""
        return public(self.raw_parameters)

    @property
    def buffers(self) -> Shown:
        return public(self.raw_buffers)

    @property
    def optimizer_state(self) -> Shown:
        return public(self.raw_optimizer_state)

    @property
    def total(self) -> Shown:
        return public(self.raw_total)

    def closed_form(self) -> ClosedForm:
        """The total's closed forms (general, polynomial) and domain, as :meth:`Network.closed_form` gives them."""
        return closed_form(self.raw_total, self.domains, self.classes)

    def sweep(self, sizes: Sequence[int], symbol: str = "n") -> list[int]:
        """The total at every size, exactly, from the closed form (sizes outside the domain refused).

        >>> import symcnn
        >>> train_memory(symcnn.parse("conv3-8 relu")).sweep([1, 2])  # (3 + 8)·4·n² + 2·224·4
        [1836, 1968]
        """
        domain = self.domains.get(symbol)
        outside = [size for size in sizes if domain is not None and not domain.contains(size)]
        if outside:
            assert domain is not None
            raise SymcnnError(
                f"{symbol} = {outside[0]} is outside the domain: training needs {domain.describe(symbol)}"
            )
        return evaluate_many(self.closed_form().general, symbol, sizes, expanded=True)


def train_memory(network: Network, batch: int = 1, optimizer: str = "sgd", precision: str = "float32") -> TrainMemory:
    """The training memory of ``network`` for one step on ``batch`` inputs (see the module's text).

    >>> import symcnn
    >>> train_memory(symcnn.parse("conv3-8 relu"), batch=4).saved
    176*n**2
    """
    if isinstance(batch, bool) or not isinstance(batch, int) or not 1 <= batch <= MAX_BATCH:
        raise SymcnnError(f"batch must be a whole number from 1 to {MAX_BATCH:,}, not {batch!r}")
    if optimizer not in OPTIMIZERS:
        raise UnknownNameError(f"unknown optimizer {optimizer!r}; one of {', '.join(OPTIMIZERS)}")
    if precision not in PRECISIONS:
        raise UnknownNameError(f"unknown precision {precision!r}; one of {', '.join(PRECISIONS)}")
    width = PRECISIONS[precision]
    network = _in_training(network)
    walk = _Walk(network, batch, width, mixed=precision == "mixed")
    walk.run()
    layers = network.analysis.raw_layers
    parameters = total(layer.params for layer in layers) * width
    tensors = sum(_parameter_tensors(layer) for layer in layers)
    state = OPTIMIZERS[optimizer] * parameters + (STEP_BYTES * tensors if optimizer.startswith("adam") else 0)
    return TrainMemory(
        batch=batch,
        optimizer=optimizer,
        precision=precision,
        input_bytes=walk.input.bytes,
        input_saved=walk.input.key in walk.saved,
        rows=tuple(walk.rows),
        raw_parameters=parameters,
        raw_buffers=total(_buffer_bytes(layer, width) for layer in layers),
        raw_optimizer_state=state,
        domains=network.analysis.domains,
        classes=network.analysis.polynomial_classes,
    )


def _in_training(network: Network) -> Network:
    """The network as training runs it: its auxiliary heads run, and their sizes limit the input."""
    if network.mode == "train" or not any(layer.idle for layer in network.analysis.raw_layers):
        return network
    from ..analysis import analyze
    from ..network import Network

    analysis = network.analysis
    return Network(analyze(analysis.architecture, analysis.values, analysis.convention, "train", analysis.aux))


def _parameter_tensors(layer: LayerResult) -> int:
    """Weight and bias tensors (a batch norm's or a LayerNorm's weight and bias are two)."""
    return int(bool(layer.geometry.weight_factors)) + int(layer.geometry.biases != 0)


def _buffer_bytes(layer: LayerResult, width: int) -> Value:
    """A batch norm's running mean and variance in the precision, and its int64 batch counter."""
    if layer.kind != "bn" or layer.buffers == 0:
        return 0
    return 2 * layer.geometry.input[0] * width + COUNTER_BYTES
