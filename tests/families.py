"""One small model of every family, at tiny clip shapes, by name: for tests that check each family alike."""

import keras

import stkeras
from stkeras.heads import FRAME_HEADS
from stkeras.models import build_small_3d_autoencoder

CLIP = (4, 16, 16, 1)
# The video ResNets stride time three times and space four times: 8x32x32 leaves conv5_x 2x2x2.
STRIDED = (8, 32, 32, 1)


def _frame_model(head):
    # Random draws in training (dropout, TRN's subsets of frames) differ between XLA's random
    # numbers and TensorFlow's: off here, so that equal numbers are expected.
    options = {"mlp": {"dropout": 0.0}, "trn_multiscale": {"relations_per_scale": 6}}.get(head)
    return stkeras.build_frame_model(head=head, input_shape=CLIP, num_classes=3, dropout=0.0, feature_dim=8,
                                     backbone_options={"widths": (4, 8)}, head_options=options)


def _s3d():
    # S3D's batch normalizations follow one another without a residual path: at a batch of two tiny clips their
    # training-mode gradients turn float32 rounding into about 5% of an update (between TensorFlow's fused and
    # Keras' own batch norm as between XLA and TensorFlow). The outer ones keep their statistics here, as in
    # fine-tuning; the separable convolutions' own ones train.
    model = stkeras.build_s3d(input_shape=(8, 32, 32, 1), num_classes=3, dropout=0.0)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    return model


FAMILIES = {
    **{f"courtney_{op}": (lambda op=op: stkeras.build_courtney_resnet(
        op=op, lstm_layers=0 if op == "convlstm" else 1, input_shape=(16, 16, 16, 1) if op == "ts_conv3d" else CLIP,
        num_classes=3, width_multiplier=0.25)) for op in ("conv2d", "conv3d", "ts_conv3d", "convlstm")},
    "res_convlstm": lambda: stkeras.build_res_convlstm(
        stages=((1, 1, 4, 8), (1, 8, 8, 8, "conv2d")), input_shape=CLIP, num_classes=3, lstm_units=4, dropout=0.0),
    "res_convlstm_bidirectional": lambda: stkeras.build_res_convlstm(
        stages=((1, 1, 4, 8),), input_shape=CLIP, num_classes=3, lstm_units=4, dropout=0.0, bidirectional=True),
    "vggm_convlstm": lambda: stkeras.build_vggm_convlstm(
        input_shape=(3, 16, 16, 1), num_classes=3, filters=(4, 4, 8, 8, 8), lstm_units=4, dropout=0.0),
    **{f"video_resnet_{kind}": (lambda kind=kind: stkeras.build_video_resnet(
        kind=kind, depth=10, input_shape=STRIDED, num_classes=3, width_multiplier=0.25))
       for kind in ("r2d", "mc3", "rmc3", "r3d", "r2plus1d", "p3d")},
    **{f"stdcf_resnet_{implementation}": (lambda implementation=implementation: stkeras.build_stdcf_resnet(
        depth=10, input_shape=(4, 32, 32, 1), num_classes=3, implementation=implementation))
       for implementation in ("kernel", "atoms")},
    **{f"small_3d_cnn_{conv}": (lambda conv=conv: stkeras.build_small_3d_cnn(
        conv=conv, input_shape=CLIP, num_classes=3, filters=(4, 4, 8))) for conv in ("regular", "rank1", "stdcf")},
    "small_3d_autoencoder": lambda: build_small_3d_autoencoder(conv="stdcf", input_shape=CLIP, filters=(4, 4)),
    # X3D strides space five times and S3D time three times and space five times.
    "x3d": lambda: stkeras.build_x3d(input_shape=(4, 32, 32, 1), num_classes=3, width_factor=0.5, depth_factor=1.0,
                                     head_filters=16, dropout=0.0),
    "s3d": _s3d,
    **{f"frame_model_{head}": (lambda head=head: _frame_model(head)) for head in FRAME_HEADS},
}
