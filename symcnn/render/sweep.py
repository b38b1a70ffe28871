"""Sweeps and solutions as text: tables, CSV, JSON, Markdown, a PNG plot."""

from __future__ import annotations

import csv as csv_module
import io
import json as json_module
import warnings
from collections.abc import Sequence
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from ..sweep import Memory, Solution, SweepRow
from ..training import TrainingSetup
from .printing import text

if TYPE_CHECKING:
    from ..network import Network

COLUMNS = ("n", "params", "activations", "macs", "memory")
LABEL_CHARS = 160  # a legend entry or title longer than this is cut: matplotlib lays out text slowly
PLOT_FORMATS = ("png", "pdf", "svg", "svgz", "eps", "ps", "jpg", "jpeg", "tif", "tiff")
"""What ``--plot`` writes, by the file's suffix (none: PNG); the rest of matplotlib's need LaTeX or raw buffers."""
TITLES = {"n": "n", "params": "params", "activations": "activations", "macs": "MACs", "memory": "memory (bytes)"}


def memory_note(memory: Memory | TrainingSetup) -> str:
    """How memory was counted, in words.

    >>> from symcnn.training import TrainingSetup
    >>> memory_note(TrainingSetup(32, "adam", "mixed"))[:72]
    'memory = one training step (batch 32, adam, mixed): saved for backward +'
    """
    if isinstance(memory, TrainingSetup):
        return (
            f"memory = one training step (batch {memory.batch}, {memory.optimizer}, {memory.precision}): saved for "
            "backward + parameters + gradients + buffers + optimizer state (symcnn memory ARCH --n N: the parts)"
        )
    return (
        f"memory = (activations × batch {memory.batch} + params) × {memory.width} bytes ({memory.dtype}): "
        "one forward pass, no gradients or optimizer state"
    )


def table(rows: Sequence[SweepRow], memory: Memory | TrainingSetup, symbol: str = "n") -> str:
    """Right-aligned columns with grouped digits.

    >>> from symcnn.sweep import SweepRow, Memory
    >>> print(table([SweepRow(224, 10, 20, 30, 40)], Memory()).splitlines()[2])
    224      10           20    30              40
    """
    header = [symbol if column == "n" else TITLES[column] for column in COLUMNS]
    body = [[f"{getattr(row, column):,}" if column != "n" else str(row.n) for column in COLUMNS] for row in rows]
    widths = [max(len(line[index]) for line in [header, *body]) for index in range(len(COLUMNS))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)) for line in [header, *body]]
    rule = "─" * len(lines[0])
    return "\n".join([lines[0], rule, *lines[1:], "", memory_note(memory)]) + "\n"


def markdown(rows: Sequence[SweepRow], memory: Memory | TrainingSetup, symbol: str = "n") -> str:
    header = [symbol if column == "n" else TITLES[column] for column in COLUMNS]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("--:" for _ in COLUMNS) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(f"{getattr(row, column):,}" for column in COLUMNS) + " |")
    return "\n".join([*lines, "", memory_note(memory)]) + "\n"


def skipped_note(net: Network, skipped: Sequence[int], symbol: str = "n") -> str:
    """The sizes a sweep left out, outside the network's domain ("" when none were)."""
    if not skipped:
        return ""
    domain = net.analysis.domains.get(symbol)
    shown = ", ".join(map(str, skipped[:8])) + (", …" if len(skipped) > 8 else "")
    where = domain.describe(symbol) if domain is not None else ""
    return f"Left out {len(skipped):,} sizes outside the domain ({where}): {symbol} = {shown}\n"


def csv(rows: Sequence[SweepRow]) -> str:
    buffer = io.StringIO()
    writer = csv_module.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([getattr(row, column) for column in COLUMNS])
    return buffer.getvalue()


def json(rows: Sequence[SweepRow]) -> str:
    """A list with one object per input size: n, params, activations, macs, memory (JSON integers)."""
    return json_module.dumps([{column: getattr(row, column) for column in COLUMNS} for row in rows], indent=2) + "\n"


