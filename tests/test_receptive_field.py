"""Receptive fields against torch: backpropagate from one output unit, see which input pixels move.

The oracle: the exported module (``symcnn.to_torch``) in float64 with every weight a positive
constant (1/fan-in), biases 0, the activation functions, batch and layer norms, LRN and dropout
replaced by the identity, and max pooling by an average over the same window (a depthwise
convolution of ones with the same stride, padding, dilation and ceil mode): then the gradient of an
output unit is a sum of positive products along every path and is non-zero exactly on the input
pixels the unit depends on. Its bounding box per axis is the unit's field: ``size`` (clipped to the
input at the borders), the first pixel (``start + o·jump``), and, between units o and o + 1, the jump.
Nothing here comes from symcnn's receptive field code but the prediction under test.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
import torch
from hypothesis import HealthCheck, assume, example, given, settings
from strategies import Case, networks
from torch import nn

import symcnn
from symcnn import zoo
from symcnn.export_torch import module_name
from symcnn.network import Network
from symcnn.receptive import Local, Whole
from symcnn.torch_modules import ChannelNorm

IDENTITY_TYPES = (
    nn.ReLU, nn.ReLU6, nn.GELU, nn.SiLU, nn.Hardswish, nn.Hardsigmoid, nn.Sigmoid, nn.Tanh, nn.Softmax,
    nn.Dropout, nn.LocalResponseNorm, nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm, ChannelNorm,
)  # fmt: skip


class WindowAverage(nn.Module):
    """A max pool's window averaged instead: every pixel of the window gets gradient, not the largest."""

    def __init__(self, pool: nn.MaxPool2d) -> None:
        super().__init__()
        pair = nn.modules.utils._pair
        self.kernel, self.stride = pair(pool.kernel_size), pair(pool.stride)
        self.padding, self.dilation = pair(pool.padding), pair(pool.dilation)
        self.pool = pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = self.pool(x).shape[-2:]  # torch's own output size (ceil mode included)
        extra = [  # right/bottom zeros so that a floor-mode window gives torch's size
            max(0, (out - 1) * s + d * (k - 1) + 1 - size - 2 * p)
            for out, s, d, k, size, p in zip(
                (height, width), self.stride, self.dilation, self.kernel, x.shape[-2:], self.padding
            )
        ]
        padded = nn.functional.pad(
            x, (self.padding[1], self.padding[1] + extra[1], self.padding[0], self.padding[0] + extra[0])
        )
        ones = torch.ones(x.shape[1], 1, *self.kernel, dtype=x.dtype) / math.prod(self.kernel)
        return nn.functional.conv2d(padded, ones, stride=self.stride, dilation=self.dilation, groups=x.shape[1])


def oracle_module(net: Network) -> nn.Module:
    model = symcnn.to_torch(net).double().eval()
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, IDENTITY_TYPES):
                setattr(parent, name, nn.Identity())
            elif isinstance(child, nn.MaxPool2d):
                setattr(parent, name, WindowAverage(child))
            elif isinstance(child, nn.AdaptiveMaxPool2d):
                setattr(parent, name, nn.AdaptiveAvgPool2d(child.output_size))
    with torch.no_grad():
        for module in model.modules():
            for name, parameter in module.named_parameters(recurse=False):
                if name == "weight" and parameter.dim() >= 2:
                    parameter.fill_(1.0 / parameter[0].numel())
                else:
                    parameter.fill_(0.0 if name == "bias" else 1.0)
    model.requires_grad_(False)  # the input's gradient only
    return model


def box(gradient: torch.Tensor, axis: int) -> tuple[int, int] | None:
    """First and last index along ``axis`` (0 height, 1 width) where the gradient is not 0 (None: nowhere)."""
    seen = (gradient != 0).any(dim=0).any(dim=1 - axis).nonzero().flatten()
    return (int(seen[0]), int(seen[-1])) if len(seen) else None


def chosen_rows(net: Network, every: bool) -> list[int]:
    """Rows to check: every derived row, or a spread of them (the last local one and the last row included)."""
    fields = net.receptive_fields
    derived = [i for i, f in enumerate(fields) if f.height is not None and not net.layers[i].idle]
    if every or len(derived) <= 8:
        return derived
    local = [i for i in derived if isinstance(fields[i].height, Local) and len(net.layers[i].output) == 3]
    picked = {local[round(k * (len(local) - 1) / 6)] for k in range(7)} if local else set()
    return sorted(picked | {derived[-1]})


