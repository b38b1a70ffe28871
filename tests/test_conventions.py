"""The counting conventions against the tools themselves.

Every zoo entry is exported with :func:`symcnn.to_torch` and given to each
tool: fvcore (FlopCountAnalysis, ActivationCountAnalysis, parameter_count),
torchinfo (summary), ptflops (get_model_complexity_info, both backends), thop
(profile) and torch (FlopCounterMode). What the tool prints must equal the
convention's closed form, evaluated at the input size, at 224 and two other
sizes. The expected numbers come from the tools at test time, or from
../shared/REFERENCE.md where cited; none is copied from symcnn's output. The
entries of HEAVY run only with ``-m slow`` (pyproject.toml leaves them out of the
default run; .ci/run runs them).

Devices: fvcore traces with torch.jit, which fails on the meta device, and
ptflops' default backend on meta counts F.linear's meta decomposition (its
patched torch.addmm) a second time; both run on the CPU (weights left
uninitialised: counts do not depend on values). The other tools run on meta.
Both facts are asserted below, so a change in a tool shows up here.
"""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import pytest
import torch
from torch import nn
from zoo_sizes import valid_sizes

import symcnn
from symcnn.compare import Comparison, compare, matching
from symcnn.rules import CONVENTIONS
from symcnn.values import Value, as_expr, as_int, symbol, total

SIZES = (224, 97, 131)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@dataclass(frozen=True)
class Reported:
    """What a tool reports: its count (MACs or FLOPs), its parameters, its memory figures."""

    count: int
    params: int
    memory: tuple[int, ...] = ()


def _whole(number: float | int) -> int:
    """A tool's number as an int; thop returns floats, which must be whole."""
    assert float(number).is_integer(), number
    return int(number)


def _quiet() -> contextlib.AbstractContextManager[object]:
    return contextlib.redirect_stdout(io.StringIO())


def run_fvcore(model: nn.Module, x: torch.Tensor) -> Reported:
    import fvcore.nn as nn_

    analyses = []
    for analysis in (nn_.FlopCountAnalysis, nn_.ActivationCountAnalysis):
        counter = analysis(model, x)
        counter.unsupported_ops_warnings(False)
        counter.uncalled_modules_warnings(False)
        counter.tracer_warnings("none")
        analyses.append(_whole(counter.total()))
    flops, activations = analyses
    return Reported(flops, nn_.parameter_count(model)[""], (activations,))


def run_torchinfo(model: nn.Module, x: torch.Tensor) -> Reported:
    import torchinfo

    stats = torchinfo.summary(model, input_size=tuple(x.shape), device=x.device, verbose=0)
    return Reported(stats.total_mult_adds, stats.total_params, (stats.total_output_bytes, stats.total_param_bytes))


def _ptflops(backend: str) -> Callable[[nn.Module, torch.Tensor], Reported]:
    def run(model: nn.Module, x: torch.Tensor) -> Reported:
        import ptflops

        with _quiet():
            macs, params = ptflops.get_model_complexity_info(
                model, tuple(x.shape[1:]), as_strings=False, print_per_layer_stat=False, backend=backend
            )
        assert macs is not None, "ptflops failed on the module (it prints why)"
        return Reported(_whole(macs), _whole(params))

    return run


def run_thop(model: nn.Module, x: torch.Tensor) -> Reported:
    import thop

    with _quiet():
        macs, params = thop.profile(model, (x,), verbose=False)
    return Reported(_whole(macs), _whole(params))


def run_torch(model: nn.Module, x: torch.Tensor) -> Reported:
    from torch.utils.flop_counter import FlopCounterMode

    model.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(x)
    return Reported(counter.get_total_flops(), sum(p.numel() for p in model.parameters()))


# convention → (runner, device)
TOOLS: dict[str, tuple[Callable[[nn.Module, torch.Tensor], Reported], str]] = {
    "fvcore": (run_fvcore, "cpu"),
    "torchinfo": (run_torchinfo, "meta"),
    "ptflops": (_ptflops("pytorch"), "cpu"),
    "ptflops-aten": (_ptflops("aten"), "meta"),
    "thop": (run_thop, "meta"),
    "torch": (run_torch, "meta"),
}


