"""The layer IR: what a text says, as frozen plain data.

The IR knows nothing of lark (the parser produced it) and nothing of sympy
(the analysis interprets it). Numbers the user wrote are kept as small
arithmetic trees (:class:`Num`, :class:`Sym`, :class:`BinOp`) so that ``fc{k}``
stays a function of ``k`` until a value is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# ------------------------------------------------------------------ arithmetic


@dataclass(frozen=True)
class Num:
    """An integer the user wrote."""

    value: int


@dataclass(frozen=True)
class Sym:
    """A symbol, a positive integer whose value may be given later."""

    name: str


@dataclass(frozen=True)
class Frac:
    """A decimal the user wrote (``1.2``), kept exact as numerator/denominator."""

    numerator: int
    denominator: int


Operator = Literal["+", "-", "*", "/", "//"]


@dataclass(frozen=True)
class BinOp:
    """``left op right`` with op one of ``+ - * / //`` (``/`` exact, ``//`` floored)."""

    op: Operator
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Call:
    """One of the functions of :data:`symcnn.braces.FUNCTIONS`: ``make_divisible(c*1.2, 8)``."""

    name: str
    args: tuple[Expr, ...]


Expr = Num | Frac | Sym | BinOp | Call
Pair = tuple[Expr, Expr]

CIN = "cin"
"""Inside a block, ``{cin}`` is the channel count of the block's input at each use: the
analysis binds it, so it is never a free symbol of a network."""


def symbols_of(expr: Expr) -> frozenset[str]:
    """The names of the symbols in ``expr``.

    >>> sorted(symbols_of(BinOp("*", Sym("w"), BinOp("+", Num(2), Sym("c")))))
    ['c', 'w']
    """
    if isinstance(expr, Sym):
        return frozenset({expr.name})
    if isinstance(expr, BinOp):
        return symbols_of(expr.left) | symbols_of(expr.right)
    if isinstance(expr, Call):
        return frozenset().union(*(symbols_of(arg) for arg in expr.args))
    return frozenset()


# ------------------------------------------------------------------ layers


@dataclass(frozen=True)
class Span:
    """Where a layer was written: 1-based line and column, and its text."""

    line: int
    column: int
    text: str


@dataclass(frozen=True)
class Conv:
    """A 2-D convolution. ``out_channels`` None means depthwise (= channels in)."""

    kernel: Pair
    out_channels: Expr | None
    stride: Pair
    padding: Pair
    dilation: Pair
    groups: Expr | None  # None: 1, or the channels in when depthwise
    bias: bool
    span: Span = field(compare=False)  # where it was written: two equal layers may stand apart
    via: str = ""  # how torch runs it, where that changes what a tool counts (VIA); "" the nn module

    @property
    def depthwise(self) -> bool:
        return self.out_channels is None


@dataclass(frozen=True)
class Pool:
    """Max or average pooling over a window (PyTorch's MaxPool2d/AvgPool2d)."""

    mode: Literal["max", "avg"]
    kernel: Pair
    stride: Pair
    padding: Pair
    dilation: Pair
    ceil_mode: bool
    span: Span = field(compare=False)  # where it was written: two equal layers may stand apart
    via: str = ""  # how torch runs it, where that changes what a tool counts (VIA); "" the nn module


@dataclass(frozen=True)
class AdaptivePool:
    """Pooling to a fixed output size; ``gap`` is output (1, 1)."""

    mode: Literal["max", "avg"]
    output: Pair
    span: Span = field(compare=False)  # where it was written: two equal layers may stand apart
    via: str = ""  # how torch runs it, where that changes what a tool counts (VIA); "" the nn module


@dataclass(frozen=True)
class Linear:
    """A fully connected layer; flattens C×H×W first."""

    out_features: Expr
    bias: bool
    span: Span = field(compare=False)  # where it was written: two equal layers may stand apart


@dataclass(frozen=True)
class BatchNorm:
    """Batch norm over channels (BatchNorm2d, or BatchNorm1d after an fc)."""

    affine: bool
    track_running_stats: bool
    span: Span = field(compare=False)  # where it was written: two equal layers may stand apart


@dataclass(frozen=True)
class Elementwise:
    """A layer without parameters that keeps the shape: relu, softmax, lrn…

    ``options`` keeps the settings that matter only to an exported module
    (dropout's ``p``, lrn's ``size``) as (name, text) pairs.
    """

    op: str
    options: tuple[tuple[str, str], ...]
    span: Span = field(compare=False)  # where it was written: two equal layers may stand apart
    via: str = ""  # how torch runs it, where that changes what a tool counts (VIA); "" the nn module


