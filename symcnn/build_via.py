"""``via=`` on a layer: how torch runs it, where that changes what a tool counts (:data:`symcnn.ir.VIA`).

A part of the builder (:class:`symcnn.build._Builder` inherits it): it accepts
``via=`` only on the layers and with the values that mean something, and refuses
the rest with a caret under the spot:

>>> from symcnn.build import build
>>> [layer.via for layer in build("relu(via=functional) gap(via=mean) conv1-8(via=linear)").layers]
['functional', 'mean', 'linear']
>>> build("maxpool(via=mean)")
Traceback (most recent call last):
...
symcnn.errors.NotationSyntaxError: line 1, column 13: via=mean does not apply to maxpool; it takes functional
maxpool(via=mean)
            ^
"""

from __future__ import annotations

from dataclasses import dataclass

from lark import Token, Tree

from . import ir
from .build_expr import ExpressionBuilder, suggest


@dataclass(frozen=True)
class Word:
    """A bare word as an option's value: only ``via=`` takes one (``relu(via=functional)``)."""

    text: str


# The activation functions, which torch may run as a functional call (F.relu …) rather than a module.
ACTIVATIONS = ("relu", "relu6", "sigmoid", "tanh", "silu", "swish", "gelu", "hardswish", "hardsigmoid", "softmax")
SIMPLE_VIA: dict[str, tuple[str, ...]] = {op: ("functional",) for op in (*ACTIVATIONS, "ln", "layerscale")}
"""The ``via=`` values of the layers without numbers (the others say theirs where they are built)."""


def layer_word(text: str) -> str:
    """The layer a text starts with, for a message: conv3-64(stride=2) → conv3-64.

    >>> layer_word("maxpool3(stride=2, via=mean)"), layer_word("bn")
    ('maxpool3', 'bn')
    """
    return text.split("(", 1)[0]


class ViaBuilder(ExpressionBuilder):
    """Checks ``via=``: its value on the layer, and the convolution that ``via=linear`` is."""

    def _via(self, name: str, option: Tree[Token], value: Tree[Token], span: ir.Span, vias: tuple[str, ...]) -> Word:
        """The value of option ``name``, ``via``: one of ``vias``, the ways torch runs this layer that some tool
        counts apart. Another option given a word is refused here too: only ``via=`` takes one."""
        if name != "via":
            word = str(value.children[0])
            reason = (
                f"option {name!r} takes a number, true or false, not the word {word!r}"
                f" (a symbol goes in braces: {{{word}}}); only via=, mode= and to= take a word"
            )
            raise self._syntax(value, reason)
        layer = layer_word(span.text)
        if not vias:
            reason = (
                f"via= does not apply to {layer}: torch runs it one way as far as the tools count; via= applies "
                "to activation functions, pooling, ln and layerscale (functional), gap (functional, mean) and "
                "1×1 convolutions (linear)"
            )
            raise self._syntax(option, reason)
        choices = " or ".join(vias)
        if value.data != "word":
            raise self._syntax(value, f"via= takes a word: {choices}")
        word = str(value.children[0])
        if word not in vias:
            hint = "" if word in ir.VIA else suggest(word, vias)
            raise self._syntax(value, f"via={word} does not apply to {layer}; it takes {choices}{hint}")
        return Word(word)

    def _word(self, name: str, option: Tree[Token], value: Tree[Token], choices: tuple[str, ...]) -> Word:
        """The value of a word option such as ``mode=bilinear``: one of ``choices``, or an error at its caret."""
        listed = ", ".join(choices)
        if value.data != "word":
            raise self._syntax(value, f"option {name!r} takes one of {listed}")
        word = str(value.children[0])
        if word not in choices:
            raise self._syntax(value, f"{name}={word} is not one of {listed}{suggest(word, choices)}")
        return Word(word)

    def _check_linear(self, conv: ir.Conv, where: Tree[Token]) -> None:
        """An nn.Linear over the channels is a 1×1 convolution with stride 1, no padding, dilation 1, groups 1."""
        wanted = {"kernel": 1, "stride": 1, "padding": 0, "dilation": 1, "groups": 1}
        given = {
            "kernel": conv.kernel,
            "stride": conv.stride,
            "padding": conv.padding,
            "dilation": conv.dilation,
            "groups": (conv.groups or ir.Num(1),),
        }
        for name, numbers in given.items():
            if all(isinstance(number, ir.Num) and number.value == wanted[name] for number in numbers):
                continue
            texts = [ir.expr_text(number) for number in numbers]
            distinct = list(dict.fromkeys(texts))
            value = distinct[0] if len(distinct) == 1 else f"({', '.join(texts)})"
            shown = f"a {'×'.join(texts)} kernel" if name == "kernel" else f"{name} {value}"
            reason = (
                "via=linear is an nn.Linear over the channels at each position: it needs a 1×1 kernel, stride 1, "
                f"padding 0, dilation 1 and groups 1, written as numbers; {layer_word(conv.span.text)} has {shown}"
            )
            raise self._syntax(where, reason)
