"""Temporal controls on the active Keras backend: the clips change in `tf.data`, the model predicts on any backend.

CI runs it under `KERAS_BACKEND=jax` and `KERAS_BACKEND=torch` (see `.ci/run`).
"""

import keras
import numpy as np

from stkeras.analysis import apply_control
from stkeras.analysis import temporal_controls
from stkeras.data import quadrant_blink


def _direction_model(frames):
    """Class 0 where a clip's last frame is brighter than its first, else class 1."""
    model = keras.Sequential([keras.Input((frames, 2, 2, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
    weights = np.zeros((frames * 4, 2), "float32")
    weights[-4:, 0], weights[:4, 0], weights[:4, 1], weights[-4:, 1] = 1, -1, 1, -1
    model.layers[-1].set_weights([weights, np.zeros(2, "float32")])
    return model


def test_reversed_clips_flip_a_direction_model_and_a_tf_data_stream_feeds_the_backend():
    rng = np.random.default_rng(0)
    values = np.sort(rng.uniform(size=(32, 6)), axis=1)
    labels = np.arange(32) % 2
    values[labels == 1] = values[labels == 1, ::-1]
    clips = np.broadcast_to(values[:, :, None, None, None], (32, 6, 2, 2, 1)).astype("float32")
    summary = temporal_controls(_direction_model(6), [(clips[:16], labels[:16]), (clips[16:], labels[16:])],
                                task="order", controls=["reversed", "half_rate"]).summary()
    assert summary["unperturbed"] == 1.0 and summary["controls"]["reversed"]["score"] == 0.0
    assert summary["controls"]["half_rate"]["score"] == 1.0
    stream = apply_control(quadrant_blink(split="train", seed=0, num_clips=8, frames=4, size=16, digit_size=8,
                                          speeds=(1,), visible_every=(1,), max_step=8, batch_size=4), "shuffled")
    model = keras.Sequential([keras.Input((4, 16, 16, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(stream, epochs=1, verbose=0)  # a controlled tf.data stream trains on this backend
