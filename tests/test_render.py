"""Renderers: every expected number comes from a published figure or a second computation.

Published figures (../shared/REFERENCE.md): the Stack Overflow accepted answer's
per-layer VGG-16 parameters at 224 (38,720 for conv3-64 ×2 … 138,357,544 in
all); the CS231n notes' VGG-16 rows (input 150,528 values, conv3-64 output
3,211,264, weights 3·3·3·64 = 1,728 and 7·7·512·4096 = 102,760,448, rows summing
to 15,237,608 values); the MAC count 15,470,264,320 = 307,904·n² + 20,873,216;
torchvision vgg16: 138,357,544 parameters, 0 buffers. Closed forms from
../shared/DERIVATION.md: 2,097,152·⌊n/32⌋² + 35,597,096 = 2048·n² + 35,597,096
for n a multiple of 32, valid for n ≥ 32.
"""

from __future__ import annotations

import csv
import io
import json
import re
from functools import cache
from typing import Any

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn
from symcnn.network import Network
from symcnn.render import latex as latex_render
from symcnn.render import markdown as markdown_render
from symcnn.render import printing
from symcnn.render import text as text_render
from symcnn.render.json import local_dict
from symcnn.values import symbol

N = symbol("n")
QUANTITIES = ("params", "weights", "biases", "buffers", "activations", "macs")

# Stack Overflow accepted answer (REFERENCE.md): VGG-16 parameters per group of layers at 224.
SO_GROUPS = [
    (2, 38_720),
    (2, 221_440),
    (3, 1_475_328),
    (3, 5_899_776),
    (3, 7_079_424),
    (1, 102_764_544),
    (1, 16_781_312),
    (1, 4_097_000),
]
SO_TOTAL = 138_357_544
CS231N_ACTIVATIONS = 15_237_608
REFERENCE_MACS = 15_470_264_320


@cache
def vgg_d() -> Network:
    return symcnn.parse("vgg-d")


@cache
def vgg_d_224() -> Network:
    return symcnn.parse("vgg-d", n=224)


def contract(net: Network) -> dict[str, Any]:
    """The JSON contract as data."""
    data: dict[str, Any] = net.to_dict()
    return data


def parse_back(data: dict[str, Any], value: int | str) -> sympy.Expr:
    """A JSON value read back as the contract says."""
    expr: sympy.Expr = (
        sympy.Integer(value)
        if isinstance(value, int)
        else sympy.parse_expr(value, local_dict=local_dict(data["symbols"]))
    )
    return expr


def expand(expr: sympy.Expr) -> sympy.Expr:
    result: sympy.Expr = sympy.expand(expr)  # type: ignore[no-untyped-call]
    return result


def grouped(cell: str) -> int:
    assert re.fullmatch(r"-?\d{1,3}(,\d{3})*", cell), cell
    return int(cell.replace(",", ""))


# ----------------------------------------------------------------- printing


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (35597096, "35,597,096"),
        (sympy.Integer(35597096), "35,597,096"),
        (2097152 * sympy.floor(N / 32) ** 2 + 35597096, "2,097,152·⌊n/32⌋² + 35,597,096"),
        (sympy.floor(N / 32 + sympy.Rational(3, 32)), "⌊(n + 3)/32⌋"),
        (sympy.ceiling(N / 3), "⌈n/3⌉"),
        (2048 * N**2 + 35597096, "2,048·n² + 35,597,096"),
        (sympy.Rational(607, 2) * N**2 + 9192, "607·n²/2 + 9,192"),
        (1 / N, "1/n"),
    ],
)
def test_text_printer(value: Any, expected: str) -> None:
    assert printing.text(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (35597096, "35{,}597{,}096"),
        (sympy.Integer(35597096), "35{,}597{,}096"),
        (sympy.floor(N / 32 + sympy.Rational(3, 32)), r"\left\lfloor \frac{n + 3}{32} \right\rfloor"),
        (sympy.floor(N / 32) ** 2, r"\left\lfloor \frac{n}{32} \right\rfloor^{2}"),
        (2048 * N**2 + 35597096, r"2{,}048 \cdot n^{2} + 35{,}597{,}096"),
    ],
)
def test_latex_printer(value: Any, expected: str) -> None:
    assert printing.latex(value) == expected