def module_of(net: symcnn.Network, device: str) -> nn.Module:
    """``to_torch(net)`` on ``device``; on the CPU with zeros for weights (counts ignore values; no init cost)."""
    with torch.device("meta"):
        module = symcnn.to_torch(net)
    if device != "meta":
        module = module.to_empty(device=device)
        with torch.no_grad():
            for tensor in (*module.parameters(), *module.buffers()):
                tensor.zero_()
    module.eval()
    return module


def run(convention: str, net: symcnn.Network, device: str | None = None) -> Reported:
    runner, default = TOOLS[convention]
    where = device or default
    x = torch.zeros((1, *(int(size) for size in net.input)), device=where)
    return runner(module_of(net, where), x)


# ------------------------------------------------------------------ symcnn's side


@cache
def symbolic(name: str) -> Comparison:
    """Every convention of a zoo entry, in closed form in n."""
    return compare(symcnn.parse(name))


def expand(value: Value) -> Value:
    """``value`` expanded, so that equal closed forms compare equal."""
    return value if isinstance(value, int) else as_expr(value).expand()


def at(value: Value, n: int) -> int:
    """A closed form at n."""
    number = value if isinstance(value, int) else as_int(as_expr(value).xreplace({symbol("n"): n}))
    assert number is not None, value
    return number


def expected(comparison: Comparison, convention: str, n: int) -> Reported:
    row = comparison.row(convention)
    general = comparison.closed_form  # the closed forms, not the analysis' sums
    return Reported(
        at(general(row.count).general, n),
        at(general(row.params).general, n),
        tuple(at(general(figure.value).general, n) for figure in row.memory),
    )


# ------------------------------------------------------------------ the zoo

SMALLEST = {name: symcnn.parse(name).analysis.smallest_valid["n"] or 1 for name in symcnn.zoo.names()}
# Each entry at three sizes: those of SIZES it accepts, the others moved up into its domain (a U-Net's).
ZOO_CASES = [
    (convention, name, n)
    for convention in TOOLS
    for name in SMALLEST
    for n in valid_sizes(name, tuple(max(size, SMALLEST[name]) for size in SIZES))
]

# The entries whose sweep takes longest (over 7 s each for the 18 cases, on the 2-core CI machine;
# 247 s together): marked slow, so the default run leaves them to `python -m pytest -m slow`. Every
# family keeps a smaller member in the default run.
HEAVY = {
    "regnet_y_128gf",
    "regnet_y_32gf",
    "regnet_y_16gf",
    "regnet_x_32gf",
    "regnet_x_16gf",
    "efficientnet_b5",
    "efficientnet_b6",
    "efficientnet_b7",
    "efficientnet_v2_m",
    "efficientnet_v2_l",
    "densenet161",
    "densenet169",
    "densenet201",
    "convnext_large",
    "resnet101",
    "resnet152",
    "resnext101_32x8d",
    "resnext101_64x4d",
    "wide_resnet101_2",
    "fcn_resnet101",
    "deeplabv3_resnet101",
}
ZOO_PARAMS = [
    pytest.param(*case, marks=(pytest.mark.slow,) if case[1] in HEAVY else (), id="-".join(map(str, case)))
    for case in ZOO_CASES
]


@pytest.mark.parametrize(("convention", "name", "n"), ZOO_PARAMS)
def test_zoo_entry_matches_the_tool(convention: str, name: str, n: int) -> None:
    net = symcnn.parse(name, n=n)
    got = run(convention, net)
    want = expected(symbolic(name), convention, n)
    assert got == want
    # The closed form at n is also what the analysis at n counts.
    at_n = symcnn.parse(name, n=n, convention=convention)
    assert at_n.macs == got.count


