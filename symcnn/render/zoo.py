"""The zoo as a Markdown table: each entry's parameters and MACs at one input size."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ZooRow:
    """One entry: its name, and its counts at ``n`` (None where n is below its smallest valid size)."""

    name: str
    params: int | None
    macs: int | None
    smallest: int | None


def table(rows: Sequence[ZooRow], n: int) -> str:
    """A Markdown table, numbers grouped by thousands.

    >>> print(table([ZooRow("vgg16", 138357544, 15470264320, 32)], 224))
    | entry | parameters | MACs at n = 224 | smallest n |
    |---|---:|---:|---:|
    | vgg16 | 138,357,544 | 15,470,264,320 | 32 |
    """
    lines = [f"| entry | parameters | MACs at n = {n} | smallest n |", "|---|---:|---:|---:|"]
    for row in rows:
        cells = ["—" if value is None else f"{value:,}" for value in (row.params, row.macs, row.smallest)]
        lines.append(f"| {row.name} | {' | '.join(cells)} |")
    return "\n".join(lines)
