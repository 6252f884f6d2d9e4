"""Run as a child process: trains models with one and with two CPU replicas, prints the losses as JSON.

The CPU is split into two logical devices before TensorFlow starts, which a
test process that already ran TensorFlow cannot do.

    python -m tests.replicas_check models      # per-model losses, 1 and 2 replicas
    python -m tests.replicas_check cli ARGS..  # `stkeras ARGS` with two CPU replicas
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402

tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2
)

import keras  # noqa: E402
import numpy as np  # noqa: E402

import stkeras  # noqa: E402
from stkeras.layers import ConvLSTM2D  # noqa: E402
from stkeras.training import make_strategy  # noqa: E402


def convlstm_classifier():
    """stkeras' ConvLSTM (its unrolled loop) under a pooled softmax."""
    inputs = keras.Input((4, 8, 8, 1))
    x = ConvLSTM2D(4, 3, padding="same", return_sequences=True)(inputs)
    x = keras.layers.GlobalAveragePooling3D()(x)
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))


# Models without batch normalization: Keras normalizes each replica's part
# of the batch on its own, so models with it do not match one replica.
MODELS = {
    "stdcf_reconstruction": (lambda: stkeras.build_small_3d_autoencoder(conv="stdcf",
                                                                input_shape=(4, 16, 16, 1), filters=(4, 4)), "mse"),
    "rank1_reconstruction": (lambda: stkeras.build_small_3d_autoencoder(conv="rank1",
                                                                input_shape=(4, 16, 16, 1), filters=(4, 4)), "mse"),
    "convlstm": (convlstm_classifier, "sparse_categorical_crossentropy"),
}


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
