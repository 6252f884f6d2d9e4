"""Run as a child process under KERAS_BACKEND=jax: data-parallel training, for tests/test_data_parallel.py.

    python -m tests.data_parallel_check reference OUT
        one process with two virtual CPU devices: the one-device run, the same
        run under `DataParallel` over both devices, and the control (the
        first half of every global batch only); weights and losses in OUT.
    python -m tests.data_parallel_check process PORT COUNT INDEX OUT
        one of COUNT processes on localhost: `stkeras train --distribute
        data_parallel` (2 epochs), the reference's run data-parallel over
        every process, a dataset with a partial last batch, and the
        training resumed after its second epoch's backup and model are
        deleted, as a run killed during its second epoch leaves them.
"""

import json
import os
import shutil
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

CLIP = (4, 16, 16, 1)
GLOBAL_BATCH = 8
STEPS = 3
EPOCHS = 2
LEARNING_RATE = 0.05
TRAIN = ["--model", "small_3d_cnn_regular", "--task", "order", "--train-clips", "32", "--validation-clips", "16",
         "--test-clips", "16", "--frames", "4", "--batch-size", "16", "--epochs", "2"]


def data(half=False):
    """`STEPS` global batches of clips and classes (`half`: the first half of each batch only)."""
    import numpy as np
    import tensorflow as tf

    x = np.random.default_rng(1).uniform(size=(STEPS * GLOBAL_BATCH, *CLIP)).astype("float32")
    y = np.random.default_rng(2).integers(0, 3, len(x))
    if half:
        keep = np.arange(len(x)) % GLOBAL_BATCH < GLOBAL_BATCH // 2
        return tf.data.Dataset.from_tensor_slices((x[keep], y[keep])).batch(GLOBAL_BATCH // 2, drop_remainder=True)
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(GLOBAL_BATCH, drop_remainder=True)


def train(dataset):
    """Miao et al. 2021's small 3D CNN (batch normalization after each of its 3 convolutions) trained with SGD."""
    import keras

    import stkeras

    keras.utils.set_random_seed(0)
    model = stkeras.build_small_3d_cnn(conv="regular", input_shape=CLIP, num_classes=3, filters=(4, 4, 4))
    model.compile(keras.optimizers.SGD(LEARNING_RATE), "sparse_categorical_crossentropy")
    losses = model.fit(dataset, epochs=EPOCHS, verbose=0, shuffle=False).history["loss"]
    return {"weights": [w.tolist() for w in model.get_weights()], "losses": [float(v) for v in losses]}


def reference(out):
    import keras

    import stkeras.layers
    import stkeras.training

    results = {"one_device": train(data()), "half_batches": train(data(half=True))}
    distribution = stkeras.training.start_data_parallel()
    results["devices"] = len(distribution.device_mesh.devices.ravel())
    results["data_parallel"] = train(data())
    try:
        stkeras.layers.ConvLSTM2D(2, 3, stateful=True)(keras.Input((3, 8, 8, 1), batch_size=4))
    except ValueError as error:
        results["stateful_error"] = str(error)
    keras.distribution.set_distribution(None)
    with open(out, "w") as file:
        json.dump(results, file)


def process(port, count, index, out):
    """`stkeras train` first, in a fresh process: the command connects the processes before JAX computes."""
    import keras
    import numpy as np
    import tensorflow as tf

    from stkeras.cli import main as cli
    from stkeras.training import fit_resumable
    from stkeras.training import start_data_parallel
    from stkeras.training.data_parallel import processes_failing
    from stkeras.training.data_parallel import written_path

    coordinator = f"localhost:{port}"
    run = os.path.join(out, "run")
    arguments = ["train", "--distribute", "data_parallel", "--coordinator", coordinator, "--num-processes",
                 str(count), "--process-id", str(index), "--out", run, *TRAIN]
    results = {"train_status": cli(arguments)}
    start_data_parallel(coordinator, count, index)
    results["data_parallel"] = train(data())
    model = keras.Sequential([keras.Input(CLIP), keras.layers.GlobalAveragePooling3D(), keras.layers.Dense(3)])
    model.compile("sgd", "sparse_categorical_crossentropy")
    partial = tf.data.Dataset.from_tensor_slices((np.zeros((44, *CLIP), "float32"), np.zeros(44))).batch(8)
    try:
        fit_resumable(model, partial, 1, os.path.join(out, f"partial{index}"))
    except ValueError as error:
        results["partial_batch_error"] = str(error)
    if index == 0:  # what a kill during the second epoch leaves: the first epoch's backup, no model
        os.replace(os.path.join(run, "model.keras"), os.path.join(out, "uninterrupted.keras"))
        shutil.rmtree(os.path.join(run, "backup", "epoch-0002"))
    processes_failing(True)  # every process waits for process 0's changes
    results["resumed_status"] = cli(arguments)
    results["own_copy"] = written_path(run) != run and os.path.isfile(os.path.join(written_path(run), "model.keras"))
    with open(os.path.join(out, f"process{index}.json"), "w") as file:
        json.dump(results, file)


if __name__ == "__main__":
    if sys.argv[1] == "reference":
        os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
        reference(sys.argv[2])
    else:
        process(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
