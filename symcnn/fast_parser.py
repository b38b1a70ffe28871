"""A hand-written parser for ``grammar/symcnn.lark`` that gives lark's tree, or None.

Building lark's contextual lexer costs ~7 ms per process and its LALR loop ~20 µs
per layer; this recursive-descent parser needs neither. It returns a lark ``Tree``
identical to ``Lark(...).parse(text)``: same rules, tokens and positions (meta
``line``, ``column``, ``start_pos``, ``end_*``, lark's ``container_*`` and ``empty``).
On any text it is not sure of it returns None, and :func:`symcnn.parser.parse_tree`
asks lark, which then reports the error exactly as before. It follows one version of
the grammar (:data:`GRAMMAR_CRC32`) and declines everything under another.

Lark's contextual lexer reads a word or ``(`` as the highest-priority terminal that
the parser state *after the previous token* accepts. Those states are LALR's, so
their sets are larger than what may really follow (``x`` after ``{c}`` is ``_DIM_X``
even in ``fc{c} xblock``, where lark then fails). Each :meth:`_Parser.advance` passes
the word terminals of that exact state (the ``_K`` … ``_LP`` bits; tests check them
against lark's table), and a token the grammar does not allow there ends the fast
parse. No character outside ASCII is read but in a comment, so Unicode case folding
(``ſigmoid`` is SIMPLE to lark) always ends it too.

>>> tree = parse("conv3-64(stride=2) relu\\n")
>>> [item.children[0].data for item in tree.children], tree.children[1].meta.column
(['conv', 'simple'], 20)
>>> parse("conv3-64(\\n") is None
True
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from functools import cache
from typing import Any

from lark import Token, Tree
from lark.tree import Meta

GRAMMAR_CRC32 = 0x82C48EAD
"""The CRC-32 of grammar/symcnn.lark this parser follows; with another grammar, it declines every text."""

# Keywords that may run on into a number (conv3, maxpool2, fc-10, x3), as the grammar writes them.
PREFIX_KEYWORDS = {
    "CONV": r"(?i:conv(?=[0-9{]))",
    "POOL": r"(?i:(?:max|avg)?pool(?![^\W\d]))",
    "FC": r"(?i:fc-?(?=[0-9{]))",
    "DWCONV": r"(?i:dwconv(?=[0-9{]))",
    "ADAPTIVE_POOL": r"(?i:adaptive(?:avg|max)pool(?=[0-9{]))",
    "UPCONV": r"(?i:(?:up|de)conv(?=[0-9{]))",
    "UPSAMPLE": r"(?i:upsample(?=[0-9{]))",
    "PAD": r"(?i:pad(?=[0-9{]))",
    "CROP": r"(?i:crop(?![^\W\d]))",
    "_X": r"(?i:x(?=[0-9{]))",
}
# Keywords that are a whole word, `(?!\w)` (BRANCH_KIND: `(?=\s*\()`). A word is [A-Za-z_][A-Za-z0-9_]*,
# so one of these can only match all of it; and no keyword matches where another does (their words differ).
WORDS = dict.fromkeys(("res", "cat", "mul", "split", "aux", "out"), "BRANCH_KIND") | {
    "input": "INPUT", "let": "LET", "true": "TRUE", "false": "FALSE", "gap": "GAP", "resize": "RESIZE",
    **dict.fromkeys((
        "relu6", "relu", "bn", "ln", "layerscale", "droppath", "sigmoid", "hardsigmoid", "hardswish", "tanh",
        "silu", "swish", "gelu", "softmax", "dropout", "lrn", "flatten", "identity", "shuffle"), "SIMPLE"),
}  # fmt: skip
NAME, DIM_NAME = r"[A-Za-z_][A-Za-z0-9_]*", r"[A-WYZa-wyz_][A-WYZa-wyz0-9_]*"
DECIMAL = r"[0-9]*\.[0-9]+(?:[eE][-+]?[0-9]+)?"

# One token after what lark ignores (blanks, a comment). Alternatives that match the same text
# come in lark's order: keywords (soft-max, the one with a dash, among them), _X, then a word;
# DECIMAL before INT; -> before -; // before /; _OPTS_OPEN before _LPAR. _DIM_X and DIM_NAME
# are read only where lark's state has them (relex).
_TOKEN = re.compile(
    r"[ \t\f\r]*(?:#[^\n]*)?(?:(?P<INT>[0-9]+)(?![.0-9])|(?P<P>[){}=,;|+*])|(?P<_NL>\n(?:\r?\n)*)|(?=[A-Za-z_])(?:"
    + "".join(f"(?P<{name}>{regex})|" for name, regex in PREFIX_KEYWORDS.items())
    + rf"(?P<SIMPLE>(?i:soft-max(?!\w)))|(?P<WORD>{NAME}))|(?P<DECIMAL>{DECIMAL})|(?P<INT2>[0-9]+)|(?P<ARROW>->)"
    r"|(?P<SLASH2>//)|(?P<_OPTS_OPEN>(?<=[\w}])\()|(?P<_LPAR>\()|(?P<P2>[-/])|(?P<END>\Z))"
)
_NAME, _DIM_NAME, _BRANCH_AHEAD = re.compile(NAME), re.compile(DIM_NAME), re.compile(r"\s*\(")

# The word and parenthesis terminals a lark state accepts: the layer keywords, INPUT and LET,
# TRUE and FALSE, _X, _DIM_X, DIM_NAME, NAME, _OPTS_OPEN, _LPAR.
_K, _IL, _TF, _X, _DX, _DN, _NM, _OP, _LP = (1 << bit for bit in range(9))
_NEED = dict.fromkeys(("ADAPTIVE_POOL", "SIMPLE", "POOL", "DWCONV", "BRANCH_KIND", "CONV", "FC", "GAP"), _K)
_NEED |= dict.fromkeys(("UPCONV", "UPSAMPLE", "PAD", "CROP", "RESIZE"), _K)
_NEED |= {"INPUT": _IL, "LET": _IL, "TRUE": _TF, "FALSE": _TF, "_X": _X, "NAME": _NM, "_OPTS_OPEN": _OP, "_LPAR": _LP}
STATEMENT = _K | _IL | _NM | _LP  # at the start, after a separator or a let's end
CLOSED = STATEMENT | _X  # after the ")" of a group, branch, options or arguments: a repeat may follow
WORD = CLOSED | _OP  # after a number, relu, gap, maxpool or a block's name: options may follow too
BRACE = WORD | _DX  # after "}": lark's state also serves the sizes of `input`
DIM = CLOSED | _DX  # after a size of `input`
BODY = _K | _NM | _LP  # after "(" or "|" of a body, after "=", "," or "->" in a let
EXPR = _NM | _LP  # where a {…} operand starts
# Each group of _TOKEN by number: the terminal it reads ("" for a character that is one) and the bit it needs.
_RENAME = {"INT2": "INT", "ARROW": "->", "SLASH2": "//", "END": "$END", "P": "", "P2": ""}
_GROUP_NAMES = dict.fromkeys(range(_TOKEN.groups + 1), "") | {group: name for name, group in _TOKEN.groupindex.items()}
_GROUPS = [(_RENAME.get(name, name), _NEED.get(name, 0)) for name in _GROUP_NAMES.values()]
_next_token = _TOKEN.match
_SEPARATORS = frozenset(("_NL", ",", "->", ";"))
_OPTION_WORDS = {"TRUE": "boolean", "FALSE": "boolean", "DECIMAL": "decimal", "NAME": "word"}
_OPERATORS = ({"+": "add", "-": "sub"}, {"*": "mul", "//": "floordiv", "/": "truediv"})
_MAX_DEPTH = 100  # deeper nesting is left to lark (and refused after parsing anyway): no RecursionError
_Meta: Any = Meta  # lark does not annotate Meta()
_new_str = str.__new__


@cache
def follows_grammar() -> bool:
    """Whether grammar/symcnn.lark is still the grammar this parser was written for."""
    from .parser import grammar_path  # here: parser imports this module

    return zlib.crc32(grammar_path().read_text(encoding="utf-8").encode()) == GRAMMAR_CRC32


def reads_as_keyword(word: str) -> bool:
    """Whether lark's lexer reads the start of ``word`` (a name) as a layer or statement keyword,
    from this module's regex, compiled already (None: the grammar is not this module's).

    >>> reads_as_keyword("conv1"), reads_as_keyword("convblock"), reads_as_keyword("relu")
    (True, False, True)
    """
    match = _TOKEN.match(word)
    if match is None or match.lastgroup is None:
        return False
    if match.lastgroup == "WORD":  # a whole-word keyword (a branch's needs a "(" after it: no name has one)
        return WORDS.get(match.group("WORD").lower(), "BRANCH_KIND") != "BRANCH_KIND"
    return match.lastgroup in PREFIX_KEYWORDS and match.lastgroup != "_X"


class _Declined(Exception):
    """The text is not one this parser is sure of; lark decides."""


def parse(text: str) -> Tree[Token] | None:
    """The tree lark's parser gives for ``text``, or None to ask lark."""
    if not follows_grammar():
        return None
    try:
        parser = _Parser(text)
        tree = parser.sequence("start", True)
    except (_Declined, RecursionError):
        return None
    return tree if parser.k == "$END" else None


