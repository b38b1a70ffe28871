"""Hypothesis strategies: random texts in the notation that symcnn must accept.

A text is built item by item while tracking what each item sees (a C×H×W map
with a known channel count, or flat features), so that every text is
structurally valid: convolutions and pooling only on maps, groups dividing
the channels, pool padding at most half the window, LRN only on maps (PyTorch
has no LRN over flat features), branch arms that agree. Spatial sizes are
*not* tracked: a text may shrink a map below 1×1 for small inputs, which is
how the validity domain gets tested.

Items are layers, repeated layers (``conv3-16x2``), repeated groups
(``(… )x2``), branches (``res``, ``cat``, ``mul``, ``split``) and uses of named blocks
(``let blk1(c) = conv3-{c} relu``). Branch arms are built only from layers that
keep ⌊(x − 1)/s⌋ + 1 (odd kernels with 'same' padding, one stride per arm), so
a branch never refuses a size by itself and its arms always agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from hypothesis import strategies as st

MAX_CHANNELS = 32
MAX_SIZE = 128

# What an item sees: ("map", channels) or ("flat", 0).
State = tuple[str, int]
Apply = Callable[[State], "State | None"]


@dataclass(frozen=True)
class Piece:
    """A run of text and what it does to the state (None: not applicable)."""

    text: str
    apply: Apply


@dataclass
class Blocks:
    """The ``let`` definitions of one text, in order: their lines and what they do."""

    lines: list[str] = field(default_factory=list)
    uses: list[tuple[str, Callable[[State, int], State | None]]] = field(default_factory=list)


@dataclass(frozen=True)
class Case:
    """A text whose input has free size symbols, and values to try.

    ``numeric`` is the same layers with the input written as numbers (the
    first of ``sizes``), when the case is about an ``input CxHxW`` line.
    """

    text: str
    symbols: tuple[str, ...]
    sizes: tuple[dict[str, int], ...]
    numeric: str | None = None


def _run(pieces: list[Piece], state: State, times: int = 1) -> State | None:
    current: State | None = state
    for _ in range(times):
        for piece in pieces:
            if current is None:
                return None
            current = piece.apply(current)
    return current


def _on_map(make: Callable[[int], State | None]) -> Apply:
    return lambda state: make(state[1]) if state[0] == "map" else None


def _same(state: State) -> State | None:
    return state


def _divisors(number: int) -> list[int]:
    return [d for d in range(1, number + 1) if number % d == 0]


def _pair_text(first: int, second: int) -> str:
    return str(first) if first == second else f"({first}, {second})"


def _options(pairs: list[tuple[str, str]]) -> str:
    return f"({', '.join(f'{name}={value}' for name, value in pairs)})" if pairs else ""


# ------------------------------------------------------------------ layers


@st.composite
def conv(draw: st.DrawFn, channels: int) -> Piece:
    kh = draw(st.integers(1, 7))
    kw = kh if draw(st.booleans()) else draw(st.integers(1, 7))
    depthwise = draw(st.integers(0, 5)) == 0
    groups = 1 if depthwise or draw(st.booleans()) else draw(st.sampled_from(_divisors(channels)))
    out = groups * draw(st.integers(1, max(1, MAX_CHANNELS // groups)))
    options: list[tuple[str, str]] = []
    if draw(st.booleans()):
        options.append(("stride", _pair_text(draw(st.integers(1, 3)), draw(st.integers(1, 3)))))
    if draw(st.booleans()):
        options.append(("padding", _pair_text(draw(st.integers(0, kh)), draw(st.integers(0, kw)))))
    if draw(st.integers(0, 3)) == 0:
        options.append(("dilation", str(draw(st.integers(1, 3)))))
    if groups > 1 or (not depthwise and draw(st.integers(0, 5)) == 0):
        options.append(("groups", str(groups)))
    if draw(st.booleans()):
        options.append(("bias", draw(st.sampled_from(["false", "true", "False"]))))
    draw(st.randoms()).shuffle(options)
    kernel = str(kh) if kh == kw and draw(st.booleans()) else f"{kh}x{kw}"
    if depthwise:
        return Piece(f"dwconv{kernel}{_options(options)}", _on_map(lambda c: ("map", c)))
    word = draw(st.sampled_from(["conv", "conv", "CONV"]))
    repeat = f"x{draw(st.integers(2, 3))}" if draw(st.integers(0, 4)) == 0 else ""
    # Repeated, the next conv sees `out` channels: a multiple of groups.
    return Piece(
        f"{word}{kernel}-{out}{_options(options)}{repeat}", _on_map(lambda c: None if c % groups else ("map", out))
    )


@st.composite
def pool(draw: st.DrawFn) -> Piece:
    mode = draw(st.sampled_from(["max", "avg"]))
    word = draw(st.sampled_from(["pool", "maxpool", "MaxPool"])) if mode == "max" else "avgpool"
    options: list[tuple[str, str]] = []
    if draw(st.integers(0, 4)) == 0:
        kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
        window = ""
        options.append(("kernel_size", f"({kh}, {kw})"))
    else:
        kh = kw = draw(st.integers(1, 4)) if draw(st.integers(0, 3)) else 2
        window = str(kh) if kh != 2 or draw(st.booleans()) else ""
    if draw(st.booleans()):
        options.append(("stride", _pair_text(draw(st.integers(1, 3)), draw(st.integers(1, 3)))))
    if draw(st.booleans()):
        # The largest padding often: with ceil_mode it decides whether a last window is dropped.
        ph = kh // 2 if draw(st.booleans()) else draw(st.integers(0, kh // 2))
        pw = kw // 2 if draw(st.booleans()) else draw(st.integers(0, kw // 2))
        options.append(("padding", _pair_text(ph, pw)))
    if mode == "max" and draw(st.integers(0, 3)) == 0:
        options.append(("dilation", str(draw(st.integers(1, 2)))))
    if draw(st.booleans()):
        options.append(("ceil_mode", draw(st.sampled_from(["true", "true", "false"]))))
    return Piece(f"{word}{window}{_options(options)}", _on_map(lambda c: ("map", c)))


@st.composite
def adaptive_pool(draw: st.DrawFn) -> Piece:
    if draw(st.integers(0, 2)) == 0:
        return Piece("gap", _on_map(lambda c: ("map", c)))
    mode = draw(st.sampled_from(["avg", "max"]))
    height = draw(st.integers(1, 7))
    size = str(height) if draw(st.booleans()) else f"{height}x{draw(st.integers(1, 7))}"
    return Piece(f"adaptive{mode}pool{size}", _on_map(lambda c: ("map", c)))


@st.composite
def batch_norm(draw: st.DrawFn) -> Piece:
    options = []
    if draw(st.integers(0, 4)) == 0:
        options.append(("affine", draw(st.sampled_from(["true", "false"]))))
    if draw(st.integers(0, 4)) == 0:
        options.append(("track_running_stats", draw(st.sampled_from(["true", "false"]))))
    return Piece(f"{draw(st.sampled_from(['bn', 'BN']))}{_options(options)}", _same)


ACTIVATIONS = ["relu", "ReLU", "relu6", "sigmoid", "tanh", "silu", "gelu", "softmax", "soft-max", "identity"]


@st.composite
def elementwise(draw: st.DrawFn, state: State) -> Piece:
    words = [*ACTIVATIONS, "dropout", "dropout(p=0.2)", "dropout(p=0)"]
    if state[0] == "map":
        words += ["lrn", "LRN(size=3, alpha=0.001, beta=0.5, k=1)"]
    word = draw(st.sampled_from(words))
    if word.lower().startswith("lrn"):
        return Piece(word, _on_map(lambda c: ("map", c)))
    return Piece(word, _same)


@st.composite
def shuffle(draw: st.DrawFn, channels: int) -> Piece:
    """A channel shuffle in groups that divide the channels (the default 2 when it does)."""
    groups = draw(st.sampled_from(_divisors(channels)))
    text = "shuffle" if groups == 2 and draw(st.booleans()) else f"shuffle(groups={groups})"
    return Piece(text, _on_map(lambda c: None if c % groups else ("map", c)))


@st.composite
def flatten(draw: st.DrawFn) -> Piece:
    return Piece(draw(st.sampled_from(["flatten", "Flatten"])), lambda state: ("flat", 0))


@st.composite
def fc(draw: st.DrawFn) -> Piece:
    word = draw(st.sampled_from(["fc", "FC-", "fc-"]))
    bias = "(bias=false)" if draw(st.integers(0, 3)) == 0 else ""
    repeat = f"x{draw(st.integers(2, 3))}" if draw(st.integers(0, 5)) == 0 else ""
    text = f"{word}{draw(st.integers(1, MAX_CHANNELS))}{bias}{repeat}"
    if draw(st.integers(0, 2)) == 0:
        text += " bn"
    return Piece(text, lambda state: ("flat", 0))


@st.composite
def layer(draw: st.DrawFn, state: State) -> Piece:
    """One layer that applies to ``state``."""
    if state[0] == "flat":
        return draw(st.one_of(fc(), batch_norm(), elementwise(state), flatten()))
    piece: Piece = draw(
        st.one_of(
            conv(state[1]),
            conv(state[1]),
            pool(),
            adaptive_pool(),
            batch_norm(),
            elementwise(state),
            shuffle(state[1]),
            flatten(),
            fc(),
        )
    )
    return piece


# ------------------------------------------------------------------ branches

# An arm's channels: a fixed count, or None for "as its input".
ArmOut = int | None


@st.composite
def arm(draw: st.DrawFn, stride: int, target: int | None) -> tuple[str, ArmOut]:
    """Layers keeping ⌊(x − 1)/stride⌋ + 1; ``target``: the channels it must end with."""
    words: list[str] = []
    out: ArmOut = None
    carried = stride == 1
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["conv", "conv", "dwconv", "pool", "bn", "act"]))
        step = 1 if carried else stride
        if kind in ("conv", "dwconv"):
            k = draw(st.sampled_from([1, 3, 5]))
            dilation = draw(st.sampled_from([1, 1, 2]))
            options: list[tuple[str, str]] = []
            if step > 1:
                options.append(("stride", str(step)))
            if dilation > 1:
                options += [("dilation", str(dilation)), ("padding", str(dilation * (k // 2)))]
            if draw(st.integers(0, 3)) == 0:
                options.append(("bias", "false"))
            if kind == "conv":
                out = draw(st.integers(1, MAX_CHANNELS))
                words.append(f"conv{k}-{out}{_options(options)}")
            else:
                words.append(f"dwconv{k}{_options(options)}")
            carried = True
        elif kind == "pool":
            k = draw(st.sampled_from([1, 3]))
            words.append(f"{draw(st.sampled_from(['max', 'avg']))}pool{k}(stride={step}, padding={k // 2})")
            carried = True
        else:
            words.append("bn" if kind == "bn" else draw(st.sampled_from(ACTIVATIONS)))
    if not carried:
        out = target if target is not None else draw(st.integers(1, MAX_CHANNELS))
        words.append(f"conv1-{out}(stride={stride})")
    if target is not None and out != target:
        out = target
        words.append(f"conv1-{target}")
    return " ".join(words), out


@st.composite
def branch(draw: st.DrawFn, channels: int) -> Piece:
    """``res``, ``cat``, ``mul`` or ``split`` whose arms agree at every input size."""
    parts = [p for p in (2, 3) if channels % p == 0]
    op = draw(st.sampled_from(["res", "cat", "mul", *(["split"] if parts else [])]))
    stride = draw(st.sampled_from([1, 1, 2]))
    texts: list[str] = []
    outs: list[ArmOut] = []
    if op == "res":
        if stride == 1 and draw(st.booleans()):  # an identity shortcut: res(f) or res( | f)
            text, out = draw(arm(1, channels))
            texts, outs = ([text], [out]) if draw(st.booleans()) else (["", text], [None, out])
        else:
            target = draw(st.integers(1, MAX_CHANNELS))
            for _ in range(draw(st.integers(2, 3))):
                text, out = draw(arm(stride, target))
                texts.append(text)
                outs.append(out)
    elif op in ("cat", "split"):  # a split's arm sees one chunk; an empty arm passes it (or the input) through
        count = draw(st.integers(1, 3)) if op == "cat" else draw(st.sampled_from(parts))
        for _ in range(count):
            if stride == 1 and draw(st.integers(0, 3 if op == "cat" else 2)) == 0:
                texts.append("")
                outs.append(None)
            else:
                text, out = draw(arm(stride, None))
                texts.append(text)
                outs.append(out)
        if op == "split" and not any(texts):  # a split needs a layer in one arm
            texts[0] = "bn"
    else:  # squeeze-and-excitation: an arm times a C×1×1 gate
        identity = stride == 1 and draw(st.booleans())
        target = channels if identity else draw(st.integers(1, MAX_CHANNELS))
        first, out = ("", None) if identity else draw(arm(stride, target))
        squeeze = draw(st.integers(1, MAX_CHANNELS))
        gate = f"gap conv1-{squeeze} {draw(st.sampled_from(['relu', 'silu']))} conv1-{target} sigmoid"
        texts, outs = [first, gate], [out, target]

    def apply(state: State) -> State | None:
        if state[0] != "map":
            return None
        if op == "split" and state[1] % len(outs):
            return None
        chunk = state[1] // len(outs) if op == "split" else state[1]
        sizes = [chunk if out is None else out for out in outs]
        if op in ("cat", "split"):
            return ("map", sum(sizes))
        if op == "res" and len(sizes) == 1:
            sizes.append(state[1])
        return ("map", sizes[0]) if len(set(sizes)) == 1 else None

    return Piece(f"{op}({' | '.join(texts)})", apply)


# ------------------------------------------------------------------ named blocks


@st.composite
def block_use(draw: st.DrawFn, blocks: Blocks, state: State) -> Piece:
    """A use of a ``let`` block (a new one, or one defined before), maybe repeated."""
    if not blocks.uses or draw(st.booleans()):
        name = f"blk{len(blocks.uses) + 1}"
        parts: list[tuple[str, Width]] = []
        for _ in range(draw(st.integers(1, 3))):
            kind = draw(st.sampled_from(["conv", "conv", "dwconv", "pool", "bn", "act"]))
            if kind == "conv":
                k, stride = draw(st.integers(1, 5)), draw(st.sampled_from([1, 1, 2]))
                width = draw(st.sampled_from(["{c}", "{2*c}", "{c + 1}", str(draw(st.integers(1, 16)))]))
                option = "(stride=2)" if stride == 2 else ""
                parts.append((f"conv{k}-{width}{option}", _width(width)))
            elif kind == "dwconv":
                parts.append((f"dwconv{draw(st.sampled_from([1, 3]))}", lambda c, arg: c))
            elif kind == "pool":
                parts.append((draw(st.sampled_from(["maxpool", "avgpool3(stride=1, padding=1)"])), lambda c, arg: c))
            else:
                parts.append((draw(st.sampled_from(["bn", *ACTIVATIONS])), lambda c, arg: c))
        blocks.lines.append(f"let {name}(c) = {' '.join(text for text, _ in parts)}")

        blocks.uses.append((name, _body(parts)))
    name, run = draw(st.sampled_from(blocks.uses))
    arg = draw(st.integers(1, 15))
    times = draw(st.integers(1, 3))
    if run(state, arg) is None or _repeat(run, state, arg, times) is None:
        times = 1
    repeat = f"x{times}" if times > 1 else ""
    return Piece(f"{name}({arg}){repeat}", lambda s: _repeat(run, s, arg, times))


Width = Callable[[int, int], int]


def _body(parts: list[tuple[str, Width]]) -> Callable[[State, int], State | None]:
    """What a block with these layers does to a state, given its argument."""

    def run(state: State, arg: int) -> State | None:
        if state[0] != "map":
            return None
        channels = state[1]
        for _, width in parts:
            channels = width(channels, arg)
        return ("map", channels)

    return run


def _width(width: str) -> Width:
    widths: dict[str, Callable[[int], int]] = {
        "{c}": lambda arg: arg,
        "{2*c}": lambda arg: 2 * arg,
        "{c + 1}": lambda arg: arg + 1,
    }
    fixed = widths.get(width)
    if fixed is None:
        number = int(width)
        return lambda channels, arg: number
    return lambda channels, arg: fixed(arg)


def _repeat(run: Callable[[State, int], State | None], state: State, arg: int, times: int) -> State | None:
    current: State | None = state
    for _ in range(times):
        if current is None:
            return None
        current = run(current, arg)
    return current


# ------------------------------------------------------------------ texts


@st.composite
def items(draw: st.DrawFn, state: State, count: int, depth: int, blocks: Blocks) -> list[Piece]:
    """``count`` layers, groups, branches or block uses, starting from ``state``."""
    pieces: list[Piece] = []
    for _ in range(count):
        current = _run(pieces, state)
        assert current is not None
        choice = draw(st.integers(0, 9))
        if choice == 0 and depth < 2:
            body = draw(items(current, draw(st.integers(1, 3)), depth + 1, blocks))
            times = draw(st.integers(1, 3))
            if _run(body, current, times) is None:
                times = 1
            text = f"({' '.join(piece.text for piece in body)})x{times}"
            pieces.append(Piece(text, _group(body, times)))
            continue
        if choice == 1 and current[0] == "map":
            piece = draw(branch(current[1]))
        elif choice == 2 and current[0] == "map":
            piece = draw(block_use(blocks, current))
        else:
            piece = draw(layer(current))
        assert piece.apply(current) is not None, piece.text
        pieces.append(piece)
    return pieces


def _group(body: list[Piece], times: int) -> Apply:
    return lambda state: _run(body, state, times)


sizes = st.integers(1, MAX_SIZE)


@st.composite
def networks(draw: st.DrawFn) -> Case:
    """A random valid text, its free size symbols and a few values to try."""
    form = draw(st.sampled_from(["default", "n", "hw", "numeric"]))
    channels = 3 if form == "default" else draw(st.integers(1, 4))
    blocks = Blocks()
    pieces = draw(items(("map", channels), draw(st.integers(1, 7)), 0, blocks))
    separator = draw(st.sampled_from([" ", " ", ", ", "\n", " -> "]))
    body = "".join(f"{line}\n" for line in blocks.lines) + separator.join(piece.text for piece in pieces)
    if form in ("default", "n"):
        values = draw(st.lists(sizes, min_size=1, max_size=3, unique=True))
        head = "" if form == "default" else f"input {channels}xnxn\n"
        return Case(head + body, ("n",), tuple({"n": value} for value in values))
    pairs = draw(st.lists(st.tuples(sizes, sizes), min_size=1, max_size=2, unique=True))
    text = f"input {channels}xhxw\n{body}"
    numeric = None
    if form == "numeric":
        height, width = pairs[0]
        numeric = f"input {channels}x{height}x{width}\n{body}"
    return Case(text, ("h", "w"), tuple({"h": h, "w": w} for h, w in pairs), numeric)
