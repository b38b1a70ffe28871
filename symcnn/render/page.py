"""Words for a checked page: a verdict per line, what each failing claim should say, and a summary."""

from __future__ import annotations

import json
from fractions import Fraction

from ..check import Slip
from ..page import ClaimVerdict, LineVerdict, PageVerdict
from ..page.tie import OtherNetwork
from .check import number

MARKS = {"holds": "✓", "fails": "✗", "no claim": "·", "unreadable": "!"}
_NAMES = {
    "params": "parameters",
    "weights": "weights",
    "biases": "biases",
    "activations": "activations",
    "macs": "MACs",
    "flops": "FLOPs",
}


def _of(quantity: str, where: str, in_bytes: bool) -> str:
    return f"the {_NAMES[quantity]}{' in float32 bytes' if in_bytes else ''} of {where}"


def _slips(slips: tuple[Slip | OtherNetwork, ...]) -> str:
    """The likely slips, other networks with the same number named together."""
    words: list[str] = []
    others: dict[tuple[str, int], list[str]] = {}
    for slip in slips:
        if isinstance(slip, OtherNetwork):
            others.setdefault((slip.quantity, slip.value), []).append(slip.name)
        else:
            words.append(_slip(slip))
    for (quantity, value), names in others.items():
        which = " and ".join(names) + (
            " (other networks of the zoo)" if len(names) > 1 else ", another network of the zoo"
        )
        words.append(f"{number(Fraction(value))} is the {_NAMES[quantity]} of {which}")
    return "; or ".join(words[:3])


def _slip(slip: Slip) -> str:
    q, detail = slip.quantity, slip.detail
    where = "the network" if q.layer is None else f"layer {q.layer.index} {q.layer.name}"
    words = {
        "biases-left-out": f"the {detail:,} biases left out (weights only)",
        "biases-included": f"the {detail:,} biases counted as weights",
        "macs-for-flops": f"MACs ({q.value:,}) written where FLOPs, 2 per multiply-add, were meant",
        "flops-for-macs": "FLOPs (2 per multiply-add) written where MACs were meant",
        "float32-bytes": "float32 bytes (4 per value), not values",
        "float16-bytes": "float16 bytes (2 per value), not float32",
        "values-as-bytes": "values written as bytes (× 4 for float32 left out)",
        "mib-as-mb": "MiB (2^20 bytes) written as MB (10^6 bytes)",
        "adaptive-pool-left-out": f"the adaptive pool's {detail:,} activations left out (the paper's network has none)",
        "other-layer": f"{q.value:,} is the {_NAMES[q.quantity]} of {where}, another layer",
        "input-size": f"the {_NAMES[q.quantity]} of the network at n = {detail}, not the given size",
    }
    return words.get(slip.kind, slip.kind)


def claim_words(claim: ClaimVerdict) -> str:
    """One claim's verdict in words: what holds, or the right value and the likely slip."""
    found = claim.found
    parts = []
    if claim.arithmetic is False:
        parts.append(f"the arithmetic does not hold: the left side is {number(claim.value)}")
    if claim.note:
        parts.append(claim.note)
    elif claim.quantity is not None and claim.expected is not None:
        where = "the network" if claim.where is None else claim.where.where
        parts.append(f"{_of(claim.quantity, where, claim.in_bytes)}: {number(Fraction(claim.expected))}")
    if claim.matched is not None:
        q = claim.matched
        where = "the network" if q.layer is None else f"layer {q.layer.index} {q.layer.name}"
        parts.append(f"it is {_of(q.quantity, where, claim.in_bytes)}, {q.value:,}")
    if claim.slips:
        parts.append("the likely slip: " + _slips(claim.slips))
    mark = "✓" if claim.holds else "✗"
    return f"{mark} {found.text}" + (": " + "; ".join(parts) if parts else "")


def _count(number: int, noun: str) -> str:
    """``3 lines``, ``1 line``.

    >>> _count(1, "claim"), _count(10_000, "line")
    ('1 claim', '10,000 lines')
    """
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def summary(page: PageVerdict) -> list[str]:
    """The closing lines: counts, then each total line against the sum of its column."""
    without = sum(line.status == "no claim" for line in page.lines)
    lines = [
        f"{_count(len(page.lines), 'line')}, {_count(page.claims, 'claim')}: {page.holding} "
        f"{'holds' if page.holding == 1 else 'hold'}, {page.failing} {'fails' if page.failing == 1 else 'fail'}; "
        f"{without} without a claim, {page.unreadable} unreadable."
    ]
    for column in page.sums:
        claimed = _shown(column.claimed.value, column.claimed.step)
        relation = " ≈" if column.holds else ", not"
        lines.append(
            f"Line {column.line} ({_NAMES[column.quantity]}): the {column.rows} figures above add up to "
            f"{number(column.total)}{relation} {claimed}."
        )
    return lines


