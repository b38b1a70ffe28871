"""A PyTorch layer (a module, a functional call or a tensor method) as a layer of the notation.

:func:`module_text` and :func:`call_text` give the text (``None`` when the layer passes its input
on unchanged, :data:`UNSUPPORTED` when symcnn has no such layer); the formatting helpers need no
torch:

>>> pair((3, 3)), pair((1, 7)), number(0.001), number(2.0)
('3', '(1, 7)', '0.001', '2')
>>> number(1e-05)
'0.00001'
>>> options([("stride", "2"), ("bias", "false")])
'(stride=2, bias=false)'
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

UNSUPPORTED = "\0unsupported"
TARGET = "\0target"  # in ``resize(to=…)``: input or branch, which only the dataflow graph tells
ELEMENTWISE = {"relu", "relu6", "silu", "gelu", "sigmoid", "tanh", "hardswish", "hardsigmoid", "dropout", "identity"}

_ACTIVATIONS = {
    "ReLU": "relu",
    "ReLU6": "relu6",
    "SiLU": "silu",
    "GELU": "gelu",
    "Sigmoid": "sigmoid",
    "Tanh": "tanh",
    "Hardswish": "hardswish",
    "Hardsigmoid": "hardsigmoid",
}
_FUNCTIONAL_ACTIVATIONS = {
    "relu": "relu",
    "relu_": "relu",
    "relu6": "relu6",
    "silu": "silu",
    "gelu": "gelu",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "hardswish": "hardswish",
    "hardsigmoid": "hardsigmoid",
}


def pair(value: Any) -> str:
    """A size or a pair of sizes as the notation writes it."""
    if isinstance(value, (tuple, list)):
        first, second = (int(v) for v in value) if len(value) == 2 else (int(value[0]),) * 2
        return str(first) if first == second else f"({first}, {second})"
    return str(int(value))


def _two(value: Any) -> tuple[int, int]:
    if isinstance(value, (tuple, list)):
        return (int(value[0]), int(value[-1]))
    return (int(value), int(value))


def number(value: float) -> str:
    """A float option as short as it reads back (``1e-05`` stays exact)."""
    return str(int(value)) if float(value).is_integer() else f"{Decimal(repr(float(value))):f}"


def options(pairs: list[tuple[str, str]]) -> str:
    """An option list, or nothing when there are none."""
    return f"({', '.join(f'{k}={v}' for k, v in pairs)})" if pairs else ""


def _kernel_word(word: str, kernel: tuple[int, int]) -> str:
    return f"{word}{kernel[0]}" if kernel[0] == kernel[1] else f"{word}{kernel[0]}x{kernel[1]}"


def module_text(module: Any, before: tuple[int, ...], after: tuple[int, ...]) -> str | None:
    """The text of a module that fx keeps whole, given its input and output shapes (batch first)."""
    name = type(module).__name__
    if name in _ACTIVATIONS:
        if name == "GELU" and getattr(module, "approximate", "none") != "none":
            return UNSUPPORTED
        return _ACTIVATIONS[name]
    if name in ("Conv2d", "ConvTranspose2d"):
        return _conv(module)
    if name in ("BatchNorm2d", "BatchNorm1d"):
        return _batch_norm(module)
    if name in ("MaxPool2d", "AvgPool2d"):
        return _pool(name[:3].lower(), module.kernel_size, module.stride, module.padding, module, "")
    if name in ("AdaptiveAvgPool2d", "AdaptiveMaxPool2d"):
        return _adaptive(name[8:11].lower(), after, "")
    if name == "Linear":
        if len(before) == 2:
            return f"fc{module.out_features}" + options([] if module.bias is not None else [("bias", "false")])
        return UNSUPPORTED
    if name == "Flatten":
        return _flatten(before, after)
    if name in ("Dropout", "Dropout2d", "AlphaDropout"):
        return "dropout" if module.p == 0.5 else f"dropout(p={number(module.p)})"
    if name == "Identity":
        return "identity"
    if name == "StochasticDepth":
        return "droppath"
    if name == "Softmax":
        return "softmax" if module.dim in (1, 1 - len(before)) else UNSUPPORTED
    if name == "LocalResponseNorm":
        chosen = [
            ("size", module.size, 5),
            ("alpha", module.alpha, 1e-4),
            ("beta", module.beta, 0.75),
            ("k", module.k, 2),
        ]
        return "lrn" + options([(key, number(value)) for key, value, default in chosen if value != default])
    if name == "ChannelShuffle":
        return "shuffle" + options([] if module.groups == 2 else [("groups", str(module.groups))])
    if name in ("LayerNorm2d", "ChannelNorm", "LayerScale", "BlockLayerScale"):
        via = "(via=functional)" if name in ("LayerNorm2d", "BlockLayerScale") else ""
        return ("ln" if "Norm" in name else "layerscale") + via
    if name == "Upsample":
        return _upsample(module.scale_factor, module.size, module.mode, module.align_corners, "")
    return UNSUPPORTED


def _conv(module: Any) -> str:
    kernel, stride = _two(module.kernel_size), _two(module.stride)
    dilation = _two(module.dilation)
    transposed = type(module).__name__ == "ConvTranspose2d"
    if module.padding_mode != "zeros" or (isinstance(module.padding, str) and module.padding != "valid"):
        if module.padding != "same":
            return UNSUPPORTED
        padding = tuple(d * (k - 1) // 2 for d, k in zip(dilation, kernel))
        if any(d * (k - 1) % 2 for d, k in zip(dilation, kernel)):
            return UNSUPPORTED
    else:
        padding = (0, 0) if module.padding == "valid" else _two(module.padding)
    found: list[tuple[str, str]] = []
    depthwise = not transposed and module.groups > 1 and module.groups == module.in_channels == module.out_channels
    if stride != (kernel if transposed else (1, 1)):
        found.append(("stride", pair(stride)))
    if padding != ((0, 0) if transposed else (kernel[0] // 2, kernel[1] // 2)):
        found.append(("padding", pair(padding)))
    if transposed and _two(module.output_padding) != (0, 0):
        found.append(("output_padding", pair(module.output_padding)))
    if dilation != (1, 1):
        found.append(("dilation", pair(dilation)))
    if module.groups != 1 and not depthwise:
        found.append(("groups", str(module.groups)))
    if module.bias is None:
        found.append(("bias", "false"))
    if depthwise:
        return _kernel_word("dwconv", kernel) + options(found)
    word = "upconv" if transposed else "conv"
    return f"{_kernel_word(word, kernel)}-{module.out_channels}" + options(found)


def _batch_norm(module: Any) -> str:
    found: list[tuple[str, str]] = []
    if not module.affine:
        found.append(("affine", "false"))
    if not module.track_running_stats:
        found.append(("track_running_stats", "false"))
    if module.eps != 1e-5:
        found.append(("eps", number(module.eps)))
    if module.momentum != 0.1:
        if module.momentum is None:
            return UNSUPPORTED
        found.append(("momentum", number(module.momentum)))
    return "bn" + options(found)


def _pool(mode: str, kernel: Any, stride: Any, padding: Any, module: Any, via: str) -> str:
    """A max or average pooling; ``module`` is the module or a dict of the call's other options."""

    def get(key: str, default: Any) -> Any:
        return module.get(key, default) if isinstance(module, dict) else getattr(module, key, default)

    k = _two(kernel)
    s = k if stride is None or stride == [] or stride == () else _two(stride)
    found: list[tuple[str, str]] = []
    word = f"{mode}pool{k[0]}"
    if k[0] != k[1]:
        word = f"{mode}pool"
        found.append(("kernel_size", pair(k)))
    if s != k or k[0] != k[1]:
        found.append(("stride", pair(s)))
    if _two(padding) != (0, 0):
        found.append(("padding", pair(padding)))
    if mode == "max" and _two(get("dilation", 1)) != (1, 1):
        found.append(("dilation", pair(get("dilation", 1))))
    if get("ceil_mode", False):
        found.append(("ceil_mode", "true"))
    if mode == "avg":
        if get("divisor_override", None) is not None:
            return UNSUPPORTED
        if not get("count_include_pad", True):
            found.append(("count_include_pad", "false"))
    if mode == "max" and get("return_indices", False):
        return UNSUPPORTED
    if via:
        found.append(("via", via))
    return word + options(found)


