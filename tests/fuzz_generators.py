"""Fuzz inputs: random texts of the notation, zoo mutants, check expressions and command lines.

Each generator is a plain function of a ``random.Random``, so that
``benchmarks/fuzz.py`` replays case *i* of seed *s* without hypothesis and
``tests/test_fuzz.py`` feeds them ``st.randoms()``; :mod:`fuzz_runner` runs them.

What a case may legitimately ask for is bounded, so that 1 s is a fair budget:
a generated network has at most :data:`MAX_ROWS` rows after its repeats, a sweep
at most a few thousand sizes. Past that they only produce bombs, far beyond
:mod:`symcnn.limits` (``x1000000000000``, 2²⁰⁰ rows of blocks, 4,400 digits),
which must be refused quickly. The 100,000-row scale is measured by
``benchmarks/speed.py``, not here.
"""

from __future__ import annotations

import random
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import symcnn
from symcnn.limits import MAX_LAYERS

PACKAGE = Path(symcnn.__file__).resolve().parent
PLOT = str(Path(tempfile.gettempdir()) / "symcnn-fuzz" / "plot.png")
HUGE = "9" * 4400  # past Python's 4,300-digit int/str conversion limit
MAX_ROWS = 5_000  # rows of a generated network after its repeats, bombs aside
MAX_REPEAT = 3_000  # the largest repeat count that is not a bomb

# ---------------------------------------------------------------- the notation

SIZES = ("1", "2", "3", "4", "5", "7", "8", "11", "16", "32", "64", "96", "224")
ODD_NUMBERS = ("0", "00", "0007", "1000000000000", "1000000000001", "10000000000000", "18446744073709551616", HUGE)
INPUT_SIZES = ("n", "h", "w", "hh", "max_n", "N", "_", "{n+k}", "{n//2}")
SYMBOLS = ("n", "k", "c", "h", "w", "g", "x", "N", "n2", "_", "input", "let", "true", "relu", "conv3")
INTS = ("stride", "padding", "dilation", "groups", "kernel_size", "size")
BOOLS = ("bias", "ceil_mode", "count_include_pad", "affine", "track_running_stats", "inplace")
DECIMALS = ("0.5", ".5", "0.0", "1.0") * 5 + ("0.000", "1.0e-5", "1.5E+300", "0.1e-99999", "99999999999999999999.9")
CONV, POOL = ("stride", "padding", "dilation", "bias"), ("stride", "padding", "ceil_mode")
LAYERS = {  # each layer with the options it takes
    "conv{k}-{v}": (*CONV, "groups"), "dwconv{k}": CONV, "{p}pool{v}": (*POOL, "dilation", "count_include_pad"),
    "{p}pool": POOL, "adaptive{a}pool{v}": (), "adaptive{a}pool{v}x{v}": (), "gap": (), "fc{v}": ("bias",),
    "FC-{v}": ("bias",), "bn": ("affine", "track_running_stats", "eps", "momentum"), "dropout": ("p",),
    "lrn": ("size", "alpha", "beta", "k"), "shuffle": ("groups",),
    "upconv{k}-{v}": (*CONV, "groups", "output_padding"), "deconv{v}-{v}": ("stride", "output_padding"),
    "upsample{v}": ("mode", "align_corners"), "upsample{v}x{v}": ("mode", "via"), "pad{v}": (), "pad{v}x{v}": (),
    "crop{v}": (), "crop{v}x{v}": (), "crop": (), "resize": ("to", "size", "mode", "align_corners"),
}  # fmt: skip
WORDS = {
    "mode": ("nearest", "bilinear", "bicubic", "linear"), "to": ("input", "branch", "output"), "via": ("functional",),
}  # fmt: skip
SIMPLE = (
    "relu", "relu6", "bn", "ln", "layerscale", "droppath", "sigmoid", "hardsigmoid", "hardswish", "tanh", "silu",
    "swish", "gelu", "softmax", "soft-max", "dropout", "lrn", "LRN", "flatten", "identity", "Relu", "BN",
)  # fmt: skip
BLOCKS = ("b", "blk", "down", "stage", "Conv_block", "relu_bn", "b2", "unit", "Stem")
# Names a block may not have.
RESERVED = ("conv1", "fc10", "res", "x2", "pool", "relu", "input", "split", "shuffle", "aux")
SEPARATORS = (" ", " ", " ", "  ", ", ", " -> ", "; ", "\n", "\n\n", "\t", ",", "->", "\r\n")
# Repeat counts refused whatever they repeat: past MAX_LAYERS, zero, or not a plain number.
REFUSED_REPEATS = ("100001", "1000000", "1000000000000", "99999999999999999999", "0", "{k}", "{n}", "{2}")
TOKENS: tuple[str, ...] = ("(", ")", "|", "{", "}", "x", "x9", "=", ",", "->", ";", "\n", "#", "-", "//", "\x00")
TOKENS += ("é", "\u2028", "·", "\r", "\t", "--", "-1", "{}", "()", "( ", "|)", "x{0}", "=2", ",,")
TOKENS += ("split(", "shuffle", "shuffle(groups=3)", "split( | )", "split()", "aux(", "aux()", "aux(gap fc10 | )")
TOKENS += ("let ", "res(", "cat(", "mul(", "conv3-", "fc", "0", "{n//0}", "{n-n}", "{k*k*k*k*k*k*k}", "x999999")
TOKENS += ("(stride=0)", "(groups=7)", "(padding=99)", "(dilation=0)", "(ceil_mode=true)", "input 1x1x1\n", " b(")


