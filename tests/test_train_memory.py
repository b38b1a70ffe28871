"""Training memory (:mod:`symcnn.training`) against PyTorch itself.

The oracle of the saved bytes is autograd: every tensor it packs for the backward pass during one
forward pass of the exported module in training mode (``torch.autograd.graph.saved_tensors_hooks``),
each storage once, the module's parameters and buffers left out. It runs on the ``meta`` device
(shapes and storages without memory or arithmetic), a storage known by its ``StorageImpl``; a few
cases run on the CPU too, to show that the meta device saves what the CPU saves. Parameters,
gradients, buffers and the optimizer's state are those of a real ``torch.optim`` step.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import Iterable

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from strategies import Case, networks

import symcnn
from symcnn.cli import main
from symcnn.errors import SizeError
from symcnn.evaluate import compile_form
from symcnn.sweep import parse_condition
from symcnn.training import train_memory

DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16, "mixed": torch.float32}
OPTIMIZERS = {
    "sgd": lambda params: torch.optim.SGD(params, lr=0.1),
    "momentum": lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9),
    "adam": lambda params: torch.optim.Adam(params),
    "adamw": lambda params: torch.optim.AdamW(params),
}
SLOW = pytest.mark.slow
FAST = (
    "vgg-a-lrn",
    "resnet18",
    "mobilenet_v2",
    "mobilenet_v3_small",
    "densenet121",
    "unet",
    "googlenet",
    "convnext_tiny",
    "shufflenet_v2_x0_5",
    "efficientnet_b0",
    "squeezenet1_0",
    "mnasnet0_5",
    "lraspp_mobilenet_v3_large",
)


def saved_by_autograd(net: symcnn.Network, batch: int = 2, precision: str = "float32", device: str = "meta") -> int:
    """The bytes of the storages autograd keeps in one forward pass in training mode, each once."""
    with torch.device(device):
        model = symcnn.to_torch(net).to(DTYPES[precision]).train()
        own = {_storage(tensor) for tensor in (*model.parameters(), *model.buffers())}
        storages: dict[int, int] = {}
        # Every tensor packed stays alive until the end, so that no address is freed and reused: the
        # graph of an auxiliary head, whose output the exported module drops, would be freed at once.
        kept: list[torch.Tensor] = []

        def pack(tensor: torch.Tensor) -> torch.Tensor:
            key = _storage(tensor)
            if key not in own:
                storages[key] = tensor.untyped_storage().nbytes()
            # Detached: the tensor itself, kept or returned, would make a cycle through its grad_fn and
            # this hook that Python cannot collect, and every model measured would stay in memory.
            kept.append(tensor.detach())
            return tensor.detach()

        inputs = torch.randn(batch, *(int(size) for size in net.input), dtype=DTYPES[precision])
        autocast = torch.autocast("cpu", torch.bfloat16) if precision == "mixed" else contextlib.nullcontext()
        with autocast, torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
            output = model(inputs)
        del output
    return sum(storages.values())


def _storage(tensor: torch.Tensor) -> int:
    storage = tensor.untyped_storage()
    return storage.data_ptr() if storage.device.type == "cpu" else int(storage._cdata)


def two_sizes(name: str) -> tuple[int, int]:
    """The smallest size a network accepts in training (its auxiliary heads run) and one 7 above it or next."""
    domain = symcnn.parse(name, mode="train").analysis.domains["n"]
    assert domain is not None and domain.smallest is not None
    first = domain.smallest
    second = first + 7 if domain.contains(first + 7) else domain.nearest(first + 7)[1]
    assert second is not None
    return first, second


@pytest.mark.parametrize("name", FAST)
def test_saved_bytes_are_autograds_for_the_zoo(name: str) -> None:
    for n in two_sizes(name):
        net = symcnn.parse(name, n=n)
        assert train_memory(net, batch=2).saved == saved_by_autograd(net), (name, n)


@pytest.mark.slow
@pytest.mark.parametrize("name", symcnn.zoo.names())
def test_saved_bytes_are_autograds_for_every_zoo_entry(name: str) -> None:
    for n in two_sizes(name):
        net = symcnn.parse(name, n=n)
        assert train_memory(net, batch=2).saved == saved_by_autograd(net), (name, n)


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("resnet18", 32),
        ("vgg-a-lrn", 40),
        pytest.param("convnext_tiny", 32, marks=SLOW),
        pytest.param("shufflenet_v2_x0_5", 32, marks=SLOW),
        ("conv3-8 dropout(p=0.3) maxpool dropout(p=0) relu dropout(p=1) fc10 dropout bn", 8),
    ],
)
def test_the_meta_device_saves_what_the_cpu_saves(text: str, n: int) -> None:
    net = symcnn.parse(text, n=n)
    assert saved_by_autograd(net, device="cpu") == saved_by_autograd(net) == train_memory(net, batch=2).saved


@pytest.mark.parametrize("precision", ["float16", "bfloat16"])
@pytest.mark.parametrize(
    "name",
    ["resnet18", "mobilenet_v3_small", pytest.param("convnext_tiny", marks=SLOW), pytest.param("vgg11_bn", marks=SLOW)],
)
def test_saved_bytes_in_half_precision(name: str, precision: str) -> None:
    """On the CPU: a batch norm's or LayerNorm's statistics of a half input are half too, where the
    meta device (and CUDA) keep them in float32."""
    net = symcnn.parse(name, n=two_sizes(name)[0])
    measured = saved_by_autograd(net, precision=precision, device="cpu")
    assert train_memory(net, batch=2, precision=precision).saved == measured


SPECIAL = [
    # a network that starts with ops no gradient reaches: no autograd node, nothing kept
    "maxpool relu dropout conv3-4 relu",
    # views: flatten of a channels-last LayerNorm output copies, of a 1×1 map does not; a crop is a view
    "conv3-4 ln fc10",
    "conv3-4 gap ln flatten fc10 bn",
    "conv3-4 crop1 conv3-2 crop1 fc3",
    # mul keeps both operands, also with three arms and a broadcast arm; split arms are views
    "conv3-4 mul( | gap conv1-4 sigmoid | conv1-4 tanh) split( | conv1-2 relu6) shuffle",
    "mul( | conv1-3)",
    # a Linear whose input needs no gradient keeps no weights (under autocast: no bfloat16 copy of them)
    "fc3(bias=false) relu fc2",
    # a Linear on channels: a copy of a channels-first map, none of a channels-last one
    "conv3-4 conv1-6(via=linear) gelu conv1-4(via=linear) layerscale(via=functional) ln(via=functional)",
    # batch norm without affine or running statistics; pooling and resampling that keep nothing
    "conv3-4 bn(affine=false) bn(track_running_stats=false) avgpool adaptivemaxpool3 adaptiveavgpool2 upsample2",
    "conv3-4 upconv2-4 pad1 resize(to=input, mode=bilinear) hardswish hardsigmoid silu softmax",
    "conv3-4 aux(conv1-2 relu gap fc3) out(conv1-2 relu) relu",
]


@pytest.mark.parametrize("text", [*SPECIAL, "resnet18", "convnext_tiny", "vgg-a-lrn"])
def test_saved_bytes_in_mixed_precision(text: str) -> None:
    """CPU autocast to bfloat16 on float32 weights: what it casts and saves, per torch itself."""
    net = symcnn.parse(text, n=8 if text in SPECIAL else two_sizes(text)[0])
    assert train_memory(net, batch=2, precision="mixed").saved == saved_by_autograd(
        net, precision="mixed", device="cpu"
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", symcnn.zoo.names())
def test_saved_bytes_in_mixed_precision_for_every_zoo_entry(name: str) -> None:
    net = symcnn.parse(name, n=two_sizes(name)[0])
    assert train_memory(net, batch=2, precision="mixed").saved == saved_by_autograd(
        net, precision="mixed", device="cpu"
    )


def test_half_precision_on_the_cpu() -> None:
    net = symcnn.parse("conv3-8 bn relu maxpool ln dropout conv3-4 gap fc10", n=8)
    assert saved_by_autograd(net, precision="bfloat16", device="cpu") == train_memory(net, 2, "sgd", "bfloat16").saved


@pytest.mark.parametrize("text", SPECIAL)
def test_saved_bytes_of_views_copies_and_merges(text: str) -> None:
    for n in (8, 11):
        net = symcnn.parse(text, n=n)
        assert train_memory(net, batch=2).saved == saved_by_autograd(net, device="cpu"), n


RANDOM = settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@RANDOM
@given(case=networks())
def test_saved_bytes_of_random_networks(case: Case) -> None:
    try:
        net = symcnn.parse(case.text)
    except SizeError:
        return
    for values in case.sizes:
        with contextlib.suppress(SizeError):
            fixed = net.at(**values)
            break
    else:
        return
    assert train_memory(fixed, batch=2).saved == saved_by_autograd(fixed), case.text
    mixed = saved_by_autograd(fixed, precision="mixed", device="cpu")
    assert train_memory(fixed, batch=2, precision="mixed").saved == mixed, case.text


@pytest.mark.parametrize(
    "name", ["resnet18", "unet", pytest.param("densenet121", marks=SLOW), pytest.param("inception_v3", marks=SLOW)]
)
def test_the_closed_form_gives_torchs_total_at_two_sizes(name: str) -> None:
    """The symbolic total's closed form, evaluated, equals torch's saved bytes plus its parameters
    (twice: their gradients) and buffers (SGD keeps no state): a second route through the closed form."""
    form = compile_form(symcnn.parse(name).train_memory(batch=3).closed_form().general, "n")
    for n in two_sizes(name):
        net = symcnn.parse(name, n=n)
        with torch.device("meta"):
            model = symcnn.to_torch(net)
        weights = sum(p.nbytes for p in model.parameters())
        buffers = sum(b.nbytes for b in model.buffers())
        assert int(form(n)) == saved_by_autograd(net, batch=3) + 2 * weights + buffers, (name, n)


def _step(model: torch.nn.Module, optimizer: str, inputs: torch.Tensor, mixed: bool = False) -> torch.optim.Optimizer:
    step = OPTIMIZERS[optimizer](model.parameters())
    with torch.autocast("cpu", torch.bfloat16) if mixed else contextlib.nullcontext():
        loss = model(inputs).float().sum()
    loss.backward()
    step.step()
    return step


def _state_bytes(step: torch.optim.Optimizer) -> int:
    return sum(value.nbytes for state in step.state.values() for value in state.values() if torch.is_tensor(value))


@pytest.mark.parametrize("precision", ["float32", "bfloat16", "mixed"])
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("conv3-8(bias=false) bn relu conv3-8 bn(affine=false) ln layerscale upconv2-4 gap fc10 fc5(bias=false) bn", 8),
        pytest.param("squeezenet1_1", 32, marks=SLOW),
    ],
)
def test_parameters_gradients_and_optimizer_state_are_torchs(text: str, n: int, optimizer: str, precision: str) -> None:
    net = symcnn.parse(text, n=n)
    torch.manual_seed(0)
    model = symcnn.to_torch(net).to(DTYPES[precision]).train()
    inputs = torch.randn(2, *(int(size) for size in net.input), dtype=DTYPES[precision])
    step = _step(model, optimizer, inputs, mixed=precision == "mixed")
    memory = train_memory(net, batch=2, optimizer=optimizer, precision=precision)
    params = list(model.parameters())
    assert all(p.grad is not None for p in params)
    assert memory.parameters == sum(p.nbytes for p in params)
    assert memory.gradients == sum(p.grad.nbytes for p in params if p.grad is not None)
    assert memory.buffers == sum(b.nbytes for b in model.buffers())
    assert memory.optimizer_state == _state_bytes(step)


def _run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue() + err.getvalue()


def test_solve_gives_the_largest_n_by_torchs_count() -> None:
    """``symcnn solve resnet50 "train_memory(batch=32, optimizer=adam) <= 16GiB"``: torch's bytes at the
    answer n fit in 16 GiB and at the next multiple of 32 they do not (saved bytes on the meta device at
    batch 32; the Adam state of a step, which does not depend on n)."""
    code, output = _run("solve", "resnet50", "train_memory(batch=32, optimizer=adam) <= 16GiB")
    assert code == 0, output
    found = re.search(r"Largest n: (\d+) ", output)
    assert found is not None, output
    n = int(found.group(1))
    torch.manual_seed(0)
    with torch.device("meta"):  # a step of shapes: the state's sizes without the arithmetic
        model = symcnn.to_torch(symcnn.parse("resnet50", n=8)).train()
        state = _state_bytes(_step(model, "adam", torch.randn(2, 3, 8, 8)))
    fixed = sum(p.nbytes for p in model.parameters()) * 2 + sum(b.nbytes for b in model.buffers()) + state

    def measured(size: int) -> int:
        return saved_by_autograd(symcnn.parse("resnet50", n=size), batch=32) + fixed

    assert n % 32 == 0
    assert measured(n) <= 16 * 2**30 < measured(n + 32)


def test_conditions_take_training_options() -> None:
    condition = parse_condition("train_memory(batch=8, optimizer=adamw, precision=bfloat16) <= 2GiB")
    assert condition.training is not None
    assert (condition.training.batch, condition.training.optimizer, condition.training.precision) == (
        8,
        "adamw",
        "bfloat16",
    )
    assert parse_condition("train_memory <= 1e9").training == parse_condition("train_memory() <= 1e9").training
    assert parse_condition("memory(batch=2) <= 1e9").training is None


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("train_memory(batch=0) <= 1GiB", r"column 20: batch must be a whole number from 1 to 1,000,000, not '0'"),
        ("train_memory(optimizer=lion) <= 1GiB", r"column 24: unknown optimizer 'lion'; one of sgd, momentum"),
        ("train_memory(precision=fp8) <= 1GiB", r"unknown precision 'fp8'; one of float32, float16, bfloat16"),
        ("train_memory(dtype=float16) <= 1GiB", r"train_memory takes batch=N, optimizer="),
    ],
)
def test_bad_training_options_are_errors_with_a_caret(condition: str, message: str) -> None:
    code, output = _run("solve", "resnet18", condition)
    assert code == 2
    assert re.search(message, output), output
    assert "^" in output


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--optimizer", "lion"], "unknown optimizer 'lion'"),
        (["--precision", "int8"], "unknown precision 'int8'"),
        (["--batch", "0"], "batch must be a whole number from 1"),
    ],
)
def test_memory_command_refuses_bad_options(argv: list[str], message: str) -> None:
    code, output = _run("memory", "resnet18", *argv)
    assert code == 2 and message in output, output


def test_memory_command_prints_the_totals_of_the_api() -> None:
    code, output = _run("memory", "resnet18", "--n", "64", "--batch", "4", "--optimizer", "momentum")
    assert code == 0
    memory = symcnn.parse("resnet18", n=64).train_memory(batch=4, optimizer="momentum")
    for name, value in _totals(memory):
        assert re.search(rf"^  {name} +{value:,}", output, re.M), (name, output)
    assert "Not counted:" in output


def test_memory_sweep_gives_torchs_totals() -> None:
    """``symcnn memory resnet18 --sweep 33:97:32``: torch's saved bytes, parameters twice and buffers at each size."""
    code, output = _run("memory", "resnet18", "--sweep", "33:97:32", "--batch", "2")
    assert code == 0, output
    for n in (33, 65, 97):
        net = symcnn.parse("resnet18", n=n)
        with torch.device("meta"):
            model = symcnn.to_torch(net)
        fixed = 2 * sum(p.nbytes for p in model.parameters()) + sum(b.nbytes for b in model.buffers())
        assert re.search(rf"^ +{n} +{saved_by_autograd(net) + fixed:,} ", output, re.M), (n, output)
    code, output = _run("memory", "inception_v3", "--sweep", "100:300:100")
    assert code == 2 and "n = 100 is outside the domain: training needs n ≥ 299" in output


