"""How fast symcnn derives the zoo, and how that compares with torchinfo.

Run: python benchmarks/zoo_speed.py [--resolutions 100] [--skip-torchinfo]

1. Cold parse + derivation + closed forms (params, buffers, activations, MACs)
   of every zoo entry, each in a fresh interpreter after `import symcnn`
   (median of three runs). Targets: resnet152 < 50 ms, densenet201 < 100 ms.
2. Exact evaluation of params, activations and MACs of a derived network at
   10,000 input sizes from its closed forms, compiling them included (median of
   5, garbage collector off as in timeit). Target: < 10 ms.
3. torchinfo (if installed) on the same networks (exported with
   symcnn.to_torch, run on torch's meta device, which is torchinfo's fastest
   option) at one resolution and at --resolutions resolutions, and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

import symcnn

TARGETS_MS = {"resnet152": 50.0, "densenet201": 100.0}
EVALUATION_TARGET_MS = 10.0
QUANTITIES = ("params", "buffers", "activations", "macs")

_COLD = """
import time, symcnn
start = time.perf_counter()
net = symcnn.parse({name!r})
for quantity in {quantities!r}:
    net.closed_form(quantity)
print(time.perf_counter() - start)
"""


def cold_ms(name: str, runs: int = 3) -> float:
    """Median cold time, in ms, of parse + derive + closed forms in fresh interpreters."""
    times = []
    for _ in range(runs):
        code = _COLD.format(name=name, quantities=QUANTITIES)
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        times.append(float(result.stdout) * 1000)
    return statistics.median(times)


def evaluation_ms(name: str, count: int = 10_000, repeats: int = 5) -> tuple[float, int]:
    """Time to evaluate params, activations and MACs at ``count`` sizes, closed forms already derived:
    compiling them to integer code included, the garbage collector off as in timeit; median of ``repeats``."""
    import gc

    import numpy  # noqa: F401  (imported before timing: symcnn uses it when present)

    from symcnn.evaluate import _compile

    net = symcnn.parse(name)
    for quantity in QUANTITIES:
        net.closed_form(quantity)
    least = net.analysis.smallest_valid["n"] or 1
    sizes = list(range(least, least + count))
    times = []
    for _ in range(repeats):
        _compile.cache_clear()
        gc.disable()
        start = time.perf_counter()
        results = [net.sweep(quantity, sizes) for quantity in ("params", "activations", "macs")]
        times.append((time.perf_counter() - start) * 1000)
        gc.enable()
    elapsed = statistics.median(times)
    # Spot check against the layer-by-layer integer walk.
    for index in (0, count // 2, count - 1):
        exact = net.at(n=sizes[index])
        assert [r[index] for r in results] == [exact.params, exact.activations, exact.macs]
    return elapsed, len(sizes)


def torchinfo_seconds(name: str, sizes: list[int]) -> float:
    import torch
    import torchinfo

    total = 0.0
    for size in sizes:
        with torch.device("meta"):
            model = symcnn.to_torch(symcnn.parse(name, n=size))
        start = time.perf_counter()
        torchinfo.summary(model, input_size=(1, 3, size, size), verbose=0, device="meta")
        total += time.perf_counter() - start
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolutions", type=int, default=100)
    parser.add_argument("--skip-torchinfo", action="store_true")
    args = parser.parse_args()

    # Evaluation first: measured after the cold runs' load, the short timings come out noisier.
    print("2. Exact params, activations and MACs at 10,000 input sizes, from the closed forms")
    for name in ("resnet152", "densenet201", "vgg-d"):
        elapsed, count = evaluation_ms(name)
        verdict = "met" if elapsed < EVALUATION_TARGET_MS else "MISSED"
        print(
            f"   {name:<18} {elapsed:7.2f} ms for {count:,} sizes   target < {EVALUATION_TARGET_MS:.0f} ms: {verdict}"
        )

    print("\n1. Cold parse + derive + closed forms, after `import symcnn` (median of 3 fresh interpreters)")
    cold = {}
    for name in symcnn.zoo.names():
        cold[name] = cold_ms(name)
        target = TARGETS_MS.get(name)
        verdict = "" if target is None else f"   target < {target:.0f} ms: {'met' if cold[name] < target else 'MISSED'}"
        print(f"   {name:<18} {cold[name]:7.1f} ms{verdict}")

    if args.skip_torchinfo:
        return
    try:
        import torchinfo  # noqa: F401
    except ImportError:
        print("\n3. torchinfo is not installed (pip install torchinfo): comparison skipped")
        return
    sizes = [224 + 8 * step for step in range(args.resolutions)]
    print(
        f"\n3. torchinfo.summary on the meta device: one resolution, and {len(sizes)} resolutions (224 … {sizes[-1]})"
    )
    for name in TARGETS_MS:
        one = torchinfo_seconds(name, [224])
        many = torchinfo_seconds(name, sizes)
        ours_many = cold[name] / 1000  # the closed forms answer every size at once
        print(
            f"   {name:<18} torchinfo {one * 1000:8.0f} ms at 224, {many:7.1f} s at {len(sizes)} sizes; "
            f"symcnn {cold[name]:5.1f} ms for all sizes: {one / ours_many:6.0f}× and {many / ours_many:8.0f}× faster"
        )


if __name__ == "__main__":
    main()
