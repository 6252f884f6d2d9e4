"""Property-based: odd values, one argument at a time, give a clear error or a working result, never a hang.

For every public builder, layer and data function, hypothesis draws one of
its arguments and an odd value for it (negative, zero, huge, NaN, a string,
a tuple, a dict, None, a bool) on top of arguments that work. The call then
either works (a layer is also called on a clip, a dataset gives a batch) or
raises a `ValueError` or `TypeError` that names the argument and the value
received, within a time limit. Any other exception, a message that names
neither, or a hang fails the test.

Not drawn (documented in the "Bad input" paragraph of docs/guide/build.md): the arguments
stkeras passes straight to Keras (initializers, regularizers, constraints,
activations, `data_format`, `dtype`), which Keras checks itself; and sizes
too large for the machine (10^9 filters, frames or clips): a size is an error
of the arguments on no machine, and stkeras builds the same everywhere (the
command line's pre-flight check estimates a run's memory; the backend's
allocator refuses what does not fit).
"""

import signal

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

import stkeras.blocks as blocks
import stkeras.data as data
import stkeras.heads as heads
import stkeras.layers as layers
import stkeras.models as models

SECONDS = 60  # per case: a generous bound on a small build, far below a hang

ODD_VALUES = st.one_of(
    st.integers(-2, 3),
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.sampled_from(["", "bogus", "3", "same"]),
    st.none(),
    st.booleans(),
    st.lists(st.integers(-1, 3), max_size=4).map(tuple),
    st.dictionaries(st.sampled_from(["x", "filters"]), st.integers(0, 2), max_size=1),
)

CLIP = np.random.default_rng(0).uniform(size=(1, 4, 8, 8, 2)).astype("float32")


def _build(builder, **base):
    return lambda **kwargs: builder(**{**base, **kwargs})


def _layer(cls, *positional, inputs=CLIP, **base):
    def run(**kwargs):
        arguments = {**dict(zip(cls.__init__.__code__.co_varnames[1:], positional)), **base, **kwargs}
        layer = cls(**arguments)
        output = layer(inputs)
        return output

    return run


def _dataset(function, *positional, **base):
    def run(**kwargs):
        dataset = function(*positional, **{**base, **kwargs})
        return next(iter(dataset))

    return run


def _clips():
    return tf.data.Dataset.from_tensor_slices((CLIP.repeat(4, axis=0), np.zeros(4, "int32"))).batch(2)


SMALL_CLIP = (4, 16, 16, 1)

