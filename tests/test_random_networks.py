"""Random texts: symcnn against PyTorch, and symcnn against itself.

For random valid texts (``strategies.networks``) at a few input sizes:

* inside the validity domain, the exported module runs and torch measures
  the same parameters, buffers, activations, MACs and output shapes;
* outside it, ``net.at`` raises and torch refuses too, in a convolution or
  pooling (the domain symcnn reports is exactly where torch works);
* the symbolic totals and shapes, with the sizes substituted, equal the ints
  of ``net.at``; the polynomial closed form equals them for sizes that are
  multiples of ``multiple_of``; an ``input CxHxW`` line with numbers gives
  what ``input Cxhxw`` gives at those values.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import sympy
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import Case, networks
from test_torch_oracle import assert_agrees, export
from torch import nn

import symcnn
from symcnn import ir
from symcnn.analysis import analyze
from symcnn.build import build
from symcnn.errors import SizeError
from symcnn.network import Network

QUANTITIES = ("params", "buffers", "activations", "macs")
# Real CPU kernels when the forward pass is cheap; shapes from meta otherwise.
CPU_MACS = 20_000_000
CPU_ACTIVATIONS = 2_000_000
# An input size at which any single generated layer is valid.
BIG = 256

RANDOM = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def substitute(value: object, values: dict[str, int]) -> int:
    """A symcnn value (int or sympy expression) at the given sizes."""
    if isinstance(value, int):
        return value
    assert isinstance(value, sympy.Expr)
    result = value.subs({s: values[str(s)] for s in value.free_symbols})
    assert result.is_Integer, (value, values, result)
    return int(result)


def device_for(net: Network) -> str:
    macs, activations = net.macs, net.activations
    assert isinstance(macs, int) and isinstance(activations, int)
    return "cpu" if macs <= CPU_MACS and activations <= CPU_ACTIVATIONS else "meta"


def refusal(text: str, values: dict[str, int]) -> None:
    """symcnn refuses ``text`` at ``values``: torch must refuse at the same layer.

    The first layer symcnn refuses is found by analysing ever longer prefixes
    (blocks inlined); torch runs the layers before it (all on C×H×W maps, so
    their modules do not depend on the input size) and the refused layer's
    module, built for a large input, must raise on what they produce.
    """
    written = build(text)
    architecture = replace(written, layers=inline(written.layers))
    for count in range(1, len(architecture.layers) + 1):
        try:
            analyze(replace(architecture, layers=architecture.layers[:count]), values)
        except SizeError:
            break
    else:
        pytest.fail(f"symcnn refused {text!r} at {values}, but every prefix is valid")
    before = Network(analyze(replace(architecture, layers=architecture.layers[: count - 1]), values))
    device = device_for(before)
    shape = tuple(int(size) for size in (before.layers[-1].output if before.layers else before.input))
    assert len(shape) == 3, "only a convolution or pooling can refuse"
    with torch.no_grad():  # a batch of two: a batch norm without running statistics needs it
        x = export(before, device).eval()(torch.zeros((2, *int_input(before)), device=device))
    assert tuple(x.shape[1:]) == shape
    refused = architecture.layers[count - 1]
    assert isinstance(refused, (ir.Conv, ir.Pool)), f"branches never refuse by themselves: {refused}"
    roomy = ir.Architecture(ir.Input(ir.Num(shape[0]), ir.Num(BIG), ir.Num(BIG)), (refused,))
    module = export(Network(analyze(roomy)), device)
    assert isinstance(module[0], (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d))
    with pytest.raises(RuntimeError), torch.no_grad():
        module(x)


def inline(nodes: tuple[ir.Node, ...]) -> tuple[ir.Node, ...]:
    """Blocks replaced by their bodies: the same network, its layers in one sequence."""
    flat: list[ir.Node] = []
    for node in nodes:
        flat.extend(inline(node.body) if isinstance(node, ir.Block) else (node,))
    return tuple(flat)


def int_input(net: Network) -> tuple[int, ...]:
    return tuple(int(size) for size in net.input)


def check_size(net: Network | None, text: str, values: dict[str, int]) -> Network | None:
    """Compare symcnn and torch at one input size; the evaluated network, or None if refused.

    ``net`` is ``text`` parsed with its size symbols free (None: parsing refused it).
    """
    if net is None:
        refusal(text, values)
        return None
    least = net.analysis.smallest_valid
    inside = all(value >= (least[name] or value + 1) for name, value in values.items())
    try:
        fixed = net.at(**values)
    except SizeError:
        fixed = None
    assert (fixed is not None) == inside, f"the domain is {least}, but at {values} symcnn says {fixed}"
    if fixed is None:
        refusal(text, values)
        return None
    assert_agrees(fixed, device_for(fixed))
    for quantity in QUANTITIES:
        assert substitute(net.total(quantity), values) == fixed.total(quantity), quantity
    for symbolic, evaluated in zip(net.layers, fixed.layers):
        assert tuple(substitute(size, values) for size in symbolic.output) == evaluated.output
    return fixed


def parse_or_none(text: str) -> Network | None:
    try:
        return symcnn.parse(text)
    except SizeError:
        return None


def check_closed_forms(net: Network, step: int) -> None:
    """The polynomial closed form holds at multiples of ``multiple_of`` inside the domain."""
    least = net.analysis.smallest_valid
    for quantity in QUANTITIES:
        form = net.closed_form(quantity)
        assert form.polynomial is not None, (quantity, form)
        values = {}
        for name in net.symbols:
            multiple = form.multiple_of.get(name, 1)
            lowest = least[name]
            assert lowest is not None
            values[name] = multiple * (math.ceil(lowest / multiple) + step)
        expected = net.at(**values).total(quantity)
        assert substitute(form.polynomial, values) == expected, (quantity, values)
        assert substitute(form.general, values) == expected, (quantity, values)


@RANDOM
@given(case=networks(), step=st.integers(0, 2))
def test_random_network_agrees_with_torch(case: Case, step: int) -> None:
    net = parse_or_none(case.text)
    fixed = [check_size(net, case.text, values) for values in case.sizes]
    if net is not None:
        assert net.symbols == case.symbols
        check_closed_forms(net, step)
    if case.numeric is not None:
        numeric = parse_or_none(case.numeric)
        assert (numeric is None) == (fixed[0] is None), case.numeric
        if numeric is not None and fixed[0] is not None:
            assert numeric.symbols == ()
            assert [layer.output for layer in numeric.layers] == [layer.output for layer in fixed[0].layers]
            for quantity in QUANTITIES:
                assert numeric.total(quantity) == fixed[0].total(quantity)


@RANDOM
@given(case=networks())
def test_domain_edge_is_exact(case: Case) -> None:
    """At the smallest valid sizes symcnn and torch both work; one less, both refuse."""
    net = parse_or_none(case.text)
    if net is None:
        return  # refused whatever the size: the test above checks torch refuses too
    least = net.analysis.smallest_valid
    edge: dict[str, int] = {}
    for name in case.symbols:
        lowest = least[name]
        assert lowest is not None
        edge[name] = lowest
    assert check_size(net, case.text, edge) is not None
    for name, lowest in edge.items():
        if lowest > 1:
            assert check_size(net, case.text, {**edge, name: lowest - 1}) is None
