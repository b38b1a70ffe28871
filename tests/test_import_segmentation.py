"""``symcnn.from_torch`` on torchvision's segmentation models: ``resize(to=…)`` and ``out(…)``.

Every model of ``torchvision.models.segmentation`` (built with ``weights=None, weights_backbone=None``,
its auxiliary classifier off and on, LR-ASPP having none) imports; at two valid sizes its parameters
and buffers equal torch's, and so does the shape of every output it returns (the dict's ``"out"``,
and ``"aux"`` when the auxiliary classifier is on: an ``out(…)`` head of the text). Without the
auxiliary classifier, every total equals the zoo entry written by hand for the same model (a
second route). ``F.interpolate(x, size=t.shape[-2:])`` becomes ``resize(to=input)`` when ``t`` is
the model's input and ``resize(to=branch)`` when it is the input of the branch around the resize
(DeepLab's ASPP pooling, LR-ASPP's high branch); a size read from another tensor is refused.
"""

from __future__ import annotations

from functools import cache

import pytest
import torch
import torchvision
from test_zoo_torchvision import build
from torch import nn
from torch.nn import functional

import symcnn
from symcnn.errors import SymcnnError

NAMES = tuple(torchvision.models.list_models(module=torchvision.models.segmentation))
CASES = [(name, aux) for name in NAMES for aux in (False, True) if not (aux and name.startswith("lraspp"))]
SIZES = (224, 97)


@cache
def imported(name: str, aux: bool) -> tuple[nn.Module, symcnn.Network]:
    model = build(name, weights_backbone=None, **({"aux_loss": True} if aux else {}))
    return model, symcnn.from_torch(model)


def shapes(net: symcnn.Network) -> list[tuple[int, ...]]:
    """The network's outputs: the main one first, then the side ones."""
    found = [tuple(int(size) for size in shape) for _, shape in net.analysis.outputs]
    return [found[-1], *found[:-1]]


def test_every_segmentation_model_is_swept() -> None:
    assert {"fcn_resnet50", "deeplabv3_resnet50", "lraspp_mobilenet_v3_large"} <= set(NAMES)


@pytest.mark.parametrize(("name", "aux"), CASES)
def test_segmentation_model_imports(name: str, aux: bool) -> None:
    model, net = imported(name, aux)
    params = sum(p.numel() for p in model.parameters())
    buffers = sum(b.numel() for b in model.buffers())
    for n in SIZES:
        fixed = net.at(n=n)
        assert (fixed.params, fixed.buffers) == (params, buffers)
        with torch.no_grad():
            returned = model(torch.empty((2, 3, n, n), device="meta"))
        assert list(returned) == (["out", "aux"] if aux else ["out"])
        assert shapes(fixed) == [tuple(returned[key].shape[1:]) for key in returned], n


@pytest.mark.parametrize("name", [name for name in NAMES if "101" not in name])
def test_segmentation_import_counts_as_the_zoo_entry(name: str) -> None:
    mine, zoo = imported(name, False)[1].at(n=224), symcnn.parse(name, n=224)
    for quantity in ("params", "buffers", "macs", "activations"):
        assert mine.total(quantity) == zoo.total(quantity), quantity


def test_resize_targets() -> None:
    text = symcnn.notation(imported("lraspp_mobilenet_v3_large", False)[0])
    assert "resize(to=branch, mode=bilinear)" in text
    assert text.rstrip().endswith("resize(to=input, mode=bilinear)")
    assert "out(" in symcnn.notation(imported("fcn_resnet50", True)[0])


class ResizedToAnother(nn.Module):
    """A resize to the size of a tensor that is neither the input nor its branch's input."""

    def __init__(self) -> None:
        super().__init__()
        self.down = nn.Conv2d(3, 8, 3, stride=2)
        self.more = nn.Conv2d(8, 8, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.down(x)
        z = self.more(y)
        return functional.interpolate(self.more(z), size=z.shape[-2:])


def test_resize_to_another_tensor_is_refused() -> None:
    with pytest.raises(SymcnnError, match=r"^unsupported: a resize at the top level to the size of a tensor"):
        symcnn.notation(ResizedToAnother())