def test_sweep_train_gives_torchs_totals() -> None:
    """``symcnn sweep resnet18 --train``: the memory column is a training step's, torch's bytes at each size."""
    code, output = _run("sweep", "resnet18", "--train", "--n", "33:97:32", "--batch", "2", "--format", "json")
    assert code == 0, output
    for row in json.loads(output):
        net = symcnn.parse("resnet18", n=row["n"])
        with torch.device("meta"):
            model = symcnn.to_torch(net)
        fixed = 2 * sum(p.nbytes for p in model.parameters()) + sum(b.nbytes for b in model.buffers())
        assert row["memory"] == saved_by_autograd(net) + fixed  # SGD keeps no state
    for argv, message in (
        (["--optimizer", "adam"], "--optimizer and --precision go with --train"),
        (["--train", "--dtype", "float16"], "with --train, give --precision"),
    ):
        code, output = _run("sweep", "resnet18", *argv)
        assert code == 2 and message in output, output


def _totals(memory: symcnn.training.TrainMemory) -> Iterable[tuple[str, int]]:
    for name in ("saved", "parameters", "gradients", "buffers", "optimizer_state", "total"):
        value = getattr(memory, name)
        assert isinstance(value, int)
        label = {"saved": "Saved for backward", "optimizer_state": "Optimizer state"}.get(name, name.capitalize())
        yield label, value


def test_a_network_in_eval_mode_is_counted_as_it_trains() -> None:
    """GoogLeNet's auxiliary heads run in training: they count, whatever mode the network was parsed in."""
    for mode in ("eval", "train"):
        net = symcnn.parse("googlenet", n=64, mode=mode)
        assert train_memory(net, batch=2).saved == saved_by_autograd(net)
    with pytest.raises(SizeError, match="at n = 100"):
        symcnn.parse("inception_v3", n=100).train_memory()
