"""What the subcommands share: reading ARCH (a name, a text, @FILE or stdin), --set and --n, the heads' options."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import SymcnnError, shorten_literal

if TYPE_CHECKING:
    from ..network import Network

ARCH_HELP = "a zoo name, a text in the notation, @FILE, or - for stdin"
ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=([0-9]+)$")
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,19}")  # ASCII only: int() would also read ٣ and ²
MAX_FILE_BYTES = 1_000_000


class Parser(argparse.ArgumentParser):
    """argparse, but usage errors become SymcnnError like every other bad input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise SymcnnError(f"{message}\n{self.format_usage().strip()}")


def whole_number(text: str) -> int:
    """An option's whole number, read without int()'s leniency (Unicode digits, 5,000-digit strings)."""
    stripped = text.strip()
    if WHOLE_NUMBER.fullmatch(stripped) is None:
        raise argparse.ArgumentTypeError(f"{shorten_literal(stripped)!r} is not a whole number")
    return int(stripped)


def add_heads(command: argparse.ArgumentParser) -> None:
    """--mode and --no-aux: how the auxiliary heads (``aux(…)``, GoogLeNet's, Inception's) count."""
    command.add_argument(
        "--mode",
        choices=("eval", "train"),
        default="eval",
        help="eval (default): auxiliary heads count parameters only, as torch skips them; train: they run",
    )
    command.add_argument(
        "--no-aux", action="store_true", help="leave the auxiliary heads out (the network published weights describe)"
    )


def heads(args: argparse.Namespace) -> dict[str, Any]:
    return {"mode": getattr(args, "mode", "eval"), "aux": not getattr(args, "no_aux", False)}


def network(args: argparse.Namespace) -> Network:
    """The network of ``args.arch`` with ``--set`` values and ``--n`` (when it is a single size).

    Analysed once, at the values: a numeric report never builds a symbolic one first.
    """
    from ..network import parse

    given: dict[str, Any] = values(args.assignments)
    n = getattr(args, "n", None)
    if isinstance(n, int):
        given["n"] = n
    return parse(read_arch(args.arch), convention=getattr(args, "convention", "symcnn"), **heads(args), **given)


def values(assignments: list[str]) -> dict[str, int]:
    values: dict[str, int] = {}
    for assignment in assignments:
        match = ASSIGNMENT.match(assignment.replace(" ", ""))
        if match is None or len(match.group(2)) > 19:
            shown = shorten_literal(assignment)
            raise SymcnnError(f"--set takes NAME=VALUE with a whole number, e.g. --set k=10, not {shown!r}")
        values[match.group(1)] = int(match.group(2))
    return values


def read_arch(arch: str) -> str:
    if arch == "-":
        return sys.stdin.read(MAX_FILE_BYTES + 1)
    if arch.startswith("@"):
        path = Path(arch[1:])
        try:
            with path.open(encoding="utf-8") as handle:
                return handle.read(MAX_FILE_BYTES + 1)
        except (OSError, UnicodeDecodeError) as error:
            raise SymcnnError(f"cannot read {path}: {getattr(error, 'strerror', None) or error}") from None
    return arch