def _tree(data: str, children: list[Any], first: Any, last: Any) -> Tree[Token]:
    """A tree from ``first``'s start to ``last``'s end: tokens, or metas whose container is themselves."""
    meta = _Meta()
    meta.empty = False
    meta.line = meta.container_line = first.line
    meta.column = meta.container_column = first.column
    meta.start_pos = meta.container_start_pos = first.start_pos
    meta.end_line = meta.container_end_line = last.end_line
    meta.end_column = meta.container_end_column = last.end_column
    meta.end_pos = meta.container_end_pos = last.end_pos
    return Tree(data, children, meta)


def _end(pattern: re.Pattern[str], text: str, start: int) -> int:
    found = pattern.match(text, start)
    if found is None:
        raise _Declined
    return found.end()


class _Parser:
    """Recursive descent over the grammar; ``k``, ``s``, ``e`` are the current token's terminal and span."""

    __slots__ = ("depth", "e", "k", "line", "ls", "s", "text")

    def __init__(self, text: str) -> None:
        self.text, self.k = text, ""
        self.s = self.e = self.depth = self.ls = 0  # ls: where the current line starts
        self.line = 1
        self.advance(STATEMENT)

    # -------------------------------------------------------------- tokens

    def advance(self, accepts: int) -> None:
        """Read the next token as lark does in a state that accepts the ``accepts`` words."""
        text = self.text
        match = _next_token(text, self.e)
        if match is None:
            raise _Declined
        group = match.lastindex or 0
        start, end = match.span(group)
        kind, need = _GROUPS[group]
        if kind == "WORD":
            kind = WORDS.get(text[start:end].lower(), "NAME")
            if kind == "BRANCH_KIND" and _BRANCH_AHEAD.match(text, end) is None:
                kind = "NAME"
            need = _NEED[kind]
        if need and (not accepts & need or (accepts & _DX and kind == "NAME")):
            kind, end = self.relex(kind, start, accepts)
        elif not kind:
            kind = text[start]
        self.k, self.s, self.e = kind, start, end

    def relex(self, kind: str, start: int, accepts: int) -> tuple[str, int]:
        """The terminal lark reads where its state lacks the one :data:`_TOKEN` found."""
        text = self.text
        if kind == "_OPTS_OPEN" and accepts & _LP:
            return "_LPAR", start + 1
        if kind == "_X" or (kind == "NAME" and text[start] in "xX"):
            if accepts & _DX:
                return "_DIM_X", start + 1
            if accepts & _NM:
                return "NAME", _end(_NAME, text, start)
        elif kind not in ("_OPTS_OPEN", "_LPAR"):  # a keyword or a name
            if accepts & _DN:
                return "DIM_NAME", _end(_DIM_NAME, text, start)
            if accepts & _NM:
                return "NAME", _end(_NAME, text, start)
        raise _Declined

    def take(self, kind: str, accepts: int) -> Token:
        """The current token, which must be a ``kind``, as lark makes it; then read the next."""
        if self.k != kind:
            raise _Declined
        start, end = self.s, self.e
        value = self.text[start:end]
        token = _new_str(Token, value)
        token.type, token.value, token.start_pos, token.end_pos = kind, value, start, end
        token.line = token.end_line = self.line
        token.column, token.end_column = start - self.ls + 1, end - self.ls + 1
        self.advance(accepts)
        return token

    def skip(self, kind: str, accepts: int) -> None:
        """Check the current token is a ``kind`` (one lark leaves out of the tree), then read the next."""
        if self.k != kind:
            raise _Declined
        self.advance(accepts)

    def separator(self, accepts: int) -> Token:
        """The current separator or let's end; newlines move the line on."""
        newline, end = self.k == "_NL", self.e
        token = self.take(self.k, accepts)
        if newline:  # the next token, read already, gets its line when it is taken
            self.line += token.count("\n")
            self.ls = end
            token.end_line, token.end_column = self.line, 1
        return token

    def listed(self, element: Callable[[], Any], accepts: int) -> list[Any]:
        """Elements between commas, read with ``accepts`` after each comma, up to a ")"; none if it comes first."""
        elements = [] if self.k == ")" else [element()]
        while elements and self.k == ",":
            self.advance(accepts)
            elements.append(element())
        return elements

    def nest(self) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise _Declined

    # -------------------------------------------------------------- statements

    def sequence(self, data: str, top: bool) -> Tree[Token]:
        """Items and separators (at the top, `input` and `let` too): the tree spans them all, separators included."""
        children: list[Any] = []
        first: Any = None
        last: Any = None
        while True:
            kind = self.k
            if kind in _SEPARATORS:
                last = self.separator(STATEMENT)
            elif kind in _UNITS or (top and (kind == "INPUT" or kind == "LET")):
                children.append(
                    self.item() if kind in _UNITS else self.input_decl() if kind == "INPUT" else self.let_def()
                )
                last = children[-1].meta
            else:
                return Tree(data, children, _Meta()) if first is None else _tree(data, children, first, last)
            if first is None:
                first = last

    def input_decl(self) -> Tree[Token]:
        word = self.take("INPUT", _DN)
        sizes = [self.value(DIM, "DIM_NAME", DIM)]
        while len(sizes) < 3:
            if self.k != "_X" and self.k != "_DIM_X":
                raise _Declined
            self.advance(_DN)
            sizes.append(self.value(DIM, "DIM_NAME", DIM))
        return _tree("input_decl", [word, *sizes], word, sizes[2].meta)

    def let_def(self) -> Tree[Token]:
        word = self.take("LET", _NM)
        children: list[Any] = [word, self.take("NAME", _OP)]
        if self.k == "_OPTS_OPEN":
            opening = self.take("_OPTS_OPEN", _NM)
            names = self.listed(lambda: self.take("NAME", 0), _NM)
            children.append(_tree("params", names, opening, self.take(")", 0)))
        self.skip("=", BODY)
        while self.k == "," or self.k == "->" or self.k in _UNITS:
            if self.k in _UNITS:
                children.append(self.item())
            else:
                self.advance(BODY)
            if self.k == "_NL" or self.k == ";":
                return _tree("let_def", children, word, self.separator(STATEMENT))
        raise _Declined

    # -------------------------------------------------------------- items

    def item(self) -> Tree[Token]:
        unit = _UNITS[self.k](self)
        meta = unit.meta
        if self.k != "_X":
            return _tree("item", [unit], meta, meta)
        times = self.take("_X", 0)
        count = self.value()
        repeat = _tree("repeat", [count], times, count.meta)
        return _tree("item", [unit, repeat], meta, repeat.meta)

    def body(self, bar: bool) -> Tree[Token]:
        body = self.sequence("body", False)
        if self.k != ")" and (self.k != "|" or not bar):
            raise _Declined
        return body

    def group(self) -> Tree[Token]:
        self.nest()
        opening = self.take("_LPAR", BODY)
        body = self.body(False)
        self.depth -= 1
        return _tree("group", [body], opening, self.take(")", CLOSED))

    def branch(self) -> Tree[Token]:
        self.nest()
        word = self.take("BRANCH_KIND", _OP | _LP)
        if self.k != "_OPTS_OPEN" and self.k != "_LPAR":
            raise _Declined
        self.advance(BODY)
        children: list[Any] = [word, self.body(True)]
        while self.k == "|":
            self.advance(BODY)
            children.append(self.body(True))
        self.depth -= 1
        return _tree("branch", children, word, self.take(")", CLOSED))

    def block_use(self) -> Tree[Token]:
        name = self.take("NAME", WORD)
        if self.k != "_OPTS_OPEN":
            return _tree("block_use", [name], name, name)
        opening = self.take("_OPTS_OPEN", _NM)
        values = self.listed(lambda: self.value(WORD, "NAME", 0), _NM)
        args = _tree("args", values, opening, self.take(")", CLOSED))
        return _tree("block_use", [name, args], name, args.meta)

    # -------------------------------------------------------------- layers

    def layer(self) -> Tree[Token]:
        """A layer: its keyword (the rule's name), kernel or sizes, and the options that may follow."""
        kind = self.k
        word = self.take(kind, WORD if kind in ("POOL", "SIMPLE", "GAP", "CROP", "RESIZE") else 0)
        if kind in ("CONV", "DWCONV", "UPCONV"):
            sizes = self.sizes()
            children = [_tree("kernel", sizes, sizes[0].meta, sizes[-1].meta)]
            if kind != "DWCONV":
                self.skip("-", 0)
                children.append(self.value())
        elif kind in ("ADAPTIVE_POOL", "UPSAMPLE", "PAD") or (kind == "CROP" and self.k in ("INT", "{")):
            children = self.sizes()
        else:  # fc has a size; a pool may; simple, gap, resize and a bare crop have none
            children = [self.value()] if kind == "FC" or (kind == "POOL" and self.k in ("INT", "{")) else []
        if self.k == "_OPTS_OPEN":
            opening = self.take("_OPTS_OPEN", _NM)
            children.append(_tree("options", self.listed(self.option, _NM), opening, self.take(")", CLOSED)))
        return _tree(kind.lower(), [word, *children], word, children[-1].meta if children else word)

    def sizes(self) -> list[Any]:
        """A size, or two with an x between (lark shifts: dwconv3x3 is a 3×3 kernel, not a repeat)."""
        sizes = [self.value()]
        if self.k == "_X":
            self.advance(0)
            sizes.append(self.value())
        return sizes

    def option(self) -> Tree[Token]:
        name = self.take("NAME", 0)
        self.skip("=", _TF | _NM | _LP)
        kind = self.k
        if kind in _OPTION_WORDS:
            token = self.take(kind, 0)
            value = _tree(_OPTION_WORDS[kind], [token], token, token)
        elif kind == "_LPAR":
            opening = self.take("_LPAR", 0)
            pair = [self.value()]
            self.skip(",", 0)
            pair.append(self.value())
            value = _tree("pair", pair, opening, self.take(")", 0))
        else:
            value = self.value()
        return _tree("option", [name, value], name, value.meta)

    # -------------------------------------------------------------- numbers

    def value(self, after: int = WORD, name: str = "", after_name: int = 0) -> Tree[Token]:
        """A number or a brace; or a ``name``, a symbol: a size of `input`, a block's argument."""
        if self.k == "{":
            return self.brace()
        if self.k == name:
            token = self.take(name, after_name)
            return _tree("symbol", [token], token, token)
        token = self.take("INT", after)
        return _tree("number", [token], token, token)

    def brace(self) -> Tree[Token]:
        self.nest()
        opening = self.take("{", EXPR)
        inner = self.sum()[0]
        self.depth -= 1
        return _tree("brace", [inner], opening, self.take("}", BRACE))

    def sum(self, level: int = 0) -> tuple[Tree[Token], Token, Token]:
        """A sum (a product at level 1), and the tokens it starts and ends with, parentheses included (a container)."""
        left, first, last = self.sum(1) if level == 0 else self.atom()
        while self.k in _OPERATORS[level]:
            data = _OPERATORS[level][self.k]
            self.advance(EXPR)
            right, _, last = self.sum(1) if level == 0 else self.atom()
            left = _tree(data, [left, right], first, last)
        return left, first, last

    def atom(self) -> tuple[Tree[Token], Token, Token]:
        kind = self.k
        if kind == "_LPAR":  # `?atom: "(" sum ")"` passes the sum up, its container grown to the parentheses
            self.nest()
            opening = self.take("_LPAR", EXPR)
            inner = self.sum()[0]
            closing = self.take(")", 0)
            self.depth -= 1
            meta: Any = inner.meta
            meta.container_line, meta.container_column = opening.line, opening.column
            meta.container_start_pos = opening.start_pos
            meta.container_end_line, meta.container_end_column = closing.end_line, closing.end_column
            meta.container_end_pos = closing.end_pos
            return inner, opening, closing
        if kind == "NAME":
            name = self.take("NAME", _OP)
            if self.k != "_OPTS_OPEN":
                return _tree("symbol", [name], name, name), name, name
            self.advance(EXPR)
            children = [name, *self.listed(lambda: self.sum()[0], EXPR)]
            closing = self.take(")", 0)
            return _tree("call", children, name, closing), name, closing
        token = self.take("DECIMAL" if kind == "DECIMAL" else "INT", 0)
        return _tree("fraction" if kind == "DECIMAL" else "number", [token], token, token), token, token


_UNITS: dict[str, Callable[[_Parser], Tree[Token]]] = dict.fromkeys(
    ("CONV", "DWCONV", "POOL", "ADAPTIVE_POOL", "GAP", "FC", "SIMPLE", "UPCONV", "UPSAMPLE", "PAD", "CROP", "RESIZE"),
    _Parser.layer,
)
_UNITS |= {"BRANCH_KIND": _Parser.branch, "NAME": _Parser.block_use, "_LPAR": _Parser.group}
