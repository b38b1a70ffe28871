"""The AlexNet puzzle: the 2012 paper says 224×224 inputs, but its numbers need 227.

Run: python examples/alexnet_224_vs_227.py

conv1 is 11×11 with stride 4 and no padding, so its output size is
⌊(n − 11)/4⌋ + 1. At n = 227 that is exactly 55, the paper's 55×55×96; at 224 it
is ⌊213/4⌋ + 1 = 54, and the last feature map shrinks from 6×6 to 5×5.
"""

from __future__ import annotations

import symcnn
from symcnn.render.printing import text, text_factors


def main() -> None:
    net = symcnn.parse("alexnet-2012")
    conv1 = net.layers[0]
    print(f"conv1: {conv1.name}, output {text_factors(conv1.output)} for an input 3×n×n")
    for n in (224, 227):
        at = net.at(n=n)
        first = at.layers[0].output
        last_map = next(layer for layer in at.layers if layer.kind == "fc").geometry.input
        exact = (n - 11) / 4 + 1  # the division people do by hand, before flooring
        print(f"\nn = {n}: (n - 11)/4 + 1 = {exact:g} -> conv1 gives {first[1]}×{first[2]}×{first[0]}")
        print(f"  the fc6 input: {last_map[0]}×{last_map[1]}×{last_map[2]}; parameters: {at.params:,}")
    form = net.closed_form("params")
    print(f"\nparameters for any n ({form.domain}): {text(form.general)}")


if __name__ == "__main__":
    main()
