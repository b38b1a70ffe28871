"""The PyTorch export of the dense-prediction layers: ConvTranspose2d, nn.Upsample or F.interpolate,
ZeroPad2d, centre crops (:mod:`symcnn.torch_dense`).

>>> import symcnn
>>> net = symcnn.parse("upconv2-8 upsample2(mode=bilinear) pad1 crop1 resize(to=input)", n=4)
>>> [type(module).__name__ for module in symcnn.to_torch(net)]
['RememberSize', 'ConvTranspose2d', 'Upsample', 'ZeroPad2d', 'CenterCrop', 'Interpolate']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import ir
from .analysis import LayerResult

if TYPE_CHECKING:
    from torch import nn

    from .export_torch import Factory, _Resolver
    from .torch_dense import SizeRef


class SizeRefs:
    """The size holders of one export: the network input's, and one per branch whose arms resize to it
    or crop to its merge (made when the first module needs it, shared by the modules built after)."""

    def __init__(self) -> None:
        self.input: SizeRef | None = None
        self.branches: list[dict[str, Any]] = []  # per open branch: its "input" and "merge" holders

    def get(self, which: str) -> SizeRef:
        from .torch_dense import SizeRef

        if which == "input":
            if self.input is None:
                self.input = SizeRef()
            return self.input
        holders = self.branches[-1]
        if holders.get(which) is None:
            holders[which] = SizeRef()
        found: SizeRef = holders[which]
        return found


def dense_factory(layer: ir.Layer, result: LayerResult, need: _Resolver, refs: SizeRefs) -> Factory:
    """The module of a transposed convolution, resampling, pad or crop, its numbers resolved now."""
    from torch import nn as torch_nn

    from . import torch_dense

    before = result.geometry.input
    if isinstance(layer, ir.TransposedConv):
        cin, cout = need.value(before[0]), need.value(result.output[0])
        kernel, stride = need.pair(layer.kernel), need.pair(layer.stride)
        padding, extra, dilation = need.pair(layer.padding), need.pair(layer.output_padding), need.pair(layer.dilation)
        groups = need.expr(layer.groups)
        return lambda: torch_nn.ConvTranspose2d(
            cin,
            cout,
            kernel,
            stride,
            padding,
            extra,
            groups,
            layer.bias,
            dilation,
        )
    if isinstance(layer, ir.Resample):
        return _resample(layer, need, refs)
    if isinstance(layer, ir.Pad):
        top, left = need.pair(layer.padding)
        return lambda: torch_nn.ZeroPad2d((left, left, top, top))
    assert isinstance(layer, ir.Crop)
    if layer.margin is None:
        ref = refs.get("merge")
        return lambda: torch_dense.CenterCrop(ref=ref)
    margin = need.pair(layer.margin)
    return lambda: torch_dense.CenterCrop(margin)


def _resample(layer: ir.Resample, need: _Resolver, refs: SizeRefs) -> Factory:
    from torch import nn as torch_nn

    from . import torch_dense

    align = layer.align_corners if layer.mode != "nearest" else None
    if layer.target == "factor":
        assert layer.factor is not None
        scale = need.pair(layer.factor)
        if layer.via == "functional":
            return lambda: torch_dense.Interpolate(layer.mode, layer.align_corners, scale=scale)
        factor = (float(scale[0]), float(scale[1]))
        return lambda: torch_nn.Upsample(scale_factor=factor, mode=layer.mode, align_corners=align)
    if layer.target == "size":
        assert layer.factor is not None
        size = need.pair(layer.factor)
        return lambda: torch_dense.Interpolate(layer.mode, layer.align_corners, size=size)
    ref = refs.get("input" if layer.target == "input" else "branch")
    return lambda: torch_dense.Interpolate(layer.mode, layer.align_corners, ref=ref)


def remember(ref: SizeRef) -> nn.Module:
    """The module that notes the network's input size first thing in its forward."""
    from .torch_dense import RememberSize

    return RememberSize(ref)
