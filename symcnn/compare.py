"""Counting conventions side by side: each tool's totals, and the terms where they part.

Every convention (:data:`symcnn.rules.CONVENTIONS`) counts the same layers; they
differ in what a layer kind adds. :func:`compare` analyses a network under each,
splits each count into terms (a conv's weights and its biases, each activation
function, each kind of pooling, batch norm …) and gives the gap between two
conventions as the sum of the terms' differences, exactly, in closed form:

>>> import symcnn
>>> comparison = compare(symcnn.parse("vgg16"), n=224)
>>> [(row.convention.name, comparison.number(row.count)) for row in comparison.rows[:4]]
[('symcnn', 15470264320), ('fvcore', 15470289408), ('torchinfo', 15483821032), ('ptflops', 15523225576)]
>>> gap = comparison.gap("fvcore", "torchinfo")
>>> comparison.number(gap.total), [(term, comparison.number(value)) for term, value in gap.terms]
(13531624, [('conv biases', 13547520), ('adaptiveavgpool', -25088), ('fc biases', 9192)])
>>> form = comparison.closed_form(gap.terms[0][1])  # the conv biases
>>> form.polynomial, form.assumption
(270*n**2, 'n a multiple of 16')

:func:`matching` lists the (convention, quantity) pairs whose value is a given number.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from .analysis import LayerResult, analyze
from .closed_form import ClosedForm, closed_form
from .errors import SymcnnError, UnknownNameError
from .expand import expand
from .limits import MAX_SYMBOLIC_ROWS_COMPARED
from .network import Network
from .poly import Poly
from .rules import CONVENTIONS, Convention, Memory
from .values import Value, as_expr, as_int, symbol, total

# The kinds whose count splits into its rule's parts (weights, biases).
_SPLIT_KINDS = ("conv", "fc")
_LABELS = {"conv": "conv", "fc": "fc", "bn": "batch norm", "ln": "layer norm", "scale": "layer scale"}


@dataclass(frozen=True)
class Figure:
    """One memory figure of a tool, exact, in ``memory.unit`` (values or bytes)."""

    memory: Memory
    value: Value


@dataclass(frozen=True)
class Totals:
    """A network under one convention: what the tool reports, and its count split into terms."""

    convention: Convention
    network: Network
    params: Value
    count: Value
    memory: tuple[Figure, ...]
    terms: Mapping[str, Value]

    @property
    def quantities(self) -> dict[str, Value]:
        """Every number the tool reports: params, its MACs (or FLOPs), activations, memory figures."""
        found: dict[str, Value] = {"params": self.params, self.convention.unit: self.count}
        found["activations"] = self.network.activations
        for figure in self.memory:
            if figure.memory.unit != "values":  # a count of values is the activations above
                found[f"{figure.memory.title} ({figure.memory.unit})"] = figure.value
        return found


@dataclass(frozen=True)
class Gap:
    """``other``'s count minus ``base``'s, and the terms that make it (their sum is ``total``)."""

    base: str
    other: str
    total: Value
    terms: tuple[tuple[str, Value], ...]


@dataclass(frozen=True)
class Comparison:
    """A network under several conventions; values in closed form, :meth:`number` gives them at ``values``."""

    network: Network
    values: Mapping[str, int]
    rows: tuple[Totals, ...]
    terms: tuple[str, ...]
    gaps: tuple[Gap, ...]

    def row(self, name: str) -> Totals:
        """The totals under convention ``name``."""
        for row in self.rows:
            if row.convention.name == name:
                return row
        raise UnknownNameError(f"convention {name!r} is not in this comparison")

    def gap(self, base: str, other: str) -> Gap:
        """The gap from ``base`` to ``other``, term by term (any two conventions of the comparison)."""
        return _gap(self.row(base), self.row(other), self.terms)

    def number(self, value: Value) -> Value:
        """``value`` at :attr:`values` (an int once every symbol has one)."""
        if isinstance(value, int) or not self.values:
            return value
        given = {symbol(name): number for name, number in self.values.items()}
        result = as_expr(value).xreplace(given)  # type: ignore[no-untyped-call]
        number = as_int(result)
        return result if number is None else number

    def closed_form(self, value: Value) -> ClosedForm:
        """The closed forms of ``value`` in the network's free symbols, with its domain."""
        return closed_form(value, self.network.analysis.domains)


def compare(network: Network, conventions: Sequence[str] | None = None, **values: int) -> Comparison:
    """``network`` under each of ``conventions`` (default: all), in closed form, with numbers at ``values``.

    Gaps: from the first convention to each other, then between neighbours.

    >>> import symcnn
    >>> comparison = compare(symcnn.parse("conv3-8 relu maxpool gap fc10"), ["symcnn", "ptflops"], n=32)
    >>> [(row.convention.name, comparison.number(row.count)) for row in comparison.rows]
    [('symcnn', 221264), ('ptflops', 266330)]
    >>> [(term, comparison.number(value)) for term, value in comparison.gaps[0].terms]
    [('conv biases', 8192), ('relu', 16384), ('maxpool', 16384), ('adaptiveavgpool', 4096), ('fc biases', 10)]
    """
    names = list(conventions) if conventions else list(CONVENTIONS)
    for name in names:
        if name not in CONVENTIONS:
            raise UnknownNameError(f"unknown convention {name!r}; known: {', '.join(CONVENTIONS)}")
    if len(set(names)) != len(names):
        raise SymcnnError(f"a convention is named twice: {', '.join(names)}")
    if values:
        network.at(**values)  # checks the names and the domain
    _check_symbolic_rows(network, len(names))
    rows = tuple(_totals(network, CONVENTIONS[name]) for name in names)
    terms = _term_order(rows)
    pairs = [(rows[0], row) for row in rows[1:]] + list(pairwise(rows[1:]))
    gaps = tuple(_gap(base, other, terms) for base, other in pairs)
    return Comparison(network, dict(values), rows, terms, gaps)


