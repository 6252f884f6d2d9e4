"""The names the command line offers that only TensorFlow-importing registries hold, as plain data.

The registries of tasks, ops, heads, tuning spaces and layouts are filled
when their modules are imported, which imports TensorFlow. The command line
lists their built-in names from here instead, so that its help takes a
fraction of a second; `tests/test_choices.py` checks that every tuple here
equals the registry it mirrors. The recipes need no mirror (`stkeras.recipes`
imports no TensorFlow), and models are named by presets, which a command's
plan checks. The fixed tuples (`STRATEGIES`, `METHODS`, `WEIGHTINGS`, `CONTROL_MODES`) are
defined here once and imported by the modules that use them.

Example:
>>> "convlstm" in OPS
True
"""

# Mirrors of the registries (checked by tests/test_choices.py).
COURTNEY_WIDTHS = ("base", "xl")
TASKS = ("digit", "order", "speed")
OPS = ("conv2d", "conv3d", "ts_conv3d", "convlstm", "conv2plus1d", "p3d_a", "p3d_b", "p3d_c", "stdcf", "rank1",
       "channelwise3d")
SEARCHABLE_OPS = ("conv2d", "conv3d", "convlstm", "conv2plus1d", "p3d_a", "p3d_b", "p3d_c", "stdcf", "rank1")
CLIP_HEADS = ("pool", "temporal_pool", "lstm", "gru", "rnn_tanh", "rnn_relu", "blstm", "convlstm", "mlp", "trn",
              "trn_multiscale", "fcn2d", "fcn3d")
HEADS = ("pool", "temporal_pool", "per_frame", "lstm", "gru", "rnn_tanh", "rnn_relu", "blstm", "convlstm", "mlp",
         "tsn", "trn", "trn_multiscale", "fcn2d", "fcn3d")
TUNING_SPACES = ("courtney", "video_resnet", "heads")
TUNERS = ("hyperband", "bayesian", "random")
LAYOUTS = ("ucf101", "hmdb51", "kinetics", "something_something_v2", "jester")
EXPORT_FORMATS = ("saved_model", "onnx", "litert", "openvino")
TEMPORAL_CONTROLS = ("shuffled", "reversed", "static_middle", "static_random", "half_rate", "quarter_rate",
                     "mean_frame")

# Defined here once.
STRATEGIES = ("none", "mirrored", "data_parallel")
METHODS = ("gradcam", "gradcam++", "scorecam", "saliency")
WEIGHTINGS = ("global", "per_frame")
CONTROL_MODES = ("test", "train", "both")  # `compare --controls`: test-time, train-time or both