def check_against_torch(net: Network, every: bool = False, dtype: torch.dtype = torch.float64) -> int:
    """Each chosen row's predicted box for two or three neighbouring units equals torch's where it lies
    inside the input, and holds torch's where it reaches past the border (padding at some layer may then
    cut it short); returns the number of unit axes whose box lay inside the input."""
    model = oracle_module(net).to(dtype)
    fields = net.receptive_fields
    rows = chosen_rows(net, every)
    outputs: dict[int, torch.Tensor] = {}
    for index in rows:
        module = model.get_submodule(module_name(net.layers[index]))
        module.register_forward_hook(lambda _m, _i, out, index=index: outputs.setdefault(index, out))
    channels, height, width = (int(size) for size in net.input)
    x = torch.ones(1, channels, height, width, dtype=dtype, requires_grad=True)
    model(x)
    checked = 0
    for index in rows:
        field, output = fields[index], outputs.get(index)
        if output is None or (len(output.shape) == 2 and isinstance(field.height, Local)):
            continue  # not run (an auxiliary head in eval) or flat features of one position each
        units = [(0, 0)] if len(output.shape) == 2 else _units(output.shape[-2:], field)
        for unit in units:
            # every channel of the position: a cat's arms give different channels
            picked = output[0].sum() if len(output.shape) == 2 else output[0, :, unit[0], unit[1]].sum()
            (gradient,) = torch.autograd.grad(picked, x, retain_graph=True)
            predicted = [
                _predicted(axis_field, unit[axis]) for axis, axis_field in enumerate((field.height, field.width))
            ]
            inside = [low >= 0 and high < size for (low, high), size in zip(predicted, (height, width))]
            where = (net.layers[index].path, unit, predicted)
            if box(gradient[0], 0) is None:  # no pixel moves: an axis reaches past the border, into padding only
                assert not all(inside), where
                continue
            for axis, ((low, high), size) in enumerate(zip(predicted, (height, width))):
                measured = box(gradient[0], axis)
                assert measured is not None
                if inside[axis]:
                    assert measured == (low, high), (where, axis, measured)
                    checked += 1
                else:  # padding at some layer may cut a box that reaches past the border
                    assert max(low, 0) <= measured[0] <= measured[1] <= min(high, size - 1), (where, axis, measured)
    return checked


