"""What torch 2.x keeps in a training step, in bytes: the measured facts the walk and the totals use."""

# Bytes per parameter value. mixed: float32 weights under CPU autocast to bfloat16 (torch.autocast("cpu")):
# convolutions and Linears cast their input and weight to bfloat16 and save the copies; other ops keep
# the dtype they are given; a float32 γ (layer scale) promotes to float32, and so does lrn's pooling.
PRECISIONS = {"float32": 4, "float16": 2, "bfloat16": 2, "mixed": 4}
AUTOCAST_BYTES = 2  # bfloat16
# The optimizer's state per parameter value, in copies of the parameters (torch.optim's defaults:
# SGD keeps none, SGD with momentum a momentum buffer, Adam and AdamW exp_avg and exp_avg_sq).
OPTIMIZERS = {"sgd": 0, "momentum": 1, "adam": 2, "adamw": 2}
STEP_BYTES = 4  # Adam's and AdamW's ``step``: a float32 scalar tensor per parameter tensor
INDEX_BYTES = 8  # max pooling's indices are int64
COUNTER_BYTES = 8  # batch norm's num_batches_tracked, an int64 buffer
SAVES_OUTPUT = frozenset({"relu", "sigmoid", "tanh", "softmax"})
MAX_BATCH = 10**6
