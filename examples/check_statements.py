"""Statements people make about VGG-16's size, checked one by one.

Run: python examples/check_statements.py
(The same as `symcnn check "…" --arch vgg-d --n 224` for each line: the paper's
VGG-16, configuration D, the network of the CS231n table.)
"""

from __future__ import annotations

import symcnn
from symcnn.arithmetic import parse_claim
from symcnn.render.check import report

STATEMENTS = [
    ("3x3x128x256 + 256 = 295,168", "the first conv3-256, with its biases"),
    ("128x3x3x256 = 295,168", "'conv layers have no bias'"),
    ("(3·3·3)·64", "CS231n's weights of the first conv3-64"),
    ("7×7×512×4096", "CS231n's weights of fc1"),
    ("138,357,544 = 138M", "VGG paper, Table 2"),
    ("15,237,608 * 4 ~= 61MB", "the activations in float32, as bytes"),
    ("24M * 4 ~= 93MB", "CS231n's 'TOTAL memory'"),
    ("30,940,528,640", "a FLOP count"),
]


def main() -> None:
    net = symcnn.parse("vgg-d", n=224)
    for text, context in STATEMENTS:
        print(f"$ symcnn check {text!r} --arch vgg-d --n 224    # {context}")
        print(report(parse_claim(text), net, "vgg-d"))


if __name__ == "__main__":
    main()