def test_printers_read_back() -> None:
    # Second computation: the grouped text, with separators and floors undone, is the same expression.
    value = 2097152 * sympy.floor(N / 32 + sympy.Rational(3, 32)) ** 2 + 35597096
    plain = printing.text(value).replace(",", "").replace("·", "*").replace("²", "**2")
    plain = re.sub(r"⌊([^⌋]*)⌋", r"floor(\1)", plain)
    assert sympy.parse_expr(plain, local_dict={"n": N}) == value


def test_weight_formulas_cs231n() -> None:
    layers = vgg_d_224().layers
    first, fc1 = layers[0], next(layer for layer in layers if layer.kind == "fc")
    assert printing.weight_formula(first.geometry.weight_factors, first.weights) == "3·3·3·64 = 1,728"
    assert printing.weight_formula(fc1.geometry.weight_factors, fc1.weights) == "512·7·7·4096 = 102,760,448"
    latex_first = printing.latex_weight_formula(first.geometry.weight_factors, first.weights)
    assert latex_first == r"3 \cdot 3 \cdot 3 \cdot 64 = 1{,}728"


# ----------------------------------------------------------------- JSON


@pytest.mark.parametrize("net", [vgg_d(), vgg_d_224(), symcnn.parse("vgg16"), symcnn.parse("vgg16", n=224)])
def test_json_contract_keys_and_round_trip(net: Network) -> None:
    data = contract(net)
    assert json.loads(net.to_json()) == data
    assert {"input", "symbols", "layers", "total"} <= data.keys()
    assert set(data["total"]) >= {"params", "buffers", "activations", "macs"}
    assert data["symbols"] == {name: {"integer": True, "positive": True} for name in net.symbols}
    assert len(data["layers"]) == len(net.layers)  # the input is not a layer
    flat = False
    for entry, layer in zip(data["layers"], net.layers):
        flat = flat or layer.kind in ("fc", "flatten")
        assert set(entry) >= {"index", "name", "kind", "output", *QUANTITIES}
        assert (entry["index"], entry["name"], entry["kind"]) == (layer.index, layer.name, layer.kind)
        assert len(entry["output"]) == (1 if flat else 3)
        assert [parse_back(data, v) for v in entry["output"]] == [sympy.sympify(v) for v in layer.output]
        for quantity in QUANTITIES:
            assert parse_back(data, entry[quantity]) == sympy.sympify(getattr(layer, quantity))
    for quantity in QUANTITIES:
        assert parse_back(data, data["total"][quantity]) == sympy.sympify(net.total(quantity))


@pytest.mark.parametrize("net", [vgg_d(), vgg_d_224(), symcnn.parse("vgg16")])
def test_json_layers_sum_to_totals(net: Network) -> None:
    data = contract(net)
    input_activations = sympy.Mul(*[parse_back(data, v) for v in data["input"]])
    for quantity in QUANTITIES:
        summed = sum((parse_back(data, layer[quantity]) for layer in data["layers"]), sympy.Integer(0))
        if quantity == "activations":  # the symcnn convention counts the input too
            summed += input_activations
        assert expand(summed - parse_back(data, data["total"][quantity])) == 0


def test_json_vgg16_reference_figures() -> None:
    data = contract(vgg_d_224())
    assert data["input"] == [3, 224, 224] and data["values"] == {"n": 224} and data["symbols"] == {}
    assert data["convention"] == "symcnn" and data["closed_forms"] is None
    with_params = [layer["params"] for layer in data["layers"] if layer["params"]]
    groups, start = [], 0
    for count, _ in SO_GROUPS:
        groups.append(sum(with_params[start : start + count]))
        start += count
    assert start == len(with_params)
    assert groups == [figure for _, figure in SO_GROUPS]
    assert data["total"]["params"] == SO_TOTAL
    assert data["total"]["activations"] == CS231N_ACTIVATIONS
    assert data["total"]["macs"] == REFERENCE_MACS
    assert data["layers"][0]["activations"] == 3_211_264  # CS231n: CONV3-64 [224x224x64]
    fc1 = next(layer for layer in data["layers"] if layer["kind"] == "fc")
    assert fc1["output"] == [4096] and fc1["weights"] == 102_760_448


