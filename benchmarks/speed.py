"""symcnn's speed targets, measured: run `python benchmarks/speed.py` (about 5 minutes).

Every figure is a median of repeated runs on this machine, printed beside its
target with "met" or "MISSED"; the README quotes these lines.

1. Start-up, whole process (the `symcnn` executable, median of 7): a numeric
   report never imports sympy, a symbolic one renders without sympy's printers.
2. Parse + totals + closed forms, in a fresh interpreter that has imported
   symcnn (its modules, the zoo's too) and sympy (median of 5).
3. Scale: 25,000 … 100,000 layers, written out or repeated, plain or residual:
   parse + totals, linear in the length of the text.
4. Every bomb of tests/test_limits.py refused, in-process (median of 5).
5. Exact evaluation of closed forms at 10,000 sizes (median of 5).
6. A 100-resolution sweep (n = 32 … 3200) of resnet50, resnet152 and densenet201:
   symcnn's parse and exact values in a fresh interpreter (as in 2; the values come
   from the general closed forms, the sums the walk counts, without multiplying them
   out), against torchinfo, ptflops and FlopCounterMode on torch's meta device at
   the same sizes, their models built beforehand (--skip-tools leaves them out).

7. Import of torchvision's resnet152 (`symcnn.from_torch`), its construction included,
   in fresh interpreters that have imported torch, torchvision and symcnn (median of 5).
8. `symcnn check --arch vgg-d FILE` on a page of 10,000 table rows, whole process (median of 3).

``--sections 6`` (or ``1,5``…) runs only those sections.
"""

from __future__ import annotations

import argparse
import gc
import io
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

STARTUP_TARGETS = {  # seconds, whole process
    ("report", "vgg16", "--n", "224"): 0.25,
    ("report", "densenet201"): 1.0,
    ("report", "densenet201", "--format", "latex"): 1.0,
    ("report", "resnet152"): 1.0,
    ("check", "3*3*128*256 + 256 = 295,168"): 0.25,
    ("--help",): 0.25,
}
LARK_RATIO_TARGET = 2.5  # report vgg16 --n 224 against `python -c "import lark"`
DERIVATION_TARGETS_MS = {"resnet152": 20.0, "densenet201": 30.0}
SCALE_TARGET_S = 3.0
BOMB_TARGET_S = 0.2
EVALUATION_TARGET_MS = 10.0
SWEEP_RATIO_TARGET = 1000.0
SWEEP_SIZES = list(range(32, 3201, 32))  # 100 sizes
IMPORT_TARGET_S = 3.0


def verdict(value: float, target: float) -> str:
    return "met" if value <= target else "MISSED"


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def process_seconds(command: list[str], repeats: int = 7) -> float:
    def run() -> None:
        subprocess.run(command, capture_output=True, check=False)

    run()  # lark's table cache and the OS's file cache warm, as for any second run
    return median_seconds(run, repeats)


def startup() -> None:
    print("1. Start-up, whole process (median of 7)")
    executable = shutil.which("symcnn")
    prefix = [executable] if executable else [sys.executable, "-m", "symcnn"]
    lark = process_seconds([sys.executable, "-c", "import lark"])
    print(f"   python -c 'import lark'                      {lark:6.3f} s")
    for argv, target in STARTUP_TARGETS.items():
        seconds = process_seconds([*prefix, *argv])
        shown = "symcnn " + " ".join(argv)
        print(f"   {shown:<44} {seconds:6.3f} s   target ≤ {target} s: {verdict(seconds, target)}")
        if argv == ("report", "vgg16", "--n", "224"):
            ratio = seconds / lark
            print(f"   {'  … against import lark':<44} {ratio:6.2f}×    target ≤ {LARK_RATIO_TARGET}×: "
                  f"{verdict(ratio, LARK_RATIO_TARGET)}")  # fmt: skip


_FRESH = """
import time, symcnn, sympy, sympy.tensor.tensor, symcnn.network, symcnn.parser, symcnn.evaluate, symcnn.zoo
symcnn.parser._parser()
start = time.perf_counter()
net = symcnn.parse({name!r})
for quantity in {quantities!r}:
    {work}
print(time.perf_counter() - start)
"""


def fresh_seconds(name: str, quantities: tuple[str, ...], work: str, repeats: int = 5) -> float:
    """Median time of parsing ``name`` and doing ``work`` per quantity in fresh interpreters
    that have imported symcnn and sympy: no cache of an earlier derivation helps (the zoo
    entry's file is read in the time measured)."""
    code = _FRESH.format(name=name, quantities=quantities, work=work)
    times = []
    for _ in range(repeats):
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        times.append(float(result.stdout))
    return statistics.median(times)


