"""Closed forms checked against a second route: the all-integer walk at each n."""

from __future__ import annotations

import re

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn
from symcnn.analysis import QUANTITIES
from symcnn.values import symbol

n = symbol("n")
ZOO = symcnn.zoo.names()


def test_vgg16_closed_forms() -> None:
    # The forms quoted in the issue and in ../shared/DERIVATION.md.
    net = symcnn.parse("vgg-d")
    params = net.closed_form("params")
    assert params.general == 2_097_152 * sympy.floor(n / 32) ** 2 + 35_597_096
    assert params.polynomial == 2048 * n**2 + 35_597_096
    assert params.multiple_of == {"n": 32}
    assert params.smallest_valid == {"n": 32}
    assert (params.assumption, params.domain) == ("n a multiple of 32", "n ≥ 32")
    assert net.closed_form("macs").polynomial == 307_904 * n**2 + 20_873_216


def test_nested_floors_collapse() -> None:
    # ⌊⌊⌊n/2⌋/2⌋/2⌋ = ⌊n/8⌋: one atom, never nested.
    net = symcnn.parse("maxpool maxpool maxpool")
    assert net.layers[-1].output == (3, sympy.floor(n / 8), sympy.floor(n / 8))
    for layer in net.layers:
        for size in layer.output:
            for atom in sympy.sympify(size).atoms(sympy.floor):
                assert not atom.args[0].has(sympy.floor)


@pytest.mark.parametrize("name", ZOO)
def test_general_form_equals_the_integer_walk(name: str) -> None:
    net = symcnn.parse(name)
    least = net.analysis.smallest_valid["n"]
    domain = net.analysis.domains["n"]
    assert least is not None and domain is not None
    for value in sorted({least, least + 1, least + 7, 97, 224, 227, 255}):
        if not domain.contains(value):  # below the smallest, or off a U-Net's residue classes
            continue
        at = net.at(n=value)
        for quantity in QUANTITIES:
            form = net.closed_form(quantity)
            assert sympy.sympify(form.general).subs(n, value) == at.total(quantity), (quantity, value)


@pytest.mark.parametrize("name", ZOO)
def test_polynomial_form_at_multiples(name: str) -> None:
    net = symcnn.parse(name)
    for quantity in QUANTITIES:
        form = net.closed_form(quantity)
        assert form.polynomial is not None
        step = form.multiple_of.get("n", 1)
        residue = form.residue_of.get("n", 0)  # n ≡ residue (mod step): a multiple of step unless a domain says
        least = form.smallest_valid["n"] or 1
        domain = form.domains["n"]
        first = least + (residue - least) % step
        members = (first + k * step for k in range(10_000))
        valid = [value for value in members if domain is None or domain.contains(value)]  # off a U-Net's classes
        for value in (valid[0], valid[1], valid[5]):
            assert sympy.sympify(form.polynomial).subs(n, value) == net.at(n=value).total(quantity)


@pytest.mark.parametrize("name", ZOO)
def test_domain_is_tight(name: str) -> None:
    net = symcnn.parse(name)
    least = net.analysis.smallest_valid["n"]
    assert least is not None
    net.at(n=least)
    if least > 1:
        with pytest.raises(symcnn.SymcnnError, match=re.escape(f"valid for {net.closed_form('params').domain}")):
            net.at(n=least - 1)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(ZOO), st.integers(min_value=1, max_value=4096))
def test_symbolic_layers_substitute_to_the_integer_layers(name: str, value: int) -> None:
    net = symcnn.parse(name)
    domain = net.analysis.domains["n"]
    if domain is not None and not domain.contains(value):  # outside the domain: refused, whatever the reason
        with pytest.raises(symcnn.SymcnnError):
            net.at(n=value)
        return
    at = net.at(n=value)
    for symbolic, concrete in zip(net.layers, at.layers, strict=True):
        assert tuple(sympy.sympify(v).subs(n, value) for v in symbolic.output) == concrete.output
        assert sympy.sympify(symbolic.params).subs(n, value) == concrete.params
        assert sympy.sympify(symbolic.macs).subs(n, value) == concrete.macs


def test_no_floats_anywhere() -> None:
    for name in ZOO:
        net = symcnn.parse(name)
        for quantity in QUANTITIES:
            form = net.closed_form(quantity)
            for expr in (form.general, form.polynomial):
                assert not sympy.sympify(expr).has(sympy.Float)


def test_other_symbols_stay_symbolic() -> None:
    # A second route for fc{k}: the classifier's parameters written out by hand.
    net = symcnn.parse("conv3-8 gap fc{k}")
    k = symbol("k")
    assert sympy.expand(net.params - (3 * 3 * 3 * 8 + 8) - (8 * k + k)) == 0
    assert net.at(k=10).params == (3 * 3 * 3 * 8 + 8) + 8 * 10 + 10
    assert net.symbols == ("k", "n")


def test_vgg16_with_k_classes() -> None:
    # Issue #4: params of VGG-16 with k classes = 4097·k + 134,260,544 at n = 224, i.e. REFERENCE.md's
    # 138,357,544 less fc3's 4096·1000 + 1000, plus 4096·k + k for k classes.
    text = symcnn.zoo.text("vgg-d").replace("FC-1000", "FC-{k}")
    k = symbol("k")
    net = symcnn.parse(text, n=224)
    assert sympy.expand(net.params - (4097 * k + 138_357_544 - (4096 * 1000 + 1000))) == 0
    assert symcnn.parse(text, n=224, k=10).params == 4097 * 10 + 134_260_544


def test_width_multiplier() -> None:
    # conv3-{w*64}: every conv of VGG-16 scaled by w; a second route: the sum written out by hand.
    text = "conv3-{w*64}x2 maxpool conv3-{w*128}x2 maxpool gap fc10"
    w = symbol("w")
    expected = (27 * 64 * w + 64 * w) + (9 * 64 * w * 64 * w + 64 * w)
    expected += (9 * 64 * w * 128 * w + 128 * w) + (9 * 128 * w * 128 * w + 128 * w) + 128 * w * 10 + 10
    assert sympy.expand(symcnn.parse(text).params - expected) == 0
