"""Export a network to PyTorch: the ``nn.Sequential`` its text describes.

Needs the ``symcnn[torch]`` extra; torch is imported only when :func:`to_torch`
runs, so the rest of symcnn works without it. Modules are named by the
layers' paths, so forward hooks map them back to ``network.layers``
(:func:`module_name`):

>>> import symcnn
>>> net = symcnn.parse("conv3-8(bias=false) bn relu maxpool fc10", n=8)
>>> model = symcnn.to_torch(net)
>>> [name for name, _ in model.named_children()]
['conv', 'bn', 'relu', 'maxpool', 'fc']
>>> model[4]
Sequential(
  (0): Flatten(start_dim=1, end_dim=-1)
  (1): Linear(in_features=128, out_features=10, bias=True)
)
>>> sum(p.numel() for p in model.parameters()) == net.params
True
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from . import ir
from .analysis import MERGE_KINDS, LayerResult, segments
from .braces import evaluate
from .errors import SymcnnError
from .export_dense import SizeRefs, dense_factory, remember
from .network import Network
from .values import Shown, Value, as_int, product

if TYPE_CHECKING:
    from torch import nn

Factory = Callable[[], "nn.Module"]


def to_torch(network: Network, **values: int) -> nn.Sequential:
    r"""The ``nn.Sequential`` of ``network``; blocks are nested ``nn.Sequential`` modules and
    branches :class:`~symcnn.torch_modules.Branch` modules, named by the layers' paths.

    ``values`` are given to the network first (``network.at(**values)``). Every
    channel and feature count, and every kernel, stride, padding, dilation and
    group count, must then be a whole number; the input size ``n`` is needed
    only where an fc (or a batch norm after a flatten) sees features that
    depend on it. Otherwise :class:`~symcnn.SymcnnError` names the symbols.
    :func:`module_name` gives the module that produces each row of ``network.layers``.

    >>> import symcnn
    >>> symcnn.to_torch(symcnn.parse("conv3-{c} gap fc{k}"), c=4, k=2)
    Sequential(
      (conv): Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
      (gap): AdaptiveAvgPool2d(output_size=(1, 1))
      (fc): Sequential(
        (0): Flatten(start_dim=1, end_dim=-1)
        (1): Linear(in_features=4, out_features=2, bias=True)
      )
    )
    """
    if values:
        network = network.at(**values)
    exporter = _Exporter(network)
    build = exporter.sequence(network.architecture.layers, "")
    exporter.resolver.check()
    module: nn.Sequential = build()
    if exporter.refs.input is not None:  # resize(to=input): note the input's size first thing
        first = ("input_size", remember(exporter.refs.input))
        module = type(module)(OrderedDict([first, *module.named_children()]))
    return module


def module_name(layer: LayerResult) -> str:
    """The qualified name (as in ``named_modules()``) of the module that computes ``layer``.

    A branch's merge row is computed by the branch module itself.

    >>> import symcnn
    >>> net = symcnn.parse("res(conv3-3 relu) fc10", n=4)
    >>> [module_name(layer) for layer in net.layers]
    ['res.b1.conv', 'res.b1.relu', 'res', 'fc']
    """
    path = layer.path.rsplit("/", 1)[0] if layer.kind in MERGE_KINDS else layer.path
    return ".".join(child_name(segment) for segment in path.split("/"))


def child_name(segment: str) -> str:
    """A path segment as a module's child name: no dots, and not the name of an nn.Module attribute
    (a block called ``double`` or ``eval`` would shadow the method), which gets a trailing underscore.

    >>> child_name("conv.2"), child_name("double"), child_name("stage")
    ('conv_2', 'double_', 'stage')
    """
    from torch import nn as torch_nn

    name = segment.replace(".", "_")
    return f"{name}_" if hasattr(torch_nn.Module, name) else name


class _Exporter:
    """Walks the IR in the analysis' order, pairing every leaf and merge with its row."""

    def __init__(self, network: Network) -> None:
        self.rows = iter(network.layers)
        self.analysis = network.analysis
        self.resolver = _Resolver(network.values)
        self.refs = SizeRefs()

    def sequence(self, nodes: tuple[ir.Node, ...], prefix: str) -> Callable[[], nn.Sequential]:
        from torch import nn as torch_nn

        from .torch_modules import Chain

        parts: list[tuple[str, Factory]] = []
        heads = False
        for node, segment in zip(nodes, segments(nodes), strict=True):
            path = f"{prefix}/{segment}" if prefix else segment
            if isinstance(node, ir.Branch) and node.op == "aux":
                if not self.analysis.aux:
                    continue  # the network without its heads, as the published weights describe it
                heads = True
            heads = heads or (isinstance(node, ir.Branch) and node.op == "out")
            parts.append((child_name(segment), self.node(node, path)))
        kind = Chain if heads else torch_nn.Sequential
        return lambda: kind(OrderedDict((name, make()) for name, make in parts))

    def node(self, node: ir.Node, path: str) -> Factory:
        from .torch_modules import AuxHead, Branch, OutHead

        if isinstance(node, ir.Block):
            return self.sequence(node.body, path)
        if isinstance(node, ir.Branch) and node.op in ("aux", "out"):  # its rows follow, with no merge row
            head = self.sequence(node.arms[0], path)
            kind = AuxHead if node.op == "aux" else OutHead
            return lambda: kind(OrderedDict(head().named_children()))
        if isinstance(node, ir.Branch):
            # An empty arm is an empty nn.Sequential: the identity.
            self.refs.branches.append({})
            try:
                arms = [
                    (f"b{number}", self.sequence(arm, f"{path}/b{number}")) for number, arm in enumerate(node.arms, 1)
                ]
            finally:
                sizes = self.refs.branches.pop()
            merge = next(self.rows)
            assert merge.path.rsplit("/", 1)[0] == path, (merge.path, path)
            cropped = tuple(
                f"b{number}"
                for number, arm in enumerate(node.arms, 1)
                if arm and isinstance(arm[-1], ir.Crop) and arm[-1].margin is None
            )
            return lambda: Branch(node.op, {name: make() for name, make in arms}, sizes, cropped)
        result = next(self.rows)
        assert result.path == path, (result.path, path)
        self.resolver.where = f"layer {result.index} {result.name!r} at {path}"
        self.resolver.values = self.analysis.values_at(path)  # {cin} bound to its block's input
        if isinstance(node, (ir.TransposedConv, ir.Resample, ir.Pad, ir.Crop)):
            return dense_factory(node, result, self.resolver, self.refs)
        return _factory(node, result, self.resolver)


