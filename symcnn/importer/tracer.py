"""torch.fx's tracer as the import needs it, and one run on fake tensors for every node's shape.

Some modules are kept whole although fx could trace into them (torchvision's ``StochasticDepth``,
ConvNeXt's ``LayerNorm2d`` …: the notation has one layer for each), symcnn's own exported
``Branch`` is traced without its run-time shape check, and a forward may be traced in training
mode to reach the auxiliary heads that only run there.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from typing import Any

import torch
from torch import fx, nn
from torch.fx.passes.shape_prop import ShapeProp

from ..errors import SymcnnError


def _leaf_types() -> tuple[type[nn.Module], ...]:
    """Module types kept whole although fx would trace into them."""
    found: list[type[nn.Module]] = []
    try:
        from torchvision.ops import StochasticDepth  # type: ignore[import-untyped]

        found.append(StochasticDepth)
    except ImportError:  # pragma: no cover - torchvision is optional
        pass
    return tuple(found)


_LEAF_NAMES = {"LayerNorm2d", "ChannelNorm", "LayerScale", "BlockLayerScale"}


def _wrapped_functions() -> tuple[Callable[..., Any], ...]:
    try:
        from torchvision.models.shufflenetv2 import channel_shuffle  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - torchvision is optional
        return ()
    return (channel_shuffle,)


class Tracer(fx.Tracer):
    """fx's tracer with symcnn's own branch module traced by hand (its forward checks shapes)."""

    def __init__(self) -> None:
        super().__init__(autowrap_functions=_wrapped_functions())
        self.leaves = _leaf_types()

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        if isinstance(m, self.leaves) or type(m).__name__ in _LEAF_NAMES:
            return True
        return super().is_leaf_module(m, module_qualified_name)

    def call_module(
        self, m: nn.Module, forward: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        if type(m).__name__ == "Branch" and type(m).__module__ == "symcnn.torch_modules" and not m.cropped:
            return super().call_module(m, lambda x: _branch_forward(m, x), args, kwargs)
        if type(m).__name__ == "RememberSize":
            return args[0]
        return super().call_module(m, forward, args, kwargs)


def _branch_forward(branch: Any, x: Any) -> Any:
    """:class:`symcnn.torch_modules.Branch`'s forward without its run-time shape check."""
    names = branch.names
    chunks = x.chunk(len(names), dim=1) if branch.op == "split" else (x,) * len(names)
    outputs = [branch.get_submodule(name)(chunks[number]) for number, name in enumerate(names)]
    if branch.op in ("cat", "split"):
        return torch.cat(outputs, dim=1)
    merged = outputs[0]
    for output in outputs[1:]:
        merged = merged + output if branch.op == "res" else merged * output
    return merged


def unused(module: nn.Module, graph: fx.Graph) -> list[str]:
    """The top-level submodules holding parameters or buffers the traced forward never reaches
    (an auxiliary head that runs only in training, or a module never called)."""
    used = {str(node.target) for node in graph.nodes if node.op in ("call_module", "get_attr")}
    # A module whose forward reads its own tensors (F.batch_norm in timm's BatchNormAct2d) uses them all,
    # its batch counter too, which eval mode never reads.
    used |= {str(node.target).rpartition(".")[0] for node in graph.nodes if node.op == "get_attr"}
    left: list[str] = []
    for name, _ in [*module.named_parameters(), *module.named_buffers()]:
        parts = name.split(".")
        if not any(".".join(parts[:end]) in used for end in range(1, len(parts) + 1)):
            top = name.split(".")[0]
            if top not in left:
                left.append(top)
    return left


def propagate(gm: fx.GraphModule, shape: tuple[int, ...]) -> None:
    """Shapes on every node, from one run on the meta device (no compute).

    A model on another device runs with meta stand-ins for its parameters and buffers, swapped in
    for the run only: a tenth of the time fake tensors take, which copy the whole model first (1 s of
    resnet152's 1.4). A model that keeps other tensors (not parameters or buffers) runs on fake tensors.
    """
    x = torch.empty((2, *shape), device="meta")  # two: a batch norm without running stats
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # ShapeProp prints the traceback it then raises
            try:
                _on_meta(gm, x)
            except Exception:
                from torch._subclasses.fake_tensor import FakeTensorMode

                mode = FakeTensorMode(allow_non_fake_inputs=True)
                device = next((p.device for p in [*gm.parameters(), *gm.buffers()]), torch.device("cpu"))
                with mode:
                    x = torch.empty((2, *shape), device=device)
                ShapeProp(gm, fake_mode=mode).propagate(x)
    except Exception as error:
        while error.__cause__ is not None and isinstance(error.__cause__, Exception):
            error = error.__cause__
        size = "×".join(str(s) for s in shape)
        raise SymcnnError(f"the model does not run on a {size} input: {first_line(error)}") from None


def _on_meta(gm: fx.GraphModule, x: torch.Tensor) -> None:
    from torch.nn.utils.stateless import _reparametrize_module

    tensors = {name: tensor for name, tensor in [*gm.named_parameters(), *gm.named_buffers()]}
    if all(tensor.device.type == "meta" for tensor in tensors.values()):
        _Shapes(gm).propagate(x)
        return
    stand_ins = {name: torch.empty_like(tensor, device="meta") for name, tensor in tensors.items()}
    with _reparametrize_module(gm, stand_ins):
        _Shapes(gm).propagate(x)


class _Shapes(ShapeProp):
    """ShapeProp that passes a batch norm's input on: its shape is the input's (on meta, torch would
    decompose it into a dozen ops, a third of the run)."""

    def call_module(self, target: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        module = self.fetch_attr(str(target))
        if isinstance(module, nn.modules.batchnorm._BatchNorm) and len(args) == 1 and not kwargs:
            x = args[0]
            if isinstance(x, torch.Tensor) and x.dim() in (2, 4) and x.shape[1] == module.num_features:
                return torch.empty_like(x)
        return super().call_module(target, args, kwargs)


def first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
