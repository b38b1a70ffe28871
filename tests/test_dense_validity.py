"""Which input sizes an encoder–decoder accepts: symcnn's domain against PyTorch, size by size.

Hypothesis writes random U-Net-like texts (depths, kernels, paddings, strides, pooling or strided
convolutions going down; transposed convolutions, nearest or bilinear upsampling going up; skip
connections concatenated or added, cropped to the decoder's size or not). For every n in a range,
torch runs the exported module exactly when symcnn's domain contains n, and then gives the output
shape symcnn gives. The domain is derived once, symbolically; torch is run at each size.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symcnn
from symcnn.errors import SymcnnError

SIZES = range(1, 97)
DENSE = settings(max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def convs(draw: st.DrawFn, channels: int) -> str:
    kernel = draw(st.sampled_from([1, 3, 5]))
    padding = draw(st.integers(0, kernel // 2))
    times = draw(st.integers(1, 2))
    return f"conv{kernel}-{channels}(padding={padding})" + (f"x{times}" if times > 1 else "") + " relu"


@st.composite
def down(draw: st.DrawFn, channels: int) -> tuple[str, int]:
    """A downsampling layer and its factor (the up path undoes it, or not quite)."""
    stride = draw(st.sampled_from([2, 2, 2, 3]))
    kind = draw(st.sampled_from(["maxpool", "avgpool", "conv"]))
    if kind == "conv":
        kernel = draw(st.sampled_from([stride, stride + 1]))
        padding = draw(st.integers(0, kernel // 2))
        return f"conv{kernel}-{channels}(stride={stride}, padding={padding})", stride
    return f"{kind}{stride}", stride


@st.composite
def up(draw: st.DrawFn, channels: int, factor: int) -> str:
    kind = draw(st.sampled_from(["upconv", "upconv3", "upsample", "bilinear"]))
    factor = draw(st.sampled_from([factor, factor, 2, 3]))
    if kind == "upconv":
        return f"upconv{factor}-{channels}"
    if kind == "upconv3":
        extra = draw(st.integers(0, factor - 1))
        return f"upconv3-{channels}(stride={factor}, padding=1, output_padding={extra})"
    mode = "bilinear" if kind == "bilinear" else "nearest"
    return f"upsample{factor}(mode={mode}) conv1-{channels}"


@st.composite
def level(draw: st.DrawFn, channels: int, depth: int) -> str:
    """convs, then (down, a deeper level, up) merged with a skip: cat or res, the skip cropped or not."""
    text = draw(convs(channels))
    if depth == 0:
        return text
    inner = 2 * channels
    going_down, factor = draw(down(inner))
    below = draw(level(inner, depth - 1))
    going_up = draw(up(channels, factor))
    merge = draw(st.sampled_from(["cat", "res"]))
    skip = draw(st.sampled_from(["", "crop", "crop"]))
    return f"{text} {merge}({skip} | {going_down} {below} {going_up}) {draw(convs(channels))}"


@st.composite
def encoder_decoders(draw: st.DrawFn) -> str:
    head = draw(st.sampled_from(["", " conv1-2", " conv1-2 resize(to=input, mode=bilinear)", " pad1 crop2"]))
    return "input 1xnxn " + draw(level(4, draw(st.integers(1, 3)))) + head


def runs(model: torch.nn.Module, size: int, channels: int = 1) -> tuple[int, ...] | None:
    """The output shape torch gives at size × size (on the meta device: shapes only), or None if it refuses
    or gives an empty map (a crop slices to nothing without complaint)."""
    try:
        with torch.no_grad():
            shape = tuple(model(torch.empty(1, channels, size, size, device="meta")).shape[1:])
    except (RuntimeError, ValueError):
        return None
    return shape if all(shape) else None


@DENSE
@given(encoder_decoders())
def test_torch_runs_exactly_where_symcnn_says_n_is_valid(text: str) -> None:
    try:
        net = symcnn.parse(text)
    except SymcnnError:
        return  # no input size at all (every merge mismatched): nothing to compare
    domain = net.analysis.domains["n"]
    assert domain is not None, text
    model = symcnn.to_torch(net).eval().to("meta")
    for size in SIZES:
        shape = runs(model, size)
        assert (shape is not None) == domain.contains(size), (text, size, domain, shape)
        if shape is not None:
            assert shape == net.at(n=size).layers[-1].output, (text, size)


def test_a_padded_unet_of_four_levels_takes_multiples_of_16() -> None:
    """The issue's example: with padded convolutions, every merge needs n ≡ 0 (mod 16)."""
    text = (
        "conv3-8x2 cat( | maxpool conv3-16x2 cat( | maxpool conv3-32x2 cat( | maxpool conv3-64x2 "
        "cat( | maxpool conv3-128x2 upconv2-64) conv3-64x2 upconv2-32) conv3-32x2 upconv2-16) conv3-16x2 upconv2-8) "
        "conv3-8x2 conv1-2"
    )
    net = symcnn.parse(text)
    assert net.closed_form("params").domain == "n ≡ 0 (mod 16)"
    model = symcnn.to_torch(net).eval().to("meta")
    assert [size for size in range(1, 100) if runs(model, size, 3)] == list(range(16, 100, 16))


