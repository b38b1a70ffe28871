"""Syntax tree → IR for the layers of dense prediction: upconv, upsample, resize, pad and crop.

Functions of the builder (:class:`symcnn.build._Builder` calls them from its table of
layer builders), apart so that the layers of encoder–decoder networks have a room of
their own:

>>> from symcnn.build import build
>>> up, sample, size, pad, crop = build("upconv2-64 upsample2(mode=bilinear) resize(to=input) pad1 crop4").layers
>>> up.stride == up.kernel, sample.factor == size.factor, size.target, pad.padding == crop.margin
(True, False, 'input', False)
>>> build("resize(to=output)")
Traceback (most recent call last):
...
symcnn.errors.NotationSyntaxError: line 1, column 11: to=output is not one of input, branch; did you mean 'input'?
resize(to=output)
          ^
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from lark import Token, Tree

from . import ir
from .build_via import Word
from .errors import LayerError

if TYPE_CHECKING:
    from .build import _Builder

MODES = ("nearest", "bilinear", "bicubic")
"""Interpolation modes of upsample and resize, as torch names them (a 4-D input)."""
_TARGETS = ("input", "branch")


def upconv(builder: _Builder, tree: Tree[Token]) -> ir.Layer:
    """``upconv2-64``: ConvTranspose2d(cin, 64, 2, stride=2); ``deconv`` is the same word."""
    span = builder._span(tree)
    kernel = builder._kernel(tree.children[1])
    allowed = ("stride", "padding", "output_padding", "dilation", "groups", "bias")
    options = builder._options(tree, span, allowed)
    return ir.TransposedConv(
        kernel=kernel,
        out_channels=builder._expr(tree.children[2]),
        # U-Net's "up-convolution 2×2" doubles the size: the stride is the kernel unless given.
        stride=builder._pair(options.take("stride", kernel), span, "stride"),
        padding=builder._pair(options.take("padding", ir.Num(0)), span, "padding"),
        output_padding=builder._pair(options.take("output_padding", ir.Num(0)), span, "output_padding"),
        dilation=builder._pair(options.take("dilation", ir.Num(1)), span, "dilation"),
        groups=builder._single(options.take("groups", ir.Num(1)), span, "groups"),
        bias=builder._bool(options.take("bias", True), span, "bias"),
        span=span,
    )


def upsample(builder: _Builder, tree: Tree[Token]) -> ir.Layer:
    """``upsample2``, ``upsample2x3(mode=bilinear, align_corners=true)``: nn.Upsample(scale_factor=…)."""
    span = builder._span(tree)
    factors = [
        builder._expr(child) for child in tree.children[1:] if isinstance(child, Tree) and child.data != "options"
    ]
    options = builder._options(tree, span, ("align_corners",), ("functional",), {"mode": MODES})
    mode, align = _interpolation(builder, options, span)
    return ir.Resample("factor", (factors[0], factors[-1]), mode, align, span, options.via)


def resize(builder: _Builder, tree: Tree[Token]) -> ir.Layer:
    """``resize(to=input)``, ``resize(to=branch)``, ``resize(size=(h, w))``: F.interpolate(x, size=…)."""
    span = builder._span(tree)
    options = builder._options(tree, span, ("size", "align_corners"), (), {"mode": MODES, "to": _TARGETS})
    mode, align = _interpolation(builder, options, span)
    target = options.take("to", Word(""))
    size = options.given.get("size")
    assert isinstance(target, Word)
    if bool(target.text) == (size is not None):
        reason = "resize takes either to=input or to=branch (a size it meets) or size=… (a size it is given)"
        raise builder._layer_error(span, reason)
    if size is not None:
        return ir.Resample("size", builder._pair(size[0], span, "size"), mode, align, span, "functional")
    kind: Literal["input", "branch"] = "input" if target.text == "input" else "branch"
    return ir.Resample(kind, None, mode, align, span, "functional")


def check_crops(nodes: tuple[ir.Node, ...], arm_of: str = "") -> None:
    """A bare ``crop`` takes its size from its branch: it must end an arm of a res, cat, mul or split.

    >>> from symcnn.build import build  # which checks every text it builds
    >>> check_crops(build("cat(crop | maxpool upconv2-3)").layers)
    >>> build("conv3-8 crop relu")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symcnn.errors.LayerError: layer 'crop' (line 1, column 9): a crop without a margin takes the size of ...
    """
    seen: set[int] = set()  # a block's body is one tuple, however often it is used

    def walk(sequence: tuple[ir.Node, ...], merges: bool) -> None:
        if id(sequence) in seen:
            return
        seen.add(id(sequence))
        for position, node in enumerate(sequence):
            if isinstance(node, ir.Crop) and node.margin is None and not (merges and position == len(sequence) - 1):
                span = node.span
                raise LayerError(
                    f"layer {span.text!r} (line {span.line}, column {span.column})",
                    "a crop without a margin takes the size of the other arms of its branch, so it must end an "
                    "arm of res(…), cat(…), mul(…) or split(…); give it a margin (crop2)",
                )
            if isinstance(node, ir.Branch):
                for arm in node.arms:
                    walk(arm, node.op not in ("aux", "out"))
            elif isinstance(node, ir.Block):
                walk(node.body, False)

    walk(nodes, False)


def _interpolation(builder: _Builder, options: object, span: ir.Span) -> tuple[str, bool]:
    from .build import _Options

    assert isinstance(options, _Options)
    mode = options.take("mode", Word("nearest"))
    assert isinstance(mode, Word)
    align = builder._bool(options.take("align_corners", False), span, "align_corners")
    if align and mode.text == "nearest":  # torch refuses it too
        raise builder._layer_error(span, "align_corners applies to bilinear and bicubic modes, not nearest")
    return mode.text, align


def pad(builder: _Builder, tree: Tree[Token]) -> ir.Layer:
    """``pad1``, ``pad1x2``: nn.ZeroPad2d, the pixels added on each side (top and bottom, left and right)."""
    span = builder._span(tree)
    sizes = [builder._expr(child) for child in tree.children[1:] if isinstance(child, Tree) and child.data != "options"]
    builder._options(tree, span, ())
    return ir.Pad((sizes[0], sizes[-1]), span)


def crop(builder: _Builder, tree: Tree[Token]) -> ir.Layer:
    """``crop4``, ``crop4x2``: a centre crop of 4 pixels on each side (4 top and bottom, 2 left and right);
    ``crop``: to the size its branch merges at."""
    span = builder._span(tree)
    sizes = [builder._expr(child) for child in tree.children[1:] if isinstance(child, Tree) and child.data != "options"]
    builder._options(tree, span, ())
    return ir.Crop((sizes[0], sizes[-1]) if sizes else None, span)
