"""Where do VGG-16's 138 million parameters come from? Step by step.

Run: python examples/vgg16_parameters.py
"""

from __future__ import annotations

import symcnn


def main() -> None:
    paper = symcnn.parse("vgg-d")  # the paper's configuration D: fc1 sees the flattened map
    at_224 = paper.at(n=224)

    print("Parameters per weight layer at 224×224 (weights + biases):")
    for layer in at_224.layers:
        if layer.params:
            factors = "·".join(str(f) for f in layer.geometry.weight_factors)
            print(f"  {layer.name:<10} {factors:>18} + {layer.biases:>5,} = {layer.params:>12,}")
    print(f"  {'total':<10} {'':>18}   {'':>5}   {at_224.params:>12,}")

    form = paper.closed_form("params")
    print(f"\nFor any n ({form.domain}): params = {form.general}")
    print(f"For {form.assumption}: params = {form.polynomial}")

    torchvision = symcnn.parse("vgg16")  # adaptive pool to 7×7: the classifier no longer depends on n
    print(f"\ntorchvision's vgg16: params = {torchvision.params} for every n ≥ 32")
    for n in (224, 256, 384):
        print(f"  n = {n}: paper {paper.at(n=n).params:>13,}   torchvision {torchvision.at(n=n).params:>13,}")


if __name__ == "__main__":
    main()
