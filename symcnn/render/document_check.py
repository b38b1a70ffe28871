"""The derivation document's check: each formula, worked out from its own numbers, gives the analysis' value.

A formula is a function of a getter (the int of each value put into it). With
every symbol given it is worked out once; with symbols free, at a few sample
values of them (the input sizes from their least valid value on, the other
symbols small numbers). A sample where a value is not a whole number (a
symbolic channel count not divisible) is skipped; a formula that gives another
number than the analysis raises :class:`AssertionError`.

>>> import symcnn
>>> net = symcnn.parse("maxpool")  # n free: the output size is ⌊n/2⌋
>>> n, out = net.input[1], net.layers[0].output[1]
>>> Check(net).agree("output size", lambda at: at(n) // 2, out)
>>> Check(net).agree("output size", lambda at: (at(n) + 1) // 2, out)
Traceback (most recent call last):
...
AssertionError: output size: the formula gives 2, the analysis 1 at {'n': 3}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..values import Value, as_expr, as_int

if TYPE_CHECKING:
    from ..network import Network

# Offsets from the least valid input size, and values of the other free symbols,
# at which each formula is checked against the analysis while symbols are free.
_SIZE_OFFSETS = (0, 1, 2, 5, 30, 97)
_OTHER_VALUES = (3, 1, 2, 5, 4, 7)
_UNKNOWN_LEAST = 32

Getter = Callable[[Value], int]


class Check:
    """Works a formula out in Python ints and compares it with the analysis' value.

    With every symbol given, once; with symbols free, at a few sample values of
    them (the input sizes from their least valid value on).
    """

    def __init__(self, net: Network) -> None:
        least = net.analysis.smallest_valid
        self.samples: list[dict[str, int]] = []
        for index in range(len(_SIZE_OFFSETS)):
            sample = {}
            for name in net.symbols:
                if name in least:
                    sample[name] = (least[name] or _UNKNOWN_LEAST) + _SIZE_OFFSETS[index]
                else:
                    sample[name] = _OTHER_VALUES[index]
            self.samples.append(sample)
            if not sample:
                break
        self._cache: dict[tuple[int, Value], int | None] = {}

    def _at(self, value: Value, index: int) -> int | None:
        number = as_int(value)
        if number is not None:
            return number
        key = (index, value)
        if key not in self._cache:
            from .expressions import value_at

            self._cache[key] = value_at(as_expr(value), self.samples[index])
        return self._cache[key]

    def agree(self, what: str, formula: Callable[[Getter], int], value: Value) -> None:
        """Raise AssertionError unless ``formula`` gives ``value`` (at every sample where both are whole)."""
        for index, sample in enumerate(self.samples):

            def at(item: Value, index: int = index) -> int:
                number = self._at(item, index)
                if number is None:
                    raise NotWhole
                return number

            try:
                mine, theirs = formula(at), at(value)
            except (NotWhole, ZeroDivisionError):
                continue
            if mine != theirs:
                where = f" at {sample}" if sample else ""
                raise AssertionError(f"{what}: the formula gives {mine}, the analysis {theirs}{where}")


class NotWhole(Exception):
    """A value that is not a whole number at a sample (a symbolic channel count not divisible)."""


def exact(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` when it is a whole number (raises :class:`NotWhole` otherwise)."""
    if numerator % denominator:
        raise NotWhole
    return numerator // denominator
