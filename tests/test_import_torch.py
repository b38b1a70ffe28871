"""``symcnn.from_torch`` / ``symcnn.notation`` / ``symcnn import``: PyTorch models as notation.

Every expected number comes from torch: the module's own parameters and buffers, and the shape
torch gives on the meta device.

* round trip: random texts (``strategies.networks``) exported with ``symcnn.to_torch`` and imported
  again have the module's parameters, buffers and output shape, and the original's totals;
* torchvision's classification CNNs (every one but the vision transformers, which are out of scope)
  import with torchvision's parameters and buffers and its output shape at 224 and 225;
* googlenet's and inception_v3's auxiliary heads, which only training runs, import as ``aux(…)``:
  every total equals the hand-written zoo entry's in both modes, and the heads' outputs have the
  shapes torch returns in training mode;
* under each tool's convention, the imported network's MACs and activation figures are the tool's
  own output on the very module object imported (resnet18, googlenet; mobilenet_v2, densenet121 slow);
* the command line prints a text that ``symcnn.parse`` reads back, and refuses what is not a model.
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
from test_conventions import TOOLS
from test_tools_on_torchvision import torchvision_model as tools_model
from test_zoo_torchvision import build
from torch import nn

import symcnn
from symcnn.compare import compare
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
SUPPORTED = sorted(
    name for name in torchvision.models.list_models(module=torchvision.models) if not name.startswith(EXCLUDED)
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


# ------------------------------------------------------------------ auxiliary heads

HEADS = ("googlenet", "inception_v3")
HEAD_SIZE = 299  # Inception-v3's auxiliary head runs from about 299 (its main path from 75)


@pytest.mark.parametrize("name", HEADS)
def test_auxiliary_heads_count_as_the_zoo_entry(name: str) -> None:
    """The hand-written zoo entry (aux(…) heads by hand) is the second route: every total, in both modes,
    with and without the heads."""
    text = symcnn.notation(imported(name)[0])
    assert text.count("= aux(") + text.count(" aux(") >= 1
    for mode in ("eval", "train"):
        for aux in (True, False):
            mine = symcnn.parse(text, mode=mode, aux=aux, n=HEAD_SIZE)
            zoo = symcnn.parse(name, mode=mode, aux=aux, n=HEAD_SIZE)
            for quantity in ("params", "buffers", "macs", "activations"):
                assert mine.total(quantity) == zoo.total(quantity), (mode, aux, quantity)


@pytest.mark.parametrize("name", HEADS)
def test_auxiliary_heads_give_torchs_training_outputs(name: str) -> None:
    """In training mode torch returns the heads' outputs beside the main one: each head's last row has the
    shape of one of them, and the heads' parameters are the modules' own."""
    model = imported(name)[0]
    fixed = symcnn.parse(symcnn.notation(model), mode="train", n=HEAD_SIZE)
    last: dict[str, tuple[int, ...]] = {}
    for layer in fixed.layers:
        if "aux/" in layer.path:
            last[layer.path.split("aux/")[0]] = tuple(int(size) for size in layer.output)
    model.train()
    try:
        with torch.no_grad():
            returned = model(torch.empty((2, 3, HEAD_SIZE, HEAD_SIZE), device="meta"))
    finally:
        model.eval()
    assert sorted(last.values()) == sorted(tuple(head.shape[1:]) for head in returned[1:])
    aux_params = sum(layer.params for layer in fixed.layers if "aux/" in layer.path)
    heads = [child for child_name, child in model.named_children() if "aux" in child_name.lower()]
    assert aux_params == sum(counts(head)[0] for head in heads) > 0


def test_resnet50_reads_like_the_zoo() -> None:
    """Repeated submodules become let blocks, runs of one block a count."""
    text = symcnn.notation(imported("resnet50")[0])
    assert "let Bottleneck_1 = res(" in text
    assert "(Bottleneck_2)x2" in text


# ------------------------------------------------------------------ the tools on the same module

# resnet18 and googlenet (functional relus, an auxiliary head) by default, 20 s; the others slow (45 s more).
TOOL_MODELS = [
    pytest.param(name, marks=() if name in ("resnet18", "googlenet") else (pytest.mark.slow,))
    for name in ("resnet18", "mobilenet_v2", "densenet121", "googlenet")
]


@pytest.mark.usefixtures("one_torch_thread")
@pytest.mark.parametrize("convention", sorted(TOOLS))
@pytest.mark.parametrize("name", TOOL_MODELS)
def test_imported_macs_are_each_tools_own_count(name: str, convention: str) -> None:
    """The imported network's MACs under a tool's convention, and the activation figures the tool reports,
    are the tool's own output on the very module object imported (the tools run as the zoo's checks run
    them: tests/test_conventions.py's runners, tests/test_tools_on_torchvision.py's models)."""
    runner, device = TOOLS[convention]
    model = tools_model(name, device)
    net = symcnn.from_torch(model).at(n=224)
    got = runner(model, torch.zeros(1, 3, 224, 224, device=device))
    row = compare(net, [convention]).row(convention)
    assert got.count == row.count == row.network.macs
    for figure, number in zip(row.memory, got.memory, strict=True):
        if figure.memory.quantity == "activations":
            assert number == figure.value, figure.memory.title


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


UNUSED = """
from torch import nn


class Unused(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.spare = nn.Conv2d(8, 8, 3)

    def forward(self, x):
        return self.conv(x)
"""


def test_command_line_refuses_an_unused_module(tmp_path: Path) -> None:
    """A module the forward never calls, in eval or training mode, is not an auxiliary head."""
    (tmp_path / "unused.py").write_text(UNUSED)
    done = run("import", f"{tmp_path / 'unused.py'}:Unused")
    assert done.returncode == 2
    assert "symcnn: error: unsupported: parameters the forward never uses (spare): not an auxiliary head" in done.stderr


@pytest.mark.parametrize("spec", ["os.system('touch symcnn-was-here')", "shutil.rmtree('.')", "builtins.exec('1')"])
def test_command_line_refuses_the_standard_library(spec: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "symcnn", "import", spec], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert done.returncode == 2 and "is Python's standard library, not a package of models" in done.stderr
    assert list(tmp_path.iterdir()) == []  # nothing ran
