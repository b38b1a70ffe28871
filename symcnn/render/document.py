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
:class:`AssertionError`).

>>> import symcnn
>>> text = document(symcnn.parse("conv3-8 maxpool fc10", n=8))
>>> text.startswith(r"\documentclass"), text.rstrip().endswith(r"\end{document}")
(True, True)
>>> r"= \bigl\lfloor (8 + 2 \cdot 0 - 2)/2 \bigr\rfloor + 1 = 4$" in text  # the maxpool's output size
True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from math import prod
from typing import TYPE_CHECKING

from .. import ir
from ..analysis import MERGE_KINDS, LayerResult, segments
from ..braces import evaluate
from ..rules import weight_macs
from ..values import Shown, Value, as_expr, as_int
from . import printing
from .latex import assumption, domain, escape
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
# Characters of a rule that fit in its column (5.2 cm); a longer one gets a row of its own.
RULE_WIDTH = 34
# Characters of "= numbers = value" that fit beside the label and the rule (about 9 cm).
NUMBERS_WIDTH = 56
# Characters of a closed form's terms to a displayed line (about 14 cm).
FORM_WIDTH = 72
# Group texts (a block's or a branch's notation) are cut to this length in headings.
HEADING_TEXT = 160
# Offsets from the least valid input size, and values of the other free symbols,
# at which each formula is checked against the analysis while symbols are free.
_SIZE_OFFSETS = (0, 1, 2, 5, 30, 97)
_OTHER_VALUES = (3, 1, 2, 5, 4, 7)
_UNKNOWN_LEAST = 32

_TEXT_SPECIAL = {
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "γ": r"$\gamma$",
    '"': "''",
    "–": "--",
    "—": "---",
}

Getter = Callable[[Value], int]


def text(words: str) -> str:
    r"""Any text safe in LaTeX's text mode with pdflatex's default fonts.

    >>> print(text("res(a | b) -> γ·2 ∑"))
    res(a \textbar{} b) -\textgreater{} $\gamma$$\cdot$2 [U+2211]
    """
    escaped = escape(" ".join(words.split()))
    shown = "".join(_TEXT_SPECIAL.get(character, character) for character in escaped)
    return "".join(character if ord(character) < 128 else f"[U+{ord(character):04X}]" for character in shown)


def _tt(words: str) -> str:
    """Typewriter text that may break after a slash, underscores as the font's own (copied as "_")."""
    return r"\texttt{" + text(words).replace("/", r"/\allowbreak{}").replace(r"\_", r"\char95{}") + "}"


# ---------------------------------------------------------------- numbers


# Printing a floor costs about 1 ms of sympy; a network repeats a few sizes many times.
@lru_cache(maxsize=4096)
def _num(value: Value) -> str:
    """A number put into a formula, as the paper writes it (4096), a sum in parentheses."""
    return printing.latex_inline_factors((value,))


def _product(values: Sequence[Value]) -> str:
    return r" \cdot ".join(_num(value) for value in values)


@lru_cache(maxsize=4096)
def _result(value: Value) -> str:
    """A value after "=", digits grouped."""
    return printing.latex_inline(value)


@lru_cache(maxsize=4096)
def _shape(values: tuple[Value, ...]) -> str:
    return printing.latex_inline_factors(values)


def _equation(numbers: str, value: Value) -> str:
    """``= numbers = value``, or ``= value`` when the numbers are the value."""
    shown = _result(value)
    return f"$= {shown}$" if numbers in ("", shown, _num(value)) else f"$= {numbers} = {shown}$"


