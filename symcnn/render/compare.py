"""The text of ``symcnn compare``: every convention's totals, its rules, its terms, and the gaps.

Nothing is counted here: the numbers and closed forms come from
:func:`symcnn.compare.compare`; this module only lays them out.

>>> import symcnn
>>> from symcnn.compare import compare
>>> lines = text(compare(symcnn.parse("vgg16"), ["fvcore", "torchinfo"], n=224), "vgg16").splitlines()
>>> lines[0]
'vgg16 at n = 224 under 2 counting conventions'
>>> [line for line in lines if line.startswith("  torchinfo − fvcore")]
['  torchinfo − fvcore = 13,531,624']
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from ..compare import Comparison, Totals
from ..rules import KINDS, Memory
from ..values import Value, as_int
from .printing import group
from .printing import text as text_value

NONE = "—"
LEGEND = "w weights, b biases, P output positions (H·W, 1 for a flat output), in/out input/output values, C channels"


def text(comparison: Comparison, title: str) -> str:
    """The whole comparison as text; numbers at the comparison's values, closed forms in the free symbols."""
    rows = comparison.rows
    numeric = all(as_int(comparison.number(row.count)) is not None for row in rows)
    at = _values_phrase(comparison)
    heading = f"{title}{' ' + at if at else ''} under {len(rows)} counting convention{'s' if len(rows) > 1 else ''}"
    sections = [
        [heading, "", *_totals_table(comparison)],
        _rules(comparison),
        _terms_table(comparison) if numeric else [],
        _closed_forms(comparison),
        _gaps(comparison),
        ["Each convention reproduces:", *(f"  {row.convention.name}: {row.convention.tool}" for row in rows)],
    ]
    return "\n\n".join("\n".join(section) for section in sections if section) + "\n"


def _values_phrase(comparison: Comparison) -> str:
    given = ", ".join(f"{name} = {value}" for name, value in sorted(comparison.values.items()))
    return f"at {given}" if given else ""


def _number(comparison: Comparison, value: Value) -> str:
    return text_value(comparison.number(value))


def megabytes(count: int, scale: int) -> str:
    """``count`` bytes in units of ``scale`` bytes, to two decimals, rounded half to even, exactly.

    >>> megabytes(108453696, 10**6), megabytes(553430176, 10**6), megabytes(5000, 10**6)
    ('108.45', '553.43', '0.00')
    """
    hundredths = round(Fraction(100 * count, scale))  # Fraction rounds a half to even, exactly at any size
    sign = "-" if hundredths < 0 else ""
    whole, cents = divmod(abs(hundredths), 100)
    return f"{sign}{whole}.{cents:02d}"


def _figure(comparison: Comparison, memory: Memory, value: Value) -> str:
    number = comparison.number(value)
    exact = as_int(number)
    if memory.scale > 1 and exact is not None:
        return f"{memory.title} ({memory.scale_name}): {megabytes(exact, memory.scale)} ({group(exact)} {memory.unit})"
    return f"{memory.title}: {text_value(number)} {memory.unit}"


def _totals_table(comparison: Comparison) -> list[str]:
    header = ["convention", "params", "MACs or FLOPs", "memory"]
    body = []
    for row in comparison.rows:
        memory = "; ".join(_figure(comparison, f.memory, f.value) for f in row.memory) or NONE
        count = f"{_number(comparison, row.count)} {row.convention.unit}"
        body.append([row.convention.name, _number(comparison, row.params), count, memory])
    return _layout([header, *body], right=(False, True, True, False))


def _layout(rows: Sequence[Sequence[str]], right: Sequence[bool]) -> list[str]:
    widths = [max(len(row[index]) for row in rows) for index in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell.rjust(width) if flush else cell.ljust(width) for cell, width, flush in zip(row, widths, right)]
        lines.append("  ".join(cells).rstrip())
    return lines