def test_json_torchvision_vgg16_params_do_not_depend_on_n() -> None:
    # The adaptive pool makes fc1 see 512×7×7 whatever n: torchvision's 138,357,544, 0 buffers.
    data = contract(symcnn.parse("vgg16"))
    assert data["total"]["params"] == SO_TOTAL and data["total"]["buffers"] == 0
    assert isinstance(data["total"]["activations"], str)
    assert data["closed_forms"]["params"]["general"] == SO_TOTAL


def test_json_closed_forms_derivation() -> None:
    data = contract(vgg_d())
    params = data["closed_forms"]["params"]
    assert parse_back(data, params["general"]) == 2097152 * sympy.floor(N / 32) ** 2 + 35597096
    assert parse_back(data, params["polynomial"]) == 2048 * N**2 + 35597096
    assert params["assumption"] == "n a multiple of 32" and params["smallest_valid"] == {"n": 32}
    macs = data["closed_forms"]["macs"]
    assert parse_back(data, macs["polynomial"]) == 307904 * N**2 + 20873216


def test_json_at_224_equals_symbolic_substituted() -> None:
    symbolic, exact = contract(vgg_d()), contract(vgg_d_224())
    for entry, at in zip(symbolic["layers"], exact["layers"]):
        for key in ("output", *QUANTITIES):
            values = entry[key] if key == "output" else [entry[key]]
            expected = at[key] if key == "output" else [at[key]]
            assert [parse_back(symbolic, v).subs(N, 224) for v in values] == expected
    for quantity in QUANTITIES:
        assert parse_back(symbolic, symbolic["total"][quantity]).subs(N, 224) == exact["total"][quantity]


@settings(max_examples=15, deadline=None)
@given(st.integers(min_value=32, max_value=2000))
def test_json_symbolic_total_matches_evaluated_network(n: int) -> None:
    symbolic = contract(vgg_d())
    exact = contract(vgg_d().at(n=n))
    for quantity in QUANTITIES:
        assert parse_back(symbolic, symbolic["total"][quantity]).subs(N, n) == exact["total"][quantity]


# ----------------------------------------------------------------- CSV


def csv_rows(net: Network) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(net.csv())))


def test_csv_header_and_rows() -> None:
    net = vgg_d_224()
    assert net.csv().splitlines()[0] == "index,name,kind,output,params,weights,biases,buffers,activations,macs,path"
    rows = csv_rows(net)
    assert rows[0]["index"] == "0" and rows[0]["kind"] == "input" and rows[0]["output"] == "3x224x224"
    assert rows[0]["activations"] == "150528"  # CS231n: INPUT [224x224x3] 150,528
    assert [row["name"] for row in rows[1:]] == [layer.name for layer in net.layers]
    assert rows[5]["output"] == "64x112x112"
    assert rows[32]["output"] == "4096"


def test_csv_columns_sum_to_json_totals() -> None:
    for net in (vgg_d_224(), vgg_d()):
        rows, data = csv_rows(net), contract(net)
        for quantity in ("params", "buffers", "activations", "macs"):
            summed = sum((parse_back(data, row[quantity]) for row in rows), sympy.Integer(0))
            assert expand(summed - parse_back(data, data["total"][quantity])) == 0
    assert sum(int(row["params"]) for row in csv_rows(vgg_d_224())) == SO_TOTAL


def test_csv_symbolic_cells_read_back() -> None:
    net = vgg_d()
    for row, layer in zip(csv_rows(net)[1:], net.layers):
        assert sympy.parse_expr(row["macs"], local_dict={"n": N}) == sympy.sympify(layer.macs)
        sizes = [sympy.parse_expr(size, local_dict={"n": N}) for size in row["output"].split("x")]
        assert sizes == [sympy.sympify(size) for size in layer.output]


# ----------------------------------------------------------------- text


