"""The hand-written parser gives lark's tree exactly, or declines and lets lark decide.

A differential test: each text goes to both :func:`symcnn.fast_parser.parse` and lark.
When the fast parser accepts, lark must accept too and the trees must be the same in
rule names, children, token types and values, and every position lark sets (a token's
start_pos, line, column, end_line, end_column, end_pos; a tree's meta, container_*
and empty included). When it declines, lark decides and reports errors as before.
The texts: the zoo, README.md and examples/, every string written in the tests,
edge cases, and random texts and mutants from the hypothesis strategies.
"""

from __future__ import annotations

import ast
import random
import re
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import fuzz_generators
import pytest
import strategies
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from lark import Tree, UnexpectedInput

import symcnn.zoo
from symcnn import fast_parser
from symcnn.errors import NotationSyntaxError
from symcnn.parser import _parser, _syntax_error, grammar_path, parse_tree

ROOT = Path(__file__).resolve().parent.parent
TOKEN_FIELDS = ("type", "value", "start_pos", "line", "column", "end_line", "end_column", "end_pos")
RANDOM = settings(
    deadline=None, derandomize=True, database=None, phases=(Phase.explicit, Phase.generate),
    suppress_health_check=list(HealthCheck),
)  # fmt: skip

# Valid texts for every corner of the grammar and of lark's contextual lexer.
EDGE = (
    "", "relu", "  # only a comment", "#c\r\n\r\nrelu\r\n", "relu\r", "\f\trelu \r\n", "\n\n relu \n\n",
    "let b = , relu\nb", "let b = -> relu; b", "let b = ,;", "let b(c, d) = conv3-{c}(stride={d})\nb(3, n)",
    "let b() = relu\nb()", "let b = relu", "let b = relu\n\n\nb b", "let let2 = res(let) ; let2",
    "fc{max(a, b)}", "fc{max(a, b, c)}", "fc{f()}", "fc{ceil(3*1.2)}", "fc{(a)*b}", "fc{a*(b)}", "fc{((a))}",
    "fc{(a+b)//(c-d)/e}", "fc{a-b-c+d}", "fc{1.5e3 * .5}", "fc{x2}", "fc{relu}", "fc{input}", "fc{res(2)}",
    "fc{conv3}", "fc{true}", "fc{x}", "fc{ (a) }", "fc{max((a), (b)*(c))}",
    "input 3xnxn\nrelu", "input 3x224x224", "input 3 x n x n", "input cxhxw", "input 3X{n}Xn", "input {c}x{n}x{n}",
    "input 3xnxn(relu)", "input 3x_x_", "input 3xnxn input 1x2x3", "input relu x conv3 x let",
    "conv3-64(stride=2, padding=(1, 2), bias=false, via=linear) bn relu",
    "conv3x3-64x2 dwconv3x3x2 dwconv3x2 adaptiveavgpool6x6x2 adaptivemaxpool{n}x{n}(a=1)",
    "maxpool maxpool3 maxpool 3 maxpool{2} maxpool(stride=2) maxpool x2 maxpool (relu) avgpool3x2 pool",
    "fc4096 fc-10 FC-{c} gap gap(a=1) gapx2 gap x2", "soft-max softmax relu6 Relu6x3 relu6(inplace=true)",
    "res(relu) res (relu) cat( | relu) mul(relu | bn | ) split( relu | bn )x2 RES(relu)",
    "res(\nconv3-8\n relu\n)", "(relu)(relu) (relu)x3 ( ) ()x2", "relu(a=1)(relu)", "relu(a=truex, b=xyz, c=input)",
    "b b(1) b(x, 2) b() b(c)x2 b x2 xb", "relu, x2", "res(x2)", "(x2)", "relu -> bn ; gelu , silu",
    "relu(p=0.5, q=1.0e-5, r=.5)", "relu(a=(1,2))", "relu(a={1}, b=(3, {n}))", "relu(via=relu, x=x2, t=TRUE)",
    "conv3-8relu", "conv{k}-{c}", "conv{k}x{k}-{c}", "fc{c}(bias=true)x3", "conv3 - 8",
    "lrn(size=5, alpha=0.0001, beta=0.75, k=2)", "shuffle(groups=3) split(|relu)",
    "droppath layerscale ln identity flatten hardswish hardsigmoid sigmoid tanh silu swish gelu dropout lrn",
    "let a = relu\nlet b(c) = a conv1-{c}\nres(b(8) | b(16))x{2}", "relu # a comment × with ünïcode\nbn",
    "let input = relu", "relu, input 3xnxn", "let true(false) = relu(x=false)",
    "upconv2-8 deconv4x4-{c}(stride=2, padding=1)x2 upsample2 upsample{2}x3(mode=bilinear) UpSample2x2",
    "pad1 pad1x2 pad{p}x2 crop crop4 crop4x2 crop4x{2}x3 crop x2 crop(a=1) crop{c}x2 cropx2",
    "resize resize(to=input) resizex2",
    "cat(crop | maxpool upconv2-8) res(resize(to=branch) | ) pad1(a=b) upsample2(mode=nearest)x2",
)  # fmt: skip
# Texts lark refuses: the fast parser must decline them.
ERRORS = (
    "relu(", "conv3-", "conv3->64", "fc{a->b}", "fc 10", "conv 3-8", "res\n(relu)", "input 3x2x2 x2",
    "fc{c} xblock", "relu x2x2", "relu x2(a=1)", "let b =\nrelu", "let b = ;", "let b = relu | bn",
    "relu(a=1,)", "b(1,)", "let b(c,) = relu", "fc{f (x)}", "fc{1.}", "fc3.5", "input x2xnxn", "fc{}", "é",
    "res(relu) |", "(relu | bn)", "input 3xnxn(a=1)", "relu # c\n)", "conv3-8(stride=2\n)", "fc{(a}",
    "relu(a=relu(1))", "relu(a=b c)", "gap(x=true false)", "fc{X{1}}", "input 3x32x32 xblock", "input 3x{n}x{n} xb",
    "input relu x maxpool x n", "res(input 3xnxn)", "let b = input 3xnxn",
)  # fmt: skip