@pytest.mark.parametrize("size", [30, 33])
def test_at_an_invalid_size_the_error_names_the_merge_and_the_nearest_valid_sizes(size: int) -> None:
    net = symcnn.parse("conv3-8 cat( | maxpool conv3-8 cat( | maxpool conv3-8 upconv2-8) upconv2-8)")
    with pytest.raises(SymcnnError) as caught:
        net.at(n=size)
    message = str(caught.value)
    assert "cat needs arms of one height and width" in message and "n ≡ 0 (mod 4)" in message
    below, above = size - size % 4, size - size % 4 + 4
    assert f"the valid n nearest to {size} are {below} and {above}" in message


@pytest.mark.parametrize(("condition", "step"), [("macs >= 1e6", 2), ("params <= 1e9", 4), ("activations <= 3e5", 5)])
def test_solve_searches_only_valid_sizes(condition: str, step: int) -> None:
    """On a domain of residue classes, solve's answer is the brute-force one over the valid multiples of step,
    each worked out by the analysis at that size (not by the closed form solve uses)."""
    from symcnn.sweep import parse_condition, solve

    net = symcnn.parse("input 2xnxn cat( | maxpool3 conv3-4 upconv3-2)")
    domain = net.analysis.domains["n"]
    assert domain is not None and domain.describe("n") == "n ≡ 0 (mod 3)"
    parsed = parse_condition(condition)
    quantity = parsed.quantity
    candidates = [size for size in range(step, 2000, step) if domain.contains(size)]
    holding = [size for size in candidates if parsed.holds(getattr(net.at(n=size), quantity))]
    solution = solve(net, parsed, step)
    if parsed.op in ("<=", "<"):
        assert solution.n == max(holding) or (solution.n is not None and solution.n > max(candidates))
    else:
        assert solution.n == min(holding)
    assert solution.n is not None and domain.contains(solution.n) and solution.n % step == 0


def test_sweep_leaves_out_sizes_outside_the_domain() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "symcnn", "sweep", "unet-padded", "--n", "20:40:4"], capture_output=True, text=True
    )
    assert result.returncode == 0
    rows = [line.split()[0] for line in result.stdout.splitlines()[2:] if line[:1].strip().isdigit()]
    assert rows == ["32"]
    assert "Left out 5 sizes outside the domain (n ≡ 0 (mod 16)): n = 20, 24, 28, 36, 40" in result.stdout


def test_two_symbols_get_a_domain_each() -> None:
    """Height and width are decided apart: torch runs on an h × w input exactly when both domains hold."""
    net = symcnn.parse("input 1xhxw conv3-4 cat( | maxpool(kernel_size=(2, 3)) conv3-4 upconv2x3-4(stride=(2, 3)))")
    domains = net.analysis.domains
    assert domains["h"] is not None and domains["w"] is not None
    assert (domains["h"].describe("h"), domains["w"].describe("w")) == ("h ≡ 0 (mod 2)", "w ≡ 0 (mod 3)")
    model = symcnn.to_torch(net).eval().to("meta")
    for height in range(1, 13):
        for width in range(1, 13):
            try:
                with torch.no_grad():
                    model(torch.empty(1, 1, height, width, device="meta"))
                ran = True
            except RuntimeError:
                ran = False
            assert ran == (domains["h"].contains(height) and domains["w"].contains(width)), (height, width)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("input 3x8x8 crop5", "layer 1 'crop5' at crop (line 1, column 13): the output height would be -2"),
        ("cat(crop | conv3-8 upsample2)", "a crop's input height n is smaller than the 2·n it is cropped to"),
        ("upsample0", "layer 1 'upsample0' at upsample (line 1, column 1): the upsampling factor is 0"),
        ("resize(to=row3)", "line 1, column 11: to=row3 is not one of input, branch"),
        ("relu resize(to=branch)", "resizes to the size entering its branch, but it is in none"),
        ("conv3-8 crop relu", "a crop without a margin takes the size of the other arms of its branch"),
        ("upconv2-8(output_padding=2)", "output_padding 2 must be smaller than the stride 2 or the dilation 1"),
        ("upsample2(mode=linear)", "line 1, column 16: mode=linear is not one of nearest, bilinear, bicubic"),
        ("(upsample1000)x10", "the output height would be more than 1e+15 pixels"),
        ("upsample{f}x{h // 4}", "an upsampling factor is f: it must be a number here"),
        ("upconv3-8(stride={s})", "the stride of a transposed convolution is s: it must be a number here"),
    ],
)
def test_bad_dense_input_is_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(SymcnnError) as caught:
        symcnn.parse(text)
    assert message in str(caught.value)
    result = subprocess.run([sys.executable, "-m", "symcnn", "report", text], capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr and message in result.stderr
