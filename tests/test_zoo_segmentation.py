"""The segmentation entries of the zoo against torchvision's own models.

fcn_resnet50, fcn_resnet101, deeplabv3_resnet50, deeplabv3_resnet101,
deeplabv3_mobilenet_v3_large and lraspp_mobilenet_v3_large, each as
``torchvision.models.get_model(name, weights=None, weights_backbone=None)`` builds
it (num_classes=21, no aux classifier; the default weights_backbone would download
the backbone's weights). For each entry:

- parameters and buffers equal the torchvision model's, exactly, and so do the
  parameters of symcnn's own export (``symcnn.to_torch``);
- the output (``model(x)["out"]``) has symcnn's shape at 224, 225, 97 and the
  smallest valid n;
- under every counting convention, the MACs (FLOPs for torch) equal what the tool
  itself reports on torchvision's model object at 224 and 225, and so do the
  activation figures the tool reports (fvcore's ActivationCountAnalysis,
  torchinfo's Forward/backward pass size).

Every expected number comes from torch, torchvision or the tools at test time. The
tools are run by tests/test_conventions.py's runners (``TOOLS``). None is marked
slow: the longest case, fvcore on fcn_resnet101 at 224 on the CPU, takes under 4 s
(the 72 tool cases about 50 s together, one torch thread).
"""

from __future__ import annotations

from functools import cache

import pytest
import torch
from test_conventions import TOOLS, Reported
from test_tools_on_torchvision import torchvision_model as tools_model
from test_zoo_torchvision import build
from torch import nn

import symcnn
from symcnn.compare import compare

NAMES = (
    "fcn_resnet50",
    "fcn_resnet101",
    "deeplabv3_resnet50",
    "deeplabv3_resnet101",
    "deeplabv3_mobilenet_v3_large",
    "lraspp_mobilenet_v3_large",
)
TOOL_SIZES = (224, 225)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@cache
def torchvision_model(name: str) -> nn.Module:
    """``get_model(name, weights=None, weights_backbone=None)`` on the meta device, in eval mode."""
    return build(name, weights_backbone=None)


def on_device(name: str, device: str) -> nn.Module:
    """A fresh copy of torchvision's model on ``device``; on the CPU, its memory zeroed (counts ignore values)."""
    return tools_model(name, device, weights_backbone=None)


@cache
def at(name: str, n: int) -> symcnn.Network:
    return symcnn.parse(name, n=n)


def smallest(name: str) -> int:
    n = symcnn.parse(name).analysis.smallest_valid["n"]
    assert n is not None
    return n


def count(tensors: object) -> int:
    return sum(tensor.numel() for tensor in tensors)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", NAMES)
def test_the_entry_is_in_the_zoo_with_its_source(name: str) -> None:
    assert name in symcnn.zoo.names()
    assert "torchvision/models/segmentation/" in symcnn.zoo.summary(name)


@pytest.mark.parametrize("name", NAMES)
def test_parameters_and_buffers_are_torchvisions(name: str) -> None:
    model = torchvision_model(name)
    params, buffers = count(model.parameters()), count(model.buffers())
    net = symcnn.parse(name)
    # Closed forms that do not depend on n, equal to torchvision's counts at every size.
    assert net.params == params
    assert net.buffers == buffers
    assert at(name, 224).params == params
    assert at(name, 224).buffers == buffers


@pytest.mark.parametrize("name", NAMES)
def test_the_export_has_the_same_parameters(name: str) -> None:
    with torch.device("meta"):
        module = symcnn.to_torch(symcnn.parse(name), n=224)
    assert count(module.parameters()) == at(name, 224).params == count(torchvision_model(name).parameters())
    assert count(module.buffers()) == at(name, 224).buffers


@pytest.mark.parametrize("name", NAMES)
def test_the_output_shape_is_torchvisions(name: str) -> None:
    model = torchvision_model(name)
    with torch.no_grad():
        for n in (224, 225, 97, smallest(name)):
            out = model(torch.zeros(1, 3, n, n, device="meta"))
            assert list(out) == ["out"]
            assert tuple(out["out"].shape) == (1, *at(name, n).layers[-1].output), n
        # The smallest valid n is torch's too: below it (if there is a below) torch's model fails.
        if smallest(name) > 1:
            with pytest.raises((RuntimeError, ValueError)):
                model(torch.zeros(1, 3, smallest(name) - 1, smallest(name) - 1, device="meta"))


TOOL_CASES = [
    pytest.param(convention, name, n, id=f"{convention}-{name}-{n}")
    for name in NAMES
    for n in TOOL_SIZES
    for convention in TOOLS
]


@pytest.mark.parametrize(("convention", "name", "n"), TOOL_CASES)
def test_the_tool_on_torchvision_counts_what_the_convention_says(convention: str, name: str, n: int) -> None:
    runner, device = TOOLS[convention]
    got: Reported = runner(on_device(name, device), torch.zeros(1, 3, n, n, device=device))
    row = compare(at(name, n), [convention]).row(convention)
    assert got.count == row.count == row.network.macs
    assert got.params == at(name, n).params
    assert symcnn.parse(name, n=n, convention=convention).macs == got.count
    # The activation figures the tool reports (fvcore's activation count, torchinfo's output bytes).
    for figure, number in zip(row.memory, got.memory, strict=True):
        if figure.memory.quantity == "activations":
            assert number == figure.value, figure.memory.title


def test_every_entry_is_run_under_every_tool_at_both_sizes() -> None:
    assert len(TOOL_CASES) == len(NAMES) * len(TOOLS) * len(TOOL_SIZES) == 72
