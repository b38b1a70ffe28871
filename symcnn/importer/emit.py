"""Nested layers and branches as a text in the notation, with ``let`` blocks for repeated submodules.

Consecutive items that ran inside one submodule become a block named after its class
(``Bottleneck_1``); submodules of one class and configuration that give the same text share
the block, and a block used several times in a row is written ``(Bottleneck_2)x3``:

>>> from symcnn.importer.graph import Branch, Layer
>>> a, b = (("layer1.0", "Basic:64"),), (("layer1.1", "Basic:64"),)
>>> body = lambda s: (Branch("res", ((Layer("conv3-64", s), Layer("bn", s)),), s), Layer("relu", s))
>>> print(text((Layer("conv3-64", ()), *body(a), *body(b), Layer("gap", ())), "3xnxn"), end="")
let Basic_1 = res(conv3-64 bn) relu
conv3-64 (Basic_1)x2 gap
"""

from __future__ import annotations

from functools import cache

from .graph import Item, Layer

WIDTH = 100


def text(items: tuple[Item, ...], input_shape: str) -> str:
    """The whole text: the ``input`` line when it is not the default, the blocks, then the layers."""
    writer = _Writer()
    words = writer.sequence(items, frozenset())
    lines = [f"input {input_shape}"] if input_shape != "3xnxn" else []
    lines += writer.lets
    line = ""
    for word in words:
        if line and len(line) + 1 + len(word) > WIDTH:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n".join(lines) + "\n"


@cache
def usable(name: str) -> bool:
    """Whether ``name`` reads back as a block's name (``Conv2dNormActivation`` reads as ``conv2`` …)."""
    from ..errors import SymcnnError
    from ..network import parse

    try:
        parse(f"input 1x1x1\nlet {name} = identity\n{name}")
    except SymcnnError:
        return False
    return True


class _Writer:
    def __init__(self) -> None:
        self.lets: list[str] = []
        self.names: dict[tuple[str, str], str] = {}
        self.counts: dict[str, int] = {}

    def sequence(self, items: tuple[Item, ...], enclosing: frozenset[str]) -> list[str]:
        words: list[str] = []
        index = 0
        while index < len(items):
            head = _head(items[index], enclosing)
            stop = index + 1
            while head is not None and stop < len(items) and _head(items[stop], enclosing) == head:
                stop += 1
            group = items[index:stop]
            if head is None or (len(group) == 1 and isinstance(group[0], Layer)):
                words.extend(self.item(item, enclosing) for item in group)
            else:
                words.append(self.block(head, group, enclosing | {head[0]}))
            index = stop
        return _repeats(words, set(self.names.values()))

    def item(self, item: Item, enclosing: frozenset[str]) -> str:
        if isinstance(item, Layer):
            return item.text
        arms = [" ".join(self.sequence(arm, enclosing)) for arm in item.arms]
        return f"{item.op}({' | '.join(arms)})"

    def block(self, head: tuple[str, str], group: tuple[Item, ...], enclosing: frozenset[str]) -> str:
        body = " ".join(self.sequence(group, enclosing))
        kind = head[1].split(":", 1)[0]
        known = self.names.get((head[1], body))
        if known is not None:
            return known
        number = self.counts.get(kind, 0) + 1
        name = f"{kind}_{number}"
        if not usable(name):
            name = f"block_{kind}_{number}"
        if not usable(name):
            name = f"block_{number}_{sum(self.counts.values())}"
        self.counts[kind] = number
        self.names[(head[1], body)] = name
        self.lets.append(f"let {name} = {body}")
        return name


def _head(item: Item, enclosing: frozenset[str]) -> tuple[str, str] | None:
    """The outermost submodule around ``item`` that is not yet a block around it."""
    for entry in item.scope:
        if entry[0] not in enclosing:
            return entry
    return None


def _repeats(words: list[str], names: set[str]) -> list[str]:
    """Runs of one block written once with a count: ``(Bottleneck_2)x3``."""
    found: list[str] = []
    index = 0
    while index < len(words):
        stop = index + 1
        while stop < len(words) and words[stop] == words[index] and words[index] in names:
            stop += 1
        found.append(words[index] if stop == index + 1 else f"({words[index]})x{stop - index}")
        index = stop
    return found
