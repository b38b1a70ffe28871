"""One root error for everything a user can get wrong.

Every failure symcnn reports is a :class:`SymcnnError`; the command line turns
it into a message and exit code 2. Lark's exceptions never escape: the parser
converts them into :class:`NotationSyntaxError` with a caret under the spot.
"""

from __future__ import annotations


class SymcnnError(Exception):
    """Base class of every error symcnn raises on bad input."""


class NotationSyntaxError(SymcnnError):
    """The text does not follow the notation.

    Carries the 1-based ``line`` and ``column`` and a two-line ``context``: the
    offending source line and a caret under the column.
    """

    def __init__(self, reason: str, line: int, column: int, context: str) -> None:
        self.reason = reason
        self.line = line
        self.column = column
        self.context = context
        super().__init__(f"line {line}, column {column}: {reason}\n{context}")


class LayerError(SymcnnError):
    """A layer that parses but cannot be built or applied (bad sizes, options).

    ``where`` names the layer (its index, its text and where it stands).
    """

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"{where}: {reason}")


class SizeError(LayerError):
    """A layer whose output would be smaller than 1 at the given input size."""


class UnknownNameError(SymcnnError):
    """An unknown zoo entry, symbol or option, with the nearest known names."""


def caret_context(text: str, line: int, column: int) -> str:
    """The source line ``line`` of ``text`` with a caret under ``column``.

    >>> print(caret_context("conv3-64\\nfc-x", 2, 4))
    fc-x
       ^
    """
    lines = text.split("\n")  # as the parsers count lines: \r, \f or \u2028 do not end one
    source = lines[min(max(line, 1), len(lines)) - 1].rstrip("\r")
    offset = max(column - 1, 0)
    if len(source) > _CONTEXT_WIDTH:  # show a window around the column, not a huge line
        start = max(0, offset - _CONTEXT_WIDTH // 2)
        window = source[start : start + _CONTEXT_WIDTH]
        prefix = "…" if start else ""
        source = prefix + window + ("…" if start + _CONTEXT_WIDTH < len(source) else "")
        offset = offset - start + len(prefix)
    return f"{source}\n{' ' * offset}^"


_CONTEXT_WIDTH = 80


def shorten_literal(text: str, keep: int = 4) -> str:
    """``text`` for a message: whole when short, else its ends and its length.

    >>> shorten_literal("295,168")
    '295,168'
    >>> shorten_literal("1" * 4301)
    '1111…1111 (4,301 digits)'
    >>> shorten_literal("2^" * 30 + "2")
    '2^2^…^2^2 (61 characters)'
    """
    if len(text) <= _SHORT_LITERAL:
        return text
    unit = "digits" if text.isascii() and text.isdigit() else "characters"
    return f"{text[:keep]}…{text[-keep:]} ({len(text):,} {unit})"


_SHORT_LITERAL = 40