def derivation() -> None:
    print("\n2. Parse + totals + closed forms after import (fresh interpreters, median of 5)")
    for name, target in DERIVATION_TARGETS_MS.items():
        elapsed = 1000 * fresh_seconds(name, ("params", "buffers", "activations", "macs"), "net.closed_form(quantity)")
        print(f"   {name:<18} {elapsed:7.1f} ms   target ≤ {target:.0f} ms: {verdict(elapsed, target)}")


def scale_texts(layers: int) -> dict[str, str]:
    pairs, blocks = layers // 2, layers // 3  # conv relu: 2 rows; res(conv relu): 3 rows with the add
    return {
        "plain, written out": "input 8xnxn\n" + "conv3-8 relu\n" * pairs,
        "plain, repeated": f"input 8xnxn\n(conv3-8 relu)x{pairs}",
        "residual, written out": "input 8xnxn\n" + "res(conv3-8 relu)\n" * blocks,
        "residual, repeated": f"input 8xnxn\nres(conv3-8 relu)x{blocks}",
    }


def scale() -> None:
    import symcnn

    symcnn.parse("vgg16")  # lark's tables and sympy loaded
    print("\n3. Parse + params, MACs and activations of very deep texts (median of 3)")
    for kind in scale_texts(3):
        line = []
        for layers in (25_000, 50_000, 100_000):
            text = scale_texts(layers)[kind]

            def run(text: str = text) -> None:
                net = symcnn.parse(text)
                _ = (net.params, net.macs, net.activations)

            line.append(median_seconds(run, 3))
        growth = line[2] / line[1]
        print(
            f"   {kind:<22} 25k {line[0]:5.2f} s, 50k {line[1]:5.2f} s, 100k {line[2]:5.2f} s (×{growth:.2f} for 2× the"
            f" layers)   target ≤ {SCALE_TARGET_S} s: {verdict(line[2], SCALE_TARGET_S)}"
        )


def bombs() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from test_limits import BOMBS

    from symcnn.cli import main

    def quiet(argv: list[str]) -> None:
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            main(argv)

    quiet(["report", "vgg16", "--n", "224"])
    times = {" ".join(argv)[:60]: median_seconds(lambda argv=argv: quiet(argv), 5) for argv, _, _ in BOMBS}
    slowest = max(times, key=times.__getitem__)
    print(f"\n4. {len(times)} bombs refused in-process: slowest {times[slowest] * 1000:.0f} ms ({slowest!r})   "
          f"target ≤ {BOMB_TARGET_S * 1000:.0f} ms each: {verdict(times[slowest], BOMB_TARGET_S)}")  # fmt: skip


def evaluation() -> None:
    import symcnn
    from symcnn.evaluate import _compile

    print("\n5. Exact params, activations and MACs at 10,000 sizes from the closed forms (median of 5)")
    for name in ("resnet152", "densenet201", "vgg-d"):
        net = symcnn.parse(name)
        least = net.analysis.smallest_valid["n"] or 1
        sizes = list(range(least, least + 10_000))
        for quantity in ("params", "activations", "macs"):
            net.closed_form(quantity)

        def run(net: symcnn.Network = net, sizes: list[int] = sizes) -> list[list[int]]:
            _compile.cache_clear()
            return [net.sweep(quantity, sizes) for quantity in ("params", "activations", "macs")]

        gc.disable()
        elapsed = median_seconds(run, 5) * 1000
        gc.enable()
        results = run()
        for index in (0, 5_000, 9_999):  # spot check against the layer-by-layer integer walk
            exact = net.at(n=sizes[index])
            assert [r[index] for r in results] == [exact.params, exact.activations, exact.macs]
        print(f"   {name:<18} {elapsed:7.2f} ms   target ≤ {EVALUATION_TARGET_MS:.0f} ms: "
              f"{verdict(elapsed, EVALUATION_TARGET_MS)}")  # fmt: skip


def symcnn_sweep_seconds(name: str) -> float:
    """Parse and exact values at every size, in a fresh interpreter (no cache warm)."""
    return fresh_seconds(name, ("params", "activations", "macs"), f"net.sweep(quantity, {SWEEP_SIZES!r})")


