"""Networks with more than one output (``out(…)``): each output's shape, and counts that add up as torch runs them.

The oracle is torch itself: the exported module keeps each side output (``side_outputs``), and
torchvision's FCN with ``aux_loss=True`` returns its auxiliary classifier's map under ``"aux"``.
"""

from __future__ import annotations

import pytest
import torch

import symcnn
from symcnn.errors import SymcnnError

TEXT = "conv3-8 maxpool out(conv3-4 relu resize(to=input, mode=bilinear)) conv3-8 out(conv1-2) upconv2-3"


@pytest.mark.parametrize("size", [4, 9, 32])
def test_every_output_has_the_shape_torch_gives(size: int) -> None:
    net = symcnn.parse(TEXT, n=size)
    model = symcnn.to_torch(net).eval()
    with torch.no_grad():
        main = model(torch.zeros(1, 3, size, size))
    shapes = [tuple(output.shape[1:]) for output in (*model.side_outputs, main)]
    assert shapes == [shape for _, shape in net.analysis.outputs]
    assert net.params == sum(p.numel() for p in model.parameters())


def test_side_outputs_count_in_eval_mode_and_are_listed() -> None:
    net = symcnn.parse(TEXT)
    assert [path for path, _ in net.analysis.outputs] == ["out1", "out2", "upconv"]
    assert all(not layer.idle for layer in net.layers)  # an out head runs in eval mode, unlike aux
    table = net.table()
    assert "Outputs: out1 4×n×n; out2 2×⌊n/2⌋×⌊n/2⌋; upconv 3×2·⌊n/2⌋×2·⌊n/2⌋" in table


@pytest.mark.parametrize("text", ["out()", "out(relu | bn)"])
def test_an_out_head_is_one_arm_with_a_layer(text: str) -> None:
    with pytest.raises(SymcnnError, match=r"out takes one arm|out needs at least one layer"):
        symcnn.parse(text)


def test_fcn_with_its_auxiliary_classifier_is_torchvisions() -> None:
    """torchvision's FCN with aux_loss=True runs FCNHead(1024) on layer3 in eval mode too and returns it as "aux":
    written as an out(…) head, its parameters, buffers and both outputs' shapes are torchvision's."""
    from test_zoo_torchvision import build

    text = symcnn.zoo.text("fcn_resnet50").replace(
        "layer1 layer2 layer3 layer4", "layer1 layer2 layer3 out(fcn_head(21) resize(to=input, mode=bilinear)) layer4"
    )
    model = build("fcn_resnet50", weights_backbone=None, aux_loss=True)
    net = symcnn.parse(text)
    assert (net.params, net.buffers) == (
        sum(p.numel() for p in model.parameters()),
        sum(b.numel() for b in model.buffers()),
    )
    for size in (97, 224):
        with torch.no_grad():
            found = model(torch.empty(1, 3, size, size, device="meta"))
        shapes = {path: shape for path, shape in symcnn.parse(text, n=size).analysis.outputs}
        assert shapes["out"] == tuple(found["aux"].shape[1:])
        assert list(shapes.values())[-1] == tuple(found["out"].shape[1:])
