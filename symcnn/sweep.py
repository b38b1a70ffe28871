"""Totals across input sizes, exactly, from the closed forms; and solving for n.

Memory is activations × batch × bytes per value plus the parameters' bytes
(float32 by default) — the forward pass of one batch, as a rough budget.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from math import gcd

from .arithmetic import check_ascii_digits, error_at, parse_claim
from .errors import SymcnnError, shorten_literal
from .evaluate import compile_form
from .network import Network
from .training import TrainingSetup, training_setup

MAX_SIZES = 10_000  # a table of more rows is read by no one; 10,000 sizes print in well under 1 s
MAX_SIZE = 10**9
MAX_BATCH = 10**6
MAX_CONDITION_CHARS = 600  # a bound of up to 500 characters and memory(batch=…, dtype=…)
DTYPE_BYTES = {"float64": 8, "float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}


@dataclass(frozen=True)
class SweepRow:
    """The totals at one input size."""

    n: int
    params: int
    activations: int
    macs: int
    memory: int


@dataclass(frozen=True)
class Memory:
    """How memory is counted: activations × batch × bytes + parameters × bytes."""

    batch: int = 1
    dtype: str = "float32"

    @property
    def width(self) -> int:
        return DTYPE_BYTES[self.dtype]

    def of(self, params: int, activations: int) -> int:
        return (activations * self.batch + params) * self.width


def parse_range(text: str) -> list[int]:
    """``START:STOP:STEP`` (STOP included), ``START:STOP`` (step 1) or ``N``.

    >>> parse_range("32:128:32"), parse_range("224")
    ([32, 64, 96, 128], [224])
    """
    check_ascii_digits(text)
    match = re.fullmatch(r"\s*([0-9]+)\s*(?::\s*([0-9]+)\s*(?::\s*([0-9]+)\s*)?)?", text, re.ASCII)
    if match is None:
        raise SymcnnError(f"a range is START:STOP:STEP, e.g. 32:512:32, not {shorten_literal(text)!r}")
    for index, digits in enumerate(match.groups()):
        if digits is not None and len(digits.lstrip("0")) > len(str(MAX_SIZE)):  # digits first: int() is quadratic
            raise error_at(text, match.start(index + 1), f"{shorten_literal(digits)} is larger than {MAX_SIZE:,}")
    start = int(match.group(1))
    stop = int(match.group(2) or start)
    step = int(match.group(3) or 1)
    if step < 1 or start < 1 or stop < start:
        raise SymcnnError(f"the range {shorten_literal(text.strip())!r} is empty: START ≤ STOP, both ≥ 1, STEP ≥ 1")
    if stop > MAX_SIZE or (stop - start) // step + 1 > MAX_SIZES:
        raise SymcnnError(
            f"the range {shorten_literal(text.strip())!r} is too large: at most {MAX_SIZES:,} sizes up to {MAX_SIZE:,}"
        )
    return list(range(start, stop + 1, step))


def valid_sizes(net: Network, sizes: list[int], symbol: str = "n") -> tuple[list[int], list[int]]:
    """``sizes`` split into those the network accepts and those outside its domain (a U-Net's skips
    meet only on residue classes of n), or a SymcnnError naming the domain when none is valid.

    >>> import symcnn
    >>> valid_sizes(symcnn.parse("cat( | maxpool upconv2-3)"), [7, 8, 9, 10])
    ([8, 10], [7, 9])
    """
    domain = net.analysis.domains.get(symbol)
    if domain is None:
        return sizes, []
    kept = [size for size in sizes if domain.contains(size)]
    if not kept and sizes:
        raise SymcnnError(f"no {symbol} of the sweep is valid: the network is valid for {domain.describe(symbol)}")
    return kept, [size for size in sizes if not domain.contains(size)]


class SweepTable(list[SweepRow]):
    """A sweep's rows (a list), with the symbol swept and how memory was counted; a table in Jupyter."""

    def __init__(self, rows: Iterable[SweepRow], memory: Memory, symbol: str = "n") -> None:
        super().__init__(rows)
        self.memory = memory
        self.symbol = symbol

    def _repr_html_(self) -> str:
        from .render.notebook import sweep_html

        return sweep_html(self)

    def _repr_markdown_(self) -> str:
        from .render.sweep import markdown

        return markdown(self, self.memory, self.symbol)


def sweep(net: Network, sizes: list[int], symbol: str = "n", memory: Memory | None = None) -> SweepTable:
    """Params, activations, MACs and memory at every size, exactly.

    >>> import symcnn
    >>> [row.params for row in sweep(symcnn.parse("vgg-d"), [224, 256])]
    [138357544, 169814824]
    """
    memory = memory or Memory()
    params, activations, macs = (net.sweep(quantity, sizes, symbol) for quantity in ("params", "activations", "macs"))
    rows = (SweepRow(n, p, a, m, memory.of(p, a)) for n, p, a, m in zip(sizes, params, activations, macs, strict=True))
    return SweepTable(rows, memory, symbol)


