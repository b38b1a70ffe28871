"""Training memory under PyTorch autograd: what one forward pass keeps for the backward pass, plus the
parameters, their gradients, the buffers and the optimizer's state, in bytes, exact.

The forward pass is walked as the exported module (:func:`symcnn.to_torch`) runs it in training mode.
Every row's output is a tensor; a view (flatten, crop, a split's chunk) or an identity shares its
input's storage, and a view's storage is its whole base. Each op keeps what torch 2.x's autograd
saves for it (measured on CPU with ``torch.autograd.graph.saved_tensors_hooks``):

=================================  ==================================================================
conv, upconv, fc, layer scale      its input (a Linear on a channels-first map: a channels-last copy)
relu, sigmoid, tanh, softmax       its output
relu6, silu, hardswish, gelu …     its input
max pooling                        its input and int64 indices of the output's size
average pooling                    its input (global average pooling: nothing, torch runs a mean)
batch norm                         its input and two per-channel statistics (mean, 1/std)
channel LayerNorm                  its input and two per-position statistics (mean, 1/std)
dropout                            the scaled noise it multiplied by, the input's size (CPU)
lrn                                its input, the padded squares, two tensors of its size
mul (a merge)                      both operands
add, cat, shuffle, pad, crop,      nothing
upsample, resize, flatten
=================================  ==================================================================

An op whose inputs need no gradient and that has no parameters (a pool right after the input) makes
no autograd node and keeps nothing. Weights an op keeps are the parameters themselves, counted once
under parameters. Precision ``mixed`` is CPU autocast to bfloat16 on float32 weights (see
:data:`PRECISIONS`). Not counted: the gradients flowing backward, workspaces, the allocator's rounding
and caching, the CUDA context. On CUDA, fused dropout keeps a 1-byte mask where the CPU keeps noise,
norms keep float32 statistics of half inputs, and autocast's lists of ops differ.

>>> import symcnn
>>> memory = train_memory(symcnn.parse("conv3-8 relu maxpool fc10", n=8), batch=2)
>>> memory.saved == 2 * (3 * 8 * 8 * 4 + 8 * 8 * 8 * 4 + 8 * 4 * 4 * 8 + 8 * 4 * 4 * 4)  # x, relu, indices, pool
True
>>> memory.parameters == memory.gradients == 4 * (3 * 3 * 3 * 8 + 8 + 8 * 4 * 4 * 10 + 10), memory.optimizer_state
(True, 0)
"""

from .condition import TrainingSetup, training_setup
from .facts import MAX_BATCH, OPTIMIZERS, PRECISIONS
from .memory import TrainMemory, train_memory
from .walk import SavedRow

__all__ = [
    "MAX_BATCH",
    "OPTIMIZERS",
    "PRECISIONS",
    "SavedRow",
    "TrainMemory",
    "TrainingSetup",
    "train_memory",
    "training_setup",
]
