"""The few PyTorch modules that torch.nn lacks: branch merges, channel LayerNorm, layer scale.

Imported only by :mod:`symcnn.export_torch`, and only when torch is installed.
"""

from __future__ import annotations

import torch
from torch import nn


class Branch(nn.Module):
    """Arms on one input, merged: ``res`` adds, ``cat`` concatenates channels,
    ``mul`` multiplies (a C×1×1 arm broadcasts); ``split`` gives arm i the i-th of
    equal channel chunks (``torch.chunk``, a view) and concatenates the arms' outputs."""

    def __init__(self, op: str, arms: dict[str, nn.Module]) -> None:
        super().__init__()
        self.op = op
        self.names = list(arms)
        for name, arm in arms.items():  # children named b1, b2 …, as in the layers' paths
            self.add_module(name, arm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        inputs = x.chunk(len(self.names), dim=1) if self.op == "split" else (x,) * len(self.names)
        outputs: list[torch.Tensor] = [self.get_submodule(name)(part) for name, part in zip(self.names, inputs)]
        if self.op in ("cat", "split"):
            return torch.cat(outputs, dim=1)
        merged = outputs[0]
        for output in outputs[1:]:
            merged = merged + output if self.op == "res" else merged * output
        return merged

    def extra_repr(self) -> str:
        return self.op


class ChannelNorm(nn.Module):
    """LayerNorm over the channels at each position (ConvNeXt's LayerNorm2d)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:
            flat: torch.Tensor = self.norm(x)
            return flat
        normed: torch.Tensor = self.norm(x.permute(0, 2, 3, 1))
        return normed.permute(0, 3, 1, 2)


class LayerScale(nn.Module):
    """One learnable factor per channel."""

    def __init__(self, channels: int, spatial: bool) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(channels, 1, 1) if spatial else torch.ones(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scaled: torch.Tensor = x * self.gamma
        return scaled