# name: (call, the arguments drawn)
TARGETS = {
    "build_small_3d_cnn": (
        _build(models.build_small_3d_cnn, input_shape=(4, 16, 16, 1), filters=(4, 4, 4), num_classes=3),
        ["conv", "input_shape", "num_classes", "task", "classifier_activation", "filters", "num_spatial_atoms",
         "num_temporal_atoms", "name"]),
    "build_courtney_resnet": (
        _build(models.build_courtney_resnet, op="conv2d", input_shape=SMALL_CLIP, width_multiplier=0.25),
        ["op", "width", "input_shape", "num_classes", "task", "classifier_activation", "lstm_layers", "head", "head_options", "temporal_strides",
         "temporal_kernel_size", "width_multiplier", "normalization", "placement", "op_options", "name"]),
    "build_conv2d_lstm": (_build(models.build_conv2d_lstm, input_shape=SMALL_CLIP, width_multiplier=0.25),
                          ["width", "input_shape", "num_classes", "task"]),
    "build_conv3d_lstm": (_build(models.build_conv3d_lstm, input_shape=SMALL_CLIP, width_multiplier=0.25),
                          ["width", "input_shape", "num_classes", "task"]),
    "build_ts_conv3d_lstm": (_build(models.build_ts_conv3d_lstm, input_shape=(8, 16, 16, 1), width="base",
                                    width_multiplier=0.25), ["width", "input_shape", "num_classes", "task"]),
    "build_convlstm_resnet": (_build(models.build_convlstm_resnet, input_shape=SMALL_CLIP, width_multiplier=0.25),
                              ["width", "input_shape", "num_classes", "task"]),
    "build_res_convlstm": (
        _build(models.build_res_convlstm, stages=((1, 1, 4, 8), (1, 8, 8, 8, "conv2d")), input_shape=(4, 16, 16, 1),
               num_classes=3, lstm_units=4),
        ["stages", "input_shape", "num_classes", "task", "classifier_activation", "lstm_units", "dropout",
         "bidirectional", "per_frame", "spatial_reduction", "normalization", "placement", "op_options", "name"]),
    "build_video_resnet": (
        _build(models.build_video_resnet, kind="r2plus1d", depth=10, input_shape=(8, 32, 32, 3), num_classes=3,
               width_multiplier=0.125),
        ["kind", "depth", "block", "input_shape", "num_classes", "task", "classifier_activation", "stage_ops",
         "temporal_strides", "temporal_kernel_size", "width_multiplier", "head", "head_options", "convention", "weights",
         "frozen_stages", "name"]),
    "build_video_resnet_backbone": (
        _build(models.build_video_resnet_backbone, depth=10, input_shape=(8, 32, 32, 3), width_multiplier=0.125),
        ["stem", "stage_ops", "depth", "block", "input_shape", "temporal_strides", "temporal_kernel_size",
         "width_multiplier", "stem_options", "op_options", "stem_pool", "fold_frames", "convention", "name"]),
    "build_stdcf_resnet": (
        _build(models.build_stdcf_resnet, depth=10, input_shape=(4, 32, 32, 3), num_classes=3),
        ["depth", "num_spatial_atoms", "num_temporal_atoms", "stem_pool", "temporal_strides",
         "input_shape", "num_classes", "task", "classifier_activation", "implementation", "name"]),
    "build_frame_model": (
        _build(models.build_frame_model, input_shape=(16, 16, 1), num_segments=4, feature_dim=8, num_classes=3),
        ["backbone", "head", "num_segments", "feature_dim", "num_classes", "task", "classifier_activation",
         "input_shape", "dropout",
         "backbone_weights", "backbone_options", "head_options", "name"]),
    "build_squeezenet1_1": (_build(models.build_squeezenet1_1, input_shape=(32, 32, 3)),
                            ["input_shape", "simple_bypass", "weights", "name"]),
    "build_vggm_convlstm": (
        _build(models.build_vggm_convlstm, input_shape=(4, 32, 32, 1), num_classes=3, filters=(4, 4, 4, 4, 4),
               lstm_units=4),
        ["input_shape", "num_classes", "task", "classifier_activation", "filters", "lstm_units", "dropout", "normalization", "spatial_reduction",
         "per_frame", "name"]),
    "build_head": (
        _build(heads.build_head, name="pool", input_shape=(4, 4, 4, 8), task="digit"),
        ["name", "input_shape", "task", "num_segments", "feature_dim", "num_classes", "spatial_size",
         "output_name"]),
    "ConvLSTM2D": (
        _layer(layers.ConvLSTM2D, 2, 3, padding="same"),
        ["filters", "kernel_size", "strides", "padding", "dilation_rate", "use_bias", "unit_forget_bias", "dropout",
         "recurrent_dropout", "return_sequences", "return_state", "go_backwards", "stateful", "unroll",
         "state_reset_period"]),
    "STDCFConv3D": (
        _layer(layers.STDCFConv3D, 2),
        ["filters", "kernel_size", "num_spatial_atoms", "num_temporal_atoms", "strides", "padding",
         "spatial_dilation", "temporal_dilation", "use_bias", "implementation"]),
    "Rank1Conv3D": (
        _layer(layers.Rank1Conv3D, 2),
        ["filters", "kernel_size", "strides", "padding", "spatial_dilation", "temporal_dilation", "use_bias",
         "num_spatial_atoms", "num_temporal_atoms"]),
    "Conv2Plus1D": (_layer(layers.Conv2Plus1D, 2),
                    ["filters", "kernel_size", "strides", "intermediate_filters", "padding", "use_bias",
                     "norm_momentum", "norm_epsilon", "symmetric_padding"]),
    "Pseudo3D": (_layer(layers.Pseudo3D, 2),
                 ["filters", "variant", "kernel_size", "strides", "use_bias", "norm_momentum"]),
    "FrameConv3D": (_layer(layers.FrameConv3D, 2, 3),
                    ["filters", "kernel_size", "strides", "padding", "dilation_rate", "groups", "use_bias",
                     "symmetric_padding"]),
    "TemporalPooling": (_layer(layers.TemporalPooling), ["mode"]),
    "TemporalRelation": (_layer(layers.TemporalRelation, 3, inputs=np.ones((1, 4, 8), "float32"), bottleneck=4),
                         ["units", "scales", "bottleneck", "relations_per_scale", "seed"]),
    "ResidualBottleneck": (
        _layer(blocks.ResidualBottleneck, 4, 2, op="conv3d"),
        ["filters", "bottleneck_filters", "op", "strides", "temporal_strides", "kernel_size",
         "temporal_kernel_size", "shortcut", "normalization", "placement", "activation", "use_bias", "op_options",
         "norm_momentum", "norm_epsilon"]),
    "ResidualBasic": (
        _layer(blocks.ResidualBasic, 2),
        ["filters", "op", "strides", "temporal_strides", "kernel_size", "temporal_kernel_size", "use_bias",
         "norm_momentum", "norm_epsilon", "op_options"]),
    "ClipAugmentation": (
        _layer(data.ClipAugmentation, output_size=8, seed=0),
        ["output_size", "crop_size", "flip", "rotation", "brightness", "value_range", "seed"]),
    "quadrant_blink": (
        _dataset(data.quadrant_blink, num_clips=2, frames=4, size=32, batch_size=2),
        ["split", "seed", "num_clips", "frames", "size", "speeds", "visible_every", "max_step", "task",
         "batch_size", "with_info", "digits", "digit_size", "dtype"]),
    "moving_mnist": (
        _dataset(data.moving_mnist, num_clips=2, frames=4, input_frames=2, size=32, batch_size=2),
        ["split", "seed", "num_clips", "num_digits", "frames", "input_frames", "size", "speed_range",
         "batch_size", "with_info", "digits", "digit_size", "dtype"]),
    "tr_mnist": (
        _dataset(data.tr_mnist, num_clips=2, frames=4, size=32, batch_size=2),
        ["split", "seed", "num_clips", "num_digits", "frames", "size", "speed_range", "max_rotation",
         "batch_size", "with_info", "digits", "digit_size", "dtype"]),
    "random_subsequences": (lambda **kw: next(iter(data.random_subsequences(_clips(), **{"length": 2, **kw}))),
                            ["length", "seed"]),
    "sample_segments": (
        lambda **kw: next(iter(data.sample_segments(_clips(), **{"num_segments": 2, "training": True, **kw}))),
        ["num_segments", "training", "seed"]),
    "segment_indices": (lambda **kw: data.segment_indices(**{"length": 8, "num_segments": 4, "training": True,
                                                              **kw}),
                        ["length", "num_segments", "training", "seed"]),
    "dense_indices": (lambda **kw: data.dense_indices(**{"num_frames": 20, "clip_length": 4, **kw}),
                      ["num_frames", "clip_length", "frame_step", "num_clips", "training", "out_of_bound"]),
    "parse_views": (lambda **kw: data.parse_views(**{"views": "2x3", **kw}), ["views"]),
    "downsample_space": (lambda **kw: data.downsample_space(**{"clips": CLIP, "beta": 2, **kw}), ["beta"]),
    "downsample_time": (lambda **kw: data.downsample_time(**{"clips": CLIP, "gamma": 2, **kw}), ["gamma"]),
    "allowed_pairs": (lambda **kw: data.allowed_pairs(**{"speeds": range(1, 4), "visible_every": range(1, 4),
                                                         "max_step": 10, **kw}),
                      ["speeds", "visible_every", "max_step"]),
    "load_digits": (lambda **kw: data.load_digits(**{"source": "embedded", **kw}), ["split", "source"]),
    "check_finite_clips": (lambda **kw: data.check_finite_clips(**{"clips": CLIP, **kw}), ["clips"]),
}


class _TimeLimit(Exception):
    pass


def _alarm(signum, frame):
    raise _TimeLimit(f"no answer in {SECONDS} s")


def _mentions(message, value):
    texts = {repr(value), str(value)}
    if isinstance(value, int) and not isinstance(value, bool):
        texts.add(f"{value:,}")
    if isinstance(value, float):
        texts |= {f"{value:g}", repr(float(np.float32(value)))}
    if isinstance(value, (tuple, list)):  # naming the offending entry is as clear
        texts |= {repr(v) for v in value}
    return any(text in message for text in texts)


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_odd_arguments_give_clear_errors_or_work(target):
    call, names = TARGETS[target]

    @settings(max_examples=8, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(name=st.sampled_from(names), value=ODD_VALUES)
    def check(name, value):
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(SECONDS)
        try:
            call(**{name: value})
        except (ValueError, TypeError) as error:
            message = str(error)
            assert name in message and _mentions(message, value), (
                f"{target}({name}={value!r}) raised {type(error).__name__} naming "
                f"{'not the argument' if name not in message else 'not the value'}: {message[:400]}")
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)

    check()
