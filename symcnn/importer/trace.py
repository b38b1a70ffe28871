"""Trace a PyTorch module with torch.fx into a small dataflow graph of symcnn layers.

Every fx node that computes a tensor becomes a :class:`Step`: a layer with its text in the
notation (``conv3-64(bias=false)``), a merge (``res``, ``cat``, ``mul``), a channel ``chunk`` and
its ``part``\\ s, the ``input`` or the ``output``. Nodes that only pass their input on
(``x.contiguous()``, a flatten of flat features) are skipped; nodes that compute sizes, not
tensors (``x.size(0)``), are ignored. Shapes come from one run on fake tensors at the probe size.
The layers' texts are made by :mod:`symcnn.importer.layers`; the graph goes on to
:mod:`symcnn.importer.graph`.
"""

from __future__ import annotations

import contextlib
import io
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeGuard

import torch
from torch import fx, nn
from torch.fx.passes.shape_prop import ShapeProp

from ..errors import SymcnnError
from . import layers


@dataclass(frozen=True)
class Step:
    """One node of the dataflow graph, its inputs given by their indices in the graph."""

    kind: str  # "input", "layer", "merge", "chunk", "part", "output"
    text: str  # a layer's text, a merge's op, a part's number
    inputs: tuple[int, ...]
    where: str  # the module path that ran it ("" at the top)
    scope: tuple[tuple[str, str], ...] = ()  # the module stack: (path, block key) from the outside in


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


class _Tracer(fx.Tracer):
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


def trace(module: nn.Module, shape: tuple[int, ...]) -> tuple[list[Step], tuple[int, ...]]:
    """The dataflow graph of ``module`` on an input of ``shape`` (C, H, W), in the order fx ran it,
    and the output's shape at that size (without the batch)."""
    tracer = _Tracer()
    try:
        graph = tracer.trace(module)
    except Exception as error:  # fx's reasons come as many exception types
        raise SymcnnError(f"torch.fx cannot trace {type(module).__name__}: {_first_line(error)}") from None
    gm = fx.GraphModule(tracer.root, graph)
    _unused(module, graph)
    _propagate(gm, shape)
    steps = _Converter(gm, dict(module.named_modules())).steps()
    output = next(node for node in gm.graph.nodes if node.op == "output").args[0]
    return steps, _shape(output)[1:] if _tensor(output) else ()


def _unused(module: nn.Module, graph: fx.Graph) -> None:
    """Refuse parameters that the traced forward never reaches (an auxiliary head run only in training)."""
    used = [str(node.target) for node in graph.nodes if node.op in ("call_module", "get_attr")]
    left: list[str] = []
    for name, _ in [*module.named_parameters(), *module.named_buffers()]:
        if not any(name == path or name.startswith(f"{path}.") for path in used):
            owner = name.rsplit(".", 1)[0] if "." in name else name
            top = owner.split(".")[0]
            if top not in left:
                left.append(top)
    if left:
        raise SymcnnError(
            f"unsupported: parameters the forward never uses in eval mode ({', '.join(left)}): "
            "an auxiliary head or an unused module"
        )


def _propagate(gm: fx.GraphModule, shape: tuple[int, ...]) -> None:
    """Shapes on every node: on meta tensors for a model on meta, else on fake tensors (no compute)."""
    from torch._subclasses.fake_tensor import FakeTensorMode

    device = next((p.device for p in [*gm.parameters(), *gm.buffers()]), torch.device("cpu"))
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # ShapeProp prints the traceback it then raises
            if device.type == "meta":
                ShapeProp(gm).propagate(torch.empty((2, *shape), device="meta"))
            else:
                mode = FakeTensorMode(allow_non_fake_inputs=True)
                with mode:
                    x = torch.empty((2, *shape), device=device)  # two: a batch norm without running stats
                ShapeProp(gm, fake_mode=mode).propagate(x)
    except Exception as error:
        while error.__cause__ is not None and isinstance(error.__cause__, Exception):
            error = error.__cause__
        size = "×".join(str(s) for s in shape)
        raise SymcnnError(f"the model does not run on a {size} input: {_first_line(error)}") from None


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _tensor(node: Any) -> TypeGuard[fx.Node]:
    return isinstance(node, fx.Node) and "tensor_meta" in node.meta and hasattr(node.meta["tensor_meta"], "shape")


def _shape(node: fx.Node) -> tuple[int, ...]:
    return tuple(int(size) for size in node.meta["tensor_meta"].shape)


_ADD = {operator.add, operator.iadd, torch.add, "add", "add_"}
_MUL = {operator.mul, operator.imul, torch.mul, "mul", "mul_"}
_CAT = {torch.cat, torch.concat}
_CHUNK = {torch.chunk, "chunk"}
_PASS = {"contiguous", "clone", "detach"}
_PERMUTE = {torch.permute, "permute"}


