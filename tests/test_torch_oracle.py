"""PyTorch as an independent oracle for symcnn's shapes and counts.

Every zoo entry is exported with :func:`symcnn.to_torch`, built on the ``meta``
device (shapes without memory) and run once under forward hooks and
``FlopCounterMode``. What symcnn computes symbolically must agree with what
torch measures: parameters, buffers, every layer's output shape, activations
(counted here from the torch modules' types, not from symcnn's layer kinds) and
MACs (torch counts 2 FLOPs per multiply-add of a convolution or matrix product).

:func:`measure` is also the oracle of ``test_random_networks.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
from zoo_sizes import valid_sizes

import symcnn
from symcnn import ir
from symcnn.export_torch import module_name
from symcnn.torch_dense import CenterCrop, SizeRef
from symcnn.torch_modules import Branch

# Modules whose output is not a new tensor under symcnn's convention: the
# activation functions, softmax, dropout, LRN, identity and flatten.
IN_PLACE_MODULES: tuple[type[nn.Module], ...] = (
    nn.ReLU,
    nn.ReLU6,
    nn.Sigmoid,
    nn.Tanh,
    nn.SiLU,
    nn.GELU,
    nn.Hardswish,
    nn.Hardsigmoid,
    nn.Softmax,
    nn.Dropout,
    nn.LocalResponseNorm,
    nn.Identity,
    nn.Flatten,
    CenterCrop,  # a slice: a view of its input, no new values (checked in test_a_crop_is_a_view)
)

SIZES = (224, 97, 227, 256)


@dataclass
class Measured:
    """What torch says about one module run on one input."""

    params: int
    buffers: int
    activations: int
    macs: int
    outputs: dict[str, tuple[int, ...]] = field(default_factory=dict)
    layer_params: dict[str, int] = field(default_factory=dict)
    layer_buffers: dict[str, int] = field(default_factory=dict)
    layer_macs: dict[str, int] = field(default_factory=dict)


@contextmanager
def forward_hooks(modules: dict[str, nn.Module], outputs: dict[str, tuple[int, ...]]) -> Iterator[None]:
    """Record the output shape (batch dimension dropped) of each named module."""
    handles = []
    for name, child in modules.items():

        def hook(_module: nn.Module, _inputs: object, output: torch.Tensor, name: str = name) -> None:
            outputs[name] = tuple(output.shape[1:])

        handles.append(child.register_forward_hook(hook))
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def measure(
    module: nn.Sequential,
    input_shape: tuple[int, ...],
    device: str,
    names: list[str],
    idle: frozenset[str] = frozenset(),
) -> Measured:
    """Run ``module`` once on a batch of one and count what torch sees at each of ``names``.

    ``names`` are qualified module names (``named_modules()``), one per row of
    symcnn's table. A batch norm without running statistics normalises with the
    batch's own even in eval mode, which needs two values per channel: then the
    batch is two and the activations and MACs are divided by two. The modules in ``idle``
    (auxiliary heads) must not run in eval mode; their parameters still count.
    """
    module.eval()
    batch = (
        2
        if any(isinstance(m, nn.modules.batchnorm._BatchNorm) and not m.track_running_stats for m in module.modules())
        else 1
    )
    everything = dict(module.named_modules())
    watched = {name: everything[name] for name in names}
    outputs: dict[str, tuple[int, ...]] = {}
    x = torch.zeros((batch, *input_shape), device=device)
    with torch.no_grad(), forward_hooks(watched, outputs), FlopCounterMode(display=False) as counter:
        module(x)
    assert set(outputs) == set(watched) - idle, "every watched module ran, and no auxiliary head"
    activations = _numel(input_shape)
    for name, child in watched.items():
        if name not in idle and not isinstance(child, IN_PLACE_MODULES):
            activations += _numel(outputs[name])
    total_flops = counter.get_total_flops()
    assert total_flops % (2 * batch) == 0
    by_module = counter.get_flop_counts()
    prefix = type(module).__name__

    def own_flops(name: str) -> int:
        # A branch module's FLOPs are its arms'; the merge itself (add, cat, mul) has none.
        if isinstance(watched[name], Branch):
            return 0
        return int(sum(by_module.get(f"{prefix}.{name}", {}).values())) // (2 * batch)

    def own(name: str, tensors: str) -> int:
        child = watched[name]
        recurse = not isinstance(child, Branch)
        return sum(t.numel() for t in getattr(child, tensors)(recurse=recurse))

    layer_macs = {name: own_flops(name) for name in names}
    assert sum(layer_macs.values()) == total_flops // (2 * batch), "every FLOP belongs to one row"
    return Measured(
        params=sum(p.numel() for p in module.parameters()),
        buffers=sum(b.numel() for b in module.buffers()),
        activations=activations,
        macs=total_flops // (2 * batch),
        outputs=outputs,
        layer_params={name: own(name, "parameters") for name in names},
        layer_buffers={name: own(name, "buffers") for name in names},
        layer_macs=layer_macs,
    )


def _numel(shape: tuple[int, ...]) -> int:
    count = 1
    for size in shape:
        count *= size
    return count


def export(net: symcnn.Network, device: str) -> nn.Sequential:
    with torch.device(device):
        return sequential(net)


def sequential(net: symcnn.Network, **values: int) -> nn.Sequential:
    """``symcnn.to_torch``, checked to give an ``nn.Sequential``."""
    module = symcnn.to_torch(net, **values)
    assert isinstance(module, nn.Sequential)
    return module


def assert_agrees(net: symcnn.Network, device: str = "meta") -> Measured:
    """symcnn's counts of ``net`` (every value an int) equal torch's, row by row."""
    module = export(net, device)
    names = [module_name(layer) for layer in net.layers]
    assert len(set(names)) == len(names), "one module per row"
    idle = frozenset(name for layer, name in zip(net.layers, names, strict=True) if layer.idle)
    got = measure(module, tuple(int(size) for size in net.input), device, names, idle)
    for layer, name in zip(net.layers, names, strict=True):
        where = f"layer {layer.index} {layer.name!r} at {layer.path}"
        assert got.outputs.get(name) == (None if layer.idle else layer.output), where
        assert got.layer_params[name] == layer.params, where
        assert got.layer_buffers[name] == layer.buffers, where
        assert got.layer_macs[name] == layer.macs, where
    assert (net.params, net.buffers, net.activations, net.macs) == (
        got.params,
        got.buffers,
        got.activations,
        got.macs,
    )
    return got


def torch_fails(module: nn.Sequential, input_shape: tuple[int, ...], device: str) -> type[nn.Module] | None:
    """Run the module; the type of the innermost module running when torch raised, or None."""
    module.eval()
    running: list[nn.Module] = []

    def enter(child: nn.Module, _inputs: object) -> None:
        running.append(child)

    def leave(_child: nn.Module, _inputs: object, _output: object) -> None:
        running.pop()

    handles = []
    for child in module.modules():
        handles += [child.register_forward_pre_hook(enter), child.register_forward_hook(leave)]
    x = torch.zeros((2, *input_shape), device=device)  # two: a batch norm may need them
    try:
        with torch.no_grad():
            module(x)
    except (RuntimeError, ValueError):
        return type(running[-1])
    finally:
        for handle in handles:
            handle.remove()
    return None


# ------------------------------------------------------------------ the zoo


def _smallest(name: str) -> int:
    least = symcnn.parse(name).analysis.smallest_valid["n"]
    assert least is not None
    return least


# Sizes below an entry's smallest are left out; one outside its residue classes (a U-Net's) moves up to a valid one.
ZOO_CASES = [
    (name, n)
    for name in symcnn.zoo.names()
    for n in valid_sizes(name, tuple(size for size in SIZES if size >= _smallest(name)))
]


@pytest.mark.parametrize(("name", "n"), ZOO_CASES, ids=[f"{name}-{n}" for name, n in ZOO_CASES])
def test_zoo_entry_agrees_with_torch(name: str, n: int) -> None:
    assert_agrees(symcnn.parse(name, n=n))


@pytest.mark.parametrize("name", symcnn.zoo.names())
def test_zoo_domain_edge_agrees_with_torch(name: str) -> None:
    """At the smallest valid n torch runs and agrees; one less, both refuse."""
    least = _smallest(name)
    net = symcnn.parse(name, n=least)
    assert_agrees(net)
    with pytest.raises(symcnn.SymcnnError):
        symcnn.parse(name, n=least - 1)
    # The module built for n = least, fed least - 1: torch must refuse in a
    # convolution or pooling, before any fc whose width depends on n.
    module = export(net, "meta")
    shape = (int(net.input[0]), least - 1, least - 1)
    # (Or at a merge whose arms' sizes differ: a U-Net's skip connection, which no size below the smallest fits.)
    assert torch_fails(module, shape, "meta") in (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d, Branch)


def test_a_crop_is_a_view() -> None:
    """symcnn counts no activation for a crop: torch's slice shares its input's storage."""
    x = torch.zeros(1, 2, 9, 9)
    for crop in (CenterCrop((2, 1)), CenterCrop(ref=SizeRef())):
        if crop.ref is not None:
            crop.ref.size = (4, 5)
        assert crop(x).untyped_storage().data_ptr() == x.untyped_storage().data_ptr()


def test_meta_device_matches_cpu() -> None:
    """The meta device (used above for speed) gives the CPU kernels' shapes and FLOPs."""
    net = symcnn.parse("lenet5", n=37)
    assert assert_agrees(net, "meta") == assert_agrees(net, "cpu")


