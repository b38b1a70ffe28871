r"""What the playground page asks of symcnn, JSON in and out.

The page (``static/app.js``) runs this module in Pyodide. On every edit it calls
:func:`derive` for the report at the chosen values (the JSON contract of
``symcnn report TEXT --n N --format json``), and then :func:`closed_forms` for
the totals as closed forms in LaTeX, for KaTeX. The report needs no sympy, so
the table is on the screen before the first closed form loads sympy.
:func:`check_claim` is ``symcnn check`` against the page's network, and
:func:`diagram` its ``--format dot``. An error reads exactly as the command
line prints it (``symcnn: error: …`` with the caret under the spot).

>>> answer = json.loads(derive("conv3-16 gap fc{k}", '{"n": "32", "k": "10"}'))
>>> answer["symbols"], answer["report"]["total"]["params"], answer["error"]
(['k', 'n'], '618', '')
>>> print(json.loads(closed_forms("conv3-16 gap fc{k}"))["forms"][0]["general"])
17 \cdot k + 448
>>> print(json.loads(derive("conv3-64 conv3-128(stride=2", "{}"))["error"])
symcnn: error: line 1, column 28: the text ends too early; expected ',' or ')'
conv3-64 conv3-128(stride=2
                           ^
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING

from .. import zoo
from ..errors import SymcnnError, shorten_literal
from ..network import Network, parse
from ..render import latex, printing
from ..render.text import TOTALS

if TYPE_CHECKING:
    from ..check import Checked

# A symbol the page does not set starts here: n as in most papers, any other (a class count) at 10.
DEFAULT_VALUES = {"n": 224}
DEFAULT_OTHER = 10
# Longer digit strings are no whole number here (symcnn takes values up to 10¹²); int() of them is slow.
_MAX_DIGITS = 30
# The command line names a network by its --arch text when it is this short, else "the network".
_NAME_WIDTH = 40
# About this many input sizes in the page's sweep plot.
SWEEP_SIZES = 32


def examples() -> str:
    """The zoo as the page's examples: ``[[name, summary], …]`` as JSON.

    >>> "resnet50" in dict(json.loads(examples()))
    True
    """
    return json.dumps([[name, zoo.summary(name)] for name in zoo.names()], ensure_ascii=False)


def example(name: str) -> str:
    """The notation of zoo entry ``name``, for the editor.

    >>> example("lenet5").startswith("#")
    True
    """
    return zoo.text(name)


def derive(text: str, values_json: str) -> str:
    """The report for ``text`` at the values ``{"n": "224", …}``, as JSON.

    Keys: ``symbols`` (the free symbols, sorted), ``values`` (the value used for
    each), ``domain`` (per symbol ``{"min", "modulus", "residues"}``, or null where
    not derived), ``report`` (``Network.to_dict()`` at those values, or null, with
    every count as a decimal string: JavaScript's numbers are exact only below 2⁵³),
    ``error`` (the command line's message, "" when none) and ``milliseconds``.

    >>> answer = json.loads(derive("vgg16", '{"n": "16"}'))
    >>> answer["report"], answer["domain"]
    (None, {'n': {'min': 32, 'modulus': 1, 'residues': [0]}})
    >>> print(answer["error"])  # doctest: +ELLIPSIS
    symcnn: error: layer 31 'maxpool' ...; the network is valid for n ≥ 32; the valid n nearest to 16 is 32
    """
    start = time.perf_counter()
    answer: dict[str, object] = {"symbols": [], "values": {}, "domain": {}, "report": None, "error": ""}
    try:
        symbolic = _symbolic(text)
        answer["symbols"] = list(symbolic.symbols)
        answer["domain"] = {
            name: None if found is None else found.as_json() for name, found in symbolic.analysis.domains.items()
        }
        chosen = _chosen(symbolic.symbols, json.loads(values_json))
        answer["values"] = chosen
        answer["report"] = _exact(symbolic.at(**chosen).to_dict())
    except SymcnnError as error:
        answer["error"] = f"symcnn: error: {error}"  # as the command line prints it
    answer["milliseconds"] = round((time.perf_counter() - start) * 1000, 1)
    return json.dumps(answer, ensure_ascii=False)


def closed_forms(text: str) -> str:
    r"""The totals of ``text`` as closed forms in LaTeX, and where they hold, as JSON.

    Keys: ``forms`` ([{"quantity", "title", "general", "polynomial", "assumption"}],
    the polynomial form and its assumption "" when it is the general form),
    ``domain`` (text with maths between ``$``), ``error`` and ``milliseconds``.

    >>> answer = json.loads(closed_forms("vgg-d"))
    >>> print(answer["domain"], answer["forms"][0]["assumption"])
    valid for $n \geq 32$ $n$ a multiple of $32$
    """
    start = time.perf_counter()
    answer: dict[str, object] = {"forms": [], "domain": "", "error": ""}
    try:
        net = _symbolic(text)
        answer["forms"] = [_closed_form(net, quantity, title) for quantity, title in TOTALS]
        answer["domain"] = latex.domain(net.analysis.domains)
    except SymcnnError as error:
        answer["error"] = f"symcnn: error: {error}"
    answer["milliseconds"] = round((time.perf_counter() - start) * 1000, 1)
    return json.dumps(answer, ensure_ascii=False)


def check_claim(expression: str, text: str, values_json: str, name: str) -> str:
    """``symcnn check EXPRESSION --arch NAME`` against the page's network at its values, as JSON.

    ``name`` is what the command line's ``--arch`` would be (a zoo name, or the text),
    for the report's wording. Keys: ``report`` (the checker's words, and which tools
    count the value, as the command prints them), ``holds`` (true, false, or null
    without a claim), ``error`` and ``milliseconds``.

    >>> answer = json.loads(check_claim("128x3x3x256 = 295,168", "vgg16", '{"n": "224"}', "vgg16"))
    >>> answer["holds"], answer["report"].splitlines()[1]
    (False, 'The claim does not hold: 294,912 ≠ 295,168 (off by 256).')
    """
    from ..arithmetic import parse_claim  # the checker's modules wait for the first check: a faster first table
    from ..check import check

    start = time.perf_counter()
    answer: dict[str, object] = {"report": "", "holds": None, "error": ""}
    try:
        parse_claim(expression)  # the claim's own mistakes first, as the command line reads them
        symbolic = _symbolic(text)
        net = symbolic.at(**_chosen(symbolic.symbols, json.loads(values_json)))
        checked = check(expression, net, name.strip() if len(name.strip()) <= _NAME_WIDTH else "the network")
        answer["report"] = str(checked) + "".join(f"{note}\n" for note in _tools_counting(checked, net))
        answer["holds"] = checked.holds
    except SymcnnError as error:
        answer["error"] = f"symcnn: error: {error}"
    answer["milliseconds"] = round((time.perf_counter() - start) * 1000, 1)
    return json.dumps(answer, ensure_ascii=False)


def diagram(text: str, values_json: str, depth: str) -> str:
    """``symcnn report TEXT --n N --format dot [--depth D]``: the network as Graphviz DOT, as JSON.

    ``depth`` is the page's choice, "" for every row. Keys: ``dot`` and ``error``.

    >>> print(json.loads(diagram("conv3-8 fc10", '{"n": "4"}', ""))["dot"].splitlines()[-2])
      r1 -> r2 [label="8×4×4"];
    """
    from ..render.dot import dot  # the diagram's module waits for the first diagram

    answer = {"dot": "", "error": ""}
    try:
        symbolic = _symbolic(text)
        net = symbolic.at(**_chosen(symbolic.symbols, json.loads(values_json)))
        answer["dot"] = dot(net, int(depth) if depth.isdigit() and len(depth) < 4 else None)
    except SymcnnError as error:
        answer["error"] = f"symcnn: error: {error}"
    return json.dumps(answer, ensure_ascii=False)


def sweep_points(text: str, values_json: str, symbol: str) -> str:
    """``symcnn sweep TEXT --n RANGE --symbol SYMBOL --set …`` for the page's plot, as JSON.

    The range runs from the symbol's smallest valid value to twice the page's value
    (at least 31 steps), about :data:`SWEEP_SIZES` sizes, in steps of the domain's
    modulus when only one residue class is valid; the other symbols keep the page's values. Keys: ``symbol``,
    ``range`` (the command line's ``--n``), ``set`` (its ``--set`` values), ``rows``
    (the command's JSON rows, every count a decimal string) and ``error``.

    >>> answer = json.loads(sweep_points("vgg-d", '{"n": "224"}', "n"))
    >>> answer["range"], len(answer["rows"]), answer["rows"][0]["params"]  # 2048·32² + 35,597,096
    ('32:448:14', 30, '37694248')
    """
    from ..render import sweep as render
    from ..sweep import Memory, parse_range, sweep, valid_sizes

    answer: dict[str, object] = {"symbol": "", "range": "", "set": {}, "rows": [], "error": ""}
    try:
        symbolic = _symbolic(text)
        if not symbolic.symbols:
            raise SymcnnError("no free symbol to sweep: every total is a number")
        if symbol not in symbolic.symbols:
            symbol = "n" if "n" in symbolic.symbols else symbolic.symbols[0]
        chosen = _chosen(symbolic.symbols, json.loads(values_json))
        others = {name: value for name, value in chosen.items() if name != symbol}
        net = symbolic.at(**others) if others else symbolic
        sizes_text = _sweep_range(net, symbol, chosen[symbol])
        sizes, _ = valid_sizes(net, parse_range(sizes_text), symbol)
        rows = json.loads(render.json(sweep(net, sizes, symbol, Memory())))
        answer.update(symbol=symbol, range=sizes_text, set=others, rows=_exact(rows))
    except SymcnnError as error:
        answer["error"] = f"symcnn: error: {error}"
    return json.dumps(answer, ensure_ascii=False)


def _sweep_range(net: Network, symbol: str, value: int) -> str:
    """START:STOP:STEP from the smallest valid value to twice ``value``, about :data:`SWEEP_SIZES` sizes.

    >>> _sweep_range(parse("vgg-d"), "n", 224), _sweep_range(parse("conv3-8"), "n", 10)
    ('32:448:14', '1:32:1')
    """
    domain = net.analysis.domains.get(symbol)
    start = 1 if domain is None or domain.empty or domain.threshold is None else domain.threshold
    unit = domain.modulus if domain is not None and len(domain.residue_set) == 1 else 1
    stop = max(2 * value, start + (SWEEP_SIZES - 1) * unit)
    step = -(-(stop - start) // (SWEEP_SIZES - 1) // unit) * unit  # rounded up to a multiple of the unit
    return f"{start}:{stop}:{max(step, unit)}"


def _tools_counting(checked: Checked, net: Network) -> list[str]:
    """Which counting tools' totals a whole number of the claim is, as ``symcnn check`` lists them."""
    from ..compare import matching

    notes = []
    for amount in (checked.claim.left, checked.claim.right):
        if amount is not None and amount.value.denominator == 1:
            found = matching(int(amount.value), net)
            notes += [f"  {amount.value.numerator:,} = {tool}'s {what}" for tool, what in found]
    return notes


@lru_cache(maxsize=4)
def _symbolic(text: str) -> Network:
    """The network with every symbol free, kept while the values move (or it is refused)."""
    return parse(text)


def _closed_form(net: Network, quantity: str, title: str) -> dict[str, str]:
    form = net.closed_form(quantity)
    polynomial = form.polynomial
    other = polynomial is not None and polynomial != form.general
    return {
        "quantity": quantity,
        "title": title,
        "general": printing.latex(form.general),
        "polynomial": printing.latex(polynomial) if other and polynomial is not None else "",
        "assumption": latex.assumption(form.multiple_of, form.residue_of) if other else "",
    }


def _chosen(symbols: tuple[str, ...], asked: Mapping[str, object]) -> dict[str, int]:
    """Each free symbol's value: the page's field if it gave one, else its default.

    >>> _chosen(("k", "n"), {"n": "256", "m": "3"})
    {'k': 10, 'n': 256}
    >>> _chosen(("n",), {"n": "2.5"})
    Traceback (most recent call last):
    ...
    symcnn.errors.SymcnnError: n must be a whole number, not '2.5'
    """
    chosen = {}
    for name in symbols:
        value = asked.get(name, DEFAULT_VALUES.get(name, DEFAULT_OTHER))
        if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= _MAX_DIGITS:
            value = int(value)  # symcnn checks its range
        if not isinstance(value, int) or isinstance(value, bool):
            raise SymcnnError(f"{name} must be a whole number, not {shorten_literal(str(value))!r}")
        chosen[name] = value
    return chosen


def _exact(data: object) -> object:
    """``data`` with every int as its decimal string (bools stay bools).

    >>> _exact({"output": [64, 2**60], "convention": "symcnn", "closed_forms": None})
    {'output': ['64', '1152921504606846976'], 'convention': 'symcnn', 'closed_forms': None}
    """
    if isinstance(data, dict):
        return {key: _exact(item) for key, item in data.items()}
    if isinstance(data, list):
        return [_exact(item) for item in data]
    if isinstance(data, int) and not isinstance(data, bool):
        return str(data)
    return data
