"""The command line: ``symcnn report``, ``symcnn compare`` and ``symcnn zoo``.

The only module that prints or exits. Bad input gives a one-paragraph message
on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from . import ir, zoo
from .errors import SymcnnError
from .network import Network, parse
from .rules import CONVENTIONS

FORMATS = ("table", "markdown", "latex", "csv", "json")
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=([0-9]+)$")
MAX_FILE_BYTES = 1_000_000


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors become SymcnnError like every other bad input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise SymcnnError(f"{message}\n{self.format_usage().strip()}")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="symcnn",
        description="Exact parameters, activations and MACs of a CNN, as closed forms in the input size.",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    report = commands.add_parser("report", help="per-layer table and totals of a network")
    report.add_argument("arch", help="a zoo name, a text in the notation, @FILE, or - for stdin")
    report.add_argument("--n", type=int, help="the input size n (shorthand for --set n=N)")
    report.add_argument(
        "--set", dest="assignments", action="append", default=[], metavar="NAME=VALUE", help="give a symbol a value"
    )
    report.add_argument("--format", choices=FORMATS, default="table")
    report.add_argument(
        "--depth", type=int, help="fold blocks and branches below this depth into one row each (like torchinfo's depth)"
    )
    report.add_argument(
        "--convention",
        default="symcnn",
        metavar="NAME",
        help=f"the counting convention: {', '.join(CONVENTIONS)} (default symcnn)",
    )
    compare = commands.add_parser(
        "compare",
        help="totals under every counting convention (symcnn, fvcore, torchinfo …) and the terms they part on",
    )
    compare.add_argument("arch", help="a zoo name, a text in the notation, @FILE, or - for stdin")
    compare.add_argument("--n", type=int, help="the input size n (shorthand for --set n=N)")
    compare.add_argument(
        "--set", dest="assignments", action="append", default=[], metavar="NAME=VALUE", help="give a symbol a value"
    )
    compare.add_argument(
        "--convention",
        dest="conventions",
        action="append",
        default=[],
        metavar="NAME",
        help=f"compare only these, in this order (repeat the option): {', '.join(CONVENTIONS)}",
    )
    listing = commands.add_parser("zoo", help="list the zoo, or print one entry's notation")
    listing.add_argument("name", nargs="?")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    >>> main(["zoo", "lenet5"]) == 0  # doctest: +ELLIPSIS
    # LeNet-5 ...
    True
    """
    try:
        args = _build_parser().parse_args(argv)
        commands = {"report": _report, "compare": _compare, "zoo": _zoo_command}
        output = commands[args.command](args)
    except SymcnnError as error:
        print(f"symcnn: error: {error}", file=sys.stderr)
        return 2
    print(output, end="" if output.endswith("\n") else "\n")
    return 0


def _report(args: argparse.Namespace) -> str:
    values = _values(args.assignments)
    if args.n is not None:
        values["n"] = args.n
    network = parse(_read_arch(args.arch), convention=args.convention)
    if values:
        network = network.at(**values)
    return _render(network, args.format, args.depth)


def _compare(args: argparse.Namespace) -> str:
    from .compare import compare
    from .render.compare import text

    values = _values(args.assignments)
    if args.n is not None:
        values["n"] = args.n
    network = parse(_read_arch(args.arch))
    spec = network.architecture.input
    inputs = ir.symbols_of(spec.height) | ir.symbols_of(spec.width)
    others = {name: value for name, value in values.items() if name not in inputs}
    if others:
        network = network.at(**others)
    sizes = {name: value for name, value in values.items() if name in inputs}
    comparison = compare(network, args.conventions or None, **sizes)
    name = args.arch.strip()
    return text(comparison, name if name.lower() in zoo.names() else "the network")


def _render(network: Network, fmt: str, depth: int | None) -> str:
    if depth is not None:
        network.rows(depth)  # checks the depth
    if fmt == "json":
        return network.to_json()
    renderers = {"table": network.table, "markdown": network.markdown, "latex": network.latex, "csv": network.csv}
    return renderers[fmt](depth)


def _values(assignments: list[str]) -> dict[str, int]:
    values: dict[str, int] = {}
    for assignment in assignments:
        match = _ASSIGNMENT.match(assignment.replace(" ", ""))
        if match is None:
            raise SymcnnError(f"--set takes NAME=VALUE with a whole number, e.g. --set k=10, not {assignment!r}")
        values[match.group(1)] = int(match.group(2))
    return values


def _read_arch(arch: str) -> str:
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


def _zoo_command(args: argparse.Namespace) -> str:
    return _zoo(args.name)


def _zoo(name: str | None) -> str:
    if name is not None:
        return zoo.text(name)
    width = max(len(entry) for entry in zoo.names())
    return "\n".join(f"{entry:<{width}}  {zoo.summary(entry)}" for entry in zoo.names())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