@dataclass(frozen=True)
class Flatten:
    """C×H×W to C·H·W."""

    span: Span = field(compare=False)  # where it was written: two equal layers may stand apart


@dataclass(frozen=True)
class ChannelNorm:
    """Layer norm over the channels at each position (ConvNeXt's LayerNorm2d)."""

    span: Span = field(compare=False)  # where it was written: two equal layers may stand apart
    via: str = ""  # how torch runs it, where that changes what a tool counts (VIA); "" the nn module


@dataclass(frozen=True)
class LayerScale:
    """One learnable factor per channel (ConvNeXt's layer scale)."""

    span: Span = field(compare=False)  # where it was written: two equal layers may stand apart
    via: str = ""  # how torch runs it, where that changes what a tool counts (VIA); "" the nn module


@dataclass(frozen=True)
class Shuffle:
    """ShuffleNet's channel shuffle: C channels as ``groups`` × C/groups, transposed (no parameters)."""

    groups: Expr
    span: Span = field(compare=False)  # where it was written: two equal layers may stand apart


@dataclass(frozen=True)
class TransposedConv:
    """ConvTranspose2d: each input pixel spreads a kernel; out = (x − 1)·s − 2p + d·(k − 1) + output_padding + 1."""

    kernel: Pair
    out_channels: Expr
    stride: Pair
    padding: Pair
    output_padding: Pair
    dilation: Pair
    groups: Expr
    bias: bool
    span: Span = field(compare=False)  # where it was written: two equal layers may stand apart


@dataclass(frozen=True)
class Resample:
    """Upsampling by whole factors (``upsample2``: nn.Upsample) or resizing to a size (``resize``:
    F.interpolate(size=…)). ``target`` is "factor", "input" (the network's input size), "branch"
    (the size entering the innermost branch around it) or "size" (``size`` itself)."""

    target: Literal["factor", "input", "branch", "size"]
    factor: Pair | None  # the factors (target "factor") or the size (target "size")
    mode: str  # nearest, bilinear or bicubic, as torch names them
    align_corners: bool
    span: Span = field(compare=False)  # where it was written: two equal layers may stand apart
    via: str = ""  # "": the nn module (upsample), "functional": F.interpolate (resize always is)


@dataclass(frozen=True)
class Pad:
    """Zero padding by (top and bottom, left and right) pixels: nn.ZeroPad2d."""

    padding: Pair
    span: Span = field(compare=False)  # where it was written: two equal layers may stand apart


@dataclass(frozen=True)
class Crop:
    """A centre crop by (top and bottom, left and right) pixels, or, with ``margin`` None, to the size
    the other arms of its branch give (U-Net's skip connections); the last layer of its arm then."""

    margin: Pair | None
    span: Span = field(compare=False)  # where it was written: two equal layers may stand apart


VIA: dict[str, str] = {
    "functional": "a call of torch.nn.functional (F.relu, F.max_pool2d, F.adaptive_avg_pool2d) or, for a layer "
    "norm or layer scale, the op inside a module the tools do not know (LayerNorm2d, a block's own γ)",
    "mean": "x.mean([2, 3]): a global average pool as a tensor method, no pooling op at all",
    "linear": "an nn.Linear over the channels at every position of a channels-last map (x.permute(0, 2, 3, 1))",
}
"""The values of ``via=``: how torch runs a layer where that changes what a tool counts.

Shapes, parameters and symcnn's own counts never depend on it; each tool's
convention follows the tool (:mod:`symcnn.conventions`). The empty string is the
nn module (``nn.ReLU``, ``nn.MaxPool2d``, ``nn.Conv2d`` …).
"""


Layer = (
    Conv
    | Pool
    | AdaptivePool
    | Linear
    | BatchNorm
    | ChannelNorm
    | LayerScale
    | Elementwise
    | Flatten
    | Shuffle
    | TransposedConv
    | Resample
    | Pad
    | Crop
)


@dataclass(frozen=True)
class Branch:
    """Parallel arms on one input, merged: res adds, cat concatenates channels,
    mul multiplies (a C×1×1 arm broadcasts). An empty arm is the identity.
    split gives arm i the i-th of as many equal channel chunks as there are arms
    and concatenates the arms' outputs (ShuffleNetV2). aux has one arm, a side head
    whose output is not merged: the main path goes on with the branch's input; torch runs
    it in training only. out is such a head that always runs: a second output of the network
    (a segmentation model's auxiliary classifier)."""

    op: Literal["res", "cat", "mul", "split", "aux", "out"]
    arms: tuple[tuple[Node, ...], ...]
    span: Span = field(compare=False)  # where it was written: two equal layers may stand apart