def text_body(table: str) -> tuple[list[str], list[list[str]], list[str]]:
    """Header, layer rows and totals row of a text table, split on runs of 2+ spaces."""
    lines = table.splitlines()
    rules = [index for index, line in enumerate(lines) if line.startswith("─")]
    header = lines[0].split()
    rows = [re.split(r" {2,}", line.strip()) for line in lines[rules[0] + 1 : rules[1]]]
    totals = re.split(r" {2,}", lines[rules[1] + 1].strip())
    return header, rows, totals


def test_text_totals_row_equals_column_sums() -> None:
    table = vgg_d_224().table()
    header, rows, totals = text_body(table)
    assert rows[0][:3] == ["0", "input", "3×224×224"] and grouped(rows[0][3]) == 150_528
    layer_rows = rows[1:]
    assert all(len(row) == len(header) for row in layer_rows)
    numeric = ["activations", "biases", "params", "MACs"]
    offset = len(header) - len(totals)  # the totals row has no index or output cell
    for title in numeric:
        column = header.index(title)
        summed = sum(grouped(row[column]) for row in rows[:1] + layer_rows if len(row) > column)
        assert summed == grouped(totals[column - offset])
    weights = header.index("weights")
    assert sum(grouped(row[weights].split(" = ")[-1]) for row in layer_rows) == grouped(totals[weights - offset])
    assert grouped(totals[header.index("params") - offset]) == SO_TOTAL
    assert grouped(totals[header.index("activations") - offset]) == CS231N_ACTIVATIONS
    assert grouped(totals[header.index("MACs") - offset]) == REFERENCE_MACS


def test_text_int_totals_and_convention() -> None:
    net = vgg_d_224()
    table = net.table()
    assert "138,357,544" in table and "15,470,264,320" in table
    assert "Closed forms" not in table
    assert "512·7·7·4096 = 102,760,448" in table
    last = table.rstrip("\n").splitlines()[-1]
    assert net.convention.name in last and net.convention.summary in last


def test_text_symbolic_closed_forms() -> None:
    table = vgg_d().table()
    _, rows, _ = text_body(table)
    assert rows[0][:3] == ["0", "input", "3×n×n"]
    assert rows[31][2] == "512×⌊n/32⌋×⌊n/32⌋"
    assert "512·⌊n/32⌋·⌊n/32⌋·4096 = 2,097,152·⌊n/32⌋²" in table
    section = table[table.index("Closed forms") :]
    assert "valid for n ≥ 32" in section
    assert "2,097,152·⌊n/32⌋² + 35,597,096" in section
    assert "2,048·n² + 35,597,096   for n a multiple of 32" in section
    assert "307,904·n² + 20,873,216   for n a multiple of 32" in section
    for title in ("params", "buffers", "activations", "MACs"):
        assert re.search(rf"^  {title} +=", section, re.MULTILINE)


def test_text_columns_right_aligned() -> None:
    table = vgg_d_224().table()
    lines = table.splitlines()
    rule = next(index for index, line in enumerate(lines) if line.startswith("─"))
    width = len(lines[rule])
    ends = {len(line) for line in lines[rule + 2 : rule + 41]}  # the layers, not the input
    assert ends == {width}  # the MACs column is right-aligned on the rule's end


def test_text_buffers_column_when_some() -> None:
    header, rows, totals = text_body(symcnn.parse("input 3x8x8 conv3-8 bn fc10").table())
    column = header.index("buffers")
    assert rows[2][column] == "17"  # BatchNorm: 2·C running statistics + 1 counter, C = 8
    assert totals[column - 2] == "17"


# ----------------------------------------------------------------- Markdown


def markdown_rows(table: str) -> list[list[str]]:
    rows = []
    for line in table.splitlines():
        if line.startswith("| "):
            cells = re.split(r"(?<!\\)\|", line)[1:-1]
            rows.append([cell.strip() for cell in cells])
    return rows


def test_markdown_table_shape_and_sums() -> None:
    table = vgg_d_224().markdown()
    rows = markdown_rows(table)
    header = rows[0]
    assert header[0] == r"\#" and "MACs" in header
    layer_table = rows[: len(vgg_d_224().layers) + 3]
    assert all(len(row) == len(header) for row in layer_table)
    body, totals = layer_table[1:-1], layer_table[-1]
    assert totals[1] == "**total**"
    for title in ("activations", "params", "MACs"):
        column = header.index(title)
        summed = sum(grouped(row[column]) for row in body if row[column])
        assert summed == grouped(totals[column].strip("*"))
    assert grouped(totals[header.index("params")].strip("*")) == SO_TOTAL