def difference(expected: Any, actual: Any, path: str = "start") -> str | None:
    """Where two lark trees differ, token positions and metas included; None when they are the same."""
    if isinstance(expected, Tree) != isinstance(actual, Tree) or type(expected) is not type(actual):
        return f"{path}: {expected!r} but {actual!r}"
    if isinstance(expected, Tree):
        if expected.data != actual.data:  # a str, or Token("RULE", …) from lark without its cache
            return f"{path}: rule {expected.data!r} but {actual.data!r}"
        if vars(expected.meta) != vars(actual.meta):
            return f"{path}: meta {vars(expected.meta)} but {vars(actual.meta)}"
        if len(expected.children) != len(actual.children):
            return f"{path}: {len(expected.children)} children but {len(actual.children)}"
        for index, (left, right) in enumerate(zip(expected.children, actual.children)):
            found = difference(left, right, f"{path}/{expected.data}[{index}]")
            if found is not None:
                return found
        return None
    for field in TOKEN_FIELDS:
        if getattr(expected, field) != getattr(actual, field):
            return (
                f"{path}: token {expected!r} has {field} {getattr(expected, field)!r}, not {getattr(actual, field)!r}"
            )
    return None


def same_or_declined(text: str) -> bool:
    """Lark's tree or a decline, never another tree or a text lark refuses; whether the fast parser accepted."""
    fast = fast_parser.parse(text + "\n")
    try:
        slow = _parser().parse(text + "\n")
    except UnexpectedInput:
        assert fast is None, f"the fast parser accepts a text lark refuses: {text!r}"
        return False
    if fast is not None:
        found = difference(slow, fast)
        assert found is None, f"{text!r}: {found}"
    return fast is not None


def test_the_grammar_is_the_one_the_fast_parser_follows() -> None:
    """A changed grammar turns the fast parser off (it declines every text) until it is brought up to date."""
    grammar = zlib.crc32(grammar_path().read_text(encoding="utf-8").encode())
    assert grammar == fast_parser.GRAMMAR_CRC32, (
        f"grammar/symcnn.lark changed (CRC-32 {grammar:#010x}): bring symcnn/fast_parser.py up to date with it, "
        "then set its GRAMMAR_CRC32; the tests here, the lexer-state one above all, check the result"
    )
    assert fast_parser.follows_grammar()


