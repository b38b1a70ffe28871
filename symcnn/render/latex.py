r"""The table as a LaTeX fragment: a ``tabular`` of per-layer formulas, then the totals.

The fragment needs no package: ``tabular``, ``\texttt``, display maths with an
``array``. Numbers are grouped as ``35{,}597{,}096``.

>>> import symcnn
>>> fragment = table(symcnn.parse("conv3-64 fc10", n=4))
>>> print(fragment.splitlines()[5])  # doctest: +ELLIPSIS
1 & \texttt{conv3-64} & $64 \times 4 \times 4$ & $1{,}024$ & $3 \cdot 3 \cdot 3 \cdot 64 = 1{,}728$ & ...
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ..analysis import LayerResult
from ..domain import Domain
from . import printing
from .text import SEE_BELOW, TOTALS, Column, columns, input_cells, layer_cells, symbolic, total_cells

if TYPE_CHECKING:
    from ..closed_form import ClosedForm
    from ..network import Network

_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "_": r"\_",
    "%": r"\%",
    "#": r"\#",
    "&": r"\&",
    "$": r"\$",
    "^": r"\^{}",
    "~": r"\~{}",
    "·": r"$\cdot$",
    "×": r"$\times$",
    "≥": r"$\geq$",
    "−": "-",
    "…": r"\ldots{}",
}
_SPECIAL_PATTERN = re.compile("|".join(re.escape(character) for character in _SPECIAL))
_TITLES = {"#": r"\#"}


def escape(text: str) -> str:
    r"""Text safe in LaTeX's text mode (specials escaped, a few maths signs as maths).

    >>> print(escape("conv3-64_a & 50% #1 {k}·2"))
    conv3-64\_a \& 50\% \#1 \{k\}$\cdot$2
    """
    return _SPECIAL_PATTERN.sub(lambda match: _SPECIAL[match.group(0)], text)


def _maths(tex: str) -> str:
    return f"${tex}$"


def _symbol(name: str) -> str:
    return printing.latex_symbol(name)


def domain(domains: Mapping[str, Domain | None]) -> str:
    r"""Where the closed forms hold, as LaTeX text ("" when no symbol is free).

    >>> domain({"n": Domain.at_least(32)}), domain({"n": None})
    ('valid for $n \\geq 32$', 'domain not derived for $n$')
    >>> domain({"n": Domain.residues(16, {12}) & Domain.at_least(188)})
    'valid for $n \\geq 188$ and $n \\equiv 12 \\pmod{16}$'
    """
    known = [domain_of(name, found) for name, found in domains.items() if found is not None]
    unknown = [_maths(_symbol(name)) for name, found in domains.items() if found is None]
    parts = (["valid for " + ", ".join(known)] if known else []) + (
        ["domain not derived for " + ", ".join(unknown)] if unknown else []
    )
    return "; ".join(parts)


def domain_of(name: str, found: Domain) -> str:
    """One symbol's domain as LaTeX text, as :meth:`symcnn.domain.Domain.describe` words it."""
    symbol, residues = _symbol(name), found.residue_set
    some = len(residues) < found.modulus
    parts = (
        []
        if some and found.threshold == min(r or found.modulus for r in residues)
        else [rf"{symbol} \geq {found.threshold}"]
    )
    if some:
        parts.append(rf"{symbol} \equiv {', '.join(map(str, residues))} \pmod{{{found.modulus}}}")
    text = " and ".join(_maths(part) for part in parts)
    extra = found.below_threshold()
    if extra:
        text += (
            " (and "
            + _maths(f"{symbol} = {', '.join(map(str, extra[:5]))}" + (r", \ldots" if len(extra) > 5 else ""))
            + ")"
        )
    return text


def assumption(multiple_of: Mapping[str, int], residue_of: Mapping[str, int] | None = None) -> str:
    r"""The condition of a polynomial form, as LaTeX text.

    >>> assumption({"n": 32}), assumption({"n": 16}, {"n": 12})
    ('$n$ a multiple of $32$', '$n \\equiv 12 \\pmod{16}$')
    """
    residues = residue_of or {}
    return ", ".join(
        _maths(rf"{_symbol(name)} \equiv {residues[name]} \pmod{{{step}}}")
        if residues.get(name)
        else f"{_maths(_symbol(name))} a multiple of {_maths(printing.latex(step))}"
        for name, step in multiple_of.items()
        if step > 1
    )