class _Check:
    """Works a formula out in Python ints and compares it with the analysis' value.

    With every symbol given, once; with symbols free, at a few sample values of
    them (the input sizes from their least valid value on).
    """

    def __init__(self, net: Network) -> None:
        least = net.analysis.smallest_valid
        self.samples: list[dict[str, int]] = []
        for index in range(len(_SIZE_OFFSETS)):
            sample = {}
            for name in net.symbols:
                if name in least:
                    sample[name] = (least[name] or _UNKNOWN_LEAST) + _SIZE_OFFSETS[index]
                else:
                    sample[name] = _OTHER_VALUES[index]
            self.samples.append(sample)
            if not sample:
                break
        self._cache: dict[tuple[int, Value], int | None] = {}

    def _at(self, value: Value, index: int) -> int | None:
        number = as_int(value)
        if number is not None:
            return number
        key = (index, value)
        if key not in self._cache:
            from .expressions import value_at

            self._cache[key] = value_at(as_expr(value), self.samples[index])
        return self._cache[key]

    def agree(self, what: str, formula: Callable[[Getter], int], value: Value) -> None:
        """Raise AssertionError unless ``formula`` gives ``value`` (at every sample where both are whole)."""
        for index, sample in enumerate(self.samples):

            def at(item: Value, index: int = index) -> int:
                number = self._at(item, index)
                if number is None:
                    raise _NotWhole
                return number

            try:
                mine, theirs = formula(at), at(value)
            except (_NotWhole, ZeroDivisionError):
                continue
            if mine != theirs:
                where = f" at {sample}" if sample else ""
                raise AssertionError(f"{what}: the formula gives {mine}, the analysis {theirs}{where}")


class _NotWhole(Exception):
    """A value that is not a whole number at a sample (a symbolic channel count not divisible)."""


# ---------------------------------------------------------------- layers


@dataclass(frozen=True)
class _Line:
    """One line of a layer's derivation: what, the rule in letters, ``= numbers = value``."""

    label: str
    rule: str
    numbers: str
    note: str = ""

    def row(self) -> str:
        """The line as a tabular row; ``= numbers = value`` too long for the page as two rows."""
        rule = f"${self.rule}$" if self.rule else ""
        note = f" ({self.note})" if self.note else ""
        first = f"{self.label} & {rule} & "
        if _visible_length(self.rule) > RULE_WIDTH:
            first = f"{self.label} & \\multicolumn{{2}}{{@{{}}l}}{{{rule}}} \\\\\n & & "
        head, _, tail = self.numbers.rpartition(" = ")
        if _visible_length(self.numbers) <= NUMBERS_WIDTH or not head.startswith("$= "):
            return f"{first}{self.numbers}{note} \\\\"
        return f"{first}{head}$ \\\\\n & & $= {tail}{note} \\\\"


def _visible_length(tex: str) -> int:
    """Roughly how many characters ``tex`` prints as (commands and braces dropped)."""
    shown = tex.replace("{,}", ",")
    shown = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", lambda match: max(match.groups(), key=len), shown)
    shown = re.sub(r"\\(cdot|times)", " * ", shown)
    shown = re.sub(r"\\[lr](floor|ceil)", "|", shown)
    shown = re.sub(r"\\[A-Za-z]+|[{}$]", "", shown)
    return len(" ".join(shown.split()))


def _window(top: str, s: str, ceil: bool, right: str) -> str:
    """``⌊(top)/s⌋ + 1``, or with ceil_mode ``min(⌈(top)/s⌉ + 1, ⌈(right)/s⌉)``, slashes for fractions."""
    if ceil:
        return rf"\min(\bigl\lceil ({top})/{s} \bigr\rceil + 1, \bigl\lceil ({right})/{s} \bigr\rceil)"
    return rf"\bigl\lfloor ({top})/{s} \bigr\rfloor + 1"


def _window_rule(ceil: bool, dilated: bool) -> str:
    top = "x + 2p - d(k - 1) - 1" if dilated else "x + 2p - k"
    return _window(top, "s", ceil, "x + p")


def _window_numbers(x: Value, k: Value, s: Value, p: Value, d: Value, ceil: bool) -> str:
    dilated = as_int(d) != 1
    span = rf"{_num(d)} \cdot ({_num(k)} - 1) - 1" if dilated else _num(k)
    top = rf"{_num(x)} + 2 \cdot {_num(p)} - {span}"
    return _window(top, _num(s), ceil, f"{_num(x)} + {_num(p)}")


