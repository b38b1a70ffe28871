"""The inputs that once crashed or hung symcnn (issue #8): each is refused with exit 2
and a message that points at the spot, quickly, through the real command line."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from symcnn.cli import main
from symcnn.limits import (
    MAX_LAYERS,
    MAX_SYMBOLIC_FLOORS,
    MAX_SYMBOLIC_ROWS_COMPARED,
    MAX_SYMBOLIC_SIZES,
    MAX_SYMPY_ROWS,
)

BIG_LITERAL = "1" * 4301
NESTED_FLOORS = "conv16-{" + "n//" * 90 + "n}(padding={0})"
LONG_SUM = "fc{" + "+".join(["1"] * 5000) + "}"
BLOCKS_OF_BLOCKS = "let a = conv3-8 conv3-8\n" + "".join(
    f"let b{i} = {'a' if i == 0 else f'b{i - 1}'} x2\n" for i in range(40)
)
EIGHT_SUMS = "fc{" + "*".join(f"(a{i}+b{i}+c{i}+d{i})" for i in range(8)) + "}"

# (argv, a fragment of the message, where the caret points: "line L, column C" or the layer)
BOMBS = [
    (["report", "fc" + BIG_LITERAL], "1111…1111 (4,301 digits) is larger than", "line 1, column 3"),
    (["report", NESTED_FLOORS], "nests 90 operators deep", "line 1, column 8"),
    (["report", LONG_SUM], "has 4,999 operators", "line 1, column 3"),
    (["report", "avgpool(stride=1000000000000)x360"], "the strides so far multiply to more than", "layer 2"),
    (["report", "()x1000000000000"], f"more than {MAX_LAYERS:,} layers", "line 1, column 3"),
    (["report", "res()x1000000000000"], f"more than {MAX_LAYERS:,} layers", "line 1, column 6"),
    (["report", "let e = ()\ne x1000000000000"], f"more than {MAX_LAYERS:,} layers", "line 2, column 3"),
    (["report", "conv3-8x100001"], f"more than {MAX_LAYERS:,} layers", "line 1, column 8"),
    (["report", "(maxpool)x14300"], "beyond the largest input size", "layer 40"),
    (["report", BLOCKS_OF_BLOCKS + "b39"], f"more than {MAX_LAYERS:,} layers", "line 16, column 15"),
    (["report", EIGHT_SUMS], "more than 2,000 terms", ""),
    (["report", "input 3x0x0 fc10"], "the input size is 0", "input 'input 3x0x0' (line 1, column 1)"),
    (["report", "vgg16", "--n", "٣"], "is not a whole number", ""),
    (["report", "vgg16", "--n", "9" * 5000], "9999…9999 (5,000 digits)", ""),
    (["check", "(1/1e60)^200"], "", ""),
    (["check", "2^1e-200^22"], "", ""),
    (["check", "1e999999999"], "", ""),
    (["solve", "vgg16", "memory(batch=²) <= 1"], "", ""),
    (["zoo", "--table", "--n", "0"], "--n must be from 1 to 1,000,000,000,000, not 0", ""),
    (["zoo", "--table", "--n", "-5"], "not -5", ""),
    (["zoo", "vgg16", "--table"], "--table lists the whole zoo; give no name", ""),
    (["sweep", "vgg-a", "--plot", "/nonexistent/dir/p.png"], "cannot write the file", "'/nonexistent/dir/p.png'"),
    (["sweep", "vgg-a", "--plot", "p.xyz"], "cannot draw a '.xyz' file", "--plot 'p.xyz'"),
    (["sweep", "vgg-a", "--plot", "/"], "cannot write the file", "--plot '/'"),
    # the two fuzz findings of 200,000 cases timed in CPU seconds (1.18 s and 1.75 s before these limits)
    (["report", f"conv{{k}}-8x{MAX_SYMBOLIC_SIZES + 1}"],
     f"more than {MAX_SYMBOLIC_SIZES:,} output sizes", f"layer {MAX_SYMBOLIC_SIZES + 1}"),
    (["report", f"input 3xwx16 pool{{k*2+w*h}}x{MAX_SYMBOLIC_FLOORS + 1}"],
     f"nests more than {MAX_SYMBOLIC_FLOORS} floors", f"layer {MAX_SYMBOLIC_FLOORS + 1}"),
    # a fuzz finding: 788 rows counted in a channel symbol, analysed again under each of 7 conventions (2.1 s)
    (["compare", f"conv3-{{c}}x{MAX_SYMBOLIC_ROWS_COMPARED // 7 + 1}"], "rows count in symbols other than", ""),
    # a fuzz finding: 4,761 rows counted in a symbolic channel count (1.1 s of CPU)
    (["report", f"input cxnxn dwconv3(padding=0)x{MAX_SYMPY_ROWS + 1}"],
     "distinct rows count in symbols that are no size", f"layer {MAX_SYMPY_ROWS + 1}"),
    (["report", "aux(upsample224 avgpool3(stride={s})x9)"], f"nests more than {MAX_SYMBOLIC_FLOORS} floors", "aux/"),
    # the condition is read before the network: a bad one costs nothing however big the network
    (["solve", "input 3xnxn conv{k}-2x800", "749,086,759,161"], "a condition is QUANTITY OP VALUE", ""),
]  # fmt: skip


def _run(argv: list[str]) -> tuple[int, str, str, float]:
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue(), time.perf_counter() - start


@pytest.mark.parametrize(("argv", "message", "where"), BOMBS, ids=lambda value: str(value)[:40])
def test_bombs_are_refused_with_a_location(argv: list[str], message: str, where: str) -> None:
    _run(["report", "vgg16", "--n", "224"])  # warm: the first parse loads lark's tables
    code, out, err, seconds = _run(argv)
    assert code == 2, err
    assert out == ""
    assert err.startswith("symcnn: error: ")
    assert message in err
    assert where in err
    assert len(err) < 2_000  # long literals are shortened
    assert seconds < 2  # generous: the benchmark holds them to 0.2 s


def test_an_empty_block_has_no_rows_but_renders() -> None:
    code, out, err, _ = _run(["report", "let e = (); e relu", "--format", "json"])
    assert (code, err) == (0, "")
    assert '"blocks"' in out


def test_help_exits_0() -> None:
    code, out, _, _ = _run(["--help"])
    assert code == 0 and "usage: symcnn" in out


def test_a_bug_exits_3_not_1_or_2(monkeypatch: pytest.MonkeyPatch) -> None:
    import symcnn.network

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(symcnn.network, "parse", broken)
    code, _, err, _ = _run(["report", "vgg16"])
    assert code == 3
    assert err.startswith("symcnn: internal error: ZeroDivisionError: a bug")
    assert "please report" in err
    assert "Traceback" not in err


def test_the_executable_exits_2_on_a_bomb_without_a_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "symcnn", "report", "()x1000000000000"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_a_plot_title_is_one_printable_line(tmp_path: Path) -> None:
    """The title is the ARCH text: its \\r made matplotlib warn of a missing glyph on stderr."""
    plot = tmp_path / "p.svg"
    code, _, err, _ = _run(["sweep", "conv3-8\r\n\tmaxpool fc10", "--n", "32:64:32", "--plot", str(plot)])
    assert (code, err) == (0, "")
    assert "<!-- conv3-8 maxpool fc10 -->" in plot.read_text()


def test_symbolic_kernels_and_paddings_cost_no_floor_per_layer() -> None:
    """⌊x/1⌋ of an integer is x: sympy's floor() took ~2 ms a layer to prove it (conv{k}-2x807 took 2 s)."""
    import sympy

    from symcnn.dims import step
    from symcnn.values import symbol

    n, k = symbol("n"), symbol("k")
    size = step(n - 2 * k, 3 - k, 1)
    assert isinstance(size, sympy.Expr) and not size.atoms(sympy.floor)
    assert size == n - 3 * k + 3
    half = MAX_SYMBOLIC_SIZES // 2  # as many as may be
    code, _, err, _ = _run(
        ["report", f"input 3xnxn conv{{k}}-8x{half} conv3-8(padding={{p}})x{half}", "--format", "csv"]
    )
    assert code == 0, err  # the time it takes is benchmarks/speed.py's business, not a test's
