"""Zoo entries for torchvision's mobile, Inception and modern CNNs, reproduced exactly.

mobilenet_v2, googlenet, inception_v3, efficientnet_b0, mnasnet1_0, regnet_y_400mf and
convnext_tiny, each written as torchvision builds it (weights=None; googlenet and inception_v3 with their
auxiliary heads, which REFERENCE.md's figures leave out: aux=False below).
"""

from __future__ import annotations

from functools import cache

import pytest

import symcnn
from symcnn.network import Network

# ../shared/REFERENCE.md, "torchvision (weights=None), parameters and buffers": (parameters, buffers).
TORCHVISION = {
    "mobilenet_v2": (3_504_872, 34_164),
    "googlenet": (6_624_904, 14_617),  # aux_logits=False
    "inception_v3": (23_834_568, 34_526),  # aux_logits=False
    "efficientnet_b0": (5_288_548, 42_065),
    "mnasnet1_0": (4_383_312, 37_972),
    "regnet_y_400mf": (4_344_144, 27_205),
    "convnext_tiny": (28_589_128, 0),
}


@cache
def _symbolic(name: str) -> Network:
    return symcnn.parse(name)


# REFERENCE.md's figures for these two are without the auxiliary heads.
WITHOUT_AUX = {"googlenet", "inception_v3"}


@pytest.mark.parametrize("name", list(TORCHVISION))
def test_parameters_and_buffers_at_224_match_torchvision(name: str) -> None:
    net = symcnn.parse(name, aux=name not in WITHOUT_AUX, n=224)
    assert (net.params, net.buffers) == TORCHVISION[name]


@pytest.mark.parametrize("name", list(TORCHVISION))
def test_parameters_do_not_depend_on_the_input_size(name: str) -> None:
    # An architectural fact, independent of the figures above: each classifier reads a C×1×1
    # map after a global (adaptive) average pool, so no weight depends on n.
    net = _symbolic(name)
    layers = list(net.layers)
    last_fc = max(i for i, layer in enumerate(layers) if layer.kind == "fc")
    last_gap = max(i for i, layer in enumerate(layers) if layer.name.startswith("gap"))  # gap, gap(via=mean) …
    assert last_gap < last_fc
    assert all(layer.kind != "conv" for layer in layers[last_gap:last_fc])
    assert tuple(layers[last_fc].geometry.input[1:]) in {(1, 1), ()}
    at_224 = net.at(n=224).params
    assert net.at(n=97).params == at_224
    assert net.at(n=299).params == at_224


@pytest.mark.parametrize("name", list(TORCHVISION))
def test_every_leaf_row_has_a_path(name: str) -> None:
    rows = _symbolic(name).at(n=224).rows()
    assert rows
    assert all(row.path for row in rows)


def test_inception_v3_at_its_own_size() -> None:
    # torchvision's comments in inception.py: N x 2048 x 8 x 8 before the pool at 299×299.
    net = symcnn.parse("inception_v3", aux=False, n=299)
    layers = list(net.layers)
    last_gap = max(i for i, layer in enumerate(layers) if layer.name.startswith("gap"))  # gap, gap(via=mean) …
    assert tuple(layers[last_gap - 1].output) == (2048, 8, 8)
    assert (net.params, net.buffers) == TORCHVISION["inception_v3"]