@dataclass(frozen=True)
class Scope:
    """What a part of a text may use: the names that may appear in sizes, and how often to err on purpose.

    ``noise`` 1 sprinkles every kind of mistake; 0 makes none on purpose (the sizes may still not
    fit), so that texts often parse and the analysis and renders behind the parser run too.
    """

    names: tuple[str, ...]
    noise: float = 1.0

    def err(self, rng: random.Random, chance: float) -> bool:
        """Whether to make a mistake that happens with ``chance`` at full noise."""
        return rng.random() < chance * self.noise


def number(rng: random.Random, scope: Scope) -> str:
    """A literal: mostly an ordinary size; sometimes zero, leading zeros, 10**13 or 4,400 digits."""
    if not scope.err(rng, 0.05):
        return rng.choice(SIZES)
    roll = rng.random()
    return rng.choice(SIZES if roll < 0.96 else ODD_NUMBERS) if roll < 0.99 else str(rng.randrange(10**40))


def arithmetic(rng: random.Random, scope: Scope, depth: int = 3) -> str:
    """The inside of ``{…}``: ``+ - * //`` and parentheses on integers and symbols (rarely a foreign operator)."""
    if depth <= 0 or rng.random() < 0.5:
        return rng.choice(scope.names) if rng.random() < 0.5 else number(rng, scope)
    if rng.random() < 0.15:
        return "(" + arithmetic(rng, scope, depth - 1) + ")"
    op = rng.choice(("/", "**", "%")) if scope.err(rng, 0.1) else rng.choice(("+", "-", "*", "//", " * ", " // "))
    return arithmetic(rng, scope, depth - 1) + op + arithmetic(rng, scope, depth - 1)


def value(rng: random.Random, scope: Scope) -> str:
    return "{" + arithmetic(rng, scope) + "}" if rng.random() < 0.15 else number(rng, scope)


def options(rng: random.Random, scope: Scope, allowed: Sequence[str]) -> str:
    """``(name=value, …)`` touching the layer: mostly what the layer takes, each once; sometimes anything."""
    chosen, taken, count = [], rng.sample(allowed, len(allowed)), rng.choice((0, 1, 1, 2, 3))
    for _ in range(count if scope.err(rng, 0.2) else min(count, len(allowed))):
        wild = scope.err(rng, 0.1) or not taken
        name = rng.choice((*INTS, *BOOLS, "eps", "p", "Stride", "foo")) if wild else taken.pop()
        roll = rng.random() if wild else 0.2 if name in INTS else 0.8 if name in BOOLS else 0.9
        if name in WORDS and not scope.err(rng, 0.1):
            option = rng.choice(WORDS[name])
        elif roll < 0.6:
            option = value(rng, scope)
        elif roll < 0.7:
            option = f"({value(rng, scope)}, {value(rng, scope)})"
        elif roll < 0.85:
            option = "yes" if scope.err(rng, 0.05) else rng.choice(("true", "false", "True", "FALSE"))
        else:
            option = rng.choice(DECIMALS)
        chosen.append(f"{name}={option}")
    return "(" + rng.choice((", ", ",", " , ")).join(chosen) + ")"


