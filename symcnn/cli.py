"""The command line: ``symcnn report``, ``check``, ``sweep``, ``solve``, ``compare``, ``zoo`` and ``import``.

The only module that prints or exits. Bad input gives a one-paragraph message
on stderr and exit code 2, never a traceback; anything else that goes wrong is
a bug in symcnn, reported as such with exit code 3 (1 stays "the claim does not
hold"). Each subcommand imports what it needs when it runs: ``--help`` and
``check`` never load the notation's parser, and a report whose values are all
numbers never loads sympy.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import SymcnnError, shorten_literal
from .rules import CONVENTIONS

if TYPE_CHECKING:
    from .network import Network

EXIT_BAD_INPUT = 2
EXIT_INTERNAL_ERROR = 3

FORMATS = ("table", "markdown", "latex", "csv", "json")
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=([0-9]+)$")
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,19}")  # ASCII only: int() would also read ٣ and ²
MAX_FILE_BYTES = 1_000_000


def _whole_number(text: str) -> int:
    """An option's whole number, read without int()'s leniency (Unicode digits, 5,000-digit strings)."""
    stripped = text.strip()
    if _WHOLE_NUMBER.fullmatch(stripped) is None:
        raise argparse.ArgumentTypeError(f"{shorten_literal(stripped)!r} is not a whole number")
    return int(stripped)


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
    report.add_argument("--n", type=_whole_number, help="the input size n (shorthand for --set n=N)")
    report.add_argument(
        "--set", dest="assignments", action="append", default=[], metavar="NAME=VALUE", help="give a symbol a value"
    )
    report.add_argument("--format", choices=FORMATS, default="table")
    report.add_argument(
        "--depth",
        type=_whole_number,
        help="fold blocks and branches below this depth into one row each (like torchinfo's depth)",
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
    compare.add_argument("--n", type=_whole_number, help="the input size n (shorthand for --set n=N)")
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
    report.add_argument("--document", action="store_true", help="with --format latex: a complete LaTeX document")
    for command in (report, compare):
        _add_heads(command)
    _add_check(commands)
    _add_sweep(commands)
    _add_solve(commands)
    importing = commands.add_parser("import", help="a PyTorch model's notation (traced with torch.fx)")
    importing.add_argument(
        "spec", help="torchvision.models.resnet50, a call with literal arguments (…(num_classes=10)), or FILE.py:Name"
    )
    importing.add_argument("--input", default="3xnxn", help="the input CxHxW; sizes may be symbols (default 3xnxn)")
    listing = commands.add_parser("zoo", help="list the zoo, or print one entry's notation")
    listing.add_argument("name", nargs="?")
    listing.add_argument(
        "--table", action="store_true", help="a Markdown table of every entry's parameters and MACs at --n"
    )
    listing.add_argument("--n", type=_whole_number, default=224, help="the input size of --table (default 224)")
    return parser


ARCH_HELP = "a zoo name, a text in the notation, @FILE, or - for stdin"


def _add_heads(command: argparse.ArgumentParser) -> None:
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


def _heads(args: argparse.Namespace) -> dict[str, Any]:
    return {"mode": getattr(args, "mode", "eval"), "aux": not getattr(args, "no_aux", False)}


def _add_check(commands: argparse._SubParsersAction[_Parser]) -> None:
    check = commands.add_parser("check", help="check a hand calculation; with --arch, what it equals in a network")
    check.add_argument("expr", help="arithmetic as people write it: '128x3x3x256 + 256 = 295,168', '138M', '2^10'")
    check.add_argument("--arch", help=ARCH_HELP)
    check.add_argument("--n", type=_whole_number, help="the input size n (default 224 when the network's n is free)")
    check.add_argument("--set", dest="assignments", action="append", default=[], metavar="NAME=VALUE")
    check.add_argument("--convention", default="symcnn", metavar="NAME", help="the counting convention of --arch")
    _add_heads(check)


def _add_sweep(commands: argparse._SubParsersAction[_Parser]) -> None:
    sweep = commands.add_parser("sweep", help="params, activations, MACs and memory across input sizes")
    sweep.add_argument("arch", help=ARCH_HELP)
    sweep.add_argument("--n", default="32:512:32", metavar="START:STOP:STEP", help="the sizes, STOP included")
    sweep.add_argument("--symbol", default="n", help="the symbol swept (default n; e.g. w, with --set h=224)")
    sweep.add_argument("--set", dest="assignments", action="append", default=[], metavar="NAME=VALUE")
    sweep.add_argument("--format", choices=("table", "markdown", "csv", "json"), default="table")
    sweep.add_argument("--plot", metavar="FILE.png", help="also draw the totals against the size (needs matplotlib)")
    sweep.add_argument("--batch", type=_whole_number, default=1, help="the batch for memory (default 1)")
    sweep.add_argument("--dtype", default="float32", help="the bytes per value for memory (default float32)")
    sweep.add_argument("--convention", default="symcnn", metavar="NAME")
    _add_heads(sweep)


def _add_solve(commands: argparse._SubParsersAction[_Parser]) -> None:
    solve = commands.add_parser("solve", help="the largest (or smallest) n for which a condition holds")
    solve.add_argument("arch", help=ARCH_HELP)
    solve.add_argument("condition", help="e.g. 'macs <= 20e9' or 'memory(batch=32, dtype=float16) <= 8GiB'")
    solve.add_argument("--step", type=_whole_number, default=32, help="n is a multiple of this (default 32)")
    solve.add_argument("--symbol", default="n", help="the symbol solved for (default n)")
    solve.add_argument("--set", dest="assignments", action="append", default=[], metavar="NAME=VALUE")
    solve.add_argument("--convention", default="symcnn", metavar="NAME")
    _add_heads(solve)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    >>> main(["zoo", "lenet5"]) == 0  # doctest: +ELLIPSIS
    # LeNet-5 ...
    True
    """
    try:
        args = _build_parser().parse_args(argv)
        commands: dict[str, Callable[[argparse.Namespace], str | tuple[str, int]]] = {
            "report": _report,
            "compare": _compare,
            "check": _check,
            "sweep": _sweep,
            "solve": _solve,
            "zoo": _zoo_command,
            "import": _import,
        }
        result: str | tuple[str, int] = commands[args.command](args)
    except SymcnnError as error:
        print(f"symcnn: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SystemExit as done:  # argparse's --help and --version: they print, then exit 0
        return done.code if isinstance(done.code, int) else 0
    except KeyboardInterrupt:
        print("symcnn: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # the one boundary: a bug must not look like bad input
        print(
            f"symcnn: internal error: {type(error).__name__}: {error}\n"
            "This is a bug in symcnn, not in your input; please report it with the command you ran.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL_ERROR
    output, code = result if isinstance(result, tuple) else (result, 0)
    print(output, end="" if output.endswith("\n") else "\n")
    return code


def _report(args: argparse.Namespace) -> str:
    network = _network(args)
    if args.document:
        if args.format != "latex":
            raise SymcnnError("--document goes with --format latex")
        return network.latex(args.depth, document=True)
    return _render(network, args.format, args.depth)


def _check(args: argparse.Namespace) -> tuple[str, int]:
    """Exit 0 when the claim holds (or there is none), 1 when it does not."""
    from .arithmetic import parse_claim
    from .render.check import report

    claim = parse_claim(args.expr)
    network = None
    notes = []
    if args.arch is not None:
        network = _network(args)
        if "n" in network.symbols:
            network = network.at(n=224)
            notes.append("(n = 224 by default; --n to change it)")
        if not network.symbols:
            from .compare import matching

            for amount in (claim.left, claim.right):
                if amount is not None and amount.value.denominator == 1:
                    found = matching(int(amount.value), network)
                    notes += [f"  {amount.value.numerator:,} = {tool}'s {what}" for tool, what in found]
    name = args.arch.strip() if args.arch else ""
    text = report(claim, network, name if len(name) <= 40 else "the network") + "".join(f"{note}\n" for note in notes)
    return text, 1 if claim.holds is False else 0


def _network(args: argparse.Namespace) -> Network:
    """The network of ``args.arch`` with ``--set`` values and ``--n`` (when it is a single size).

    Analysed once, at the values: a numeric report never builds a symbolic one first.
    """
    from .network import parse

    values: dict[str, Any] = _values(args.assignments)
    n = getattr(args, "n", None)
    if isinstance(n, int):
        values["n"] = n
    return parse(_read_arch(args.arch), convention=getattr(args, "convention", "symcnn"), **_heads(args), **values)


def _sweep(args: argparse.Namespace) -> str:
    from .render import sweep as render
    from .sweep import DTYPE_BYTES, Memory, parse_range, sweep, valid_sizes

    if args.dtype not in DTYPE_BYTES:
        raise SymcnnError(f"unknown dtype {args.dtype!r}; one of {', '.join(DTYPE_BYTES)}")
    if not 1 <= args.batch <= 10**6:
        raise SymcnnError("--batch must be from 1 to 1,000,000")
    sizes = parse_range(args.n)
    network = _network(argparse.Namespace(**{**vars(args), "n": None}))
    memory = Memory(args.batch, args.dtype)
    sizes, skipped = valid_sizes(network, sizes, args.symbol)
    rows = sweep(network, sizes, args.symbol, memory)
    if args.plot:
        render.plot(rows, network, args.plot, args.arch.strip()[:60], args.symbol)
    if args.format == "json":
        return render.json(rows)
    if args.format == "csv":
        return render.csv(rows)
    note = render.skipped_note(network, skipped, args.symbol)
    if args.format == "markdown":
        return render.markdown(rows, memory, args.symbol) + note
    return render.table(rows, memory, args.symbol) + note


def _solve(args: argparse.Namespace) -> str:
    from .render.sweep import solution
    from .sweep import parse_condition, solve

    condition = parse_condition(args.condition)  # first: it is cheap, the network may not be
    network = _network(args)
    return solution(solve(network, condition, args.step, args.symbol), args.symbol)


def _compare(args: argparse.Namespace) -> str:
    from . import ir, zoo
    from .compare import compare
    from .network import parse
    from .render.compare import text

    values = _values(args.assignments)
    if args.n is not None:
        values["n"] = args.n
    network = parse(_read_arch(args.arch), **_heads(args))
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
        if match is None or len(match.group(2)) > 19:
            shown = shorten_literal(assignment)
            raise SymcnnError(f"--set takes NAME=VALUE with a whole number, e.g. --set k=10, not {shown!r}")
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


def _import(args: argparse.Namespace) -> str:
    from .importer import notation
    from .importer.spec import load

    try:
        from torch import nn
    except ImportError:
        raise SymcnnError("symcnn import needs torch (pip install symcnn[torch])") from None
    model = load(args.spec)
    if not isinstance(model, nn.Module):
        raise SymcnnError(f"model {args.spec}: gives a {type(model).__name__}, not a torch.nn.Module")
    return notation(model, args.input).rstrip("\n")


def _zoo_command(args: argparse.Namespace) -> str:
    if args.table:
        if args.name is not None:
            raise SymcnnError("--table lists the whole zoo; give no name")
        return _zoo_table(args.n)
    return _zoo(args.name)


def _zoo_table(n: int) -> str:
    from . import zoo
    from .limits import MAX_SYMBOL_VALUE
    from .network import parse
    from .render.zoo import ZooRow, table
    from .values import as_int

    if not 1 <= n <= MAX_SYMBOL_VALUE:
        raise SymcnnError(f"--n must be from 1 to {MAX_SYMBOL_VALUE:,}, not {n}")
    rows = []
    for name in zoo.names():
        symbolic = parse(name)
        smallest = symbolic.analysis.smallest_valid.get("n")
        domain = symbolic.analysis.domains.get("n")
        if "n" not in symbolic.symbols or (domain is not None and not domain.contains(n)):
            rows.append(ZooRow(name, None, None, smallest))  # an entry with a fixed input, or n too small
            continue
        at_n = symbolic.at(n=n)
        rows.append(ZooRow(name, as_int(at_n.params), as_int(at_n.macs), smallest))
    return table(rows, n)


def _zoo(name: str | None) -> str:
    from . import zoo

    if name is not None:
        return zoo.text(name)
    width = max(len(entry) for entry in zoo.names())
    return "\n".join(f"{entry:<{width}}  {zoo.summary(entry)}" for entry in zoo.names())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
