"""Input sizes to test a zoo entry at: the sizes a test wants, moved up into the entry's domain.

Most entries accept every n from their smallest on; a U-Net without crops accepts multiples of 16 only,
the paper's U-Net every n from 188 on. A size outside the domain is replaced by the nearest valid size
above it, and as many distinct sizes as were asked for are returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import symcnn


@cache
def valid_sizes(name: str, wanted: Sequence[int]) -> tuple[int, ...]:
    domain = symcnn.parse(name).analysis.domains["n"]
    assert domain is not None, name
    sizes: list[int] = []
    for size in wanted:
        valid = size if domain.contains(size) else domain.nearest(size)[1]
        assert valid is not None
        while valid in sizes:
            following = domain.nearest(valid + 1)[1]
            assert following is not None
            valid = following
        sizes.append(valid)
    return tuple(sizes)
