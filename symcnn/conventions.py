"""The counting conventions: each tool's rules, one :class:`~symcnn.rules.Convention` value per tool.

The rules were read in each tool's source and measured, by running the tools,
on the modules that :func:`symcnn.to_torch` exports (``tests/test_conventions.py``)
and on torchvision's own model objects (``tests/test_tools_on_torchvision.py``).
Where torch runs a layer as a functional call, a mean or a Linear on a
channels-last map (``via=``, :data:`symcnn.ir.VIA`), a tool that hooks nn
modules counts it apart; symcnn's own convention never does:

>>> from symcnn.values import symbol
>>> n = symbol("n")
>>> conv = Geometry("conv", "conv", (64, n, n), (64, n, n), (3, 3, 64, 64), 64, 0)
>>> [(name, CONVENTIONS[name].mac_count(conv)) for name in ("symcnn", "fvcore", "torchinfo", "torch")]
[('symcnn', 36864*n**2), ('fvcore', 36864*n**2), ('torchinfo', 36928*n**2), ('torch', 73728*n**2)]
>>> CONVENTIONS["ptflops"].macs["act"].module.text
'relu, gelu 2·out; relu6, silu, swish, softmax out; others 0'
>>> relu = Geometry("act", "relu", (64, n, n), (64, n, n), (), 0, 0)
>>> functional = Geometry("act", "relu", (64, n, n), (64, n, n), (), 0, 0, via="functional")
>>> [CONVENTIONS[name].mac_count(g) for name in ("symcnn", "ptflops") for g in (relu, functional)]
[0, 0, 128*n**2, 64*n**2]
"""

from __future__ import annotations

from .rules import (
    KINDS,
    NOTHING,
    OUTPUT,
    ByFlag,
    ByOp,
    ByVia,
    Convention,
    Geometry,
    Memory,
    Params,
    PerPosition,
    Rule,
    Sum,
    Values,
    weight_macs,
)

__all__ = ["CONVENTIONS", "FVCORE", "PTFLOPS", "PTFLOPS_ATEN", "SYMCNN", "THOP", "TORCH", "TORCHINFO", "Geometry"]

_SYMCNN_IN_PLACE = {"act", "dropout", "lrn", "flatten", "identity", "crop"}  # a crop is a view, as flatten
_SYMCNN_ACTIVATIONS: dict[str, Rule] = {kind: OUTPUT for kind in KINDS if kind not in _SYMCNN_IN_PLACE}
_AS_SYMCNN = "activations: as symcnn's (the tool reports none)"

SYMCNN = Convention(
    name="symcnn",
    summary=(
        "activations: the input and every layer's output except activation functions, softmax, "
        "dropout, lrn, identity, flatten and crop (in place or a view); MACs: conv k_h·k_w·(C_in/groups)·C_out·"
        "H_out·W_out, a transposed conv k_h·k_w·C_in·(C_out/groups)·H_in·W_in (each input pixel spreads the "
        "kernel), fc in·out, no bias, every other layer 0"
    ),
    count_input=True,
    activation_rules=_SYMCNN_ACTIVATIONS,
    macs={"conv": weight_macs, "fc": weight_macs, "upconv": Params(of="in")},
    tool="symcnn's own rules (the default)",
    memory=(Memory("activations", "activations"),),
)

FVCORE = Convention(
    name="fvcore",
    summary=(
        "fvcore's FlopCountAnalysis(model, x).total(), one 'flop' per multiply-add: conv and fc weights "
        "at every output position, no bias; batch norm 2 per input value (1 without affine; 5 and 4 when "
        "it normalises with the batch's statistics); layer norm 5 per value; adaptive average pooling "
        "(gap too) 1 per input value, but a gap run as x.mean (via=mean) 0; activation functions, softmax, "
        "max and average pooling, LRN, channel shuffle and merges 0 (ops it does not support); a transposed "
        "conv its weights at every input position; upsampling and resizing 1 per output value (nearest), 4 "
        "(bilinear), 0 (bicubic); pad and crop 0; a functional call counts as its module (fvcore reads the "
        "traced aten ops); activations: ActivationCountAnalysis, the outputs of conv, transposed conv and fc "
        "only, not the input"
    ),
    count_input=False,
    activation_rules={"conv": OUTPUT, "fc": OUTPUT, "upconv": OUTPUT},
    macs={
        "conv": weight_macs,
        "fc": weight_macs,
        "upconv": Params(of="in"),
        # aten::upsample_nearest2d 1 and upsample_bilinear2d 4 per output value; bicubic unsupported (0).
        "resample": ByOp({"nearest": Values(1), "bilinear": Values(4)}),
        "bn": ByFlag(
            "running_stats",
            ByFlag("affine", Values(2, "in"), Values(1, "in")),
            ByFlag("affine", Values(5, "in"), Values(4, "in")),
        ),
        "ln": Values(5, "in"),
        # aten::mean has no fvcore handle; aten::adaptive_avg_pool2d has, functional or not.
        "pool": ByVia(ByOp({"adaptiveavgpool": Values(1, "in")}), {"mean": NOTHING}),
    },
    tool="fvcore.nn.FlopCountAnalysis(model, x).total(), fvcore 0.1.5.post20221221",
    memory=(Memory("ActivationCountAnalysis total", "activations"),),
)