def test_the_terminals_are_the_grammars() -> None:
    terminals = {t.name: t for t in _parser().terminals}
    written = {**fast_parser.PREFIX_KEYWORDS, "NAME": fast_parser.NAME, "DIM_NAME": fast_parser.DIM_NAME}
    for name, regex in {**written, "DECIMAL": fast_parser.DECIMAL}.items():
        assert regex.replace("(?:", "(") == terminals[name].pattern.to_regexp(), name
    for word, name in fast_parser.WORDS.items():  # a whole word, ended as lark ends it
        found = re.match(terminals[name].pattern.to_regexp(), word.upper() + "(")
        assert found is not None and found.end() == len(word), word
    keywords = {name for name, t in terminals.items() if t.priority == 3}
    assert keywords == set(fast_parser.PREFIX_KEYWORDS) | set(fast_parser.WORDS.values()) | {"_DIM_X"}
    assert {name for name, t in terminals.items() if t.priority == 2} == {"DIM_NAME", "_OPTS_OPEN"}


def _first_word_token(text: str) -> tuple[str, int]:
    """The terminal and end of the fast parser's token at the start of ``text``, where lark's state takes every word."""
    parser = fast_parser._Parser.__new__(fast_parser._Parser)
    parser.text, parser.e = text, 0
    everything = fast_parser.STATEMENT | fast_parser._TF | fast_parser._X | fast_parser._OP
    parser.advance(everything)
    return parser.k, parser.e


_WORD_PIECES = [*fast_parser.WORDS, "conv", "dwconv", "fc", "fc-", "maxpool", "avgpool", "pool", "adaptiveavgpool"]
_WORD_PIECES += ["adaptivemaxpool", "x", "soft-max", "soft-", "so", "inp", "le", "relu6x", "_", "xX", "Xx"]


