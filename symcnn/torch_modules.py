"""The few PyTorch modules that torch.nn lacks: branch merges, channel LayerNorm, layer scale, and
the layers that torchvision runs another way (``via=``: a functional call, a mean, a Linear on a
channels-last map), built so that each tool sees them as it sees torchvision's.

Imported only by :mod:`symcnn.export_torch`, and only when torch is installed.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class Branch(nn.Module):
    """Arms on one input, merged: ``res`` adds, ``cat`` concatenates channels,
    ``mul`` multiplies (a C×1×1 arm broadcasts); ``split`` gives arm i the i-th of
    equal channel chunks (``torch.chunk``, a view) and concatenates the arms' outputs.

    ``sizes`` are the holders (:class:`symcnn.torch_dense.SizeRef`) of the sizes its arms need at run
    time: "branch", its input's (``resize(to=branch)``); "merge", the first arm's output that does not
    end in a crop, which the arms in ``cropped`` (ending in ``crop``) are cropped to, so they run last."""

    def __init__(
        self, op: str, arms: dict[str, nn.Module], sizes: dict[str, Any] | None = None, cropped: tuple[str, ...] = ()
    ) -> None:
        super().__init__()
        self.op = op
        self.names = list(arms)
        self.sizes = sizes or {}
        self.cropped = cropped
        for name, arm in arms.items():  # children named b1, b2 …, as in the layers' paths
            self.add_module(name, arm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        inputs = x.chunk(len(self.names), dim=1) if self.op == "split" else (x,) * len(self.names)
        if "branch" in self.sizes:
            self.sizes["branch"].size = (int(x.shape[-2]), int(x.shape[-1]))
        found: dict[str, torch.Tensor] = {}
        for name, part in zip(self.names, inputs):
            if name not in self.cropped:
                found[name] = self.get_submodule(name)(part)
        if self.cropped:
            first = found[next(name for name in self.names if name not in self.cropped)]
            self.sizes["merge"].size = (int(first.shape[-2]), int(first.shape[-1]))
            for name, part in zip(self.names, inputs):
                if name in self.cropped:
                    found[name] = self.get_submodule(name)(part)
        outputs = [found[name] for name in self.names]
        if self.op in ("cat", "split"):
            return torch.cat(outputs, dim=1)
        merged = outputs[0]
        for output in outputs[1:]:
            if self.op == "res" and output.shape != merged.shape:
                # res adds arms of one shape (the notation's contract): torch would broadcast a 1×1 arm.
                raise RuntimeError(f"res: the arms' shapes {tuple(merged.shape)} and {tuple(output.shape)} differ")
            merged = merged + output if self.op == "res" else merged * output
        return merged

    def extra_repr(self) -> str:
        return self.op


class AuxHead(nn.Sequential):
    """An auxiliary head (``aux(…)``): its layers, run only in training mode by the :class:`Chain` around it."""


class OutHead(nn.Sequential):
    """A head whose output is a second output of the network (``out(…)``): the :class:`Chain` around it
    always runs it, as torchvision's segmentation models run their auxiliary classifier."""