def _units(shape: torch.Size, field: object) -> list[tuple[int, int]]:
    """The centre unit, its diagonal neighbour (the jump along both axes) and, for a periodic field,
    the unit one period on."""
    rows, cols = int(shape[0]), int(shape[1])
    middle = (rows // 2, cols // 2)
    period = max(getattr(field.height, "period", 1), getattr(field.width, "period", 1))  # type: ignore[attr-defined]
    units = {middle, (min(rows - 1, middle[0] + 1), min(cols - 1, middle[1] + 1))}
    units.add((min(rows - 1, middle[0] + period), min(cols - 1, middle[1] + period)))
    return sorted(units)


def _predicted(field: object, unit: int) -> tuple[int, int]:
    """The predicted first and last pixel of ``unit``."""
    if isinstance(field, Whole):
        assert field.low is not None and field.high is not None
        return int(field.low), int(field.high)
    assert isinstance(field, Local)
    first, last = field.unit(unit)
    return int(first), int(last)


# ------------------------------------------------------------------ Distill's numbers, computed by hand


@pytest.mark.parametrize(
    ("text", "size", "jump", "start"),
    [
        # r = 1 + (3−1)·1 + (2−1)·1 + (3−1)·2 = 8 (Distill eq. 2); j = 2; start = 0 − 1 − 0 − 1·2 = −3
        ("conv3-8 maxpool conv3-8", 8, 2, -3),
        # dilation 2 makes the kernel span 5: r = 5 + (3−1)·2·1 = 9 (padding 1 each: start −1 − 1 = −2)
        ("conv3-8(dilation=2, padding=2) conv3-8(dilation=2, padding=1)", 9, 1, -3),
        # AlexNet's first layers: 11 stride 4, then pool 3 stride 2: r = 11 + 2·4 = 19, j = 8
        ("conv11-64(stride=4, padding=2) maxpool3(stride=2)", 19, 8, -2),
    ],
)
def test_chain_by_hand(text: str, size: int, jump: int, start: int) -> None:
    field = symcnn.parse(text).receptive_fields[-1].height
    assert isinstance(field, Local)
    assert (field.size, field.jump, field.start) == (size, jump, start)


def _distill(windows: list[tuple[int, int]]) -> int:
    """Distill's recurrence r += (k − 1)·j, j *= s over (kernel, stride) windows, written out here."""
    r, j = 1, 1
    for k, s in windows:
        r, j = r + (k - 1) * j, j * s
    return r


def test_alexnet_and_vgg16_by_distills_recurrence() -> None:
    """AlexNet's and VGG-16's last pools by Distill's recurrence over their (kernel, stride) windows:
    195 and 212 (torchvision's AlexNet pads its first conv by 2: its start differs, r does not)."""
    alexnet = [(11, 4), (3, 2), (5, 1), (3, 2), (3, 1), (3, 1), (3, 1), (3, 2)]
    vgg16 = [window for convs in (2, 2, 3, 3, 3) for window in [(3, 1)] * convs + [(2, 2)]]
    assert (_distill(alexnet), _distill(vgg16)) == (195, 212)
    for name, row, size in (("alexnet", "maxpool3", _distill(alexnet)), ("vgg16", "maxpool5", _distill(vgg16))):
        net = symcnn.parse(name, n=224)
        (field,) = [f for layer, f in zip(net.layers, net.receptive_fields) if layer.path == row]
        assert isinstance(field.height, Local) and field.height.size == size


# ------------------------------------------------------------------ torch as the oracle


FAST = {"vgg16": 64, "resnet18": 128, "deeplabv3_mobilenet_v3_large": 96, "unet-padded": 32}


@pytest.mark.parametrize(("name", "n"), sorted(FAST.items()))
def test_zoo_against_torch(name: str, n: int) -> None:
    assert check_against_torch(symcnn.parse(name, n=n)) > 0


DENSE = [
    "conv3-4 upconv2-4 conv3-4",  # each output of a 2×2 stride-2 transposed conv reads one input
    "conv3-4(stride=2) upconv3-4(stride=2) conv3-4",  # a 3×3 kernel, stride 2: one input or two
    "conv3-4 maxpool upconv4-4(stride=2, padding=1) conv1-4",
    "conv3-4(stride=2) upsample2 conv3-4",
    "conv3-4(stride=2) upsample2(mode=bilinear) conv3-4",
    "conv3-4(stride=2) upsample2(mode=bicubic) conv3-4",
    "conv3-4(stride=2) upsample2(mode=bilinear, align_corners=true) conv3-4",
    "conv3-4(stride=4) conv3-4 resize(to=input, mode=bilinear)",
    "conv3-4 maxpool adaptiveavgpool5 conv3-4",
    "conv3-4 pad2 conv3-4(padding=0) crop1",
    "conv3-4(padding=0) cat(crop | maxpool conv3-4 upconv2-4)",
    "conv3-4 res(conv3-4(stride=2) upsample2 | conv1-4(dilation=3))",
    "conv3-8 mul( | gap conv1-8 sigmoid) conv3-8 gap fc10",
]


@pytest.mark.parametrize("text", DENSE)
def test_dense_layers_against_torch(text: str) -> None:
    assert check_against_torch(symcnn.parse(text, n=40), every=True) > 0


@settings(max_examples=50, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=networks())
# Once failing: a unit reading only padding; stride gaps that reach past the border (box clipped).
@example(case=Case("conv1x2-1(stride=(2, 1), padding=(1, 0))x6", ("n",), ({"n": 32},)))
@example(case=Case("(conv1-1(stride=2))x3 cat(conv3-1(dilation=2, padding=2))", ("n",), ({"n": 48},)))
def test_random_networks_against_torch(case: Case) -> None:
    try:
        symbolic = symcnn.parse(case.text)
    except symcnn.SymcnnError:
        assume(False)
        return
    assert len(symbolic.receptive_fields) == len(symbolic.layers)  # symbolic too: derived or a reason, no error
    values = {}
    for name in case.symbols:
        domain = symbolic.analysis.domains.get(name)
        assume(domain is not None and not domain.empty)
        assert domain is not None
        below, above = domain.nearest(32)
        values[name] = above if above is not None else below
    net = symbolic.at(**values)
    assume(net.macs <= 5_000_000)  # type: ignore[operator]
    check_against_torch(net, every=True)


def test_symbolic_equals_numeric() -> None:
    """The fields of a chain do not depend on n: the symbolic network's are the numeric one's."""
    for name in ("resnet50", "densenet121", "inception_v3"):
        symbolic, numeric = symcnn.parse(name).receptive_fields, symcnn.parse(name, n=299).receptive_fields
        local = [(f.height, f.width) for f in symbolic if isinstance(f.height, Local)]
        assert len(local) > 100
        assert local == [(f.height, f.width) for f in numeric if isinstance(f.height, Local)]


@pytest.mark.slow
@pytest.mark.parametrize("name", zoo.names())
def test_whole_zoo_against_torch(name: str) -> None:
    symbolic = symcnn.parse(name)
    n = max(symbolic.analysis.smallest_valid.get("n") or 1, 64)
    net = symcnn.parse(name, n=n)
    dtype = torch.float32 if int(net.params) > 100_000_000 else torch.float64  # type: ignore[call-overload]
    assert check_against_torch(net, dtype=dtype) > 0


# ------------------------------------------------------------------ the command line


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "symcnn", *argv], capture_output=True, text=True, check=False)