def tool_seconds(name: str, tool: str) -> float:
    """One tool at every size of SWEEP_SIZES on torch's meta device (its fastest option)."""
    import torch

    import symcnn

    with torch.device("meta"):
        model = symcnn.to_torch(symcnn.parse(name, n=224)).eval()
    start = time.perf_counter()
    for size in SWEEP_SIZES:
        shape = (1, 3, size, size)
        if tool == "torchinfo":
            import torchinfo

            torchinfo.summary(model, input_size=shape, verbose=0, device="meta")
        elif tool == "ptflops":
            from ptflops import get_model_complexity_info

            with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
                get_model_complexity_info(
                    model, shape[1:], as_strings=False, print_per_layer_stat=False, backend="pytorch"
                )
        else:
            from torch.utils.flop_counter import FlopCounterMode

            with FlopCounterMode(display=False), torch.no_grad():
                model(torch.empty(shape, device="meta"))
    return time.perf_counter() - start


def sweeps(skip_tools: bool) -> None:
    print(f"\n6. {len(SWEEP_SIZES)}-resolution sweep (n = 32 … 3200) of params, activations and MACs, parse included")
    for name in ("resnet50", "resnet152", "densenet201"):
        ours = symcnn_sweep_seconds(name)
        line = f"   {name:<12} symcnn {ours * 1000:6.1f} ms"
        if not skip_tools:
            for tool in ("torchinfo", "ptflops", "FlopCounterMode"):
                theirs = tool_seconds(name, tool)
                ratio = theirs / ours
                line += f"; {tool} {theirs:5.1f} s ({ratio:,.0f}×: {verdict(-ratio, -SWEEP_RATIO_TARGET)})"
        print(line)
    if not skip_tools:
        print(f"   target: symcnn ≥ {SWEEP_RATIO_TARGET:,.0f}× faster than each tool")


_IMPORT = """
import time, torch, torchvision, symcnn, symcnn.network, symcnn.importer.trace
start = time.perf_counter()
symcnn.from_torch(torchvision.models.resnet152())
print(time.perf_counter() - start)
"""


def importing() -> None:
    print("\n7. Import of a PyTorch model, its construction included (fresh interpreters, median of 5)")
    times = []
    for _ in range(5):
        result = subprocess.run([sys.executable, "-c", _IMPORT], capture_output=True, text=True, check=True)
        times.append(float(result.stdout))
    elapsed = statistics.median(times)
    print(f"   torchvision resnet152  {elapsed:6.2f} s   target ≤ {IMPORT_TARGET_S:.0f} s: "
          f"{verdict(elapsed, IMPORT_TARGET_S)}")  # fmt: skip


PAGE_TARGET_S = 2.0


def page() -> None:
    """`symcnn check --arch vgg-d PAGE` on 10,000 table rows, every number different (no cache helps)."""
    print("\n8. A page of 10,000 lines checked, whole process (symcnn check --arch vgg-d FILE, median of 3)")
    import tempfile

    rows = [
        f"CONV{i}: [{i % 200 + 1}x7x512] memory: {i}*7*512 = {i * 3584:,}  weights: 3*3*{i}*512 = {i * 4608:,}"
        for i in range(10_000)
    ]
    import resource

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "page.txt"
        path.write_text("\n".join(rows), encoding="utf-8")
        command = [sys.executable, "-m", "symcnn", "check", "--arch", "vgg-d", str(path)]
        seconds = process_seconds(command, repeats=3)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(command, capture_output=True, check=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime  # the machine's load left out
    shown = f"target ≤ {PAGE_TARGET_S} s: {verdict(seconds, PAGE_TARGET_S)}"
    print(f"   10,000 lines, 20,000 claims  {seconds:6.2f} s   {shown} (CPU time of one run: {cpu:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-tools", action="store_true", help="leave out torchinfo, ptflops and FlopCounterMode")
    parser.add_argument(
        "--sections", default="1,2,3,4,5,6,7,8", help="which sections to run, by number, e.g. 6 or 1,5 (default: all)"
    )
    args = parser.parse_args()
    chosen = {part.strip() for part in args.sections.split(",")}
    unknown = chosen - set("12345678")
    if unknown:
        parser.error(f"no section {', '.join(sorted(unknown))}: the sections are 1 to 8")
    # In the order they have always run: the scale runs (3) after 4 and 5.
    sections: list[tuple[str, Callable[[], None]]] = [
        ("1", startup),
        ("2", derivation),
        ("4", bombs),
        ("5", evaluation),
        ("3", scale),
        ("6", lambda: sweeps(args.skip_tools)),
        ("7", importing),
        ("8", page),
    ]
    for number, run in sections:
        if number in chosen:
            run()


if __name__ == "__main__":
    main()