class _Resolver:
    """Turns values into ints, noting the symbols that still lack a value."""

    def __init__(self, values: Mapping[str, Shown]) -> None:
        self.values = values
        self.where = ""
        self.missing: dict[str, list[str]] = {}

    def value(self, value: Value) -> int:
        number = as_int(value)
        if number is not None:
            return number
        names = sorted(str(s) for s in getattr(value, "free_symbols", ()))
        if not names:
            raise SymcnnError(f"{self.where}: {value} is not a whole number")
        for name in names:
            places = self.missing.setdefault(name, [])
            if self.where not in places:
                places.append(self.where)
        return 1  # a placeholder: no module is built while a symbol is missing

    def expr(self, expr: ir.Expr) -> int:
        return self.value(evaluate(expr, self.values))

    def pair(self, pair: ir.Pair) -> tuple[int, int]:
        return self.expr(pair[0]), self.expr(pair[1])

    def check(self) -> None:
        if not self.missing:
            return
        names = sorted(self.missing)
        details = "; ".join(f"{name} (in {', '.join(self.missing[name][:3])})" for name in names)
        example = ", ".join(f"{name}=…" for name in names)
        raise SymcnnError(
            f"to_torch needs values for {', '.join(names)}: the module's sizes depend on them: {details}; "
            f"give them as to_torch(network, {example})"
        )


