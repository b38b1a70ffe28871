"""One CSV row per layer, numbers plain, symbolic values as sympy strings.

The first row after the header is the input, index 0, kind ``input``, with only
its shape and (under the convention) its activations; so each numeric column
sums to the network's total. An output shape is ``64x112x112`` (``4096`` when
flat); a symbolic value is ``str(expr)``, which ``sympy.parse_expr`` reads back.

>>> import symcnn
>>> print(table(symcnn.parse("conv3-64 fc10", n=4)), end="")
index,name,kind,output,params,weights,biases,buffers,activations,macs,path
0,input,input,3x4x4,0,0,0,0,48,0,
1,conv3-64,conv,64x4x4,1792,1728,64,0,1024,27648,conv
2,fc10,fc,10,10250,10240,10,0,10,10240,fc
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .printing import plain

if TYPE_CHECKING:
    from ..network import Network
    from ..values import Value

HEADER = ("index", "name", "kind", "output", "params", "weights", "biases", "buffers", "activations", "macs", "path")
COUNTS = HEADER[4:-1]


def value(number: Value) -> str:
    """A value as a CSV cell: digits, or sympy's ``str``.

    >>> from symcnn.values import symbol
    >>> value(138357544), value(2048 * symbol("n") ** 2)
    ('138357544', '2048*n**2')
    """
    return plain(number)


def shape(values: Iterable[Value]) -> str:
    """A shape as ``64x112x112``; symbolic sizes as sympy strings (``64xfloor(n/2)xfloor(n/2)``)."""
    return "x".join(value(size) for size in values)


def table(net: Network, depth: int | None = None) -> str:
    """The CSV text, the input first (index 0), then one row per layer (or folded block, with ``depth``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    input_counts = {quantity: "0" for quantity in COUNTS} | {"activations": value(net.analysis.input_activations)}
    writer.writerow(["0", "input", "input", shape(net.input), *(input_counts[quantity] for quantity in COUNTS), ""])
    for layer in net.rows(depth):
        counts = [value(getattr(layer, quantity)) for quantity in COUNTS]
        writer.writerow([str(layer.index), layer.name, layer.kind, shape(layer.output), *counts, layer.path])
    return buffer.getvalue()
