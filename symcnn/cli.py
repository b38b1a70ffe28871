"""The command line: ``symcnn report``, ``compare``, ``zoo`` and ``import`` here; ``check``, ``sweep``, ``solve``,
``memory`` and ``rf`` in :mod:`symcnn.commands`.

The only module that prints or exits. Bad input gives a one-paragraph message
on stderr and exit code 2, never a traceback; anything else that goes wrong is
a bug in symcnn, reported as such with exit code 3 (1 stays "the claim does not
hold"). Each subcommand imports what it needs when it runs: ``--help`` and
``check`` never load the notation's parser, and a report whose values are all
numbers never loads sympy.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .commands import check, quantities
from .commands.common import ARCH_HELP, Parser, add_heads, heads, read_arch, values, whole_number
from .commands.common import network as network_of
from .errors import SymcnnError
from .rules import CONVENTIONS

if TYPE_CHECKING:
    from .network import Network

EXIT_BAD_INPUT = 2
EXIT_INTERNAL_ERROR = 3

FORMATS = ("table", "markdown", "latex", "csv", "json", "dot")


def _build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="symcnn",
        description="Exact parameters, activations and MACs of a CNN, as closed forms in the input size.",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    report = commands.add_parser("report", help="per-layer table and totals of a network")
    report.add_argument("arch", help=ARCH_HELP)
    report.add_argument("--n", type=whole_number, help="the input size n (shorthand for --set n=N)")
    report.add_argument(
        "--set", dest="assignments", action="append", default=[], metavar="NAME=VALUE", help="give a symbol a value"
    )
    report.add_argument("--format", choices=FORMATS, default="table")
    report.add_argument(
        "--depth",
        type=whole_number,
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
    compare.add_argument("arch", help=ARCH_HELP)
    compare.add_argument("--n", type=whole_number, help="the input size n (shorthand for --set n=N)")
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
    report.add_argument(
        "--columns",
        action="append",
        default=[],
        choices=("rf",),
        help="extra columns of the table: rf (receptive field size, jump and start per row)",
    )
    for command in (report, compare):
        add_heads(command)
    check.add_check(commands)
    quantities.add_sweep(commands)
    quantities.add_solve(commands)
    quantities.add_rf(commands)
    quantities.add_memory(commands)
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
    listing.add_argument("--n", type=whole_number, default=224, help="the input size of --table (default 224)")
    return parser


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
            "check": check.check,
            "sweep": quantities.sweep,
            "solve": quantities.solve,
            "rf": quantities.rf,
            "memory": quantities.memory,
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
    net = network_of(args)
    if args.document:
        if args.format != "latex":
            raise SymcnnError("--document goes with --format latex")
        return net.latex(args.depth, document=True)
    if args.columns:
        if args.format != "table":
            raise SymcnnError("--columns goes with --format table (JSON has receptive_field in every layer)")
        from .render.text import table

        return table(net, args.depth, extra=tuple(args.columns))
    return _render(net, args.format, args.depth)


def _compare(args: argparse.Namespace) -> str:
    from . import ir, zoo
    from .compare import compare
    from .network import parse
    from .render.compare import text

    given = values(args.assignments)
    if args.n is not None:
        given["n"] = args.n
    net = parse(read_arch(args.arch), **heads(args))
    spec = net.architecture.input
    inputs = ir.symbols_of(spec.height) | ir.symbols_of(spec.width)
    others = {name: value for name, value in given.items() if name not in inputs}
    if others:
        net = net.at(**others)
    sizes = {name: value for name, value in given.items() if name in inputs}
    comparison = compare(net, args.conventions or None, **sizes)
    name = args.arch.strip()
    return text(comparison, name if name.lower() in zoo.names() else "the network")


def _render(network: Network, fmt: str, depth: int | None) -> str:
    if depth is not None:
        network.rows(depth)  # checks the depth
    if fmt == "json":
        return network.to_json()
    if fmt == "dot":  # a Graphviz diagram: `dot -Tsvg` draws it
        from .render.dot import dot

        return dot(network, depth)
    renderers = {"table": network.table, "markdown": network.markdown, "latex": network.latex, "csv": network.csv}
    return renderers[fmt](depth)


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
