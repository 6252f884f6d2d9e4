"""Run as a child process: trains models with one and with two CPU replicas, prints the losses as JSON.

The CPU is split into two logical devices before TensorFlow starts, which a
test process that already ran TensorFlow cannot do.

    python -m tests.replicas_check models      # per-model losses, 1 and 2 replicas
    python -m tests.replicas_check batch_norm  # models with batch normalization: first update, 1 and 2 replicas
    python -m tests.replicas_check cli ARGS..  # `stkeras ARGS` with two CPU replicas
"""

import contextlib
import json
import os
import sys
from unittest import mock

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402

tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2
)

import keras  # noqa: E402
import numpy as np  # noqa: E402

import stkeras  # noqa: E402
from stkeras.layers import ConvLSTM2D  # noqa: E402
from stkeras.layers import FusedBatchNormalization  # noqa: E402
from stkeras.training import make_strategy  # noqa: E402


def convlstm_classifier():
    """stkeras' ConvLSTM (its unrolled loop) under a pooled softmax."""
    inputs = keras.Input((4, 8, 8, 1))
    x = ConvLSTM2D(4, 3, padding="same", return_sequences=True)(inputs)
    x = keras.layers.GlobalAveragePooling3D()(x)
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))


# Models without batch normalization (those with it: `BATCH_NORM_MODELS`).
MODELS = {
    "stdcf_reconstruction": (lambda: stkeras.build_small_3d_autoencoder(conv="stdcf",
                                                                input_shape=(4, 16, 16, 1), filters=(4, 4)), "mse"),
    "rank1_reconstruction": (lambda: stkeras.build_small_3d_autoencoder(conv="rank1",
                                                                input_shape=(4, 16, 16, 1), filters=(4, 4)), "mse"),
    "convlstm": (convlstm_classifier, "sparse_categorical_crossentropy"),
}


# Models with batch normalization, built with the default
# `normalization="batch"`, which synchronizes on several replicas. After
# one update the loss and the gradient of two replicas match one device's
# to float32 round-off (ConvLSTM ResNet 1e-4 and 1e-5, Conv3D 5e-5 and
# 1e-3, STDCF 0 and 7e-6); with per-replica statistics they are far off
# (loss 285%, 1.9%, 0.6%; gradient 122%, 142%, 24%). For scale, 1e-6 of
# Gaussian noise on the clips moves one device's own numbers by 7e-3 and
# 1e-3, 1e-3 and 3e-2, 2e-7 and 9e-6. Later steps are not compared: the
# ConvLSTM ResNet at 16x16 is so sensitive that the same noise moves its
# loss after a second epoch of two steps by 25%.
CLIP = (4, 16, 16, 1)
BATCH_NORM_MODELS = {
    "convlstm_resnet": lambda: stkeras.build_convlstm_resnet(input_shape=CLIP, num_classes=3),
    "conv3d_lstm": lambda: stkeras.build_conv3d_lstm(input_shape=CLIP, num_classes=3),
    "stdcf_3d_cnn": lambda: stkeras.build_small_3d_cnn(conv="stdcf", input_shape=CLIP, num_classes=3,
                                                       filters=(8, 8, 8)),
}
LEARNING_RATE = 0.01


def first_update(build, strategy, per_replica=False, global_batch=8):
    """One SGD step on one global batch: the batch's loss before and after it, and the step's gradient.

    `per_replica=True` is the control: every batch normalization
    normalizes each replica's part of the batch on its own. The gradient
    is read from the update, `(w0 - w1) / learning_rate`, over all
    trainable weights.
    """
    unsynchronized = mock.patch.object(FusedBatchNormalization, "synchronizes", lambda self: False)
    with unsynchronized if per_replica else contextlib.nullcontext():
        return _first_update(build, strategy, global_batch)


def _first_update(build, strategy, global_batch):
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = build()
        model.compile(keras.optimizers.SGD(LEARNING_RATE), "sparse_categorical_crossentropy")
    x = np.random.default_rng(1).uniform(size=(global_batch, *CLIP)).astype("float32")
    y = np.random.default_rng(2).integers(0, 3, global_batch)
    start = [v.numpy().ravel() for v in model.trainable_variables]
    weights = []
    saver = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: weights.append([v.numpy().ravel() for v in model.trainable_variables]))
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(global_batch)
    history = model.fit(data, epochs=2, verbose=0, callbacks=[saver]).history["loss"]
    gradient = np.concatenate(start) - np.concatenate(weights[0])
    return [float(v) for v in history], gradient / LEARNING_RATE


def relative(a, b):
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)) / np.linalg.norm(np.asarray(b)))


def batch_norm_results(one, two):
    results = {}
    for name, build in BATCH_NORM_MODELS.items():
        (loss_one, grad_one), (loss_sync, grad_sync), (loss_local, grad_local) = (
            first_update(build, one), first_update(build, two), first_update(build, two, per_replica=True))
        results[name] = {
            "one": loss_one, "synchronized": loss_sync, "per_replica": loss_local,
            "gradient_synchronized": relative(grad_sync, grad_one),
            "gradient_per_replica": relative(grad_local, grad_one),
        }
    return results


def losses(build, loss, strategy, steps=3, global_batch=8):
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = build()
        model.compile(keras.optimizers.SGD(0.1), loss)
    shape = tuple(model.input.shape[1:])
    x = np.random.default_rng(1).uniform(size=(steps * global_batch, *shape)).astype("float32")
    y = x if loss == "mse" else np.random.default_rng(2).integers(0, 3, len(x))
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(global_batch)
    return [float(v) for v in model.fit(data, epochs=2, verbose=0).history["loss"]]


def main(argv):
    if argv[0] == "cli":
        from stkeras.cli import main as cli

        return cli(argv[1:])
    # Two strategies for every model: a process can build only one
    # strategy over both devices (a second one's collectives collide).
    one = tf.distribute.MirroredStrategy(["/cpu:0"])
    two = make_strategy("mirrored")
    results = {"replicas": two.num_replicas_in_sync}
    if argv[0] == "batch_norm":
        results.update(batch_norm_results(one, two))
        print(json.dumps(results))
        return 0
    with two.scope():
        try:
            ConvLSTM2D(2, 3, stateful=True)(keras.Input((3, 8, 8, 1), batch_size=4))
        except ValueError as error:
            results["stateful"] = str(error)
    for name, (build, loss) in MODELS.items():
        results[name] = {"one": losses(build, loss, one), "two": losses(build, loss, two)}
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
