"""Import a PyTorch model: its notation text, and the :class:`~symcnn.network.Network` it reads as.

torch.fx traces the module (layers it knows kept whole), every node becomes a layer of the notation
(:mod:`.layers`, :mod:`.trace`), the dataflow graph becomes nested branches (:mod:`.graph`) and
the text is written with ``let`` blocks for repeated submodules (:mod:`.emit`). Auxiliary heads that
only training runs (GoogLeNet's, Inception-v3's) come from a second trace in training mode and become
``aux(…)``; further outputs a forward returns (a segmentation model's ``"aux"``) become ``out(…)``;
``F.interpolate(x, size=t.shape[-2:])`` becomes ``resize(to=input)`` or ``resize(to=branch)``. The
text is checked against the module at the probe size: parameters, buffers and every output's shape
must agree.
Needs torch; :mod:`.spec` loads a model from the command line's ``SPEC`` without it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..errors import SymcnnError

if TYPE_CHECKING:
    from torch import nn

    from ..network import Network

PROBE = 224
_INPUT = re.compile(r"^\s*([0-9]+)x([A-Za-wyz_][A-Za-wyz0-9_]*|[0-9]+)x([A-Za-wyz_][A-Za-wyz0-9_]*|[0-9]+)\s*$")


def read_input(text: str, sizes: dict[str, int] | None = None) -> tuple[tuple[int, int, int], dict[str, int]]:
    """The probe shape of an input ``CxHxW`` and the values it gives its symbols (224 unless given).

    >>> read_input("3xnxn")
    ((3, 224, 224), {'n': 224})
    >>> read_input("1xhxw", {"h": 32, "w": 48})
    ((1, 32, 48), {'h': 32, 'w': 48})
    """
    match = _INPUT.match(text)
    if match is None:
        raise SymcnnError(f"input {text!r}: expected CxHxW, such as 3xnxn or 3x224x224")
    values: dict[str, int] = {}
    dims = []
    for part in match.groups()[1:]:
        if part.isdigit():
            dims.append(int(part))
        else:
            values[part] = (sizes or {}).get(part, PROBE)
            dims.append(values[part])
    return (int(match.group(1)), dims[0], dims[1]), values


def notation(module: nn.Module, input: str = "3xnxn", sizes: dict[str, int] | None = None) -> str:
    """The text of ``module`` in the notation, its input ``CxHxW`` (sizes may be symbols).

    The module is traced in eval mode and run once on fake tensors at the probe size (each
    symbol 224, or as ``sizes`` says); the text is checked against it there.
    """
    from ..network import parse
    from .emit import text
    from .graph import decompose
    from .trace import trace

    shape, values = read_input(input, sizes)
    steps, outputs = trace(module, shape)
    written = text(decompose(steps), input.strip())
    fixed = parse(written).at(**values)
    params = sum(p.numel() for p in module.parameters())
    buffers = sum(b.numel() for b in module.buffers())
    # Every output torch returns in eval mode: the main one, then the side ones (out(…)) in any order.
    found = [tuple(int(str(size)) for size in shape) for _, shape in fixed.analysis.outputs]
    expected = outputs if steps[-1].text == "out" else outputs[:1]  # aux(…) heads return nothing in eval mode
    if (fixed.params, fixed.buffers, found[-1], sorted(found[:-1])) != (
        params,
        buffers,
        expected[0],
        sorted(expected[1:]),
    ):
        raise SymcnnError(
            f"the import of {type(module).__name__} disagrees with torch at {values or shape}: "
            f"params {fixed.params} vs {params}, buffers {fixed.buffers} vs {buffers}, "
            f"outputs {found[-1:] + found[:-1]} vs {list(expected)}"
        )
    return written


def from_torch(module: nn.Module, input: str = "3xnxn", sizes: dict[str, int] | None = None) -> Network:
    """The :class:`~symcnn.network.Network` of ``module`` (see :func:`notation`)."""
    from ..network import parse

    return parse(notation(module, input, sizes))
