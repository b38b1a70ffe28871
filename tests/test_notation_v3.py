"""Issue #9: exact arithmetic in braces (decimals, /, functions), repeat-count expressions, {cin}."""

from __future__ import annotations

from fractions import Fraction

import pytest

import symcnn
from symcnn import ir, zoo
from symcnn.braces import make_divisible
from symcnn.build import build
from symcnn.render.document import document
from symcnn.render.json import to_dict


def _value(expr: str, **values: int) -> object:
    """The size ``{expr}`` gives, as an fc's output at the given values."""
    return symcnn.parse(f"input 1x1x1 fc{{{expr}}}", **values).layers[0].output[0]


def _error(text: str, **values: int) -> symcnn.SymcnnError:
    with pytest.raises(symcnn.SymcnnError) as caught:
        symcnn.parse(text, **values)
    return caught.value


# ---------------------------------------------------------------- arithmetic


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("64*1.25", 80),
        ("40*1.2", 48),
        (".5*6", 3),
        ("2.0", 2),
        ("0.75*32", 24),
        ("7/2*2", 7),
        ("1/3*3", 1),  # exact: no 0.9999…
        ("10/4 + 1.5", 4),
        ("10//4", 2),  # // still floors
        ("10//4*2", 4),
        ("2*(3+4)/7", 2),
        ("(1.1 + 2.2)*10", 33),  # 3.3000000000000003 in floats
        ("1.2*1.2*100", 144),
    ],
)
def test_decimals_and_true_division_are_exact(expr: str, expected: int) -> None:
    assert _value(expr) == expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("max(3, 7)", 7),
        ("max(3, 7, 5, 2.5*4)", 10),
        ("min(3, 7)", 3),
        ("min(9, 4.5*2, 12)", 9),
        ("floor(7/2)", 3),
        ("floor(3.99)", 3),
        ("ceil(7/2)", 4),
        ("ceil(3*1.2)", 4),
        ("ceil(3*1.0)", 3),
        ("round(3.4)", 3),
        ("round(3.6)", 4),
        ("round(2.5)", 2),  # halves go to the even neighbour, as Python's round
        ("round(3.5)", 4),
        ("round(4.5)", 4),
        ("round(5/2) + round(7/2)", 6),
        ("make_divisible(40*1.2, 8)", 48),
        ("make_divisible(32*0.75, 8)", 24),
        ("make_divisible(3, 8)", 8),  # never below the divisor
        ("make_divisible(16*0.35, 8)", 8),
        ("make_divisible(3, 8, 16)", 16),  # min_value
        ("make_divisible(91, 8)", 88),
        ("make_divisible(12, 16)", 16),
        ("make_divisible(76, 16)", 80),
    ],
)
def test_functions(expr: str, expected: int) -> None:
    assert _value(expr) == expected


@pytest.mark.parametrize(
    ("expr", "at", "expected"),
    [
        ("max(k, 4)", {"k": 2}, 4),
        ("max(k, 4)", {"k": 9}, 9),
        ("min(k, 4)", {"k": 2}, 2),
        ("floor(k/3)", {"k": 8}, 2),
        ("ceil(k/3)", {"k": 8}, 3),
        ("ceil(k*1.5)", {"k": 3}, 5),
    ],
)
def test_symbolic_functions_stay_symbolic_then_evaluate(expr: str, at: dict[str, int], expected: int) -> None:
    net = symcnn.parse(f"input 1x1x1 fc{{{expr}}}")
    assert net.symbols == ("k",)
    assert symcnn.parse(f"input 1x1x1 fc{{{expr}}}", **at).layers[0].output[0] == expected
    assert net.at(**at).layers[0].output[0] == expected


def test_symbolic_floor_and_ceil_are_sympy_functions() -> None:
    floor, ceil = (symcnn.parse(f"input 1x1x1 fc{{{f}(k/2)}}").layers[0].output[0] for f in ("floor", "ceil"))
    assert str(floor) == "floor(k/2)"
    assert str(ceil) == "ceiling(k/2)"


def _torchvision_cases() -> list[tuple[float, int, Fraction]]:
    """(v as a float, divisor, v exact) where the float product is exact: both sides see the same number."""
    cases = []
    multipliers = [Fraction(m, 16) for m in range(1, 49)] + [Fraction(m, 100) for m in range(10, 300, 5)]
    for channels in (*range(1, 80), 96, 112, 128, 160, 192, 256, 320, 384, 512, 640, 960, 1280):
        for multiplier in multipliers:
            exact = channels * multiplier
            floating = channels * float(multiplier)
            if Fraction(floating) != exact:
                continue  # torchvision would compute with another number than the text means
            for divisor in (1, 2, 3, 4, 8, 16, 32):
                cases.append((floating, divisor, exact))
    return cases


