"""The fast printers of symcnn.render.expressions against independent computations.

Every value a renderer prints (per-layer counts and shapes, totals, closed
forms) is printed by walking the expression, with per-node memory. Here each
printed value is checked three ways: against sympy's own printers (``str``,
and the StrPrinter and LatexPrinter subclasses that define symcnn's notation),
read back by ``sympy.parse_expr`` to the same expression (the plain and the
text form), and, for the evaluation the derivation document checks with,
against sympy's ``xreplace``. Random expressions of floor atoms, symbols and
rational coefficients cover what the zoo does not (negative and fractional
coefficients, sums as factors, ceilings, other symbols). Last, a report whose
values are all numbers renders without importing sympy, and so does a sweep.
"""

from __future__ import annotations

import re
import subprocess
import sys
from functools import cache

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn
from symcnn import zoo
from symcnn.analysis import QUANTITIES
from symcnn.dims import floor_atom
from symcnn.network import Network
from symcnn.render import expressions, printing, sympy_printers, walked
from symcnn.values import symbol

N = symbol("n")
# Networks whose every value is compared with sympy's printers (the slow side).
COMPARED = (
    *("densenet201", "resnet152", "mobilenet_v2", "squeezenet1_0", "inception_v3", "googlenet", "efficientnet_b0"),
    *("convnext_tiny", "regnet_y_400mf", "alexnet", "lenet5", "vgg16"),
)
SAMPLES = (224, 225, 227, 300, 511)
_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


def reference(kind: str, expr: sympy.Basic) -> str:
    """``expr`` as sympy's printers print it (symcnn's subclasses for text and LaTeX)."""
    printers = {
        "plain": str,
        "text": sympy_printers.TEXT.print,
        "tex": sympy_printers.TEX.print,
        "inline": sympy_printers.TEX_INLINE.print,
    }
    return printers[kind](expr)


def reference_terms(expr: sympy.Basic) -> list[str]:
    """A sum's terms as sympy's LaTeX printer prints them, one by one, with their signs."""
    if not isinstance(expr, sympy.Add):
        return [sympy_printers.TEX.print(expr)]
    terms = []
    for index, term in enumerate(expr.as_ordered_terms()):
        sign = "" if index == 0 else "+ "
        if index and term.could_extract_minus_sign():
            sign, term = "- ", -term
        terms.append(sign + sympy_printers.TEX.print(term))
    return terms


@cache
def network(name: str) -> Network:
    return symcnn.parse(zoo.text(name))


def symbolic_values(net: Network) -> set[sympy.Basic]:
    """Every symbolic value the renderers print for ``net``: shapes, counts, totals, closed forms."""
    found: list[object] = [*net.input, net.analysis.input_activations]
    for depth in (None, 1):
        for row in net.rows(depth):
            found += [*row.output, *row.geometry.input, *row.geometry.weight_factors]
            found += [getattr(row, quantity) for quantity in QUANTITIES]
    for quantity in QUANTITIES:
        form = net.closed_form(quantity)
        found += [net.total(quantity), form.general, form.polynomial]
    return {value for value in found if isinstance(value, sympy.Basic) and not isinstance(value, sympy.Integer)}


def check_printed(expr: sympy.Basic) -> None:
    for kind in expressions.WALKS:
        assert expressions.show(expr, kind) == reference(kind, expr), (kind, expr)
    assert expressions.tex_terms(expr) == reference_terms(expr), expr
    check_order(expr)


def check_order(expr: sympy.Basic) -> None:
    """The walks' sort keys and orders of terms are sympy's, at every node."""
    for node in sympy.preorder_traversal(expr):
        assert walked.sort_key(node) == node.sort_key(), node
        if isinstance(node, sympy.Add):
            assert list(walked.terms(node)) == node.as_ordered_terms(), node


@pytest.mark.parametrize("name", COMPARED)
def test_zoo_values_print_as_sympy_prints_them(name: str) -> None:
    values = symbolic_values(network(name))
    assert values
    for value in values:
        check_printed(value)


def text_to_sympy(text: str) -> str:
    """The text notation as sympy input: ⌊a/b⌋ → floor(a/b), · → *, ² → **2, digits ungrouped."""
    text = text.replace(",", "").replace("·", "*").replace("⌊", "floor(").replace("⌋", ")")
    text = text.replace("⌈", "ceiling(").replace("⌉", ")")
    return re.sub("[⁰¹²³⁴⁵⁶⁷⁸⁹]+", lambda match: "**" + match.group(0).translate(_SUPERSCRIPT_DIGITS), text)


@pytest.mark.parametrize("name", zoo.names())
def test_zoo_values_read_back(name: str) -> None:
    """The plain form (CSV, JSON) and the text form (tables) parse back to the value itself."""
    symbols = {"n": N}
    for value in symbolic_values(network(name)):
        assert sympy.parse_expr(printing.plain(value), local_dict=symbols) == value
        assert sympy.parse_expr(text_to_sympy(printing.text(value)), local_dict=symbols) == value


@pytest.mark.parametrize("name", COMPARED)
def test_zoo_values_evaluate_as_xreplace_does(name: str) -> None:
    for value in symbolic_values(network(name)):
        for n in SAMPLES:
            exact = value.xreplace({N: sympy.Integer(n)})
            expected = int(exact) if isinstance(exact, sympy.Integer) else None
            assert expressions.value_at(value, {"n": n}) == expected, (value, n)