class Chain(nn.Sequential):
    """A sequence holding side heads: in training mode an auxiliary head runs on the current tensor and
    its output is set aside; in eval mode it is never called, as in torchvision's GoogLeNet and
    Inception-v3, so that no tool sees it run. An :class:`OutHead` always runs; its output is kept in
    ``side_outputs`` (the forward returns the main output, as the tools expect one tensor)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.side_outputs: list[torch.Tensor] = []
        for module in self:
            if isinstance(module, OutHead):
                self.side_outputs.append(module(x))
            elif not isinstance(module, AuxHead):
                x = module(x)
            elif self.training:
                module(x)
        return x


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


# ---------------------------------------------------------------- via=: how torchvision runs some layers
# ptflops and thop hook nn modules looked up by their exact type; ptflops also patches some
# torch.nn.functional calls (F.relu, F.max_pool2d …). A layer that torchvision runs as a functional
# call is exported as a subclass of its nn module under another name: its forward is the module's own
# functional call (F.relu for ReLU), but no hook fires for it, so what a tool counts is that call alone.


def _relu6(self: nn.ReLU6, x: torch.Tensor) -> torch.Tensor:
    # nn.ReLU6 runs F.hardtanh; a functional relu6 is F.relu6, which ptflops patches.
    result: torch.Tensor = nn.functional.relu6(x, self.inplace)
    return result


_FUNCTIONAL_BASES: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "relu6": nn.ReLU6,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "silu": nn.SiLU,
    "swish": nn.SiLU,
    "gelu": nn.GELU,
    "hardswish": nn.Hardswish,
    "hardsigmoid": nn.Hardsigmoid,
    "softmax": nn.Softmax,
    "maxpool": nn.MaxPool2d,
    "avgpool": nn.AvgPool2d,
    "adaptivemaxpool": nn.AdaptiveMaxPool2d,
    "adaptiveavgpool": nn.AdaptiveAvgPool2d,
}
_FUNCTIONAL: dict[type[nn.Module], type[nn.Module]] = {}


def functional(op: str) -> type[nn.Module]:
    """The module type that runs ``op`` (relu, maxpool, adaptiveavgpool …) as its torch.nn.functional call.

    >>> functional("relu").__name__, issubclass(functional("relu"), nn.ReLU)
    ('FunctionalReLU', True)
    >>> functional("maxpool")(3, 2)
    FunctionalMaxPool2d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=False)
    """
    base = _FUNCTIONAL_BASES[op]
    known = _FUNCTIONAL.get(base)
    if known is None:
        members: dict[str, object] = {"__module__": __name__, "__doc__": f"{base.__name__} run as a functional call."}
        if base is nn.ReLU6:
            members["forward"] = _relu6
        known = _FUNCTIONAL[base] = type(f"Functional{base.__name__}", (base,), members)
    return known


class GlobalMean(nn.Module):
    """Global average pooling as ``x.mean([2, 3])`` (MNASNet, ShuffleNetV2): no pooling op for a tool to count.

    ``keepdim`` keeps the C×1×1 shape of ``gap`` (torchvision flattens it right after; no tool counts either).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled: torch.Tensor = x.mean((2, 3), keepdim=True)
        return pooled


class LayerNorm2d(nn.LayerNorm):
    """A LayerNorm over the channels as torchvision's ConvNeXt writes it: F.layer_norm on a channels-last
    view, in a subclass of nn.LayerNorm that the hook-based tools do not know."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:
            flat: torch.Tensor = nn.functional.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
            return flat
        x = x.permute(0, 2, 3, 1)
        x = nn.functional.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class ChannelsLastLinear(nn.Module):
    """An nn.Linear over the channels at every position, as ConvNeXt's block applies it to a channels-last map.

    The map is made contiguous first, as it is in torchvision (it comes from a LayerNorm or a GELU there):
    then torch runs one addmm with the bias, whatever the layers before.
    """

    def __init__(self, channels_in: int, channels_out: int, bias: bool) -> None:
        super().__init__()
        self.linear = nn.Linear(channels_in, channels_out, bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.linear(x.permute(0, 2, 3, 1).contiguous())
        return out.permute(0, 3, 1, 2)


class BlockLayerScale(nn.Module):
    """A layer scale as torchvision's ConvNeXt block applies it: γ · block(x) in the forward of the module
    that holds γ and has children (here only the identity). torchinfo counts the outputs and parameter
    bytes of leaf modules only, so it counts neither, as on torchvision's model."""

    def __init__(self, channels: int, spatial: bool) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(channels, 1, 1) if spatial else torch.ones(channels))
        self.block = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scaled: torch.Tensor = self.gamma * self.block(x)
        return scaled