def test_make_divisible_is_torchvisions() -> None:
    from torchvision.models._utils import _make_divisible

    cases = _torchvision_cases()
    assert len(cases) > 20_000
    for floating, divisor, exact in cases:
        assert make_divisible(exact, divisor) == _make_divisible(floating, divisor), (floating, divisor)
        assert make_divisible(exact, divisor, 16) == _make_divisible(floating, divisor, 16), (floating, divisor)


def test_make_divisible_in_a_text_matches_torchvision_on_efficientnet_widths() -> None:
    from torchvision.models._utils import _make_divisible

    for width in (1.0, 1.1, 1.2, 1.4, 1.6, 1.8, 2.0, 2.2):
        for channels in (16, 24, 32, 40, 80, 112, 192, 320, 1280):
            assert _value(f"make_divisible({channels}*{width}, 8)") == _make_divisible(channels * width, 8)


def test_ir_of_the_new_nodes() -> None:
    (layer,) = build("fc{make_divisible(k*1.2, 8) / 2}").layers
    assert isinstance(layer, ir.Linear)
    assert layer.out_features == ir.BinOp(
        "/", ir.Call("make_divisible", (ir.BinOp("*", ir.Sym("k"), ir.Frac(6, 5)), ir.Num(8))), ir.Num(2)
    )
    assert ir.expr_text(layer.out_features) == "make_divisible(k * 1.2, 8) / 2"


def test_decimal_options_outside_braces_are_unchanged() -> None:
    (layer,) = build("dropout(p=0.5)").layers
    assert isinstance(layer, ir.Elementwise)
    assert layer.options == (("p", "0.5"),)


# ---------------------------------------------------------------- repetition


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        ("conv3-8x{ceil(3*1.2)}", 4),
        ("conv3-8x{2*2}", 4),
        ("conv3-8x{7/7}", 1),
        ("(conv3-8 relu)x{round(2.5)}", 4),
        ("let stage(d) = (conv3-8 relu)x{d}\nstage(3)", 6),
        ("let stage(d) = conv3-8x{ceil(d*1.2)}\nstage(3) stage(5)", 4 + 6),
        ("let stage(d) = conv3-8x{max(1, d//2)}\nstage(1) stage(6)", 1 + 3),
    ],
)
def test_repeat_counts_may_be_expressions(text: str, rows: int) -> None:
    assert len(symcnn.parse(text, n=8).layers) == rows


def test_a_repeat_expression_counts_against_the_layer_limit_before_expanding() -> None:
    error = _error("conv3-8x{1000000*1000}")
    assert isinstance(error, symcnn.NotationSyntaxError)
    assert "more than 100,000 layers" in error.reason


def test_a_block_shows_computed_widths() -> None:
    net = symcnn.parse("let b(c) = conv3-{make_divisible(c*1.2, 8)} conv1-{c/2}\nb(40)", n=8)
    assert [row.name for row in net.layers] == ["conv3-48", "conv1-20"]
    assert net.layers[0].output[0] == 48


def test_calls_count_within_the_expression_limits() -> None:
    fine = "+".join(["max(1, 2)"] * 20)  # 19 + 20·3 operators
    assert _value(fine) == 40
    error = _error("fc{" + "+".join(["max(1, 2)"] * 26) + "}")
    assert isinstance(error, symcnn.NotationSyntaxError)
    assert error.reason == "a {…} expression has 103 operators; at most 100"
    deep = _error("fc{" + "floor(" * 25 + "1" + ")" * 25 + "}")
    assert "nests 25 operators deep; at most 24" in str(deep)


# ---------------------------------------------------------------- {cin}

DENSE = """\
input 3x32x32
let transition = bn relu conv1-{cin//2}(bias=false) avgpool
conv3-64 transition transition
"""


def test_cin_is_the_channel_count_entering_each_use() -> None:
    net = symcnn.parse(DENSE)
    convs = [row for row in net.layers if row.name.startswith("conv1")]
    assert [row.output[0] for row in convs] == [32, 16]
    assert [row.params for row in convs] == [64 * 32, 32 * 16]
    assert net.symbols == ()


def test_cin_keeps_the_cached_layers_apart() -> None:
    # The second conv meets the same 8 channels in both uses; only {cin} differs.
    net = symcnn.parse("let b = conv1-8 conv1-{cin}\nconv3-16 b conv3-32 b", n=8)
    assert [row.output[0] for row in net.layers] == [16, 8, 16, 32, 8, 32]


