"""Receptive fields as text: the ``symcnn rf`` table, the ``--columns rf`` cells and the JSON.

Every number comes from :mod:`symcnn.receptive`; here they become strings. A field
shows as ``size`` (``9×9``, one number when height and width agree), ``jump``,
``start`` (the first input pixel output unit 0 sees, per axis), and for a window
the size's formula with its numbers, ``r = 5 + (3−1)·1·2 = 9``.

>>> import symcnn
>>> print(table(symcnn.parse("conv3-8 conv3-8(stride=2) conv3-8", n=32)), end="")  # doctest: +ELLIPSIS
#  layer              rf  jump  start  formula
────────────────────────────────────────────────────────────
0  input               1     1      0
1  conv3-8             3     1     -1  r = 1 + (3−1)·1·1 = 3
2  conv3-8(stride=2)   5     2     -2  r = 3 + (3−1)·1·1 = 5
3  conv3-8             9     2     -4  r = 5 + (3−1)·1·2 = 9
<BLANKLINE>
Receptive field per axis (Araujo, Norris & Sim 2019): rf = input pixels one output unit sees, ...
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING

from ..receptive import Axis, Local, RowField, Whole
from .printing import text

if TYPE_CHECKING:
    from ..network import Network
    from ..values import Shown

COLUMNS = ("rf", "jump", "start")
PERIODIC = {  # how a periodic field's rows say where their windows come from
    "window": "windows read unit by unit",
    "upconv": "each output reads the inputs its kernel taps come from",
    "resample": "interpolation taps",
    "adaptive": "adaptive windows ⌊o·H/k⌋ … ⌈(o + 1)·H/k⌉ − 1",
}
WHOLE = "whole input"
NOT_DERIVED = "—"
NOTE = (
    "Receptive field per axis (Araujo, Norris & Sim 2019): rf = input pixels one output unit sees, "
    "jump = input pixels between neighbouring units, start = first input pixel of unit 0 "
    "(0-based; negative: padding), r = r_in + (k−1)·d·j_in."
)


def number(value: Shown | Fraction | None) -> str:
    """An int, a fraction (``1/2``) or an expression as text; None as a dash.

    >>> number(Fraction(1, 2)), number(-4), number(None)
    ('1/2', '-4', '—')
    """
    if value is None:
        return NOT_DERIVED
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    return text(value).replace(",", "") if isinstance(value, int) else text(value)


def _pair(height: str, width: str, sign: str = "×") -> str:
    return height if height == width else f"{height}{sign}{width}"


def cells(field: RowField) -> dict[str, str]:
    """The rf, jump and start cells of one row.

    >>> import symcnn
    >>> cells(symcnn.parse("conv3x1-8 gap").receptive_fields[0])
    {'rf': '3×1', 'jump': '1', 'start': '-1, 0'}
    """
    if field.height is None or field.width is None:
        return {"rf": NOT_DERIVED, "jump": NOT_DERIVED, "start": NOT_DERIVED}
    if isinstance(field.height, Whole) or isinstance(field.width, Whole):
        return {"rf": WHOLE, "jump": "", "start": ""}
    height, width = field.height, field.width
    return {
        "rf": _pair(number(height.size), number(width.size)),
        "jump": _pair(number(height.jump), number(width.jump)),
        "start": _pair(number(height.start), number(width.start), ", "),
    }


def formula(axis: Axis | None) -> str:
    """How one axis' size came from the row before, with its numbers.

    >>> import symcnn
    >>> formula(symcnn.parse("conv3-8 conv3-8(dilation=2)").receptive_fields[1].height)
    'r = 3 + (3−1)·2·1 = 7'
    """
    if axis is None:
        return ""
    step = axis.step
    if step.rule == "window" and len(step.numbers) > 1:
        r_in, k, d, j_in = (number(value) for value in step.numbers[:4])
        return f"r = {r_in} + ({k}−1)·{d}·{j_in} = {number(axis.size)}"
    if step.rule in PERIODIC and isinstance(axis, Local):
        over = f"max over a period of {axis.period} units = " if axis.period > 1 else ""
        return f"{PERIODIC[step.rule]}: r = {over}{number(axis.size)}"
    if step.rule == "merge":
        return f"r = union of the arms = {number(axis.size)}" if isinstance(axis, Local) else WHOLE
    if step.rule == "whole":
        return "every unit sees the whole input"
    return ""


def row_formula(field: RowField) -> str:
    """The formula of a row: one when height and width agree, else both; the reason when not derived."""
    if field.height is None or field.width is None:
        return f"not derived: {field.reason}"
    height, width = formula(field.height), formula(field.width)
    text_ = height if height == width else f"h: {height}; w: {width}"
    if field.arms:
        text_ += f" (arm{'s' if len(field.arms) > 1 else ''} {', '.join(f'b{arm}' for arm in field.arms)})"
    return text_


def table(net: Network) -> str:
    """The ``symcnn rf`` table: one row per layer, then what the columns mean."""
    fields = net.receptive_fields
    nested = any("/" in row.path for row in net.layers)
    header = ["#", *(["path"] if nested else []), "layer", *COLUMNS, "formula"]
    first = {"#": "0", "path": "", "layer": "input", "rf": "1", "jump": "1", "start": "0", "formula": ""}
    rows = [[first[title] for title in header]]
    for row, field in zip(net.layers, fields, strict=True):
        values = {
            "#": str(row.index),
            "path": row.path,
            "layer": row.name,
            **cells(field),
            "formula": row_formula(field),
        }
        rows.append([values[title] for title in header])
    widths = [max(len(line[index]) for line in [header, *rows]) for index in range(len(header))]
    left = {"path", "layer", "formula"}

    def layout(line: Sequence[str]) -> str:
        parts = [cell.ljust(w) if title in left else cell.rjust(w) for cell, w, title in zip(line, widths, header)]
        return "  ".join(parts).rstrip()

    rule = "─" * (sum(widths) + 2 * (len(widths) - 1))
    return "\n".join([layout(header), rule, *map(layout, rows), "", NOTE]) + "\n"


def _json_number(value: Shown | Fraction | None) -> int | str | None:
    from .json import value as json_value

    if value is None:
        return None
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    return json_value(value)


def axis_dict(axis: Axis | None) -> dict[str, object] | None:
    """One axis as JSON data: ``whole``, ``size``, ``jump``, ``start``, ``period`` and ``formula``
    (a whole-input field gives ``low`` and ``high``, its first and last pixel, instead of jump and start).

    >>> import symcnn
    >>> axis_dict(symcnn.parse("conv3-8").receptive_fields[0].height)
    {'whole': False, 'size': 3, 'jump': 1, 'start': -1, 'period': 1, 'formula': 'r = 1 + (3−1)·1·1 = 3'}
    """
    if axis is None:
        return None
    if isinstance(axis, Whole):
        return {"whole": True, "size": _json_number(axis.size), "low": _json_number(axis.low),
                "high": _json_number(axis.high), "formula": formula(axis)}  # fmt: skip
    return {
        "whole": False,
        "size": _json_number(axis.size),
        "jump": _json_number(axis.jump),
        "start": _json_number(axis.start),
        "period": axis.period,
        "formula": formula(axis),
    }


def field_dict(field: RowField) -> dict[str, object]:
    """One row's ``receptive_field``: ``height``, ``width`` (null where not derived), ``reason`` and the
    attaining ``arms`` of a merge."""
    data: dict[str, object] = {"height": axis_dict(field.height), "width": axis_dict(field.width)}
    if field.reason:
        data["reason"] = field.reason
    if field.arms:
        data["arms"] = list(field.arms)
    return data


def to_json(net: Network) -> str:
    """``symcnn rf --format json``: the layers' paths and names with their receptive fields."""
    import json

    rows = [
        {"index": row.index, "path": row.path, "name": row.name, "receptive_field": field_dict(field)}
        for row, field in zip(net.layers, net.receptive_fields, strict=True)
    ]
    return json.dumps({"layers": rows}, indent=2, ensure_ascii=False) + "\n"