def matching(value: int, network: Network, conventions: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """The (convention, quantity) pairs of ``network`` (every symbol given) whose value is ``value``.

    >>> import symcnn
    >>> matching(15483821032, symcnn.parse("vgg16", n=224))
    [('torchinfo', 'MACs'), ('ptflops-aten', 'MACs')]
    >>> matching(108453696, symcnn.parse("vgg16", n=224))
    [('torchinfo', 'Forward/backward pass size (bytes)')]
    """
    if network.symbols:
        raise SymcnnError(f"give {', '.join(network.symbols)} a value first: the totals depend on them")
    found = []
    for row in compare(network, conventions).rows:
        found += [(row.convention.name, name) for name, number in row.quantities.items() if number == value]
    return found


# ---------------------------------------------------------------- inside


def _check_symbolic_rows(network: Network, conventions: int) -> None:
    """Refuse a comparison that would redo sympy arithmetic for too many rows: each convention analyses the
    network again, and a row counted in symbols other than the input's sizes costs sympy work each time."""
    rows = sum(1 for layer in network.analysis.raw_layers if not isinstance(layer.macs, (int, Poly)))
    if rows * conventions > MAX_SYMBOLIC_ROWS_COMPARED:
        raise SymcnnError(
            f"{rows:,} rows count in symbols other than the input size's: comparing {conventions} conventions "
            "redoes each; give those symbols a value (--set NAME=VALUE)"
        )


def _totals(network: Network, convention: Convention) -> Totals:
    under = Network(analyze(network.architecture, network.values, convention, network.mode, network.analysis.aux))
    params = total(
        convention.params(layer.geometry)
        for layer in under.layers
        if not (layer.idle and convention.run_params_only)  # a head eval mode never runs
    )
    # A head that is never run (aux in eval mode) holds parameters no forward hook sees.
    stored = total(convention.stored_params(layer.geometry) for layer in under.layers if not layer.idle)
    sums = {"activations": under.activations, "params": params, "stored params": stored}
    memory = tuple(Figure(figure, figure.factor * sums[figure.quantity]) for figure in convention.memory)
    terms: dict[str, list[Value]] = {}
    for layer in under.layers:
        if layer.idle:  # a head eval mode never runs: no work, no terms
            continue
        for term, value in _layer_terms(layer, convention):
            terms.setdefault(term, []).append(value)
    return Totals(convention, under, params, under.macs, memory, {term: total(parts) for term, parts in terms.items()})


def _layer_terms(layer: LayerResult, convention: Convention) -> Iterator[tuple[str, Value]]:
    """The layer's count under ``convention``, in named parts (they sum to ``layer.macs``)."""
    rule = convention.macs.get(layer.kind)
    label = term_label(layer)
    if rule is None:
        yield label, 0
    elif layer.kind in _SPLIT_KINDS:
        for part, value in rule.parts(layer.geometry):
            yield f"{label} {part}".strip(), value
    else:
        yield label, layer.macs


def term_label(layer: LayerResult) -> str:
    """The term a layer's count belongs to: its operation for activations and pooling, else its kind.

    >>> import symcnn
    >>> [term_label(layer) for layer in symcnn.parse("conv3-8 bn relu maxpool gap fc10").layers]
    ['conv', 'batch norm', 'relu', 'maxpool', 'adaptiveavgpool', 'fc']
    """
    if layer.kind in ("act", "pool"):
        return layer.geometry.op
    return _LABELS.get(layer.kind, layer.kind)


def _term_order(rows: Sequence[Totals]) -> tuple[str, ...]:
    """Every term that some convention counts, in the order the layers first give it."""
    first: dict[str, int] = {}
    for row in rows:
        for position, term in enumerate(row.terms):
            first[term] = min(first.get(term, position), position)
    counted = {term for row in rows for term, value in row.terms.items() if not _is_zero(value)}
    return tuple(sorted(counted, key=lambda term: (first[term], term)))


def _gap(base: Totals, other: Totals, terms: Sequence[str]) -> Gap:
    differences = []
    for term in terms:
        difference = _difference(other.terms.get(term, 0), base.terms.get(term, 0))
        if not _is_zero(difference):
            differences.append((term, difference))
    return Gap(base.convention.name, other.convention.name, _difference(other.count, base.count), tuple(differences))


def _difference(first: Value, second: Value) -> Value:
    difference = first - second
    return difference if isinstance(difference, int) else expand(as_expr(difference))


def _is_zero(value: Value) -> bool:
    return as_int(value) == 0