def test_every_zoo_entry_is_tested_at_three_sizes() -> None:
    for name in symcnn.zoo.names():
        assert sum(1 for case in ZOO_CASES if case[1:2] == (name,)) == 3 * len(TOOLS), name
    assert set(symcnn.zoo.names()) >= HEAVY
    # Each family of the heavy entries keeps one in the default run.
    for family in ("regnet_y", "regnet_x", "efficientnet_b", "efficientnet_v2", "densenet", "convnext", "resne"):
        assert any(name.startswith(family) and name not in HEAVY for name in SMALLEST), family


# ------------------------------------------------------------------ each layer kind

# Small networks with every layer kind and every option the rules tell apart.
PROBES = [
    "conv3-8",
    "conv3-8(bias=false) relu relu6 silu swish gelu sigmoid tanh hardswish hardsigmoid softmax",
    "conv3-8 lrn lrn(size=3) dropout identity droppath",
    "conv3-8 bn bn(affine=false) bn(track_running_stats=false) bn(affine=false, track_running_stats=false)",
    "conv3-8 ln layerscale dwconv3 conv3-8(groups=4) conv3-8(stride=2)",
    "conv3-8 maxpool avgpool3(stride=1, padding=1) avgpool3(stride=2, padding=1, ceil_mode=true)",
    "conv3-8 maxpool3(stride=1, padding=1, ceil_mode=true) adaptivemaxpool3 adaptiveavgpool3 adaptiveavgpool4x2",
    "conv3-8 adaptiveavgpool5 gap flatten",
    "conv3-8 res(conv3-8 | ) cat(conv1-4 | conv1-4 | ) mul( | gap conv1-16 sigmoid)",
    "conv3-8 split( | conv1-2 bn relu) shuffle(groups=3) split(bn relu | conv3-3 | dwconv3) shuffle(groups=7)",
    "conv3-6 split(conv3-3(bias=false) maxpool3(stride=2, padding=1) | dwconv3(stride=2)) shuffle(groups=3) "
    "gap fc4 split( | fc3) relu",
    "conv3-8 fc5 bn softmax relu fc3(bias=false) ln layerscale",
    # via=: how torch runs a layer where a tool counts that apart (functional calls, a mean, a channels-last Linear).
    "conv3-8 relu(via=functional) relu6(via=functional) silu(via=functional) swish(via=functional) "
    "gelu(via=functional) sigmoid(via=functional) tanh(via=functional) hardswish(via=functional) "
    "hardsigmoid(via=functional) softmax(via=functional)",
    "conv3-8 maxpool(via=functional) avgpool3(stride=1, padding=1, via=functional) "
    "maxpool3(stride=1, padding=1, ceil_mode=true, via=functional) avgpool3(stride=2, padding=1, ceil_mode=true, "
    "via=functional) adaptivemaxpool3(via=functional) adaptiveavgpool4x2(via=functional) gap(via=functional)",
    "conv3-8 ln(via=functional) conv1-16(via=linear) gelu conv1-8(via=linear, bias=false) layerscale(via=functional) "
    "res(conv1-8(via=linear) ln | ) mul( | gap(via=mean) conv1-8 sigmoid(via=functional)) gap(via=mean) "
    "ln(via=functional) layerscale(via=functional) flatten fc3 ln(via=functional) layerscale(via=functional)",
    # Dense prediction: transposed convolutions, upsampling and resizing in each mode, pads and crops.
    "conv3-8 upconv2-12 upconv3-6(stride=2, padding=1, output_padding=1, bias=false) upconv4-4(padding=1, groups=2)"
    " upconv3-4(stride=1, dilation=2) pad1 crop2 pad2x1 crop1x2",
    "conv3-8 upsample2 upsample2(mode=bilinear) upsample2x3(mode=bilinear, align_corners=true) upsample2(mode=bicubic)"
    " maxpool3 upsample3(via=functional) upsample2(mode=bilinear, via=functional)",
    "conv3-8 maxpool resize(to=input, mode=bilinear) maxpool3 resize(size=(5, 7)) cat(conv1-4 | gap conv1-4 "
    "resize(to=branch, mode=bilinear)) cat(crop | maxpool upconv2-8)",
]