def tiling(net: Network) -> str:
    """Where a network that resamples, pads or crops tiles exactly, as LaTeX text ("" for other networks)."""
    parts = []
    for name, exact in net.analysis.exact_tiling.items():
        if exact is None:
            parts.append(f"not derived for {_maths(_symbol(name))}")
        else:
            parts.append(f"for no {_maths(_symbol(name))}" if exact.empty else f"for {domain_of(name, exact)}")
    return ("tiling exact (no floor drops a pixel, every crop centred) " + "; ".join(parts)) if parts else ""


def _layer_row(layer: LayerResult, cols: Sequence[Column]) -> list[str]:
    cells = {
        "#": str(layer.index),
        "path": r"\texttt{" + escape(layer.path) + "}",
        "layer": r"\texttt{" + escape(layer.name) + "}",
        "output": _maths(printing.latex_factors(layer.output)),
        "weights": _maths(printing.latex_weight_formula(layer.geometry.weight_factors, layer.weights)),
    }
    return [cells[column.title] if column.title in cells else _maths(_quantity(layer, column)) for column in cols]


def _quantity(layer: LayerResult, column: Column) -> str:
    assert column.total is not None
    return printing.latex(getattr(layer, column.total))


def _input_row(net: Network, cols: Sequence[Column]) -> list[str]:
    cells = {
        "#": "0",
        "layer": "input",
        "output": _maths(printing.latex_factors(net.input)),
        "activations": _maths(printing.latex(net.analysis.input_activations)),
    }
    return [cells.get(column.title, "") for column in cols]


def _total_row(net: Network, cols: Sequence[Column], layers: Sequence[LayerResult]) -> list[str]:
    # A total reads "see below" exactly where the text table says so.
    rows = [input_cells(net, cols)] + [layer_cells(layer, cols) for layer in layers]
    widths = [max(len(row[index]) for row in rows) for index in range(len(cols))]
    shown = total_cells(net, cols, widths)
    cells = []
    for column, cell in zip(cols, shown):
        if column.total is None:
            cells.append(cell)
        else:
            cells.append(cell if cell == SEE_BELOW else _maths(printing.latex(net.total(column.total))))
    return cells


def _row(cells: Sequence[str]) -> str:
    return " & ".join(cells) + r" \\"


def _totals(net: Network) -> list[str]:
    forms: list[tuple[str, ClosedForm]] = [(title, net.closed_form(quantity)) for quantity, title in TOTALS]
    given = ", ".join(_maths(f"{_symbol(name)} = {value}") for name, value in sorted(net.values.items()))
    where = ", ".join(part for part in ((f"at {given}" if given else ""), domain(forms[0][1].domains)) if part)
    exact = tiling(net) if symbolic(net) else ""
    heading = ("Closed forms" if symbolic(net) else "Totals") + (f", {where}" if where else "")
    heading += (f"; {exact}" if exact else "") + ":"
    rows = []
    for title, form in forms:
        rows.append(rf"\mathrm{{{title}}} & = & {printing.latex(form.general)} & \\")
        if symbolic(net) and form.polynomial is not None and form.polynomial != form.general:
            condition = r"\mbox{for " + assumption(form.multiple_of, form.residue_of) + "}"
            rows.append(rf" & = & {printing.latex(form.polynomial)} & {condition} \\")
    rows[-1] = rows[-1].removesuffix(r" \\")
    return [r"\par\medskip\noindent " + heading, r"\[", r"\begin{array}{rcll}", *rows, r"\end{array}", r"\]"]


def table(net: Network, depth: int | None = None) -> str:
    r"""Per-layer formulas and totals as a LaTeX fragment, then the convention.

    With ``depth``, blocks and branches deeper than it are folded into one row each.

    >>> import symcnn
    >>> r"138{,}357{,}544" in table(symcnn.parse("vgg-d", n=224))
    True
    """
    cols = columns(net)
    layers = net.rows(depth)
    spec = "".join("r" if column.right else "l" for column in cols)
    lines = [
        rf"\begin{{tabular}}{{{spec}}}",
        r"\hline",
        _row([_TITLES.get(column.title, column.title) for column in cols]),
        r"\hline",
        _row(_input_row(net, cols)),
        *(_row(_layer_row(layer, cols)) for layer in layers),
        r"\hline",
        _row(_total_row(net, cols, layers)),
        r"\hline",
        r"\end{tabular}",
        *_totals(net),
        r"\par\medskip\noindent Counting convention \texttt{"
        + escape(net.convention.name)
        + "}: "
        + escape(net.convention.summary),
    ]
    return "\n".join(lines) + "\n"
