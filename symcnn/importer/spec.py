"""The command line's model ``SPEC``: a dotted factory, optionally called with literal arguments, or a file.

``torchvision.models.resnet50``, ``torchvision.models.efficientnet_b3(num_classes=10)`` or
``path/to/model.py:Net`` (also ``path/to/model.py:make(width=2)``). The call is read with
:mod:`ast` and its arguments with :func:`ast.literal_eval`: nothing the user writes is evaluated as
Python, though the module named is imported (and a file's code runs, as importing it would):

>>> read("torchvision.models.efficientnet_b3(num_classes=10)")
('', 'torchvision.models.efficientnet_b3', (), {'num_classes': 10})
>>> read("nets/small.py:Net(16, depth=2)")
('nets/small.py', 'Net', (16,), {'depth': 2})
>>> read("torchvision.models.resnet50(weights=open('x'))")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
symcnn.errors.SymcnnError: model ...: the argument weights must be a literal (a number, string, ...)
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

from ..errors import SymcnnError

_EXPECTED = "expected a dotted name, optionally called, such as torchvision.models.resnet50"


def read(spec: str) -> tuple[str, str, tuple[Any, ...], dict[str, Any]]:
    """The file ('' for none), the dotted name, and the call's positional and keyword arguments."""
    path, _, call = spec.rpartition(":") if ".py:" in spec else ("", "", spec)
    try:
        tree = ast.parse(call.strip(), mode="eval").body
    except SyntaxError:
        raise SymcnnError(f"model {spec}: {_EXPECTED}") from None
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = {}
    if isinstance(tree, ast.Call):
        args = tuple(_literal(spec, f"number {number}", arg) for number, arg in enumerate(tree.args, 1))
        for keyword in tree.keywords:
            if keyword.arg is None:
                raise SymcnnError(f"model {spec}: ** arguments are not read; write each keyword")
            kwargs[keyword.arg] = _literal(spec, keyword.arg, keyword.value)
        tree = tree.func
    name = _dotted(tree)
    if name is None:
        raise SymcnnError(f"model {spec}: {_EXPECTED}")
    return path, name, args, kwargs


def _literal(spec: str, what: str, node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise SymcnnError(
            f"model {spec}: the argument {what} must be a literal "
            "(a number, string, tuple, list, dict, True, False or None)"
        ) from None


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def load(spec: str) -> Any:
    """The module ``spec`` builds (not checked to be an nn.Module: the caller does)."""
    path, name, args, kwargs = read(spec)
    if path:
        source = Path(path)
        if not source.is_file():
            raise SymcnnError(f"model {spec}: no file {path}")
        found = importlib.util.spec_from_file_location(f"symcnn_import_{source.stem}", source)
        if found is None or found.loader is None:
            raise SymcnnError(f"model {spec}: cannot import {path}")
        module = importlib.util.module_from_spec(found)
        sys.modules[found.name] = module
        found.loader.exec_module(module)
        target: Any = module
        parts = name.split(".")
    else:
        parts = name.split(".")
        # A model comes from a package (torchvision, timm, the user's own); calling into Python's standard
        # library (os.system, shutil.rmtree …) with the arguments given is never what a model spec means.
        if parts[0] in sys.stdlib_module_names or parts[0] == "builtins":
            raise SymcnnError(f"model {spec}: {parts[0]} is Python's standard library, not a package of models")
        target = None
        for cut in range(len(parts) - 1, 0, -1):
            try:
                target = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            parts = parts[cut:]
            break
        if target is None:
            raise SymcnnError(f"model {spec}: no module to import in {name}")
    for part in parts:
        if not hasattr(target, part):
            raise SymcnnError(f"model {spec}: {getattr(target, '__name__', name)} has no {part!r}")
        target = getattr(target, part)
    if not callable(target):
        raise SymcnnError(f"model {spec}: {name} is not a class or a factory")
    try:
        return target(*args, **kwargs)
    except TypeError as error:
        raise SymcnnError(f"model {spec}: {error}") from None
