"""The examples in examples/ run, and what they print is right."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import symcnn

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_vgg16_parameters_walkthrough() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "vgg16_parameters.py")], capture_output=True, text=True, check=True
    )
    lines = result.stdout.splitlines()
    # REFERENCE.md: the accepted answer's per-layer figures and total.
    assert any("3·3·128·256 +   256 =      295,168" in line for line in lines)
    assert any(line.split()[-1] == "102,764,544" for line in lines if line.strip().startswith("FC-4096"))
    assert any(line.startswith("  total") and line.endswith("138,357,544") for line in lines)
    assert "params = 2048*n**2 + 35597096" in result.stdout


def test_cifar_net_file() -> None:
    net = symcnn.parse((EXAMPLES / "cifar_net.txt").read_text(encoding="utf-8"), n=32, k=10)
    # A second route: conv weights without bias, bn 2·C parameters and 2·C + 1 buffers, gap, fc.
    channels = [(3, 32), (32, 32), (32, 64), (64, 64), (64, 128), (128, 128)]
    params = sum(3 * 3 * cin * cout + 2 * cout for cin, cout in channels) + 128 * 10 + 10
    buffers = sum(2 * cout + 1 for _, cout in channels)
    assert (net.params, net.buffers) == (params, buffers)
    result = subprocess.run(
        [sys.executable, "-m", "symcnn", "report", f"@{EXAMPLES / 'cifar_net.txt'}", "--n", "32", "--set", "k=10"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"{params:,}" in result.stdout


def _run(script: str, *args: str) -> str:
    result = subprocess.run([sys.executable, str(EXAMPLES / script), *args], capture_output=True, text=True, check=True)
    return result.stdout


def test_alexnet_puzzle() -> None:
    out = _run("alexnet_224_vs_227.py")
    # PyTorch's rule by hand: ⌊(224 − 11)/4⌋ + 1 = 54, ⌊(227 − 11)/4⌋ + 1 = 55 (the paper's 55×55×96).
    assert f"conv1 gives {(224 - 11) // 4 + 1}×" in out and f"conv1 gives {(227 - 11) // 4 + 1}×" in out
    assert "the fc6 input: 256×6×6" in out  # Krizhevsky et al.: the last map is 6×6×256
    assert "60,965,224" in out  # a second route: tests/test_reference.py's layer table


def test_check_statements() -> None:
    out = _run("check_statements.py")
    blocks = out.split("$ symcnn check ")[1:]
    verdicts = ["holds" if "The claim holds" in b else "fails" if "does not hold" in b else "-" for b in blocks]
    # 295,168 = 128·3·3·256 + 256 (REFERENCE.md) holds; without the biases it does not; 138,357,544 rounds
    # to 138M; 4 × 15,237,608 = 60,950,432 ≈ 61MB; 24M · 4 = 96M is not 93M.
    assert verdicts == ["holds", "fails", "-", "-", "holds", "holds", "fails", "-"]
    assert "256 biases" in blocks[1]


def test_sweep_plot(tmp_path: Path) -> None:
    import matplotlib  # noqa: F401  (the test extra has it; a missing one must fail, not skip)

    path = tmp_path / "sweep.png"
    out = _run("sweep_plot.py", str(path))
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert "2048*n**2 + 35597096 for n a multiple of 32" in out  # DERIVATION.md's closed form