def _factory(layer: ir.Layer, result: LayerResult, need: _Resolver) -> Factory:
    """Resolve every number ``layer`` needs now; build its module later."""
    from torch import nn as torch_nn

    before = result.geometry.input
    if getattr(layer, "via", ""):
        return _via(layer, result, need)
    if isinstance(layer, ir.Conv):
        cin, cout = need.value(before[0]), need.value(result.output[0])
        groups = cin if layer.depthwise else need.expr(layer.groups or ir.Num(1))
        kernel, stride = need.pair(layer.kernel), need.pair(layer.stride)
        padding, dilation = need.pair(layer.padding), need.pair(layer.dilation)
        return lambda: torch_nn.Conv2d(cin, cout, kernel, stride, padding, dilation, groups, layer.bias)
    if isinstance(layer, ir.Pool):
        kernel, stride, padding = need.pair(layer.kernel), need.pair(layer.stride), need.pair(layer.padding)
        dilation = need.pair(layer.dilation)
        if layer.mode == "max":
            return lambda: torch_nn.MaxPool2d(kernel, stride, padding, dilation, ceil_mode=layer.ceil_mode)
        if dilation != (1, 1):
            raise SymcnnError(f"{need.where}: average pooling has no dilation in PyTorch")
        return lambda: torch_nn.AvgPool2d(kernel, stride, padding, ceil_mode=layer.ceil_mode)
    if isinstance(layer, ir.AdaptivePool):
        size = (need.value(result.output[1]), need.value(result.output[2]))
        if layer.mode == "max":
            return lambda: torch_nn.AdaptiveMaxPool2d(size)
        return lambda: torch_nn.AdaptiveAvgPool2d(size)
    if isinstance(layer, ir.Linear):
        features, out = need.value(product(before)), need.value(result.output[0])
        if len(before) == 1:
            return lambda: torch_nn.Linear(features, out, layer.bias)
        return lambda: torch_nn.Sequential(torch_nn.Flatten(), torch_nn.Linear(features, out, layer.bias))
    if isinstance(layer, ir.BatchNorm):
        channels = need.value(before[0])
        norm = torch_nn.BatchNorm2d if len(before) == 3 else torch_nn.BatchNorm1d
        return lambda: norm(channels, affine=layer.affine, track_running_stats=layer.track_running_stats)
    if isinstance(layer, ir.Flatten):
        return lambda: torch_nn.Flatten()
    if isinstance(layer, ir.ChannelNorm):
        from .torch_modules import ChannelNorm

        channels = need.value(before[0])
        return lambda: ChannelNorm(channels)
    if isinstance(layer, ir.LayerScale):
        from .torch_modules import LayerScale

        channels, spatial = need.value(before[0]), len(before) == 3
        return lambda: LayerScale(channels, spatial)
    if isinstance(layer, ir.Shuffle):
        groups = need.expr(layer.groups)
        return lambda: torch_nn.ChannelShuffle(groups)
    if isinstance(layer, ir.Elementwise):
        return _elementwise(layer, len(before), need.where)
    raise SymcnnError(f"{need.where}: {type(layer).__name__} has no PyTorch export yet")


