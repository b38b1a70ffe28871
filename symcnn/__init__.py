"""symcnn: exact parameters, activations and MACs of a CNN, as functions of the input size.

Write a network in the VGG paper's notation and get every layer's output shape,
parameters, buffers, activations and multiply-accumulates as exact closed forms
in the input size ``n``, or as integers for any ``n``:

>>> import symcnn
>>> net = symcnn.parse("conv3-64x2 maxpool conv3-128x2 maxpool fc10")
>>> net.layers[2].output
(64, floor(n/2), floor(n/2))
>>> net.at(n=32).params
342090
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .errors import LayerError, NotationSyntaxError, SymcnnError, UnknownNameError

if TYPE_CHECKING:
    from torch import nn

    from . import zoo
    from .closed_form import ClosedForm
    from .network import Network, parse

__all__ = [
    "ClosedForm",
    "LayerError",
    "Network",
    "NotationSyntaxError",
    "SymcnnError",
    "UnknownNameError",
    "from_torch",
    "notation",
    "parse",
    "to_torch",
    "zoo",
]
__version__ = "0.1.0"

# Loaded on first use, so that `symcnn --help` or `symcnn check` do not pay for the
# notation's parser, and nothing here pays for sympy.
_LAZY = {"ClosedForm": "closed_form", "Network": "network", "parse": "network", "zoo": "zoo"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'symcnn' has no attribute {name!r}")
    loaded = import_module(f".{module}", __name__)
    value = loaded if name == module else getattr(loaded, name)
    globals()[name] = value
    return value


def to_torch(network: Network, **kwargs: Any) -> nn.Sequential:
    """The PyTorch module the text describes (needs the ``symcnn[torch]`` extra)."""
    from .export_torch import to_torch as export

    return export(network, **kwargs)


def from_torch(module: nn.Module, input: str = "3xnxn", sizes: dict[str, int] | None = None) -> Network:
    """The :class:`Network` of a PyTorch model, traced with torch.fx (see :func:`notation`)."""
    from .importer import from_torch as load

    return load(module, input, sizes)


def notation(module: nn.Module, input: str = "3xnxn", sizes: dict[str, int] | None = None) -> str:
    """The text in the notation of a PyTorch model, its input ``CxHxW`` (sizes may be symbols), checked
    against torch at the probe size (each symbol 224 unless ``sizes`` says)."""
    from .importer import notation as write

    return write(module, input, sizes)
