"""Sweeps and solving for n, checked against the layer-by-layer integer walk."""

from __future__ import annotations

import json
import time

import pytest

import symcnn
from symcnn.render import sweep as render
from symcnn.sweep import Memory, parse_condition, parse_range, solve, sweep


def test_vgg16_sweep_is_exact_at_every_size() -> None:
    # Issue #4: `symcnn sweep vgg16 --n 32:4096:32` is exact at every n.
    net = symcnn.parse("vgg16")
    sizes = parse_range("32:4096:32")
    assert len(sizes) == 128
    for row in sweep(net, sizes):
        exact = net.at(n=row.n)  # a second route: every layer evaluated with integers
        assert (row.params, row.activations, row.macs) == (exact.params, exact.activations, exact.macs)
        assert row.memory == (exact.activations + exact.params) * 4


def test_memory_counts_batch_and_dtype() -> None:
    net = symcnn.parse("vgg-d")
    (row,) = sweep(net, [224], memory=Memory(batch=32, dtype="float16"))
    # REFERENCE.md: 15,237,608 activations and 138,357,544 parameters at 224.
    assert row.memory == (15_237_608 * 32 + 138_357_544) * 2


def test_solve_memory_budget() -> None:
    # Issue #4's example; the boundary checked against the integer walk at n and n + 32.
    result = solve(symcnn.parse("vgg16"), parse_condition("memory(batch=32) <= 8GiB"), step=32)
    assert result.n is not None and result.edge == result.n + 32
    at_n, past = symcnn.parse("vgg16", n=result.n), symcnn.parse("vgg16", n=result.edge)
    assert (at_n.activations * 32 + at_n.params) * 4 == result.value <= 8 * 2**30
    assert (past.activations * 32 + past.params) * 4 == result.edge_value > 8 * 2**30


@pytest.mark.parametrize("bound", [10**9, 15_470_264_320, 20 * 10**9, 10**12])
def test_solve_macs_against_a_scan(bound: int) -> None:
    net = symcnn.parse("vgg-d")
    result = solve(net, parse_condition(f"macs <= {bound}"), step=32)
    scan = [n for n in range(32, 8000, 32) if symcnn.parse("vgg-d", n=n).macs <= bound]
    assert result.n == max(scan)


def test_solve_smallest() -> None:
    net = symcnn.parse("vgg-d")
    result = solve(net, parse_condition("activations >= 1e8"), step=16)
    scan = [n for n in range(32, 4000, 16) if symcnn.parse("vgg-d", n=n).activations >= 10**8]
    assert result.n == min(scan)


def test_solve_impossible_and_unbounded() -> None:
    assert solve(symcnn.parse("vgg16"), parse_condition("params <= 1000")).n is None
    unbounded = solve(symcnn.parse("vgg16"), parse_condition("params <= 200e6"))
    assert unbounded.n is not None and unbounded.edge is None  # torchvision's params do not grow with n


def test_renderings() -> None:
    net = symcnn.parse("vgg-d")
    rows = sweep(net, [224, 256])
    data = json.loads(render.json(rows))
    assert data[0] == {"n": 224, "params": 138_357_544, "activations": 15_237_608, "macs": 15_470_264_320,
                       "memory": (15_237_608 + 138_357_544) * 4}  # fmt: skip
    assert render.csv(rows).splitlines()[0] == "n,params,activations,macs,memory"
    assert "138,357,544" in render.table(rows, Memory()) and "138,357,544" in render.markdown(rows, Memory())


def test_plot_writes_a_png(tmp_path: object) -> None:
    pytest.importorskip("matplotlib")
    from pathlib import Path

    path = Path(str(tmp_path)) / "vgg.png"
    net = symcnn.parse("vgg-d")
    render.plot(sweep(net, parse_range("32:512:32")), net, str(path), "vgg-d")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("text", ["32:16", "0:10", "a:b", "1:10000000000:1", "32:512:0"])