def test_rf_command_table_and_json() -> None:
    table = run("rf", "vgg16", "--n", "224")
    assert table.returncode == 0, table.stderr
    (pool5,) = [line for line in table.stdout.splitlines() if line.startswith("31  maxpool")]
    # 212 (by the recurrence above); j = 2⁵; start = −Σ padding·jump = −(2·1 + 2·2 + 3·4 + 3·8 + 3·16) = −90
    assert pool5.split()[2:5] == ["212", "32", "-90"]
    data = json.loads(run("rf", "conv3-8 maxpool conv3-8", "--format", "json").stdout)
    last = data["layers"][-1]["receptive_field"]["height"]
    assert (last["size"], last["jump"], last["start"]) == (8, 2, -3)  # by hand, as test_chain_by_hand


def test_report_json_and_columns() -> None:
    data = json.loads(run("report", "conv3-8 upsample2 gap fc10", "--format", "json").stdout)
    fields = [layer["receptive_field"]["height"] for layer in data["layers"]]
    assert [field["whole"] for field in fields] == [False, False, True, True]
    assert fields[1]["jump"] == "1/2" and fields[1]["period"] == 2
    columns = run("report", "resnet18", "--n", "224", "--columns", "rf")
    assert columns.returncode == 0, columns.stderr
    header, *_ = columns.stdout.splitlines()
    assert header.split()[-3:] == ["rf", "jump", "start"]
    assert "whole input" in columns.stdout
    assert "rf" not in run("report", "resnet18", "--n", "224").stdout.splitlines()[0].split()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("rf", "conv3-8("), "error"),
        (("rf", "vgg16", "--set", "k=3"), "unknown symbol 'k'"),
        (("rf", "vgg16", "--format", "csv"), "invalid choice"),
        (("report", "vgg16", "--columns", "params"), "invalid choice"),
        (("report", "vgg16", "--columns", "rf", "--format", "json"), "--columns goes with --format table"),
    ],
)
def test_bad_input_exits_2(argv: tuple[str, ...], message: str) -> None:
    result = run(*argv)
    assert result.returncode == 2
    assert result.stderr.startswith("symcnn: error: ") and message in result.stderr


def test_long_periodic_walks_end_as_not_derived() -> None:
    """A period of 64·32 units through 200 merges (a fuzz finding: 2.5 s) stops at the work limit:
    the rows after it are not derived, with the reason, and the rows before keep their fields."""
    from symcnn.receptive.fields import MAX_PERIODIC_WORK

    net = symcnn.parse("input 4xnxn (upsample64x32(via=functional) (split( | lrn silu))x100)x2", n=8)
    fields = net.receptive_fields
    stopped = [field for field in fields if field.height is None]
    assert stopped and all("units of work" in field.reason for field in stopped)
    assert f"{MAX_PERIODIC_WORK:,}" in stopped[0].reason and fields[0].height is not None
