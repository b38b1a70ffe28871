"""Every example in the README is true: its commands print what it shows, its
Python session runs, and CI runs the Quick start's test command."""

from __future__ import annotations

import doctest
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import symcnn

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def _examples() -> list[tuple[str, list[str]]]:
    """(command, expected lines) for every `$ ` line of the console blocks."""
    examples: list[tuple[str, list[str]]] = []
    for block in _blocks("console"):
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, *expected = chunk.rstrip("\n").split("\n")
            examples.append((command, expected))
    return examples


def _matches(expected: list[str], actual: list[str]) -> bool:
    """Line by line; a line `...` stands for any number of lines."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(_matches(expected[1:], actual[start:]) for start in range(len(actual) + 1))
    return bool(actual) and expected[0].rstrip() == actual[0].rstrip() and _matches(expected[1:], actual[1:])


def test_quick_start_is_two_commands_and_ci_runs_the_second() -> None:
    quick = README.split("## Quick start", 1)[1].split("##", 1)[0]
    (block,) = re.findall(r"```console\n(.*?)```", quick, flags=re.S)
    install_and_run, test = block.strip().splitlines()
    assert install_and_run.startswith("pip install . && symcnn ")
    assert "pytest" in test
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test.replace("pip install", "python -m pip install --quiet") in ci


@pytest.mark.parametrize(("command", "expected"), _examples(), ids=[c for c, _ in _examples()])
def test_console_example(command: str, expected: list[str]) -> None:
    argv = shlex.split(command)
    assert argv[0] == "symcnn"
    result = subprocess.run([sys.executable, "-m", "symcnn", *argv[1:]], capture_output=True, text=True, check=False)
    actual = (result.stdout + result.stderr).rstrip("\n").split("\n")
    assert _matches(expected, actual), "\n".join(actual)


def test_python_session() -> None:
    text = "\n".join(_blocks("python"))
    test = doctest.DocTestParser().get_doctest(text, {}, "README", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.failures == 0
    assert runner.tries > 5


def test_indented_notation_examples_parse() -> None:
    """The README's notation examples (indented blocks) are texts symcnn reads."""
    blocks = re.findall(r"\n\n((?:    \S.*\n)+)", README)
    assert blocks
    for block in blocks:
        text = "\n".join(line[4:] for line in block.splitlines())
        assert symcnn.parse(text).layers


def test_zoo_table_is_the_commands_output() -> None:
    """The README's zoo table is what `symcnn zoo --table` prints (its numbers are checked
    against torchvision and the papers by the zoo tests)."""
    shown = README.split("<!-- zoo-table:", 1)[1].split("-->", 1)[1].split("<!-- /zoo-table -->", 1)[0]
    result = subprocess.run(
        [sys.executable, "-m", "symcnn", "zoo", "--table"], capture_output=True, text=True, check=True
    )
    assert shown.strip() == result.stdout.strip()