def test_cin_binds_to_the_innermost_block() -> None:
    text = "let inner = conv1-{cin*2}\nlet outer = conv1-8 inner conv1-{cin}\nconv3-4 outer"
    net = symcnn.parse(text, n=8)
    assert [row.output[0] for row in net.layers] == [4, 8, 16, 4]
    assert net.analysis.values_at("outer/inner/conv") == {"n": 8, "cin": 8}
    assert net.analysis.values_at("outer/conv2") == {"n": 8, "cin": 4}


def test_cin_after_a_flatten_is_the_features() -> None:
    net = symcnn.parse("input 3x2x2\nlet head = fc{cin*2}\nconv3-4 flatten head")
    assert net.layers[-1].output == (32,)
    with pytest.raises(symcnn.SymcnnError, match="unknown symbol 'cin'"):
        net.at(cin=3)


def test_cin_with_symbolic_channels() -> None:
    net = symcnn.parse("input cx8x8\nlet half = conv1-{cin//2}\nhalf")
    assert str(net.layers[0].output[0]) == "floor(c/2)"
    assert net.symbols == ("c",)
    assert net.at(c=10).layers[0].output[0] == 5


def test_cin_is_never_a_free_symbol() -> None:
    architecture = build(DENSE)
    assert ir.architecture_symbols(architecture) == frozenset()
    unrecorded = ir.Architecture(architecture.input, architecture.layers)  # symbols found by walking the layers
    assert ir.architecture_symbols(unrecorded) == frozenset()
    assert to_dict(symcnn.parse(DENSE.replace("3x32x32", "3xnxn")))["symbols"] == {
        "n": {"integer": True, "positive": True}
    }


def test_cin_renders_and_exports() -> None:
    net = symcnn.parse(DENSE)
    assert r"\end{document}" in document(net)
    assert r"\end{document}" in document(symcnn.parse(DENSE.replace("3x32x32", "3xnxn")))
    pytest.importorskip("torch")
    module = symcnn.to_torch(net)
    assert sum(parameter.numel() for parameter in module.parameters()) == net.params
    depthwise = symcnn.parse("let dw = conv3-{cin}(groups={cin})\nconv3-12 dw", n=8)
    assert symcnn.to_torch(depthwise).dw.conv.groups == 12


@pytest.mark.parametrize("name", ["densenet121", "densenet161", "densenet169", "densenet201"])
def test_densenet_transitions_use_cin(name: str) -> None:
    assert "let transition = bn relu conv1-{cin//2}(bias=false) avgpool" in zoo.text(name)
    expected = {"densenet121": 7978856, "densenet161": 28681000, "densenet169": 14149480, "densenet201": 20013928}
    assert symcnn.parse(name).params == expected[name]


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("text", "reason", "line", "column"),
    [
        (
            "conv3-64\nconv3-{ciel(3*1.2)}",
            "unknown function 'ciel' (did you mean 'ceil'?); the functions are max, min, floor, ceil, round, "
            "make_divisible",
            2,
            8,
        ),
        (
            "fc{sqrt(4)}",
            "unknown function 'sqrt'; the functions are max, min, floor, ceil, round, make_divisible",
            1,
            4,
        ),
        ("fc{round(1, 2)}", "round() takes 1 argument, but is given 2", 1, 4),
        ("fc{ceil()}", "ceil() takes 1 argument, but is given 0", 1, 4),
        ("fc{max(3)}", "max() takes 2 to 16 arguments, but is given 1", 1, 4),
        ("fc{make_divisible(30)}", "make_divisible() takes 2 or 3 arguments, but is given 1", 1, 4),
        ("conv3-{cin}", "{cin} is the channel count of a block's input; it means nothing outside a block", 1, 8),
        ("input 3x{cin}x8", "{cin} is the channel count of a block's input; it means nothing outside a block", 1, 10),
        (
            "let a(c) = conv3-{c}\nlet b = a({cin//2})\nb",
            "{cin} cannot be passed to a block: inside it, {cin} is that block's own input",
            2,
            11,
        ),
        ("conv3-64x{d}", "a repetition count must be a number, not d", 1, 10),
        (
            "let b = conv1-8x{cin}\nb",
            "a repetition count must be a number, not cin; {cin} has a value only when the network is analysed",
            1,
            17,
        ),
        (
            "conv3-64x{3/2}",
            "a repetition count is 3/2 = 1.5, not a whole number; round it: {round(…)} or {floor(…)}",
            1,
            10,
        ),
        ("conv3-64x{ceil(0.5) - 1}", "a repetition count must be at least 1", 1, 10),
        ("fc{1.5e3}", "write the decimal 1.5e3 without an exponent", 1, 4),
        ("fc{0.0000000000001}", "the decimal 0.0000000000001 has more than 12 digits after the point", 1, 4),
        ("conv3-1.5", "unexpected '.5'", 1, 8),  # outside braces a size is whole
    ],
)
def test_syntax_errors(text: str, reason: str, line: int, column: int) -> None:
    error = _error(text)
    assert isinstance(error, symcnn.NotationSyntaxError)
    assert error.reason.startswith(reason), error.reason
    assert (error.line, error.column) == (line, column)
    assert error.context.endswith("^")


