"""examples/vgg16_derivation.ipynb runs top to bottom in a real kernel, and what it shows is right.

The notebook is executed with nbclient and ipykernel, as Jupyter runs it. Its outputs must hold
the HTML table and the LaTeX closed forms, and their numbers must equal figures found another
way: REFERENCE.md's published total, and VGG-D's parameters added up layer by layer here.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser
from pathlib import Path

import nbformat
from nbclient import NotebookClient

import symcnn
from symcnn.check import check
from symcnn.render.notebook import MAX_ROWS
from symcnn.sweep import sweep

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "vgg16_derivation.ipynb"

# VGG configuration D, added up here: 13 3×3 convolutions with biases, then fc4096, fc4096, fc1000.
CONVS = [(3, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256), (256, 256)] + [(256, 512)] + [(512, 512)] * 5
CONV_PARAMS = sum(3 * 3 * c_in * c_out + c_out for c_in, c_out in CONVS)
# fc1 reads 512·(n/32)² values for n a multiple of 32: 512·4096/32² = 2048 weights per n², plus its biases.
N_SQUARED = 512 * 4096 // 32**2
CONSTANT = CONV_PARAMS + 4096 + (4096 * 4096 + 4096) + (4096 * 1000 + 1000)
REFERENCE_TOTAL = 138_357_544  # REFERENCE.md: VGG-16 (configuration D) at 224×224
FIRST_CONV3_256 = 3 * 3 * 128 * 256 + 256  # REFERENCE.md: 128·3·3·256 + 256 = 295,168


def _tex(number: int) -> str:
    return f"{number:,}".replace(",", "{,}")


def _run() -> nbformat.NotebookNode:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3").execute()  # raises on any cell's error
    return notebook


def _outputs(notebook: nbformat.NotebookNode, kind: str) -> list[str]:
    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if kind == "stream" and output.output_type == "stream":
                found.append(output.text)
            elif kind in output.get("data", {}):
                found.append(output.data[kind])
    return found


def test_notebook_is_stored_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(cell.outputs == [] and cell.execution_count is None for cell in code)


def test_notebook_runs_and_shows_the_derivation() -> None:
    assert CONV_PARAMS == 14_714_688 and N_SQUARED * 224**2 + CONSTANT == REFERENCE_TOTAL  # two routes agree
    notebook = _run()
    html, latex, printed = (
        _outputs(notebook, "text/html"),
        _outputs(notebook, "text/latex"),
        _outputs(notebook, "stream"),
    )

    # The HTML tables: the symbolic one and the one at n = 224, with layer 11's parameters.
    tables = [table for table in html if table.startswith('<table class="symcnn"')]
    assert len(tables) == 2
    at_224 = tables[1]
    row = next(line for line in at_224.splitlines() if ">conv3-256<" in line)
    assert f">{FIRST_CONV3_256:,}<" in row
    assert f">{REFERENCE_TOTAL:,}<" in at_224  # the total row
    # The closed form as LaTeX: 2,048·n² + 35,597,096 for n a multiple of 32, valid for n ≥ 32.
    symbolic, alone, at_224_totals = latex  # the network's, the closed forms displayed alone, at n = 224
    assert alone == symbolic
    assert rf"{_tex(N_SQUARED)} \cdot n^{{2}} + {_tex(CONSTANT)} & \mbox{{for $n$ a multiple of $32$}}" in symbolic
    assert r"valid for $n \geq 32$" in symbolic and "$$" in symbolic
    assert rf"\mathrm{{params}} & = & {_tex(REFERENCE_TOTAL)}" in at_224_totals
    # The per-layer derivation and the total, printed.
    assert f"3·3·128·256 + 256 = {FIRST_CONV3_256:,}" in "".join(printed)
    assert f"parameters at n = 224: {REFERENCE_TOTAL:,}" in "".join(printed)
    # The sweep's table: n = 256 by the closed form worked out here.
    sweep = next(table for table in html if table.startswith('<table class="symcnn-sweep"'))
    assert f"<tr><td>256</td><td>{N_SQUARED * 256**2 + CONSTANT:,}</td>" in sweep
    # The checks: the hand calculation holds; without the biases it does not, and the slip is named.
    checks = [report for report in html if report.startswith("<pre>")]
    assert len(checks) == 2
    assert f"The claim holds: {FIRST_CONV3_256:,} = {FIRST_CONV3_256:,}." in checks[0]
    assert f"off by {256}" in checks[1] and "without its 256 biases" in checks[1]


class _Cells(HTMLParser):
    """The text of every table cell, as a browser reads it (entities decoded)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.open = ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.open is not None:
            self.rows[-1].append(self.open)
            self.open = None

    def handle_data(self, data: str) -> None:
        if self.open is not None:
            self.open += data


def test_network_html_table() -> None:
    net = symcnn.parse("conv3-8 relu fc10", n=4)
    shown = net._repr_html_()
    cells = _Cells()
    cells.feed(shown)
    header, first, conv, _, fc, totals = cells.rows[:6]
    assert header[:3] == ["#", "layer", "output"] and first[:3] == ["0", "input", "3×4×4"]
    conv_params, fc_params = 3 * 3 * 3 * 8 + 8, 8 * 4 * 4 * 10 + 10  # by hand
    assert conv[1] == "conv3-8" and f"{conv_params:,}" in conv and f"{fc_params:,}" in fc
    assert totals[1] == "total" and f"{conv_params + fc_params:,}" in totals
    assert "every layer's output" in html.unescape(shown) and "layer's" not in shown  # escaped
    assert net._repr_markdown_() == net.markdown()


def test_long_tables_are_cut_in_the_middle() -> None:
    layers = 1_200
    cells = _Cells()
    cells.feed(symcnn.parse("conv3-8 " + "relu " * (layers - 1))._repr_html_())
    table = cells.rows[: cells.rows.index(next(row for row in cells.rows if row[1:2] == ["total"])) + 1]
    body = table[1:-1]  # the header and the totals off
    assert len(body) == 1 + MAX_ROWS + 1  # the input, the rows shown, the note
    assert body[-1][0] == str(layers) and f"{layers - MAX_ROWS:,} rows left out" in body[1 + MAX_ROWS // 2][0]


def test_sweep_and_check_display() -> None:
    rows = sweep(symcnn.parse("vgg-d"), [224, 256])
    assert isinstance(rows, list) and [row.params for row in rows] == [N_SQUARED * n**2 + CONSTANT for n in (224, 256)]
    assert f"| 224 | {REFERENCE_TOTAL:,} |" in rows._repr_markdown_()
    assert f"<tr><td>224</td><td>{REFERENCE_TOTAL:,}</td>" in rows._repr_html_()
    held = check("3*3*128*256 + 256 = 295,168")
    assert held.holds is True and held._repr_markdown_() == f"```text\n{held}```\n"
    assert check("1 = 2").holds is False