def test_vgg16_reference_numbers() -> None:
    got = assert_agrees(symcnn.parse("vgg16", n=224))
    assert got.params == 138_357_544
    assert got.macs == 15_470_264_320


# ------------------------------------------------------------------ the export itself


def test_module_types_follow_the_text() -> None:
    text = (
        "input 4xnxn conv1x3-8(stride=2, padding=(0, 1), dilation=2, groups=2, bias=false) bn relu6 "
        "dwconv5(stride=2) maxpool3(stride=2, padding=1, ceil_mode=true) avgpool2(stride=1, ceil_mode=true) "
        "lrn(size=3, alpha=0.001, beta=0.5, k=1) adaptivemaxpool3x2 silu flatten fc16(bias=false) bn gelu "
        "dropout(p=0.25) fc5 identity sigmoid tanh softmax"
    )
    module = sequential(symcnn.parse(text), n=40)
    conv, bn2d, _, dw, maxpool, avgpool, lrn, adaptive, _, _, fc, bn1d, _, dropout, fc5 = list(module)[:15]
    assert isinstance(conv, nn.Conv2d)
    assert (conv.in_channels, conv.out_channels, conv.kernel_size) == (4, 8, (1, 3))
    assert (conv.stride, conv.padding, conv.dilation, conv.groups, conv.bias) == ((2, 2), (0, 1), (2, 2), 2, None)
    assert isinstance(bn2d, nn.BatchNorm2d) and bn2d.num_features == 8
    assert isinstance(dw, nn.Conv2d)
    assert (dw.in_channels, dw.out_channels, dw.groups, dw.kernel_size, dw.padding) == (8, 8, 8, (5, 5), (2, 2))
    assert isinstance(maxpool, nn.MaxPool2d) and maxpool.ceil_mode and maxpool.padding == (1, 1)
    assert isinstance(avgpool, nn.AvgPool2d) and avgpool.ceil_mode and avgpool.stride == (1, 1)
    assert isinstance(lrn, nn.LocalResponseNorm)
    assert (lrn.size, lrn.alpha, lrn.beta, lrn.k) == (3, 0.001, 0.5, 1.0)
    assert isinstance(adaptive, nn.AdaptiveMaxPool2d) and adaptive.output_size == (3, 2)
    assert isinstance(fc, nn.Linear) and fc.bias is None and fc.in_features == 8 * 3 * 2
    assert isinstance(bn1d, nn.BatchNorm1d) and bn1d.num_features == 16
    assert isinstance(dropout, nn.Dropout) and dropout.p == 0.25
    assert isinstance(fc5, nn.Linear) and fc5.in_features == 16
    assert isinstance(module[-1], nn.Softmax) and module[-1].dim == 1
    assert_agrees(symcnn.parse(text, n=40), "cpu")