@dataclass(frozen=True)
class Block:
    """One use of a named block (``let``), its arguments already put in."""

    name: str
    args: tuple[Expr, ...]
    body: tuple[Node, ...]
    span: Span = field(compare=False)  # where it was written: two equal layers may stand apart


Node = Layer | Branch | Block


@dataclass(frozen=True)
class Input:
    """The input shape, channels first; ``span`` is where the text says it (None: the default)."""

    channels: Expr
    height: Expr
    width: Expr
    span: Span | None = field(default=None, compare=False, repr=False)


DEFAULT_INPUT = Input(Num(3), Sym("n"), Sym("n"))


@dataclass(frozen=True)
class Architecture:
    """A parsed text: its input and its layers in order (repetitions expanded)."""

    input: Input
    layers: tuple[Node, ...]
    text: str = field(default="", compare=False, repr=False)
    symbols: frozenset[str] | None = field(default=None, compare=False, repr=False)  # known when parsed


def expr_text(expr: Expr) -> str:
    """The expression as the notation writes it inside braces.

    >>> expr_text(BinOp("//", BinOp("+", Sym("c"), Num(4)), Num(2)))
    '(c + 4) // 2'
    """
    if isinstance(expr, Num):
        return str(expr.value)
    if isinstance(expr, Frac):
        return _decimal_text(expr)
    if isinstance(expr, Sym):
        return expr.name
    if isinstance(expr, Call):
        return f"{expr.name}({', '.join(expr_text(arg) for arg in expr.args)})"
    left, right = expr_text(expr.left), expr_text(expr.right)
    if isinstance(expr.left, BinOp) and _PRECEDENCE[expr.left.op] < _PRECEDENCE[expr.op]:
        left = f"({left})"
    if isinstance(expr.right, BinOp) and _PRECEDENCE[expr.right.op] <= _PRECEDENCE[expr.op]:
        right = f"({right})"
    return f"{left} {expr.op} {right}"


_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "//": 2}


def _decimal_text(number: Frac) -> str:
    """A decimal as written: Frac(6, 5) → 1.2 (a denominator of 2s and 5s ends), else 6/5.

    >>> _decimal_text(Frac(6, 5)), _decimal_text(Frac(1, 3))
    ('1.2', '1/3')
    """
    numerator, denominator, digits = number.numerator, number.denominator, 0
    while denominator % 10 != 1 and digits < 30 and (10**digits) % denominator != 0:
        digits += 1
    if (10**digits) % denominator:
        return f"{numerator}/{denominator}"
    scaled = numerator * (10**digits // denominator)
    sign, text = ("-" if scaled < 0 else ""), str(abs(scaled)).rjust(digits + 1, "0")
    return f"{sign}{text[:-digits]}.{text[-digits:]}" if digits else f"{sign}{text}"


def architecture_symbols(architecture: Architecture) -> frozenset[str]:
    """Every symbol an architecture mentions, its input's included.

    >>> from symcnn.build import build
    >>> sorted(architecture_symbols(build("conv3-{w*64} fc{k}")))
    ['k', 'n', 'w']
    """
    if architecture.symbols is not None:
        return architecture.symbols
    found: set[str] = set()

    def visit(value: object) -> None:
        if isinstance(value, (Num, Frac, Sym, BinOp, Call)):
            found.update(symbols_of(value))
        elif isinstance(value, tuple):
            for item in value:
                visit(item)
        elif hasattr(value, "__dataclass_fields__"):
            for name in value.__dataclass_fields__:
                visit(getattr(value, name))

    visit(architecture.input)
    visit(architecture.layers)
    return frozenset(found - {CIN})


def uses_cin(layer: Layer) -> bool:
    """Whether a layer's numbers mention ``{cin}`` (its value then depends on the block it is in).

    >>> uses_cin(Linear(BinOp("//", Sym("cin"), Num(2)), True, Span(1, 1, "")))
    True
    """
    return any(
        CIN in symbols_of(part)
        for value in vars(layer).values()
        for part in (value if isinstance(value, tuple) else (value,))
        if isinstance(part, (Num, Frac, Sym, BinOp, Call))
    )
