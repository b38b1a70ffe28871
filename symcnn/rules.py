"""Counting conventions: what each layer kind adds to MACs and to memory, per tool.

Parameters and buffers are facts of a layer; multiply-accumulates and
activations depend on rules that every tool chooses for itself (is the bias
addition counted? pooling? the activation functions? the input?). Each tool's
choices are one :class:`Convention` value: a table from layer kind to
:class:`Rule`, data rather than ``if`` statements spread over the code. The
rules were read in each tool's source and measured on the modules that
:func:`symcnn.to_torch` exports (``tests/test_conventions.py`` runs the tools):

>>> from symcnn.values import symbol
>>> n = symbol("n")
>>> conv = Geometry("conv", "conv", (64, n, n), (64, n, n), (3, 3, 64, 64), 64, 0)
>>> [(name, CONVENTIONS[name].mac_count(conv)) for name in ("symcnn", "fvcore", "torchinfo", "torch")]
[('symcnn', 36864*n**2), ('fvcore', 36864*n**2), ('torchinfo', 36928*n**2), ('torch', 73728*n**2)]
>>> CONVENTIONS["ptflops"].macs["act"].text
'relu, gelu 2·out; relu6, silu, swish, softmax out; others 0'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import SymcnnError
from .values import Value, as_int, product, total

# Every kind of row the analysis makes; add, cat and mul are the merges of branches (a split merges as cat).
# shuffle (ShuffleNet's channel shuffle) writes a new contiguous tensor: an activation wherever
# the convention counts other parameter-free layers that are not in place (pooling).
KINDS = (
    "conv", "pool", "fc", "bn", "ln", "scale", "act", "dropout", "lrn", "flatten", "identity", "shuffle",
    "add", "cat", "mul",
)  # fmt: skip


@dataclass(frozen=True)
class Geometry:
    """The facts of one applied layer that counting rules may use.

    ``kind`` is one of :data:`KINDS`; ``op`` names the operation within it
    (relu, softmax …; maxpool, avgpool, adaptiveavgpool …; conv, dwconv).
    ``input`` and ``output`` are (C, H, W) or (features,). The weights are the
    product of ``weight_factors`` (k_h, k_w, C_in/groups, C_out for a conv;
    C, H, W, out for an fc that flattens). ``window`` is the pooling window
    (k_h, k_w) or the LRN's (size,) across channels, empty for other layers.
    """

    kind: str
    op: str
    input: tuple[Value, ...]
    output: tuple[Value, ...]
    weight_factors: tuple[Value, ...]
    biases: Value
    buffers: Value
    parts: tuple[tuple[Value, ...], ...] = ()  # the arms' outputs, for a branch's merge
    window: tuple[Value, ...] = ()

    @property
    def weights(self) -> Value:
        return product(self.weight_factors) if self.weight_factors else 0

    @property
    def params(self) -> Value:
        """Weights and biases."""
        return self.weights + self.biases

    @property
    def input_values(self) -> Value:
        return product(self.input)

    @property
    def output_values(self) -> Value:
        return product(self.output)

    @property
    def output_area(self) -> Value:
        """H·W of a C×H×W output, 1 for a flat one."""
        return product(self.output[1:])

    @property
    def affine(self) -> bool:
        """Whether the layer has learnable weights (a batch norm's scale and shift)."""
        return bool(self.weight_factors)

    @property
    def running_stats(self) -> bool:
        """Whether the layer keeps buffers (a batch norm's running statistics)."""
        return as_int(self.buffers) != 0


# ---------------------------------------------------------------- rules


@dataclass(frozen=True)
class Rule:
    """What one layer adds to a count: a function of its :class:`Geometry`, with a short text.

    ``parts`` splits the count into named pieces (a conv's weights and biases);
    the value is their sum. Texts use w and b for the weights and biases, P for
    the output positions (H·W; 1 for a flat output), in and out for the input's
    and output's values, C for the input channels.
    """

    def __call__(self, geometry: Geometry) -> Value:
        return total(value for _, value in self.parts(geometry))

    def parts(self, geometry: Geometry) -> tuple[tuple[str, Value], ...]:
        raise NotImplementedError

    @property
    def text(self) -> str:
        raise NotImplementedError


MacRule = Rule


def _times(factor: int, what: str) -> str:
    return what if factor == 1 else f"{factor}·{what}"


@dataclass(frozen=True)
class Params(Rule):
    """``weights``·w + ``biases``·b, at every output position when ``per_position``.

    >>> Params(1, 1).text, Params(2).text, Params(1, 1, per_position=False).text
    ('(w + b)·P', '2·w·P', 'w + b')
    """

    weights: int = 1
    biases: int = 0
    per_position: bool = True

    def parts(self, geometry: Geometry) -> tuple[tuple[str, Value], ...]:
        positions = geometry.output_area if self.per_position else 1
        return (
            ("weights", self.weights * geometry.weights * positions),
            ("biases", self.biases * geometry.biases * positions),
        )

    @property
    def text(self) -> str:
        terms = [_times(factor, name) for factor, name in ((self.weights, "w"), (self.biases, "b")) if factor]
        inner = " + ".join(terms) or "0"
        if not self.per_position:
            return inner
        return f"({inner})·P" if len(terms) > 1 else f"{inner}·P"


@dataclass(frozen=True)
class Values(Rule):
    """``factor`` per value of the layer's input (``of="in"``) or output (``of="out"``).

    >>> Values(2, "in").text, Values(1, "out").text, Values(0).text
    ('2·in', 'out', '0')
    """

    factor: int
    of: str = "out"

    def parts(self, geometry: Geometry) -> tuple[tuple[str, Value], ...]:
        values = geometry.input_values if self.of == "in" else geometry.output_values
        return (("", self.factor * values if self.factor else 0),)

    @property
    def text(self) -> str:
        return _times(self.factor, self.of) if self.factor else "0"


@dataclass(frozen=True)
class PerPosition(Rule):
    """(``per_channel``·C + ``constant`` + ``window``·size)·P, C the input channels, size the LRN's.

    >>> PerPosition(3, -1).text, PerPosition(4, -1, window=1).text
    ('(3·C − 1)·P', '(4·C + size − 1)·P')
    """

    per_channel: int
    constant: int = 0
    window: int = 0

    def parts(self, geometry: Geometry) -> tuple[tuple[str, Value], ...]:
        if self.window and not geometry.window:
            raise SymcnnError(f"counting a {geometry.op} this way needs its size as a whole number")
        size = geometry.window[0] if self.window else 0
        per_position = self.per_channel * geometry.input[0] + self.constant + self.window * size
        return (("", per_position * geometry.output_area),)

    @property
    def text(self) -> str:
        inner = _times(self.per_channel, "C")
        if self.window:
            inner += " + " + _times(self.window, "size")
        if self.constant:
            inner += f" {'+' if self.constant > 0 else '−'} {abs(self.constant)}"
        return f"({inner})·P"


@dataclass(frozen=True)
class Sum(Rule):
    """The sum of several rules.

    >>> Sum((Values(1, "in"), Values(1, "out"))).text
    'in + out'
    """

    terms: tuple[Rule, ...]

    def parts(self, geometry: Geometry) -> tuple[tuple[str, Value], ...]:
        return (("", total(rule(geometry) for rule in self.terms)),)

    @property
    def text(self) -> str:
        return " + ".join(rule.text for rule in self.terms)


@dataclass(frozen=True)
class ByOp(Rule):
    """A rule per operation (``Geometry.op``); other operations add 0.

    >>> ByOp({"relu": Values(2), "gelu": Values(2), "silu": Values(1)}).text
    'relu, gelu 2·out; silu out; others 0'
    """

    rules: Mapping[str, Rule] = field(hash=False)

    def parts(self, geometry: Geometry) -> tuple[tuple[str, Value], ...]:
        rule = self.rules.get(geometry.op)
        return (("", 0),) if rule is None else rule.parts(geometry)

    @property
    def text(self) -> str:
        grouped: dict[str, list[str]] = {}
        for op, rule in self.rules.items():
            grouped.setdefault(rule.text, []).append(op)
        return "; ".join(f"{', '.join(ops)} {text}" for text, ops in grouped.items()) + "; others 0"


@dataclass(frozen=True)
class ByFlag(Rule):
    """``yes`` when the layer's flag (``affine`` or ``running_stats``) holds, else ``no``.

    >>> ByFlag("affine", Values(2, "in"), Values(1, "in")).text
    '2·in with affine, in without'
    """

    flag: str
    yes: Rule
    no: Rule

    def parts(self, geometry: Geometry) -> tuple[tuple[str, Value], ...]:
        return (self.yes if getattr(geometry, self.flag) else self.no).parts(geometry)

    @property
    def text(self) -> str:
        flag = self.flag.replace("_", " ")
        return f"{self.yes.text} with {flag}, {self.no.text} without"


weight_macs = Params()
"""One multiply-add per weight per output position: conv and fc, no bias."""

OUTPUT = Values(1, "out")
NOTHING = Values(0)

# ---------------------------------------------------------------- conventions


@dataclass(frozen=True)
class Memory:
    """One memory figure a tool reports: ``factor`` times a total of the convention.

    ``quantity`` is "activations" or "params"; ``factor`` is what one counted
    value weighs (4 bytes in float32; 8 = 4 bytes, forward and backward);
    ``unit`` is what the figure counts ("values" or "bytes"); the tool prints
    it in units of ``scale`` of them, named ``scale_name`` (torchinfo: MB of
    10**6 bytes, not MiB).
    """

    title: str
    quantity: str
    factor: int = 1
    unit: str = "values"
    scale: int = 1
    scale_name: str = ""


@dataclass(frozen=True)
class Convention:
    """How one tool counts: MACs (or FLOPs) and activations per layer kind, and its memory figures.

    ``macs`` and ``activation_rules`` map a layer kind to its :class:`Rule`; a
    kind without one adds 0. ``count_input``: whether the input counts as an
    activation. ``unit``: what ``macs`` counts, "MACs" (one per multiply-add) or
    "FLOPs" (two). ``tool``: the call whose number the convention reproduces.
    ``unreported_params``: kinds whose parameters the tool leaves out of its total.
    """

    name: str
    summary: str
    count_input: bool
    activation_rules: Mapping[str, Rule] = field(hash=False)
    macs: Mapping[str, Rule] = field(default_factory=dict, hash=False)
    unit: str = "MACs"
    tool: str = ""
    memory: tuple[Memory, ...] = ()
    unreported_params: frozenset[str] = frozenset()

    @property
    def in_place(self) -> frozenset[str]:
        """The kinds that never add an activation."""
        return frozenset(kind for kind in KINDS if kind not in self.activation_rules)

    def activations(self, geometry: Geometry) -> Value:
        rule = self.activation_rules.get(geometry.kind)
        return 0 if rule is None else rule(geometry)

    def mac_count(self, geometry: Geometry) -> Value:
        rule = self.macs.get(geometry.kind)
        return 0 if rule is None else rule(geometry)

    def params(self, geometry: Geometry) -> Value:
        """The parameters the tool counts for this layer."""
        return 0 if geometry.kind in self.unreported_params else geometry.params


_SYMCNN_IN_PLACE = {"act", "dropout", "lrn", "flatten", "identity"}
_SYMCNN_ACTIVATIONS: dict[str, Rule] = {kind: OUTPUT for kind in KINDS if kind not in _SYMCNN_IN_PLACE}
_AS_SYMCNN = "activations: as symcnn's (the tool reports none)"

SYMCNN = Convention(
    name="symcnn",
    summary=(
        "activations: the input and every layer's output except activation functions, softmax, "
        "dropout, lrn, identity and flatten (in place); MACs: conv k_h·k_w·(C_in/groups)·C_out·H_out·W_out, "
        "fc in·out, no bias, every other layer 0"
    ),
    count_input=True,
    activation_rules=_SYMCNN_ACTIVATIONS,
    macs={"conv": weight_macs, "fc": weight_macs},
    tool="symcnn's own rules (the default)",
    memory=(Memory("activations", "activations"),),
)

FVCORE = Convention(
    name="fvcore",
    summary=(
        "fvcore's FlopCountAnalysis(model, x).total(), one 'flop' per multiply-add: conv and fc weights "
        "at every output position, no bias; batch norm 2 per input value (1 without affine; 5 and 4 when "
        "it normalises with the batch's statistics); layer norm 5 per value; adaptive average pooling "
        "(gap too) 1 per input value; activation functions, softmax, max and average pooling, LRN, "
        "channel shuffle and merges 0 (ops it does not support); activations: ActivationCountAnalysis, "
        "the outputs of conv and fc only, not the input"
    ),
    count_input=False,
    activation_rules={"conv": OUTPUT, "fc": OUTPUT},
    macs={
        "conv": weight_macs,
        "fc": weight_macs,
        "bn": ByFlag(
            "running_stats",
            ByFlag("affine", Values(2, "in"), Values(1, "in")),
            ByFlag("affine", Values(5, "in"), Values(4, "in")),
        ),
        "ln": Values(5, "in"),
        "pool": ByOp({"adaptiveavgpool": Values(1, "in")}),
    },
    tool="fvcore.nn.FlopCountAnalysis(model, x).total(), fvcore 0.1.5.post20221221",
    memory=(Memory("ActivationCountAnalysis total", "activations"),),
)

TORCHINFO = Convention(
    name="torchinfo",
    summary=(
        "torchinfo's summary(...).total_mult_adds: every parameter named weight or bias times the "
        "output positions in a conv (biases included), once elsewhere (fc in·out + out, batch norm "
        "and layer norm 2·C); layer scale (its parameter is gamma) and layers without parameters 0; "
        "activations: the outputs of the layers with parameters, not the input; 'Forward/backward "
        "pass size' is 2 × 4 bytes per such value and 'Params size' 4 bytes per parameter, "
        "in MB of 10^6 bytes"
    ),
    count_input=False,
    activation_rules={
        "conv": OUTPUT,
        "fc": OUTPUT,
        "bn": ByFlag("affine", OUTPUT, NOTHING),
        "ln": OUTPUT,
        "scale": OUTPUT,
    },
    macs={
        "conv": Params(1, 1),
        "fc": Params(1, 1),
        "bn": Params(1, 1, per_position=False),
        "ln": Params(1, 1, per_position=False),
    },
    tool="torchinfo.summary(model, input_size=(1, C, H, W)).total_mult_adds, torchinfo 1.8.0",
    memory=(
        Memory("Forward/backward pass size", "activations", 8, "bytes", 10**6, "MB"),
        Memory("Params size", "params", 4, "bytes", 10**6, "MB"),
    ),
)

PTFLOPS = Convention(
    name="ptflops",
    summary=(
        "ptflops' get_model_complexity_info(model, (C, H, W)), default pytorch backend: conv and fc "
        "with their biases; batch norm 2 per input value (1 without affine), layer norm 1; every pooling "
        "2 per input value and relu and gelu 2 per value (the module's hook and the patched functional "
        "both count); relu6 (a module hook only), silu and softmax (patched functionals only) 1 per value; "
        "sigmoid, tanh, hardswish, hardsigmoid 0; LRN (4·C + size − 1)·H·W (its patched mul, avg_pool3d, "
        "mul and add); layer scale, channel shuffle and merges 0; " + _AS_SYMCNN
    ),
    count_input=True,
    activation_rules=_SYMCNN_ACTIVATIONS,
    macs={
        "conv": Params(1, 1),
        "fc": Params(1, 1),
        "bn": ByFlag("affine", Values(2, "in"), Values(1, "in")),
        "ln": Values(1, "in"),
        "pool": Values(2, "in"),
        "act": ByOp(
            {
                "relu": Values(2),
                "gelu": Values(2),
                "relu6": Values(1),
                "silu": Values(1),
                "swish": Values(1),
                "softmax": Values(1),
            }
        ),
        "lrn": PerPosition(4, -1, window=1),
    },
    tool="ptflops.get_model_complexity_info(model, (C, H, W), as_strings=False)[0], ptflops 0.7.5",
)

PTFLOPS_ATEN = Convention(
    name="ptflops-aten",
    summary=(
        "ptflops' get_model_complexity_info(..., backend='aten'): the aten convolution, addmm and mm "
        "only, conv and fc with their biases, every other layer 0; " + _AS_SYMCNN
    ),
    count_input=True,
    activation_rules=_SYMCNN_ACTIVATIONS,
    macs={"conv": Params(1, 1), "fc": Params(1, 1)},
    tool="ptflops.get_model_complexity_info(model, (C, H, W), as_strings=False, backend='aten')[0], ptflops 0.7.5",
)

THOP = Convention(
    name="thop",
    summary=(
        "thop's profile(model, (x,)): conv and fc weights at every output position, no bias; batch norm "
        "4 per input value (2 without affine), layer norm 4; softmax (3·C − 1) per position; average "
        "pooling 1 per output value, adaptive average pooling (gap too) 1 per input and output value "
        "(computed in float64 and truncated: one less at some sizes, e.g. 8×8 to 7×7); activation "
        "functions, max pooling, LRN, channel shuffle and merges 0; layer scale has no rule, so neither its "
        "MACs nor its parameters count; " + _AS_SYMCNN
    ),
    count_input=True,
    activation_rules=_SYMCNN_ACTIVATIONS,
    macs={
        "conv": weight_macs,
        "fc": weight_macs,
        "bn": ByFlag("affine", Values(4, "in"), Values(2, "in")),
        "ln": Values(4, "in"),
        "act": ByOp({"softmax": PerPosition(3, -1)}),
        "pool": ByOp({"avgpool": Values(1, "out"), "adaptiveavgpool": Sum((Values(1, "in"), Values(1, "out")))}),
    },
    tool="thop.profile(model, (x,))[0], thop 0.1.1.post2209072238",
    unreported_params=frozenset({"scale"}),
)

TORCH = Convention(
    name="torch",
    summary=(
        "torch.utils.flop_counter.FlopCounterMode's total, in FLOPs (2 per multiply-add, so the MACs "
        "column holds FLOPs): conv and fc weights at every output position, no bias, every other layer 0; " + _AS_SYMCNN
    ),
    count_input=True,
    activation_rules=_SYMCNN_ACTIVATIONS,
    macs={"conv": Params(2), "fc": Params(2)},
    unit="FLOPs",
    tool="torch.utils.flop_counter.FlopCounterMode().get_total_flops(), torch 2.13",
)

CONVENTIONS: dict[str, Convention] = {
    convention.name: convention for convention in (SYMCNN, FVCORE, TORCHINFO, PTFLOPS, PTFLOPS_ATEN, THOP, TORCH)
}
