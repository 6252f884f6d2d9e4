"""Models for the deploy tests: the families of `tests.families`, causal 3D variants, and helpers."""

import keras
import numpy as np

import stkeras
from stkeras.models.video_resnet import build_video_resnet_backbone
from tests.families import CLIP
from tests.families import FAMILIES

CAUSAL = {"temporal_padding": "causal"}

# Causal variants: 3D convolutions padded causally, a per-frame output, a ConvLSTM whose state resets.
CAUSAL_VARIANTS = {
    "courtney_conv3d_causal": lambda: stkeras.build_courtney_resnet(
        op="conv3d", lstm_layers=1, input_shape=CLIP, num_classes=3, width_multiplier=0.25, op_options=CAUSAL),
    "video_resnet_r2plus1d_causal": lambda: build_video_resnet_backbone(
        stem="conv2plus1d", stage_ops=("conv2plus1d",) * 4, depth=10, input_shape=(6, 32, 32, 1),
        width_multiplier=0.25, temporal_strides=1, stem_options=CAUSAL, op_options=CAUSAL).with_head(
        "pool", num_classes=3),
    "video_resnet_p3d_causal": lambda: build_video_resnet_backbone(
        stem="conv3d", stage_ops=(("p3d_a", "p3d_b", "p3d_c"),) * 4, depth=10, block="bottleneck",
        input_shape=(6, 32, 32, 1), width_multiplier=0.25, temporal_strides=1, stem_options=CAUSAL,
        op_options=CAUSAL).with_head("pool", num_classes=3),
    "res_convlstm_per_frame": lambda: stkeras.build_res_convlstm(
        stages=((1, 1, 4, 8),), input_shape=CLIP, num_classes=3, lstm_units=4, dropout=0.0, per_frame=True),
    "courtney_convlstm_state_reset": lambda: stkeras.build_courtney_resnet(
        op="convlstm", lstm_layers=0, input_shape=CLIP, num_classes=3, width_multiplier=0.25,
        op_options={"state_reset_period": 2}),
}

# Every family of `tests.families`: causal (it streams), or the layer that reads later frames.
STREAMS = {"courtney_conv2d", "courtney_convlstm", "res_convlstm", "vggm_convlstm", "frame_model_tsn",
           "frame_model_rnn_tanh", "frame_model_rnn_relu", "frame_model_lstm", "frame_model_gru",
           "frame_model_convlstm"}
LOOKS_AHEAD = {
    "courtney_conv3d": "res1_1/op", "courtney_ts_conv3d": "res1_1/op",
    "res_convlstm_bidirectional": "reverse_clips", "video_resnet_r2d": "fold_frames", "video_resnet_mc3": "conv1",
    "video_resnet_rmc3": "conv3_1/op1", "video_resnet_r3d": "conv1", "video_resnet_r2plus1d": "conv1/temporal",
    "video_resnet_p3d": "conv2_1/op/temporal", "stdcf_resnet_kernel": "conv1", "stdcf_resnet_atoms": "conv1",
    "small_3d_cnn_regular": "conv1", "small_3d_cnn_rank1": "conv1", "small_3d_cnn_stdcf": "conv1",
    "small_3d_autoencoder": "conv1", "frame_model_mlp": "concatenate", "frame_model_trn": "relation",
    "frame_model_trn_multiscale": "relation", "frame_model_blstm": "blstm", "frame_model_fcn2d": "matrix",
    "frame_model_fcn3d": "conv1", "x3d": "conv1_temporal", "s3d": "conv1/temporal",
}
MODELS = {**FAMILIES, **CAUSAL_VARIANTS}


def build(name, seed=0):
    """The model `name` with random batch-norm statistics, so that inference normalization matters."""
    keras.utils.set_random_seed(seed)
    model = MODELS[name]()
    rng = np.random.default_rng(seed)
    for variable in model.non_trainable_variables:
        if variable.path.endswith("moving_mean"):
            variable.assign(rng.normal(0, 0.1, variable.shape).astype("float32"))
        elif variable.path.endswith("moving_variance"):
            variable.assign(rng.uniform(0.5, 1.5, variable.shape).astype("float32"))
    return model


def clips_for(model, batch_size=2, seed=0):
    return np.random.default_rng(seed).random((batch_size, *model.inputs[0].shape[1:]), "float32")
