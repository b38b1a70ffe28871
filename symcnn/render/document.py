r"""A derivation document: every layer's sizes and counts worked out, as a LaTeX file.

:func:`document` writes a complete ``article`` that pdflatex compiles (packages
of texlive-latex-base only, no shell escape): a title, the conventions, then
for every layer its output size with the layer's numbers put into PyTorch's
rule (``⌊(224 + 2·1 − 3)/1⌋ + 1 = 224``, or ``= n`` while n is free), its
parameters (``(3·3·128 + 1)·256 = 295,168``), activations and MACs, and at the
end the totals: numbers, or closed forms with their assumption and domain.

Nothing is counted here. The numbers put into each formula are the analysis'
(the sizes and channels of the layer's input and output) and the IR's (kernel,
stride, padding, dilation, groups, evaluated at the network's values); the
value after the last "=" is the analysis' value. Each formula is also worked
out from its own numbers, in Python ints, and must give that value: at the
given values, or at sample values of the free symbols (a mismatch raises
:class:`AssertionError`). Each layer's lines are :mod:`symcnn.render.document_layers`'s,
the check :mod:`symcnn.render.document_check`'s; here the document is put together.

>>> import symcnn
>>> text = document(symcnn.parse("conv3-8 maxpool fc10", n=8))
>>> text.startswith(r"\documentclass"), text.rstrip().endswith(r"\end{document}")
(True, True)
>>> r"= \bigl\lfloor (8 + 2 \cdot 0 - 2)/2 \bigr\rfloor + 1 = 4$" in text  # the maxpool's output size
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .. import ir
from ..analysis import LayerResult
from ..values import as_int
from . import printing
from .document_check import Check
from .document_layers import Layers, equation, product, result, shape, visible_length
from .document_receptive import receptive_section
from .document_text import text, tt
from .latex import assumption, domain, tiling
from .text import TOTALS

if TYPE_CHECKING:
    from ..network import Network

PREAMBLE = r"""\documentclass[10pt,a4paper]{article}
\usepackage[margin=2cm]{geometry}
\usepackage{amsmath}
\usepackage{array}
\setlength{\parindent}{0pt}
\setlength{\tabcolsep}{4pt}
\allowdisplaybreaks
% #1 at the right end of the line, or right-aligned on a line of its own when it does not fit (TeXbook p. 106).
\newcommand{\rightpart}[1]{{\unskip\nobreak\hfil\penalty50\hskip2em\hbox{}\nobreak\hfil #1\parfillskip=0pt\par}}
\pagestyle{plain}
"""

# A layer's lines: what, the rule in letters, the numbers (fixed widths, so that layers align).
# The numbers' column takes the rest of the line; a formula too long for it breaks after a sign.
TABULAR = (
    r"\begin{tabular}{@{\hspace{1.5em}}p{2.2cm}@{}p{5.2cm}@{}"
    r">{\raggedright\arraybackslash}p{\dimexpr\linewidth-1.5em-7.4cm\relax}@{}}"
)
# Characters of a closed form's terms to a displayed line (about 14 cm).
FORM_WIDTH = 72
# Group texts (a block's or a branch's notation) are cut to this length in headings.
HEADING_TEXT = 160

# ---------------------------------------------------------------- document parts


def _zoo_name(net: Network) -> str | None:
    from .. import zoo

    return next((name for name in zoo.names() if zoo.text(name) == net.architecture.text), None)


def _maths(tex: str) -> str:
    return f"${tex}$"


def _given(net: Network) -> str:
    given = ", ".join(_maths(f"{printing.latex_symbol(name)} = {value}") for name, value in sorted(net.values.items()))
    free = ", ".join(_maths(printing.latex_symbol(name)) for name in net.symbols)
    parts = ([f"at {given}"] if given else []) + ([f"{free} free"] if free else [])
    return "; ".join(parts)


def _title(net: Network) -> list[str]:
    from .. import zoo

    name = _zoo_name(net)
    spec = net.architecture.input
    written = r" \times ".join(text(ir.expr_text(expr)) for expr in (spec.channels, spec.height, spec.width))
    lines = [
        r"\begin{center}",
        r"{\LARGE Derivation of " + (tt(name) if name else "a network") + r"}\\[6pt]",
    ]
    if name:
        lines.append(r"{\small " + text(zoo.summary(name)) + r"}\\[6pt]")
    lines += [
        rf"input ${written}$" + (f", {_given(net)}" if _given(net) else "") + r"\\[2pt]",
        rf"{len(net.layers)} layers; counting convention {tt(net.convention.name)}",
        r"\end{center}",
    ]
    if not name:
        notation = [line for line in net.architecture.text.splitlines() if line.strip()]
        lines += [r"\begin{quote}\raggedright\small", r"\\".join(tt(line) for line in notation), r"\end{quote}"]
    return lines


def _conventions(net: Network) -> list[str]:
    convention = net.convention
    return [
        r"\section*{Conventions}",
        r"Output size of a convolution or a pooling along each axis (PyTorch's rule), "
        r"for an input size $x$, kernel $k$, stride $s$, padding $p$, dilation $d$:",
        r"\[ o = \left\lfloor \frac{x + 2p - d(k - 1) - 1}{s} \right\rfloor + 1"
        r"\quad\text{($d = 1$: } \left\lfloor \frac{x + 2p - k}{s} \right\rfloor + 1\text{)}, \]",
        r"and with " + tt("ceil_mode") + r" a last window that would start in the right padding is dropped:",
        r"\[ o = \min\left(\left\lceil \frac{x + 2p - d(k - 1) - 1}{s} \right\rceil + 1, "
        r"\left\lceil \frac{x + p}{s} \right\rceil\right). \]",
        r"Parameters of a convolution with $g$ groups: "
        r"$(k_h \cdot k_w \cdot C_{\mathrm{in}}/g + 1) \cdot C_{\mathrm{out}}$, "
        r"of a fully connected layer $(\mathit{in} + 1) \cdot \mathit{out}$ (the input flattened, "
        r"$\mathit{in} = C \cdot H \cdot W$), without the $+ 1$ when there is no bias; "
        r"a batch norm has $2C$ parameters ($\gamma$, $\beta$) and $2C + 1$ buffers "
        r"(running mean and variance, a batch counter). "
        r"A layer's activations are the values of its output, $C \cdot H \cdot W$.",
        r"\par\medskip Counting convention " + tt(convention.name) + ": " + text(convention.summary) + ".",
    ]


def _heading(entered: Sequence[str], groups: Mapping[str, str]) -> list[str]:
    """One heading for the blocks, branches and arms a row enters: the deepest path,
    then each block's and branch's notation (cut at HEADING_TEXT characters)."""
    command = r"\subsection*" if "/" not in entered[0] else r"\subsubsection*"
    notations = []
    for path in entered:
        if path not in groups:
            continue  # an arm of a branch: its path says it
        shown = " ".join(groups[path].split())
        if len(shown) > HEADING_TEXT:
            shown = shown[: HEADING_TEXT - 1].rstrip() + "…"
        segment = path.rsplit("/", 1)[-1]
        if shown != segment:
            notations.append(tt(segment) + ": " + tt(shown))
    notation = [r"{\raggedright\small " + r"\\ ".join(notations) + r"\par}\nopagebreak\smallskip"] if notations else []
    return [f"{command}{{{tt(entered[-1])}}}", *notation]


def _groups_entered(path: str, before: set[str]) -> list[str]:
    """The blocks, branches and arms around ``path`` that are not in ``before``, outermost first."""
    parts = path.split("/")
    prefixes = ("/".join(parts[:end]) for end in range(1, len(parts)))
    return [prefix for prefix in prefixes if prefix not in before]


def _simple(layer: LayerResult, net: Network) -> bool:
    """A layer that keeps its shape and counts nothing: relu, dropout, identity…"""
    return (
        layer.kind in net.convention.in_place
        and layer.kind != "flatten"
        and all(as_int(getattr(layer, quantity)) == 0 for quantity in ("params", "buffers", "activations", "macs"))
    )


def _header(layer: LayerResult) -> str:
    where = rf"\quad{{\small {tt(layer.path)}}}" if "/" in layer.path else ""
    shapes = rf"${shape(layer.geometry.input)} \to {shape(layer.output)}$"
    return rf"\textbf{{{layer.index}}}\quad {tt(layer.name)}{where}\rightpart{{{shapes}}}"


def _layer(layer: LayerResult, layers: Layers) -> list[str]:
    if _simple(layer, layers.net):
        where = rf"\quad{{\small {tt(layer.path)}}}" if "/" in layer.path else ""
        output = shape(layer.output)
        return [
            rf"\noindent\textbf{{{layer.index}}}\quad {tt(layer.name)}{where}"
            rf"\rightpart{{${output}$, in place: no parameters, 0 activations, 0 MACs}}\smallskip"
        ]
    rows = [line.row() for line in layers.lines(layer)]
    return [
        r"\noindent\begin{minipage}{\linewidth}",
        _header(layer) + r"\smallskip",
        TABULAR,
        *rows,
        r"\end{tabular}",
        r"\end{minipage}\par\medskip",
    ]


def _input(net: Network) -> list[str]:
    sizes = net.input
    if net.convention.count_input:
        numbers = equation(product(sizes), net.input_activations)
        counted = "activations " + numbers
    else:
        counted = "not counted in the activations"
    return [rf"\noindent\textbf{{0}}\quad input\rightpart{{${shape(sizes)}$, {counted}}}\medskip"]


def _layers(net: Network, depth: int | None) -> list[str]:
    layers = Layers(net)
    rows = net.rows(depth)
    lines = [r"\section*{Layers}", *_input(net)]
    seen: set[str] = set()
    for row in rows:
        entered = _groups_entered(row.path, seen)
        if entered:
            seen.update(entered)
            lines += _heading(entered, net.analysis.groups)
        lines += _layer(row, layers)
    return lines


def _broken(terms: Sequence[str]) -> list[str]:
    """A sum's terms, as many to a line as fit in about FORM_WIDTH characters."""
    lines: list[list[str]] = [[]]
    for term in terms:
        if lines[-1] and visible_length(" ".join([*lines[-1], term])) > FORM_WIDTH:
            lines.append([])
        lines[-1].append(term)
    return [" ".join(line) for line in lines]


def _totals(net: Network) -> list[str]:
    free = bool(net.symbols)
    weights, biases, params = net.weights, net.biases, net.params
    check = Check(net)
    check.agree("params", lambda at: at(weights) + at(biases), params)
    lines = [r"\section*{Totals}"]
    if not free:
        rows = [
            rf"parameters & weights + biases & $= {result(weights)} + {result(biases)} = {result(params)}$ \\",
            *(rf"{title} & & $= {result(net.total(quantity))}$ \\" for quantity, title in TOTALS[1:]),
        ]
        given = _given(net)
        return [
            *lines,
            f"Sums over the layers{', ' + given if given else ''}"
            + (", the input included in the activations" if net.convention.count_input else "")
            + ":\\par\\smallskip",
            TABULAR,
            *rows,
            r"\end{tabular}",
        ]
    forms = [(title, net.closed_form(quantity)) for quantity, title in TOTALS]
    where = domain(forms[0][1].domains)
    lines.append(
        "Sums over the layers as closed forms"
        + (f", {_given(net)}" if _given(net) else "")
        + ". The first form of each holds for every input size in the domain, the second under its assumption."
    )
    quantities: list[str] = []
    for title, form in forms:
        rows = _broken(printing.latex_terms(form.general))
        body = [rf"\text{{{title}}} &= {rows[0]}", *(rf"&\quad {row}" for row in rows[1:])]
        if form.polynomial is None:
            body.append(r"&\quad\text{(no polynomial form)}")
        elif form.polynomial != form.general:
            condition = assumption(form.multiple_of, form.residue_of)
            body.append(rf"&= {printing.latex(form.polynomial)} &&\text{{for {condition}}}")
        quantities.append(" \\\\*\n".join(body))  # \\* keeps a quantity's lines on one page
    lines += [r"\begin{align*}", " \\\\[6pt]\n".join(quantities), r"\end{align*}"]
    if where:
        lines.append(f"Domain: {where}, where every output size is at least 1 and every merge's sizes agree.")
    exact = tiling(net)
    if exact:
        lines.append(f"{exact[0].upper()}{exact[1:]}.")
    lines += _sample_values(net)
    return lines


def _sample_values(net: Network, size: int = 224) -> list[str]:
    """The totals at n = 224 from the closed forms, when n is the only free symbol and 224 is valid."""
    found = net.analysis.domains.get("n")
    if net.symbols != ("n",) or found is None or not found.contains(size):
        return []
    rows = [rf"{title} & & $= {result(net.sweep(quantity, [size])[0])}$ \\" for quantity, title in TOTALS]
    return [rf"\par\medskip At $n = {size}$ the closed forms give:\par\smallskip", TABULAR, *rows, r"\end{tabular}"]


def document(net: Network, depth: int | None = None) -> str:
    r"""The derivation of every layer's sizes and counts, and of the totals, as a LaTeX document.

    ``depth`` folds blocks and branches deeper than it into one row each (their sums).

    >>> import symcnn
    >>> r"(3 \cdot 3 \cdot 128 + 1) \cdot 256 = 295{,}168" in document(symcnn.parse("vgg-d", n=224))
    True
    """
    body = [*_title(net), *_conventions(net), *_layers(net, depth), *receptive_section(net), *_totals(net)]
    return PREAMBLE + "\\begin{document}\n" + "\n".join(body) + "\n\\end{document}\n"
