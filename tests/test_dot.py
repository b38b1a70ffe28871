"""`symcnn report ARCH --format dot`: Graphviz accepts every diagram, and the diagram it reads
back has one node per row, one cluster per block use, and edges that carry the JSON's shapes.

Graphviz itself reads the DOT (`dot -Tjson`): the nodes, clusters and edge labels checked
here are what Graphviz parsed, not what the renderer meant to write. The expected structure
comes from the layer IR and the JSON contract, by a route of the test's own.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from collections import Counter
from collections.abc import Iterator, Sequence
from functools import cache
from itertools import pairwise
from pathlib import Path

import pytest
import sympy

import symcnn
from symcnn import ir, zoo
from symcnn.analysis import segments
from symcnn.render.dot import dot, quoted

ROOT = Path(__file__).resolve().parent.parent
README_DIAGRAM = ROOT / "examples" / "resnet18.svg"
README_COMMAND = ("report", "resnet18", "--depth", "2", "--format", "dot")  # the README's command
N = sympy.Symbol("n", integer=True, positive=True)  # as the JSON contract's "symbols" declare it
SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")

if shutil.which("dot") is None:  # CI installs Debian's graphviz (.ci/run): a missing one must fail, not skip
    raise RuntimeError("the DOT tests need Graphviz's `dot` (apt-get install graphviz)")


def graphviz(text: str, *formats: str) -> dict[str, str]:
    """Graphviz's own outputs for a DOT text, one layout for all; any complaint on stderr fails the test."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "diagram.gv"
        source.write_text(text, encoding="utf-8")
        command = ["dot", *(f"-T{fmt}" for fmt in formats), "-O", str(source)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        assert result.returncode == 0 and not result.stderr, result.stderr
        return {fmt: Path(f"{source}.{fmt}").read_text(encoding="utf-8") for fmt in formats}


def read_back(text: str) -> tuple[dict[str, str], list[set[str]], list[tuple[str, str, str]]]:
    """What Graphviz read (having drawn it as SVG too): node labels by name, each cluster's nodes
    (nested ones included), edges with their labels."""
    drawn = graphviz(text, "svg", "json")
    assert "<svg" in drawn["svg"] and "</svg>" in drawn["svg"]
    graph = json.loads(drawn["json"])
    objects = graph.get("objects", [])
    names = {item["_gvid"]: item["name"] for item in objects}
    nodes = {item["name"]: item["label"] for item in objects if "nodes" not in item and "subgraphs" not in item}
    clusters = [{names[gvid] for gvid in item["nodes"]} for item in objects if item["name"].startswith("cluster")]
    edges = [(names[edge["tail"]], names[edge["head"]], edge["label"]) for edge in graph.get("edges", [])]
    return nodes, clusters, edges


def block_paths(nodes: Sequence[ir.Node], prefix: str = "") -> Iterator[str]:
    """The path of every use of a block, named as the analysis names rows (a second walk of the IR)."""
    for node, segment in zip(nodes, segments(nodes), strict=True):
        path = f"{prefix}/{segment}" if prefix else segment
        if isinstance(node, ir.Block):
            yield path
            yield from block_paths(node.body, path)
        elif isinstance(node, ir.Branch) and node.op in ("aux", "out"):
            yield from block_paths(node.arms[0], path)
        elif isinstance(node, ir.Branch):
            for number, arm in enumerate(node.arms, 1):
                yield from block_paths(arm, f"{path}/b{number}")


@cache
def expression(written: str) -> sympy.Expr:
    """sympy's reading of an expression in n (the zoo's only symbol), once per distinct text."""
    return sympy.parse_expr(written, local_dict={"n": N})


def shape_from_label(label: str) -> list[sympy.Expr]:
    """A label such as 64×⌊(n + 1)/2⌋×⌊(n + 1)/2⌋ read back into sympy, factor by factor."""
    factors = []
    for factor in label.split("×"):
        written = re.sub(r"(?<=\d),(?=\d{3})", "", factor)  # 1,024 → 1024
        written = written.replace("⌊", "floor(").replace("⌋", ")").replace("·", "*").replace("−", "-")
        written = re.sub(r"([⁰¹²³⁴⁵⁶⁷⁸⁹]+)", lambda match: "**" + match.group(1).translate(SUPERSCRIPTS), written)
        factors.append(expression(written))
    return factors


def json_shape(value: Sequence[int | str]) -> list[sympy.Expr]:
    return [sympy.Integer(item) if isinstance(item, int) else expression(item) for item in value]


ARM = re.compile(r"(^|/)(res|cat|mul|split)\d*/b\d+$")  # an arm of a branch (its rows, folded)


def check_diagram(net: symcnn.Network, text: str, depth: int | None = None) -> None:
    """Graphviz's reading of ``text`` against the network's rows (folded below ``depth``), its
    blocks, and its shapes: the JSON contract's, or the folded rows' at a depth."""
    nodes, clusters, edges = read_back(text)
    shown = net.rows(depth)
    rows = {f"r{row.index}": row for row in shown}
    # One node per row, plus the input; each labelled with the layer as written.
    assert len(nodes) == len(shown) + 1
    assert set(nodes) == {"r0", *rows}
    assert all(nodes[name].split("\\n")[0] == " ".join(row.name.split()) for name, row in rows.items())
    # One cluster per use of a block above the depth, holding exactly the rows under its path.
    expected = [
        frozenset(name for name, row in rows.items() if row.path.startswith(path + "/"))
        for path in block_paths(net.architecture.layers)
        if depth is None or path.count("/") + 1 < depth
    ]
    assert Counter(map(frozenset, clusters)) == Counter(expected)
    # Consecutive rows of one sequence (the same parent path; not two arms of a branch) are joined.
    pairs = {(tail, head) for tail, head, _ in edges}
    for before, after in pairwise(shown):
        siblings = before.path.rpartition("/")[0] == after.path.rpartition("/")[0]
        if siblings and not (ARM.search(before.path) and ARM.search(after.path)):
            assert (f"r{before.index}", f"r{after.index}") in pairs, (before.path, after.path)
    # Every row is entered once, a merge once per arm; every edge carries its tail's output, as the
    # JSON contract gives it (a split's arm gets an equal share of the channels instead).
    into = Counter(head for _, head, _ in edges)
    contract = net.to_dict()
    assert set(contract["symbols"]) <= {"n"}
    outputs = {"r0": json_shape(contract["input"])}
    if depth is None:
        outputs.update({f"r{layer['index']}": json_shape(layer["output"]) for layer in contract["layers"]})
    else:
        outputs.update({name: [sympy.sympify(size) for size in row.output] for name, row in rows.items()})
    for name, row in rows.items():
        assert into[name] == (len(row.geometry.parts) if row.kind in ("add", "cat", "mul") else 1), row.path
    for tail, head, label in edges:
        carried, given = shape_from_label(label), outputs[tail]
        if carried != given:
            split = re.search(r"(^|/)split\d*/", rows[head].path)
            share = [
                sympy.simplify(given[0] / carried[0]),
                *(sympy.simplify(a - b) for a, b in zip(given[1:], carried[1:])),
            ]
            assert split and share[0].is_integer and share[0] > 1 and share[1:] == [0, 0], (tail, head, label, given)


# One entry of each family by default (every kind of branch, head and block among them); the whole zoo
# (about 40 s) is marked slow.
FAMILIES = {
    "vgg16",
    "resnet50",
    "densenet121",
    "googlenet",
    "inception_v3",
    "shufflenet_v2_x0_5",
    "unet",
    "mobilenet_v3_small",
    "efficientnet_b0",
    "convnext_tiny",
    "regnet_y_400mf",
    "squeezenet1_1",
    "lraspp_mobilenet_v3_large",
    "fcn_resnet50",
    "alexnet",
}


@pytest.mark.parametrize(
    "name", [name if name in FAMILIES else pytest.param(name, marks=pytest.mark.slow) for name in zoo.names()]
)
def test_zoo_diagram(name: str) -> None:
    net = symcnn.parse(name)
    text = dot(net)
    check_diagram(net, text)


def test_chain_edges_follow_the_table_and_a_given_size() -> None:
    """VGG-16 at n = 224: a chain, r0 → r1 → … → r39, each edge the shape the JSON gives, written
    as the table writes it (a second route: the numbers joined by ×)."""
    net = symcnn.parse("vgg16", n=224)
    _, _, edges = read_back(dot(net))
    shapes = [net.to_dict()["input"]] + [layer["output"] for layer in net.to_dict()["layers"]]
    assert edges == [(f"r{i}", f"r{i + 1}", "×".join(map(str, shapes[i]))) for i in range(len(net.layers))]
    assert edges[11] == ("r11", "r12", "256×56×56")  # conv3-256's output (REFERENCE.md's walkthrough)


def test_branches_heads_and_empty_arms() -> None:
    """A residual with an empty arm, a concatenation, a side output and an auxiliary head."""
    net = symcnn.parse("conv3-8 res(conv3-8 | ) cat(conv1-4 | maxpool3(stride=1, padding=1)) out(conv1-2) aux(fc5) fc3")
    text = dot(net)
    check_diagram(net, text)
    nodes, _, edges = read_back(text)
    pairs = [(tail, head) for tail, head, _ in edges]
    assert pairs.count(("r1", "r3")) == 1  # the empty arm: straight from the fork to the add
    tails = {tail for tail, _ in pairs}
    sinks = sorted(name for name in nodes if name not in tails)
    assert [nodes[name].split("\\n")[0] for name in sinks] == ["conv1-2", "fc5", "fc3"]  # two heads dangle
    (head,) = [line for line in text.splitlines() if "fc5" in line and "[label=" in line]
    assert "style=dashed" in head  # eval mode never runs the auxiliary head


def test_symbolic_shapes_are_the_tables() -> None:
    net = symcnn.parse("conv3-64 maxpool relu")
    _, _, edges = read_back(dot(net))
    assert edges[-1] == ("r2", "r3", "64×⌊n/2⌋×⌊n/2⌋")  # as the text table writes the maxpool's output


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("name", ["googlenet", "shufflenet_v2_x0_5", "efficientnet_b0", "unet"])
def test_folded_diagram(name: str, depth: int) -> None:
    """At a depth, one node per folded row of the table (heads and arms folded too)."""
    net = symcnn.parse(name)
    check_diagram(net, dot(net, depth), depth)


def test_depth_folds_as_the_table() -> None:
    net = symcnn.parse("resnet18")
    nodes, clusters, edges = read_back(dot(net, depth=2))
    rows = net.rows(2)
    assert len(nodes) == len(rows) + 1
    assert len(clusters) == 4  # layer1 … layer4; their basic blocks are single nodes at depth 2
    assert [label.split("\\n")[0] for name, label in nodes.items() if name != "r0"] == [row.name for row in rows]
    assert [head for _, head, _ in edges] == [f"r{row.index}" for row in rows]  # still a chain
    folded = {f"r{row.index}": row for row in rows}
    assert all(nodes[name].split("\\n")[1] == f"{row.params:,} params" for name, row in folded.items() if row.params)


def test_labels_are_escaped() -> None:
    """Graphviz reads back a label with quotes, a backslash and the characters of record labels."""
    label = 'a "b" \\ c <d> {e} | f'
    assert _drawn(graphviz(f"digraph g {{ x [label={quoted(label)}]; }}", "svg")["svg"]) == [("x", (label,))]


def test_long_names_are_shortened() -> None:
    """A layer written with 18,009 characters: Graphviz refuses quoted strings past 16,384."""
    net = symcnn.parse("conv3-{" + "(" * 9000 + "8" + ")" * 9000 + "}")
    nodes, _, _ = read_back(dot(net))
    name = nodes["r1"].split("\\n")[0]
    assert name.startswith("conv3-{(((") and " … " in name and name.endswith(")))}") and len(name) < 1000


def test_command_line() -> None:
    run = [sys.executable, "-m", "symcnn", "report", "conv3-8 fc10", "--format", "dot"]
    result = subprocess.run(run, capture_output=True, text=True, check=False)
    assert result.returncode == 0 and result.stdout.startswith("digraph")
    bad = subprocess.run([*run, "--depth", "0"], capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "depth must be at least 1" in bad.stderr


def _drawn(svg: str) -> list[tuple[str, tuple[str, ...]]]:
    """What an SVG from Graphviz shows: each node's, edge's and cluster's title and texts."""
    space = {"svg": "http://www.w3.org/2000/svg"}
    root = ElementTree.fromstring(svg)
    drawn = []
    for group in root.iter("{http://www.w3.org/2000/svg}g"):
        title = group.find("svg:title", space)
        if group.get("class") in ("node", "edge", "cluster") and title is not None:
            texts = tuple(text.text or "" for text in group.iter("{http://www.w3.org/2000/svg}text"))
            drawn.append((str(title.text), texts))
    return sorted(drawn)


def test_readme_diagram_is_current() -> None:
    """examples/resnet18.svg shows what the README's command draws today: the same nodes, edges,
    clusters and labels (positions may differ between Graphviz versions)."""
    result = subprocess.run(
        [sys.executable, "-m", "symcnn", *README_COMMAND], capture_output=True, text=True, check=True
    )
    committed = _drawn(README_DIAGRAM.read_text(encoding="utf-8"))
    assert committed == _drawn(graphviz(result.stdout, "svg")["svg"])
    assert ("r1", ("conv7-64(stride=2, bias=false)", "9,408 params")) in committed  # torchvision: 7·7·3·64
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "symcnn " + " ".join(README_COMMAND) + " | dot -Tsvg > examples/resnet18.svg" in readme
    assert "](examples/resnet18.svg)" in readme
