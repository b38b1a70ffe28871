"""Cold time of parse + derive + closed forms for every zoo entry, and exact evaluation.

Run: python benchmarks/zoo_speed.py
Each entry is timed in a fresh interpreter after `import symcnn`, so caches start empty.
"""

from __future__ import annotations

import subprocess
import sys
import time

import symcnn

_ONE_ENTRY = """
import time, symcnn
start = time.perf_counter()
net = symcnn.parse({name!r})
for quantity in ("params", "buffers", "activations", "macs"):
    net.closed_form(quantity)
print(time.perf_counter() - start)
"""


def cold_seconds(name: str) -> float:
    result = subprocess.run(
        [sys.executable, "-c", _ONE_ENTRY.format(name=name)], capture_output=True, text=True, check=True
    )
    return float(result.stdout)


def main() -> None:
    print(f"{'entry':<14} {'cold parse+derive+closed forms':>32}")
    for name in symcnn.zoo.names():
        print(f"{name:<14} {cold_seconds(name) * 1000:>29.1f} ms")
    net = symcnn.parse("vgg-d")
    sizes = range(32, 32 + 1000)
    start = time.perf_counter()
    totals = [net.at(n=n).params for n in sizes]
    elapsed = time.perf_counter() - start
    print(f"\nvgg-d exact parameters at {len(totals):,} input sizes via .at(): {elapsed * 1000:.1f} ms")


if __name__ == "__main__":
    main()
