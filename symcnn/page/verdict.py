"""Verdicts for a page of hand calculations: per claim, per line, and the summary.

Each claim is checked twice: its arithmetic (exact, a rounded side holds when
the other rounds to it) and, with a network, the quantity its words name — of
the layer the line's shape ties it to, or of the network. A failing claim gets
the right value and the likely slip. Pure analysis: :mod:`symcnn.render.page`
words it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, NamedTuple

from ..arithmetic import Amount, significant_step
from ..check import Quantity, Slip
from .scan import Found, LineScan, scan_line
from .tie import OtherNetwork, Row, Said, Targets

if TYPE_CHECKING:
    from ..network import Network

# The column a quantity adds up in: a table's weights rows sum to its "TOTAL params" line.
FAMILIES = {"params": "params", "weights": "params", "biases": "params"}
FAMILIES |= {"activations": "activations", "macs": "macs", "flops": "flops"}


@dataclass(frozen=True)
class ClaimVerdict:
    """One claim checked: its arithmetic, and what the network says (``expected``, in the claim's unit,
    of ``where``, the tied row, or of the network), with the likely slips when it fails."""

    found: Found
    holds: bool
    arithmetic: bool | None  # None: a bare value
    value: Fraction  # what the claim says (its exact side)
    quantity: str | None = None  # what it was compared with
    where: Row | None = None  # None: the network
    expected: int | None = None  # the right value, in the claim's unit
    in_bytes: bool = False
    matched: Quantity | None = None  # what a holding claim equals, when found elsewhere
    slips: tuple[Slip | OtherNetwork, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class LineVerdict:
    """One line: ``status`` is holds, fails, no claim or unreadable (``error`` then holds the caret)."""

    number: int
    text: str
    status: str  # holds, fails, no claim, unreadable
    claims: tuple[ClaimVerdict, ...] = ()
    rows: tuple[Row, ...] = ()
    error: str = ""
    total: bool = False  # a total line: its figure is compared with the column above


@dataclass(frozen=True)
class ColumnSum:
    """A total line's figure against the sum of the rows above it."""

    line: int
    quantity: str
    rows: int
    total: Fraction
    claimed: Amount
    holds: bool


@dataclass(frozen=True)
class PageVerdict:
    """Every line's verdict, each total line against its column, and the sizes the network was given."""

    lines: tuple[LineVerdict, ...]
    sums: tuple[ColumnSum, ...] = ()
    values: dict[str, int] = field(default_factory=dict)

    @property
    def claims(self) -> int:
        return sum(len(line.claims) for line in self.lines)

    @property
    def holding(self) -> int:
        return sum(claim.holds for line in self.lines for claim in line.claims)

    @property
    def failing(self) -> int:
        return self.claims - self.holding

    @property
    def unreadable(self) -> int:
        return sum(line.status == "unreadable" for line in self.lines)


def agrees(value: Fraction, amount: Amount) -> bool:
    """Whether ``value`` is what ``amount`` says: equal, or rounding to it when it was written rounded."""
    if amount.step:
        return abs(value - amount.value) * 2 <= amount.step
    return value == amount.value


def _pair_holds(left: Amount, right: Amount, relation: str) -> bool:
    if relation == "=" and left.step is None and right.step is None:
        return left.value == right.value
    steps = [amount.step for amount in (left, right) if amount.step]
    if relation == "~=":
        steps.append(significant_step(right.value))
    step = max(steps, default=Fraction(0))
    return abs(left.value - right.value) * 2 <= step if step else left.value == right.value


def check_page(text: str, net: Network | None = None, arch: str = "") -> PageVerdict:
    """Check every line of ``text``; with ``net`` (the zoo entry ``arch``), against its quantities.

    >>> import symcnn
    >>> text = "conv3-64 [224x224x64]: 3*3*3*64 = 1,728 weights\\nTOTAL params: 139M"
    >>> page = check_page(text, symcnn.parse("vgg-d", n=224))
    >>> [line.status for line in page.lines], page.claims, page.failing
    (['holds', 'fails'], 2, 1)
    """
    targets = Targets(net, arch) if net is not None else None
    lines: list[LineVerdict] = []
    for number, line in enumerate(text.removesuffix("\n").split("\n"), start=1):
        lines.append(_check_line(number, line.rstrip("\r"), targets))
    return PageVerdict(tuple(lines), _sums(lines), dict(net.values) if net is not None else {})


def _check_line(number: int, line: str, targets: Targets | None) -> LineVerdict:
    scan: LineScan = scan_line(line)
    if scan.error is not None:
        return LineVerdict(number, line, "unreadable", error=str(scan.error).replace("line 1,", f"line {number},", 1))
    if not scan.claims:
        if targets is not None:
            targets.tie(scan.shapes)  # a shape alone still moves the cursor
        return LineVerdict(number, line, "no claim")
    tied = targets.tie(scan.shapes) if targets is not None else []
    verdicts = tuple(_check_claim(found, _row_of(found, scan, tied), scan.total, targets) for found in scan.claims)
    status = "holds" if all(verdict.holds for verdict in verdicts) else "fails"
    rows = tuple(row for row in tied if row is not None)
    return LineVerdict(number, line, status, verdicts, rows, total=scan.total)


