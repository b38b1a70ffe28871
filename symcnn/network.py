"""The public face of an analysed network: counts, closed forms, renderings."""

from __future__ import annotations

import difflib
import gc
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from . import ir
from .analysis import MODES, QUANTITIES, Analysis, LayerResult, analyze
from .build import build
from .closed_form import ClosedForm, closed_form
from .errors import LayerError, SymcnnError, UnknownNameError, shorten_literal
from .evaluate import ARRAYS_FROM, evaluate_many
from .limits import MAX_SYMBOL_VALUE
from .poly import Poly, compile_counts
from .rules import CONVENTIONS, Convention

if TYPE_CHECKING:
    from .receptive import RowField
    from .training import TrainMemory
    from .values import Value


class Network:
    """A network analysed layer by layer: exact shapes and counts.

    Values are sympy expressions in the symbols that have no value yet (``n``
    by default) and ints once every symbol has one.

    >>> net = parse("vgg-d")
    >>> net.params
    2097152*floor(n/32)**2 + 35597096
    >>> net.at(n=224).params
    138357544
    >>> net.closed_form("params").polynomial
    2048*n**2 + 35597096
    """

    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self._closed_forms: dict[str, ClosedForm] = {}

    # ------------------------------------------------------------ contents

    @property
    def architecture(self) -> ir.Architecture:
        return self.analysis.architecture

    @property
    def layers(self) -> tuple[LayerResult, ...]:
        return self.analysis.layers

    @property
    def input(self) -> tuple[Value, ...]:
        """The input shape (C, H, W)."""
        return self.analysis.input

    @property
    def input_activations(self) -> Value:
        """The input's values, as counted in the activations (0 where a convention leaves it out)."""
        return self.analysis.input_activations

    @property
    def convention(self) -> Convention:
        return self.analysis.convention

    @property
    def mode(self) -> str:
        """eval (the default: auxiliary heads count parameters only) or train (they run)."""
        return self.analysis.mode

    @property
    def values(self) -> Mapping[str, int]:
        """The symbols given a value so far."""
        return self.analysis.values

    @property
    def symbols(self) -> tuple[str, ...]:
        """The symbols still free, sorted."""
        return tuple(sorted(ir.architecture_symbols(self.architecture) - set(self.values)))

    def total(self, quantity: str) -> Value:
        """One of params, weights, biases, buffers, activations, macs, summed."""
        if quantity not in QUANTITIES:
            raise UnknownNameError(f"unknown quantity {quantity!r}; one of {', '.join(QUANTITIES)}")
        return self.analysis.total(quantity)

    @property
    def params(self) -> Value:
        return self.total("params")

    @property
    def weights(self) -> Value:
        return self.total("weights")

    @property
    def biases(self) -> Value:
        return self.total("biases")

    @property
    def buffers(self) -> Value:
        return self.total("buffers")

    @property
    def activations(self) -> Value:
        return self.total("activations")

    @property
    def macs(self) -> Value:
        return self.total("macs")

    def closed_form(self, quantity: str) -> ClosedForm:
        """The general and polynomial closed forms of a total, with its domain (derived once)."""
        if quantity not in self._closed_forms:
            self._closed_forms[quantity] = closed_form(
                self.analysis.raw_total(quantity), self.analysis.domains, self.analysis.polynomial_classes
            )
        return self._closed_forms[quantity]

    # ------------------------------------------------------------ evaluation

    def at(self, **values: int) -> Network:
        """The same network with symbols given values (every value an int once all are).

        >>> parse("conv3-64 maxpool").at(n=5).layers[-1].output
        (64, 2, 2)
        """
        given = {**self.values, **_checked(values, self.symbols)}
        with collector_paused():
            return Network(_analyze(self.architecture, given, self.convention, self.mode, self.analysis.aux))

    def rows(self, depth: int | None = None) -> tuple[LayerResult, ...]:
        """The layers, with blocks and branches deeper than ``depth`` folded into one row each.

        >>> [row.name for row in parse("let b = conv3-8 relu; b fc10").rows(depth=1)]
        ['b', 'fc10']
        """
        if depth is not None and depth < 1:
            raise SymcnnError(f"depth must be at least 1, not {depth}")
        return self.analysis.rows(depth)

    @property
    def receptive_fields(self) -> tuple[RowField, ...]:
        """Each row's receptive field per axis: size, jump and start (see :mod:`symcnn.receptive`).

        >>> field = parse("conv3-8 maxpool conv3-8").receptive_fields[-1].height
        >>> field.size, field.jump, field.start
        (8, 2, -3)
        """
        from .receptive import receptive_fields

        return receptive_fields(self.analysis)

    def train_memory(self, batch: int = 1, optimizer: str = "sgd", precision: str = "float32") -> TrainMemory:
        """The bytes of one training step: saved for backward, parameters, gradients, buffers, optimizer
        state (see :mod:`symcnn.training`).

        >>> parse("conv3-8 relu").train_memory(batch=4, optimizer="adam").total
        176*n**2 + 3592
        """
        from .training import train_memory

        return train_memory(self, batch, optimizer, precision)

    def sweep(self, quantity: str, sizes: Sequence[int], symbol: str = "n") -> list[int]:
        """A total at many values of one symbol, exactly, from its closed form.

        >>> parse("vgg-d").sweep("params", [224, 256])
        [138357544, 169814824]
        """
        free = self.symbols
        if free != (symbol,):
            raise SymcnnError(f"a sweep needs {symbol} as the only free symbol, but the free symbols are {free}")
        domain = self.analysis.domains.get(symbol)
        outside = [size for size in sizes if domain is not None and not domain.contains(size)]
        if outside:
            below, above = domain.nearest(outside[0]) if domain is not None else (None, None)
            near = " and ".join(str(size) for size in (below, above) if size is not None)
            raise SymcnnError(
                f"{symbol} = {outside[0]} is outside the domain: the network is valid for "
                f"{self.closed_form('params').domain}" + (f"; the nearest valid {symbol}: {near}" if near else "")
            )
        total = self.analysis.raw_total(quantity)
        if isinstance(total, int):
            return [total] * len(sizes)
        if isinstance(total, Poly) and total.symbols == {symbol} and len(sizes) < ARRAYS_FROM:
            # The walk's own sum in its own algebra, no sympy: the general closed form's values
            # without multiplying it out (nor deriving the polynomial form, which a sweep never shows).
            count = compile_counts(total, symbol)
            return [count(size) for size in sizes]
        # sympy: a total that is no polynomial of the walk, or enough sizes for int64 arrays
        return evaluate_many(self.closed_form(quantity).general, symbol, sizes, expanded=True)

    # ------------------------------------------------------------ renderings

    def table(self, depth: int | None = None) -> str:
        """A terminal table: layer, output shape, activations, weights, parameters.

        ``depth`` folds blocks and branches deeper than it into one row each.
        """
        from .render import text

        return text.table(self, depth)

    def markdown(self, depth: int | None = None) -> str:
        """The table as Markdown."""
        from .render import markdown

        return markdown.table(self, depth)

    def latex(self, depth: int | None = None, document: bool = False) -> str:
        """Per-layer formulas and totals as LaTeX, numbers grouped as 35{,}597{,}096.

        With ``document``, a complete LaTeX document that derives every layer's
        sizes and counts from its numbers, then the totals (see :mod:`symcnn.render.document`).
        """
        if document:
            from .render.document import document as derivation

            return derivation(self, depth)
        from .render import latex

        return latex.table(self, depth)

    def csv(self, depth: int | None = None) -> str:
        """One CSV row per layer."""
        from .render import csv

        return csv.table(self, depth)

    def to_dict(self) -> dict[str, object]:
        """The JSON contract as Python data (ints, or strings sympy parses back)."""
        from .render import json

        return json.to_dict(self)

    def to_json(self) -> str:
        """The JSON contract: input, symbols, layers and totals."""
        from .render import json

        return json.to_json(self)

    def __repr__(self) -> str:
        return f"<Network: {len(self.layers)} layers, params={self.params}>"

    # Jupyter's displays (symcnn.render.notebook): the table, and the closed forms as maths.
    def _repr_html_(self) -> str:
        from .render.notebook import network_html

        return network_html(self)

    def _repr_markdown_(self) -> str:
        from .render.notebook import network_markdown

        return network_markdown(self)

    def _repr_latex_(self) -> str:
        from .render.notebook import network_latex

        return network_latex(self)