def _name(target: Any, op: str) -> str:
    """An fx target as a reader knows it: ``torch.roll``, ``Tensor.roll``, ``operator.floordiv``."""
    if op == "call_method":
        return f"Tensor.{target}"
    module = getattr(target, "__module__", None) or ""
    name = getattr(target, "__name__", str(target))
    if module.startswith("torch.nn.functional") or module == "torch.nn.functional":
        return f"torch.nn.functional.{name}"
    if module in ("_operator", "operator"):
        return f"operator.{name}"
    if module.startswith("torch") or module == "":
        return f"torch.{name}"
    return f"{module}.{name}"


class _Converter:
    """Walks the fx graph once, node by node, into steps."""

    def __init__(self, gm: fx.GraphModule, originals: dict[str, nn.Module]) -> None:
        self.gm = gm
        self.originals = originals  # the user's modules, with their classes (gm's are plain Modules)
        self.modules = dict(gm.named_modules())
        self.found: list[Step] = []
        self.index: dict[fx.Node, int] = {}
        self.cats: dict[tuple[int, ...], int] = {}
        self.last: set[fx.Node] = set()  # tensors in channels-last order (after a permute)
        self.keys: dict[str, str] = {}

    def steps(self) -> list[Step]:
        for node in self.gm.graph.nodes:
            self.node(node)
        return self.found

    def add(self, node: fx.Node, kind: str, text: str, inputs: tuple[int, ...]) -> None:
        self.index[node] = len(self.found)
        self.found.append(Step(kind, text, inputs, _where(node), _scope(node, self.originals, self.keys)))

    def input_of(self, value: Any, node: fx.Node) -> int:
        if not isinstance(value, fx.Node) or value not in self.index:
            raise SymcnnError(
                f"unsupported: {_describe(node)} at {_where(node) or 'the top level'} "
                "(an input that is not a traced tensor)"
            )
        return self.index[value]

    def node(self, node: fx.Node) -> None:
        if node.op == "placeholder":
            if self.found:
                raise SymcnnError(f"unsupported: a second input {node.name!r} (the model takes one tensor)")
            self.add(node, "input", "", ())
            return
        if node.op == "output":
            result = node.args[0]
            if not isinstance(result, fx.Node):
                raise SymcnnError(
                    "unsupported: the model returns several outputs (a tuple or a dict); symcnn follows one"
                )
            self.add(node, "output", "", (self.input_of(result, node),))
            return
        key = node.target if node.op != "call_module" else None
        if key in _CHUNK and _tensor(node.args[0]):
            parts, dim = _chunk_args(node)
            if dim not in (1, -3):
                raise self.refuse(node)
            self.add(node, "chunk", str(parts), (self.input_of(node.args[0], node),))
            return
        source = node.args[0] if node.args else None
        if node.op == "call_function" and node.target is operator.getitem and isinstance(source, fx.Node):
            if source not in self.index:
                return  # an item of a size
            if self.found[self.index[source]].kind == "chunk":
                self.add(node, "part", str(node.args[1]), (self.index[source],))
                return
            raise self.refuse(node)
        if node.op == "get_attr" or not _tensor(node):
            return  # a parameter read by a later node, or a size computed from a shape
        if key in _PERMUTE and self.permute(node):
            return
        tensors: list[fx.Node] = [arg for arg in node.args if _tensor(arg) and arg.op != "get_attr"]
        if node.op == "call_function" and node.target in _CAT:
            arms = node.args[0] if node.args else node.kwargs.get("tensors")
            dim = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim", 0)
            if not isinstance(arms, (list, tuple)) or dim not in (1, -3):
                raise self.refuse(node)
            self.cat(node, tuple(self.input_of(arm, node) for arm in arms))
            return
        if key in _ADD or key in _MUL:
            others = [arg for arg in node.args[1:] if not isinstance(arg, fx.Node) and arg != 1]
            if len(tensors) == 2 and not others and not node.kwargs:
                self.add(node, "merge", "res" if key in _ADD else "mul", tuple(self.input_of(t, node) for t in tensors))
                return
            gamma = [arg for arg in node.args if isinstance(arg, fx.Node) and arg.op == "get_attr"]
            if key in _MUL and len(tensors) == 1 and len(gamma) == 1:
                self.add(node, "layer", "layerscale(via=functional)", (self.input_of(tensors[0], node),))
                return
            raise self.refuse(node)
        if key in _PASS or not tensors:
            if len(tensors) == 1:
                self.index[node] = self.input_of(tensors[0], node)
                if tensors[0] in self.last:
                    self.last.add(node)
                return
            raise self.refuse(node)
        if len(tensors) != 1:
            raise self.refuse(node)
        (source,) = tensors
        text: str | None
        if source in self.last:
            text = self.channels_last(node, _shape(source), _shape(node))
        else:
            text = self.layer(node, _shape(source), _shape(node))
        if text is None:
            self.index[node] = self.input_of(source, node)  # passes its input on
            return
        self.add(node, "layer", text, (self.input_of(source, node),))

    def permute(self, node: fx.Node) -> bool:
        """``x.permute(0, 2, 3, 1)`` into a channels-last view and back (ConvNeXt's blocks): no layer."""
        dims = node.args[1:] if len(node.args) > 2 else node.args[1] if len(node.args) > 1 else node.kwargs.get("dims")
        source = node.args[0]
        order = tuple(int(d) for d in dims) if isinstance(dims, (list, tuple)) else ()
        if not isinstance(source, fx.Node) or order not in ((0, 2, 3, 1), (0, 3, 1, 2)):
            return False
        if (order == (0, 2, 3, 1)) == (source in self.last):
            return False
        if order == (0, 2, 3, 1):
            self.last.add(node)
        self.index[node] = self.input_of(source, node)
        return True

    def channels_last(self, node: fx.Node, before: tuple[int, ...], after: tuple[int, ...]) -> str:
        """A layer on a channels-last map: nn.Linear over the channels, nn.LayerNorm, an activation."""
        self.last.add(node)
        if node.op == "call_module":
            module = self.modules[str(node.target)]
            name = type(module).__name__
            if name == "Linear":
                return f"conv1-{module.out_features}" + layers.options(
                    [("via", "linear")] + ([] if module.bias is not None else [("bias", "false")])
                )
            if name == "LayerNorm" and tuple(module.normalized_shape) == before[-1:]:
                return "ln"
        text = self.layer(node, before, after)
        if text is None or text.split("(")[0] not in layers.ELEMENTWISE:
            raise self.refuse(node)
        return text

    def cat(self, node: fx.Node, inputs: tuple[int, ...]) -> None:
        """A concatenation; one of a longer prefix already made is that cat and the rest (DenseNet's)."""
        if len(inputs) == 1:
            self.index[node] = inputs[0]
            return
        original = inputs
        for length in range(len(inputs) - 1, 1, -1):
            earlier = self.cats.get(inputs[:length])
            if earlier is not None:
                inputs = (earlier, *inputs[length:])
                break
        self.add(node, "merge", "cat", inputs)
        self.cats.setdefault(original, self.index[node])

    def layer(self, node: fx.Node, before: tuple[int, ...], after: tuple[int, ...]) -> str | None:
        if node.op == "call_module":
            module = self.modules[str(node.target)]
            text = layers.module_text(module, before, after)
        else:
            text = layers.call_text(node.target, node.op, node.args[1:], node.kwargs, before, after)
        if text is layers.UNSUPPORTED:
            raise self.refuse(node)
        return text

    def refuse(self, node: fx.Node) -> SymcnnError:
        return SymcnnError(f"unsupported: {_describe(node, self.modules)} at {_where(node) or 'the top level'}")


