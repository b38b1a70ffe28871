r"""Every layer's derivation: its lines of what, the rule in letters, and ``= numbers = value``.

:class:`Layers` gives the lines of a row of the analysis: the output size put
into PyTorch's rule (``⌊(224 + 2·1 − 3)/1⌋ + 1 = 224``), the parameters
(``(3·3·128 + 1)·256 = 295,168``), buffers, activations and MACs. The numbers
put into each formula are the analysis' (the sizes and channels of the
layer's input and output) and the IR's (kernel, stride, padding, dilation,
groups, evaluated at the network's values); the value after the last "=" is
the analysis' value, and :class:`~symcnn.render.document_check.Check` works
each formula out from its own numbers to the same value.

>>> import symcnn
>>> net = symcnn.parse("conv3-8 maxpool fc10", n=8)
>>> print(Layers(net).lines(net.layers[1])[0].numbers)  # the maxpool's output size
$= \bigl\lfloor (8 + 2 \cdot 0 - 2)/2 \bigr\rfloor + 1 = 4$
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
from ..values import Shown, Value, as_int
from . import printing
from .document_check import Check, Getter, exact
from .text import TOTALS

if TYPE_CHECKING:
    from ..network import Network

# Characters of a rule that fit in its column (5.2 cm); a longer one gets a row of its own.
RULE_WIDTH = 34
# Characters of "= numbers = value" that fit beside the label and the rule (about 9 cm).
NUMBERS_WIDTH = 56


# ---------------------------------------------------------------- numbers
# Printing a floor costs about 1 ms of sympy; a network repeats a few sizes many times.
@lru_cache(maxsize=4096)
def num(value: Value) -> str:
    """A number put into a formula, as the paper writes it (4096), a sum in parentheses."""
    return printing.latex_inline_factors((value,))


def product(values: Sequence[Value]) -> str:
    return r" \cdot ".join(num(value) for value in values)


@lru_cache(maxsize=4096)
def result(value: Value) -> str:
    """A value after "=", digits grouped."""
    return printing.latex_inline(value)


@lru_cache(maxsize=4096)
def shape(values: tuple[Value, ...]) -> str:
    return printing.latex_inline_factors(values)


def equation(numbers: str, value: Value) -> str:
    """``= numbers = value``, or ``= value`` when the numbers are the value."""
    shown = result(value)
    return f"$= {shown}$" if numbers in ("", shown, num(value)) else f"$= {numbers} = {shown}$"


# ---------------------------------------------------------------- lines


@dataclass(frozen=True)
class Line:
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
        if visible_length(self.rule) > RULE_WIDTH:
            first = f"{self.label} & \\multicolumn{{2}}{{@{{}}l}}{{{rule}}} \\\\\n & & "
        head, _, tail = self.numbers.rpartition(" = ")
        if visible_length(self.numbers) <= NUMBERS_WIDTH or not head.startswith("$= "):
            return f"{first}{self.numbers}{note} \\\\"
        return f"{first}{head}$ \\\\\n & & $= {tail}{note} \\\\"


def visible_length(tex: str) -> int:
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
    span = rf"{num(d)} \cdot ({num(k)} - 1) - 1" if dilated else num(k)
    top = rf"{num(x)} + 2 \cdot {num(p)} - {span}"
    return _window(top, num(s), ceil, f"{num(x)} + {num(p)}")


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


class Layers:
    """The derivation lines of every row of a network."""

    def __init__(self, net: Network) -> None:
        self.net = net
        self.check = Check(net)
        self.nodes = leaves(net.architecture.layers)
        self.values: Mapping[str, Shown] = net.values

    def value(self, expr: ir.Expr) -> Value:
        return evaluate(expr, self.values)

    def lines(self, layer: LayerResult) -> list[Line]:
        self.values = self.net.analysis.values_at(layer.path)  # {cin} bound to the layer's block's input
        kind = layer.kind
        node = self.nodes.get(layer.path)
        if kind == "block":
            return self._block(layer)
        lines: list[Line] = []
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
        elif isinstance(node, (ir.TransposedConv, ir.Resample, ir.Pad, ir.Crop)):
            from .document_dense import dense_lines  # here: it imports this module

            lines += dense_lines(self, layer, layer.path)
        if layer.idle:  # an auxiliary head in eval mode: torch never runs it
            for what in ("activations", "MACs"):
                self.check.agree(f"layer {layer.index} {what}", lambda at: 0, getattr(layer, what.lower()))
            return [*lines, Line("activations, MACs", "", "$= 0$", "auxiliary head, not run in eval mode")]
        lines += [self._activations(layer), self._macs(layer)]
        return lines

    # -------------------------------------------------------- sizes

    def _sizes(self, layer: LayerResult, node: ir.Conv | ir.Pool, ceil: bool) -> list[Line]:
        axes = []
        for axis in (0, 1):
            k, s, p, d = (self.value(pair[axis]) for pair in (node.kernel, node.stride, node.padding, node.dilation))
            x, out = layer.geometry.input[axis + 1], layer.output[axis + 1]
            self.check.agree(f"layer {layer.index} output size", partial(_window_at, (x, k, s, p, d), ceil), out)
            rule = _window_rule(ceil, as_int(d) != 1)
            axes.append((rule, equation(_window_numbers(x, k, s, p, d, ceil), out)))
        if axes[0] == axes[1]:
            return [Line("output $H, W$", *axes[0])]
        return [Line("output $H$", *axes[0]), Line("output $W$", *axes[1])]

    def _adaptive(self, layer: LayerResult, node: ir.AdaptivePool) -> Line:
        sizes = [self.value(expr) for expr in node.output]
        for size, out in zip(sizes, layer.output[1:]):
            self.check.agree(f"layer {layer.index} output size", partial(_value_at, size), out)
        shown = r" \times ".join(num(size) for size in sizes)
        return Line("output $H, W$", r"\text{fixed}", f"$= {shown}$", "whatever the input")

    # -------------------------------------------------------- parameters

    def _conv_params(self, layer: LayerResult, node: ir.Conv) -> Line:
        k_h, k_w = (self.value(expr) for expr in node.kernel)
        c_in, c_out = layer.geometry.input[0], layer.output[0]
        groups = c_in if node.groups is None else self.value(node.groups)
        grouped = as_int(groups) != 1
        per_group = [k_h, k_w, c_in]
        numbers = product(per_group) + (f"/{num(groups)}" if grouped else "")
        rule = r"k_h \cdot k_w \cdot C_{\mathrm{in}}" + ("/g" if grouped else "")
        if node.bias:
            numbers, rule = f"({numbers} + 1)", f"({rule} + 1)"
        numbers += rf" \cdot {num(c_out)}"
        rule += r" \cdot C_{\mathrm{out}}"
        bias = 1 if node.bias else 0
        self.check.agree(
            f"layer {layer.index} parameters",
            lambda at: (exact(at(k_h) * at(k_w) * at(c_in), at(groups)) + bias) * at(c_out),
            layer.params,
        )
        self._check_weights(layer, lambda at: exact(at(k_h) * at(k_w) * at(c_in), at(groups)) * at(c_out))
        return Line("parameters", rule, equation(numbers, layer.params))

    def _fc_params(self, layer: LayerResult, node: ir.Linear) -> Line:
        inputs, out = layer.geometry.input, self.value(node.out_features)
        self.check.agree(f"layer {layer.index} outputs", lambda at: at(out), layer.output[0])
        rule = r"C \cdot H \cdot W" if len(inputs) == 3 else r"\mathit{in}"
        numbers = product(inputs)
        if node.bias:
            numbers, rule = f"({numbers} + 1)", f"({rule} + 1)"
        bias = 1 if node.bias else 0
        self.check.agree(
            f"layer {layer.index} parameters",
            lambda at: (prod(at(size) for size in inputs) + bias) * at(out),
            layer.params,
        )
        self._check_weights(layer, lambda at: prod(at(size) for size in inputs) * at(out))
        numbers += rf" \cdot {num(out)}"
        return Line("parameters", rule + r" \cdot \mathit{out}", equation(numbers, layer.params))

    def _norm(self, layer: LayerResult, node: ir.BatchNorm | ir.ChannelNorm | ir.LayerScale) -> list[Line]:
        channels = layer.geometry.input[0]
        if isinstance(node, ir.LayerScale):
            per_channel, what = 1, r"one factor per channel"
        elif isinstance(node, ir.BatchNorm) and not node.affine:
            per_channel, what = 0, "not affine"
        else:
            per_channel, what = 2, r"$\gamma$ and $\beta$ per channel"
        rule = "C" if per_channel == 1 else f"{per_channel}C"
        numbers = num(channels) if per_channel == 1 else rf"{per_channel} \cdot {num(channels)}"
        self.check.agree(f"layer {layer.index} parameters", lambda at: per_channel * at(channels), layer.params)
        lines = [Line("parameters", rule, equation(numbers, layer.params), what)]
        if isinstance(node, ir.BatchNorm):
            tracked = 1 if node.track_running_stats else 0
            self.check.agree(f"layer {layer.index} buffers", lambda at: tracked * (2 * at(channels) + 1), layer.buffers)
            if tracked:
                numbers = equation(rf"2 \cdot {num(channels)} + 1", layer.buffers)
                lines.append(Line("buffers", "2C + 1", numbers, "running mean and variance, a batch counter"))
            else:
                lines.append(Line("buffers", "", "$= 0$", "no running statistics"))
        return lines

    def _check_weights(self, layer: LayerResult, formula: Callable[[Getter], int]) -> None:
        self.check.agree(f"layer {layer.index} weights", formula, layer.weights)

    # -------------------------------------------------------- other shapes

    def _merge(self, layer: LayerResult) -> Line:
        parts = layer.geometry.parts
        if layer.kind == "cat":
            channels = [part[0] for part in parts]
            self.check.agree(f"layer {layer.index} channels", lambda at: sum(at(c) for c in channels), layer.output[0])
            numbers = " + ".join(num(c) for c in channels)
            return Line("channels", r"\sum C_{\mathrm{arm}}", equation(numbers, layer.output[0]))
        how = "added" if layer.kind == "add" else "multiplied, a size 1 broadcast"
        if all(part == parts[0] for part in parts):
            return Line("arms", "", f"{len(parts)} of ${shape(parts[0])}$, {how}")
        shapes = ", ".join(f"${shape(part)}$" for part in parts)
        return Line("arms", "", f"{shapes}, {how}")

    def _flatten(self, layer: LayerResult) -> Line:
        before = layer.geometry.input
        self.check.agree(f"layer {layer.index} features", lambda at: prod(at(v) for v in before), layer.output[0])
        return Line("features", r"C \cdot H \cdot W", equation(product(before), layer.output[0]))

    def _block(self, layer: LayerResult) -> list[Line]:
        return [
            Line(title, r"\text{sum over the block}", f"$= {result(getattr(layer, quantity))}$")
            for quantity, title in (("params", "parameters"), ("buffers", "buffers"), *TOTALS[2:])
        ]

    # -------------------------------------------------------- counts

    def _activations(self, layer: LayerResult) -> Line:
        convention = self.net.convention
        # A kind the convention counts may still count 0 for this layer (torchinfo: a bn without affine,
        # a layerscale(via=functional)): its rule says so, not the kind.
        if layer.kind in convention.in_place or as_int(convention.activations(layer.geometry)) == 0:
            self.check.agree(f"layer {layer.index} activations", lambda at: 0, layer.activations)
            return Line("activations", "", "$= 0$", "in place" if layer.kind in convention.in_place else "not counted")
        output = layer.output
        self.check.agree(f"layer {layer.index} activations", lambda at: prod(at(v) for v in output), layer.activations)
        rule = r"C \cdot H \cdot W" if len(output) == 3 else ""
        return Line("activations", rule, equation(product(output), layer.activations))

    def _macs(self, layer: LayerResult) -> Line:
        rule = self.net.convention.macs.get(layer.kind)
        if rule is None:
            self.check.agree(f"layer {layer.index} MACs", lambda at: 0, layer.macs)
            return Line("MACs", "", "$= 0$")
        node = self.nodes.get(layer.path)
        if rule is not weight_macs or not isinstance(node, (ir.Conv, ir.Linear)):
            return Line("MACs", "", f"$= {result(layer.macs)}$")
        if isinstance(node, ir.Linear):
            factors = [*layer.geometry.input, layer.output[0]]
            self.check.agree(f"layer {layer.index} MACs", lambda at: prod(at(v) for v in factors), layer.macs)
            letters = r"C \cdot H \cdot W" if len(layer.geometry.input) == 3 else r"\mathit{in}"
            return Line("MACs", letters + r" \cdot \mathit{out}", equation(product(factors), layer.macs))
        k_h, k_w = (self.value(expr) for expr in node.kernel)
        c_in = layer.geometry.input[0]
        groups = c_in if node.groups is None else self.value(node.groups)
        c_out, h_out, w_out = layer.output
        grouped = as_int(groups) != 1
        numbers = product([k_h, k_w, c_in]) + (f"/{num(groups)}" if grouped else "")
        numbers += r" \cdot " + product([c_out, h_out, w_out])
        letters = r"k_h \cdot k_w \cdot C_{\mathrm{in}}" + ("/g" if grouped else "")
        letters += r" \cdot C_{\mathrm{out}} \cdot H \cdot W"
        self.check.agree(
            f"layer {layer.index} MACs",
            lambda at: exact(at(k_h) * at(k_w) * at(c_in), at(groups)) * at(c_out) * at(h_out) * at(w_out),
            layer.macs,
        )
        return Line("MACs", letters, equation(numbers, layer.macs))


def leaves(nodes: Sequence[ir.Node], prefix: str = "") -> dict[str, ir.Layer]:
    """Every leaf layer by its path, the paths made as the analysis makes them."""
    found: dict[str, ir.Layer] = {}
    for node, segment in zip(nodes, segments(nodes), strict=True):
        path = f"{prefix}/{segment}" if prefix else segment
        if isinstance(node, ir.Block):
            found.update(leaves(node.body, path))
        elif isinstance(node, ir.Branch) and node.op in ("aux", "out"):  # a head's rows: no arm level
            found.update(leaves(node.arms[0], path))
        elif isinstance(node, ir.Branch):
            for number, arm in enumerate(node.arms, 1):
                found.update(leaves(arm, f"{path}/b{number}"))
        else:
            found[path] = node
    return found