def test_defaults_of_dropout_and_lrn() -> None:
    dropout, lrn = sequential(symcnn.parse("dropout lrn"), n=4)
    assert isinstance(dropout, nn.Dropout) and dropout.p == 0.5
    assert isinstance(lrn, nn.LocalResponseNorm)
    assert (lrn.size, lrn.alpha, lrn.beta, lrn.k) == (5, 1e-4, 0.75, 2.0)


def test_fc_after_a_feature_map_flattens_under_its_own_name() -> None:
    module = sequential(symcnn.parse("conv3-4 fc7 fc3"), n=5)
    first, second = module[1], module[2]
    assert isinstance(first, nn.Sequential)
    assert [type(m) for m in first] == [nn.Flatten, nn.Linear]
    assert first[1].in_features == 4 * 5 * 5
    assert isinstance(second, nn.Linear) and second.in_features == 7


def test_batch_norm_options() -> None:
    bn = sequential(symcnn.parse("conv1-6 bn(affine=false, track_running_stats=false)"), n=3)[1]
    assert isinstance(bn, nn.BatchNorm2d) and not bn.affine and not bn.track_running_stats
    assert assert_agrees(symcnn.parse("conv1-6 bn(affine=false, track_running_stats=false)", n=3)).buffers == 0


def test_values_are_given_first() -> None:
    net = symcnn.parse("conv3-{c} maxpool fc{k}")
    module = sequential(net, c=6, k=3, n=8)
    assert str(module) == str(sequential(net.at(c=6, k=3, n=8)))
    fc = module[2]
    assert isinstance(fc, nn.Sequential) and fc[1].in_features == 6 * 4 * 4


