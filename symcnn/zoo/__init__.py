"""The zoo: well-known networks written in the notation, one file each.

Names follow torchvision where torchvision has the model (``vgg16``,
``alexnet``); the VGG paper's configurations are ``vgg-a`` … ``vgg-e``.
"""

from __future__ import annotations

import difflib
import os
from functools import lru_cache

from ..errors import UnknownNameError

_SUFFIX = ".txt"
# The entries are files beside this module, in a checkout and in an installed wheel alike
# (importlib.resources would cost a fresh process ~0.5 ms more per first lookup).
_FOLDER = os.path.dirname(os.path.abspath(__file__))


@lru_cache(maxsize=1)
def names() -> tuple[str, ...]:
    """The names of every zoo entry, sorted.

    >>> "vgg16" in names()
    True
    """
    return tuple(sorted(name[: -len(_SUFFIX)] for name in os.listdir(_FOLDER) if name.endswith(_SUFFIX)))


def text(name: str) -> str:
    """The notation of zoo entry ``name`` (case-insensitive).

    >>> text("lenet5").splitlines()[0].startswith("#")
    True
    """
    key = name.lower()
    if key not in names():
        close = difflib.get_close_matches(key, names(), n=3, cutoff=0.4)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `symcnn zoo` lists them"
        raise UnknownNameError(f"unknown zoo entry {name!r}{hint}")
    with open(os.path.join(_FOLDER, key + _SUFFIX), encoding="utf-8") as entry:
        return entry.read()


def summary(name: str) -> str:
    """The first comment line of an entry: what the network is and its source."""
    first = text(name).splitlines()[0]
    return first.lstrip("# ").strip()
