"""``symcnn check``: one claim, a line in words, or a page of hand calculations."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import SymcnnError, shorten_literal
from .common import ARCH_HELP, MAX_FILE_BYTES, Parser, add_heads, whole_number
from .common import network as network_of


def add_check(commands: argparse._SubParsersAction[Parser]) -> None:
    check = commands.add_parser("check", help="check a hand calculation; with --arch, what it equals in a network")
    check.add_argument(
        "expr",
        help="arithmetic as people write it: '128x3x3x256 + 256 = 295,168', '138M', '2^10'; "
        "or a page of hand calculations: - (stdin), @FILE, or FILE (a path that is not itself a claim)",
    )
    check.add_argument("--format", choices=("table", "markdown", "json"), default="table", help="for a page")
    check.add_argument("--arch", help=ARCH_HELP)
    check.add_argument("--n", type=whole_number, help="the input size n (default 224 when the network's n is free)")
    check.add_argument("--set", dest="assignments", action="append", default=[], metavar="NAME=VALUE")
    check.add_argument("--convention", default="symcnn", metavar="NAME", help="the counting convention of --arch")
    add_heads(check)


def check(args: argparse.Namespace) -> tuple[str, int]:
    """Exit 0 when the claim holds (or there is none), 1 when it does not."""
    from ..arithmetic import parse_claim
    from ..render.check import report

    page = _page_text(args.expr)
    if page is not None:
        return _check_page(page, args)
    try:
        claim = parse_claim(args.expr)
    except SymcnnError:
        from ..page.scan import is_a_line_of_claims

        if is_a_line_of_claims(args.expr):  # words around the claims: "24M activations", "24M * 4 bytes ~= 93MB"
            return _check_page(args.expr, args)
        raise
    if args.format != "table":
        raise SymcnnError("--format goes with a page (-, @FILE or FILE) or a line in words, not a bare claim")
    network = None
    notes = []
    if args.arch is not None:
        network = network_of(args)
        if "n" in network.symbols:
            network = network.at(n=224)
            notes.append("(n = 224 by default; --n to change it)")
        if not network.symbols:
            from ..compare import matching

            for amount in (claim.left, claim.right):
                if amount is not None and amount.value.denominator == 1:
                    found = matching(int(amount.value), network)
                    notes += [f"  {amount.value.numerator:,} = {tool}'s {what}" for tool, what in found]
    name = args.arch.strip() if args.arch else ""
    text = report(claim, network, name if len(name) <= 40 else "the network") + "".join(f"{note}\n" for note in notes)
    return text, 1 if claim.holds is False else 0


def _page_text(expr: str) -> str | None:
    """The page ``expr`` names: ``-`` is stdin, ``@FILE`` a file, and a bare path a file unless it reads as a claim."""
    from ..arithmetic import parse_claim

    if expr == "-":
        return sys.stdin.read(MAX_FILE_BYTES + 1)  # one more: a longer page is refused, not cut
    path = Path(expr[1:] if expr.startswith("@") else expr)
    if not expr.startswith("@"):
        try:
            if "\n" in expr or len(expr) > 4096 or not path.is_file():
                return None
        except (OSError, ValueError):  # a claim too long or too odd to be a file name
            return None
        try:
            parse_claim(expr)
            return None  # a claim that is also a file name stays a claim: write @FILE for the file
        except SymcnnError:
            pass
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise SymcnnError(f"{shorten_literal(str(path))} is larger than {MAX_FILE_BYTES:,} bytes")
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SymcnnError(f"cannot read the page {shorten_literal(str(path))}: {error}") from None


def _check_page(text: str, args: argparse.Namespace) -> tuple[str, int]:
    """Exit 0 when every claim holds, 1 when one fails, 2 when a claim cannot be read (after the verdicts)."""
    from ..page import check_page
    from ..render.page import render

    if len(text) > MAX_FILE_BYTES:
        raise SymcnnError(f"the page is longer than {MAX_FILE_BYTES:,} characters")
    network, title = None, "arithmetic only (no --arch)"
    if args.arch is not None:
        network = network_of(args)
        if "n" in network.symbols:
            network = network.at(n=224)
        if network.symbols:
            raise SymcnnError(f"a page is checked against numbers: give {', '.join(network.symbols)} with --set")
        name = args.arch.strip()
        given = ", ".join(f"{key} = {value}" for key, value in sorted(network.values.items()))
        title = f"{name if len(name) <= 40 else 'the network'}{' at ' + given if given else ''}"
    verdict = check_page(text, network, args.arch.strip() if args.arch else "")
    return render(verdict, args.format, title), 2 if verdict.unreadable else 1 if verdict.failing else 0
