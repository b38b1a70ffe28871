"""``symcnn sweep``, ``solve``, ``memory`` and ``rf``: totals across sizes, the size a budget allows,
training memory and receptive fields."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import replace

from ..errors import SymcnnError
from .common import ARCH_HELP, Parser, add_heads, whole_number
from .common import network as network_of


def add_sweep(commands: argparse._SubParsersAction[Parser]) -> None:
    sweep = commands.add_parser("sweep", help="params, activations, MACs and memory across input sizes")
    sweep.add_argument("arch", help=ARCH_HELP)
    sweep.add_argument("--n", default="32:512:32", metavar="START:STOP:STEP", help="the sizes, STOP included")
    sweep.add_argument("--symbol", default="n", help="the symbol swept (default n; e.g. w, with --set h=224)")
    sweep.add_argument("--set", dest="assignments", action="append", default=[], metavar="NAME=VALUE")
    sweep.add_argument("--format", choices=("table", "markdown", "csv", "json"), default="table")
    sweep.add_argument("--plot", metavar="FILE.png", help="also draw the totals against the size (needs matplotlib)")
    sweep.add_argument("--batch", type=whole_number, default=1, help="the batch for memory (default 1)")
    sweep.add_argument("--dtype", default="float32", help="the bytes per value for memory (default float32)")
    sweep.add_argument("--convention", default="symcnn", metavar="NAME")
    sweep.add_argument(
        "--train", action="store_true", help="memory of one training step (symcnn memory's total) instead of inference"
    )
    sweep.add_argument("--optimizer", default="sgd", help="with --train: sgd (default), momentum, adam or adamw")
    sweep.add_argument(
        "--precision", default="float32", help="with --train: float32 (default), float16, bfloat16 or mixed"
    )
    add_heads(sweep)


def sweep(args: argparse.Namespace) -> str:
    from ..render import sweep as render
    from ..sweep import DTYPE_BYTES, Memory, SweepRow, parse_range, sweep, valid_sizes
    from ..training import TrainingSetup

    if args.dtype not in DTYPE_BYTES:
        raise SymcnnError(f"unknown dtype {args.dtype!r}; one of {', '.join(DTYPE_BYTES)}")
    if not 1 <= args.batch <= 10**6:
        raise SymcnnError("--batch must be from 1 to 1,000,000")
    if not args.train and (args.optimizer, args.precision) != ("sgd", "float32"):
        raise SymcnnError("--optimizer and --precision go with --train (training memory)")
    if args.train and args.dtype != "float32":
        raise SymcnnError("--dtype is inference memory's; with --train, give --precision")
    sizes = parse_range(args.n)
    network = network_of(argparse.Namespace(**{**vars(args), "n": None}))
    inference = Memory(args.batch, args.dtype)
    sizes, skipped = valid_sizes(network, sizes, args.symbol)
    rows: Sequence[SweepRow] = sweep(network, sizes, args.symbol, inference)
    memory: Memory | TrainingSetup = inference
    if args.train:  # the memory column: one training step, from its own closed form
        memory = TrainingSetup(args.batch, args.optimizer, args.precision)
        totals = memory.of(network).sweep(sizes, args.symbol)
        rows = [replace(row, memory=total) for row, total in zip(rows, totals, strict=True)]
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


def add_solve(commands: argparse._SubParsersAction[Parser]) -> None:
    solve = commands.add_parser("solve", help="the largest (or smallest) n for which a condition holds")
    solve.add_argument("arch", help=ARCH_HELP)
    solve.add_argument("condition", help="e.g. 'macs <= 20e9' or 'memory(batch=32, dtype=float16) <= 8GiB'")
    solve.add_argument("--step", type=whole_number, default=32, help="n is a multiple of this (default 32)")
    solve.add_argument("--symbol", default="n", help="the symbol solved for (default n)")
    solve.add_argument("--set", dest="assignments", action="append", default=[], metavar="NAME=VALUE")
    solve.add_argument("--convention", default="symcnn", metavar="NAME")
    add_heads(solve)


def solve(args: argparse.Namespace) -> str:
    from ..render.sweep import solution
    from ..sweep import parse_condition, solve

    condition = parse_condition(args.condition)  # first: it is cheap, the network may not be
    network = network_of(args)
    return solution(solve(network, condition, args.step, args.symbol), args.symbol)


def add_memory(commands: argparse._SubParsersAction[Parser]) -> None:
    memory = commands.add_parser("memory", help="training memory: tensors saved for backward, weights, optimizer")
    memory.add_argument("arch", help=ARCH_HELP)
    memory.add_argument("--n", type=whole_number, help="the input size n (default: closed forms in n)")
    memory.add_argument("--set", dest="assignments", action="append", default=[], metavar="NAME=VALUE")
    memory.add_argument("--batch", type=whole_number, default=1, help="the batch size (default 1)")
    memory.add_argument("--optimizer", default="sgd", help="sgd (default), momentum, adam or adamw")
    memory.add_argument("--precision", default="float32", help="float32 (default), float16, bfloat16, mixed")
    memory.add_argument("--sweep", metavar="START:STOP:STEP", help="the total at every size n, STOP included")
    add_heads(memory)


def memory(args: argparse.Namespace) -> str:
    from ..render.training import report, sweep_table
    from ..sweep import parse_range

    if args.sweep is None:
        return report(network_of(args).train_memory(args.batch, args.optimizer, args.precision))
    sizes = parse_range(args.sweep)  # first: it is cheap, the network may not be
    memory = network_of(argparse.Namespace(**{**vars(args), "n": None})).train_memory(
        args.batch, args.optimizer, args.precision
    )
    return sweep_table(memory, sizes, memory.sweep(sizes))


def add_rf(commands: argparse._SubParsersAction[Parser]) -> None:
    rf = commands.add_parser("rf", help="receptive field of every layer: size, jump and start per axis")
    rf.add_argument("arch", help=ARCH_HELP)
    rf.add_argument("--n", type=whole_number, help="the input size n (shorthand for --set n=N)")
    rf.add_argument("--set", dest="assignments", action="append", default=[], metavar="NAME=VALUE")
    rf.add_argument("--format", choices=("table", "json"), default="table")
    add_heads(rf)


def rf(args: argparse.Namespace) -> str:
    from ..render import receptive

    network = network_of(args)
    return receptive.to_json(network) if args.format == "json" else receptive.table(network)