def plot(rows: Sequence[SweepRow], net: Network, path: str, title: str, symbol: str = "n") -> None:
    """Draw the totals against the input size, log scale, the closed forms in the legend (needs matplotlib).

    The image format follows the suffix of ``path`` (PNG without one); an unknown
    suffix or a file that cannot be written is a :class:`SymcnnError` naming ``path``.
    """
    from ..errors import SymcnnError

    suffix = PurePath(path).suffix
    image = suffix[1:].lower() if suffix else "png"
    if image not in PLOT_FORMATS:
        raise SymcnnError(
            f"--plot {path!r}: cannot draw a {suffix!r} file; the suffix must be one of "
            + ", ".join("." + name for name in PLOT_FORMATS)
        )
    folder = Path(path).parent
    if not folder.is_dir():  # before matplotlib's import (half a second) and the drawing
        raise SymcnnError(f"--plot {path!r}: cannot write the file: no folder {str(folder)!r}")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SymcnnError("--plot needs matplotlib: pip install 'symcnn[plot]'") from None
    labels = {quantity: TITLES[quantity] for quantity in ("params", "activations", "macs", "memory")}
    for quantity in ("params", "activations", "macs"):
        form = net.closed_form(quantity)
        shown = form.polynomial if form.polynomial is not None else form.general
        condition = f" ({form.assumption})" if form.assumption and shown is form.polynomial else ""
        labels[quantity] = _one_line(f"{labels[quantity]} = {text(shown)}{condition}", LABEL_CHARS)
    sizes = [row.n for row in rows]
    figure, axes = plt.subplots(figsize=(8, 5))
    try:
        with warnings.catch_warnings():  # a glyph the font lacks, a total that is 0 on the log scale
            warnings.simplefilter("ignore", UserWarning)
            for quantity, label in labels.items():
                values = [getattr(row, quantity) for row in rows]
                axes.plot(sizes, values, marker="." if len(sizes) < 60 else None, label=label)
            axes.set_yscale("log")
            axes.set_xlabel(f"input size {symbol}")
            axes.set_title(_one_line(title, LABEL_CHARS))
            axes.grid(True, which="both", alpha=0.3)
            axes.legend(fontsize=7)
            figure.tight_layout()
            figure.savefig(path, dpi=110, format=image)
    except OSError as error:
        raise SymcnnError(f"--plot {path!r}: cannot write the file: {error.strerror or error}") from None
    finally:
        plt.close(figure)


def _one_line(label: str, limit: int) -> str:
    """``label`` on one line of printable characters, at most ``limit`` of them (a closed form may be long).

    >>> _one_line("conv3-64\\r\\n  fc10", 60), _one_line("x" * 20, 8)
    ('conv3-64 fc10', 'xxxxxxx…')
    """
    flat = "".join(char if char.isprintable() else " " for char in " ".join(label.split()))
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def solution(result: Solution, symbol: str = "n") -> str:
    """The answer of ``symcnn solve`` in words."""
    condition = result.condition
    what = condition.quantity
    if what == "memory":
        what = f"memory(batch={condition.memory.batch}, dtype={condition.memory.dtype})"
    training = condition.training
    if training is not None:
        what = f"train_memory(batch={training.batch}, optimizer={training.optimizer}, precision={training.precision})"
    bound = f"{condition.bound.numerator:,}" if condition.bound.denominator == 1 else str(float(condition.bound))
    valid = f", valid for {result.domain}" if result.domain else ""
    lines = [f"Condition: {what} {condition.op} {bound}, {symbol} a multiple of {result.step}{valid}."]
    largest = condition.op in ("<=", "<")
    if result.n is None:
        where = f"{symbol} = {result.edge}" if result.edge else "any size up to the search limit"
        value = f" ({result.edge_value:,})" if result.edge_value is not None else ""
        lines.append(f"No {symbol} satisfies it: already at {where}{value}.")
    else:
        lines.append(f"{'Largest' if largest else 'Smallest'} {symbol}: {result.n} ({what} = {result.value:,}).")
        if result.edge is not None and result.edge_value is not None:
            lines.append(f"At {symbol} = {result.edge}: {what} = {result.edge_value:,}, which fails.")
        elif largest:
            lines.append(f"It holds for every {symbol} searched: {what} stops growing.")
        else:
            lines.append(f"That is the smallest valid {symbol} ({result.smallest_valid}) rounded up to the step.")
    if condition.quantity == "memory":
        lines.append(memory_note(condition.memory))
    if training is not None:
        lines.append(memory_note(training))
    return "\n".join(lines) + "\n"
