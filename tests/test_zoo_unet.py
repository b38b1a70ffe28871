"""The two U-Nets of the zoo against a U-Net written directly in PyTorch, as the paper and most code write it.

The oracle below is an independent implementation (not :func:`symcnn.to_torch`): parameters and
buffers, the output shape at every size, and which sizes run at all must be symcnn's. The paper's
own figure: a 572×572 tile gives a 388×388 map (REFERENCE.md, Ronneberger et al. 2015, Fig. 1).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from torch import nn

import symcnn
from symcnn.values import symbol


class DoubleConv(nn.Sequential):
    def __init__(self, cin: int, cout: int, padded: bool) -> None:
        if padded:  # padding 1, no bias, batch norm: as most implementations write it
            super().__init__(
                nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
                nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
            )  # fmt: skip
        else:  # the paper: unpadded 3×3 convolutions with ReLU
            super().__init__(nn.Conv2d(cin, cout, 3), nn.ReLU(), nn.Conv2d(cout, cout, 3), nn.ReLU())


class UNet(nn.Module):
    """Four poolings, 64 → 1024 channels; the skips cropped to the decoder's size (the paper) or not (padded)."""

    def __init__(self, channels: int, classes: int, padded: bool) -> None:
        super().__init__()
        widths = [64, 128, 256, 512, 1024]
        self.padded = padded
        self.down = nn.ModuleList(
            [DoubleConv(channels if i == 0 else widths[i - 1], widths[i], padded) for i in range(5)]
        )
        self.up = nn.ModuleList([nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2) for i in range(4)])
        self.decode = nn.ModuleList([DoubleConv(2 * widths[i], widths[i], padded) for i in range(4)])
        self.head = nn.Conv2d(64, classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for level, block in enumerate(self.down):
            x = block(x if level == 0 else nn.functional.max_pool2d(x, 2))
            skips.append(x)
        x = skips.pop()
        for level in reversed(range(4)):
            x = self.up[level](x)
            skip = skips.pop()
            if not self.padded:  # centre crop, as U-Net implementations slice
                top, left = (skip.shape[2] - x.shape[2]) // 2, (skip.shape[3] - x.shape[3]) // 2
                skip = skip[:, :, top : top + x.shape[2], left : left + x.shape[3]]
            x = self.decode[level](torch.cat([skip, x], dim=1))
        out: torch.Tensor = self.head(x)
        return out


CASES = {"unet": (1, False), "unet-padded": (3, True)}


def output(model: nn.Module, channels: int, size: int) -> tuple[int, ...] | None:
    """The output shape at size × size on the meta device, or None where torch refuses or gives nothing."""
    try:
        with torch.no_grad():
            shape = tuple(model(torch.empty(1, channels, size, size, device="meta")).shape[1:])
    except RuntimeError:
        return None
    return shape if all(shape) else None


@pytest.mark.parametrize("name", list(CASES))
def test_parameters_and_buffers_are_the_torch_unets(name: str) -> None:
    channels, padded = CASES[name]
    model = UNet(channels, 2, padded)
    net = symcnn.parse(name)
    assert net.params == sum(p.numel() for p in model.parameters())
    assert net.buffers == sum(b.numel() for b in model.buffers())


@pytest.mark.parametrize("name", list(CASES))
def test_torch_runs_exactly_on_symcnns_domain_with_its_shapes(name: str) -> None:
    channels, padded = CASES[name]
    model = UNet(channels, 2, padded).eval().to("meta")
    net = symcnn.parse(name)
    domain = net.analysis.domains["n"]
    assert domain is not None
    for size in range(1, 260):
        shape = output(model, channels, size)
        assert (shape is not None) == domain.contains(size), size
        if shape is not None:
            assert shape == net.at(n=size).layers[-1].output, size


def test_the_papers_tile_572_gives_388() -> None:
    """Fig. 1 of the paper, and the issue's statement of the domain: n ≡ 12 (mod 16) from 188 on tiles exactly."""
    net = symcnn.parse("unet", n=572)
    assert net.layers[-1].output == (2, 388, 388)
    report = subprocess.run(
        [sys.executable, "-m", "symcnn", "report", "unet"], capture_output=True, text=True, check=True
    ).stdout
    assert "for n ≥ 188 and n ≡ 12 (mod 16)" in report
    tiling = symcnn.parse("unet").analysis.tiling["n"]
    assert tiling is not None
    # Tiling exact: every max pooling sees an even size, checked with the paper's own size rule.
    for size in range(188, 400):
        sizes, even = size, True
        for _ in range(4):
            sizes -= 4
            even = even and sizes % 2 == 0
            sizes //= 2
        assert tiling.contains(size) == even, size


def test_the_padded_unet_runs_for_multiples_of_16() -> None:
    net = symcnn.parse("unet-padded")
    assert net.closed_form("params").domain == "n ≡ 0 (mod 16)"
    form = net.closed_form("macs")
    assert form.multiple_of == {"n": 16} and not form.residue_of
    for size in (16, 224, 512):
        assert form.polynomial.subs(symbol("n"), size) == net.at(n=size).macs  # type: ignore[union-attr]
