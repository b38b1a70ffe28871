"""Text in a LaTeX document: escaped, and every character pdflatex's default fonts lack shown as its code."""

from __future__ import annotations

from .latex import escape

_TEXT_SPECIAL = {
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "γ": r"$\gamma$",
    '"': "''",
    "–": "--",
    "—": "---",
}


def text(words: str) -> str:
    r"""Any text safe in LaTeX's text mode with pdflatex's default fonts.

    >>> print(text("res(a | b) -> γ·2 ∑"))
    res(a \textbar{} b) -\textgreater{} $\gamma$$\cdot$2 [U+2211]
    """
    escaped = escape(" ".join(words.split()))
    shown = "".join(_TEXT_SPECIAL.get(character, character) for character in escaped)
    return "".join(character if ord(character) < 128 else f"[U+{ord(character):04X}]" for character in shown)


def tt(words: str) -> str:
    """Typewriter text that may break after a slash, underscores as the font's own (copied as "_")."""
    return r"\texttt{" + text(words).replace("/", r"/\allowbreak{}").replace(r"\_", r"\char95{}") + "}"