def _rules(comparison: Comparison) -> list[str]:
    """Per layer kind present in the network, what each convention counts (one line per distinct rule)."""
    present = {layer.kind for layer in comparison.network.layers}
    lines = [f"What a layer adds to the count, by kind ({LEGEND}):"]
    width = max(len(kind) for kind in KINDS)
    for kind in KINDS:
        grouped: dict[str, list[str]] = {}
        for row in comparison.rows:
            counted = row.convention.macs.get(kind)
            grouped.setdefault("0" if counted is None else counted.text, []).append(row.convention.name)
        if kind not in present or list(grouped) == ["0"]:
            continue
        for number, (rule, names) in enumerate(grouped.items()):
            lines.append(f"  {kind if number == 0 else '':<{width}}  {', '.join(names)}: {rule}")
    return lines


def _terms_table(comparison: Comparison) -> list[str]:
    rows = comparison.rows
    header = ["term", *(row.convention.name for row in rows)]
    body = []
    for term in comparison.terms:
        cells = [_cell(comparison, row.terms.get(term, 0)) for row in rows]
        body.append([term, *cells])
    body.append(["total", *(_number(comparison, row.count) for row in rows)])
    title = f"{_unit_phrase(rows)} by term, each convention's own count (blank: 0):"
    return [title, *_layout([header, *body], right=(False, *(True for _ in rows)))]


def _unit_phrase(rows: Sequence[Totals]) -> str:
    others = [row.convention.name for row in rows if row.convention.unit != "MACs"]
    return "MACs" + (f" (FLOPs for {', '.join(others)})" if others else "")


def _cell(comparison: Comparison, value: Value) -> str:
    number = comparison.number(value)
    return "" if as_int(number) == 0 else text_value(number)


def _form(comparison: Comparison, value: Value) -> str:
    """``value`` in closed form: general, the polynomial under its assumption, the number at the values."""
    form = comparison.closed_form(value)
    parts = [text_value(form.general)]
    if form.polynomial is not None and form.polynomial != form.general:
        parts.append(f"{text_value(form.polynomial)} for {form.assumption}")
    if comparison.values and as_int(form.general) is None:
        parts.append(f"{_number(comparison, value)} {_values_phrase(comparison)}")
    return " = ".join(parts)


def _closed_forms(comparison: Comparison) -> list[str]:
    domain = comparison.closed_form(0).domain
    lines = [f"Terms in closed form{f' (valid for {domain})' if domain else ''}:"]
    for term in comparison.terms:
        grouped: dict[str, list[str]] = {}
        for row in comparison.rows:
            value = row.terms.get(term, 0)
            if as_int(value) != 0:
                grouped.setdefault(_form(comparison, value), []).append(row.convention.name)
        for form, names in grouped.items():
            lines.append(f"  {term} ({', '.join(names)}) = {form}")
    return lines


def _gaps(comparison: Comparison) -> list[str]:
    lines = ["Gaps, term by term (each term's difference; they add up to the gap):"]
    for gap in comparison.gaps:
        first, second = (comparison.row(name) for name in (gap.other, gap.base))
        lines.append(f"  {gap.other} − {gap.base} = {_number(comparison, gap.total)}{_units(first, second)}")
        width = max((len(term) for term, _ in gap.terms), default=0)
        numbers = [_signed(comparison, value) for _, value in gap.terms]
        numeric = all(as_int(comparison.number(value)) is not None for _, value in gap.terms)
        digits = max((len(number) for number in numbers), default=0) if numeric else 0
        for (term, value), number in zip(gap.terms, numbers):
            general = comparison.closed_form(value).general
            closed = f"   = {text_value(general)}" if numeric and as_int(general) is None else ""
            lines.append(f"      {term:<{width}}  {number:>{digits}}{closed}")
    return lines


def _units(first: Totals, second: Totals) -> str:
    if first.convention.unit == second.convention.unit:
        return ""
    return f" ({first.convention.unit} − {second.convention.unit})"


def _signed(comparison: Comparison, value: Value) -> str:
    """A term's difference with its sign: +13,547,520, -25,088, or an expression as it prints."""
    number = comparison.number(value)
    shown = text_value(number)
    exact = as_int(number)
    return f"+{shown}" if exact is not None and exact > 0 else shown