def _adaptive(mode: str, after: tuple[int, ...], via: str) -> str:
    if len(after) != 4:
        return UNSUPPORTED
    height, width = after[2], after[3]
    if mode == "avg" and height == width == 1:
        return "gap" + options([("via", via)] if via else [])
    size = f"{height}" if height == width else f"{height}x{width}"
    return f"adaptive{mode}pool{size}" + options([("via", via)] if via else [])


def _flatten(before: tuple[int, ...], after: tuple[int, ...]) -> str | None:
    if len(after) != 2 or after[0] != before[0]:
        return UNSUPPORTED
    return None if len(before) == 2 else "flatten"


def _upsample(scale: Any, size: Any, mode: str, align: Any, via: str) -> str:
    found: list[tuple[str, str]] = []
    if mode not in ("nearest", "bilinear", "bicubic"):
        return UNSUPPORTED
    if mode != "nearest":
        found.append(("mode", mode))
        if align:
            found.append(("align_corners", "true"))
    if via:
        found.append(("via", via))
    if size is TARGET:
        return "resize" + options([("to", TARGET), *found])
    if size is not None:
        return "resize" + options([("size", f"({_two(size)[0]}, {_two(size)[1]})"), *found])
    factors = [float(f) for f in (scale if isinstance(scale, (tuple, list)) else (scale, scale))]
    if not all(f.is_integer() and f >= 1 for f in factors):
        return UNSUPPORTED
    first, second = int(factors[0]), int(factors[-1])
    return (f"upsample{first}" if first == second else f"upsample{first}x{second}") + options(found)


