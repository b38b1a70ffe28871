"""The training-memory report: per row, the bytes it makes that autograd keeps for the backward pass;
then the totals, and what is and is not counted (:mod:`symcnn.training` does the counting).

>>> import symcnn
>>> print(report(symcnn.parse("conv3-8 relu fc10", n=4).train_memory(batch=2)))  # doctest: +ELLIPSIS
Training memory: batch 2, optimizer sgd, precision float32
<BLANKLINE>
Saved for the backward pass, by the row that makes each tensor:
  Row     Saved bytes  Kept
  input           384  input
  2 relu        1,024  output
<BLANKLINE>
  Saved for backward   1,408
  Parameters           6,056
  Gradients            6,056
  Buffers                  0
  Optimizer state          0
  Total               13,520  (13.2 KiB)
<BLANKLINE>
Counted: ...
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .printing import group, text

if TYPE_CHECKING:
    from ..training import TrainMemory
    from ..values import Shown

COUNTED = (
    "Counted: every tensor autograd saves in one forward pass in training mode, each storage once (a view"
    " counts its whole base), as torch 2.x saves it on the CPU; the parameters, one gradient each, the"
    " buffers, and the optimizer's state after a step (Adam's step counter: a float32 scalar per parameter tensor)."
)
NOT_COUNTED = (
    "Not counted: the gradients flowing backward, workspaces (cuDNN's), the caching allocator's rounding and"
    " fragmentation, the CUDA context, the outputs of the last layer and of the loss; CUDA's fused dropout"
    " keeps a 1-byte mask where the CPU keeps noise of the input's precision, and CUDA's autocast casts other"
    " ops than the CPU's. The figure is what the tensors need, not a promise about the peak."
)
_UNITS = (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10))


def report(memory: TrainMemory) -> str:
    """The per-row table and the totals, as terminal text; rows that keep nothing are left out."""
    title = f"Training memory: batch {memory.batch}, optimizer {memory.optimizer}, precision {memory.precision}"
    rows = [("input", text(memory.input_bytes), "input")] if memory.input_saved else []
    for saved in memory.rows:
        if saved.raw_bytes != 0:
            rows.append((f"{saved.row.index} {saved.row.path}", text(saved.bytes), ", ".join(saved.kept)))
    first = max([len("Row"), *(len(row[0]) for row in rows)])
    second = max([len("Saved bytes"), *(len(row[1]) for row in rows)])
    lines = [title, "", "Saved for the backward pass, by the row that makes each tensor:"]
    lines.append(f"  {'Row':<{first}}  {'Saved bytes':>{second}}  Kept")
    lines += [f"  {name:<{first}}  {count:>{second}}  {kept}" for name, count, kept in rows]
    totals: list[tuple[str, Shown]] = [
        ("Saved for backward", memory.saved),
        ("Parameters", memory.parameters),
        ("Gradients", memory.gradients),
        ("Buffers", memory.buffers),
        ("Optimizer state", memory.optimizer_state),
        ("Total", memory.total),
    ]
    numbers = all(isinstance(value, int) for _, value in totals)  # a column of closed forms stays left-aligned
    width = max(len(text(value)) for _, value in totals) if numbers else 0
    lines.append("")
    for name, value in totals:
        size = f"  ({binary_size(value)})" if name == "Total" and isinstance(value, int) else ""
        lines.append(f"  {name:<18}  {text(value):>{width}}{size}")
    if not isinstance(memory.total, int):
        form = memory.closed_form()
        if form.polynomial is not None and form.assumption:
            lines.append(f"  Total for {form.assumption}: {text(form.polynomial)}")
        lines.append(f"  Valid for {form.domain}")
    notes = [textwrap.fill(note, 100) for note in (COUNTED, NOT_COUNTED)]
    return "\n".join([*lines, "", *notes]) + "\n"


def sweep_table(memory: TrainMemory, sizes: Sequence[int], totals: Sequence[int]) -> str:
    """The total at every size, one line each.

    >>> import symcnn
    >>> memory = symcnn.parse("conv3-8 relu").train_memory()
    >>> print(sweep_table(memory, [1, 2], memory.sweep([1, 2])), end="")
    Training memory: batch 1, optimizer sgd, precision float32
        n  Total bytes
        1        1,836  (1.8 KiB)
        2        1,968  (1.9 KiB)
    """
    title = f"Training memory: batch {memory.batch}, optimizer {memory.optimizer}, precision {memory.precision}"
    width = max([len("Total bytes"), *(len(group(count)) for count in totals)])
    first = max([len("n"), *(len(str(size)) for size in sizes)]) + 4
    lines = [title, f"{'n':>{first}}  {'Total bytes':>{width}}"]
    lines += [f"{size:>{first}}  {group(count):>{width}}  ({binary_size(count)})" for size, count in zip(sizes, totals)]
    return "\n".join(lines) + "\n"


def binary_size(count: int) -> str:
    """Bytes in the largest binary unit they fill, one decimal, rounded half up in integers.

    >>> binary_size(17179869184), binary_size(1536), binary_size(100)
    ('16.0 GiB', '1.5 KiB', '100 B')
    """
    for unit, scale in _UNITS:
        if count >= scale:
            tenths = (count * 10 + scale // 2) // scale
            return f"{group(tenths // 10)}.{tenths % 10} {unit}"
    return f"{count} B"
