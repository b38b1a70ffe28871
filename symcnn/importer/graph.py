"""The dataflow graph as nested branches: a series–parallel decomposition.

A step with several users starts a branch; the first step that every path from it passes through
(its immediate post-dominator) must be a merge, and closes it; each of the merge's inputs is an
arm, empty when it is the branch's input itself. A ``chunk`` whose parts meet again in a ``cat``
is a ``split``. No torch here:

>>> from symcnn.importer.trace import Step
>>> steps = [Step("input", "", (), ""), Step("layer", "conv3-8", (0,), "a"), Step("layer", "relu", (1,), "b"),
...          Step("layer", "conv3-8", (2,), "c"), Step("merge", "res", (3, 2), ""), Step("output", "", (4,), "")]
>>> [type(item).__name__ for item in decompose(steps)]
['Layer', 'Layer', 'Branch']
>>> decompose(steps)[2].arms
((Layer(text='conv3-8', scope=()),), ())
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import SymcnnError
from .layers import TARGET
from .trace import Step

Scope = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Layer:
    """One layer of the notation, in the modules ``scope`` (outermost first)."""

    text: str
    scope: Scope


@dataclass(frozen=True)
class Branch:
    """``op(arm | arm …)``: ``res``, ``cat``, ``mul`` or ``split``; ``out`` or ``aux`` with one arm."""

    op: str
    arms: tuple[tuple[Item, ...], ...]
    scope: Scope


Item = Layer | Branch


def decompose(steps: list[Step]) -> tuple[Item, ...]:
    """The steps (in topological order, one input, one output) as a sequence of layers and branches."""
    return _Decomposer(steps).run()


def common(scopes: list[Scope]) -> Scope:
    """The longest scope that every one of ``scopes`` starts with.

    >>> common([(("a", "k"), ("a.0", "j")), (("a", "k"),)])
    (('a', 'k'),)
    """
    if not scopes:
        return ()
    first = scopes[0]
    length = len(first)
    for scope in scopes[1:]:
        length = min(length, len(scope))
        for index in range(length):
            if scope[index] != first[index]:
                length = index
                break
    return first[:length]


class _Decomposer:
    def __init__(self, steps: list[Step]) -> None:
        self.steps = steps
        self.users: list[list[int]] = [[] for _ in steps]
        for index, step in enumerate(steps):
            for source in step.inputs:
                if index not in self.users[source]:
                    self.users[source].append(index)
        self.below = [0] * len(steps)  # bit v of below[u]: v is reachable from u (u itself included)
        for index in range(len(steps) - 1, -1, -1):
            mask = 1 << index
            for user in self.users[index]:
                mask |= self.below[user]
            self.below[index] = mask
        self.emitted: set[int] = set()
        self.branch_inputs: list[int] = []  # the input of every branch around the step being written
        self.main = len(steps) - 1  # the main output's step
        self.sides: list[int] = []  # the other outputs' steps, not yet written
        self.side_op = "out"

    def run(self) -> tuple[Item, ...]:
        output = len(self.steps) - 1
        assert self.steps[0].kind == "input" and self.steps[output].kind == "output"
        for index, step in enumerate(self.steps):
            if not self.below[index] >> output & 1:
                raise SymcnnError(
                    f"unsupported: a result the model never uses ({step.text or step.kind} at {step.where})"
                )
        self.main, *sides = self.steps[output].inputs
        self.side_op = self.steps[output].text
        for side in sides:
            if self.reaches(side, self.main) or side == 0:
                step = self.steps[side]
                raise SymcnnError(
                    f"unsupported: an output that the main output is computed from ({step.text or step.kind} "
                    f"at {step.where or 'the input'})"
                )
        self.sides = sorted(sides)
        items = (*self.side_arms(0), *self.sequence(0, self.main))
        if self.sides:
            step = self.steps[self.sides[0]]
            raise SymcnnError(f"unsupported: an output whose head does not start on the main path ({step.where})")
        return items

    def side_arms(self, current: int) -> list[Item]:
        """The heads that start at ``current`` and never rejoin the main path: ``out(…)`` for a second
        output, ``aux(…)`` for an auxiliary head that only training runs."""
        starts = [user for user in self.users[current] if not self.reaches(user, self.main)]
        found: list[Item] = []
        for side in [side for side in self.sides if any(self.reaches(user, side) for user in starts)]:
            self.sides.remove(side)  # before its arm is walked: the arm's own steps lead to it
            arm = self.sequence(current, side)
            found.append(Branch(self.side_op, (arm,), common([item.scope for item in arm])))
        return found

    def reaches(self, start: int, end: int) -> bool:
        return bool(self.below[start] >> end & 1)

    def sequence(self, current: int, end: int) -> tuple[Item, ...]:
        items: list[Item] = []
        while current != end:
            following = [user for user in self.users[current] if self.reaches(user, end)]
            if len(following) == 1 and self.steps[following[0]].kind == "layer":
                current = following[0]
                self.emit(current)
                items.append(self.layer(current))
            else:
                if len(following) == 1 and self.steps[following[0]].kind == "chunk":
                    branch, current = self.split(following[0], end)
                else:
                    branch, current = self.branch(current, end)
                items.append(branch)
            items.extend(self.side_arms(current))
        return tuple(items)

    def layer(self, index: int) -> Layer:
        """A step's layer; a resize to a tensor's size says which tensor: the input or its branch's."""
        step = self.steps[index]
        if step.reads < 0:
            return Layer(step.text, step.scope)
        if step.reads == 0:
            target = "input"
        elif self.branch_inputs and self.branch_inputs[-1] == step.reads:
            target = "branch"
        else:
            raise SymcnnError(
                f"unsupported: a resize at {step.where or 'the top level'} to the size of a tensor that is "
                "neither the model's input nor the input of the branch around it"
            )
        return Layer(step.text.replace(TARGET, target), step.scope)

    def emit(self, index: int) -> None:
        if index in self.emitted:
            step = self.steps[index]
            raise SymcnnError(
                f"unsupported: dataflow that nested branches cannot write ({step.text} at {step.where} "
                "feeds two merges that do not nest)"
            )
        self.emitted.add(index)

    def merge_after(self, start: int, end: int) -> int:
        """The immediate post-dominator of ``start`` among the steps between it and ``end``."""
        region = [v for v in range(start, end + 1) if self.reaches(start, v) and self.reaches(v, end)]
        inside = set(region)
        furthest = start
        for vertex in region:
            if vertex != start and furthest <= vertex:
                return vertex
            for user in self.users[vertex]:
                if user in inside:
                    furthest = max(furthest, user)
        return end  # pragma: no cover - end post-dominates everything in its region

    def branch(self, current: int, end: int) -> tuple[Branch, int]:
        merge = self.merge_after(current, end)
        step = self.steps[merge]
        if step.kind != "merge":
            where = self.steps[current]
            raise SymcnnError(
                f"unsupported: a branch that does not end in an add, cat or mul (from {where.text or where.kind} "
                f"at {where.where or 'the input'} to {step.text or step.kind} at {step.where})"
            )
        self.emit(merge)
        if not all(self.reaches(current, source) for source in step.inputs):
            raise SymcnnError(f"unsupported: a {step.text} at {step.where} of tensors from outside its branch")
        self.branch_inputs.append(current)
        arms = tuple(() if source == current else self.sequence(current, source) for source in step.inputs)
        self.branch_inputs.pop()
        return Branch(step.text, arms, self.scope_of(arms, step)), merge

    def split(self, chunk: int, end: int) -> tuple[Branch, int]:
        merge = self.merge_after(chunk, end)
        step = self.steps[merge]
        count = int(self.steps[chunk].text)
        parts = sorted((int(self.steps[user].text), user) for user in self.users[chunk])
        if step.kind != "merge" or step.text != "cat" or [p for p, _ in parts] != list(range(count)):
            where = self.steps[chunk]
            raise SymcnnError(
                f"unsupported: Tensor.chunk at {where.where} whose parts do not meet again in one cat in order"
            )
        if len(step.inputs) != count:
            raise SymcnnError(
                f"unsupported: Tensor.chunk at {step.where}: {count} parts, {len(step.inputs)} in the cat"
            )
        self.emit(merge)
        arms = []
        self.branch_inputs.append(self.steps[chunk].inputs[0])
        for (_, part), source in zip(parts, step.inputs):
            if not self.reaches(part, source):
                raise SymcnnError(f"unsupported: a cat at {step.where} that reorders the parts of a chunk")
            arms.append(() if source == part else self.sequence(part, source))
        self.branch_inputs.pop()
        return Branch("split", tuple(arms), self.scope_of(tuple(arms), step)), merge

    def scope_of(self, arms: tuple[tuple[Item, ...], ...], merge: Step) -> Scope:
        return common([merge.scope] + [item.scope for arm in arms for item in arm])
