"""The zoo: well-known networks written in the notation, one file each.

Names follow torchvision where torchvision has the model (``vgg16``,
``alexnet``); the VGG paper's configurations are ``vgg-a`` … ``vgg-e``.
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from importlib import resources

from ..errors import UnknownNameError

_SUFFIX = ".txt"


@lru_cache(maxsize=1)
def names() -> tuple[str, ...]:
    """The names of every zoo entry, sorted.

    >>> "vgg16" in names()
    True
    """
    files = resources.files(__name__).iterdir()
    return tuple(sorted(f.name[: -len(_SUFFIX)] for f in files if f.name.endswith(_SUFFIX)))


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
    return resources.files(__name__).joinpath(key + _SUFFIX).read_text(encoding="utf-8")


def summary(name: str) -> str:
    """The first comment line of an entry: what the network is and its source."""
    first = text(name).splitlines()[0]
    return first.lstrip("# ").strip()