@dataclass(frozen=True)
class Condition:
    """``quantity op bound``, e.g. ``memory(batch=32, dtype=float16) <= 8GiB``."""

    quantity: str
    op: str
    bound: Fraction
    memory: Memory
    training: TrainingSetup | None = field(default=None, repr=False)  # train_memory(…)'s options

    def holds(self, value: int) -> bool:
        return {"<=": value <= self.bound, "<": value < self.bound, ">=": value >= self.bound, ">": value > self.bound}[
            self.op
        ]


_CONDITION = re.compile(
    r"^\s*(?P<quantity>params|activations|macs|flops|memory|train_memory)\s*(?:\((?P<options>[^)]*)\))?\s*"
    r"(?P<op><=|>=|<|>|≤|≥)\s*(?P<bound>.+)$"
)


def parse_condition(text: str) -> Condition:
    """Read a condition such as ``macs <= 20e9`` or ``memory(batch=32) <= 8GiB``.

    >>> parse_condition("memory(batch=32, dtype=float16) <= 8GiB")
    Condition(quantity='memory', op='<=', bound=Fraction(8589934592, 1), memory=Memory(batch=32, dtype='float16'))
    """
    if len(text) > MAX_CONDITION_CHARS:
        raise error_at(
            text,
            MAX_CONDITION_CHARS,
            f"the condition {shorten_literal(text)} is longer than {MAX_CONDITION_CHARS} characters",
        )
    check_ascii_digits(text)
    match = _CONDITION.match(text)
    if match is None:
        raise SymcnnError(
            f"a condition is QUANTITY OP VALUE with QUANTITY params, activations, macs, flops or "
            f"memory(batch=…, dtype=…), train_memory(batch=…, optimizer=…, precision=…) "
            f"and OP <=, <, >=, >; e.g. 'macs <= 20e9', not {text!r}"
        )
    training = None
    if match.group("quantity") == "train_memory":
        at = match.start("options") if match.group("options") is not None else match.end("quantity")
        training = training_setup(text, match.group("options") or "", at)
    options = Memory() if training else _options(text, match)
    claim = parse_claim(match.group("bound"), within=text, at=match.start("bound"))
    if claim.right is not None:
        raise error_at(text, match.start("bound"), "the value of a condition is one amount, without = or ~=")
    op = {"≤": "<=", "≥": ">="}.get(match.group("op"), match.group("op"))
    return Condition(match.group("quantity"), op, claim.left.value, options, training)


def _options(condition: str, match: re.Match[str]) -> Memory:
    """``batch=N, dtype=NAME`` of ``memory(…)``; errors point into ``condition``."""
    text, quantity = match.group("options") or "", match.group("quantity")
    if text.strip() and quantity != "memory":
        raise error_at(condition, match.start("options"), f"only memory takes options, not {quantity}")
    given: dict[str, tuple[str, int]] = {}
    for piece in re.finditer(r"[^,]+", text):
        part = piece.group().strip()
        if not part:
            continue
        at = match.start("options") + piece.start() + len(piece.group()) - len(piece.group().lstrip())
        name, _, rest = part.partition("=")
        name, value = name.strip(), rest.strip()
        if name not in ("batch", "dtype") or not value:
            raise error_at(condition, at, f"memory takes batch=N and dtype=NAME, not {part!r}")
        given[name] = (value, at + part.index("=") + 1 + len(rest) - len(rest.lstrip()))
    dtype, at = given.get("dtype", ("float32", 0))
    if dtype not in DTYPE_BYTES:
        raise error_at(condition, at, f"unknown dtype {dtype!r}; one of {', '.join(DTYPE_BYTES)}")
    batch, at = given.get("batch", ("1", 0))
    # ASCII digits only (isdigit() takes ², which int() refuses), counted before int()
    if (
        not re.fullmatch(r"[0-9]+", batch)
        or len(batch.lstrip("0")) > len(str(MAX_BATCH))
        or not 1 <= int(batch) <= MAX_BATCH
    ):
        reason = f"batch must be a whole number from 1 to {MAX_BATCH:,}, not {shorten_literal(batch)!r}"
        raise error_at(condition, at, reason)
    return Memory(int(batch), dtype)


@dataclass(frozen=True)
class Solution:
    """The extreme n (a multiple of ``step``) for which the condition holds, or None.

    ``edge`` is the size just past it, where the condition fails (None when it
    holds for every size); values are the quantity's at ``n`` and at ``edge``.
    """

    condition: Condition
    step: int
    n: int | None
    value: int | None
    edge: int | None
    edge_value: int | None
    smallest_valid: int
    domain: str = ""  # the residue classes searched, when the domain has them ("n ≡ 0 (mod 16)")


