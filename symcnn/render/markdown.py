"""The table as Markdown: the text table's cells, totals, closed forms, convention.

>>> import symcnn
>>> print(table(symcnn.parse("conv3-64 fc10", n=4)).splitlines()[3])
| 1 | `conv3-64` | 64×4×4 | 1,024 | 3·3·3·64 = 1,728 | 64 | 1,792 | 27,648 |
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .printing import text
from .text import (
    TOTALS,
    Column,
    columns,
    convention_line,
    domain_phrase,
    input_cells,
    layer_cells,
    symbolic,
    total_cells,
    values_phrase,
)

if TYPE_CHECKING:
    from ..network import Network

_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def escape(cell: str) -> str:
    r"""Text with Markdown's special characters escaped.

    >>> escape("k_h·k_w | *")
    'k\\_h·k\\_w \\| \\*'
    """
    return _SPECIAL.sub(r"\\\1", cell)


def code(cell: str) -> str:
    """A layer name as inline code (``|`` still escaped: it would end a table cell).

    >>> code("res(conv1-8 | conv3-8)")
    '`res(conv1-8 \\\\| conv3-8)`'
    """
    return "`" + cell.replace("|", "\\|") + "`" if cell else ""


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _cells(row: Sequence[str], cols: Sequence[Column]) -> list[str]:
    return [code(cell) if column.title == "layer" else escape(cell) for cell, column in zip(row, cols)]


def _closed_forms(net: Network) -> list[str]:
    forms = [(title, net.closed_form(quantity)) for quantity, title in TOTALS]
    heading = ", ".join(part for part in (values_phrase(net), domain_phrase(forms[0][1])) if part)
    if not symbolic(net):
        lines = [_row(["total", "value"]), "|:--|--:|"]
        lines += [_row([title, escape(text(form.general))]) for title, form in forms]
        return [f"**Totals**{', ' + escape(heading) if heading else ''}:", "", *lines]
    lines = [_row(["total", "closed form", "polynomial form", "holds for"]), "|:--|:--|:--|:--|"]
    for title, form in forms:
        if form.polynomial is None:
            polynomial, when = "none", ""
        elif form.polynomial == form.general:
            polynomial, when = "the same", ""
        else:
            polynomial, when = escape(text(form.polynomial)), escape(form.assumption)
        lines.append(_row([title, escape(text(form.general)), polynomial, when]))
    return [f"**Closed forms**{', ' + escape(heading) if heading else ''}:", "", *lines]


def table(net: Network, depth: int | None = None) -> str:
    """The Markdown table, then totals or closed forms, then the convention.

    With ``depth``, blocks and branches deeper than it are folded into one row each.

    >>> import symcnn
    >>> print(table(symcnn.parse("vgg-d")).splitlines()[-10])
    **Closed forms**, valid for n ≥ 32:
    """
    cols = columns(net)
    rows = [input_cells(net, cols)] + [layer_cells(layer, cols) for layer in net.rows(depth)]
    widths = [max(len(row[index]) for row in rows) for index in range(len(cols))]
    totals = total_cells(net, cols, widths)
    totals = [f"**{cell}**" if cell else "" for cell in _cells(totals, cols)]
    totals[[column.title for column in cols].index("layer")] = "**total**"
    lines = [
        _row([escape(column.title) for column in cols]),
        "|" + "|".join("--:" if column.right else ":--" for column in cols) + "|",
        *(_row(_cells(row, cols)) for row in rows),
        _row(totals),
    ]
    return "\n".join([*lines, "", *_closed_forms(net), "", escape(convention_line(net))]) + "\n"
