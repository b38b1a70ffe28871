"""``train_memory(batch=…, optimizer=…, precision=…)`` in a ``solve`` condition: its options, checked with a caret."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..arithmetic import error_at
from .facts import MAX_BATCH, OPTIMIZERS, PRECISIONS

if TYPE_CHECKING:
    from ..network import Network
    from .memory import TrainMemory


@dataclass(frozen=True)
class TrainingSetup:
    """The options of ``train_memory(batch=…, optimizer=…, precision=…)`` in a condition."""

    batch: int = 1
    optimizer: str = "sgd"
    precision: str = "float32"

    def of(self, network: Network) -> TrainMemory:
        from .memory import train_memory

        return train_memory(network, self.batch, self.optimizer, self.precision)


def training_setup(condition: str, options: str, at: int) -> TrainingSetup:
    """The options ``options`` of ``train_memory(…)``, found at ``at`` in ``condition``; errors point into it.

    >>> training_setup("train_memory(batch=8, optimizer=adam) <= 1e9", "batch=8, optimizer=adam", 13)
    TrainingSetup(batch=8, optimizer='adam', precision='float32')
    >>> training_setup("train_memory(batch=0) <= 1e9", "batch=0", 13)
    Traceback (most recent call last):
    ...
    symcnn.errors.NotationSyntaxError: line 1, column 20: batch must be a whole number from 1 to 1,000,000, not '0'
    train_memory(batch=0) <= 1e9
                       ^
    """
    given: dict[str, tuple[str, int]] = {}
    names = {"batch": "N", "optimizer": "|".join(OPTIMIZERS), "precision": "|".join(PRECISIONS)}
    offset = at
    for part in options.split(","):
        name, equals, value = part.partition("=")
        start = offset + len(part) - len(part.lstrip())
        offset += len(part) + 1
        if not part.strip():
            continue
        if name.strip() not in names or not equals or not value.strip():
            usage = ", ".join(f"{key}={what}" for key, what in names.items())
            raise error_at(condition, start, f"train_memory takes {usage}, not {part.strip()!r}")
        at_value = start + len(part.strip()) - len(value.strip())
        given[name.strip()] = (value.strip(), at_value)
    batch, where = given.get("batch", ("1", at))
    if not (batch.isascii() and batch.isdigit()) or len(batch) > 7 or not 1 <= int(batch) <= MAX_BATCH:
        raise error_at(condition, where, f"batch must be a whole number from 1 to {MAX_BATCH:,}, not {batch!r}")
    for name, known in (("optimizer", OPTIMIZERS), ("precision", PRECISIONS)):
        value, where = given.get(name, (next(iter(known)), at))
        if value not in known:
            raise error_at(condition, where, f"unknown {name} {value!r}; one of {', '.join(known)}")
    return TrainingSetup(int(batch), given.get("optimizer", ("sgd", 0))[0], given.get("precision", ("float32", 0))[0])