def _chunk_args(node: fx.Node) -> tuple[int, Any]:
    args = list(node.args[1:])
    parts = args[0] if args else node.kwargs.get("chunks")
    dim = args[1] if len(args) > 1 else node.kwargs.get("dim", 0)
    if not isinstance(parts, int):
        raise SymcnnError(f"unsupported: {_describe(node)} at {_where(node) or 'the top level'} (chunks not a number)")
    return parts, dim


def _describe(node: fx.Node, modules: dict[str, nn.Module] | None = None) -> str:
    if node.op == "call_module" and modules is not None:
        kind = type(modules[str(node.target)])
        module = kind.__module__
        if module.startswith("torch.nn.modules"):
            module = "torch.nn"
        return f"{module}.{kind.__qualname__}"
    return _name(node.target, node.op)


def _where(node: fx.Node) -> str:
    if node.op == "call_module":
        return str(node.target)
    stack = node.meta.get("nn_module_stack") or {}
    if not stack:
        return ""
    path = list(stack.values())[-1][0]
    return str(path)


def _scope(node: fx.Node, modules: dict[str, nn.Module], keys: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """The modules around ``node`` with the key that says which of them are the same block."""
    stack = node.meta.get("nn_module_stack") or {}
    paths = [str(path) for path, _ in stack.values()]
    if node.op == "call_module":
        paths = [path for path in paths if path != str(node.target)]
    found = []
    for path in paths:
        module = modules.get(path)
        if module is not None and path:
            if path not in keys:
                keys[path] = layers.block_key(module)
            found.append((path, keys[path]))
    return tuple(found)
