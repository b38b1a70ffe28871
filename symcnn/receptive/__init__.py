"""Receptive fields: which input pixels each row's output units see, per axis, exactly.

Araujo, Norris & Sim (2019), "Computing Receptive Fields of Convolutional Neural
Networks" (Distill), for a chain of windows (convolution, pooling), with kernel k,
dilation d, stride s and padding p:

    r_out = r_in + (k − 1)·d·j_in        the size (input pixels from first to last)
    j_out = j_in·s                        the jump (input pixels between neighbouring units)
    start_out = start_in − p·j_in         Distill's u: the first input pixel unit 0 sees

Convention (checked against torch in tests/test_receptive_field.py): pixels are
numbered from 0 along each axis; ``start`` is the left (top) edge of output unit
0's field, negative where it reaches into padding; unit o sees pixels
``start + o·j`` … ``start + o·j + r − 1``.

Upsampling and transposed convolutions make the field periodic rather than
affine: unit o's first pixel is ``lows[o mod P] + ⌊o/P⌋·advance``, its last
``highs[o mod P] + ⌊o/P⌋·advance``, and the jump ``advance/P`` is a fraction;
``size`` is the largest field over a period. A branch's field per unit is the
union of its arms' (Distill's maximum over paths; arms that do not align give
a union larger than any arm, and arms whose jumps differ are not derived). After
global pooling or a fully connected layer every unit sees the same region: the
whole input (:class:`Whole`). Adaptive pooling to k×k with k > 1 has windows of
⌊o·H/k⌋ … ⌈(o + 1)·H/k⌉ − 1: exact once H is a number, "depends on n" while
it is a symbol (its period is k/gcd(H, k)).

>>> import symcnn
>>> fields = receptive_fields(symcnn.parse("conv3-8 conv3-8(stride=2) conv3-8"))
>>> [(f.height.size, f.height.jump, f.height.start) for f in fields]
[(3, 1, -1), (5, 2, -2), (9, 2, -4)]
"""

from .fields import MAX_PERIOD, Axis, Local, NotDerived, RowField, Step, Whole
from .walk import receptive_fields

__all__ = ["MAX_PERIOD", "Axis", "Local", "NotDerived", "RowField", "Step", "Whole", "receptive_fields"]
