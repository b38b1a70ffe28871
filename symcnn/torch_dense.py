"""PyTorch modules for the dense-prediction layers that torch.nn lacks: resizing to a size met at run
time (the network's input, a branch's input), cropping by a margin or to the size a branch merges at.

A size met at run time travels in a :class:`SizeRef`, a plain holder (not a module, so no tool sees
it): the module that meets the size writes it, the one that needs it reads it, as torchvision's FCN
reads ``x.shape[-2:]`` at the top of its forward.

Imported only by :mod:`symcnn.export_dense`, and only when torch is installed.
"""

from __future__ import annotations

import torch
from torch import nn


class SizeRef:
    """The (H, W) of a tensor seen earlier in the forward pass."""

    def __init__(self) -> None:
        self.size: tuple[int, int] = (0, 0)


class RememberSize(nn.Identity):
    """Notes the size of what passes through (the network's input) for a :class:`Resize` further on."""

    def __init__(self, ref: SizeRef) -> None:
        super().__init__()
        self.ref = ref

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.ref.size = (int(x.shape[-2]), int(x.shape[-1]))
        return x


class Interpolate(nn.Module):
    """``F.interpolate`` by a scale factor, or to the size in a :class:`SizeRef` or a fixed size, as a
    module's forward calls it (torchvision's segmentation heads): not an nn.Upsample for a hook to see."""

    def __init__(
        self,
        mode: str,
        align_corners: bool,
        scale: tuple[int, int] | None = None,
        size: tuple[int, int] | None = None,
        ref: SizeRef | None = None,
    ) -> None:
        super().__init__()
        self.mode, self.align_corners = mode, (align_corners if mode != "nearest" else None)
        self.scale, self.size, self.ref = scale, size, ref

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.scale is not None:
            scale = (float(self.scale[0]), float(self.scale[1]))
            return nn.functional.interpolate(x, scale_factor=scale, mode=self.mode, align_corners=self.align_corners)
        size = self.ref.size if self.ref is not None else self.size
        return nn.functional.interpolate(x, size=size, mode=self.mode, align_corners=self.align_corners)

    def extra_repr(self) -> str:
        target = f"scale_factor={self.scale}" if self.scale else ("size=run time" if self.ref else f"size={self.size}")
        return f"{target}, mode={self.mode!r}"


class CenterCrop(nn.Module):
    """A centre crop: ``margin`` pixels off each side, or to the size in ``ref`` (the size its branch
    merges at, written by the :class:`~symcnn.torch_modules.Branch` before this arm runs); the offset is
    half the difference, rounded down, as U-Net implementations slice."""

    def __init__(self, margin: tuple[int, int] | None = None, ref: SizeRef | None = None) -> None:
        super().__init__()
        self.margin, self.ref = margin, ref

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = int(x.shape[-2]), int(x.shape[-1])
        if self.margin is not None:
            top, left = self.margin
            target = (height - 2 * top, width - 2 * left)
        else:
            assert self.ref is not None
            target = self.ref.size
            top, left = (height - target[0]) // 2, (width - target[1]) // 2
        return x[:, :, top : top + target[0], left : left + target[1]]

    def extra_repr(self) -> str:
        return f"margin={self.margin}" if self.margin is not None else "to the merge's size"