def _bind(args: tuple[Any, ...], kwargs: dict[str, Any], names: list[str], defaults: dict[str, Any]) -> dict[str, Any]:
    bound = dict(defaults)
    bound.update(zip(names, args))
    bound.update(kwargs)
    return bound


def call_text(
    target: Any,
    op: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    before: tuple[int, ...],
    after: tuple[int, ...],
    owner: Any = None,
) -> str | None:
    """The text of a functional call or tensor method on one tensor; ``args`` after the tensor; ``owner``
    the module whose forward makes the call."""
    name = target if op == "call_method" else getattr(target, "__name__", "")
    module = "" if op == "call_method" else (getattr(target, "__module__", "") or "")
    if op == "call_function" and not (module.startswith("torch") or module == "" or name == "channel_shuffle"):
        return UNSUPPORTED
    if name == "batch_norm" and _is_a(owner, "BatchNorm2d"):
        return _batch_norm(owner)  # a subclass of BatchNorm2d that calls F.batch_norm itself (timm's BatchNormAct2d)
    if name == "linear" and _is_a(owner, "Linear") and len(before) == 2:
        return f"fc{owner.out_features}" + options([] if owner.bias is not None else [("bias", "false")])
    if name in _FUNCTIONAL_ACTIVATIONS:
        return f"{_FUNCTIONAL_ACTIVATIONS[name]}(via=functional)"
    if name == "hardtanh":
        bound = _bind(args, kwargs, ["min_val", "max_val"], {"min_val": -1.0, "max_val": 1.0})
        return "relu6(via=functional)" if (bound["min_val"], bound["max_val"]) == (0.0, 6.0) else UNSUPPORTED
    if name in ("softmax", "_softmax"):
        dim = _bind(args, kwargs, ["dim"], {"dim": None})["dim"]
        return "softmax(via=functional)" if dim in (1, 1 - len(before)) else UNSUPPORTED
    if name in ("max_pool2d", "avg_pool2d", "_max_pool2d", "max_pool2d_with_indices"):
        mode = "avg" if name.startswith("avg") else "max"
        names = ["kernel_size", "stride", "padding"]
        names += ["ceil_mode", "count_include_pad", "divisor_override"] if mode == "avg" else ["dilation", "ceil_mode"]
        bound = _bind(args, kwargs, names, {"stride": None, "padding": 0})
        return _pool(mode, bound["kernel_size"], bound["stride"], bound["padding"], bound, "functional")
    if name in ("adaptive_avg_pool2d", "adaptive_max_pool2d", "_adaptive_max_pool2d"):
        return _adaptive("avg" if "avg" in name else "max", after, "functional")
    if name == "mean":
        bound = _bind(args, kwargs, ["dim", "keepdim"], {"keepdim": False})
        dims = bound.get("dim")
        dims = (
            {d % len(before) for d in (dims if isinstance(dims, (list, tuple)) else [dims])}
            if dims is not None
            else set()
        )
        return "gap(via=mean)" if len(before) == 4 and dims == {2, 3} else UNSUPPORTED
    if name in ("flatten", "view", "reshape"):
        return _flatten(before, after)
    if name == "dropout":
        bound = _bind(args, kwargs, ["p", "training"], {"p": 0.5, "training": True})
        return "dropout" if bound["p"] == 0.5 else f"dropout(p={number(bound['p'])})"
    if name in ("channel_shuffle", "native_channel_shuffle"):
        groups = _bind(args, kwargs, ["groups"], {})["groups"]
        return "shuffle" + options([] if groups == 2 else [("groups", str(groups))])
    if name == "interpolate":
        bound = _bind(args, kwargs, ["size", "scale_factor", "mode", "align_corners"], {"mode": "nearest"})
        size = bound.get("size")
        if size is not None and not isinstance(size, (int, tuple, list)):
            # A size read from a tensor at run time: the importer says which (resize(to=input) or to=branch).
            return _upsample(None, TARGET, bound["mode"], bound.get("align_corners"), "")
        via = "functional" if size is None else ""  # resize is F.interpolate already: it takes no via
        return _upsample(bound.get("scale_factor"), size, bound["mode"], bound.get("align_corners"), via)
    return UNSUPPORTED


def _is_a(module: Any, name: str) -> bool:
    """Whether ``module`` is of a subclass of torch's module ``name`` (a library's own, run functionally)."""
    return any(kind.__name__ == name and kind.__module__.startswith("torch.nn") for kind in type(module).__mro__[1:])


def block_key(module: Any) -> str:
    """What makes two submodules the same block: their class and every child's configuration.

    Two modules with one key compute the same layers, so one ``let`` block serves both.
    """
    return f"{type(module).__name__}:{module!r}"