def _via(layer: ir.Layer, result: LayerResult, need: _Resolver) -> Factory:
    """A layer that torchvision runs as a functional call, a mean or a Linear on a channels-last map (``via=``).

    >>> import symcnn
    >>> net = symcnn.parse("conv1-8(via=linear) relu(via=functional) maxpool(via=functional) gap(via=mean)", n=4)
    >>> [type(module).__name__ for module in symcnn.to_torch(net)]
    ['ChannelsLastLinear', 'FunctionalReLU', 'FunctionalMaxPool2d', 'GlobalMean']
    """
    from . import torch_modules as modules

    before = result.geometry.input
    if isinstance(layer, ir.Conv):  # via=linear: the builder checked it is 1×1, stride 1, groups 1
        cin, cout = need.value(before[0]), need.value(result.output[0])
        return lambda: modules.ChannelsLastLinear(cin, cout, layer.bias)
    if isinstance(layer, ir.AdaptivePool) and layer.via == "mean":
        return lambda: modules.GlobalMean()
    if isinstance(layer, ir.AdaptivePool):
        size = (need.value(result.output[1]), need.value(result.output[2]))
        return lambda: modules.functional(f"adaptive{layer.mode}pool")(size)
    if isinstance(layer, ir.Pool):
        kernel, stride, padding = need.pair(layer.kernel), need.pair(layer.stride), need.pair(layer.padding)
        dilation = need.pair(layer.dilation)
        pool = modules.functional(f"{layer.mode}pool")
        if layer.mode == "max":
            return lambda: pool(kernel, stride, padding, dilation, ceil_mode=layer.ceil_mode)
        if dilation != (1, 1):
            raise SymcnnError(f"{need.where}: average pooling has no dilation in PyTorch")
        return lambda: pool(kernel, stride, padding, ceil_mode=layer.ceil_mode)
    if isinstance(layer, ir.ChannelNorm):
        channels = need.value(before[0])
        return lambda: modules.LayerNorm2d(channels)
    if isinstance(layer, ir.LayerScale):
        channels, spatial = need.value(before[0]), len(before) == 3
        return lambda: modules.BlockLayerScale(channels, spatial)
    assert isinstance(layer, ir.Elementwise), layer
    activation = modules.functional(layer.op)
    return (lambda: activation(dim=1)) if layer.op == "softmax" else (lambda: activation())


def _elementwise(layer: ir.Elementwise, rank: int, where: str) -> Factory:
    from torch import nn as torch_nn

    options = dict(layer.options)

    def number(name: str, default: float, convert: Callable[[str], float]) -> float:
        text = options.get(name)
        if text is None:
            return default
        try:
            return convert(text)
        except ValueError:
            kind = "a whole number" if convert is int else "a number"
            raise SymcnnError(f"{where}: option {name} = {text} must be {kind}") from None

    if layer.op == "dropout":
        p = number("p", 0.5, float)
        if not 0 <= p <= 1:
            raise SymcnnError(f"{where}: dropout p = {p} must be between 0 and 1")
        return lambda: torch_nn.Dropout(p)
    if layer.op == "lrn":
        if rank != 3:
            raise SymcnnError(f"{where}: PyTorch's LocalResponseNorm needs a C×H×W input, not flat features")
        size = int(number("size", 5, int))
        alpha, beta, k = number("alpha", 1e-4, float), number("beta", 0.75, float), number("k", 2.0, float)
        return lambda: torch_nn.LocalResponseNorm(size, alpha, beta, k)
    makers: dict[str, Factory] = {
        "relu": lambda: torch_nn.ReLU(),
        "relu6": lambda: torch_nn.ReLU6(),
        "sigmoid": lambda: torch_nn.Sigmoid(),
        "tanh": lambda: torch_nn.Tanh(),
        "silu": lambda: torch_nn.SiLU(),
        "swish": lambda: torch_nn.SiLU(),
        "hardswish": lambda: torch_nn.Hardswish(),
        "hardsigmoid": lambda: torch_nn.Hardsigmoid(),
        "droppath": lambda: torch_nn.Identity(),
        "gelu": lambda: torch_nn.GELU(),
        "softmax": lambda: torch_nn.Softmax(dim=1),
        "identity": lambda: torch_nn.Identity(),
    }
    if layer.op not in makers:
        raise SymcnnError(f"{where}: {layer.op!r} has no PyTorch export yet")
    return makers[layer.op]
