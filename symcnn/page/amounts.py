"""Reading one side of a claim exactly, fast: a page repeats a few shapes of arithmetic thousands of times.

The claim grammar of :mod:`symcnn.arithmetic` reads every side; the two commonest
(one number, a product of whole numbers) skip its parser with the grammar's own
meaning, and a value written rounded is read as rounded at its last non-zero
digit (``800K`` for 802,816), as people round.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

from ..arithmetic import MAX_MAGNITUDE, MAX_TEXT_CHARS, Amount, parse_claim, read_number, significant_step

# The grammar's NUMBER (grammar/arithmetic.lark) and a product of whole numbers, for the fast path of read_side.
_FAST_NUMBER = re.compile(
    r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,60}(?:\.[0-9]{1,30})?)[ \t]?(?:KiB|MiB|GiB|TiB|KB|MB|GB|TB|[kKMGTB])?"
)
_MAX_WHOLE = int(MAX_MAGNITUDE)
_FAST_WHOLE = re.compile(r"[0-9]{1,3}(?:,[0-9]{3}){1,5}|[0-9]{1,18}")
_FACTOR = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+")
_FAST_PRODUCT = re.compile(
    r"(?:[0-9]{1,3}(?:,[0-9]{3}){1,5}|[0-9]{1,18})"
    r"(?:[ \t]*[*x×·⋅∙X][ \t]*(?:[0-9]{1,3}(?:,[0-9]{3}){1,5}|[0-9]{1,18}))+"
)


@lru_cache(maxsize=8192)
def read_side(side: str) -> Amount:
    """One side read by the claim grammar (cached: pages repeat their arithmetic).

    The two commonest sides skip the parser, with the grammar's own meaning: one
    number (``3.2M``, read by :mod:`symcnn.arithmetic`'s number reader) and a
    product of whole numbers (``224*224*64``); tests/test_check_page.py checks
    that both paths agree.

    >>> read_side("224*224*64") == parse_claim("224*224*64").left, read_side(" 3.2M") == parse_claim("3.2M").left
    (True, True)
    """
    stripped = side.strip()
    if len(side) > MAX_TEXT_CHARS:
        return parse_claim(side).left  # refused there, with its message
    if _FAST_WHOLE.fullmatch(stripped):
        return Amount(Fraction(int(stripped.replace(",", ""))))
    if _FAST_PRODUCT.fullmatch(stripped):
        value = 1
        for factor in _FACTOR.findall(stripped):
            value *= int(factor.replace(",", ""))
        if value <= _MAX_WHOLE:
            return Amount(Fraction(value))
    elif _FAST_NUMBER.fullmatch(stripped):
        return read_number(stripped)
    return parse_claim(side).left


def loosened(step: Fraction, value: Fraction) -> Fraction:
    """The rounding step of a value written rounded, at its last non-zero digit: 800K is 8 × 100K.

    >>> loosened(Fraction(1000), Fraction(800_000)), loosened(Fraction(100_000), Fraction(3_200_000))
    (Fraction(100000, 1), Fraction(100000, 1))
    """
    return max(step, significant_step(value))