@pytest.mark.parametrize(
    ("text", "where", "reason"),
    [
        (
            "conv3-{288/5}",
            "layer 1 'conv3-{288/5}' at conv (line 1, column 1)",
            "the number of filters is 288/5 = 57.6, not a whole number; round it: {round(…)} or {floor(…)}",
        ),
        (
            "let b(c) = relu conv3-{c*0.9}\nconv3-8 b(64)",
            "layer 3 'conv3-{c*0.9}' at b/conv (line 1, column 17)",
            "the number of filters is 288/5 = 57.6, not a whole number; round it: {round(…)} or {floor(…)}",
        ),
        (
            "conv{3/2}-8",
            "layer 1 'conv{3/2}-8' at conv (line 1, column 1)",
            "the kernel size is 3/2 = 1.5, not a whole number; round it: {round(…)} or {floor(…)}",
        ),
        (
            "conv3-8(stride={5/2})",
            "layer 1 'conv3-8(stride={5/2})' at conv (line 1, column 1)",
            "the stride is 5/2 = 2.5, not a whole number; round it: {round(…)} or {floor(…)}",
        ),
        (
            "conv3-8 conv3-8(groups={8/3})",
            "layer 2 'conv3-8(groups={8/3})' at conv2 (line 1, column 9)",
            "groups is 8/3 = 2.66667, not a whole number; round it: {round(…)} or {floor(…)}",
        ),
        (
            "conv3-8 fc{10/4}",
            "layer 2 'fc{10/4}' at fc (line 1, column 9)",
            "the number of outputs is 5/2 = 2.5, not a whole number; round it: {round(…)} or {floor(…)}",
        ),
        (
            "adaptiveavgpool{7/2}",
            "layer 1 'adaptiveavgpool{7/2}' at adaptiveavgpool (line 1, column 1)",
            "the output size is 7/2 = 3.5, not a whole number; round it: {round(…)} or {floor(…)}",
        ),
        (
            "input 3x{224/3}x{224/3}",
            "input 'input 3x{224/3}x{224/3}' (line 1, column 1)",
            "the input size is 224/3 = 74.6667, not a whole number; round it: {round(…)} or {floor(…)}",
        ),
        (
            "conv3-{k/2}",
            "layer 1 'conv3-{k/2}' at conv (line 1, column 1)",
            "the number of filters is k/2, which may not be a whole number; use // or floor(…)",
        ),
        (
            "conv3-{round(k*1.5)}",
            "layer 1 'conv3-{round(k*1.5)}' at conv (line 1, column 1)",
            "the number of filters: round() needs numbers; give its symbols a value (--set NAME=VALUE)",
        ),
        (
            "conv3-{make_divisible(k*1.2, 8)}",
            "layer 1 'conv3-{make_divisible(k*1.2, 8)}' at conv (line 1, column 1)",
            "the number of filters: make_divisible() needs numbers; give its symbols a value (--set NAME=VALUE)",
        ),
        (
            "input cx8x8\nlet half = conv1-{cin/2}\nhalf",
            "layer 1 'conv1-{cin/2}' at half/conv (line 2, column 12)",
            "the number of filters is c/2, which may not be a whole number; use // or floor(…)",
        ),
        (
            "fc{1/(2-2)}",
            "layer 1 'fc{1/(2-2)}' at fc (line 1, column 1)",
            "the number of outputs: division by zero in a {…} expression",
        ),
    ],
)
def test_layer_errors(text: str, where: str, reason: str) -> None:
    error = _error(text)
    assert isinstance(error, symcnn.LayerError)
    assert (error.where, error.reason) == (where, reason)


def test_round_and_make_divisible_work_once_their_symbols_have_values() -> None:
    assert symcnn.parse("input 1x1x1 fc{round(k*1.5)}", k=3).layers[0].output[0] == 4  # 4.5 → 4
    assert symcnn.parse("input 1x1x1 fc{make_divisible(k*1.2, 8)}", k=40).layers[0].output[0] == 48


def test_a_parameter_named_cin_shadows_the_block_input() -> None:
    """Texts written before {cin} existed keep their meaning: the parameter wins."""
    net = symcnn.parse("input 16xnxn\nlet b(cin) = conv1-{cin}\nb(3)", n=8)
    assert net.layers[0].output == (3, 8, 8)
    assert net.layers[0].weights == 1 * 1 * 16 * 3  # a second route: k·k·C_in·C_out by hand
