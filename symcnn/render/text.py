"""The terminal table: one row per layer, totals, closed forms and the convention.

The cells (also used by the Markdown table) are strings made by
:mod:`symcnn.render.printing` from the numbers of the analysis; nothing is
counted here.

>>> import symcnn
>>> print(table(symcnn.parse("conv3-64 relu fc10", n=4)).splitlines()[3])
1  conv3-64  64×4×4        1,024    3·3·3·64 = 1,728      64   1,792  27,648
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..analysis import LayerResult
from ..values import Value, as_int
from .printing import text, text_factors, weight_formula

if TYPE_CHECKING:
    from ..closed_form import ClosedForm
    from ..network import Network

# The totals shown after the table, with their titles.
TOTALS = (("params", "params"), ("buffers", "buffers"), ("activations", "activations"), ("macs", "MACs"))
SEE_BELOW = "see below"
# A symbolic total may widen its column up to this many characters before it reads SEE_BELOW.
TOTAL_WIDTH = 40


@dataclass(frozen=True)
class Column:
    """One column: its title, the quantity it totals (if any), its alignment."""

    title: str
    total: str | None = None
    right: bool = True


def columns(net: Network) -> tuple[Column, ...]:
    """The columns of the table; a path when the network has blocks or branches,
    buffers only when some layer has any.

    >>> import symcnn
    >>> [column.title for column in columns(symcnn.parse("conv3-8 bn"))]
    ['#', 'layer', 'output', 'activations', 'weights', 'biases', 'params', 'buffers', 'MACs']
    """
    buffers = any(as_int(layer.buffers) != 0 for layer in net.layers)
    nested = any("/" in layer.path for layer in net.layers)
    return (
        Column("#"),
        *((Column("path", right=False),) if nested else ()),
        Column("layer", right=False),
        Column("output", right=False),
        Column("activations", "activations"),
        Column("weights", "weights"),
        Column("biases", "biases"),
        Column("params", "params"),
        *((Column("buffers", "buffers"),) if buffers else ()),
        Column(net.convention.unit, "macs"),  # "FLOPs" under the torch convention
    )


def input_cells(net: Network, cols: Sequence[Column]) -> list[str]:
    """The first row: the input, its shape and (under the convention) its activations."""
    cells = {"#": "0", "layer": "input", "output": text_factors(net.input)}
    cells["activations"] = text(net.analysis.input_activations)
    return [cells.get(column.title, "") for column in cols]


def layer_cells(layer: LayerResult, cols: Sequence[Column], more: Mapping[str, str] | None = None) -> list[str]:
    """One layer's row; ``more`` gives the cells of extra columns (the receptive field's)."""
    cells = {
        **(more or {}),
        "#": str(layer.index),
        "path": layer.path,
        "layer": layer.name,
        "output": text_factors(layer.output),
        "weights": weight_formula(layer.geometry.weight_factors, layer.weights),
    }
    return [cells[column.title] if column.title in cells else text(_quantity(layer, column)) for column in cols]


def _quantity(layer: LayerResult, column: Column) -> Value:
    assert column.total is not None
    value: Value = getattr(layer, column.total)
    return value


def total_cells(net: Network, cols: Sequence[Column], widths: Sequence[int] | None = None) -> list[str]:
    """The totals row; with ``widths``, a symbolic total too wide for its column reads "see below".

    Too wide: wider than both the column and :data:`TOTAL_WIDTH`.
    """
    cells: list[str] = []
    for index, column in enumerate(cols):
        if column.total is None:
            cells.append("total" if column.title == "layer" else "")
            continue
        value = net.total(column.total)
        cell = text(value)
        if widths is not None and as_int(value) is None and len(cell) > max(widths[index], TOTAL_WIDTH):
            cell = SEE_BELOW
        cells.append(cell)
    return cells


def domain_phrase(form: ClosedForm) -> str:
    """Where the closed forms hold, in words ("" when no symbol is free).

    >>> from symcnn.closed_form import ClosedForm
    >>> from symcnn.domain import Domain
    >>> at_least, unknown = ClosedForm(0, 0, {}, {"n": Domain.at_least(32)}), ClosedForm(0, 0, {}, {"n": None})
    >>> domain_phrase(at_least), domain_phrase(unknown)
    ('valid for n ≥ 32', 'domain not derived for n')
    """
    known = [domain.describe(name) for name, domain in form.domains.items() if domain is not None]
    unknown = [name for name, domain in form.domains.items() if domain is None]
    parts = (["valid for " + ", ".join(known)] if known else []) + (
        ["domain not derived for " + ", ".join(unknown)] if unknown else []
    )
    return "; ".join(parts)


def symbolic(net: Network) -> bool:
    """Whether any total depends on a symbol."""
    return any(as_int(net.total(quantity)) is None for quantity, _ in TOTALS)


def values_phrase(net: Network) -> str:
    """The given values, as ``at n = 224`` ("" when none)."""
    given = ", ".join(f"{name} = {value}" for name, value in sorted(net.values.items()))
    return f"at {given}" if given else ""


def convention_line(net: Network) -> str:
    """The counting convention, named and summarised."""
    return f"Counting convention {net.convention.name}: {net.convention.summary}"


def _layout(rows: Sequence[Sequence[str]], cols: Sequence[Column], widths: Sequence[int]) -> list[str]:
    lines = []
    for row in rows:
        cells = [
            cell.rjust(width) if column.right else cell.ljust(width) for cell, column, width in zip(row, cols, widths)
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def tiling_phrase(net: Network) -> str:
    """For a network that upsamples, pads or crops: the inputs for which no floor drops a pixel and every
    crop is centred, so that tiles of the output join seamlessly ("" for other networks).

    >>> import symcnn
    >>> tiling_phrase(symcnn.parse("conv3-8(padding=0) cat(crop | maxpool upconv2-8)"))
    'tiling exact (no floor drops a pixel, every crop centred) for n ≥ 4 and n ≡ 0 (mod 2)'
    """
    parts = []
    for name, exact in net.analysis.exact_tiling.items():
        if exact is None:
            parts.append(f"not derived for {name}")
        else:
            parts.append(f"for no {name}" if exact.empty else f"for {exact.describe(name)}")
    return "tiling exact (no floor drops a pixel, every crop centred) " + "; ".join(parts) if parts else ""


def outputs_line(net: Network) -> str:
    """The network's outputs when it has more than one (``out(…)`` heads), each with its shape ("" otherwise).

    >>> import symcnn
    >>> outputs_line(symcnn.parse("conv3-8 out(conv1-2) conv3-4", n=8))
    'Outputs: out 2×8×8; conv2 4×8×8'
    """
    outputs = net.analysis.outputs
    if len(outputs) < 2:
        return ""
    return "Outputs: " + "; ".join(f"{path or 'input'} {text_factors(shape)}" for path, shape in outputs)


def _totals_section(net: Network) -> list[str]:
    forms = [(title, net.closed_form(quantity)) for quantity, title in TOTALS]
    heading = ", ".join(part for part in ("Totals", values_phrase(net), domain_phrase(forms[0][1])) if part)
    tiling = tiling_phrase(net) if symbolic(net) else ""
    if tiling:
        heading += f"; {tiling}"
    width = max(len(title) for title, _ in forms)
    if not symbolic(net):
        numbers = [text(form.general) for _, form in forms]
        digits = max(len(number) for number in numbers)
        return [heading + ":"] + [
            f"  {title:<{width}}  {number:>{digits}}" for (title, _), number in zip(forms, numbers)
        ]
    lines = [heading.replace("Totals", "Closed forms", 1) + ":"]
    for title, form in forms:
        lines.append(f"  {title:<{width}}  = {text(form.general)}")
        if form.polynomial is None:
            lines.append(f"  {'':<{width}}    (no polynomial form)")
        elif form.polynomial != form.general:
            lines.append(f"  {'':<{width}}  = {text(form.polynomial)}   for {form.assumption}")
    return lines


def _receptive_cells(net: Network, rows: Sequence[LayerResult]) -> dict[str, dict[str, str]]:
    """The rf, jump and start cells by row path; a folded block shows the field of its last row."""
    from .receptive import cells

    by_path = {layer.path: cells(field) for layer, field in zip(net.layers, net.receptive_fields)}
    for row in rows:
        if row.path not in by_path:
            inside = [layer.path for layer in net.layers if layer.path.startswith(row.path + "/")]
            by_path[row.path] = by_path[inside[-1]] if inside else {}
    return by_path


def table(net: Network, depth: int | None = None, extra: Sequence[str] = ()) -> str:
    """The table, its totals (closed forms when symbolic) and the convention.

    With ``depth``, blocks and branches deeper than it are folded into one row each;
    ``extra`` adds columns: "rf" the receptive field's size, jump and start (:mod:`symcnn.render.receptive`).

    >>> import symcnn
    >>> print(table(symcnn.parse("vgg-d", n=224)).splitlines()[-7])
    Totals, at n = 224:
    """
    for quantity, _ in TOTALS:  # a total past the limits is refused before 100,000 rows are printed
        net.closed_form(quantity)
    cols = columns(net) + tuple(Column(title) for title in (("rf", "jump", "start") if "rf" in extra else ()))
    rows = net.rows(depth)
    more = _receptive_cells(net, rows) if "rf" in extra else {}
    body = [input_cells(net, cols)] + [layer_cells(layer, cols, more.get(layer.path)) for layer in rows]
    header = [column.title for column in cols]
    widths = [max(len(row[index]) for row in [header, *body]) for index in range(len(cols))]
    totals = total_cells(net, cols, widths)
    widths = [max(width, len(cell)) for width, cell in zip(widths, totals)]
    rule = "─" * (sum(widths) + 2 * (len(widths) - 1))
    lines = [
        *_layout([header], cols, widths),
        rule,
        *_layout(body, cols, widths),
        rule,
        *_layout([totals], cols, widths),
    ]
    outputs = outputs_line(net)
    return (
        "\n".join([*lines, "", *([outputs, ""] if outputs else []), *_totals_section(net), "", convention_line(net)])
        + "\n"
    )
