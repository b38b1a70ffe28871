"""Finding the claims, shapes and quantity words in one line of prose.

A line such as ``CONV3-64: [224x224x64]  memory: 224*224*64=3.2M`` is cut into
tokens (numbers with their units, operators, relations, words, shapes); every
maximal run of arithmetic tokens is a *segment*, handed to the claim grammar of
:mod:`symcnn.arithmetic` (never to Python), with the words around it deciding
what it counts. Words never make a line unreadable: only a segment with a
relation (``=``, ``~=``, ``≈``) whose sides cannot be read, or a digit other than
0-9, is refused, with a caret.

>>> scan = scan_line("CONV3-64: [224x224x64]  memory:  224*224*64=3.2M  weights: (3*3*3)*64 = 1,728")
>>> scan.shapes
((224, 224, 64),)
>>> [(claim.text, claim.word, str(claim.amounts[0].value)) for claim in scan.claims]
[('224*224*64=3.2M', 'memory', '3211264'), ('(3*3*3)*64 = 1,728', 'weights', '1728')]
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import NamedTuple

from ..arithmetic import Amount, error_at, parse_claim, significant_step
from ..errors import NotationSyntaxError
from .amounts import loosened, read_side

# The quantity a word names; FLOPs are MACs counted twice.
QUANTITY_WORDS = {
    "params": "params",
    "param": "params",
    "parameters": "params",
    "parameter": "params",
    "weights": "weights",
    "weight": "weights",
    "biases": "biases",
    "bias": "biases",
    "activations": "activations",
    "activation": "activations",
    "memory": "activations",
    "values": "activations",
    "neurons": "activations",
    "macs": "macs",
    "mac": "macs",
    "mult-adds": "macs",
    "multiply-adds": "macs",
    "madds": "macs",
    "flops": "flops",
    "flop": "flops",
}
_SCALE_PREFIXES = {"k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
_SCALE_WORDS = {"thousand": 10**3, "million": 10**6, "millions": 10**6, "billion": 10**9, "billions": 10**9}
_UNIT_WORDS = {"bytes": Fraction(1), "byte": Fraction(1), "bits": Fraction(1, 8), "bit": Fraction(1, 8)}
MAX_LINE_CHARS = 4096
_TOTAL_WORDS = {"total", "totals", "overall", "altogether", "sum"}

_TOKEN = re.compile(
    r"""
    (?P<SHAPE>\[\s*[0-9]+(?:\s*[x×X*,]\s*[0-9]+){0,3}\s*\]|\(\s*[0-9]+(?:\s*,\s*[0-9]+){2,3}\s*\))
   |(?P<NUM>(?:[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])|[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?
        (?:[ \t]?(?:KiB|MiB|GiB|TiB|KB|MB|GB|TB|[kKMGTB])(?![A-Za-z0-9]))?)
   |(?P<TIMES>[xX](?=[ \t]*[0-9(]))
   |(?P<WORD>[A-Za-z][A-Za-z0-9_]*(?:[-'][A-Za-z0-9_]+)*)
   |(?P<REL>~=|≈|≃|==|=)
   |(?P<OP>\*\*|[-+*/^×·⋅∙])
   |(?P<LP>\()|(?P<RP>\))|(?P<TILDE>~)|(?P<SPACE>\s+)|(?P<OTHER>.)
    """,
    re.X,
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:[-'][A-Za-z0-9_]+)*")
# A thousands separator other than a comma (15'237'608, 15_237_608, 15 237 608 with thin spaces).
_SEPARATOR = re.compile(r"(?<=[0-9])['’_\u2009\u202f\u00a0](?=[0-9]{3}(?![0-9]))")
_LOOKALIKES = str.maketrans({"−": "-", "∗": "*", "÷": "/", "\u2009": " ", "\u202f": " ", "\u00a0": " "})
_MATH = {"NUM", "OP", "TIMES", "REL", "LP", "RP", "TILDE"}
_DIGIT = re.compile(r"[0-9]")
_NEXT_WORD = re.compile(r"[ \t]*([A-Za-z][A-Za-z0-9]*(?:-[A-Za-z]+)*)")
_PER_BATCH = re.compile(r"[ \t]*[x×X*·][ \t]*batch\b", re.I)
_PRODUCT_SHAPE = re.compile(r"[0-9]+(?:[ \t]*[x×X][ \t]*[0-9]+){2}")


class Token(NamedTuple):
    kind: str
    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@dataclass(frozen=True)
class Found:
    """One claim of a line: ``amounts`` in the order written, ``relations`` between them
    (``=``, ``~=``; none for a bare value). ``word`` is the quantity word that steers it."""

    text: str
    start: int
    amounts: tuple[Amount, ...]
    relations: tuple[str, ...]
    word: str | None = None
    per_batch: bool = False
    lead: Amount | None = None  # the first number alone (24M of 24M * 4 bytes), for a column's total
    quantity: str | None = None  # what ``word`` names: params, weights, biases, activations, macs, flops


def quantity_of(word: str | None) -> str | None:
    """The quantity a word names, a scale glued in front or not.

    >>> quantity_of("GFLOPs"), quantity_of("memory"), quantity_of("Memo")
    ('flops', 'activations', None)
    """
    if not word:
        return None
    if word[0] in _SCALE_PREFIXES and word[1:].lower() in QUANTITY_WORDS:
        word = word[1:]
    return QUANTITY_WORDS.get(word.lower())


@dataclass(frozen=True)
class LineScan:
    """What one line holds: claims, shapes (as written), whether it is a total line, an error."""

    claims: tuple[Found, ...] = ()
    shapes: tuple[tuple[int, ...], ...] = ()
    total: bool = False
    error: NotationSyntaxError | None = None
    shape_starts: tuple[int, ...] = ()  # where each shape stands in the line: a claim is about the shape before it


def normalize(line: str) -> str:
    """The line with typography undone, character for character (carets stay in place).

    >>> normalize("15\u2009237\u2009608 − 1'728 ∗ 2")  # thin spaces
    '15,237,608 - 1,728 * 2'
    """
    return _SEPARATOR.sub(",", line).translate(_LOOKALIKES)


def tokens(line: str) -> list[Token]:
    """The tokens of a normalized line, spaces left out; an ``x`` multiplies only after a number or ``)``.

    >>> [(t.kind, t.text) for t in tokens("3x3 max")]
    [('NUM', '3'), ('TIMES', 'x'), ('NUM', '3'), ('WORD', 'max')]
    """
    # spaces never end a claim (words and marks do): they are no tokens
    found = [Token(m.lastgroup or "", m.group(), m.start()) for m in _TOKEN.finditer(line) if m.lastgroup != "SPACE"]
    for index, token in enumerate(found):
        if token.kind == "TIMES" and (index == 0 or found[index - 1].kind not in ("NUM", "RP")):
            word = _WORD.match(line, token.start)  # x86, xor: a word, and the line goes on after it
            assert word is not None
            rest = [Token(t.kind, t.text, t.start + word.end()) for t in tokens(line[word.end() :])]
            return [*found[:index], Token("WORD", word.group(), token.start), *rest]
    return found


def _non_ascii_digit(line: str) -> int | None:
    if line.isascii():
        return None
    for index, char in enumerate(line):
        if not char.isascii() and unicodedata.category(char) == "Nd":
            return index
    return None


def scan_line(line: str) -> LineScan:
    """Every claim, shape and quantity word of ``line``; a line with none is an empty scan."""
    if line.lstrip().startswith("#"):
        return LineScan()  # a comment
    bad = _non_ascii_digit(line)
    if bad is not None:
        char = line[bad]
        name = unicodedata.name(char, f"U+{ord(char):04X}")
        return LineScan(error=error_at(line, bad, f"only the digits 0-9 are read, not {char!r} ({name})"))
    text = line if line.isascii() and "'" not in line and "_" not in line else normalize(line)
    parts = tokens(text)
    words = [(token.start, token.text) for token in parts if token.kind == "WORD"]
    starts = [start for start, _ in words]  # looked up by bisection: a long line stays linear
    total = any(word.lower() in _TOTAL_WORDS for _, word in words)
    shapes = [(token.start, _dims(token.text)) for token in parts if token.kind == "SHAPE"]
    claims: list[Found] = []
    segments = _segments(parts)
    for number, segment in enumerate(segments):
        low = segments[number - 1][-1].end if number else 0
        before = [word for _, word in words[bisect_left(starts, low) : bisect_left(starts, segment[0].start)]]
        try:
            found = _read(text, segment, before, shapes, total)
        except NotationSyntaxError as error:
            return LineScan(tuple(claims), tuple(dims for _, dims in shapes), total, error)
        if found is not None:
            claims.append(found)
    shapes.sort()
    return LineScan(tuple(claims), tuple(dims for _, dims in shapes), total, None, tuple(at for at, _ in shapes))


def is_a_line_of_claims(text: str) -> bool:
    """Whether ``text`` is one line with claims in words (the grammar refuses the words, a page reads them).

    >>> is_a_line_of_claims("24M activations"), is_a_line_of_claims("hello = 3 +* 4")
    (True, False)
    """
    if "\n" in text or len(text) > MAX_LINE_CHARS:
        return False
    scan = scan_line(text)
    return scan.error is None and bool(scan.claims)


def _dims(shape: str) -> tuple[int, ...]:
    return tuple(int(number) for number in re.findall(r"[0-9]+", shape))


def _segments(parts: list[Token]) -> list[list[Token]]:
    """Maximal runs of arithmetic tokens (and byte units), trimmed, that hold a number."""
    runs: list[list[Token]] = []
    current: list[Token] = []
    for token in parts:
        if token.kind in _MATH or (token.kind == "WORD" and token.text.lower() in _UNIT_WORDS and current):
            current.append(token)
            continue
        runs.append(current)
        current = []
    runs.append(current)
    trimmed = []
    for run in runs:
        while run and (run[0].kind in ("OP", "TIMES", "REL", "RP") and not _sign(run)):
            run = run[1:]
        while run and run[-1].kind in ("OP", "TIMES", "REL", "LP", "TILDE"):
            run = run[:-1]
        if any(token.kind == "NUM" for token in run):
            trimmed.append(run)
    return trimmed


def _sign(run: list[Token]) -> bool:
    """A leading minus glued to a number is a sign; ``- 24M`` (a bullet) is not."""
    return run[0].text == "-" and len(run) > 1 and run[1].kind in ("NUM", "LP") and run[1].start == run[0].end


def _read(
    text: str, segment: list[Token], before: list[str], shapes: list[tuple[int, tuple[int, ...]]], total: bool
) -> Found | None:
    """The claim of one segment, or None when it is prose (a number no quantity word names, a shape)."""
    start, end = segment[0].start, segment[-1].end
    span = text[start:end]
    approximate = segment[0].kind == "TILDE"
    pieces: list[tuple[int, int]] = []  # the sides, between relations
    relations: list[str] = []
    side_start = start + (1 if approximate else 0)
    for token in segment:
        if token.kind == "REL":
            pieces.append((side_start, token.start))
            relations.append("~=" if token.text in ("~=", "≈", "≃") else "=")
            side_start = token.end
    pieces.append((side_start, end))
    while len(pieces) > 1 and not _DIGIT.search(text, *pieces[0]):  # "= 3.2M" after a word: a bare value
        pieces, relations = pieces[1:], relations[1:]
    while len(pieces) > 1 and not _DIGIT.search(text, *pieces[-1]):
        pieces, relations = pieces[:-1], relations[:-1]
    if any(not _DIGIT.search(text, *piece) for piece in pieces):
        return None  # a relation without digits on both sides is no claim
    if (start, end) != (pieces[0][0], pieces[-1][1]) and not approximate:
        start, end = pieces[0][0], pieces[-1][1]
        start += len(text[start:end]) - len(text[start:end].lstrip())
        end -= len(text[start:end]) - len(text[start:end].rstrip())
        span = text[start:end]
    word = _word_after(text, end) or _word_before(before)
    if not relations:
        if word is None and not shapes and _PRODUCT_SHAPE.fullmatch(span):
            shapes.append((start, _dims(span)))
            return None
        if word is None:
            return None  # a number in prose: a year, a table's number, a kernel size
    try:
        units = [token for token in segment if token.kind == "WORD"]
        amounts = tuple(_side(text, low, high, units) for low, high in pieces)
    except NotationSyntaxError:
        if relations:
            raise
        return None  # prose that only looks like arithmetic, with no claim in it
    lead = _lead(text, segment) if total else None  # only a total line is compared with its column
    if not relations:
        amounts = (_scaled(amounts[0], span, text[end:], approximate),)
        lead = amounts[0]
        scale = _NEXT_WORD.match(text, end)
        if scale and (scale.group(1).lower() in _SCALE_WORDS or _prefixed(scale.group(1))[0] > 1):
            span = text[start : scale.end()]  # 60 million, 15.5 GFLOPs: the scale is part of the value
    per_batch = _PER_BATCH.match(text, end) is not None
    return Found(span, start, amounts, tuple(relations), word, per_batch, lead, quantity_of(word))


def _side(text: str, low: int, high: int, units: list[Token]) -> Amount:
    """One side of a claim, its unit words (``units``, of the whole segment) blanked, offsets kept for carets."""
    side = text[low:high]
    per_byte: Fraction | None = None
    for token in units:
        if low <= token.start < high:
            per_byte = _UNIT_WORDS[token.text.lower()]
            side = side[: token.start - low] + " " * len(token.text) + side[token.end - low :]
    side = side.rstrip()
    try:
        amount = read_side(side)
    except NotationSyntaxError:
        parse_claim(side, within=text, at=low)  # the same error, its caret placed in the whole line
        raise
    if amount.step is not None:  # 800K for 802,816: rounded at its last non-zero digit
        amount = replace(amount, step=loosened(amount.step, amount.value))
    if per_byte is None:
        return amount
    step = amount.step * per_byte if amount.step is not None else None
    return Amount(amount.value * per_byte, step, True)


def _lead(text: str, segment: list[Token]) -> Amount | None:
    first = next(token for token in segment if token.kind == "NUM")
    try:
        amount = read_side(first.text)
    except NotationSyntaxError:
        return None
    if amount.step is not None:
        amount = replace(amount, step=loosened(amount.step, amount.value))
    return amount


_FILLERS = {"is", "are", "of", "has", "have", "about", "approx", "approximately", "roughly", "around", "total", "count"}
_AFTER = re.compile(
    r"[ \t]*(?:(?:thousand|millions?|billions?)[ \t]+)?([A-Za-z][A-Za-z0-9]*(?:-[A-Za-z]+)*)(?![A-Za-z0-9-]|[ \t]*[:=])"
)


def _word_after(text: str, end: int) -> str | None:
    """The quantity word right after a value (138M parameters, 15.5 GFLOPs), unless it labels what follows (x:)."""
    match = _AFTER.match(text, end)
    return _prefixed(match.group(1))[1] if match else None


def _word_before(before: list[str]) -> str | None:
    """The quantity word that labels a value (memory: 3.2M, params are 138M), fillers skipped."""
    for word in reversed(before):
        if word.lower() in QUANTITY_WORDS:
            return word
        if word.lower() not in _FILLERS:
            return None
    return None


def _prefixed(word: str) -> tuple[int, str | None]:
    """``GFLOPs`` → (10^9, "GFLOPs"): a quantity word with a scale glued in front."""
    if word and word[0] in _SCALE_PREFIXES and word[1:].lower() in QUANTITY_WORDS:
        return _SCALE_PREFIXES[word[0]], word
    if word.lower() in QUANTITY_WORDS:
        return 1, word
    return 1, None


def _scaled(amount: Amount, span: str, rest: str, approximate: bool) -> Amount:
    """A bare value with the scale its next word gives (60 million, 15.5 GFLOPs), rounded as written."""
    following = _NEXT_WORD.match(rest)
    next_word = following.group(1) if following else ""
    scale = _SCALE_WORDS.get(next_word.lower()) or _prefixed(next_word)[0]
    if scale > 1:
        decimals = len(span.partition(".")[2]) if "." in span else 0
        value = amount.value * scale
        amount = Amount(value, max(Fraction(scale, 10**decimals), significant_step(value)), amount.in_bytes)
    if approximate:
        amount = replace(amount, step=max(amount.step or Fraction(0), significant_step(amount.value)))
    return amount