def _shown(value: Fraction, step: Fraction | None) -> str:
    for scale, suffix in ((10**9, "G"), (10**6, "M"), (10**3, "K")):
        if step and step >= scale and value % scale == 0:
            return f"{number(value / scale)}{suffix}"
    return number(value)


def table(page: PageVerdict, title: str = "") -> str:
    """A line per line of the page, its mark first (✓ ✗ · !), then what each failing claim should say.

    >>> from symcnn.page import check_page
    >>> print(table(check_page("weights: 3*3*64 = 576\\nthe sum: 2 + 2 = 5")), end="")
       1 ✓  weights: 3*3*64 = 576
       2 ✗  the sum: 2 + 2 = 5
             ✗ 2 + 2 = 5: the arithmetic does not hold: the left side is 4
    <BLANKLINE>
    2 lines, 2 claims: 1 holds, 1 fails; 0 without a claim, 0 unreadable.
    """
    out = [title] if title else []
    for line in page.lines:
        out.append(f"{line.number:>4} {MARKS[line.status]}  {line.text}".rstrip())
        if line.status == "unreadable":
            out.extend(f"         {part}" for part in line.error.split("\n"))
        elif line.status == "fails":
            out.extend(f"         {claim_words(claim)}" for claim in line.claims if not claim.holds)
    return "\n".join([*out, "", *summary(page)]) + "\n"


def markdown(page: PageVerdict, title: str = "") -> str:
    """The same as a Markdown table: line, mark, text, findings; the summary below it."""
    out = [f"**{title}**", ""] if title else []
    out += ["| line | verdict | text | findings |", "|---:|:---:|---|---|"]
    for line in page.lines:
        findings = (
            line.error.split("\n")[0]
            if line.error
            else "<br>".join(claim_words(claim) for claim in line.claims if not claim.holds)
        )
        text, findings = line.text.replace("|", "\\|"), findings.replace("|", "\\|")
        shown = f"`{text}`" if text and "`" not in text else text
        out.append(f"| {line.number} | {MARKS[line.status]} | {shown} | {findings} |")
    return "\n".join([*out, "", *summary(page)]) + "\n"


def _json_claim(claim: ClaimVerdict) -> dict[str, object]:
    return {
        "text": claim.found.text,
        "holds": claim.holds,
        "arithmetic": claim.arithmetic,
        "value": str(claim.value),
        "quantity": claim.quantity,
        "where": None if claim.where is None else claim.where.where,
        "expected": claim.expected,
        "unit": "bytes" if claim.in_bytes else "values",
        "words": claim_words(claim),
        "slips": [slip.kind if isinstance(slip, Slip) else f"another-network:{slip.name}" for slip in claim.slips],
    }


def _json_line(line: LineVerdict) -> dict[str, object]:
    return {
        "line": line.number,
        "text": line.text,
        "verdict": line.status,
        "rows": [row.where for row in line.rows],
        "claims": [_json_claim(claim) for claim in line.claims],
        "error": line.error or None,
    }


def to_json(page: PageVerdict) -> str:
    """Every line, its claims (exact values as strings: fractions stay exact) and the summary, as JSON."""
    document = {
        "values": page.values,
        "lines": [_json_line(line) for line in page.lines],
        "summary": {
            "lines": len(page.lines),
            "claims": page.claims,
            "hold": page.holding,
            "fail": page.failing,
            "unreadable": page.unreadable,
            "sums": [
                {
                    "line": s.line,
                    "quantity": s.quantity,
                    "rows": s.rows,
                    "sum": str(s.total),
                    "claimed": str(s.claimed.value),
                    "holds": s.holds,
                }
                for s in page.sums
            ],
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render(page: PageVerdict, fmt: str, title: str = "") -> str:
    """The page as ``fmt``: table, markdown or json."""
    if fmt == "json":
        return to_json(page)
    return markdown(page, title) if fmt == "markdown" else table(page, title)