TORCHINFO = Convention(
    name="torchinfo",
    summary=(
        "torchinfo's summary(...).total_mult_adds: every parameter named weight or bias times the "
        "output positions in a conv or transposed conv (biases included), once elsewhere (fc in·out + out, batch norm "
        "and layer norm 2·C, and an nn.Linear on a channels-last map (via=linear): w + b, not per "
        "position); layer scale (its parameter is gamma) and layers without parameters 0; "
        "activations: the outputs of the layers with parameters, not the input, nor a layer scale "
        "multiplied in its block's forward (via=functional: not a leaf module); 'Forward/backward "
        "pass size' is 2 × 4 bytes per such value and 'Params size' 4 bytes per parameter of a leaf "
        "module (not such a layer scale's), in MB of 10^6 bytes"
    ),
    count_input=False,
    activation_rules={
        "conv": OUTPUT,
        "fc": OUTPUT,
        "upconv": OUTPUT,
        "bn": ByFlag("affine", OUTPUT, NOTHING),
        "ln": OUTPUT,
        # torchinfo counts the outputs of leaf modules with parameters; torchvision's γ is its block's.
        "scale": ByVia(OUTPUT, {"functional": NOTHING}),
    },
    macs={
        # "Conv" in the class name multiplies by the output positions; an nn.Linear counts its
        # parameters once per batch row, however many positions it is applied at.
        "conv": ByVia(Params(1, 1), {"linear": Params(1, 1, per_position=False)}),
        "upconv": Params(1, 1),
        "fc": Params(1, 1),
        "bn": Params(1, 1, per_position=False),
        "ln": Params(1, 1, per_position=False),
    },
    tool="torchinfo.summary(model, input_size=(1, C, H, W)).total_mult_adds, torchinfo 1.8.0",
    memory=(
        Memory("Forward/backward pass size", "activations", 8, "bytes", 10**6, "MB"),
        Memory("Params size", "stored params", 4, "bytes", 10**6, "MB"),
    ),
    unstored_params=frozenset({("scale", "functional")}),
)

# ptflops (both backends) counts a transposed conv's weights at the input positions, its bias at the output's.
_UPCONV_WITH_BIAS = Sum((Params(of="in"), Params(0, 1)))

# ptflops hooks nn modules by their exact type and patches some torch.nn.functional calls: a module
# whose forward makes a patched call counts twice (nn.ReLU calls F.relu), a functional call once.
_PTFLOPS_ACTIVATIONS = {"relu": 2, "gelu": 2, "relu6": 1, "silu": 1, "swish": 1, "softmax": 1}

PTFLOPS = Convention(
    name="ptflops",
    summary=(
        "ptflops' get_model_complexity_info(model, (C, H, W)), default pytorch backend: conv and fc "
        "with their biases (an nn.Linear on a channels-last map, via=linear, too); batch norm 2 per input "
        "value (1 without affine), layer norm 1 (0 for a LayerNorm2d-like module that calls F.layer_norm, "
        "via=functional); every pooling 2 per input value and relu and gelu 2 per value (the module's hook "
        "and the patched functional both count); relu6 (a module hook only), silu and softmax (patched "
        "functionals only) 1 per value; called as functionals (via=functional) relu, gelu, relu6, silu, "
        "softmax 1 per value and every pooling 1 per input value, a gap run as x.mean (via=mean) 0; "
        "sigmoid, tanh, hardswish, hardsigmoid 0; LRN (4·C + size − 1)·H·W (its patched mul, avg_pool3d, "
        "mul and add); a transposed conv its weights at every input position and its bias at every output "
        "position; nn.Upsample 2 per output value (its hook and the patched F.interpolate), F.interpolate "
        "(via=functional, resize) 1; layer scale, channel shuffle, pad, crop and merges 0; " + _AS_SYMCNN
    ),
    count_input=True,
    activation_rules=_SYMCNN_ACTIVATIONS,
    macs={
        "conv": Params(1, 1),
        "fc": Params(1, 1),
        "upconv": _UPCONV_WITH_BIAS,
        # nn.Upsample's own hook and the F.interpolate it calls each count the output; a bare call once.
        "resample": ByVia(Values(2), {"functional": Values(1)}),
        "bn": ByFlag("affine", Values(2, "in"), Values(1, "in")),
        "ln": ByVia(Values(1, "in"), {"functional": NOTHING}),
        "pool": ByVia(Values(2, "in"), {"functional": Values(1, "in"), "mean": NOTHING}),
        "act": ByVia(
            ByOp({op: Values(factor) for op, factor in _PTFLOPS_ACTIVATIONS.items()}),
            {"functional": ByOp({op: Values(1) for op in _PTFLOPS_ACTIVATIONS})},
        ),
        "lrn": PerPosition(4, -1, window=1),
    },
    tool="ptflops.get_model_complexity_info(model, (C, H, W), as_strings=False)[0], ptflops 0.7.5",
)