def test_spatial_size_is_needed_only_for_fc_features() -> None:
    net = symcnn.parse("conv3-8 maxpool conv3-16 gap fc10")
    assert net.symbols == ("n",)
    module = sequential(net)  # n free: nothing in the module depends on it
    fc = module[4]
    assert isinstance(fc, nn.Sequential) and fc[1].in_features == 16
    with pytest.raises(symcnn.SymcnnError, match=r"\bn\b"):
        sequential(symcnn.parse("conv3-8 maxpool fc10"))
    with pytest.raises(symcnn.SymcnnError, match=r"\bn\b"):
        sequential(symcnn.parse("conv3-8 flatten bn"))


def test_missing_symbols_are_named() -> None:
    net = symcnn.parse("conv3-{c} conv3-8(stride={s}) gap fc{k}")
    with pytest.raises(symcnn.SymcnnError) as caught:
        sequential(net, c=4)
    message = str(caught.value)
    assert "needs values for k, s:" in message  # not c: it has one
    assert "layer 2" in message and "layer 4" in message
    sequential(net, c=4, k=2, s=2)


def test_lrn_on_flat_features_is_refused() -> None:
    with pytest.raises(symcnn.SymcnnError, match="LocalResponseNorm"):
        sequential(symcnn.parse("gap fc10 lrn"), n=4)


def test_lrn_size_must_be_whole() -> None:
    with pytest.raises(symcnn.SymcnnError, match="size"):
        sequential(symcnn.parse("lrn(size=2.5)"), n=4)


def test_ir_and_module_line_up() -> None:
    net = symcnn.parse("alexnet-2012", n=227)
    module = export(net, "meta")
    kinds: dict[type, type[nn.Module] | tuple[type[nn.Module], ...]] = {
        ir.Conv: nn.Conv2d,
        ir.Pool: nn.MaxPool2d,
        ir.Linear: (nn.Linear, nn.Sequential),
    }
    for layer, child in zip(net.architecture.layers, module):
        expected = kinds.get(type(layer))
        if expected is not None:
            assert isinstance(child, expected)
    grouped = [child for child in module if isinstance(child, nn.Conv2d) and child.groups == 2]
    assert len(grouped) == 3


