"""The network as a Graphviz diagram (DOT): one node per row, blocks as clusters.

Every row of the table (and the input) is one node, labelled with the layer as
written and its parameters; every edge carries the shape that flows along it,
written as the table writes shapes (``64×⌊n/2⌋×⌊n/2⌋``). A use of a ``let`` block
is a ``subgraph cluster_…`` (nested blocks nest); a branch is its arms side by
side, from the node before it to its merge (an empty arm is one edge); the heads
of ``out(…)`` and ``aux(…)`` hang off the main path and end nowhere. Rows in a
head that the mode does not run (``aux`` in eval mode) are dashed.

The structure comes from the layer IR, walked as the analysis walks it (the same
path segments), and each node's numbers from the analysis' row at that path;
nothing is counted here.

>>> import symcnn
>>> print(dot(symcnn.parse("conv3-8 maxpool fc10")), end="")
digraph network {
  rankdir=TB;
  graph [fontname="Helvetica", fontsize=11];
  node [shape=box, style=rounded, fontname="Helvetica", fontsize=11];
  edge [fontname="Helvetica", fontsize=9];
  r0 [label="input"];
  r1 [label="conv3-8\\n224 params"];
  r2 [label="maxpool"];
  r3 [label="fc10\\n80·⌊n/2⌋² + 10 params"];
  r0 -> r1 [label="3×n×n"];
  r1 -> r2 [label="8×n×n"];
  r2 -> r3 [label="8×⌊n/2⌋×⌊n/2⌋"];
}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .. import ir
from ..analysis import MERGE_KINDS, LayerResult, segments
from ..values import Value, as_int
from .printing import text, text_factors

if TYPE_CHECKING:
    from ..network import Network

HEADER = (
    "digraph network {",
    "  rankdir=TB;",
    '  graph [fontname="Helvetica", fontsize=11];',
    '  node [shape=box, style=rounded, fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=9];',
)
INPUT = "r0"
# Longer texts keep their start and end: Graphviz refuses a quoted string of more than 16,384
# characters, and a label that long is read by no one.
MAX_LABEL = 500


def quoted(label: str) -> str:
    r"""A DOT string: backslashes and double quotes escaped, whitespace run together, the middle
    of a text longer than :data:`MAX_LABEL` characters left out.

    ``<``, ``{`` and ``|`` mean nothing in a quoted label of a plain (non-record) node.

    >>> print(quoted('say "hi" \\ <b> {c} | d'))
    "say \"hi\" \\ <b> {c} | d"
    >>> len(quoted("(" * 10_000)) <= MAX_LABEL + 2  # the quotes
    True
    """
    one_line = " ".join(label.split())
    if len(one_line) > MAX_LABEL:
        half = (MAX_LABEL - 3) // 2
        one_line = f"{one_line[:half]} … {one_line[-half:]}"
    return '"' + one_line.replace("\\", "\\\\").replace('"', '\\"') + '"'


def node_id(row: LayerResult) -> str:
    """The node of a row: ``r`` and its index (the input is ``r0``)."""
    return f"r{row.index}"


def row_label(row: LayerResult) -> str:
    """A row's label: the layer as written, then its parameters when it has any.

    >>> import symcnn
    >>> [row_label(row) for row in symcnn.parse("conv3-8 relu", n=4).layers]
    ['"conv3-8\\\\n224 params"', '"relu"']
    """
    lines = [quoted(row.name)[1:-1]]
    if as_int(row.params) != 0:
        lines.append(quoted(f"{text(row.params)} params")[1:-1])
    return '"' + "\\n".join(lines) + '"'


class _Diagram:
    """One walk over the layer IR, writing nodes (inside their clusters) and collecting edges."""

    def __init__(self, net: Network, depth: int | None) -> None:
        self.rows: Mapping[str, LayerResult] = {row.path: row for row in net.layers}
        self.folded: Mapping[str, LayerResult] = {row.path: row for row in net.rows(depth)}
        self.depth = depth
        self.groups = net.analysis.groups
        self.shapes: dict[str, Sequence[Value]] = {INPUT: net.input}  # each node's output, by its id
        self.lines: list[str] = [f"  {INPUT} [label={quoted('input')}];"]
        self.edges: list[str] = []
        self.clusters = 0

    def folds(self, path: str) -> bool:
        """Whether the block, branch or arm at ``path`` is one folded row (it sits at ``depth``)."""
        return self.depth is not None and path.count("/") + 1 >= self.depth

    def folded_node(self, path: str, source: str, shape: Sequence[Value], indent: str) -> str:
        """A folded block, branch or arm as one node after ``source`` (none for an empty one)."""
        row = self.folded.get(path)
        if row is None:
            return source
        self.edge(source, self.node(row, indent), shape)
        return node_id(row)

    def edge(self, source: str, target: str, shape: Sequence[Value]) -> None:
        self.edges.append(f"  {source} -> {target} [label={quoted(text_factors(shape))}];")

    def node(self, row: LayerResult, indent: str) -> str:
        style = ", style=dashed" if row.idle else ""
        self.lines.append(f"{indent}{node_id(row)} [label={row_label(row)}{style}];")
        self.shapes[node_id(row)] = row.output
        return node_id(row)

    def sequence(self, nodes: Sequence[ir.Node], prefix: str, source: str, indent: str) -> str:
        """The nodes of a sequence after ``source``; returns the node the sequence ends in."""
        if prefix and self.folds(prefix):  # a folded arm: a split's arm gets a chunk of the channels
            row = self.folded.get(prefix)
            return self.folded_node(prefix, source, row.geometry.input, indent) if row else source
        for item, segment in zip(nodes, segments(nodes), strict=True):
            path = f"{prefix}/{segment}" if prefix else segment
            if isinstance(item, ir.Block):
                source = self.block(item, path, source, indent)
            elif isinstance(item, ir.Branch):
                source = self.branch(item, path, source, indent)
            else:
                row = self.rows[path]
                self.edge(source, self.node(row, indent), row.geometry.input)
                source = node_id(row)
        return source

    def block(self, block: ir.Block, path: str, source: str, indent: str) -> str:
        if self.folds(path):
            return self.folded_node(path, source, self.shapes[source], indent)
        self.clusters += 1
        segment = path.rsplit("/", 1)[-1]
        written = " ".join(self.groups.get(path, segment).split())
        title = segment if written == segment else f"{segment}: {written}"
        self.lines += [f"{indent}subgraph cluster_{self.clusters} {{", f"{indent}  label={quoted(title)};"]
        end = self.sequence(block.body, path, source, indent + "  ")
        self.lines.append(f"{indent}}}")
        return end

    def branch(self, branch: ir.Branch, path: str, source: str, indent: str) -> str:
        head = branch.op in ("aux", "out")
        if self.folds(path):
            end = self.folded_node(path, source, self.shapes[source], indent)
            return source if head else end
        if head:
            if path in self.groups:  # a head left out (--no-aux) has no rows
                self.sequence(branch.arms[0], path, source, indent)
            return source  # the head dangles; the main path goes on from the branch's input
        merge = next(self.rows[f"{path}/{kind}"] for kind in sorted(MERGE_KINDS) if f"{path}/{kind}" in self.rows)
        ends = [self.sequence(arm, f"{path}/b{number}", source, indent) for number, arm in enumerate(branch.arms, 1)]
        self.node(merge, indent)
        for end, shape in zip(ends, merge.geometry.parts, strict=True):
            self.edge(end, node_id(merge), shape)
        return node_id(merge)


def dot(net: Network, depth: int | None = None) -> str:
    """The network as a DOT digraph: ``dot -Tsvg`` draws it.

    With ``depth``, blocks, branches and arms deeper than it are one node each, as
    :meth:`symcnn.network.Network.rows` folds them.

    >>> import symcnn
    >>> diagram = dot(symcnn.parse("let b = conv3-8 relu; b b fc10"), depth=1)
    >>> [line.strip() for line in diagram.splitlines() if "->" in line]
    ['r0 -> r1 [label="3×n×n"];', 'r1 -> r3 [label="8×n×n"];', 'r3 -> r5 [label="8×n×n"];']
    """
    diagram = _Diagram(net, depth)
    diagram.sequence(net.architecture.layers, "", INPUT, "  ")
    return "\n".join([*HEADER, *diagram.lines, *diagram.edges, "}"]) + "\n"
