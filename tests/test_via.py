"""``via=``: how torch runs a layer where that changes what a tool counts.

The notation accepts it only where it means something, with a caret under the
spot otherwise; it never changes shapes, parameters or symcnn's own counts; the
export runs each layer the way torchvision does. What each tool counts for it is
tested against the tools themselves: on symcnn's export in test_conventions.py
(its PROBES), on torchvision's models in test_tools_on_torchvision.py.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

import symcnn
from symcnn import ir
from symcnn.build import build
from symcnn.compare import compare
from symcnn.conventions import CONVENTIONS
from symcnn.errors import NotationSyntaxError

VIA_TEXT = (
    "input 8x12x12 conv3-8 relu(via=functional) gelu(via=functional) softmax(via=functional) "
    "maxpool(via=functional) avgpool3(stride=1, padding=1, via=functional) adaptiveavgpool5(via=functional) "
    "ln(via=functional) conv1-16(via=linear) layerscale(via=functional) res(conv1-16(via=linear) | ) "
    "mul( | gap(via=mean) conv1-16 sigmoid(via=functional)) gap(via=functional) flatten fc3 ln(via=functional)"
)
PLAIN_TEXT = VIA_TEXT.replace("(via=functional)", "").replace("(via=linear)", "").replace("(via=mean)", "")
PLAIN_TEXT = PLAIN_TEXT.replace(", via=functional)", ")")


def test_the_values_land_in_the_ir() -> None:
    layers = build("conv1-8(via=linear) relu(via=functional) gap(via=mean) maxpool(via=functional) bn").layers
    assert [getattr(layer, "via", None) for layer in layers] == ["linear", "functional", "mean", "functional", None]
    assert set(ir.VIA) == {"functional", "mean", "linear"}


def test_via_changes_nothing_but_the_tools_counts() -> None:
    assert "via" not in PLAIN_TEXT
    via, plain = symcnn.parse(VIA_TEXT), symcnn.parse(PLAIN_TEXT)
    assert [layer.output for layer in via.layers] == [layer.output for layer in plain.layers]
    for quantity in ("params", "buffers", "activations", "macs"):
        assert getattr(via, quantity) == getattr(plain, quantity), quantity
    changed = {
        name for name in CONVENTIONS if compare(via, [name]).row(name).count != compare(plain, [name]).row(name).count
    }
    assert changed == {"fvcore", "torchinfo", "ptflops", "thop"}  # ptflops-aten and torch count aten products only
    # fvcore counts aten::adaptive_avg_pool2d, functional or not, and nothing for aten::mean.
    assert symcnn.parse("input 8x12x12 gap(via=functional)", convention="fvcore").macs == 8 * 12 * 12
    assert symcnn.parse("input 8x12x12 gap(via=mean)", convention="fvcore").macs == 0


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("bn(via=functional)", 4, "via= does not apply to bn"),
        ("fc10(via=linear)", 6, "via= does not apply to fc10"),
        ("dwconv3(via=linear)", 9, "via= does not apply to dwconv3"),
        ("dropout(p=0.2, via=functional)", 16, "via= does not apply to dropout"),
        ("maxpool(via=mean)", 13, "via=mean does not apply to maxpool; it takes functional"),
        ("relu(via=linear)", 10, "via=linear does not apply to relu; it takes functional"),
        ("gap(via=linear)", 9, "via=linear does not apply to gap; it takes functional or mean"),
        ("relu(via=functionl)", 10, "did you mean 'functional'?"),
        ("relu(via=2)", 10, "via= takes a word: functional"),
        ("conv3-8(via=linear)", 9, "it needs a 1×1 kernel, stride 1, padding 0, dilation 1 and groups 1"),
        ("conv1-8(stride=2, via=linear)", 19, "conv1-8 has stride 2"),
        ("conv1-8(padding=(0, 1), via=linear)", 25, "conv1-8 has padding (0, 1)"),
        ("conv1-8(groups=2, via=linear)", 19, "conv1-8 has groups 2"),
        ("conv1-{k}(via=linear) conv{k}-8(via=linear)", 33, "conv{k}-8 has a k×k kernel"),
        ("conv3-8(stride=two)", 16, "option 'stride' takes a number, true or false, not the word 'two'"),
    ],
)
def test_a_wrong_via_is_an_error_with_a_caret(text: str, column: int, message: str) -> None:
    with pytest.raises(NotationSyntaxError) as caught:
        build(text)
    error = caught.value
    assert message in error.reason
    assert (error.line, error.column) == (1, column)
    assert error.context.splitlines()[1] == " " * (column - 1) + "^"


def test_via_given_twice_is_refused() -> None:
    with pytest.raises(symcnn.SymcnnError, match="option 'via' is given twice"):
        build("relu(via=functional, via=functional)")


def test_the_export_runs_each_layer_as_torchvision_does() -> None:
    from symcnn.torch_modules import BlockLayerScale, ChannelsLastLinear, GlobalMean, LayerNorm2d, functional

    net = symcnn.parse(VIA_TEXT)
    model = symcnn.to_torch(net)
    kinds = {type(module) for module in model.modules()}
    assert {ChannelsLastLinear, GlobalMean, LayerNorm2d, BlockLayerScale} <= kinds
    assert {functional(op) for op in ("relu", "gelu", "softmax", "maxpool", "avgpool", "adaptiveavgpool")} <= kinds
    # Hook-based tools look modules up by their exact type: these are not the nn modules they know.
    assert not kinds & {nn.ReLU, nn.GELU, nn.Softmax, nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.LayerNorm}
    assert sum(p.numel() for p in model.parameters()) == net.params
    # The same numbers as the plain layers, given the same weights.
    plain = symcnn.to_torch(symcnn.parse(PLAIN_TEXT))
    with torch.no_grad():
        for mine, other in zip(model.parameters(), plain.parameters(), strict=True):
            mine.copy_(torch.randn(mine.shape))
            other.copy_(mine.reshape(other.shape))
        x = torch.randn(2, 8, 12, 12)
        assert torch.allclose(model.eval()(x), plain.eval()(x), atol=1e-5)


def test_a_functional_relu6_calls_f_relu6() -> None:
    from symcnn.torch_modules import functional

    calls = []
    original = nn.functional.relu6

    def spy(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    nn.functional.relu6 = spy  # type: ignore[assignment]
    try:
        functional("relu6")()(torch.zeros(1, 2))
    finally:
        nn.functional.relu6 = original
    assert calls == [1]


def test_a_derivation_document_under_torchinfo_says_what_it_does_not_count() -> None:
    # torchinfo counts no output for a layer scale multiplied in its block's forward (nor for a bn without affine).
    net = symcnn.parse("input 8x12x12 conv3-8 layerscale(via=functional) bn(affine=false)", convention="torchinfo")
    assert [layer.activations for layer in net.layers] == [8 * 12 * 12, 0, 0]
    assert net.latex(document=True).count("$= 0$ (not counted)") == 2