def test_markdown_symbolic_closed_forms() -> None:
    table = vgg_d().markdown()
    assert "**Closed forms**, valid for n ≥ 32:" in table
    assert "| params | 2,097,152·⌊n/32⌋² + 35,597,096 | 2,048·n² + 35,597,096 | n a multiple of 32 |" in table
    assert r"k\_h" in table.splitlines()[-1]  # the convention's summary, escaped


def test_markdown_escapes() -> None:
    assert markdown_render.escape("a|b*c_d") == r"a\|b\*c\_d"
    assert markdown_render.code("x | y") == r"`x \| y`"


# ----------------------------------------------------------------- LaTeX


def balanced(tex: str) -> bool:
    depth = 0
    characters = iter(tex)
    for character in characters:
        if character == "\\":
            next(characters, None)  # an escaped character (\{, \}, \\) is not a group
        elif character == "{":
            depth += 1
        elif character == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def environments_nest(tex: str) -> bool:
    stack: list[str] = []
    for kind, name in re.findall(r"\\(begin|end)\{(\w+)\}", tex):
        if kind == "begin":
            stack.append(name)
        elif not stack or stack.pop() != name:
            return False
    return not stack


@pytest.mark.parametrize(
    "net", [vgg_d(), vgg_d_224(), symcnn.parse("vgg16"), symcnn.parse("conv3-{c_1}(stride={s}) bn fc{k_1}")]
)
def test_latex_is_well_formed(net: Network) -> None:
    tex = net.latex()
    assert balanced(tex)
    assert tex.count(r"\left") == tex.count(r"\right")
    assert environments_nest(tex)
    assert tex.count(r"\[") == tex.count(r"\]") == 1
    for line in tex.splitlines():
        assert line.replace(r"\$", "").count("$") % 2 == 0, line
    assert "documentclass" not in tex


def test_latex_numbers_and_formulas() -> None:
    exact = vgg_d_224().latex()
    assert r"$138{,}357{,}544$" in exact
    assert r"$15{,}470{,}264{,}320$" in exact
    assert r"$3 \cdot 3 \cdot 3 \cdot 64 = 1{,}728$" in exact
    assert r"$512 \cdot 7 \cdot 7 \cdot 4096 = 102{,}760{,}448$" in exact
    assert r"$64 \times 112 \times 112$" in exact
    symbolic = vgg_d().latex()
    assert r"2{,}097{,}152 \cdot \left\lfloor \frac{n}{32} \right\rfloor^{2} + 35{,}597{,}096" in symbolic
    assert r"2{,}048 \cdot n^{2} + 35{,}597{,}096 & \mbox{for $n$ a multiple of $32$}" in symbolic
    assert r"valid for $n \geq 32$" in symbolic


def test_latex_escapes_layer_names() -> None:
    assert latex_render.escape("a_b%c#d&e{f}") == r"a\_b\%c\#d\&e\{f\}"
    tex = symcnn.parse("conv3-{c_1} fc{k}").latex()
    assert r"\texttt{conv3-\{c\_1\}}" in tex and r"\texttt{fc\{k\}}" in tex


def test_text_module_shares_the_see_below_rule() -> None:
    # Long symbolic totals defer to the closed forms in every table format.
    assert text_render.SEE_BELOW in vgg_d().table()
    assert text_render.SEE_BELOW in vgg_d().markdown()
    assert text_render.SEE_BELOW in vgg_d().latex()


def test_csv_quotes_names_with_commas() -> None:
    net = symcnn.parse("input 3x9x9 maxpool3(stride=2, padding=1, ceil_mode=true) fc10")
    rows = csv_rows(net)
    assert rows[1]["name"] == net.layers[0].name and "," in rows[1]["name"]
    assert rows[1]["output"] == "3x5x5"  # PyTorch: ceil((9 + 2 - 3)/2) + 1 = 5
    assert int(rows[2]["params"]) == 3 * 5 * 5 * 10 + 10
