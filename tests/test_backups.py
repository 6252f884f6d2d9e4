"""Per-epoch backups: a kill at any moment, or a damaged backup, still resumes to the uninterrupted result."""

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from stkeras.training import CheckpointWarning
from stkeras.training import fit_resumable
from stkeras.training import read_history
from stkeras.training.backups import list_backups

EPOCHS, STEPS = 4, 2

# A tiny regression trained one small epoch at a time: most of its time is spent writing backups,
# so a kill at a random moment often lands in the middle of one.
TRAINING = textwrap.dedent("""
    import sys
    import keras
    import numpy as np
    import tensorflow as tf
    from stkeras.training import fit_resumable

    def model():
        keras.utils.set_random_seed(0)
        m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
        m.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
        return m

    def stream(epochs, steps):
        rng = np.random.default_rng(0)
        x = rng.normal(size=(epochs * steps * 8, 4)).astype("float32")
        y = (x.sum(axis=1, keepdims=True) ** 2).astype("float32")
        return tf.data.Dataset.from_tensor_slices((x, y)).batch(8)

    class Announce(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            print("epoch", epoch + 1, flush=True)

    if __name__ == "__main__":
        epochs, steps, folder = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
        fit_resumable(model(), stream(epochs, steps), epochs, folder, verbose=0, steps_per_epoch=steps,
                      callbacks=[Announce()])
        print("finished", flush=True)
""")


@pytest.fixture(scope="module")
def training(tmp_path_factory):
    """The child script, importable here too, so the test and the child build the same model."""
    folder = tmp_path_factory.mktemp("script")
    (folder / "tiny_training.py").write_text(TRAINING)
    sys.path.insert(0, str(folder))
    import tiny_training

    yield folder / "tiny_training.py", tiny_training
    sys.path.remove(str(folder))


def _uninterrupted(module, folder, epochs=EPOCHS):
    model = module.model()
    history = fit_resumable(model, module.stream(epochs, STEPS), epochs, folder, verbose=0, steps_per_epoch=STEPS)
    return model, history


def test_a_run_killed_at_random_moments_ends_like_an_uninterrupted_one(training, tmp_path):
    script, module = training
    # Enough epochs that three kills, each after an epoch and a random pause, cannot finish the run on a fast CPU.
    epochs = 30
    expected, expected_history = _uninterrupted(module, tmp_path / "straight", epochs=epochs)
    folder, rng, kills = tmp_path / "killed", random.Random(0), 0
    command = [sys.executable, str(script), str(epochs), str(STEPS), str(folder)]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    while kills < 3:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        line = process.stdout.readline()  # an epoch has ended: the next backup is being written or soon will be
        if not line.startswith("epoch"):
            process.wait()
            break
        time.sleep(rng.uniform(0.0, 0.15))
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills += 1
    assert kills == 3, "the training finished before it could be killed three times"
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0 and done.stdout.strip().endswith("finished"), done.stdout + done.stderr

    resumed = keras.saving.load_model(folder / "checkpoint.keras", safe_mode=True)
    for a, b in zip(expected.get_weights(), resumed.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    history = read_history(folder / "history.csv")
    assert [int(r["epoch"]) for r in history] == list(range(epochs))
    np.testing.assert_allclose([r["loss"] for r in history], [r["loss"] for r in expected_history], rtol=1e-5)
    assert [done for done, _ in list_backups(folder / "backup")] == [epochs, epochs - 1]  # the last two are kept
    leftovers = [name for name in os.listdir(folder) + os.listdir(folder / "backup") if "partial" in name]
    assert not leftovers  # every half-written file was replaced when its epoch was written again


@pytest.mark.parametrize("damage", ["truncate_weights", "garble_state", "empty_weights"])
def test_a_damaged_newest_backup_is_named_and_the_one_before_it_used(training, tmp_path, damage):
    _, module = training
    expected, _ = _uninterrupted(module, tmp_path / "straight")
    folder = tmp_path / "run"
    _uninterrupted(module, folder, epochs=3)
    newest = folder / "backup" / "epoch-0003"
    weights, state = newest / "state.weights.h5", newest / "state.json"
    if damage == "truncate_weights":
        weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    elif damage == "empty_weights":
        weights.write_bytes(b"")
    else:
        state.write_text(state.read_text()[:20])

    model = module.model()
    with pytest.warns(CheckpointWarning, match=r"epoch-0003 cannot be read .*; using the backup after epoch 2"):
        history = fit_resumable(model, module.stream(EPOCHS, STEPS), EPOCHS, folder, verbose=0,
                                steps_per_epoch=STEPS)
    assert [int(r["epoch"]) for r in history] == [0, 1, 2, 3]
    for a, b in zip(expected.get_weights(), model.get_weights()):  # epoch 3 was trained again, on the same batches
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_with_no_readable_backup_training_starts_over_from_the_initial_weights(training, tmp_path):
    _, module = training
    folder = tmp_path / "run"
    _uninterrupted(module, folder, epochs=2)
    for _, backup in list_backups(folder / "backup"):
        with open(os.path.join(backup, "state.weights.h5"), "wb") as handle:
            handle.write(b"not hdf5")
    model = module.model()
    initial = model.get_weights()
    from stkeras.training import restore_backup

    with pytest.warns(CheckpointWarning, match="no readable backup is left, so training starts over"):
        assert restore_backup(model, folder / "backup") == []
    for a, b in zip(initial, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_half_written_backup_folder_is_ignored_and_replaced(training, tmp_path):
    _, module = training
    folder = tmp_path / "run"
    _uninterrupted(module, folder, epochs=2)
    partial = folder / "backup" / ".epoch-0003.partial"
    partial.mkdir()
    (partial / "state.weights.h5").write_bytes(b"cut short")
    _, history = _uninterrupted(module, folder, epochs=3)
    assert len(history) == 3 and not partial.exists()
    assert [done for done, _ in list_backups(folder / "backup")] == [3, 2]


def test_a_run_folder_of_keras_backup_and_restore_resumes(training, tmp_path):
    _, module = training
    expected, _ = _uninterrupted(module, tmp_path / "straight", epochs=2)
    folder = tmp_path / "old"
    folder.mkdir()
    model = module.model()
    model.fit(module.stream(2, STEPS), epochs=1, steps_per_epoch=STEPS, verbose=0,
              callbacks=[keras.callbacks.BackupAndRestore(str(folder / "backup"), delete_checkpoint=False),
                         keras.callbacks.CSVLogger(str(folder / "history.csv"))])
    resumed = module.model()
    history = fit_resumable(resumed, module.stream(2, STEPS), 2, folder, verbose=0, steps_per_epoch=STEPS)
    assert [int(r["epoch"]) for r in history] == [0, 1]
    for a, b in zip(expected.get_weights(), resumed.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_keep_must_be_positive():
    from stkeras.training import EpochBackups

    with pytest.raises(ValueError, match="`keep` must be a positive integer. Received: keep=0"):
        EpochBackups("x", keep=0)


def test_unbuilt_models_are_refused_by_name(tmp_path):
    model = keras.Sequential([keras.layers.Dense(1)], name="lazy")
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="must be built .* 'lazy'"):
        fit_resumable(model, tf.data.Dataset.from_tensor_slices((np.ones((2, 4)), np.ones((2, 1)))).batch(2), 1,
                      tmp_path)
