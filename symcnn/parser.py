"""Text → lark syntax tree, with lark's errors turned into symcnn's.

The grammar lives only in ``grammar/symcnn.lark``. A wheel carries it inside
the package (``symcnn/grammar/symcnn.lark``); a checkout has it beside the
package. :func:`grammar_path` finds either, and the parser is built once, on
first use.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Tree, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .errors import NotationSyntaxError, caret_context
from .fast_parser import follows_grammar
from .fast_parser import parse as fast_parse
from .fast_parser import reads_as_keyword as fast_reads_as_keyword
from .limits import MAX_TEXT_CHARS

_PACKAGE_DIR = Path(__file__).resolve().parent

# How the terminals of the grammar are named in messages.
_LAYER_TERMINALS = {
    "CONV", "DWCONV", "POOL", "ADAPTIVE_POOL", "GAP", "FC", "SIMPLE", "BRANCH_KIND",
    "UPCONV", "UPSAMPLE", "PAD", "CROP", "RESIZE",
}  # fmt: skip
_TERMINAL_WORDS = {
    "INT": "a number",
    "NAME": "a name",
    "DIM_NAME": "a symbol",
    "DECIMAL": "a decimal number",
    "INPUT": "'input'",
    "LET": "'let'",
    "TRUE": "'true'",
    "FALSE": "'false'",
    "_X": "'x' and a number",
    "_DIM_X": "'x'",
    "_OPTS_OPEN": "'(' right after the word",
    "_LPAR": "'('",
    "RPAR": "')'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "EQUAL": "'='",
    "COMMA": "','",
    "MINUS": "'-'",
    "PLUS": "'+'",
    "STAR": "'*'",
    "SLASH": "'/'",
    "VBAR": "'|'",
    "SEMICOLON": "';'",
    "_NL": "a new line",
    "$END": "the end of the text",
}


def grammar_path(name: str = "symcnn.lark") -> Path:
    """A grammar file: inside the installed package, else in the checkout.

    >>> grammar_path().name, grammar_path("arithmetic.lark").name
    ('symcnn.lark', 'arithmetic.lark')
    """
    for candidate in (_PACKAGE_DIR / "grammar" / name, _PACKAGE_DIR.parent / "grammar" / name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"grammar/{name} is missing: the symcnn installation is broken")


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(
        grammar_path().read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=False,
        cache=True,  # lark keys the cached tables by grammar and version: 5 ms instead of 50 ms
    )


def parse_tree(text: str) -> Tree[Token]:
    """Parse ``text`` into a lark tree, or raise :class:`NotationSyntaxError`.

    >>> parse_tree("conv3-64 relu").data
    'start'
    """
    if len(text) > MAX_TEXT_CHARS:
        raise NotationSyntaxError(f"the text is longer than {MAX_TEXT_CHARS:,} characters", 1, 1, "")
    # A final newline ends a `let` on the last line like any other.
    tree = fast_parse(text + "\n")
    if tree is not None:  # the same tree as lark's, without building lark (errors are lark's to report)
        return tree
    try:
        return _parser().parse(text + "\n")
    except UnexpectedInput as error:
        raise _syntax_error(text, error) from None


def _syntax_error(text: str, error: UnexpectedInput) -> NotationSyntaxError:
    line, column = error.line, error.column
    position = error.pos_in_stream if error.pos_in_stream is not None and error.pos_in_stream >= 0 else len(text)
    if isinstance(error, UnexpectedEOF) or line < 1:
        lines = text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
        what = "the text ends too early"
    elif isinstance(error, UnexpectedCharacters):
        what = f"unexpected character {text[position]!r}"
    elif isinstance(error, UnexpectedToken) and (error.token.type == "$END" or position >= len(text)):
        lines = text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
        what = "the text ends too early"
    elif isinstance(error, UnexpectedToken) and error.token.type == "_NL":
        what = "unexpected end of line"
    elif isinstance(error, UnexpectedToken):
        what = f"unexpected {str(error.token)!r}"
    else:  # pragma: no cover - lark has no other UnexpectedInput
        what = "cannot read the text here"
    unknown = _unknown_word_before(text, position)
    if unknown is not None:
        start = position - len(unknown)
        line, column = _line_column(text, start)
        return NotationSyntaxError(
            f"unknown layer or block {unknown!r}{_nearest_word(unknown)}",
            line,
            column,
            caret_context(text, line, column),
        )
    expected = _describe_expected(getattr(error, "expected", None) or getattr(error, "allowed", None) or set())
    reason = f"{what}; expected {expected}" if expected else what
    return NotationSyntaxError(reason, line, column, caret_context(text, line, column))


@lru_cache(maxsize=1)
def _keyword_pattern() -> re.Pattern[str]:
    """The keywords' regexes (terminals of priority 3 but the ``_`` ones), read from the grammar's
    text as lark would write them: building lark for this alone would cost every ``let`` ~6 ms."""
    found = re.findall(r"^([A-Z][A-Z_]*)\.3: /(.*)/(i?)$", grammar_path().read_text(encoding="utf-8"), flags=re.M)
    return re.compile(
        "|".join(f"(?:(?{flags}:{pattern}))" if flags else f"(?:{pattern})" for _, pattern, flags in found)
    )


def reads_as_keyword(word: str) -> bool:
    """Whether ``word`` starts with what the lexer reads as a keyword (``conv1``, ``fc10``, ``relu``).

    >>> reads_as_keyword("conv1"), reads_as_keyword("convblock"), reads_as_keyword("relu_bn")
    (True, False, False)
    """
    if follows_grammar():  # the fast parser's regex is compiled already: no 0.6 ms for another
        return fast_reads_as_keyword(word)
    return _keyword_pattern().match(word) is not None


def _unknown_word_before(text: str, position: int) -> str | None:
    """The word right before an error, when it is no layer keyword (a misspelt layer)."""
    match = re.search(r"[A-Za-z_][A-Za-z0-9_]*$", text[:position])
    if match is None or (match.start() > 0 and text[match.start() - 1] in "{=(,"):
        return None
    word = match.group()
    stem = re.sub(r"[0-9]+$", "", word).lower()
    known = word.lower() in KNOWN_WORDS or stem in KNOWN_WORDS or stem in ("fc", "x", "input", "let")
    return None if known else word


def _nearest_word(word: str) -> str:
    close = difflib.get_close_matches(re.sub(r"[0-9]+$", "", word).lower(), KNOWN_WORDS, n=3, cutoff=0.5)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _line_column(text: str, position: int) -> tuple[int, int]:
    line = text.count("\n", 0, position) + 1
    return line, position - (text.rfind("\n", 0, position) + 1) + 1


# Words that start a layer; a block name must differ from them.
KNOWN_WORDS = (
    "conv", "dwconv", "maxpool", "avgpool", "pool", "gap", "adaptiveavgpool", "adaptivemaxpool", "fc",
    "bn", "relu", "relu6", "sigmoid", "tanh", "silu", "gelu", "softmax", "dropout", "lrn", "flatten", "identity",
    "shuffle", "res", "cat", "mul", "split", "aux", "out", "upconv", "deconv", "upsample", "pad", "crop", "resize",
)  # fmt: skip

# Terminals that only say "another statement could start here".
_STATEMENT_STARTS = {"COMMA", "SEMICOLON", "_NL", "INPUT", "LET", "NAME", "_LPAR", "__ANON_0"}


def _describe_expected(terminals: set[str] | frozenset[str]) -> str:
    words: list[str] = []
    if terminals & _LAYER_TERMINALS:
        words.append("a layer (conv3-64, maxpool, fc4096, relu, …)")
        terminals = set(terminals) - _STATEMENT_STARTS
    for name in sorted(terminals - _LAYER_TERMINALS):
        word = _TERMINAL_WORDS.get(name)
        if word is None:
            word = "'" + name.strip("_").lower() + "'" if not name.startswith("__ANON") else ""
        if word and word not in words:
            words.append(word)
    return ", ".join(words[:-1]) + (" or " if len(words) > 1 else "") + words[-1] if words else ""
