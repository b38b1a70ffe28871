"""``symcnn.from_torch`` / ``symcnn.notation`` / ``symcnn import``: PyTorch models as notation.

Every expected number comes from torch: the module's own parameters and buffers, and the shape
torch gives on the meta device.

* round trip: random texts (``strategies.networks``) exported with ``symcnn.to_torch`` and imported
  again have the module's parameters, buffers and output shape, and the original's totals;
* torchvision's classification CNNs: each one listed in ``SUPPORTED`` imports with torchvision's
  parameters and buffers and its output shape at 224 and 225; ``UNSUPPORTED`` lists the others with
  the refusal each gets (vision transformers are out of scope);
* the command line prints a text that ``symcnn.parse`` reads back.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
import torch
import torchvision
from hypothesis import HealthCheck, given, settings
from strategies import Case, networks
from test_zoo_torchvision import build
from torch import nn

import symcnn
from symcnn.errors import SizeError, SymcnnError

ROUND_TRIP = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
# Not activations: a one-arm cat (``cat()``) is torch.cat([x]), which the import reads as x itself
# (DenseNet's first layer in each block concatenates its one input, and the zoo counts no copy there).
QUANTITIES = ("params", "buffers", "macs")


def counts(module: nn.Module) -> tuple[int, int]:
    return sum(p.numel() for p in module.parameters()), sum(b.numel() for b in module.buffers())


def torch_shape(module: nn.Module, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The output shape torch gives (without the batch), on the meta device; a batch of two, as a batch
    norm without running statistics needs."""
    with torch.no_grad():
        return tuple(module(torch.empty((2, *shape), device="meta")).shape[1:])


def output(net: symcnn.Network) -> tuple[int, ...]:
    return tuple(int(size) for size in (net.layers[-1].output if net.layers else net.input))


# ------------------------------------------------------------------ round trip


@ROUND_TRIP
@given(case=networks())
def test_round_trip_of_random_networks(case: Case) -> None:
    try:
        net = symcnn.parse(case.text)
    except SizeError:
        return
    valid = []
    for values in case.sizes:
        with contextlib.suppress(SizeError):
            valid.append((values, net.at(**values)))
    if not valid:
        return
    values, fixed = valid[0]
    with torch.device("meta"):
        module = symcnn.to_torch(fixed).eval()
    shape = "x".join(str(size) for size in net.input)
    imported = symcnn.from_torch(module, shape, values)
    at = imported.at(**values)
    assert (at.params, at.buffers) == counts(module)
    assert output(at) == torch_shape(module, tuple(int(size) for size in fixed.input))
    for other, original in valid:
        again = imported.at(**other)
        assert output(again) == output(original)
        for quantity in QUANTITIES:
            assert again.total(quantity) == original.total(quantity), (quantity, other)


def test_round_trip_keeps_branches_and_via() -> None:
    text = (
        "conv3-8(stride=2, bias=false) bn relu6 res(conv3-8 bn | ) split( | conv1-4 relu) shuffle "
        "mul( | gap conv1-2 silu conv1-8 hardsigmoid) cat( | maxpool3(stride=1, padding=1, via=functional)) "
        "conv1-16(via=linear) gelu(via=functional) gap(via=mean) flatten fc10 bn dropout(p=0.2) softmax"
    )
    net = symcnn.parse(text)
    module = symcnn.to_torch(net, n=32)
    imported = symcnn.from_torch(module, sizes={"n": 32})
    assert [layer.name for layer in imported.at(n=32).layers] == [layer.name for layer in net.at(n=32).layers]
    assert (imported.at(n=32).params, imported.at(n=32).buffers) == counts(module)


# ------------------------------------------------------------------ torchvision

EXCLUDED = ("vit_", "swin_", "maxvit_")
# What cannot be imported, and why: each gets this refusal.
UNSUPPORTED = {
    # The auxiliary classifiers run only in training mode: fx traces eval mode, so their parameters are never used.
    "googlenet": r"unsupported: parameters the forward never uses in eval mode \(aux1, aux2\)",
    "inception_v3": r"unsupported: parameters the forward never uses in eval mode \(AuxLogits\)",
}
SUPPORTED = sorted(
    name
    for name in torchvision.models.list_models(module=torchvision.models)
    if not name.startswith(EXCLUDED) and name not in UNSUPPORTED
)
SIZES = (224, 225)


@cache
def imported(name: str) -> tuple[nn.Module, symcnn.Network]:
    model = build(name)
    return model, symcnn.from_torch(model)


@pytest.mark.parametrize("name", SUPPORTED)
def test_torchvision_model_imports(name: str) -> None:
    model, net = imported(name)
    for n in SIZES:
        fixed = net.at(n=n)
        assert (fixed.params, fixed.buffers) == counts(model)
        assert output(fixed) == torch_shape(model, (3, n, n)), n


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_torchvision_model_refused(name: str) -> None:
    with pytest.raises(SymcnnError, match=UNSUPPORTED[name]):
        symcnn.notation(build(name))


def test_resnet50_reads_like_the_zoo() -> None:
    """Repeated submodules become let blocks, runs of one block a count."""
    text = symcnn.notation(imported("resnet50")[0])
    assert "let Bottleneck_1 = res(" in text
    assert "(Bottleneck_2)x2" in text


# ------------------------------------------------------------------ refusals


class Rolled(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.roll(self.conv(x), 1, 2)


class Branchy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.sum() > 0:
            return self.conv(x)
        return x


def test_unsupported_op_is_named_with_its_place() -> None:
    outer = nn.Sequential(nn.Sequential(Rolled()))
    with pytest.raises(SymcnnError, match=r"^unsupported: torch\.roll at 0\.0$"):
        symcnn.notation(outer)


def test_untraceable_model_gets_the_tracers_reason() -> None:
    with pytest.raises(SymcnnError, match=r"^torch\.fx cannot trace Branchy: symbolically traced variables cannot"):
        symcnn.notation(Branchy())


def test_bad_input_shape() -> None:
    with pytest.raises(SymcnnError, match="expected CxHxW"):
        symcnn.notation(Rolled(), "3xn")


# ------------------------------------------------------------------ command line


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "symcnn", *args], capture_output=True, text=True, check=False)


def test_command_line_import() -> None:
    done = run("import", "torchvision.models.resnet50")
    assert done.returncode == 0, done.stderr
    params, buffers = counts(build("resnet50"))
    net = symcnn.parse(done.stdout)
    assert (net.params, net.buffers) == (params, buffers)


def test_command_line_import_with_literal_keywords() -> None:
    done = run("import", "torchvision.models.mobilenet_v3_small(num_classes=10)", "--input", "3xhxw")
    assert done.returncode == 0, done.stderr
    model = torchvision.models.mobilenet_v3_small(num_classes=10)
    assert symcnn.parse(done.stdout).at(h=97, w=131).params == counts(model)[0]


def test_command_line_refuses_code() -> None:
    done = run("import", "torchvision.models.resnet50(weights=__import__('os'))")
    assert done.returncode == 2
    assert "must be a literal" in done.stderr
    done = run("import", "torchvision.models.googlenet")
    assert done.returncode == 2
    assert "symcnn: error: unsupported: parameters the forward never uses" in done.stderr


@pytest.mark.parametrize("spec", ["os.system('touch symcnn-was-here')", "shutil.rmtree('.')", "builtins.exec('1')"])
def test_command_line_refuses_the_standard_library(spec: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "symcnn", "import", spec], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert done.returncode == 2 and "is Python's standard library, not a package of models" in done.stderr
    assert list(tmp_path.iterdir()) == []  # nothing ran