def window_size(x: int, k: int, s: int, p: int, d: int, ceil: bool) -> int:
    """PyTorch's output size of a convolution or pooling along one axis.

    With ceil_mode a last window that would start in the right padding is
    dropped: the size is at most ⌈(x + p)/s⌉.

    >>> window_size(224, 3, 1, 1, 1, False), window_size(112, 3, 2, 1, 1, True), window_size(5, 1, 3, 0, 1, True)
    (224, 57, 2)
    """
    top = x + 2 * p - d * (k - 1) - 1
    if ceil:
        return min(-(-top // s) + 1, -(-(x + p) // s))
    return top // s + 1


def _window_at(numbers: tuple[Value, ...], ceil: bool, at: Getter) -> int:
    x, k, s, p, d = (at(number) for number in numbers)
    return window_size(x, k, s, p, d, ceil)


def _value_at(value: Value, at: Getter) -> int:
    return at(value)


class _Layers:
    """The derivation lines of every row of a network."""

    def __init__(self, net: Network) -> None:
        self.net = net
        self.check = _Check(net)
        self.nodes = _leaves(net.architecture.layers)
        self.values: Mapping[str, Shown] = net.values

    def value(self, expr: ir.Expr) -> Value:
        return evaluate(expr, self.values)

    def lines(self, layer: LayerResult) -> list[_Line]:
        self.values = self.net.analysis.values_at(layer.path)  # {cin} bound to the layer's block's input
        kind = layer.kind
        node = self.nodes.get(layer.path)
        if kind == "block":
            return self._block(layer)
        lines: list[_Line] = []
        if isinstance(node, ir.Conv):
            lines += [*self._sizes(layer, node, ceil=False), self._conv_params(layer, node)]
        elif isinstance(node, ir.Pool):
            lines += self._sizes(layer, node, ceil=node.ceil_mode)
        elif isinstance(node, ir.AdaptivePool):
            lines.append(self._adaptive(layer, node))
        elif isinstance(node, ir.Linear):
            lines.append(self._fc_params(layer, node))
        elif isinstance(node, (ir.BatchNorm, ir.ChannelNorm, ir.LayerScale)):
            lines += self._norm(layer, node)
        elif kind in MERGE_KINDS:
            lines.append(self._merge(layer))
        elif isinstance(node, ir.Flatten):
            lines.append(self._flatten(layer))
        if layer.idle:  # an auxiliary head in eval mode: torch never runs it
            for what in ("activations", "MACs"):
                self.check.agree(f"layer {layer.index} {what}", lambda at: 0, getattr(layer, what.lower()))
            return [*lines, _Line("activations, MACs", "", "$= 0$", "auxiliary head, not run in eval mode")]
        lines += [self._activations(layer), self._macs(layer)]
        return lines

    # -------------------------------------------------------- sizes

    def _sizes(self, layer: LayerResult, node: ir.Conv | ir.Pool, ceil: bool) -> list[_Line]:
        axes = []
        for axis in (0, 1):
            k, s, p, d = (self.value(pair[axis]) for pair in (node.kernel, node.stride, node.padding, node.dilation))
            x, out = layer.geometry.input[axis + 1], layer.output[axis + 1]
            self.check.agree(f"layer {layer.index} output size", partial(_window_at, (x, k, s, p, d), ceil), out)
            rule = _window_rule(ceil, as_int(d) != 1)
            axes.append((rule, _equation(_window_numbers(x, k, s, p, d, ceil), out)))
        if axes[0] == axes[1]:
            return [_Line("output $H, W$", *axes[0])]
        return [_Line("output $H$", *axes[0]), _Line("output $W$", *axes[1])]

    def _adaptive(self, layer: LayerResult, node: ir.AdaptivePool) -> _Line:
        sizes = [self.value(expr) for expr in node.output]
        for size, out in zip(sizes, layer.output[1:]):
            self.check.agree(f"layer {layer.index} output size", partial(_value_at, size), out)
        shown = r" \times ".join(_num(size) for size in sizes)
        return _Line("output $H, W$", r"\text{fixed}", f"$= {shown}$", "whatever the input")

    # -------------------------------------------------------- parameters

    def _conv_params(self, layer: LayerResult, node: ir.Conv) -> _Line:
        k_h, k_w = (self.value(expr) for expr in node.kernel)
        c_in, c_out = layer.geometry.input[0], layer.output[0]
        groups = c_in if node.groups is None else self.value(node.groups)
        grouped = as_int(groups) != 1
        per_group = [k_h, k_w, c_in]
        numbers = _product(per_group) + (f"/{_num(groups)}" if grouped else "")
        rule = r"k_h \cdot k_w \cdot C_{\mathrm{in}}" + ("/g" if grouped else "")
        if node.bias:
            numbers, rule = f"({numbers} + 1)", f"({rule} + 1)"
        numbers += rf" \cdot {_num(c_out)}"
        rule += r" \cdot C_{\mathrm{out}}"
        bias = 1 if node.bias else 0
        self.check.agree(
            f"layer {layer.index} parameters",
            lambda at: (_exact(at(k_h) * at(k_w) * at(c_in), at(groups)) + bias) * at(c_out),
            layer.params,
        )
        self._check_weights(layer, lambda at: _exact(at(k_h) * at(k_w) * at(c_in), at(groups)) * at(c_out))
        return _Line("parameters", rule, _equation(numbers, layer.params))

    def _fc_params(self, layer: LayerResult, node: ir.Linear) -> _Line:
        inputs, out = layer.geometry.input, self.value(node.out_features)
        self.check.agree(f"layer {layer.index} outputs", lambda at: at(out), layer.output[0])
        rule = r"C \cdot H \cdot W" if len(inputs) == 3 else r"\mathit{in}"
        numbers = _product(inputs)
        if node.bias:
            numbers, rule = f"({numbers} + 1)", f"({rule} + 1)"
        bias = 1 if node.bias else 0
        self.check.agree(
            f"layer {layer.index} parameters",
            lambda at: (prod(at(size) for size in inputs) + bias) * at(out),
            layer.params,
        )
        self._check_weights(layer, lambda at: prod(at(size) for size in inputs) * at(out))
        numbers += rf" \cdot {_num(out)}"
        return _Line("parameters", rule + r" \cdot \mathit{out}", _equation(numbers, layer.params))

    def _norm(self, layer: LayerResult, node: ir.BatchNorm | ir.ChannelNorm | ir.LayerScale) -> list[_Line]:
        channels = layer.geometry.input[0]
        if isinstance(node, ir.LayerScale):
            per_channel, what = 1, r"one factor per channel"
        elif isinstance(node, ir.BatchNorm) and not node.affine:
            per_channel, what = 0, "not affine"
        else:
            per_channel, what = 2, r"$\gamma$ and $\beta$ per channel"
        rule = "C" if per_channel == 1 else f"{per_channel}C"
        numbers = _num(channels) if per_channel == 1 else rf"{per_channel} \cdot {_num(channels)}"
        self.check.agree(f"layer {layer.index} parameters", lambda at: per_channel * at(channels), layer.params)
        lines = [_Line("parameters", rule, _equation(numbers, layer.params), what)]
        if isinstance(node, ir.BatchNorm):
            tracked = 1 if node.track_running_stats else 0
            self.check.agree(f"layer {layer.index} buffers", lambda at: tracked * (2 * at(channels) + 1), layer.buffers)
            if tracked:
                numbers = _equation(rf"2 \cdot {_num(channels)} + 1", layer.buffers)
                lines.append(_Line("buffers", "2C + 1", numbers, "running mean and variance, a batch counter"))
            else:
                lines.append(_Line("buffers", "", "$= 0$", "no running statistics"))
        return lines

    def _check_weights(self, layer: LayerResult, formula: Callable[[Getter], int]) -> None:
        self.check.agree(f"layer {layer.index} weights", formula, layer.weights)

    # -------------------------------------------------------- other shapes

    def _merge(self, layer: LayerResult) -> _Line:
        parts = layer.geometry.parts
        if layer.kind == "cat":
            channels = [part[0] for part in parts]
            self.check.agree(f"layer {layer.index} channels", lambda at: sum(at(c) for c in channels), layer.output[0])
            numbers = " + ".join(_num(c) for c in channels)
            return _Line("channels", r"\sum C_{\mathrm{arm}}", _equation(numbers, layer.output[0]))
        how = "added" if layer.kind == "add" else "multiplied, a size 1 broadcast"
        if all(part == parts[0] for part in parts):
            return _Line("arms", "", f"{len(parts)} of ${_shape(parts[0])}$, {how}")
        shapes = ", ".join(f"${_shape(part)}$" for part in parts)
        return _Line("arms", "", f"{shapes}, {how}")

    def _flatten(self, layer: LayerResult) -> _Line:
        before = layer.geometry.input
        self.check.agree(f"layer {layer.index} features", lambda at: prod(at(v) for v in before), layer.output[0])
        return _Line("features", r"C \cdot H \cdot W", _equation(_product(before), layer.output[0]))

    def _block(self, layer: LayerResult) -> list[_Line]:
        return [
            _Line(title, r"\text{sum over the block}", f"$= {_result(getattr(layer, quantity))}$")
            for quantity, title in (("params", "parameters"), ("buffers", "buffers"), *TOTALS[2:])
        ]

    # -------------------------------------------------------- counts

    def _activations(self, layer: LayerResult) -> _Line:
        convention = self.net.convention
        # A kind the convention counts may still count 0 for this layer (torchinfo: a bn without affine,
        # a layerscale(via=functional)): its rule says so, not the kind.
        if layer.kind in convention.in_place or as_int(convention.activations(layer.geometry)) == 0:
            self.check.agree(f"layer {layer.index} activations", lambda at: 0, layer.activations)
            return _Line("activations", "", "$= 0$", "in place" if layer.kind in convention.in_place else "not counted")
        output = layer.output
        self.check.agree(f"layer {layer.index} activations", lambda at: prod(at(v) for v in output), layer.activations)
        rule = r"C \cdot H \cdot W" if len(output) == 3 else ""
        return _Line("activations", rule, _equation(_product(output), layer.activations))

    def _macs(self, layer: LayerResult) -> _Line:
        rule = self.net.convention.macs.get(layer.kind)
        if rule is None:
            self.check.agree(f"layer {layer.index} MACs", lambda at: 0, layer.macs)
            return _Line("MACs", "", "$= 0$")
        node = self.nodes.get(layer.path)
        if rule is not weight_macs or not isinstance(node, (ir.Conv, ir.Linear)):
            return _Line("MACs", "", f"$= {_result(layer.macs)}$")
        if isinstance(node, ir.Linear):
            factors = [*layer.geometry.input, layer.output[0]]
            self.check.agree(f"layer {layer.index} MACs", lambda at: prod(at(v) for v in factors), layer.macs)
            letters = r"C \cdot H \cdot W" if len(layer.geometry.input) == 3 else r"\mathit{in}"
            return _Line("MACs", letters + r" \cdot \mathit{out}", _equation(_product(factors), layer.macs))
        k_h, k_w = (self.value(expr) for expr in node.kernel)
        c_in = layer.geometry.input[0]
        groups = c_in if node.groups is None else self.value(node.groups)
        c_out, h_out, w_out = layer.output
        grouped = as_int(groups) != 1
        numbers = _product([k_h, k_w, c_in]) + (f"/{_num(groups)}" if grouped else "")
        numbers += r" \cdot " + _product([c_out, h_out, w_out])
        letters = r"k_h \cdot k_w \cdot C_{\mathrm{in}}" + ("/g" if grouped else "")
        letters += r" \cdot C_{\mathrm{out}} \cdot H \cdot W"
        self.check.agree(
            f"layer {layer.index} MACs",
            lambda at: _exact(at(k_h) * at(k_w) * at(c_in), at(groups)) * at(c_out) * at(h_out) * at(w_out),
            layer.macs,
        )
        return _Line("MACs", letters, _equation(numbers, layer.macs))


def _exact(numerator: int, denominator: int) -> int:
    if numerator % denominator:
        raise _NotWhole
    return numerator // denominator


def _leaves(nodes: Sequence[ir.Node], prefix: str = "") -> dict[str, ir.Layer]:
    """Every leaf layer by its path, the paths made as the analysis makes them."""
    found: dict[str, ir.Layer] = {}
    for node, segment in zip(nodes, segments(nodes), strict=True):
        path = f"{prefix}/{segment}" if prefix else segment
        if isinstance(node, ir.Block):
            found.update(_leaves(node.body, path))
        elif isinstance(node, ir.Branch):
            for number, arm in enumerate(node.arms, 1):
                found.update(_leaves(arm, f"{path}/b{number}"))
        else:
            found[path] = node
    return found


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
        r"{\LARGE Derivation of " + (_tt(name) if name else "a network") + r"}\\[6pt]",
    ]
    if name:
        lines.append(r"{\small " + text(zoo.summary(name)) + r"}\\[6pt]")
    lines += [
        rf"input ${written}$" + (f", {_given(net)}" if _given(net) else "") + r"\\[2pt]",
        rf"{len(net.layers)} layers; counting convention {_tt(net.convention.name)}",
        r"\end{center}",
    ]
    if not name:
        notation = [line for line in net.architecture.text.splitlines() if line.strip()]
        lines += [r"\begin{quote}\raggedright\small", r"\\".join(_tt(line) for line in notation), r"\end{quote}"]
    return lines


def _conventions(net: Network) -> list[str]:
    convention = net.convention
    return [
        r"\section*{Conventions}",
        r"Output size of a convolution or a pooling along each axis (PyTorch's rule), "
        r"for an input size $x$, kernel $k$, stride $s$, padding $p$, dilation $d$:",
        r"\[ o = \left\lfloor \frac{x + 2p - d(k - 1) - 1}{s} \right\rfloor + 1"
        r"\quad\text{($d = 1$: } \left\lfloor \frac{x + 2p - k}{s} \right\rfloor + 1\text{)}, \]",
        r"and with " + _tt("ceil_mode") + r" a last window that would start in the right padding is dropped:",
        r"\[ o = \min\left(\left\lceil \frac{x + 2p - d(k - 1) - 1}{s} \right\rceil + 1, "
        r"\left\lceil \frac{x + p}{s} \right\rceil\right). \]",
        r"Parameters of a convolution with $g$ groups: "
        r"$(k_h \cdot k_w \cdot C_{\mathrm{in}}/g + 1) \cdot C_{\mathrm{out}}$, "
        r"of a fully connected layer $(\mathit{in} + 1) \cdot \mathit{out}$ (the input flattened, "
        r"$\mathit{in} = C \cdot H \cdot W$), without the $+ 1$ when there is no bias; "
        r"a batch norm has $2C$ parameters ($\gamma$, $\beta$) and $2C + 1$ buffers "
        r"(running mean and variance, a batch counter). "
        r"A layer's activations are the values of its output, $C \cdot H \cdot W$.",
        r"\par\medskip Counting convention " + _tt(convention.name) + ": " + text(convention.summary) + ".",
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
            notations.append(_tt(segment) + ": " + _tt(shown))
    notation = [r"{\raggedright\small " + r"\\ ".join(notations) + r"\par}\nopagebreak\smallskip"] if notations else []
    return [f"{command}{{{_tt(entered[-1])}}}", *notation]


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
    where = rf"\quad{{\small {_tt(layer.path)}}}" if "/" in layer.path else ""
    shapes = rf"${_shape(layer.geometry.input)} \to {_shape(layer.output)}$"
    return rf"\textbf{{{layer.index}}}\quad {_tt(layer.name)}{where}\rightpart{{{shapes}}}"


def _layer(layer: LayerResult, layers: _Layers) -> list[str]:
    if _simple(layer, layers.net):
        where = rf"\quad{{\small {_tt(layer.path)}}}" if "/" in layer.path else ""
        shape = _shape(layer.output)
        return [
            rf"\noindent\textbf{{{layer.index}}}\quad {_tt(layer.name)}{where}"
            rf"\rightpart{{${shape}$, in place: no parameters, 0 activations, 0 MACs}}\smallskip"
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
    shape = net.input
    if net.convention.count_input:
        numbers = _equation(_product(shape), net.input_activations)
        counted = "activations " + numbers
    else:
        counted = "not counted in the activations"
    return [rf"\noindent\textbf{{0}}\quad input\rightpart{{${_shape(shape)}$, {counted}}}\medskip"]


def _layers(net: Network, depth: int | None) -> list[str]:
    layers = _Layers(net)
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
        if lines[-1] and _visible_length(" ".join([*lines[-1], term])) > FORM_WIDTH:
            lines.append([])
        lines[-1].append(term)
    return [" ".join(line) for line in lines]


def _totals(net: Network) -> list[str]:
    free = bool(net.symbols)
    weights, biases, params = net.weights, net.biases, net.params
    check = _Check(net)
    check.agree("params", lambda at: at(weights) + at(biases), params)
    lines = [r"\section*{Totals}"]
    if not free:
        rows = [
            rf"parameters & weights + biases & $= {_result(weights)} + {_result(biases)} = {_result(params)}$ \\",
            *(rf"{title} & & $= {_result(net.total(quantity))}$ \\" for quantity, title in TOTALS[1:]),
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
    where = domain(forms[0][1].smallest_valid)
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
            condition = assumption(form.multiple_of)
            body.append(rf"&= {printing.latex(form.polynomial)} &&\text{{for {condition}}}")
        quantities.append(" \\\\*\n".join(body))  # \\* keeps a quantity's lines on one page
    lines += [r"\begin{align*}", " \\\\[6pt]\n".join(quantities), r"\end{align*}"]
    if where:
        lines.append(f"Domain: {where}, where every output size is at least 1.")
    lines += _sample_values(net)
    return lines


def _sample_values(net: Network, size: int = 224) -> list[str]:
    """The totals at n = 224 from the closed forms, when n is the only free symbol and 224 is valid."""
    least = net.analysis.smallest_valid.get("n")
    if net.symbols != ("n",) or least is None or size < least:
        return []
    rows = [rf"{title} & & $= {_result(net.sweep(quantity, [size])[0])}$ \\" for quantity, title in TOTALS]
    return [rf"\par\medskip At $n = {size}$ the closed forms give:\par\smallskip", TABULAR, *rows, r"\end{tabular}"]


def document(net: Network, depth: int | None = None) -> str:
    r"""The derivation of every layer's sizes and counts, and of the totals, as a LaTeX document.

    ``depth`` folds blocks and branches deeper than it into one row each (their sums).

    >>> import symcnn
    >>> r"(3 \cdot 3 \cdot 128 + 1) \cdot 256 = 295{,}168" in document(symcnn.parse("vgg-d", n=224))
    True
    """
    body = [*_title(net), *_conventions(net), *_layers(net, depth), *_totals(net)]
    return PREAMBLE + "\\begin{document}\n" + "\n".join(body) + "\n\\end{document}\n"
