"""``symcnn.from_torch`` on timm's convolutional models (timm pinned in pyproject's test extras).

Each model is built as ``timm.create_model(name, pretrained=False)`` on the meta device (no memory,
no initialisation) and imported at a small probe size, n = 128 (the model's own input size where it
does not run at 128). A model imports exactly or is refused:

* imported: its parameters and buffers equal torch's, and its output shape equals the shape torch
  gives on the meta device, at the probe size and at the probe size + 32 (every expected number from
  torch at test time);
* refused: a ``SymcnnError`` that names what symcnn cannot write, the op and the module that runs it
  (``unsupported: torch.roll at stages.0.blocks.0``), or fx's own reason a forward cannot be traced;
  never another exception.

The families are timm's modules (``timm.list_modules()``) of convolutional networks; the vision
transformers, MLP mixers and hybrids with attention are out of scope and not tried. By default five
models of four families run (15 s); the sweep of every family (``-m slow``) takes ``SAMPLE`` models
of each, spread evenly over its sorted names (every model of a smaller family: 179 models), and
prints how many import exactly, by family, and the refusals, with the time it took (about 3 minutes
here; it must stay under 8).
"""

from __future__ import annotations

import re
import time
import warnings
from collections import Counter

import pytest
import timm
import torch
from torch import nn

import symcnn
from symcnn.errors import SymcnnError

CONVOLUTIONAL = [
    "byobnet",
    "convmixer",
    "convnext",
    "cspnet",
    "cspnext",
    "densenet",
    "dla",
    "dpn",
    "efficientnet",
    "fasternet",
    "ghostnet",
    "hardcorenas",
    "hgnet",
    "hrnet",
    "inception_next",
    "inception_resnet_v2",
    "inception_v3",
    "inception_v4",
    "lcnetv2",
    "mambaout",
    "mobilenetv3",
    "nasnet",
    "nfnet",
    "pnasnet",
    "rdnet",
    "regnet",
    "repghost",
    "repvit",
    "res2net",
    "resnest",
    "resnet",
    "resnetv2",
    "rexnet",
    "selecsls",
    "senet",
    "sknet",
    "starnet",
    "tresnet",
    "vgg",
    "vovnet",
    "xception",
    "xception_aligned",
]
PROBE = 128
SAMPLE = 5
DEFAULT = ("resnet18", "resnet50d", "efficientnet_b0", "regnetx_002", "convnext_atto")
REFUSAL = re.compile(
    r"^(unsupported: [\w.]+ at [\w.]+( \(.*\))?$"  # an op and the module that runs it
    r"|unsupported: (parameters|dataflow|a branch|a result|a resize|an output|a \w+ at|Tensor\.chunk)"
    r"|torch\.fx cannot trace \w+: .+"
    r"|the model does not run on a .+)"
)


def counts(module: nn.Module) -> tuple[int, int]:
    return sum(p.numel() for p in module.parameters()), sum(b.numel() for b in module.buffers())


def torch_shape(module: nn.Module, n: int) -> tuple[int, ...]:
    with torch.no_grad():
        return tuple(module(torch.empty((2, 3, n, n), device="meta")).shape[1:])


def attempt(name: str) -> str | None:
    """Import ``name``: None when it imports exactly (checked here against torch), else the refusal."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.device("meta"):
            model = timm.create_model(name, pretrained=False).eval()
    n = PROBE
    try:
        try:
            net = symcnn.from_torch(model, sizes={"n": n})
        except SymcnnError as error:
            if not str(error).startswith("the model does not run"):
                raise
            n = int(model.pretrained_cfg["input_size"][-1])
            net = symcnn.from_torch(model, sizes={"n": n})
    except SymcnnError as error:
        assert REFUSAL.match(str(error)), f"{name}: a refusal that names no op: {error}"
        return str(error)
    for size in (n, n + 32):
        fixed = net.at(n=size)
        assert (fixed.params, fixed.buffers) == counts(model), (name, size)
        found = tuple(int(str(s)) for s in (fixed.layers[-1].output if fixed.layers else fixed.input))
        assert found == torch_shape(model, size), (name, size)
    return None


def sample(names: list[str]) -> list[str]:
    """``SAMPLE`` names spread evenly over the sorted list (all of a shorter one).

    >>> sample([f"m{i:02}" for i in range(10)])
    ['m00', 'm02', 'm04', 'm06', 'm08']
    """
    ordered = sorted(names)
    if len(ordered) <= SAMPLE:
        return ordered
    return [ordered[index * len(ordered) // SAMPLE] for index in range(SAMPLE)]


@pytest.mark.parametrize("name", DEFAULT)
def test_timm_model_imports_exactly(name: str) -> None:
    assert attempt(name) is None


def test_a_timm_refusal_names_the_op() -> None:
    refusal = attempt("cspdarknet53")
    assert refusal is not None and refusal.startswith("unsupported: torch.nn.LeakyReLU at stem.")


@pytest.mark.slow
def test_timm_sweep(capsys: pytest.CaptureFixture[str]) -> None:
    start = time.perf_counter()
    tried: Counter[str] = Counter()
    exact: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    every = timm.list_models()
    for module in CONVOLUTIONAL:
        for name in sample(timm.list_models(module=module)):
            refusal = attempt(name)
            tried[module] += 1
            if refusal is None:
                exact[module] += 1
            else:
                reasons[re.sub(r" at .*| \(.*", "", refusal)] += 1
    elapsed = time.perf_counter() - start
    with capsys.disabled():
        print(f"\ntimm {timm.__version__}: {len(every)} models; {SAMPLE} (or all) of each convolutional family tried")
        print(f"{sum(exact.values())} of {sum(tried.values())} tried import exactly, in {elapsed:.0f} s; by family:")
        print(", ".join(f"{module} {exact[module]}/{tried[module]}" for module in CONVOLUTIONAL))
        print("refusals:", "; ".join(f"{reason} ×{count}" for reason, count in reasons.most_common()))
    assert sum(exact.values()) > 0
    assert elapsed < 8 * 60
