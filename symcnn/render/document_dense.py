r"""The derivation lines of dense prediction's layers: a transposed convolution's output size and
parameters, and the sizes that upsampling, resizing, padding and cropping give.

>>> import symcnn
>>> from symcnn.render.document_layers import Layers
>>> net = symcnn.parse("conv3-8 upconv2-4 pad1 crop2", n=8)
>>> layers = Layers(net)
>>> [line.numbers for line in dense_lines(layers, net.layers[1], net.layers[1].path)]
['$= (8 - 1) \\cdot 2 - 2 \\cdot 0 + 1 \\cdot (2 - 1) + 0 + 1 = 16$', '$= 2 \\cdot 2 \\cdot 8 \\cdot 4 + 4 = 132$']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeAlias

from .. import ir
from ..analysis import LayerResult
from ..values import Value, as_int
from .document_check import Getter, exact
from .document_layers import Line, equation, num, product

if TYPE_CHECKING:
    from .document_layers import Layers

Formula: TypeAlias = Callable[[Getter], int]
_TARGETS = {"input": "the network's input size", "branch": "the size entering its branch"}


def dense_lines(layers: Layers, layer: LayerResult, path: str) -> list[Line]:
    """The size (and parameter) lines of an upconv, resampling, pad or crop row; [] for other rows."""
    node = layers.nodes.get(path)
    if isinstance(node, ir.TransposedConv):
        return [*_transposed_sizes(layers, layer, node), _transposed_params(layers, layer, node)]
    if len(layer.output) != 3:
        return []
    inputs = layer.geometry.input[1:]
    if isinstance(node, ir.Resample) and node.target == "factor" and node.factor is not None:
        factors = [layers.value(expr) for expr in node.factor]
        numbers = [f"{num(f)} \\cdot {num(x)}" for f, x in zip(factors, inputs, strict=True)]
        formulas = [_scaled(x, f, 0, 1) for f, x in zip(factors, inputs, strict=True)]
        return _per_axis(layers, layer, r"f \cdot x", numbers, formulas)
    if isinstance(node, ir.Pad) or (isinstance(node, ir.Crop) and node.margin is not None):
        sign = 1 if isinstance(node, ir.Pad) else -1
        margins = [layers.value(expr) for expr in (node.padding if isinstance(node, ir.Pad) else node.margin or ())]
        numbers = [
            f"{num(x)} {'+' if sign > 0 else '-'} 2 \\cdot {num(m)}" for m, x in zip(margins, inputs, strict=True)
        ]
        formulas = [_scaled(x, 1, m, 2 * sign) for m, x in zip(margins, inputs, strict=True)]
        return _per_axis(layers, layer, "x + 2p" if sign > 0 else "x - 2c", numbers, formulas)
    shown = f"$= {num(layer.output[1])} \\times {num(layer.output[2])}$"
    if isinstance(node, ir.Resample):
        what = _TARGETS.get(node.target, "a size it is given")
        return [Line("output $H, W$", r"\text{" + what + "}", shown)]
    if isinstance(node, ir.Crop):
        return [Line("output $H, W$", r"\text{the merge's size}", shown, "centred, offset half the difference")]
    return []


def _scaled(x: Value, factor: Value, margin: Value, times: int) -> Formula:
    """factor·x + times·margin, worked out at the sample values."""
    return lambda at: at(factor) * at(x) + times * at(margin)


def _per_axis(layers: Layers, layer: LayerResult, rule: str, numbers: list[str], formulas: list[Formula]) -> list[Line]:
    outputs = layer.output[1:]
    for formula, out in zip(formulas, outputs, strict=True):
        layers.check.agree(f"layer {layer.index} output size", formula, out)
    if numbers[0] == numbers[1]:
        return [Line("output $H, W$", rule, equation(numbers[0], outputs[0]))]
    return [Line(f"output ${axis}$", rule, equation(text, out)) for axis, text, out in zip("HW", numbers, outputs)]


def _transposed_sizes(layers: Layers, layer: LayerResult, node: ir.TransposedConv) -> list[Line]:
    rule = r"(x - 1) \cdot s - 2p + d \cdot (k - 1) + p_{\mathrm{out}} + 1"
    numbers, formulas = [], []
    pairs = (node.kernel, node.stride, node.padding, node.dilation, node.output_padding)
    for axis in (0, 1):
        k, s, p, d, e = (layers.value(pair[axis]) for pair in pairs)
        x = layer.geometry.input[axis + 1]
        numbers.append(
            f"({num(x)} - 1) \\cdot {num(s)} - 2 \\cdot {num(p)} + {num(d)} \\cdot ({num(k)} - 1) + {num(e)} + 1"
        )
        formulas.append(_transposed_size(x, k, s, p, d, e))
    return _per_axis(layers, layer, rule, numbers, formulas)


def _transposed_size(x: Value, k: Value, s: Value, p: Value, d: Value, e: Value) -> Formula:
    return lambda at: (at(x) - 1) * at(s) - 2 * at(p) + at(d) * (at(k) - 1) + at(e) + 1


def _transposed_params(layers: Layers, layer: LayerResult, node: ir.TransposedConv) -> Line:
    k_h, k_w = (layers.value(expr) for expr in node.kernel)
    c_in, c_out = layer.geometry.input[0], layer.output[0]
    groups: Value = layers.value(node.groups)
    grouped = as_int(groups) != 1
    numbers = product([k_h, k_w, c_in, c_out]) + (f"/{num(groups)}" if grouped else "")
    rule = r"k_h \cdot k_w \cdot C_{\mathrm{in}} \cdot C_{\mathrm{out}}" + ("/g" if grouped else "")
    if node.bias:
        numbers, rule = f"{numbers} + {num(c_out)}", rule + r" + C_{\mathrm{out}}"
    bias = 1 if node.bias else 0

    def params(at: Getter) -> int:
        return exact(at(k_h) * at(k_w) * at(c_in) * at(c_out), at(groups)) + bias * at(c_out)

    layers.check.agree(f"layer {layer.index} parameters", params, layer.params)
    return Line("parameters", rule, equation(numbers, layer.params))