@settings(RANDOM, max_examples=1500)
@given(
    st.sampled_from(_WORD_PIECES),
    st.lists(st.booleans(), max_size=16),
    st.text(alphabet="abcdfgilmnoprstuvxyzX_0123456789{(- \t\n\f\r\x0b\u2028#é.", max_size=6),
)
def test_words_are_read_as_larks_terminals_read_them(piece: str, upper: list[bool], rest: str) -> None:
    """The keyword regexes and the whole-word table give the token lark's keyword, _X and NAME terminals give."""
    word = "".join(c.upper() if up else c for c, up in zip(piece, upper + [False] * len(piece)))
    text = word + rest + "\n"
    lark_order = sorted(_parser().terminals, key=lambda t: -t.priority)
    terminals = [t for t in lark_order if t.priority == 3 and t.name != "_DIM_X"] + [
        t for t in lark_order if t.name == "NAME"
    ]
    found = re.match("|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals), text)
    assert found is not None and found.lastgroup is not None
    try:
        mine = _first_word_token(text)
    except fast_parser._Declined:  # only where a character outside ASCII follows a keyword
        assert not text[found.end()].isascii()
        return
    assert mine == (found.lastgroup, found.end()) or not text[found.end()].isascii(), (text, mine)


@pytest.mark.parametrize("name", symcnn.zoo.names())
def test_every_zoo_entry_parses_fast_to_larks_tree(name: str) -> None:
    assert same_or_declined(symcnn.zoo.text(name))


def _readme_and_example_texts() -> list[str]:
    """Every quoted string, code span and code-block line of README.md, and every file or string of examples/."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    texts = re.findall(r'"([^"\n]*)"', readme) + re.findall(r"`([^`\n]+)`", readme)
    for block in re.findall(r"```\w*\n(.*?)```", readme, flags=re.S):
        texts += block.splitlines()
    for path in sorted((ROOT / "examples").iterdir()):
        if path.suffix == ".txt":
            texts.append(path.read_text(encoding="utf-8"))
        elif path.suffix == ".py":
            texts += _strings(path)
    return sorted(set(texts))


def _strings(path: Path) -> list[str]:
    return [node.value for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if _is_string(node)]


def _is_string(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 20_000


def test_readme_and_examples() -> None:
    texts = _readme_and_example_texts()
    accepted = [text for text in texts if same_or_declined(text)]
    larks = [text for text in texts if _lark_accepts(text)]
    assert accepted == larks  # all of them fast: none nests deeply or writes a keyword outside ASCII
    assert len(accepted) > 100


def _lark_accepts(text: str) -> bool:
    try:
        _parser().parse(text + "\n")
    except UnexpectedInput:
        return False
    return True


def test_every_string_in_the_tests() -> None:
    """Texts the other tests parse, and whatever else they write as a string: lark's tree or a decline."""
    texts = {text for path in sorted(Path(__file__).parent.glob("test_*.py")) for text in _strings(path)}
    texts |= set(fuzz_generators.TOKENS + fuzz_generators.SEPARATORS + fuzz_generators.SYMBOLS)
    accepted = sum(same_or_declined(text) for text in sorted(texts))
    assert accepted > 500


def test_edge_cases_parse_fast_to_larks_tree() -> None:
    assert all(same_or_declined(text) for text in EDGE)


def test_errors_are_left_to_lark() -> None:
    for text in ERRORS:
        assert fast_parser.parse(text + "\n") is None, text
        with pytest.raises(UnexpectedInput) as lark_error:
            _parser().parse(text + "\n")
        with pytest.raises(NotationSyntaxError) as error:
            parse_tree(text)
        assert str(error.value) == str(_syntax_error(text, lark_error.value))


def test_what_lark_reads_otherwise_is_left_to_it() -> None:
    """Keywords matched through Unicode case folding, and nesting deeper than the fast parser goes."""
    for text in (
        "relu ſigmoid",
        "İnput 3xnxn\nrelu",
        "(" * 150 + "relu" + ")" * 150,
        "fc{" + "(" * 150 + "n" + ")" * 150 + "}",
    ):
        assert fast_parser.parse(text + "\n") is None
        assert difference(_parser().parse(text + "\n"), parse_tree(text)) is None


class _Recording(fast_parser._Parser):
    """The fast parser, noting each token it reads and the word terminals it took lark's state to accept."""

    __slots__ = ("seen",)

    def __init__(self, text: str) -> None:
        self.seen: list[tuple[int, str, int]] = []
        super().__init__(text)

    def advance(self, accepts: int) -> None:
        super().advance(accepts)
        self.seen.append((self.s, self.k, accepts))


_LAYERS = {"ADAPTIVE_POOL", "SIMPLE", "POOL", "DWCONV", "BRANCH_KIND", "CONV", "FC", "GAP"}
_BITS = {
    "INPUT": fast_parser._IL, "LET": fast_parser._IL, "TRUE": fast_parser._TF, "FALSE": fast_parser._TF,
    "_X": fast_parser._X, "_DIM_X": fast_parser._DX, "DIM_NAME": fast_parser._DN, "NAME": fast_parser._NM,
    "_OPTS_OPEN": fast_parser._OP, "_LPAR": fast_parser._LP,
}  # fmt: skip


def _bits(accepted: set[str]) -> int:
    """The fast parser's bits for the word and parenthesis terminals a lark state accepts."""
    assert not _LAYERS & accepted or accepted >= _LAYERS  # the layer keywords go together: one bit
    assert ("INPUT" in accepted) == ("LET" in accepted) and ("TRUE" in accepted) == ("FALSE" in accepted)
    return (fast_parser._K if _LAYERS & accepted else 0) | sum({_BITS[name] for name in accepted if name in _BITS})


def test_each_token_is_read_in_the_lexer_state_lark_reads_it_in() -> None:
    """For every token of every text: the same terminal at the same place, read with lark's state's words.

    The texts visit every state lark's contextual lexer can be in, so each place where the fast parser
    reads a token is checked against lark's own table, not only the texts that happen to be written.
    """
    texts = [symcnn.zoo.text(name) for name in symcnn.zoo.names()] + list(EDGE)
    texts += [fuzz_generators.text(random.Random(seed)) for seed in range(150)]
    names = {t.pattern.value: t.name for t in _parser().terminals if t.pattern.type == "str"}
    visited: set[int] = set()
    table: Any = None
    checked = 0
    for text in texts:
        try:
            recording = _Recording(text + "\n")
            recording.sequence("start", True)
        except fast_parser._Declined:
            continue
        if recording.k != "$END":
            continue
        interactive = _parser().parse_interactive(text + "\n")
        table = interactive.parser_state.parse_conf.parse_table
        larks = []
        for token in interactive.iter_parse():
            visited.add(interactive.parser_state.position)
            larks.append((token.start_pos, token.type, _bits(set(interactive.choices()))))
        mine = [(start, names.get(kind, kind), bits) for start, kind, bits in recording.seen if kind != "$END"]
        assert mine == larks, text
        checked += 1
    assert checked > 200
    lexer_states = {table.start_states["start"]} | {
        target
        for actions in table.states.values()
        for symbol, (action, target) in actions.items()
        if action.name == "Shift" and symbol.lstrip("_")[:1].isupper()
    }
    assert lexer_states <= visited, f"lark lexer states no text reaches: {sorted(lexer_states - visited)}"


@settings(RANDOM, max_examples=300)
@given(strategies.networks())
def test_random_networks_parse_fast_to_larks_tree(case: strategies.Case) -> None:
    assert same_or_declined(case.text)
    assert case.numeric is None or same_or_declined(case.numeric)


@settings(RANDOM, max_examples=1500)
@given(st.randoms(use_true_random=True), st.sampled_from([fuzz_generators.text, fuzz_generators.mutant]))
def test_random_texts_and_zoo_mutants(rng: random.Random, generate: Any) -> None:
    text = generate(rng)
    if len(text) < 50_000:
        same_or_declined(text)


@settings(RANDOM, max_examples=1000)
@given(
    st.sampled_from(symcnn.zoo.names()),
    st.floats(0, 1),
    st.integers(0, 3),
    st.sampled_from((*fuzz_generators.TOKENS, "x", "X", " ", "", "{n}", "2", "relu", "(", "\n", "\r\n")),
)
def test_zoo_edits(name: str, where: float, cut: int, insert: str) -> None:
    """A zoo text with a few characters cut and a token put in their place."""
    text = symcnn.zoo.text(name)
    at = int(where * len(text))
    same_or_declined(text[:at] + insert + text[at + cut :])


def test_parsing_does_not_build_lark() -> None:
    """A fresh interpreter parses a zoo text without loading lark's grammar or building its lexer."""
    code = (
        "import symcnn.parser as p, symcnn.zoo\n"
        "for name in ('resnet50', 'densenet201', 'efficientnet_b0'): p.parse_tree(symcnn.zoo.text(name))\n"
        "print(p._parser.cache_info().currsize)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["0"]


def test_keyword_pattern_is_the_one_lark_builds() -> None:
    """``reads_as_keyword`` reads the grammar's text itself (no lark): the same regex as lark's terminals."""
    from symcnn import parser

    built = parser._parser().terminals
    keywords = [t.pattern.to_regexp() for t in built if t.priority >= 3 and not t.name.startswith("_")]
    assert parser._keyword_pattern().pattern == "|".join(f"(?:{pattern})" for pattern in keywords)


_STEMS = ["conv", "dwconv", "fc", "fc-", "pool", "maxpool", "avgpool", "adaptiveavgpool", "adaptivemaxpool", "gap"]
_STEMS += ["relu", "relu6", "bn", "ln", "softmax", "res", "cat", "split", "mul", "x", "input", "let", "true", "_"]


@settings(max_examples=3000, deadline=None)
@given(st.sampled_from(_STEMS), st.from_regex(r"[A-Za-z0-9_{]{0,6}", fullmatch=True), st.booleans())
def test_fast_keyword_reading_is_the_grammar_regex(stem: str, tail: str, upper: bool) -> None:
    """``reads_as_keyword`` answers from the fast parser's regex: the same as the grammar's keyword regexes."""
    from symcnn import fast_parser, parser

    word = (stem.upper() if upper else stem) + tail
    assert fast_parser.reads_as_keyword(word) == (parser._keyword_pattern().match(word) is not None)