def test_bad_ranges(text: str) -> None:
    with pytest.raises(symcnn.SymcnnError):
        parse_range(text)


@pytest.mark.parametrize(
    "text", ["macs", "speed <= 3", "memory(batch=0) <= 1GB", "memory(dtype=float8) <= 1GB", "params(batch=2) <= 9"]
)
def test_bad_conditions(text: str) -> None:
    with pytest.raises(symcnn.SymcnnError):
        parse_condition(text)


# Issue #8: no condition or range crashes or hangs `solve` and `sweep`.
@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("memory(batch=²) <= 1", r"only the digits 0-9 are read, not '²'", 14),  # isdigit() took it, int() did not
        ("memory(batch=٣) <= 1GB", "only the digits 0-9", 14),
        ("memory(batch=１) <= 1GB", "only the digits 0-9", 14),
        ("memory(batch=" + "9" * 400 + ") <= 1GB", r"batch must be .* not '9999…9999 \(400 digits\)'", 14),
        (
            "memory(batch=" + "1" * 5000 + ") <= 1GB",
            r"the condition memo… 1GB \(5,021 characters\) is longer than 600 characters",
            601,
        ),
        ("memory( batch = 0 ) <= 1GB", "batch must be a whole number from 1 to 1,000,000", 17),
        ("memory(batch=-1) <= 1GB", "batch must be", 14),
        ("memory(dtype=float8) <= 1GB", "unknown dtype 'float8'", 14),
        ("memory(batch=2, colour=red) <= 1GB", "memory takes batch=N and dtype=NAME, not 'colour=red'", 17),
        ("params(batch=2) <= 9", "only memory takes options", 8),
        ("macs <= 1e999999999", "exponent of 1e999999999 is out of range", 9),
        ("macs <= (1/1e60)^200", "too small or too fine", 17),
        ("macs <= 2^2^2^2^2^2", "not 65,536", 12),
        ("macs <= 1/0", "division by zero", 10),
        ("macs <= ٣", "only the digits 0-9", 9),
        ("macs <= " + "9" * 100, "more than 60 digits", 9),
        ("macs <= 5 = 5", "one amount, without = or ~=", 9),
        ("macs <= 3 +", "cannot read this as arithmetic", 11),
    ],
)
def test_bad_conditions_point_at_the_spot(text: str, message: str, column: int) -> None:
    began = time.perf_counter()
    with pytest.raises(symcnn.NotationSyntaxError, match=message) as refused:
        parse_condition(text)
    assert time.perf_counter() - began < 1
    assert refused.value.column == column


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("32:1" + "0" * 5000, r"1000…0000 \(5,001 digits\) is larger than 1,000,000,000"),  # int() refused > 4,300
        ("٣٢:64", "only the digits 0-9"),
        ("３２", "only the digits 0-9"),
        ("²", "only the digits 0-9"),
        ("32:" + " " * 10_000 + "x", r"not '32: …   x \(10,004 characters\)'"),
    ],
)
def test_bad_ranges_are_refused_quickly(text: str, message: str) -> None:
    began = time.perf_counter()
    with pytest.raises(symcnn.SymcnnError, match=message):
        parse_range(text)
    assert time.perf_counter() - began < 1


def test_condition_values_still_read() -> None:
    assert parse_condition("memory( batch = 007 , dtype = int8 ) ≤ 1e-60").memory == Memory(7, "int8")
    assert parse_condition("macs >= 2^10").bound == 1024
    assert parse_range(" 0032 : 64 ") == list(range(32, 65))


@pytest.mark.parametrize("step", [0, -1, 10**7 + 1, 10**5000], ids=["0", "-1", "10^7+1", "10^5000"])
def test_solve_refuses_a_step_out_of_range(step: int) -> None:
    with pytest.raises(symcnn.SymcnnError, match="the step must be from 1 to 10,000,000"):
        solve(symcnn.parse("vgg16"), parse_condition("macs <= 20e9"), step=step)