@pytest.mark.parametrize("ceil_mode", [False, True])
@pytest.mark.parametrize("mode", ["max", "avg"])
def test_pool_padding_limit_is_torchs(mode: str, ceil_mode: bool) -> None:
    """symcnn refuses a pooling's padding exactly when torch does (dilation does not widen the limit)."""
    for kernel in range(1, 6):
        for padding in range(4):
            for dilation in (1, 2, 3) if mode == "max" else (1,):
                options = f"stride=1, padding={padding}, ceil_mode={str(ceil_mode).lower()}"
                if mode == "max":
                    options += f", dilation={dilation}"
                    module: nn.Module = nn.MaxPool2d(kernel, 1, padding, dilation, ceil_mode=ceil_mode)
                else:
                    module = nn.AvgPool2d(kernel, 1, padding, ceil_mode=ceil_mode)
                text = f"{mode}pool{kernel}({options})"
                try:
                    symcnn.parse(text, n=16)
                    symcnn_accepts = True
                except symcnn.SymcnnError:
                    symcnn_accepts = False
                try:
                    module(torch.zeros((1, 1, 16, 16), device="meta"))
                    torch_accepts = True
                except RuntimeError:
                    torch_accepts = False
                assert symcnn_accepts == torch_accepts, text


def _symcnn_sizes(text: str, sizes: range) -> list[tuple[int, ...] | None]:
    net = symcnn.parse(f"input 1xnxn\n{text}")
    found: list[tuple[int, ...] | None] = []
    for n in sizes:
        try:
            found.append(tuple(int(size) for size in net.at(n=n).layers[-1].output))
        except symcnn.SymcnnError:
            found.append(None)
    return found


def _torch_sizes(module: nn.Module, sizes: range) -> list[tuple[int, ...] | None]:
    found: list[tuple[int, ...] | None] = []
    for n in sizes:
        try:
            found.append(tuple(module(torch.zeros((1, 1, n, n))).shape[1:]))
        except RuntimeError:
            found.append(None)
    return found


@pytest.mark.parametrize("ceil_mode", [False, True])
@pytest.mark.parametrize("mode", ["max", "avg"])
def test_every_small_pooling_has_torchs_size(mode: str, ceil_mode: bool) -> None:
    """Output sizes and refusals of every small pooling, n = 1 … 12, exactly as torch's kernels."""
    sizes = range(1, 13)
    for kernel in range(1, 5):
        for stride in range(1, 4):
            for padding in range(kernel // 2 + 1):
                for dilation in (1, 2) if mode == "max" else (1,):
                    options = f"stride={stride}, padding={padding}, ceil_mode={str(ceil_mode).lower()}"
                    if mode == "max":
                        options += f", dilation={dilation}"
                        module: nn.Module = nn.MaxPool2d(kernel, stride, padding, dilation, ceil_mode=ceil_mode)
                    else:
                        module = nn.AvgPool2d(kernel, stride, padding, ceil_mode=ceil_mode)
                    text = f"{mode}pool{kernel}({options})"
                    assert _symcnn_sizes(text, sizes) == _torch_sizes(module, sizes), text


def test_every_small_convolution_has_torchs_size() -> None:
    """Output sizes and refusals of every small convolution, n = 1 … 12, exactly as torch's kernels."""
    sizes = range(1, 13)
    for kernel in range(1, 6):
        for stride in range(1, 4):
            for padding in range(4):
                for dilation in range(1, 4):
                    text = f"conv{kernel}-1(stride={stride}, padding={padding}, dilation={dilation})"
                    module = nn.Conv2d(1, 1, kernel, stride, padding, dilation)
                    assert _symcnn_sizes(text, sizes) == _torch_sizes(module, sizes), text
