r"""The derivation document's receptive fields: every row's field per axis, with its formula and numbers.

Distill's rule for a window (kernel k, dilation d) puts the row before's size and
jump into ``r = r_in + (k − 1)·d·j_in``; the line gives those numbers, the jump
and the start (the first input pixel output unit 0 sees). Periodic fields
(upsampling, transposed convolutions), joined arms and the whole input say so in
words. Nothing is computed here: the numbers are :mod:`symcnn.receptive`'s, and
the window formula is worked out again from them in Python ints where they are
numbers (an :class:`AssertionError` if it does not give the row's size).

>>> import symcnn
>>> lines = receptive_section(symcnn.parse("conv3-8 conv3-8(stride=2) conv3-8", n=32))
>>> print(lines[-1])
\noindent\textbf{3} \texttt{conv3-8}: $r = 5 + (3 - 1) \cdot 1 \cdot 2 = 9$, $j = 2$, $s = -4$\par
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from ..receptive import Axis, Local, RowField, Whole
from . import printing
from .document_text import text, tt
from .receptive import PERIODIC

if TYPE_CHECKING:
    from ..network import Network
    from ..values import Shown

INTRODUCTION = (
    r"Araujo, Norris \& Sim (2019), \emph{Computing Receptive Fields of Convolutional Neural Networks}: "
    r"$r$ is the number of input pixels one output unit sees along an axis, $j$ the input pixels between "
    r"neighbouring units (the jump), $s$ the first input pixel unit~0 sees (pixels numbered from 0; "
    r"negative: padding). A window of kernel $k$ and dilation $d$ gives $r = r_{\mathrm{in}} + (k - 1) "
    r"\cdot d \cdot j_{\mathrm{in}}$, $j = j_{\mathrm{in}} \cdot \mathrm{stride}$, "
    r"$s = s_{\mathrm{in}} - \mathrm{padding} \cdot j_{\mathrm{in}}$."
)


def _number(value: Shown | Fraction | None) -> str:
    if value is None:
        return "?"
    if isinstance(value, Fraction):
        return rf"\tfrac{{{value.numerator}}}{{{value.denominator}}}" if value.denominator != 1 else str(value)
    return printing.latex(value)


def _window(axis: Local) -> str:
    """``r = r_in + (k − 1)·d·j_in = r``, checked in ints where the numbers are ints."""
    r_in, k, d, j_in = axis.step.numbers[:4]
    numbers = (r_in, k, d, j_in, axis.size)
    if all(isinstance(value, int) for value in numbers):
        assert r_in + (k - 1) * d * j_in == axis.size, (numbers, "the window rule does not give the field")
    shown = [_number(value) for value in numbers]
    return rf"$r = {shown[0]} + ({shown[1]} - 1) \cdot {shown[2]} \cdot {shown[3]} = {shown[4]}$"


def _axis(axis: Axis) -> str:
    if isinstance(axis, Whole):
        return "the whole input"
    rule = axis.step.rule
    if rule == "window" and len(axis.step.numbers) > 1:
        size = _window(axis)
    elif rule in PERIODIC:
        over = f" (the largest over a period of {axis.period} units)" if axis.period > 1 else ""
        size = text(PERIODIC[rule]) + rf": $r = {_number(axis.size)}${over}"
    elif rule == "merge":
        size = rf"the union of the arms: $r = {_number(axis.size)}$"
    else:
        size = rf"$r = {_number(axis.size)}$"
    return rf"{size}, $j = {_number(axis.jump)}$, $s = {_number(axis.start)}$"


def _row(field: RowField) -> str:
    if field.height is None or field.width is None:
        return "not derived: " + text(field.reason)
    height, width = _axis(field.height), _axis(field.width)
    found = height if height == width else f"height {height}; width {width}"
    if field.arms:
        found += " (" + ", ".join(f"arm b{arm}" for arm in field.arms) + ")"
    return found


def receptive_section(net: Network) -> list[str]:
    """The section's lines: its introduction, then one paragraph per row."""
    lines = [r"\section*{Receptive fields}", INTRODUCTION, r"\par\medskip"]
    for row, field in zip(net.layers, net.receptive_fields, strict=True):
        lines.append(rf"\noindent\textbf{{{row.index}}} {tt(row.name)}: {_row(field)}\par")
    return lines
