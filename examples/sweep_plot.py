"""A resolution sweep of VGG-16 with its plot: what grows with the input size, and how fast.

Run: python examples/sweep_plot.py [OUTPUT.png]   (the plot needs matplotlib)
"""

from __future__ import annotations

import sys

import symcnn
from symcnn.render import sweep as render
from symcnn.sweep import Memory, parse_range, sweep


def main(path: str = "vgg16-sweep.png") -> None:
    net = symcnn.parse("vgg-d")  # the paper's VGG-16: fc1 grows with the input too
    rows = sweep(net, parse_range("32:512:32"))
    print(render.table(rows, Memory()), end="")
    for quantity in ("params", "activations", "macs"):
        form = net.closed_form(quantity)
        print(f"{quantity}: {form.polynomial} for {form.assumption}")
    render.plot(rows, net, path, "VGG-16 (configuration D) against the input size")
    print(f"plot: {path}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