K = sympy.Symbol("k", integer=True, positive=True)
ALPHA = sympy.Symbol("alpha", integer=True, positive=True)
K_H = sympy.Symbol("k_h", integer=True, positive=True)


@st.composite
def atoms(draw: st.DrawFn) -> sympy.Expr:
    kind = draw(st.sampled_from(["floor", "floor", "floor", "symbol", "ceiling", "other floor", "shifted"]))
    if kind == "floor":
        divisor = draw(st.sampled_from([2, 3, 4, 8, 32, 1024]))
        return floor_atom("n", draw(st.integers(0, divisor - 1)), divisor)
    if kind == "symbol":
        return draw(st.sampled_from([N, K, ALPHA, K_H]))
    if kind == "ceiling":
        return sympy.ceiling(N / draw(st.sampled_from([2, 3, 5])))
    if kind == "other floor":
        return draw(st.sampled_from([sympy.floor((N + K) / 2), sympy.floor(N / K), sympy.floor((99 - K) / 2)]))
    return draw(atoms()) + draw(st.integers(-5, 5))


coefficients = st.one_of(
    st.sampled_from([1, 2, 64, 9408, 1234567, -1, -3, -3000]).map(sympy.Integer),
    st.builds(sympy.Rational, st.integers(-3000, 3000).filter(bool), st.sampled_from([1, 2, 3, 7, 1024])),
)


@st.composite
def terms(draw: st.DrawFn) -> sympy.Expr:
    factors = draw(st.lists(st.tuples(atoms(), st.sampled_from([1, 1, 2, 3])), max_size=3))
    return sympy.Mul(draw(coefficients), *(atom**power for atom, power in factors))


@st.composite
def values(draw: st.DrawFn) -> sympy.Expr:
    shape = draw(st.sampled_from(["term", "sum", "sum", "product", "power"]))
    if shape == "term":
        return draw(terms())
    if shape == "sum":
        return sympy.Add(*draw(st.lists(terms(), min_size=1, max_size=6)))
    if shape == "product":
        return draw(terms()) * draw(values())
    return sympy.Pow(draw(values()), draw(st.sampled_from([-2, -1, 2])))


@settings(max_examples=300, deadline=None)
@given(values())
def test_random_values_print_as_sympy_prints_them(value: sympy.Expr) -> None:
    check_printed(sympy.sympify(value))


@settings(max_examples=200, deadline=None)
@given(values(), st.integers(1, 2000), st.integers(1, 9))
def test_random_values_evaluate_as_xreplace_does(value: sympy.Expr, n: int, k: int) -> None:
    given = {"n": n, "k": k, "alpha": 3, "k_h": 2}
    symbols = {N: n, K: k, ALPHA: 3, K_H: 2}
    exact = sympy.sympify(value).xreplace({name: sympy.Integer(number) for name, number in symbols.items()})
    expected = int(exact) if isinstance(exact, sympy.Integer) else None
    assert expressions.value_at(value, given) == expected


def test_a_symbolic_kernel_prints_as_sympy_prints_it() -> None:
    """Sizes that are sums of n, another symbol and a floor of it, a sum per layer (issue 8's slow report)."""
    values = symbolic_values(symcnn.parse("conv{32 // 3-7-w+96}-5x12 ->"))
    assert values
    for value in values:
        check_printed(value)


def test_a_number_and_a_negative_multiple_keep_sympys_order() -> None:
    w = symbol("w")
    for value in (3 - 2 * w, 3 - w, 3 - w / 2, -3 + 2 * w, 3 - 2 * w * N, 3 + 2 * w, sympy.Rational(1, 2) - w):
        check_printed(value)


def test_floor_atoms_print_from_their_keys_as_together_does() -> None:
    for divisor in (2, 3, 32, 1024, 4096):
        for remainder in {0, 1, divisor // 2, divisor - 1}:
            atom = floor_atom("n", remainder, divisor)
            for kind in ("text", "tex", "inline"):
                assert expressions.show(atom, kind) == reference(kind, atom)
                assert expressions.show(atom**2, kind) == reference(kind, atom**2)


def test_a_numeric_report_imports_no_sympy() -> None:
    """Every renderer, at n = 224 (all values ints), without importing sympy."""
    script = (
        "import sys, symcnn\n"
        "net = symcnn.parse(symcnn.zoo.text('resnet18'), n=224)\n"
        "for render in (net.table, net.markdown, net.latex, net.csv):\n"
        "    render(None)\n"
        "net.to_json(); net.latex(None, document=True)\n"
        "assert 'sympy' not in sys.modules, sorted(m for m in sys.modules if m.startswith('sympy'))[:5]\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]


def test_a_sweep_imports_no_sympy() -> None:
    """``symcnn sweep``'s values (from the walk's own sums) and their tables, without importing sympy."""
    script = (
        "import sys, symcnn\n"
        "from symcnn.render import sweep as render\n"
        "from symcnn.sweep import Memory, sweep\n"
        "rows = sweep(symcnn.parse('resnet50'), list(range(32, 3201, 32)))\n"
        "render.table(rows, Memory(), 'n'); render.csv(rows); render.json(rows)\n"
        "assert rows[6].macs == symcnn.parse('resnet50', n=224).macs\n"
        "assert 'sympy' not in sys.modules, sorted(m for m in sys.modules if m.startswith('sympy'))[:5]\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
