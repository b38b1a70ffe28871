"""The command line, as a user runs it: outputs, exit codes, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "symcnn", *argv], capture_output=True, text=True, check=False)


def test_check_names_the_forgotten_biases() -> None:
    # Issue #4, done when: exits 1 and names the 256 biases of the first conv3-256 (REFERENCE.md).
    result = run("check", "128x3x3x256 = 295,168", "--arch", "vgg16")
    assert result.returncode == 1
    assert "256 biases" in result.stdout and "the first conv3-256" in result.stdout


def test_check_holds() -> None:
    result = run("check", "128x3x3x256 + 256 = 295,168")
    assert result.returncode == 0
    assert "holds" in result.stdout


def test_check_knows_other_tools() -> None:
    # REFERENCE.md: torchinfo counts 15,483,821,032 mult-adds for torchvision's VGG-16 at 224.
    result = run("check", "15,483,821,032", "--arch", "vgg16", "--n", "224")
    assert result.returncode == 0
    assert "torchinfo's MACs" in result.stdout


def test_sweep_json_is_exact() -> None:
    result = run("sweep", "vgg-d", "--n", "32:4096:32", "--format", "json")
    rows = json.loads(result.stdout)
    assert [row["n"] for row in rows] == list(range(32, 4097, 32))
    for row in rows:
        # DERIVATION.md: 2048·n² + 35,597,096 params, 307,904·n² + 20,873,216 MACs for n a multiple of 32.
        assert row["params"] == 2048 * row["n"] ** 2 + 35_597_096
        assert row["macs"] == 307_904 * row["n"] ** 2 + 20_873_216


def test_sweep_plot(tmp_path: Path) -> None:
    import matplotlib  # noqa: F401  (the test extra has it; a missing one must fail, not skip)

    path = tmp_path / "vgg16.png"
    result = run("sweep", "vgg16", "--n", "32:512:32", "--plot", str(path))
    assert result.returncode == 0, result.stderr
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_solve_prints_the_largest_n_and_the_next_step() -> None:
    result = run("solve", "vgg16", "memory(batch=32) <= 8GiB", "--step", "32")
    assert result.returncode == 0
    assert "Largest n: 448" in result.stdout and "At n = 480" in result.stdout


def test_non_square_sweep() -> None:
    result = run("sweep", "input 3xhxw conv3-8 gap fc10", "--symbol", "w", "--set", "h=32", "--n", "8:16:8")
    assert result.returncode == 0, result.stderr
    rows = result.stdout.splitlines()
    assert rows[0].split()[0] == "w"


def test_document_to_stdout() -> None:
    result = run("report", "vgg-d", "--n", "224", "--format", "latex", "--document")
    assert result.returncode == 0
    assert result.stdout.startswith("\\documentclass") and result.stdout.rstrip().endswith("\\end{document}")


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "3 +"],
        ["check", "2^100000"],
        ["check", "1", "--arch", "vgg1"],
        ["sweep", "vgg16", "--n", "0:5"],
        ["sweep", "vgg16", "--dtype", "float7"],
        ["solve", "vgg16", "speed < 3"],
        ["report", "vgg16", "--document"],
        ["report", "vgg16", "--convention", "nope"],
        ["compare", "vgg16", "--convention", "nope"],
    ],
)
def test_bad_input_exits_2(argv: list[str]) -> None:
    result = run(*argv)
    assert result.returncode == 2
    assert result.stderr.startswith("symcnn: error: ") and "Traceback" not in result.stderr
