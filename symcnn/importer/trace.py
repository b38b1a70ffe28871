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

import operator
from dataclasses import dataclass, replace
from typing import Any, TypeGuard

import torch
from torch import fx, nn

from ..errors import SymcnnError
from . import layers
from .tracer import Tracer, first_line, propagate, unused


@dataclass(frozen=True)
class Step:
    """One node of the dataflow graph, its inputs given by their indices in the graph."""

    kind: str  # "input", "layer", "merge", "chunk", "part", "output"
    text: str  # a layer's text, a merge's op, a part's number
    inputs: tuple[int, ...]
    where: str  # the module path that ran it ("" at the top)
    scope: tuple[tuple[str, str], ...] = ()  # the module stack: (path, block key) from the outside in
    reads: int = -1  # a resize's: the step whose height and width it takes (``resize(to=…)``)


def trace(module: nn.Module, shape: tuple[int, ...]) -> tuple[list[Step], tuple[tuple[int, ...], ...]]:
    """The dataflow graph of ``module`` on an input of ``shape`` (C, H, W), in the order fx ran it,
    and the shapes of its outputs (without the batch): the main one, then the others.

    The forward is traced in eval mode. When that leaves parameters unused (GoogLeNet's and
    Inception-v3's auxiliary heads run only in training), it is traced again in training mode,
    where the heads run and their results are returned beside the main one: the heads come from
    that trace, exactly as torch runs them. The training trace must reach every parameter, and
    its main path (the steps the main output depends on) must be step for step the eval trace.
    """
    steps, shapes, left = _trace_in(module, shape, training=False)
    if not left:
        return steps, shapes
    try:
        heads, head_shapes, still = _trace_in(module, shape, training=True)
    except SymcnnError:
        # A head may need a larger input than the main path (Inception-v3's needs about 299 where the
        # main path runs from 75): its layers' texts do not depend on the size, so trace it at twice.
        larger = (shape[0], *(2 * size for size in shape[1:]))
        heads, head_shapes, still = _trace_in(module, larger, training=True)
        head_shapes = (shapes[0], *head_shapes[1:])  # the main output's shape at the probe, as the eval trace found
    if still or len(head_shapes) == 1:
        raise SymcnnError(
            f"unsupported: parameters the forward never uses ({', '.join(left)}): "
            "not an auxiliary head that training runs, but an unused module"
        )
    if _main_path(heads) != _main_path(steps) or head_shapes[0] != shapes[0]:
        raise SymcnnError(
            f"unsupported: the training forward of {type(module).__name__} takes another main path than "
            f"the eval one (its auxiliary heads {', '.join(left)} cannot be told apart)"
        )
    return [*heads[:-1], replace(heads[-1], text="aux")], head_shapes


def _trace_in(
    module: nn.Module, shape: tuple[int, ...], training: bool
) -> tuple[list[Step], tuple[tuple[int, ...], ...], list[str]]:
    tracer = Tracer()
    was = module.training
    module.train(training)
    try:
        try:
            graph = tracer.trace(module)
        except Exception as error:  # fx's reasons come as many exception types
            raise SymcnnError(f"torch.fx cannot trace {type(module).__name__}: {first_line(error)}") from None
        left = unused(module, graph)
        gm = fx.GraphModule(tracer.root, graph)
        gm.graph.eliminate_dead_code()  # results computed and never used (timm's DLA projects a shortcut it drops)
        propagate(gm, shape)
        converter = _Converter(gm, dict(module.named_modules()))
        steps = converter.steps()
    finally:
        module.train(was)
    return steps, tuple(_shape(node)[1:] for node in converter.outputs), left


