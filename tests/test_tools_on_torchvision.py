"""The counting conventions against each tool run on torchvision's own model objects.

tests/test_conventions.py runs the tools on symcnn's export; here they run on
``torchvision.models.get_model(name)`` itself, with its default arguments, for
every zoo entry torchvision builds (googlenet and inception_v3 keep the auxiliary
heads they are built with; in eval mode those do not run, so no tool counts
them). torchvision calls some layers functionally (``F.relu``, ``F.max_pool2d``),
pools by ``x.mean([2, 3])`` and applies ``nn.Linear`` to channels-last maps,
which hook-based tools count differently: the zoo writes those layers with
``via=``. At 224 and at an odd size near the entry's smallest valid input, each
tool's MACs (FLOPs for torch) must equal symcnn's under the tool's convention, and
so must the activation figures the tool reports (fvcore's ActivationCountAnalysis,
torchinfo's Forward/backward pass size). The expected numbers are the tools' own
output at test time.

A few models, one of each family that uses ``via=`` among them, run by default;
the others are marked ``slow`` (``python -m pytest -m slow``; .ci/run runs them).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
import torch
from test_conventions import TOOLS, Reported
from test_zoo_torchvision import ZOO_TO_TORCHVISION, build
from torch import nn

import symcnn
from symcnn.compare import compare

# One of each family whose forward calls a layer another way (via=), and small models of the others.
DEFAULT = {
    "alexnet",
    "vgg11",
    "resnet18",
    "squeezenet1_1",
    "googlenet",  # relu(via=functional)
    "inception_v3",  # relu, avgpool, maxpool (via=functional)
    "densenet121",  # relu, gap (via=functional)
    "mobilenet_v2",  # gap(via=functional)
    "mobilenet_v3_small",
    "mnasnet0_5",  # gap(via=mean)
    "shufflenet_v2_x0_5",  # gap(via=mean)
    "efficientnet_b0",
    "regnet_x_400mf",
    "convnext_tiny",  # conv1(via=linear), ln(via=functional), layerscale(via=functional)
}
SIZE = 224


def odd_size(name: str) -> int:
    """An odd n a little above the entry's smallest valid input, where the floors of every stride show.

    >>> odd_size("vgg16"), odd_size("inception_v3")
    (65, 107)
    """
    smallest = symcnn.parse(name).analysis.smallest_valid["n"]
    assert smallest is not None
    return smallest + 32 + (1 - smallest % 2)


@cache
def at(name: str, n: int) -> symcnn.Network:
    """The zoo entry at n, analysed once for all the tools."""
    return symcnn.parse(name, n=n)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def torchvision_model(name: str, device: str, **kwargs: Any) -> nn.Module:
    """``get_model(name, **kwargs)``, otherwise with its default arguments, in eval mode on ``device``.

    Built on meta (no memory, no initialisation); for the CPU, given uninitialised
    memory filled with zeros: no tool's count depends on the values.
    """
    model = build(name, **kwargs)
    if device != "meta":
        model = model.to_empty(device=device)
        with torch.no_grad():
            for tensor in (*model.parameters(), *model.buffers()):
                tensor.zero_()
    return model.eval()


SWEEP = [
    (convention, name, n) for name in sorted(ZOO_TO_TORCHVISION) for n in (SIZE, odd_size(name)) for convention in TOOLS
]
CASES = [
    pytest.param(*case, marks=() if case[1] in DEFAULT else (pytest.mark.slow,), id="-".join(map(str, case)))
    for case in SWEEP
]


@pytest.mark.parametrize(("convention", "name", "n"), CASES)
def test_the_tool_on_torchvision_counts_what_the_convention_says(convention: str, name: str, n: int) -> None:
    runner, device = TOOLS[convention]
    got: Reported = runner(torchvision_model(ZOO_TO_TORCHVISION[name], device), torch.zeros(1, 3, n, n, device=device))
    row = compare(at(name, n), [convention]).row(convention)
    assert got.count == row.count == row.network.macs
    # The activation figures the tool reports (its parameter figures are another question: the aux heads).
    for figure, number in zip(row.memory, got.memory, strict=True):
        if figure.memory.quantity == "activations":
            assert number == figure.value, figure.memory.title


def test_every_torchvision_entry_is_swept_under_every_tool_at_two_sizes() -> None:
    assert len(SWEEP) == len(set(SWEEP)) == len(ZOO_TO_TORCHVISION) * len(TOOLS) * 2
    assert {name for _, name, _ in SWEEP} == set(ZOO_TO_TORCHVISION)
    assert all(n % 2 == 1 for _, _, n in SWEEP if n != SIZE)
    assert set(ZOO_TO_TORCHVISION) >= DEFAULT


def test_via_is_what_makes_the_tools_agree() -> None:
    """Without via=, ptflops on torchvision's googlenet counts less than the convention says (issue 9's figures)."""
    runner, device = TOOLS["ptflops"]
    got = runner(torchvision_model("googlenet", device), torch.zeros(1, 3, SIZE, SIZE, device=device)).count
    assert got == 1_513_907_448
    plain = symcnn.zoo.text("googlenet").replace("relu(via=functional)", "relu")
    assert symcnn.parse(plain, n=SIZE, convention="ptflops").macs == 1_517_133_608
    assert symcnn.parse("googlenet", n=SIZE, convention="ptflops").macs == got
    assert symcnn.parse("googlenet", n=SIZE).macs == symcnn.parse(plain, n=SIZE).macs  # symcnn's own: no change
