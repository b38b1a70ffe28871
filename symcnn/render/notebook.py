"""Rich displays for Jupyter: a network, a sweep and a checked claim as HTML, Markdown and LaTeX.

The ``_repr_html_``, ``_repr_markdown_`` and ``_repr_latex_`` methods of
:class:`~symcnn.network.Network`, :class:`~symcnn.sweep.SweepTable` and
:class:`~symcnn.check.Checked` call these. The HTML table has the text table's
cells (:mod:`symcnn.render.text`), every one passed through :func:`html.escape`;
the Markdown is :mod:`symcnn.render.markdown`'s; the LaTeX is the closed forms (or
totals) of :mod:`symcnn.render.latex` as display maths that MathJax typesets.
Nothing is counted or printed anew here.

>>> import symcnn
>>> net = symcnn.parse("conv3-64 fc10", n=4)
>>> ">3·3·3·64 = 1,728</td>" in network_html(net)
True
>>> print(network_latex(net).splitlines()[0])
Totals, at $n = 4$:
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from . import latex, markdown
from .printing import text
from .text import (
    TOTALS,
    Column,
    columns,
    convention_line,
    domain_phrase,
    input_cells,
    layer_cells,
    outputs_line,
    symbolic,
    tiling_phrase,
    total_cells,
    values_phrase,
)

if TYPE_CHECKING:
    from ..check import Checked
    from ..network import Network
    from ..sweep import SweepTable

# Rows shown before the table is cut in the middle: a notebook renders a long HTML table slowly.
MAX_ROWS = 1000
_TABLE_STYLE = "border-collapse: collapse; font-variant-numeric: tabular-nums"


def _cell(tag: str, content: str, right: bool) -> str:
    align = ' style="text-align: right"' if right else ' style="text-align: left"'
    return f"<{tag}{align}>{escape(content)}</{tag}>"


def _html_row(cells: Sequence[str], cols: Sequence[Column], tag: str = "td") -> str:
    return "<tr>" + "".join(_cell(tag, cell, column.right) for cell, column in zip(cells, cols)) + "</tr>"


def _body(net: Network, cols: Sequence[Column], depth: int | None) -> tuple[list[str], list[list[str]]]:
    """The rows of the table as HTML, and their cells: the input's and every layer's, the middle
    left out past :data:`MAX_ROWS` rows (the cells are worked out for the rows shown only)."""
    layers = net.rows(depth)
    half = MAX_ROWS // 2
    cut = len(layers) > MAX_ROWS
    cells = [input_cells(net, cols)] + [
        layer_cells(layer, cols) for layer in ([*layers[:half], *layers[-half:]] if cut else layers)
    ]
    rows = [_html_row(row, cols) for row in cells]
    if cut:
        note = f"… {len(layers) - MAX_ROWS:,} rows left out (net.table() has them all) …"
        rows.insert(1 + half, f'<tr><td colspan="{len(cols)}" style="text-align: center">{escape(note)}</td></tr>')
    return rows, cells


def _totals_html(net: Network) -> list[str]:
    """The totals, or the closed forms with their polynomial forms, as a small table."""
    forms = [(title, net.closed_form(quantity)) for quantity, title in TOTALS]
    where = ", ".join(part for part in (values_phrase(net), domain_phrase(forms[0][1])) if part)
    tiling = tiling_phrase(net) if symbolic(net) else ""
    heading = ("Closed forms" if symbolic(net) else "Totals") + (f", {where}" if where else "")
    heading += (f"; {tiling}" if tiling else "") + ":"
    rows = []
    for title, form in forms:
        rows.append(f"<tr><td>{escape(title)}</td><td>= {escape(text(form.general))}</td><td></td></tr>")
        if not symbolic(net) or form.polynomial == form.general:
            continue
        if form.polynomial is None:
            rows.append("<tr><td></td><td>(no polynomial form)</td><td></td></tr>")
        else:
            polynomial, when = escape(text(form.polynomial)), escape(f"for {form.assumption}")
            rows.append(f"<tr><td></td><td>= {polynomial}</td><td>{when}</td></tr>")
    return [f"<p>{escape(heading)}</p>", "<table>", *rows, "</table>"]


def network_html(net: Network, depth: int | None = None) -> str:
    """The table (cells as the text table's), the totals or closed forms, and the convention, as HTML."""
    for quantity, _ in TOTALS:  # a total past the limits is refused before the rows are written
        net.closed_form(quantity)
    cols = columns(net)
    rows, cells = _body(net, cols, depth)
    widths = [max(len(row[index]) for row in cells) for index in range(len(cols))]  # "see below" as the table
    outputs = outputs_line(net)
    lines = [
        f'<table class="symcnn" style="{_TABLE_STYLE}">',
        "<thead>" + _html_row([column.title for column in cols], cols, "th") + "</thead>",
        "<tbody>",
        *rows,
        "</tbody>",
        "<tfoot>" + _html_row(total_cells(net, cols, widths), cols, "th") + "</tfoot>",
        "</table>",
        *([f"<p>{escape(outputs)}</p>"] if outputs else []),
        *_totals_html(net),
        f"<p><small>{escape(convention_line(net))}</small></p>",
    ]
    return "\n".join(lines) + "\n"


def network_markdown(net: Network, depth: int | None = None) -> str:
    """The Markdown table of :mod:`symcnn.render.markdown`."""
    return markdown.table(net, depth)


def network_latex(net: Network) -> str:
    r"""The totals, or the closed forms with their polynomial forms and domain, as a line of text
    and display maths (``$$ … $$``): the LaTeX renderer's, without its paragraph commands.

    >>> import symcnn
    >>> print(network_latex(symcnn.parse("vgg-d")).splitlines()[4])
     & = & 2{,}048 \cdot n^{2} + 35{,}597{,}096 & \mbox{for $n$ a multiple of $32$} \\
    """
    block = latex._totals(net)  # the fragment's closed forms: heading, \[ array \]
    heading = block[0].removeprefix(r"\par\medskip\noindent ")
    return "\n".join([heading, *("$$" if line in (r"\[", r"\]") else line for line in block[1:])]) + "\n"


def sweep_html(rows: SweepTable) -> str:
    """A sweep's rows as an HTML table, then how memory was counted.

    >>> from symcnn.sweep import Memory, SweepRow, SweepTable
    >>> "<td>138,357,544</td>" in sweep_html(SweepTable([SweepRow(224, 138357544, 1, 2, 3)], Memory()))
    True
    """
    from .sweep import COLUMNS, TITLES, memory_note  # the sweep's own words (it imports the network)

    header = "".join(f"<th>{escape(rows.symbol if column == 'n' else TITLES[column])}</th>" for column in COLUMNS)
    body = [
        "<tr>"
        + "".join(
            f"<td>{getattr(row, column)}</td>" if column == "n" else f"<td>{getattr(row, column):,}</td>"
            for column in COLUMNS
        )
        + "</tr>"
        for row in rows
    ]
    return "\n".join(
        [
            f'<table class="symcnn-sweep" style="{_TABLE_STYLE}; text-align: right">',
            f"<thead><tr>{header}</tr></thead>",
            "<tbody>",
            *body,
            "</tbody>",
            "</table>",
            f"<p><small>{escape(memory_note(rows.memory))}</small></p>",
        ]
    )


def check_text(checked: Checked) -> str:
    """What ``symcnn check`` prints for the claim (and the network, when there is one)."""
    from .check import report  # the checker's words (it imports the network)

    return report(checked.claim, checked.network, checked.name)


def check_html(checked: Checked) -> str:
    r"""The check's report, preformatted and escaped.

    >>> from symcnn.check import check
    >>> print(check_html(check("3*3*128*256 + 256 = 295,168")))
    <pre>295,168
    The claim holds: 295,168 = 295,168.
    </pre>
    """
    return f"<pre>{escape(check_text(checked))}</pre>"


def check_markdown(checked: Checked) -> str:
    """The check's report as a fenced block."""
    return "```text\n" + check_text(checked) + "```\n"