def _main_path(steps: list[Step]) -> list[tuple[str, str, tuple[int, ...], str]]:
    """The steps the main output depends on, renumbered in order (without the output step)."""
    if not steps:
        return []
    needed = {steps[-1].inputs[0]}
    for index in range(len(steps) - 2, -1, -1):
        if index in needed:
            needed.update(steps[index].inputs)
    number = {old: new for new, old in enumerate(sorted(needed))}
    return [
        (step.kind, step.text, tuple(number[i] for i in step.inputs), step.where)
        for index, step in enumerate(steps)
        if index in needed
    ]


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
        self.outputs: list[fx.Node] = []  # the tensors returned: the main one first
        self.constants: set[fx.Node] = set()  # tensors computed from parameters alone

    def constant(self, node: fx.Node) -> bool:
        return node.op == "get_attr" or node in self.constants

    def steps(self) -> list[Step]:
        for node in self.gm.graph.nodes:
            self.node(node)
        return self.found

    def add(self, node: fx.Node, kind: str, text: str, inputs: tuple[int, ...], reads: int = -1) -> None:
        self.index[node] = len(self.found)
        self.found.append(Step(kind, text, inputs, _where(node), _scope(node, self.originals, self.keys), reads))

    def input_of(self, value: Any, node: fx.Node) -> int:
        if isinstance(value, fx.Node) and value in self.index:
            return self.index[value]
        source = value
        while isinstance(source, fx.Node) and source.target is operator.getitem and isinstance(source.args[0], fx.Node):
            source = source.args[0]  # an item of what gave several tensors (torch.split): name that
        if isinstance(source, fx.Node) and source.op != "placeholder" and not self.constant(source):
            raise self.refuse(source)
        raise SymcnnError(
            f"unsupported: {_describe(node, self.modules)} at {_where(node) or 'the top level'} "
            "(an input that is not a traced tensor)"
        )

    def node(self, node: fx.Node) -> None:
        if node.op == "placeholder":
            if self.found:
                raise SymcnnError(f"unsupported: a second input {node.name!r} (the model takes one tensor)")
            self.add(node, "input", "", ())
            return
        if node.op == "output":
            self.outputs = _results(node.args[0])
            if not self.outputs:
                raise SymcnnError("unsupported: the model returns no tensor")
            self.add(node, "output", "out", tuple(self.input_of(result, node) for result in self.outputs))
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
        if all(arg.op == "get_attr" or arg in self.constants for arg in _node_args(node)):
            self.constants.add(node)  # computed from parameters only (γ.reshape(1, -1, 1, 1)): a layer's weight
            return
        if key in _PERMUTE and self.permute(node):
            return
        tensors: list[fx.Node] = [arg for arg in node.args if _tensor(arg) and not self.constant(arg)]
        if node.op == "call_function" and node.target in _CAT:
            arms = node.args[0] if node.args else node.kwargs.get("tensors")
            dim = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim", 0)
            if not isinstance(arms, (list, tuple)) or dim not in (1, -3):
                raise self.refuse(node)
            self.cat(node, tuple(self.input_of(arm, node) for arm in arms))
            return
        if key in _ADD or key in _MUL:
            others = [arg for arg in node.args if not isinstance(arg, fx.Node) and arg != 1]
            if key in _ADD and len(tensors) == 1 and others and all(arg == 0 for arg in others) and not node.kwargs:
                self.index[node] = self.input_of(tensors[0], node)  # x + 0: a branch that is off (MobileOne's)
                return
            if len(tensors) == 2 and not others and not node.kwargs:
                self.add(node, "merge", "res" if key in _ADD else "mul", tuple(self.input_of(t, node) for t in tensors))
                return
            gamma = [arg for arg in node.args if isinstance(arg, fx.Node) and self.constant(arg)]
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
        reads = self.size_source(node)
        text: str | None
        if source in self.last:
            text = self.channels_last(node, _shape(source), _shape(node))
        else:
            text = self.layer(node, _shape(source), _shape(node))
        if text is None:
            self.index[node] = self.input_of(source, node)  # passes its input on
            return
        self.add(node, "layer", text, (self.input_of(source, node),), reads)

    def size_source(self, node: fx.Node) -> int:
        """For ``F.interpolate(x, size=t.shape[-2:])``: the step of ``t``; -1 for any other node."""
        if node.op != "call_function" or getattr(node.target, "__name__", "") != "interpolate":
            return -1
        size = node.args[1] if len(node.args) > 1 else node.kwargs.get("size")
        if not isinstance(size, fx.Node):
            return -1
        tensor = _size_of(size)
        if tensor is None or tensor not in self.index:
            raise SymcnnError(
                f"unsupported: torch.nn.functional.interpolate at {_where(node) or 'the top level'} "
                "to a size that is not a tensor's height and width (t.shape[-2:])"
            )
        return self.index[tensor]

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
        owner = self.originals.get(_where(node))
        normalised = isinstance(owner, nn.LayerNorm) and tuple(owner.normalized_shape) == before[-1:]
        if getattr(node.target, "__name__", "") == "layer_norm" and normalised:
            return "ln(via=functional)"  # a subclass of nn.LayerNorm whose forward calls F.layer_norm (timm's)
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
            owner = self.originals.get(_where(node))
            text = layers.call_text(node.target, node.op, node.args[1:], node.kwargs, before, after, owner)
        if text is layers.UNSUPPORTED:
            raise self.refuse(node)
        return text

    def refuse(self, node: fx.Node) -> SymcnnError:
        return SymcnnError(f"unsupported: {_describe(node, self.modules)} at {_where(node) or 'the top level'}")


def _node_args(node: fx.Node) -> list[fx.Node]:
    return [arg for arg in [*node.args, *node.kwargs.values()] if isinstance(arg, fx.Node)] or [node]


def _results(value: Any) -> list[fx.Node]:
    """The tensors a forward returns, the main one first: a tensor, a tuple or named tuple (the main
    one first, as torchvision's ``GoogLeNetOutputs``), a dict (``"out"`` first, as torchvision's
    segmentation models); ``None`` entries (a head that is off) left out."""
    built = value.target if isinstance(value, fx.Node) and value.op == "call_function" else None
    if isinstance(built, type) and issubclass(built, tuple):  # a named tuple built in the forward
        return _results([*value.args, *value.kwargs.values()])
    if isinstance(value, dict):
        main = value.get("out")
        return _results(
            [main, *(v for k, v in value.items() if k != "out")] if main is not None else list(value.values())
        )
    if isinstance(value, (list, tuple)):
        found = [item for item in value if item is not None]
        if not all(_tensor(item) for item in found):
            raise SymcnnError("unsupported: the model returns something other than tensors")
        return found
    if not _tensor(value):
        raise SymcnnError("unsupported: the model returns something other than a tensor")
    return [value]


def _size_of(size: fx.Node) -> fx.Node | None:
    """The tensor whose height and width ``size`` is: ``t.shape[-2:]``, ``t.size()[2:]``, ``t.shape[2:4]``."""
    if size.op != "call_function" or size.target is not operator.getitem or len(size.args) != 2:
        return None
    shape, cut = size.args
    if not isinstance(shape, fx.Node) or not isinstance(cut, slice) or cut.step not in (None, 1):
        return None
    attribute = shape.op == "call_function" and shape.target is getattr and shape.args[1:] == ("shape",)
    method = shape.op == "call_method" and shape.target == "size" and len(shape.args) == 1
    if not (attribute or method):
        return None
    tensor = shape.args[0]
    if not _tensor(tensor) or len(_shape(tensor)) != 4 or (cut.start, cut.stop) not in ((-2, None), (2, None), (2, 4)):
        return None
    return tensor


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