def _row_of(found: Found, scan: LineScan, tied: list[Row | None]) -> tuple[Row, ...]:
    """The row a claim is about: of the last shape before it (``[227x227x3] → [55x55x96]: 34,848
    weights`` is about the second), else of the line's first shape."""
    if not tied:  # no network: nothing to tie
        return ()
    before = [row for at, row in zip(scan.shape_starts, tied, strict=True) if row is not None and at < found.start]
    if before:
        return (before[-1],)
    first = next((row for row in tied if row is not None), None)
    return () if first is None else (first,)


def _exact_side(found: Found) -> Amount:
    return next((amount for amount in found.amounts if amount.step is None), found.amounts[-1])


def _check_claim(found: Found, rows: tuple[Row, ...], total: bool, targets: Targets | None) -> ClaimVerdict:
    pairs = zip(found.amounts, found.amounts[1:], found.relations, strict=False)
    arithmetic = all(_pair_holds(*pair) for pair in pairs) if found.relations else None
    side = _exact_side(found) if arithmetic is not False else found.amounts[0]
    in_bytes = any(amount.in_bytes for amount in found.amounts)
    slips: tuple[Slip | OtherNetwork, ...] = ()
    if arithmetic is False and len(found.amounts) == 2 and all(amount.in_bytes for amount in found.amounts):
        mebibytes = found.amounts[0].value / 2**20 * 10**6  # MiB written as MB
        if agrees(mebibytes, found.amounts[1]):
            slips = (Slip("mib-as-mb", Quantity("activations", 0, None), 4),)  # of the claim's own bytes
    if targets is None:
        return ClaimVerdict(found, arithmetic is not False, arithmetic, side.value, in_bytes=in_bytes, slips=slips)
    if found.per_batch:
        note = "per batch: not compared with the network"
        return ClaimVerdict(
            found, arithmetic is not False, arithmetic, side.value, found.quantity, in_bytes=in_bytes, note=note
        )
    said = Said([amount for amount in found.amounts if amount.in_bytes == in_bytes])
    got = _against_network(found.quantity, said, in_bytes, rows, total, targets)
    return ClaimVerdict(
        found,
        got.holds and arithmetic is not False,
        arithmetic,
        side.value,
        found.quantity,
        got.where,
        got.expected,
        in_bytes,
        got.matched,
        slips + got.slips,
    )


class _Finding(NamedTuple):
    holds: bool = True
    where: Row | None = None
    expected: int | None = None
    matched: Quantity | None = None
    slips: tuple[Slip | OtherNetwork, ...] = ()


def _against_network(
    quantity: str | None, said: Said, in_bytes: bool, rows: tuple[Row, ...], total: bool, targets: Targets
) -> _Finding:
    """The claim against the quantity its word names: of its tied row, the network, or any layer."""
    if quantity is None:  # arithmetic alone; say what it equals when something does
        return _Finding(matched=targets.match(said, rows, in_bytes))
    if rows and not total:
        expected = targets.value(rows[0], quantity, in_bytes)
        if said(expected):
            return _Finding(where=rows[0], expected=expected)
        return _Finding(False, rows[0], expected, slips=targets.row_slips(said, rows[0], quantity, in_bytes))
    expected = targets.value(None, quantity, in_bytes)
    if said(expected):
        return _Finding(expected=expected)
    if not total:
        matched = targets.match(said, (), in_bytes, quantity)
        if matched is not None:
            return _Finding(matched=matched)
        for row in targets.slipping_rows(said, quantity, in_bytes):  # a layer's number with a slip (FLOPs for MACs …)
            row_slips = targets.row_slips(said, row, quantity, in_bytes, others=False)
            if row_slips:
                return _Finding(False, row, targets.value(row, quantity, in_bytes), slips=row_slips)
    return _Finding(False, None, expected, slips=targets.total_slips(said, quantity, in_bytes))


def _sums(lines: list[LineVerdict]) -> tuple[ColumnSum, ...]:
    """Each total line's figure against the rows of its column since the last total of that column."""
    sums: list[ColumnSum] = []
    running: dict[str, tuple[Fraction, int]] = {}
    for line in lines:
        for claim in line.claims:
            family = FAMILIES.get(claim.found.quantity or "")
            if family is None:
                continue
            if line.total:
                total, count = running.pop(family, (Fraction(0), 0))
                lead = claim.found.lead
                if count > 1 and lead is not None and not lead.in_bytes:
                    sums.append(ColumnSum(line.number, family, count, total, lead, agrees(total, lead)))
            elif not claim.in_bytes:
                total, count = running.get(family, (Fraction(0), 0))
                running[family] = (total + _exact_side(claim.found).value, count + 1)
    return tuple(sums)


__all__ = ["ClaimVerdict", "ColumnSum", "LineVerdict", "OtherNetwork", "PageVerdict", "check_page"]