def layer(rng: random.Random, scope: Scope) -> str:
    """One layer of any kind, with random case, sizes and options."""
    template, allowed = (rng.choice(SIMPLE), ("inplace",)) if rng.random() < 0.3 else rng.choice(list(LAYERS.items()))
    kernel = value(rng, scope) + (f"x{value(rng, scope)}" if rng.random() < 0.1 else "")
    text = template.replace("{k}", kernel).replace("{p}", rng.choice(("max", "avg", "", "Max")))
    text = re.sub("{v}", lambda _: value(rng, scope), text.replace("{a}", rng.choice(("avg", "max"))))
    if rng.random() < 0.05:
        text = text.upper() if rng.random() < 0.5 else text.title()
    return text + (options(rng, scope, allowed) if (rng.random() < 0.3 if allowed else scope.err(rng, 0.02)) else "")


def repeat(rng: random.Random, scope: Scope, rows: int, budget: int) -> tuple[str, int]:
    """``xK`` after something of ``rows`` rows, and the rows it makes: K mostly small, sometimes up to
    MAX_REPEAT within ``budget``, sometimes refused whatever it repeats (10**12, 0, ``{k}``)."""
    if scope.err(rng, 0.12):
        return "x" + rng.choice(REFUSED_REPEATS), rows  # the network is refused: its rows do not matter
    most = min(budget // max(rows, 1), MAX_REPEAT)
    if most < 2:
        return "x1", rows
    roll = rng.random()
    count = rng.choice((2, 2, 3, 3, 4, 16)) if roll < 0.7 else round(10 ** rng.uniform(0.3, len(str(most)) - 1))
    count = max(min(count, most), 2)
    return f"x{count}", rows * count


Blocks = dict[str, tuple[int, int]]  # a block's name → its parameters and rows


def item(rng: random.Random, scope: Scope, blocks: Blocks, depth: int, budget: int) -> tuple[str, int]:
    """A layer, group, branch or block use, maybe repeated ``xK``; and its rows (at most ``budget``, bombs aside)."""
    roll = rng.random() if depth > 0 else 0.0
    roll = roll if blocks or roll < 0.9 or scope.err(rng, 0.1) else 0.0  # seldom a block that is not defined
    if roll < 0.62:
        text, rows = layer(rng, scope), 1
    elif roll < 0.72:
        inside, rows = body(rng, scope, blocks, depth - 1, budget)
        text, rows = "(" + inside + ")", max(rows, 1)
    elif roll < 0.9:
        arms, rows = [], 1
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            arm, arm_rows = body(rng, scope, blocks, depth - 1, budget - rows, empty=0.25)
            arms.append(arm)
            rows += arm_rows
        kind = rng.choice(("res", "cat", "mul", "split", "aux", "Res", "CAT", "Split", "AUX"))
        text = kind + rng.choice(("(", "(", " (")) + rng.choice((" | ", "|", "\n| ")).join(arms) + ")"
    else:
        fitting = [name for name, (_, size) in blocks.items() if size <= budget]
        name = rng.choice(fitting) if fitting and not scope.err(rng, 0.05) else rng.choice((*blocks, "undefined"))
        arity, rows = blocks.get(name, (rng.randint(0, 2), 0))
        arity += scope.err(rng, 0.1)  # sometimes one argument too many
        args = [value(rng, scope) if rng.random() < 0.7 else rng.choice(scope.names) for _ in range(arity)]
        text = name + (f"({', '.join(args)})" if args or rng.random() < 0.2 else "")
    if rng.random() < 0.2 and (text[-1] in "0123456789})" or scope.err(rng, 0.1)):
        times, rows = repeat(rng, scope, rows, budget)
        text += times
    return text, rows


def body(
    rng: random.Random, scope: Scope, blocks: Blocks, depth: int, budget: int, empty: float = 0.0
) -> tuple[str, int]:
    """Items and separators within ``budget`` rows; and their rows."""
    if rng.random() < empty:
        return rng.choice(("", " ", "\n")), 0
    parts, rows = [], 0
    for _ in range(rng.randint(1, 5)):
        part, size = item(rng, scope, blocks, depth, budget - rows)
        parts.append(part + rng.choice(SEPARATORS))
        rows += size
    return "".join(parts).rstrip(" \n"), rows


def nested(rng: random.Random) -> str:
    """Deep nesting: groups, branches, braces or blocks using blocks, hundreds or thousands deep."""
    depth, shape = rng.choice((30, 99, 101, 500, 2000, 20000)), rng.randrange(4)
    if shape < 3:
        opening, inside, closing = (("( ", "relu", " )"), ("res(", "conv3-8", ")"), ("(", "n", ")"))[shape]
        text = opening * depth + inside + closing * depth
        return "conv3-{" + text + "}" if shape == 2 else text
    lets = "".join(f"let b{i} = b{i - 1} b{i - 1}\n" for i in range(1, min(depth, 200)))
    return "let b0 = relu\n" + lets + f"b{min(depth, 200) - 1}"  # 2**29 rows and more: a bomb


def text(rng: random.Random) -> str:
    """A text from the notation's grammar: input line, let-blocks, items, separators and comments.

    A third are written without deliberate mistakes (:class:`Scope`), so that they often parse.
    """
    if rng.random() < 0.02:
        return nested(rng)
    noise = rng.choice((0.0, 0.3, 1.0))
    parts = []
    if rng.random() < 0.35:
        dims = INPUT_SIZES if noise else INPUT_SIZES[:3]
        x = rng.choice(("x", "x", "X", " x "))
        sizes = (number(rng, Scope((), noise)) if rng.random() < 0.5 else rng.choice(dims) for _ in "chw")
        parts.append("input " + x.join(sizes) + "\n")
    blocks: Blocks = {}
    names = rng.sample(BLOCKS, 3) if rng.random() < 1 - 0.1 * noise else rng.choices(BLOCKS + RESERVED, k=3)
    for name in names[: rng.choice((0, 0, 0, 1, 2, 3))]:
        params = rng.sample(("c", "k", "s", "n", "w2"), rng.randint(0, 2))
        if rng.random() < 0.05 * noise:
            params.append(params[0] if params else "c")
        recursive = rng.random() < 0.05 * noise
        inner = {**blocks, name: (len(params), 0)} if recursive else {**blocks}
        heads = f"({', '.join(params)})" if params or rng.random() < 0.1 else ""
        budget = rng.choice((MAX_ROWS // 100, MAX_ROWS // 10, MAX_ROWS))
        line, rows = body(rng, Scope((*params, *SYMBOLS[:4]), noise), inner, 2, budget)
        line = re.sub(r"[;\n]", " ", line)
        parts.append(f"let {name}{heads} = {line}" + rng.choice(("\n", "; ", "\n")))
        blocks[name] = (len(params), rows)
    parts.append(body(rng, Scope(SYMBOLS if noise == 1 else SYMBOLS[:6], noise), blocks, 3, MAX_ROWS)[0])
    if rng.random() < 0.15:
        parts.insert(rng.randrange(len(parts) + 1), "# " + rng.choice(("a comment", "conv3-64 (", "é ×", "")) + "\n")
    result = "".join(parts)
    return mutate(rng, result, 1) if rng.random() < 0.08 * noise else result


@cache
def zoo_texts() -> tuple[str, ...]:
    return tuple(symcnn.zoo.text(name) for name in symcnn.zoo.names())


def _repeats(source: str) -> set[str]:
    """The counts after ``x`` that make legitimate work grow: more than 16, not yet a bomb."""
    counts = re.findall(r"[xX](\d+)", source)
    return {count for count in counts if len(count.lstrip("0")) <= 6 and 16 < int(count) <= MAX_LAYERS}


def mutate(rng: random.Random, source: str, count: int) -> str:
    """``count`` edits: delete, insert, duplicate, swap characters or tokens, replace a number, splice a fragment.

    An edit that makes a repeat count of 17 … MAX_LAYERS appear (``x3`` → ``x333``) is drawn again:
    it would multiply a zoo network into tens of thousands of legitimate rows.
    """
    for _ in range(count):
        for _attempt in range(5):
            edited = _edit(rng, source)
            if _repeats(edited) <= _repeats(source):
                source = edited
                break
    return source


def _edit(rng: random.Random, source: str) -> str:
    at, span, op = rng.randrange(len(source) + 1), rng.choice((1, 1, 2, 5, 20, 200)), rng.randrange(8)
    if op == 0:
        return source[:at] + source[at + span :]
    if op == 1:
        return source[:at] + rng.choice(TOKENS) + source[at:]
    if op == 2:
        return source[:at] + source[at : at + span] * rng.choice((2, 3, 50)) + source[at:]
    if op == 3 and len(source) > 1:
        i, j = sorted(rng.sample(range(len(source)), 2))
        return source[:i] + source[j] + source[i + 1 : j] + source[i] + source[j + 1 :]
    if op == 4:
        tokens = re.split(r"(\s+|[(){}|,;=])", source)
        i, j = rng.randrange(len(tokens)), rng.randrange(len(tokens))
        tokens[i], tokens[j] = tokens[j], tokens[i]
        return "".join(tokens)
    if op in (5, 6) and (numbers := list(re.finditer(r"\d+", source))):
        hit = rng.choice(numbers)
        return source[: hit.start()] + rng.choice(("0", "1", str(10**13), HUGE, "3", "2")) + source[hit.end() :]
    other = rng.choice(zoo_texts())
    start = rng.randrange(len(other))
    return source[:at] + other[start : start + rng.choice((5, 40, 300))] + source[at:]


def mutant(rng: random.Random) -> str:
    """A zoo entry with one to four random edits."""
    return mutate(rng, rng.choice(zoo_texts()), rng.choice((1, 1, 2, 3, 4)))


# ---------------------------------------------------------------- check expressions

SUFFIXES = ("", "", "", "k", "K", "M", "G", "B", "T", "KB", "MB", "GB", "KiB", "MiB", "GiB", "TiB", "Q", "kb")
BOMBS = (
    "1e99999999", "1e-99999999", "1e201", "1e-200", "0.1e-9999", "9" * 60, "9" * 600, HUGE, "1" + ",000" * 40,
    "2^200^200", "10^60", "10^61", "((0.1^200)^200)^200", "((1/3)^200)^200", "(((1/7)^200)^200)^200", "0^-1",
    "(2^200)^200", "1/3^200", "1e200/1e-200", "0.000000000000000000000000001", "2**-200", "((-2)^199)^199",
)  # fmt: skip
OPERATORS = ("*", "x", "X", "×", "·", "⋅", "∙", " x ", " * ", "/", "+", "-", " + ", " - ", "+") * 3 + ("^", "**")


def amount(rng: random.Random) -> str:
    """A number as people write it: groups of three, decimals, e-notation, unit suffixes, or a bomb."""
    roll = rng.random()
    if roll < 0.03:
        return rng.choice(BOMBS)
    if roll < 0.3:
        digits = f"{rng.randrange(10**12):,}" if rng.random() < 0.8 else rng.choice(("12,34", "1,2345", ",1", "1,,0"))
    elif roll < 0.55:
        digits = f"{rng.randrange(1000)}.{rng.randrange(1000)}" if rng.random() < 0.7 else f".{rng.randrange(99)}"
    else:
        digits = str(rng.randrange(10 ** rng.randint(1, 10)))
    if rng.random() < 0.08:
        digits += rng.choice(("e", "E")) + rng.choice(("", "+", "-")) + str(rng.choice((0, 3, 9, 60, 200, 201, 10**6)))
    return digits + (rng.choice(("", " ")) + rng.choice(SUFFIXES) if rng.random() < 0.15 else "")


def expression(rng: random.Random, depth: int = 3) -> str:
    roll = rng.random()
    if depth <= 0 or roll < 0.4:
        return amount(rng)
    if roll < 0.46:
        return "(" + expression(rng, depth - 1) + ")"
    if roll < 0.49:
        return "-" + expression(rng, depth - 1)
    return expression(rng, depth - 1) + rng.choice(OPERATORS) + expression(rng, depth - 1)


def claim(rng: random.Random) -> str:
    """An expression, maybe ``= …`` or ``~= …``; rarely deeply nested, over-long or garbled."""
    roll = rng.random()
    if roll < 0.03:
        depth = rng.choice((50, 240, 400))
        return "(" * depth + "2" + ")" * depth if rng.random() < 0.5 else "-" * depth + "1"
    if roll < 0.05:
        return "+".join(amount(rng) for _ in range(200))
    left = expression(rng)
    if rng.random() < 0.5:
        left += rng.choice((" = ", "=", " ~= ", "~=", " ≈ ", " == ", " =~ ", " != ", " <= ")) + expression(rng)
    return mutate(rng, left, 1) if rng.random() < 0.1 else left


# ---------------------------------------------------------------- command lines

ARCH_SPECIALS = ("-", "@/nonexistent", "@/dev/null", "@", "@/etc", "@/dev/zero", "", " ", "vgg17", "resnet", "VGG16 ")
CONDITIONS = (
    "macs <= 20e9", "memory(batch=32) <= 8GiB", "memory(batch=32, dtype=float16) <= 8GiB", "params >= 1",
    "flops < 1e99999999", "params <= -5", "memory(batch=0) <= 1", "macs <= 1/3", "params <= 138M = 1",
    "activations > 1e60", "memory(dtype=int4) <= 1", "params(batch=2) <= 1", "macs", "params ≤ 2^200",
)  # fmt: skip
COMMON = {
    "--n": ("224", "1", "0", "-1", "32", "1000000000000", "1000000000001", HUGE, "abc", "32:512:32", "1:100000"),
    "--set": ("k=10", "n=224", "n=0", "c=" + HUGE, "k=99999999999999999999", "=1", "k", "k=-1", "x = 3", "h=224"),
    "--convention": ("symcnn", "fvcore", "torchinfo", "ptflops", "ptflops-aten", "thop", "torch", "nope", ""),
}
SWEEP = {  # up to 3,000 sizes; 10,001 and more are refused
    "--n": ("32:512:32", "1:3000", "64:4096:2", "1:10001", "1:1000000000:10000", "5:3", "32:512:0", "224", "x", HUGE),
    "--format": ("table", "markdown", "csv", "json", "latex"),
    "--batch": ("1", "0", "1000000", "1000001", "-2"),
    "--dtype": ("float32", "float16", "int8", "int4", ""),
    "--symbol": ("n", "h", "w", "k", "zz", ""),
    "--plot": (PLOT, PLOT, "/nonexistent/dir/p.png", PLOT[:-4] + ".xyz", PLOT[:-4] + ".svg", str(Path(PLOT).parent)),
}
OPTIONS_OF = {
    "report": {**COMMON, "--format": ("table", "markdown", "latex", "csv", "json", "xml"), "--depth": ("1", "0", "-3")},
    "check": {**COMMON, "--arch": ()},
    "sweep": {**COMMON, **SWEEP},
    "solve": {**COMMON, "--step": ("32", "1", "0", "-32", "99999999999"), "--symbol": ("n", "w", "k", "")},
    "compare": COMMON,
    "zoo": {},
}
FLAGS = ("--document", "--help", "-h", "--version", "--n=224", "--", "--nope")


def arch(rng: random.Random) -> str:
    """An ARCH argument: a zoo name, a text, a mutant, ``-``, ``@FILE`` or a near miss."""
    roll = rng.random()
    if roll < 0.45:
        name = rng.choice(symcnn.zoo.names())
        return name.upper() if rng.random() < 0.05 else name
    if roll < 0.85:
        return text(rng) if roll < 0.8 else mutant(rng)
    return rng.choice(ARCH_SPECIALS) if rng.random() < 0.8 else "@" + str(PACKAGE / "zoo" / "vgg16.txt")


def argv(rng: random.Random) -> tuple[str, ...]:
    """A command line: a subcommand, its positionals and options with good and bad values, sometimes shuffled."""
    command = rng.choice((*OPTIONS_OF, "report", "check", "report", "sweep", "solve") * 8 + ("nope", "", "--help"))
    args = [command]
    if command in ("report", "sweep", "solve", "compare", "check"):
        args.append(claim(rng) if command == "check" else arch(rng))
    if command == "solve" and rng.random() < 0.95:
        args.append(rng.choice(CONDITIONS) if rng.random() < 0.7 else claim(rng))
    if command == "zoo" and rng.random() < 0.7:
        args.append(rng.choice((*symcnn.zoo.names(), "vgg17", "", "../README")))
    known = OPTIONS_OF.get(command, COMMON)
    for _ in range(rng.choice((0, 1, 1, 2, 3))):
        if rng.random() < 0.03 or not known:
            args.append(rng.choice(FLAGS))
            continue
        option = rng.choice((*known, "--format", "--depth"))
        values = known.get(option) or OPTIONS_OF["report"].get(option) or ("1",)
        args += [option, arch(rng) if option == "--arch" else rng.choice(values)]
    if rng.random() < 0.05:
        rng.shuffle(args)
    return tuple(args)


GENERATORS: dict[str, Callable[[random.Random], Any]] = {"text": text, "mutant": mutant, "check": claim, "cli": argv}
