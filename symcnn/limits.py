"""Every limit on what a text may ask for, in one place.

Each protects memory or time and is checked *before* the work it protects:
a repeat is counted before it is expanded, a literal's digits before ``int()``,
a divisor before the sizes behind it grow. Real networks stay far below each
(ResNet-152 has 515 rows, a total stride of 32 and literals below 10⁵).
"""

from __future__ import annotations

MAX_TEXT_CHARS = 1_000_000
"""Characters in one text (a file, standard input or an argument)."""

MAX_LAYERS = 100_000
"""Rows of one network after every repeat and block is expanded (empty groups count one)."""

MAX_LITERAL = 10**12
"""A number written in a text."""

MAX_LITERAL_DIGITS = len(str(MAX_LITERAL))

MAX_MAGNITUDE = 10**18
"""A value inside a {…} expression, and each step of its arithmetic."""

MAX_EXPRESSION_DEPTH = 24
"""Operators nested inside one {…} expression (((a + b) * c) // d … counts 3)."""

MAX_EXPRESSION_OPERATORS = 100
"""Operators in one {…} expression."""

MAX_NESTING = 60
"""Groups, branches and blocks nested inside each other."""

MAX_SYMBOL_VALUE = 10**12
"""A value given to a symbol (--n, --set, ``net.at``)."""

MAX_DIVISOR = 10**15
"""The product of the strides on the way to one size: beyond it no input size up to
:data:`MAX_SYMBOL_VALUE` gives more than a single pixel that depends on it."""

MAX_SYMBOLIC_FLOORS = 8
"""Floors nested in one size by symbolic strides or kernels (``maxpool(stride={k})x8``): sympy
cannot merge them, and each one more costs more than the last (a kernel of three symbols: 0.27 s
to reach 6, 0.5 s for 8, 1.4 s for 12). Real networks stride five or six times."""

MAX_SYMBOLIC_SIZES = 600
"""Output sizes in one network that are sympy expressions: sizes shifted or divided by a symbolic
kernel, stride or padding (``conv{k}-8x600``), a height and a width counting once each where
they differ. Each costs sympy arithmetic (about 0.3 ms, and as much again to count the layer):
4,900 such layers took 1.3 s."""

MAX_EXPANDED_TERMS = 2_000
"""Terms a closed form may have once its products are multiplied out (sympy expands 2,000 in about
0.2 s, 11,000 in 1.7 s; every zoo entry stays below 30)."""

MAX_MODULUS = 4_096
"""The largest period of the residue classes a domain is stated in: beyond it (strides and
upsampling factors of many primes), the domain is "not derived" and sizes are checked at each n."""

MAX_SIZE_TERMS = 8
"""A size after upsampling is a sum of floors; one that needs more is kept as a sympy expression."""

MAX_SIZE = 10**15
"""The largest height or width a layer may give (upsampling and padding make sizes grow; the same
bound holds the coefficients of a size that depends on the input)."""

MAX_SYMBOLIC_ROWS_COMPARED = 2_000
"""Rows × conventions that ``compare`` may count in sympy (rows whose counts have symbols other than the
input size's, ``conv3-{c}``): each convention analyses the network again (788 such rows under 7
conventions took 2.1 s)."""

MAX_SYMPY_ROWS = 2_000
"""Distinct rows of one network whose counts are sympy expressions: counted in a symbol that is no size
(a channel count ``conv3-{c}``, a symbolic kernel). Each costs sympy arithmetic, about 0.25 ms: 4,761 such
rows took 1.1 s of CPU to analyse."""