def parse(
    text_or_name: str, *, convention: str = "symcnn", mode: str = "eval", aux: bool = True, **values: int
) -> Network:
    """Analyse a zoo entry or a text in the notation, optionally at given values.

    ``mode`` is eval (auxiliary heads ``aux(…)`` count their parameters, not their work, as
    torch skips them) or train (they run); ``aux=False`` leaves the heads out altogether.

    >>> parse("conv3-64 relu fc10", n=4).params
    12042
    >>> parse("vgg16", n=224).params
    138357544
    >>> [parse("googlenet", aux=aux).params for aux in (True, False)]
    [13004888, 6624904]
    """
    if convention not in CONVENTIONS:
        raise UnknownNameError(f"unknown convention {convention!r}; known: {', '.join(CONVENTIONS)}")
    if mode not in MODES:
        raise UnknownNameError(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
    with collector_paused():
        architecture = build(_resolve(text_or_name))
        symbols = tuple(sorted(ir.architecture_symbols(architecture)))
        return Network(_analyze(architecture, _checked(values, symbols), CONVENTIONS[convention], mode, aux))


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a text is parsed and analysed.

    Parsing allocates millions of small objects and no cycles; with the collector
    on, its passes over them made 100,000 layers take 3× as long, and growing faster
    than the text.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _analyze(
    architecture: ir.Architecture, values: Mapping[str, int], convention: Convention, mode: str, aux: bool
) -> Analysis:
    """The analysis at ``values``; a size below 1, or a merge whose sizes differ, also says for which
    input sizes the network works, and the valid sizes nearest to the one given."""
    try:
        return analyze(architecture, values, convention, mode, aux)
    except LayerError as error:
        hint = _domain_hint(architecture, values, mode, aux)
        if not hint:
            raise
        raise type(error)(error.where, error.reason + hint) from None


def _domain_hint(architecture: ir.Architecture, values: Mapping[str, int], mode: str, aux: bool) -> str:
    spec = architecture.input
    inputs = ir.symbols_of(spec.height) | ir.symbols_of(spec.width)
    if not inputs & values.keys():  # the sizes were symbolic already: a second walk would fail alike
        return ""
    try:
        symbolic = analyze(architecture, {k: v for k, v in values.items() if k not in inputs}, mode=mode, aux=aux)
    except SymcnnError:
        return ""
    domain = closed_form(0, symbolic.domains).domain
    if not domain:
        return ""
    nearest = []
    for name, found in symbolic.domains.items():
        given = values.get(name)
        if found is None or given is None or found.contains(given):
            continue
        below, above = found.nearest(given)
        sizes = " and ".join(str(size) for size in (below, above) if size is not None)
        nearest.append(f"the valid {name} nearest to {given} {'are' if ' and ' in sizes else 'is'} {sizes}")
    return f"; the network is valid for {domain}" + "".join(f"; {part}" for part in nearest)


def _resolve(text_or_name: str) -> str:
    """The notation of a zoo entry, or the text itself; a mistyped zoo name is an error."""
    from . import zoo

    stripped = text_or_name.strip()
    if stripped.lower() in zoo.names():
        return zoo.text(stripped)
    mistyped = _looks_like_name(stripped) and not _parses(stripped)
    if mistyped and difflib.get_close_matches(stripped.lower(), zoo.names(), n=1, cutoff=0.6):
        zoo.text(stripped)  # raises UnknownNameError with the nearest zoo names
    return text_or_name


def _looks_like_name(text: str) -> bool:
    return re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]*", text) is not None


def _parses(text: str) -> bool:
    try:
        build(text)
    except SymcnnError:
        return False
    return True


def _checked(values: Mapping[str, int], known: tuple[str, ...]) -> dict[str, int]:
    checked: dict[str, int] = {}
    for name, value in values.items():
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; the free symbols are {', '.join(known) or 'none'}"
            raise UnknownNameError(f"unknown symbol {name!r}{hint}")
        if isinstance(value, bool) or not isinstance(value, int):
            raise SymcnnError(f"{name} must be a whole number, not {value!r}")
        if not 1 <= value <= MAX_SYMBOL_VALUE:
            shown = shorten_literal(str(value)) if value.bit_length() < 10_000 else "a number that large"
            raise SymcnnError(f"{name} = {shown} is outside 1 … {MAX_SYMBOL_VALUE:,}")
        checked[name] = value
    return checked
