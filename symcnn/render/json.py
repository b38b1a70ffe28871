"""The JSON contract that other tools read: input, symbols, layers, totals.

Every value is a JSON integer when it is a number, else a string that
``sympy.parse_expr(s, local_dict=symbols)`` reads back to the same expression,
where ``symbols`` maps each name under ``"symbols"`` to
``sympy.Symbol(name, **assumptions)`` (see :func:`local_dict`).

Keys: ``input`` [C, H, W]; ``symbols`` {name: {"integer": true, "positive": true}}
for the free symbols; ``values`` {name: int} for the given ones; ``convention``
(its name); ``layers``, one object per layer (the input is not one) with
``index``, ``name``, ``kind``, ``output`` ([C, H, W], or [F] after an fc or
flatten), ``params``, ``weights``, ``biases``, ``buffers``, ``activations``,
``macs``, ``receptive_field`` ({"height", "width"}: per axis ``whole``, ``size``, ``jump``,
``start``, ``period`` and ``formula``, or null where not derived, with ``reason``; see
:mod:`symcnn.render.receptive`); ``total`` with the same six quantities summed (activations include
the input's); ``closed_forms`` {quantity: {"general", "polynomial" (or null),
"assumption", "multiple_of", "residue_of", "domain", "smallest_valid"}} when some total
is symbolic, else null; ``outputs`` [{"path", "shape"}], every output the network returns
(``out(…)`` heads first, the main one last); ``domain`` {symbol: {"min", "modulus", "residues"} (and "also":
valid values below min), or null where not derived}: the input sizes the network accepts,
n ≥ min with n mod modulus in residues; ``tiling``, the same shape, for the symbols whose
sizes pass a stride or a crop: where no floor drops a pixel and every crop is centred.

>>> import symcnn
>>> data = to_dict(symcnn.parse("conv3-64 fc10"))
>>> data["input"], data["symbols"], data["layers"][1]["output"], data["total"]["params"]
([3, 'n', 'n'], {'n': {'integer': True, 'positive': True}}, [10], '640*n**2 + 1802')
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from ..analysis import QUANTITIES
from ..values import as_int, symbol
from .printing import plain

if TYPE_CHECKING:
    import sympy

    from ..closed_form import ClosedForm
    from ..network import Network
    from ..values import Value

JsonValue = int | str
ASSUMPTIONS = ("integer", "positive")


def value(number: Value) -> JsonValue:
    """A value as JSON data: an int, or sympy's ``str`` of the expression.

    >>> import sympy
    >>> value(sympy.Integer(7)), value(2048 * symbol("n") ** 2 + 35597096)
    (7, '2048*n**2 + 35597096')
    """
    if isinstance(number, int):
        return number
    exact = as_int(number)
    return exact if exact is not None else plain(number)


def _values(numbers: Iterable[Value]) -> list[JsonValue]:
    return [value(number) for number in numbers]


def assumptions(name: str) -> dict[str, bool]:
    """The assumptions symcnn makes about a symbol (every one a positive integer).

    >>> assumptions("n")
    {'integer': True, 'positive': True}
    """
    made = symbol(name).assumptions0
    return {key: bool(made[key]) for key in ASSUMPTIONS if key in made}


def local_dict(symbols: Mapping[str, Mapping[str, bool]]) -> dict[str, sympy.Symbol]:
    """The ``local_dict`` for ``sympy.parse_expr`` from a contract's ``"symbols"``.

    >>> import sympy
    >>> expr = sympy.parse_expr("floor(n/32)**2", local_dict=local_dict({"n": assumptions("n")}))
    >>> expr == sympy.floor(symbol("n") / 32) ** 2
    True
    """
    import sympy

    return {name: sympy.Symbol(name, **dict(made)) for name, made in symbols.items()}  # type: ignore[no-untyped-call]


def _closed_form(form: ClosedForm) -> dict[str, object]:
    return {
        "general": value(form.general),
        "polynomial": None if form.polynomial is None else value(form.polynomial),
        "assumption": form.assumption,
        "multiple_of": dict(form.multiple_of),
        "residue_of": dict(form.residue_of),
        "domain": form.domain,
        "smallest_valid": dict(form.smallest_valid),
    }


def to_dict(net: Network) -> dict[str, object]:
    """The contract as Python data (ints, strings, lists, dicts, None)."""
    totals = {quantity: net.total(quantity) for quantity in QUANTITIES}
    symbolic = any(as_int(total) is None for total in totals.values())
    from .receptive import field_dict

    fields = net.receptive_fields
    layers = [
        {
            "index": layer.index,
            "path": layer.path,
            "name": layer.name,
            "kind": layer.kind,
            "output": _values(layer.output),
            **{quantity: value(getattr(layer, quantity)) for quantity in QUANTITIES},
            "receptive_field": field_dict(field),
        }
        for layer, field in zip(net.layers, fields, strict=True)
    ]
    return {
        "input": _values(net.input),
        "symbols": {name: assumptions(name) for name in net.symbols},
        "values": dict(sorted(net.values.items())),
        "convention": net.convention.name,
        "layers": layers,
        "total": {quantity: value(total) for quantity, total in totals.items()},
        "blocks": [
            {
                "path": block.path,
                "name": block.name,
                **{quantity: value(getattr(block, quantity)) for quantity in QUANTITIES},
            }
            for block in net.analysis.blocks()
        ],
        "closed_forms": {quantity: _closed_form(net.closed_form(quantity)) for quantity in QUANTITIES}
        if symbolic
        else None,
        "outputs": [{"path": path, "shape": _values(shape)} for path, shape in net.analysis.outputs],
        "domain": {name: None if domain is None else domain.as_json() for name, domain in net.analysis.domains.items()},
        "tiling": {
            name: None if domain is None else domain.as_json()
            for name, domain in net.analysis.tiling.items()
            if name in net.analysis.domains
        },
    }


def to_json(net: Network) -> str:
    """The contract as JSON text (indented, UTF-8 characters kept).

    >>> import symcnn
    >>> json.loads(to_json(symcnn.parse("vgg-d", n=224)))["total"]["params"]
    138357544
    """
    return json.dumps(to_dict(net), indent=2, ensure_ascii=False) + "\n"
