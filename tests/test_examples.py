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
