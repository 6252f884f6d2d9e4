"""MLP-based heads over ordered frame features: simple MLP, TSN, TRN and multiscale TRN (Köpüklü et al., Section 3.2)."""

import keras

from stkeras.heads.registry import register_head
from stkeras.layers.temporal_relation import TemporalRelation
from stkeras.validation import check_positive_int
from stkeras.validation import check_rate


def _output_activation(x, task, output_name):
    return task.outputs(x, output_name, dense=False)


def _check_frames(features, name):
    if features.shape[1] is None:
        raise ValueError(f"Head {name!r} concatenates the frames' features: their number must be known. "
                         f"Received: features of shape {tuple(features.shape)}")


@register_head("mlp", input="vectors", description="frame features concatenated in order, MLP N*D -> 512 -> output "
                                                   "(Köpüklü et al.)")
def mlp_head(features, *, task, output_name, prefix="", units=512, dropout=0.2):
    """The frames' features concatenated in temporal order, then a 2-layer MLP.

    `ReLU -> Dense(units) -> Dropout -> ReLU -> output`, as the reference
    code's `MLPmodule` (`N * D -> 512 -> classes`).

    Args:
        units: hidden units (512 in Köpüklü et al.).
        dropout: rate after the hidden layer (0.2 in the reference code).
    """
    check_positive_int("units", units)
    check_rate("dropout", dropout)
    _check_frames(features, "mlp")
    x = keras.layers.ReLU(name=f"{prefix}relu")(features)
    x = keras.layers.Flatten(name=f"{prefix}concatenate")(x)
    x = keras.layers.Dense(units, activation="relu", name=f"{prefix}hidden")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name=f"{prefix}dropout")(x)
    return task.outputs(x, output_name)


@register_head("tsn", input="vectors", reads_class_scores=True,
               description="class scores per frame averaged over frames (TSN consensus; Köpüklü et al.)")
def tsn_head(features, *, task, output_name, prefix=""):
    """The average over frames of per-frame class scores (TSN's segmental consensus).

    The head has no weights: the frame model projects every frame's features
    to the task's units (not to `D`), and the head averages them, losing the
    frames' order (Köpüklü et al., Fig. 3).
    """
    if features.shape[-1] != task.units:
        raise ValueError(f"Head 'tsn' reads one score per class and frame: the features' last axis must be "
                         f"{task.units} (the task's units). Received: features of shape {tuple(features.shape)}")
    x = keras.layers.GlobalAveragePooling1D(name=f"{prefix}consensus")(features)
    return _output_activation(x, task, output_name)


@register_head("trn", input="vectors", description="one relation of all frames: MLP N*D -> 512 -> output (Köpüklü et al.)")
def trn_head(features, *, task, output_name, prefix="", bottleneck=512):
    """Single-scale TRN: one relation over all `N` frames (`TemporalRelation(scales="all")`).

    Args:
        bottleneck: hidden units of the relation (512 in the reference code).
    """
    _check_frames(features, "trn")
    x = TemporalRelation(task.units, scales="all", bottleneck=bottleneck, name=f"{prefix}relation")(features)
    return _output_activation(x, task, output_name)


@register_head("trn_multiscale", input="vectors",
               description="relations of N, N-1, ..., 2 ordered frames summed (multiscale TRN; Köpüklü et al.)")
def trn_multiscale_head(features, *, task, output_name, prefix="", bottleneck=256, relations_per_scale=3, seed=None):
    """Multiscale TRN: relations of `N, N-1, ..., 2` ordered frames, summed.

    See `stkeras.layers.TemporalRelation` for how subsets are drawn in
    training and fixed in inference.

    Args:
        bottleneck: hidden units of every relation (256 in the reference code).
        relations_per_scale: subsets per scale below `N` (3).
        seed: seed of the training draws.
    """
    _check_frames(features, "trn_multiscale")
    x = TemporalRelation(task.units, bottleneck=bottleneck, relations_per_scale=relations_per_scale, seed=seed,
                         name=f"{prefix}relation")(features)
    return _output_activation(x, task, output_name)
