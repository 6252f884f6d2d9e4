"""Every family on the active Keras backend: build, forward, one `fit` step on a `tf.data` stream, save and load.

CI runs it under `KERAS_BACKEND=jax` and `KERAS_BACKEND=torch` (see
`.ci/run`), with the layer tests; on TensorFlow, `tests/models/test_presets.py`
does the same for every preset. The clips are stkeras' quadrant-blink digits, made by a `tf.data`
pipeline, which Keras feeds to every backend.
"""

import keras
import numpy as np
import pytest

from stkeras import from_preset
from stkeras.data import quadrant_blink

# One preset per family (and per op of Courtney & Sreenivas' networks), at
# the smallest clips its strides fit: (preset, frames, size, extra arguments).
FAMILIES = {
    "conv2d": ("conv2d", 8, 16, {}),
    "conv3d": ("conv3d", 8, 16, {}),
    "ts_conv3d": ("ts_conv3d", 16, 16, {}),
    "convlstm": ("convlstm", 8, 16, {}),
    "res_convlstm": ("lipreading_reduced", 4, 16, {}),
    "vggm_convlstm": ("vggm_convlstm", 4, 32, {}),
    "r2plus1d": ("r2plus1d_10", 8, 32, {}),
    "r3d": ("r3d_10", 8, 32, {}),
    "p3d": ("p3d_18", 8, 32, {}),
    "stdcf": ("small_3d_cnn_stdcf", 8, 16, {}),
    "rank1": ("small_3d_cnn_rank1", 8, 16, {}),
    "frames_trn": ("frames_trn", 4, 16, {"num_segments": 4}),
    "frames_convlstm": ("frames_convlstm", 4, 16, {"num_segments": 4}),
    "x3d": ("x3d_xs", 4, 32, {}),
    "s3d": ("s3d", 8, 32, {}),
}


def _clips(frames, size, batch_size=4):
    return quadrant_blink(split="train", seed=0, num_clips=batch_size, frames=frames, size=size,
                          digit_size=min(12, size // 2), speeds=(1,), visible_every=(1, 2), max_step=size // 2,
                          task="digit", batch_size=batch_size)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_family_trains_saves_and_loads(family, tmp_path):
    if keras.backend.backend() == "tensorflow":
        pytest.skip("on TensorFlow, tests/models/test_presets.py trains, saves and reloads every preset")
    name, frames, size, extra = FAMILIES[family]
    keras.utils.set_random_seed(0)
    model = from_preset(name, input_shape=(frames, size, size, 1), task="digit", **extra)
    clips = _clips(frames, size)
    (batch, _), = clips.take(1).as_numpy_iterator()
    assert model.predict(batch, verbose=0).shape == (len(batch), 10)
    before = [w.copy() for w in model.get_weights()]
    model.compile(keras.optimizers.SGD(0.01), "sparse_categorical_crossentropy")
    history = model.fit(clips, epochs=1, verbose=0, shuffle=False)
    assert np.isfinite(history.history["loss"][0])
    assert any(not np.allclose(a, b) for a, b in zip(before, model.get_weights())), "fit changed no weight"
    path = tmp_path / f"{family}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(batch, verbose=0), model.predict(batch, verbose=0), rtol=1e-5,
                               atol=1e-6)


# stkeras' ConvLSTM2D on the weights and clips below, computed with the TensorFlow backend: the last frame's
# centre pixel of each clip. Every backend must give these numbers.
TENSORFLOW_NUMBERS = [[-0.240367, 0.127443, 0.167426], [0.187732, -0.207007, 0.265743]]


def test_convlstm_gives_the_same_numbers_on_every_backend():
    from stkeras.layers import ConvLSTM2D

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 5, 5, 2)).astype("float32")
    layer = ConvLSTM2D(3, 3, padding="same", return_sequences=True)
    layer.build(x.shape)
    layer.set_weights([rng.normal(scale=0.3, size=w.shape).astype("float32") for w in layer.get_weights()])
    y = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_allclose(y[:, -1, 2, 2], TENSORFLOW_NUMBERS, atol=2e-5)
    # and Keras' own ConvLSTM2D on the same backend and weights, at every pixel and frame
    reference = keras.layers.ConvLSTM2D(3, 3, padding="same", return_sequences=True)
    reference.build(x.shape)
    reference.set_weights(layer.get_weights())
    np.testing.assert_allclose(y, keras.ops.convert_to_numpy(reference(x)), atol=2e-5)


def test_tensorflow_only_tools_say_so_on_other_backends(tmp_path):
    from stkeras.cli import main

    if keras.backend.backend() == "tensorflow":
        pytest.skip("the tools run on TensorFlow")
    with pytest.raises(ValueError, match=f"Grad-CAM needs the TensorFlow backend .*Keras runs on '{keras.backend.backend()}'"):
        from stkeras.explain import gradcam

        gradcam(from_preset("conv2d", input_shape=(8, 16, 16, 1), num_classes=10), np.zeros((1, 8, 16, 16, 1)))
    assert main(["train", "--model", "conv2d", "--distribute", "mirrored", "--out", str(tmp_path)]) == 2
