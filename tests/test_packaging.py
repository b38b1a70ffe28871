"""A non-editable wheel in a fresh virtual environment works, grammar included."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("symcnn-*.whl")
    return built


def test_wheel_carries_the_grammar_and_the_zoo(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "symcnn/grammar/symcnn.lark" in names
    assert "symcnn/zoo/vgg16.txt" in names
    assert "symcnn/py.typed" in names
    packaged = zipfile.ZipFile(wheel).read("symcnn/grammar/symcnn.lark")
    assert packaged == (ROOT / "grammar" / "symcnn.lark").read_bytes()  # one grammar, copied at build time


def test_fresh_venv_runs_the_cli(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], check=True, capture_output=True)
    result = subprocess.run(
        [str(env_dir / "bin" / "symcnn"), "report", "vgg-d", "--n", "224", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,  # away from the checkout, so only the installed package can answer
    )
    assert json.loads(result.stdout)["total"]["params"] == 138_357_544  # VGG paper, Table 2 (REFERENCE.md)
    where = subprocess.run(
        [str(python), "-c", "import symcnn.parser as p; print(p.grammar_path())"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert str(env_dir) in where.stdout