@pytest.mark.parametrize("convention", list(TOOLS))
@pytest.mark.parametrize("text", PROBES)
def test_each_layer_kind_matches_the_tool(convention: str, text: str) -> None:
    net = symcnn.parse("input 8x11x11 " + text)
    comparison = compare(net, [convention])
    got = run(convention, net, "cpu")
    row = comparison.row(convention)
    assert got == Reported(row.count, row.params, tuple(figure.value for figure in row.memory))  # type: ignore[arg-type]


# ------------------------------------------------------------------ devices and float arithmetic


@pytest.mark.parametrize("convention", [name for name, (_, device) in TOOLS.items() if device == "meta"])
def test_meta_device_matches_cpu(convention: str) -> None:
    """The tools run on meta above give on the CPU what they give on meta."""
    for text in ("squeezenet1_1", "input 8x11x11 " + PROBES[3], "input 8x11x11 " + PROBES[9]):
        net = symcnn.parse(text, n=97) if text == "squeezenet1_1" else symcnn.parse(text)
        assert run(convention, net, "meta") == run(convention, net, "cpu"), text


def test_fvcore_cannot_trace_on_meta() -> None:
    import fvcore.nn  # noqa: F401

    with pytest.raises((TypeError, RuntimeError)):
        run("fvcore", symcnn.parse("lenet5", n=32), "meta")


def test_ptflops_default_backend_on_meta_counts_fc_twice() -> None:
    """On meta, F.linear decomposes through the torch.addmm that ptflops patches: fc weights count twice."""
    import ptflops  # noqa: F401

    net = symcnn.parse("vgg16", n=224)
    fc_weights = sum(layer.weights for layer in net.layers if layer.kind == "fc")
    assert run("ptflops", net, "meta").count == run("ptflops", net, "cpu").count + fc_weights


def test_thop_adaptive_average_pool_is_float_arithmetic() -> None:
    """thop counts an adaptive average pool as (H_in·W_in/(H_out·W_out) + 1)·out in float64, truncated.

    The convention keeps the exact value, in + out; where the float product falls
    just below it (an 8×8 map pooled to 7×7: vgg16 at n = 256 … 287), thop gives one less.
    """
    import thop  # noqa: F401

    net = symcnn.parse("vgg16", n=256)
    pool = next(layer for layer in net.layers if layer.geometry.op == "adaptiveavgpool")
    assert pool.geometry.input == (512, 8, 8) and pool.output == (512, 7, 7)
    ratio = torch.prod(torch.div(torch.tensor([8.0, 8.0], dtype=torch.float64), torch.tensor([7.0, 7.0])))
    assert int((ratio + 1) * (512 * 7 * 7)) == 512 * 8 * 8 + 512 * 7 * 7 - 1  # float64, truncated
    exact = compare(net, ["thop"]).row("thop").count
    assert run("thop", net).count == exact - 1


# ------------------------------------------------------------------ compare


def cli(*argv: str) -> str:
    """``symcnn ARGV`` in a subprocess (exit status 0), its standard output."""
    return subprocess.run([sys.executable, "-m", "symcnn", *argv], capture_output=True, text=True, check=True).stdout


# ../shared/REFERENCE.md, "Multiply-accumulate counts": torchvision vgg16 at 224, measured with each tool.
REFERENCE_VGG16 = {"fvcore": 15_470_289_408, "torchinfo": 15_483_821_032, "ptflops": 15_523_225_576}


def test_compare_vgg16_lists_the_three_tools_numbers() -> None:
    output = cli("compare", "vgg16", "--n", "224")
    for name, number in REFERENCE_VGG16.items():
        assert re.search(rf"^{re.escape(name)}\s.*\b{number:,}\b MACs", output, re.MULTILINE), name


