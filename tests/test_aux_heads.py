"""Auxiliary heads, ``aux(…)``: GoogLeNet's and Inception-v3's side classifiers, against torchvision.

Every expected number is torch's: the parameters of ``get_model(name)`` (heads built) and of
``get_model(name, aux_logits=False)``, FlopCounterMode's count of the model in training mode
(when torch runs the heads), the output shapes a training-mode forward pass hooks, and the
input sizes at which that pass runs.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections import Counter
from typing import Any

import pytest
import torch
import torchvision
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import symcnn
from symcnn.errors import SymcnnError

pytestmark = pytest.mark.usefixtures("one_torch_thread")

HEADS = {"googlenet": 299, "inception_v3": 299}  # the zoo names, torchvision's too; a size for train mode
ODD = {"googlenet": 97, "inception_v3": 331}  # Inception-v3's head needs n ≥ 299 (see the domain test)


def torchvision_model(name: str, **kwargs: Any) -> nn.Module:
    with warnings.catch_warnings(), torch.device("meta"):
        warnings.simplefilter("ignore", FutureWarning)  # the init_weights notice
        return torchvision.models.get_model(name, weights=None, init_weights=False, **kwargs)


def count(tensors: Any) -> int:
    return sum(t.numel() for t in tensors)


@pytest.mark.parametrize("name", HEADS)
def test_parameters_with_and_without_the_heads(name: str) -> None:
    with_heads, without = torchvision_model(name), torchvision_model(name, aux_logits=False)
    assert symcnn.parse(name, n=224).params == count(with_heads.parameters())
    assert symcnn.parse(name, n=224, aux=False).params == count(without.parameters())
    assert symcnn.parse(name, n=224).buffers == count(with_heads.buffers())
    assert symcnn.parse(name, n=224, aux=False).buffers == count(without.buffers())


def train_forward(name: str, n: int) -> tuple[int, Counter[tuple[int, ...]]]:
    """FlopCounterMode's FLOPs per image and the conv and linear output shapes of a training-mode pass."""
    model = torchvision_model(name).train()
    shapes: list[tuple[int, ...]] = []
    hooks = [
        module.register_forward_hook(lambda m, i, out: shapes.append(tuple(out.shape[1:])))
        for module in model.modules()
        if isinstance(module, (nn.Conv2d, nn.Linear))
    ]
    try:
        with FlopCounterMode(display=False) as counter:
            model(torch.empty(2, 3, n, n, device="meta"))  # batch 2: batch norm in training needs it
    finally:
        for hook in hooks:
            hook.remove()
    flops = counter.get_total_flops()
    assert flops % 2 == 0
    return flops // 2, Counter(shapes)


@pytest.mark.parametrize("name", HEADS)
def test_train_mode_counts_the_heads_as_torch_runs_them(name: str) -> None:
    for n in (HEADS[name], ODD[name]):
        flops, shapes = train_forward(name, n)
        train = symcnn.parse(name, convention="torch", mode="train", n=n)
        assert train.macs == flops, n  # the torch convention counts FLOPs, as FlopCounterMode
        ours = Counter(tuple(layer.output) for layer in train.layers if layer.kind in ("conv", "fc"))
        assert ours == shapes
        eval_ = symcnn.parse(name, convention="torch", n=n)
        heads = [layer for layer in eval_.layers if layer.idle]
        assert heads and all(layer.macs == 0 and layer.activations == 0 for layer in heads)
        assert eval_.macs < train.macs


def test_inception_heads_limit_the_input_only_when_they_run() -> None:
    train = symcnn.parse("inception_v3", mode="train").analysis.smallest_valid["n"]
    eval_ = symcnn.parse("inception_v3").analysis.smallest_valid["n"]
    assert train is not None and eval_ is not None and eval_ < train
    train_forward("inception_v3", train)  # runs
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input size"):
        train_forward("inception_v3", train - 1)
    with pytest.raises(SymcnnError, match="must be at least 1"):
        symcnn.parse("inception_v3", mode="train", n=train - 1)
    symcnn.parse("inception_v3", n=train - 1)  # eval: the head is never run


@pytest.mark.parametrize("name", HEADS)
def test_the_export_runs_the_heads_only_in_training(name: str) -> None:
    size = HEADS[name]
    for aux in (True, False):
        net = symcnn.parse(name, n=size, aux=aux)
        with torch.device("meta"):
            model = symcnn.to_torch(net)
        assert count(model.parameters()) == net.params
    calls: list[str] = []
    with torch.device("meta"):
        model = symcnn.to_torch(symcnn.parse(name, n=size))
    for path, module in model.named_modules():
        if isinstance(module, nn.Linear):
            module.register_forward_hook(lambda m, i, o, path=path: calls.append(path))
    model.eval()(torch.empty(1, 3, size, size, device="meta"))
    assert len(calls) == 1  # the classifier only
    calls.clear()
    model.train()(torch.empty(2, 3, size, size, device="meta"))
    assert len(calls) == {"googlenet": 5, "inception_v3": 2}[name]  # each head's linears, then the classifier


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("conv3-8 aux() fc10", "aux needs at least one layer"),
        ("conv3-8 aux(gap fc10 | gap fc5) fc10", "aux takes one arm"),
    ],
)
def test_malformed_heads_are_refused_with_the_place(text: str, message: str) -> None:
    with pytest.raises(SymcnnError, match=message) as error:
        symcnn.parse(text)
    assert "line 1, column 9" in str(error.value)


def test_command_line_modes() -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "symcnn", *args], capture_output=True, text=True, check=False)

    eval_, train, none = (
        run("report", "googlenet", "--n", "224", "--format", "json", *extra)
        for extra in ((), ("--mode", "train"), ("--no-aux",))
    )
    assert eval_.returncode == train.returncode == none.returncode == 0
    assert '"params": 13004888' in eval_.stdout and '"params": 6624904' in none.stdout
    bad = run("report", "googlenet", "--mode", "training")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr and "Traceback" not in bad.stderr