def solve(net: Network, condition: Condition, step: int = 32, symbol: str = "n", limit: int = 10**7) -> Solution:
    """The largest n (for ≤, <) or the smallest n (for ≥, >), a multiple of ``step``.

    Every total grows with n (each size ⌊(n + B)/S⌋ does), so the answer is a
    boundary found by doubling and bisection on the exact closed form.

    >>> import symcnn
    >>> solution = solve(symcnn.parse("vgg-d"), parse_condition("params <= 200e6"))
    >>> solution.n, solution.value, solution.edge, solution.edge_value  # 2048·n² + 35,597,096 at 256 and 288
    (256, 169814824, 288, 205466408)
    """
    if not 1 <= step <= limit:
        raise SymcnnError(f"the step must be from 1 to {limit:,}")
    if net.symbols != (symbol,):
        raise SymcnnError(f"solve needs {symbol} as the only free symbol; the free symbols are {net.symbols}")
    value = _evaluator(net, condition, symbol)
    least = net.analysis.smallest_valid.get(symbol) or 1
    domain = net.analysis.domains.get(symbol)
    if domain is None or domain.modulus == 1:
        return _search(value, condition, step, 0, step, -(-least // step), limit // step, least)
    # The domain is residue classes (a U-Net's): the valid multiples of step repeat with period L =
    # lcm(step, modulus); each class c + L·k is searched alone (totals grow along it) and the best kept.
    period = step * domain.modulus // gcd(step, domain.modulus)
    solutions = []
    for start in range(0, period, step):
        class_least = domain.least[start % domain.modulus]
        if class_least is not None:
            first = -(-(class_least - start) // period)
            solutions.append(_search(value, condition, step, start, period, first, (limit - start) // period, least))
    if not solutions:
        raise SymcnnError(
            f"no multiple of the step {step} is a valid {symbol}: the network is valid for "
            f"{domain.describe(symbol)}; give --step a value that fits"
        )
    found = [solution for solution in solutions if solution.n is not None]
    if not found:  # it fails everywhere: the smallest size where it was seen to fail
        nearest = min(solutions, key=lambda solution: limit if solution.edge is None else solution.edge)
        return replace(nearest, domain=domain.describe(symbol))
    upward = condition.op in ("<=", "<")
    best = (max if upward else min)(found, key=lambda solution: solution.n or 0)
    return replace(best, domain=domain.describe(symbol))


def _search(
    value: Callable[[int], int],
    condition: Condition,
    step: int,
    offset: int,
    stride: int,
    first: int,
    last: int,
    least: int,
) -> Solution:
    """The boundary along the sizes offset + stride·k, k from ``first`` to ``last``, by doubling and bisection."""

    def at(k: int) -> int:
        return offset + stride * k

    upward = condition.op in ("<=", "<")
    if upward:
        if not condition.holds(value(at(first))):
            return Solution(condition, step, None, None, at(first), value(at(first)), least)
        good, bad = first, first + 1
        while bad <= last and condition.holds(value(at(bad))):
            good, bad = bad, min(2 * bad, last + 1) if bad < last else last + 1
        if bad > last:
            return Solution(condition, step, at(good), value(at(good)), None, None, least)
    else:
        bad, good = first - 1, first
        while good <= last and not condition.holds(value(at(good))):
            bad, good = good, min(2 * good, last + 1) if good < last else last + 1
        if good > last:
            return Solution(condition, step, None, None, None, None, least)
        if good == first:
            return Solution(condition, step, at(good), value(at(good)), None, None, least)
    while abs(bad - good) > 1:
        middle = (good + bad) // 2
        if condition.holds(value(at(middle))):
            good = middle
        else:
            bad = middle
    return Solution(condition, step, at(good), value(at(good)), at(bad), value(at(bad)), least)


def _evaluator(net: Network, condition: Condition, symbol: str) -> Callable[[int], int]:
    if condition.training is not None:
        memory = condition.training.of(net)
        train_memory, domain = compile_form(memory.closed_form().general, symbol), memory.domains.get(symbol)

        def in_training(size: int) -> int:
            if domain is not None and not domain.contains(size):  # an auxiliary head runs in training
                raise SymcnnError(f"training needs {domain.describe(symbol)}, not {symbol} = {size}: use --mode train")
            return int(train_memory(size))

        return in_training
    forms = {q: compile_form(net.closed_form(q).general, symbol) for q in ("params", "activations", "macs")}

    def value(size: int) -> int:
        params, activations, macs = (int(forms[q](size)) for q in ("params", "activations", "macs"))
        if condition.quantity == "memory":
            return condition.memory.of(params, activations)
        if condition.quantity == "flops":
            return 2 * macs
        return {"params": params, "activations": activations, "macs": macs}[condition.quantity]

    return value