PTFLOPS_ATEN = Convention(
    name="ptflops-aten",
    summary=(
        "ptflops' get_model_complexity_info(..., backend='aten'): the aten convolution, addmm and mm "
        "only, conv and fc with their biases (an nn.Linear on a contiguous channels-last map, via=linear, "
        "is an addmm with its bias), a transposed conv its weights at every input position and its bias at "
        "every output position, every other layer 0; " + _AS_SYMCNN
    ),
    count_input=True,
    activation_rules=_SYMCNN_ACTIVATIONS,
    macs={"conv": Params(1, 1), "fc": Params(1, 1), "upconv": _UPCONV_WITH_BIAS},
    tool="ptflops.get_model_complexity_info(model, (C, H, W), as_strings=False, backend='aten')[0], ptflops 0.7.5",
)

THOP = Convention(
    name="thop",
    summary=(
        "thop's profile(model, (x,)): conv and fc weights at every output position, no bias (an nn.Linear "
        "on a channels-last map, via=linear, too); batch norm 4 per input value (2 without affine), layer "
        "norm 4; softmax (3·C − 1) per position; average pooling 1 per output value, adaptive average "
        "pooling (gap too) 1 per input and output value (computed in float64 and truncated: one less at "
        "some sizes, e.g. 8×8 to 7×7); activation functions, max pooling, LRN, channel shuffle and merges 0; "
        "whatever runs as a functional call or a mean (via=functional, via=mean: it hooks nn modules by "
        "their exact type) 0, a LayerNorm2d's parameters (ln(via=functional)) not counted either; layer scale "
        "has no rule, so neither its MACs nor its parameters count; a transposed conv its weights at every "
        "output position (its conv rule); nn.Upsample 1 (nearest), 11 (bilinear), 259 (bicubic) per output "
        "value, F.interpolate (resize) 0; pad and crop 0; " + _AS_SYMCNN
    ),
    count_input=True,
    activation_rules=_SYMCNN_ACTIVATIONS,
    macs={
        "conv": weight_macs,
        "fc": weight_macs,
        "upconv": weight_macs,  # its conv rule: the weights at every output position
        "resample": ByVia(
            ByOp({"nearest": Values(1), "bilinear": Values(11), "bicubic": Values(259)}), {"functional": NOTHING}
        ),
        "bn": ByFlag("affine", Values(4, "in"), Values(2, "in")),
        "ln": ByVia(Values(4, "in"), {"functional": NOTHING}),
        "act": ByVia(ByOp({"softmax": PerPosition(3, -1)}), {"functional": NOTHING}),
        "pool": ByVia(
            ByOp({"avgpool": Values(1, "out"), "adaptiveavgpool": Sum((Values(1, "in"), Values(1, "out")))}),
            {"functional": NOTHING, "mean": NOTHING},
        ),
    },
    tool="thop.profile(model, (x,))[0], thop 0.1.1.post2209072238",
    # thop counts the parameters of the modules it has a rule for: not a LayerNorm2d's (via=functional).
    unreported_params=frozenset({"scale", ("ln", "functional")}),
    run_params_only=True,  # googlenet: 6,624,904 on torchvision's model, whose heads eval mode skips
)

TORCH = Convention(
    name="torch",
    summary=(
        "torch.utils.flop_counter.FlopCounterMode's total, in FLOPs (2 per multiply-add, so the MACs "
        "column holds FLOPs): conv and fc weights at every output position (an nn.Linear on a channels-last "
        "map too), a transposed conv's at every input position, no bias, every other layer 0; " + _AS_SYMCNN
    ),
    count_input=True,
    activation_rules=_SYMCNN_ACTIVATIONS,
    macs={"conv": Params(2), "fc": Params(2), "upconv": Params(2, of="in")},
    unit="FLOPs",
    tool="torch.utils.flop_counter.FlopCounterMode().get_total_flops(), torch 2.13",
)

CONVENTIONS: dict[str, Convention] = {
    convention.name: convention for convention in (SYMCNN, FVCORE, TORCHINFO, PTFLOPS, PTFLOPS_ATEN, THOP, TORCH)
}
