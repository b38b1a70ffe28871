"""Syntax tree → layer IR: defaults filled in, options checked, repeats expanded."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from lark import Token, Tree

from . import build_dense, ir
from .build_expr import suggest as _suggest
from .build_via import SIMPLE_VIA, ViaBuilder, Word
from .errors import LayerError
from .limits import MAX_LAYERS, MAX_NESTING
from .parser import KNOWN_WORDS, parse_tree, reads_as_keyword

OptionValue = ir.Expr | ir.Pair | bool | str | Word


def build(text: str) -> ir.Architecture:
    """Parse ``text`` into an :class:`~symcnn.ir.Architecture`.

    >>> arch = build("conv3-64x2 maxpool fc10")
    >>> [type(layer).__name__ for layer in arch.layers]
    ['Conv', 'Conv', 'Pool', 'Linear']
    >>> arch.input
    Input(channels=Num(value=3), height=Sym(name='n'), width=Sym(name='n'))
    """
    return _Builder(text).architecture(parse_tree(text))


@dataclass(frozen=True)
class _Options:
    """The options written after a layer, checked against the allowed names."""

    given: dict[str, tuple[OptionValue, Tree[Token]]]

    def take(self, name: str, default: OptionValue) -> OptionValue:
        entry = self.given.get(name)
        return default if entry is None else entry[0]

    @property
    def via(self) -> str:
        """The ``via=`` word, checked by :meth:`_Builder._options`; "" when not given (the nn module)."""
        value = self.take("via", Word(""))
        assert isinstance(value, Word)
        return value.text


@dataclass(frozen=True)
class _Definition:
    """A `let` block: its parameters and its body, expanded at each use."""

    name: str
    params: tuple[str, ...]
    body: Tree[Token]


class _Builder(ViaBuilder):
    def __init__(self, text: str) -> None:
        self.text = text
        self.count = 0
        self.blocks: dict[str, _Definition] = {}
        self.env: dict[str, ir.Expr] = {}  # block parameters → the arguments of the current use
        self.symbols: set[str] = set()
        self.depth = 0  # groups, branches and blocks open around the unit being built
        self.in_block = 0  # block bodies open around it: {cin} means something there
        # A block's body depends only on its arguments: built once per use signature,
        # with the rows it counts (blocks of blocks would otherwise grow exponentially).
        self.expanded: dict[tuple[str, tuple[ir.Expr, ...]], tuple[tuple[ir.Node, ...], int]] = {}

    # -------------------------------------------------------------- structure

    def architecture(self, tree: Tree[Token]) -> ir.Architecture:
        shape = ir.DEFAULT_INPUT
        nodes: list[ir.Node] = []
        for position, child in enumerate(tree.children):
            assert isinstance(child, Tree)
            if child.data == "input_decl":
                if position != 0:
                    raise self._syntax(child, "'input' may only be the first statement")
                shape = self._input(child)
            elif child.data == "let_def":
                self._define(child)
            else:
                nodes.extend(self._item(child))
        inputs = ir.symbols_of(shape.channels) | ir.symbols_of(shape.height) | ir.symbols_of(shape.width)
        build_dense.check_crops(tuple(nodes))
        return ir.Architecture(shape, tuple(nodes), self.text, frozenset(self.symbols) | inputs)

    def _input(self, tree: Tree[Token]) -> ir.Input:
        channels, height, width = (self._expr(child) for child in tree.children[1:])
        return ir.Input(channels, height, width, self._span(tree))

    def _define(self, tree: Tree[Token]) -> None:
        name_token = tree.children[1]
        name = str(name_token)
        params: tuple[str, ...] = ()
        body_start = 2
        first = tree.children[2]
        if isinstance(first, Tree) and first.data == "params":
            params = tuple(str(token) for token in first.children)
            body_start = 3
            if len(set(params)) != len(params):
                raise self._syntax(first, f"block {name!r} names a parameter twice")
            # A parameter named cin keeps the meaning it had before {cin} existed: it shadows it.
        if name.lower() in KNOWN_WORDS or reads_as_keyword(name):
            raise self._syntax(tree, f"{name!r} reads as a layer; a block needs another name")
        if name in self.blocks:
            raise self._syntax(tree, f"block {name!r} is defined twice")
        body = Tree(Token("RULE", "body"), list(tree.children[body_start:]), tree.meta)
        for use in body.find_data("block_use"):
            used = str(use.children[0])
            if used == name:
                raise self._syntax(use, f"block {name!r} uses itself; a block may only use blocks defined before it")
            if used not in self.blocks:
                raise self._syntax(use, self._unknown_block(used))
        self.blocks[name] = _Definition(name, params, body)

    def _item(self, tree: Tree[Token]) -> tuple[ir.Node, ...]:
        unit = tree.children[0]
        assert isinstance(unit, Tree)
        if len(tree.children) == 1:
            return self._unit(unit)
        repeat = tree.children[1]
        assert isinstance(repeat, Tree)
        times = self._repeat_count(repeat.children[0])
        # Build one copy, then count all of them before repeating it: the IR is frozen,
        # so the copies share their nodes. An empty copy counts one, so ()x10¹² is refused.
        before = self.count
        once = self._unit(unit)
        rows = max(self.count - before, 1)
        self._count(repeat, before + rows * times)
        return once * times

    def _count(self, where: Tree[Token], count: int) -> None:
        if count > MAX_LAYERS:
            raise self._syntax(where, f"the network would have more than {MAX_LAYERS:,} layers")
        self.count = count

    def _sequence(self, body: Tree[Token]) -> tuple[ir.Node, ...]:
        nodes: list[ir.Node] = []
        for item in body.children:
            if isinstance(item, Tree):
                nodes.extend(self._item(item))
        return tuple(nodes)

    def _unit(self, tree: Tree[Token]) -> tuple[ir.Node, ...]:
        if tree.data not in ("group", "branch", "block_use"):
            self._count(tree, self.count + 1)
            return (_LAYER_BUILDERS[tree.data](self, tree),)
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self._syntax(tree, f"groups, branches and blocks are nested more than {MAX_NESTING} deep")
        try:
            if tree.data == "group":  # a group only repeats; it adds no level to the paths
                body = tree.children[0]
                assert isinstance(body, Tree)
                return self._sequence(body)
            self._count(tree, self.count + 1)  # the merge row, or the block's own level
            return (self._branch(tree) if tree.data == "branch" else self._block_use(tree),)
        finally:
            self.depth -= 1

    def _branch(self, tree: Tree[Token]) -> ir.Branch:
        op = str(tree.children[0]).lower()
        arms = tuple(self._sequence(arm) for arm in tree.children[1:] if isinstance(arm, Tree))
        if op == "res" and len(arms) == 1:
            arms = (*arms, ())  # res(f): y = f(x) + x
        if op == "split" and (len(arms) < 2 or not any(arms)):
            # One arm would get the whole input, and arms all empty give it back unchanged: a slip either way.
            span = self._span(tree)
            reason = "split needs at least two arms" if len(arms) < 2 else "split needs a layer in at least one arm"
            raise LayerError(f"branch {span.text!r} (line {span.line}, column {span.column})", reason)
        if op in ("aux", "out") and (len(arms) != 1 or not arms[0]):
            # A side head is one sequence of layers; a second arm would have nowhere to go.
            span = self._span(tree)
            reason = f"{op} takes one arm, the head's layers" if len(arms) != 1 else f"{op} needs at least one layer"
            raise LayerError(f"branch {span.text!r} (line {span.line}, column {span.column})", reason)
        assert op in ("res", "cat", "mul", "split", "aux", "out")
        return ir.Branch(op, arms, self._span(tree))  # type: ignore[arg-type]

    def _block_use(self, tree: Tree[Token]) -> ir.Block:
        name = str(tree.children[0])
        definition = self.blocks.get(name)
        if definition is None:
            raise self._syntax(tree, self._unknown_block(name))
        args: list[ir.Expr] = []
        if len(tree.children) > 1:
            node = tree.children[1]
            assert isinstance(node, Tree)
            args = [self._expr(child) for child in node.children]
            for child, arg in zip(node.children, args, strict=True):
                if ir.CIN in ir.symbols_of(arg):  # inside, {cin} would mean the inner block's input
                    assert isinstance(child, Tree)
                    reason = "{cin} cannot be passed to a block: inside it, {cin} is that block's own input"
                    raise self._syntax(child, reason)
        if len(args) != len(definition.params):
            wanted = f"({', '.join(definition.params)})" if definition.params else "no arguments"
            raise self._syntax(tree, f"block {name!r} takes {wanted}, but is given {len(args)} argument(s)")
        signature = (name, tuple(args))
        known = self.expanded.get(signature)
        if known is None:
            outer, before = self.env, self.count
            self.env = dict(zip(definition.params, args, strict=True))
            self.in_block += 1
            try:
                body = self._sequence(definition.body)
            finally:
                self.env = outer
                self.in_block -= 1
            self.expanded[signature] = known = (body, self.count - before)
        else:
            self._count(tree, self.count + known[1])
        body = known[0]
        span = self._span(tree)
        if args:  # show the arguments the block was called with: basic(c, 2) → basic(128, 2)
            shown = ", ".join(ir.expr_text(arg) for arg in args)
            span = ir.Span(span.line, span.column, f"{name}({shown})")
        return ir.Block(name, tuple(args), body, span)

    def _unknown_block(self, name: str) -> str:
        known = tuple(self.blocks) + KNOWN_WORDS
        return f"unknown layer or block {name!r}{_suggest(name, known)}"

    # -------------------------------------------------------------- layers

    def _conv(self, tree: Tree[Token]) -> ir.Layer:
        span = self._span(tree)
        kernel = self._kernel(tree.children[1])
        depthwise = tree.data == "dwconv"
        out_channels = None if depthwise else self._expr(tree.children[2])
        allowed = ("stride", "padding", "dilation", "bias") + (() if depthwise else ("groups",))
        options = self._options(tree, span, allowed, () if depthwise else ("linear",))
        groups = options.take("groups", ir.Num(1))
        conv = ir.Conv(
            kernel=kernel,
            out_channels=out_channels,
            stride=self._pair(options.take("stride", ir.Num(1)), span, "stride"),
            padding=self._pair(options.take("padding", _half(kernel)), span, "padding"),
            dilation=self._pair(options.take("dilation", ir.Num(1)), span, "dilation"),
            groups=None if depthwise else self._single(groups, span, "groups"),
            bias=self._bool(options.take("bias", True), span, "bias"),
            span=span,
            via=options.via,
        )
        if conv.via == "linear":
            self._check_linear(conv, options.given["via"][1])
        return conv

    def _pool(self, tree: Tree[Token]) -> ir.Layer:
        span = self._span(tree)
        word = str(tree.children[0]).lower()
        mode: Literal["max", "avg"] = "avg" if word.startswith("avg") else "max"
        window: ir.Expr = ir.Num(2)
        rest = tree.children[1:]
        if rest and isinstance(rest[0], Tree) and rest[0].data != "options":
            window = self._expr(rest[0])
        allowed = ("kernel_size", "stride", "padding", "ceil_mode") + (
            ("dilation",) if mode == "max" else ("count_include_pad",)
        )
        options = self._options(tree, span, allowed, ("functional",))
        kernel = self._pair(options.take("kernel_size", window), span, "kernel_size")
        options.take("count_include_pad", True)  # shapes and counts do not depend on it
        return ir.Pool(
            mode=mode,
            kernel=kernel,
            stride=self._pair(options.take("stride", kernel), span, "stride"),
            padding=self._pair(options.take("padding", ir.Num(0)), span, "padding"),
            dilation=self._pair(options.take("dilation", ir.Num(1)), span, "dilation"),
            ceil_mode=self._bool(options.take("ceil_mode", False), span, "ceil_mode"),
            span=span,
            via=options.via,
        )

    def _adaptive_pool(self, tree: Tree[Token]) -> ir.Layer:
        span = self._span(tree)
        mode: Literal["max", "avg"] = "avg" if "avg" in str(tree.children[0]).lower() else "max"
        sizes = [
            self._expr(child) for child in tree.children[1:] if isinstance(child, Tree) and child.data != "options"
        ]
        options = self._options(tree, span, (), ("functional",))
        return ir.AdaptivePool(mode, (sizes[0], sizes[-1]), span, options.via)

    def _gap(self, tree: Tree[Token]) -> ir.Layer:
        span = self._span(tree)
        options = self._options(tree, span, (), ("functional", "mean"))
        return ir.AdaptivePool("avg", (ir.Num(1), ir.Num(1)), span, options.via)

    def _fc(self, tree: Tree[Token]) -> ir.Layer:
        span = self._span(tree)
        options = self._options(tree, span, ("bias",))
        return ir.Linear(self._expr(tree.children[1]), self._bool(options.take("bias", True), span, "bias"), span)

    def _simple(self, tree: Tree[Token]) -> ir.Layer:
        span = self._span(tree)
        op = str(tree.children[0]).lower().replace("-", "")
        options = self._options(tree, span, (*_SIMPLE_OPTIONS.get(op, ()), "inplace"), SIMPLE_VIA.get(op, ()))
        if op == "bn":
            return ir.BatchNorm(
                affine=self._bool(options.take("affine", True), span, "affine"),
                track_running_stats=self._bool(options.take("track_running_stats", True), span, "track_running_stats"),
                span=span,
            )
        if op == "flatten":
            return ir.Flatten(span)
        if op == "ln":
            return ir.ChannelNorm(span, options.via)
        if op == "layerscale":
            return ir.LayerScale(span, options.via)
        if op == "shuffle":
            return ir.Shuffle(self._single(options.take("groups", ir.Num(2)), span, "groups"), span)
        kept = tuple(
            (name, self._decimal(value, span, name))
            for name, (value, _) in options.given.items()
            if name not in ("inplace", "via")
        )
        return ir.Elementwise(op, kept, span, options.via)

    # -------------------------------------------------------------- pieces

    def _kernel(self, node: Token | Tree[Token]) -> ir.Pair:
        assert isinstance(node, Tree)
        sizes = [self._expr(child) for child in node.children]
        return (sizes[0], sizes[-1])

    def _options(
        self,
        tree: Tree[Token],
        span: ir.Span,
        allowed: tuple[str, ...],
        vias: tuple[str, ...] = (),
        words: Mapping[str, tuple[str, ...]] | None = None,
    ) -> _Options:
        """The options after a layer: names in ``allowed``, ``via=`` one of ``vias``, and the options named
        in ``words`` one of their words (``mode=bilinear``), each checked with a caret."""
        last = tree.children[-1] if tree.children else None
        given: dict[str, tuple[OptionValue, Tree[Token]]] = {}
        if not (isinstance(last, Tree) and last.data == "options"):
            return _Options(given)
        for option in last.children:
            assert isinstance(option, Tree)
            name = str(option.children[0])
            value_node = option.children[1]
            assert isinstance(value_node, Tree)
            if words and name in words:
                if name in given:
                    raise self._layer_error(span, f"option {name!r} is given twice")
                given[name] = (self._word(name, option, value_node, words[name]), option)
                continue
            if name == "via" or (value_node.data == "word" and name in allowed):  # only via= takes a word
                if name in given:
                    raise self._layer_error(span, f"option {name!r} is given twice")
                given[name] = (self._via(name, option, value_node, span, vias), option)
                continue
            if name not in allowed:
                known = (*allowed, *(words or ()), *(("via",) if vias else ()))
                hint = _suggest(name, known) or (
                    f"; allowed: {', '.join(known)}" if known else "; this layer takes no options"
                )
                raise self._layer_error(span, f"unknown option {name!r}{hint}")
            if name in given:
                raise self._layer_error(span, f"option {name!r} is given twice")
            given[name] = (self._option_value(option.children[1]), option)
        return _Options(given)

    def _option_value(self, node: Token | Tree[Token]) -> OptionValue:
        assert isinstance(node, Tree)
        if node.data == "boolean":
            return str(node.children[0]).lower() == "true"
        if node.data == "decimal":
            return str(node.children[0])
        if node.data == "pair":
            return (self._expr(node.children[0]), self._expr(node.children[1]))
        return self._expr(node)

    def _pair(self, value: OptionValue, span: ir.Span, name: str) -> ir.Pair:
        if isinstance(value, tuple):
            return value
        return (self._single(value, span, name),) * 2

    def _single(self, value: OptionValue, span: ir.Span, name: str) -> ir.Expr:
        if isinstance(value, (bool, str, tuple, Word)):
            raise self._layer_error(span, f"option {name!r} takes a whole number")
        return value

    def _bool(self, value: OptionValue, span: ir.Span, name: str) -> bool:
        if not isinstance(value, bool):
            raise self._layer_error(span, f"option {name!r} takes true or false")
        return value

    def _decimal(self, value: OptionValue, span: ir.Span, name: str) -> str:
        if isinstance(value, ir.Num):
            return str(value.value)
        if not isinstance(value, str):
            raise self._layer_error(span, f"option {name!r} takes a number")
        return value

    # -------------------------------------------------------------- errors

    def _span(self, tree: Tree[Token]) -> ir.Span:
        """Where ``tree`` stands, its text with block arguments put in: conv3-{c} → conv3-64."""
        meta = tree.meta
        text = self.text[meta.start_pos : meta.end_pos]
        if self.env and "{" in text:  # walking the subtree for braces is most of a block's build time
            for brace in sorted(_braces(tree), key=lambda b: -b.meta.start_pos):
                shown = self._shown(self._expr(brace))
                if shown is not None:
                    start, end = brace.meta.start_pos - meta.start_pos, brace.meta.end_pos - meta.start_pos
                    text = text[:start] + shown + text[end:]
        return ir.Span(meta.line, meta.column, text)

    def _layer_error(self, span: ir.Span, reason: str) -> LayerError:
        return LayerError(f"layer {span.text!r} (line {span.line}, column {span.column})", reason)


def _half(kernel: ir.Pair) -> ir.Pair:
    """PyTorch-style 'same' padding for odd kernels: k // 2 on each side."""
    height, width = (ir.Num(k.value // 2) if isinstance(k, ir.Num) else ir.BinOp("//", k, ir.Num(2)) for k in kernel)
    return (height, width)


_SIMPLE_OPTIONS: dict[str, tuple[str, ...]] = {
    "bn": ("affine", "track_running_stats", "eps", "momentum"),
    "dropout": ("p",),
    "lrn": ("size", "alpha", "beta", "k"),
    "shuffle": ("groups",),
}


_LAYER_BUILDERS: dict[str, Callable[[_Builder, Tree[Token]], ir.Layer]] = {
    "conv": _Builder._conv,
    "dwconv": _Builder._conv,
    "pool": _Builder._pool,
    "adaptive_pool": _Builder._adaptive_pool,
    "gap": _Builder._gap,
    "fc": _Builder._fc,
    "simple": _Builder._simple,
    "upconv": build_dense.upconv,
    "upsample": build_dense.upsample,
    "resize": build_dense.resize,
    "pad": build_dense.pad,
    "crop": build_dense.crop,
}


def _braces(tree: Tree[Token]) -> Iterator[Tree[Token]]:
    """The ``{…}`` subtrees of ``tree`` (braces do not nest): lark's find_data walks every subtree
    into a list first, which was most of a block's build time."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if node.data == "brace":
            yield node
        else:
            stack.extend(child for child in node.children if isinstance(child, Tree))
