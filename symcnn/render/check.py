"""Words for the checker's findings: the value, the claim, what it equals, the slip."""

from __future__ import annotations

from fractions import Fraction

from ..arithmetic import Amount, Claim
from ..check import Quantity, Slip, matches, nearest, ordinal, slips
from ..network import Network

_NAMES = {
    "params": "parameters",
    "weights": "weights",
    "biases": "biases",
    "buffers": "buffers",
    "activations": "activations",
    "macs": "MACs",
}


def number(value: Fraction) -> str:
    """A value with grouped digits; a fraction as a decimal when it is one.

    >>> number(Fraction(295168)), number(Fraction(59, 100))
    ('295,168', '0.59')

    Never fails, however large: past a few thousand digits (where ``str()`` of an
    int stops) a number is shown by its size.

    >>> number(Fraction(1, 3)), number(Fraction(10**5000 + 1)), number(Fraction(1, 10**5000))
    ('1/3', 'a number of 5,001 digits', 'a fraction of 1 digit over 5,001 digits')
    """
    numerator, denominator = value.numerator, value.denominator
    if max(numerator.bit_length(), denominator.bit_length()) > _MAX_SHOWN_BITS:
        if denominator == 1:
            return f"a{'' if numerator > 0 else ' negative'} number of {_digits(numerator)}"
        return f"a fraction of {_digits(numerator)} over {_digits(denominator)}"
    if denominator == 1:
        return f"{numerator:,}"
    if abs(numerator.bit_length() - denominator.bit_length()) < _FLOAT_BITS:  # float() cannot overflow
        decimal = f"{float(value):,.6g}"
        if Fraction(decimal.replace(",", "")) == value:
            return decimal
    return f"{numerator}/{denominator}"


_MAX_SHOWN_BITS = 10_000  # about 3,000 digits, below Python's 4,300-digit limit on str(int)
_FLOAT_BITS = 1_000  # floats reach 2^±1,000


def _digits(integer: int) -> str:
    """How many digits ``integer`` has, counted without ``str()`` (which refuses past 4,300).

    >>> _digits(999), _digits(1000), _digits(-(10**5000))
    ('3 digits', '4 digits', '5,001 digits')
    """
    integer = abs(integer)
    count = max((integer.bit_length() - 1) * 30102 // 100000, 0) + 1  # log10(2) > 0.30102: a lower bound
    while integer >= 10**count:
        count += 1
    return f"{count:,} digit{'s' if count > 1 else ''}"


def describe(quantity: Quantity, net: Network | None = None) -> str:
    where = quantity.where
    details = [ordinal(quantity.layer, net)] if quantity.layer is not None and net is not None else []
    if quantity.layer is not None and "/" in quantity.layer.path:
        details.append(quantity.layer.path)
    shown = ", ".join(detail for detail in details if detail)
    return f"the {_NAMES[quantity.quantity]} of {where}" + (f" ({shown})" if shown else "")


def explain_slip(slip: Slip, net: Network | None = None) -> str:
    q = slip.quantity
    if slip.kind == "biases-left-out":
        return (
            f"{describe(q, net)} without its {slip.detail:,} biases: "
            f"{q.value - slip.detail:,} + {slip.detail:,} = {q.value:,} (each filter has one bias)"
        )
    if slip.kind == "biases-added":
        return f"{describe(q, net)} plus {slip.detail:,} biases the layer does not have (bias=false)"
    if slip.kind == "flops-for-macs":
        return f"{describe(q, net)} counted as FLOPs, 2 per multiply-add: 2 × {q.value:,}"
    if slip.kind == "macs-for-flops":
        return f"half of {describe(q, net)}: MACs written where FLOPs (2 per multiply-add) were meant"
    if slip.kind in ("float32-bytes", "float16-bytes"):
        dtype = slip.kind.split("-")[0]
        return f"{describe(q, net)} in bytes ({slip.detail} per value in {dtype}), not values"
    if slip.kind == "mib-as-mb":
        return f"{describe(q, net)} in float32 bytes, counted in MiB (2^20 bytes) but written as MB (10^6 bytes)"
    return f"{describe(q, net)} at n = {slip.detail} instead of the given size"


def report(claim: Claim, net: Network | None, arch: str = "") -> str:
    """The checker's answer, as lines of text."""
    lines = [f"{number(claim.left.value)}" + (" bytes" if claim.left.in_bytes else "")]
    if claim.right is not None:
        right = number(claim.right.value)
        if claim.holds:
            lines.append(f"The claim holds: {number(claim.left.value)} {claim.relation} {right}.")
        else:
            gap = claim.left.value - claim.right.value
            lines.append(f"The claim does not hold: {number(claim.left.value)} ≠ {right} (off by {number(abs(gap))}).")
    if net is not None:
        given = ", ".join(f"{name} = {value}" for name, value in sorted(net.values.items()))
        lines.append(f"In {arch or 'the network'}{' at ' + given if given else ''}:")
        if claim.right is not None and not claim.holds:
            lines.extend(_differences(claim.left, claim.right, net))
        sides = [claim.left] if claim.holds or claim.right is None else [claim.left, claim.right]
        for amount in sides:
            lines.extend(_findings(amount, net))
    return "\n".join(lines) + "\n"


def _differences(left: Amount, right: Amount, net: Network) -> list[str]:
    """Slips that turn one side of a false claim into the other: the likely mistake."""
    lines = []
    for one, other in ((left, right), (right, left)):
        for slip in slips(one.value, net, one.in_bytes):
            if slip.quantity.value == other.value:
                lines.append(f"  The likely slip: {number(one.value)} is {explain_slip(slip, net)}.")
    return lines


def _findings(amount: Amount, net: Network) -> list[str]:
    value = amount.value
    exact = matches(value, net, amount.step) if not amount.in_bytes else []
    if exact:
        if amount.step:
            return [f"  {number(value)} is {describe(q, net)}, {q.value:,}, rounded" for q in exact[:5]]
        return [f"  {number(value)} is {describe(q, net)}" for q in exact[:5]]
    found = slips(value, net, amount.in_bytes)
    if found:
        return [f"  {number(value)} is {explain_slip(slip, net)}" for slip in found[:5]]
    if amount.in_bytes:
        close = "; ".join(
            f"{describe(q, net)} in float32: 4 × {q.value:,} = {4 * q.value:,} bytes"
            for q in nearest(value, net, in_bytes=True)
        )
    else:
        close = "; ".join(f"{describe(q, net)} = {q.value:,}" for q in nearest(value, net))
    if not close:  # zero or negative: no ratio to rank by
        return [f"  {number(value)} is no quantity of the network (each is a positive whole number)"]
    return [f"  {number(value)} is no quantity of the network; the nearest: {close}"]