def _gap_blocks(output: str) -> dict[str, tuple[int, list[int]]]:
    """The gap lines of compare's text: "A − B = total" followed by one line per term."""
    blocks: dict[str, tuple[int, list[int]]] = {}
    current = None
    for line in output.split("Gaps, term by term", 1)[1].splitlines()[1:]:
        head = re.match(r"^  (\S+ − \S+) = ([\d,-]+)( \(.*\))?$", line)
        term = re.match(r"^      .+?\s{2,}([+-][\d,]+)(\s|$)", line)
        if head:
            current = head.group(1)
            blocks[current] = (int(head.group(2).replace(",", "")), [])
        elif term and current:
            blocks[current][1].append(int(term.group(1).replace(",", "")))
        elif not line.strip():
            break
    return blocks


def test_compare_vgg16_accounts_for_every_unit() -> None:
    """The gaps between the three tools' numbers are the sums of the terms compare prints."""
    blocks = _gap_blocks(cli("compare", "vgg16", "--n", "224"))
    assert len(blocks) == 11  # 6 from symcnn, 5 between neighbours
    pairs = (("fvcore", "torchinfo"), ("torchinfo", "ptflops"), ("fvcore", "ptflops"))
    blocks.update(_gap_blocks(cli("compare", "vgg16", "--n", "224", *(f"--convention={name}" for name in pairs[2]))))
    for first, second in pairs:
        gap, terms = blocks[f"{second} − {first}"]
        assert gap == REFERENCE_VGG16[second] - REFERENCE_VGG16[first]
        assert sum(terms) == gap, (first, second)
    for key, (gap, terms) in blocks.items():
        assert sum(terms) == gap, key


def test_gaps_add_up_in_closed_form() -> None:
    """Every gap of every zoo entry is exactly the sum of its terms, as a closed form in n."""
    for name in ("vgg16", "resnet50", "convnext_tiny", "efficientnet_b0", "alexnet-2012", "googlenet"):
        comparison = symbolic(name)
        for gap in comparison.gaps:
            terms = total(value for _, value in gap.terms)
            assert expand(gap.total) == expand(terms), (name, gap.base, gap.other)
        for row in comparison.rows:
            assert expand(row.count) == expand(total(row.terms.values())), (name, row.convention.name)


def test_parse_takes_a_convention_and_the_report_names_it() -> None:
    net = symcnn.parse("vgg16", convention="fvcore", n=224)
    assert net.convention.name == "fvcore"
    assert net.macs == REFERENCE_VGG16["fvcore"]
    report = cli("report", "vgg16", "--n", "224", "--convention", "ptflops")
    assert report.rstrip().splitlines()[-1].startswith("Counting convention ptflops: ")
    assert f"{REFERENCE_VGG16['ptflops']:,}" in report


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "vgg16", "--convention", "flops"],
        ["compare", "vgg16", "--convention", "flops"],
        ["compare", "vgg16", "--n", "16"],
        ["compare", "vgg16", "--convention", "thop", "--convention", "thop"],
    ],
)
def test_bad_input_exits_2(argv: list[str]) -> None:
    result = subprocess.run([sys.executable, "-m", "symcnn", *argv], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.startswith("symcnn: error: ")


def test_matching_names_conventions_and_quantities() -> None:
    net = symcnn.parse("vgg16", n=224)
    assert matching(REFERENCE_VGG16["torchinfo"], net) == [("torchinfo", "MACs"), ("ptflops-aten", "MACs")]
    assert ("fvcore", "MACs") in matching(REFERENCE_VGG16["fvcore"], net)
    assert ("torch", "FLOPs") in matching(2 * 15_470_264_320, net)  # REFERENCE.md: 15,470,264,320 MACs
    # REFERENCE.md: torchvision vgg16 has 138,357,544 parameters; every tool counts them all.
    assert matching(138_357_544, net) == [(name, "params") for name in CONVENTIONS]
    assert matching(1, net) == []
    with pytest.raises(symcnn.SymcnnError, match="give n a value"):
        matching(1, symcnn.parse("vgg16"))
