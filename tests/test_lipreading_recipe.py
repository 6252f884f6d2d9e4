"""Courtney & Sreenivas 2019's training recipe (Section 4.1) as pieces: augmentation, windows, per-frame targets, clipping, TTA."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from stkeras.data import ClipAugmentation
from stkeras.data import augment_clips
from stkeras.data import per_frame_targets
from stkeras.data import random_subsequences
from stkeras.models import ResConvLSTM
from stkeras.models import build_res_convlstm
from stkeras.tasks import get_task
from stkeras.training import compile_for_task
from stkeras.data import predict_tta

RNG = np.random.default_rng(0)


def _same_frames(clips=2, frames=4, size=16):
    image = RNG.uniform(size=(clips, 1, size, size, 1)).astype("float32")
    return np.repeat(image, frames, axis=1)


def test_one_transform_per_clip_applied_to_every_frame():
    augment = ClipAugmentation(output_size=12, crop_size=(12, 16), seed=3)
    clips = np.repeat(_same_frames(clips=1), 2, axis=0)  # two copies of one clip
    out = augment(clips).numpy()
    assert out.shape == (2, 4, 12, 12, 1)
    for clip in out:  # every frame moved the same way
        for frame in clip[1:]:
            np.testing.assert_allclose(frame, clip[0], atol=1e-6)
    assert np.abs(out[0] - out[1]).max() > 1e-3  # each clip drew its own transform


def test_flip_alone_mirrors_or_keeps_and_outside_training_only_resizes():
    clips = RNG.uniform(size=(8, 3, 10, 10, 1)).astype("float32")
    out = ClipAugmentation(output_size=10, flip=True, rotation=0, brightness=0, seed=1)(clips).numpy()
    mirrored = [np.allclose(o, c[:, :, ::-1], atol=1e-6) for o, c in zip(out, clips)]
    kept = [np.allclose(o, c, atol=1e-6) for o, c in zip(out, clips)]
    assert all(m or k for m, k in zip(mirrored, kept)) and any(mirrored) and any(kept)
    augment = ClipAugmentation(output_size=5, crop_size=(6, 10), seed=1)
    resized = keras.layers.Resizing(5, 5)(clips.reshape(-1, 10, 10, 1)).numpy().reshape(8, 3, 5, 5, 1)
    np.testing.assert_allclose(augment(clips, training=False).numpy(), resized, atol=1e-6)


def test_brightness_alone_shifts_a_clip_by_at_most_a_tenth():
    clips = RNG.uniform(0.2, 0.8, size=(16, 3, 6, 6, 1)).astype("float32")
    out = ClipAugmentation(output_size=6, flip=False, rotation=0, brightness=0.1, seed=2)(clips).numpy()
    shifts = (out - clips).reshape(16, -1)
    np.testing.assert_allclose(shifts, shifts[:, :1].repeat(shifts.shape[1], axis=1), atol=1e-5)
    assert np.abs(shifts).max() <= 0.1 + 1e-6 and np.std(shifts[:, 0]) > 0.01


def test_augmentation_runs_inside_tf_data_and_round_trips():
    dataset = tf.data.Dataset.from_tensor_slices((_same_frames(4, size=32), np.arange(4))).batch(2)
    augment = ClipAugmentation(output_size=24, crop_size=(24, 32), seed=0)
    shapes = [tuple(batch[0].shape) for batch in augment_clips(dataset, augment)]
    assert shapes == [(2, 4, 24, 24, 1)] * 2
    again = ClipAugmentation.from_config(augment.get_config())
    assert again.get_config() == augment.get_config()


@pytest.mark.parametrize("kwargs, message", [
    ({"crop_size": (64, 48)}, "smallest first"),
    ({"crop_size": (8, 20)}, "larger than the 16x16 frames"),
    ({"rotation": 200}, "rotation"),
    ({"brightness": -0.1}, "brightness"),
    ({"output_size": 0}, "output_size"),
    ({"value_range": (1, 0)}, "value_range"),
])
def test_bad_augmentation_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ClipAugmentation(**{"output_size": 8, **kwargs})(np.zeros((1, 2, 16, 16, 1), "float32"))


def test_random_windows_are_contiguous_of_the_asked_lengths():
    clips = np.broadcast_to(np.arange(12, dtype="float32").reshape(1, 12, 1, 1, 1), (6, 12, 2, 2, 1)).copy()
    dataset = tf.data.Dataset.from_tensor_slices((clips, np.zeros(6))).batch(3).repeat(8)
    lengths, starts = set(), set()
    for batch, _ in random_subsequences(dataset, (3, 6), seed=0):
        first = batch.numpy()[:, :, 0, 0, 0]
        assert np.all(np.diff(first, axis=1) == 1)
        lengths.add(first.shape[1])
        starts.update(first[:, 0].tolist())
    assert lengths <= {3, 4, 5, 6} and len(lengths) > 1 and len(starts) > 3
    with pytest.raises(ValueError, match="longer than the clips' 12 frames"):
        random_subsequences(dataset, 13)
    with pytest.raises(ValueError, match="shortest <= longest"):
        random_subsequences(dataset, (5, 3))


def test_per_frame_targets_train_a_per_frame_model_with_clipped_adam():
    clips = RNG.uniform(size=(8, 6, 8, 8, 1)).astype("float32")
    dataset = tf.data.Dataset.from_tensor_slices((clips, np.arange(8) % 3)).batch(4)
    windows = per_frame_targets(random_subsequences(dataset, 4, seed=0))
    first = next(iter(windows))
    assert first[0].shape == (4, 4, 8, 8, 1) and first[1].numpy().tolist() == [[0] * 4, [1] * 4, [2] * 4, [0] * 4]
    model = build_res_convlstm(stages=[ResConvLSTM(1, 1, 4, 8)], input_shape=(None, 8, 8, 1), num_classes=3,
                                  lstm_units=4, per_frame=True)
    compile_for_task(model, get_task("digit"), learning_rate=1e-4, global_clipnorm=5.0)
    assert model.optimizer.global_clipnorm == 5.0
    history = model.fit(windows, epochs=1, verbose=0,
                        callbacks=[keras.callbacks.ReduceLROnPlateau(monitor="loss", patience=1)])
    assert np.isfinite(history.history["loss"][0])
    one_hot = per_frame_targets(tf.data.Dataset.from_tensor_slices((clips, np.eye(8))).batch(4))
    assert next(iter(one_hot))[1].shape == (4, 6, 8)
    with pytest.raises(ValueError, match="global_clipnorm"):
        compile_for_task(model, "digit", global_clipnorm=-1)


def test_predict_tta_averages_three_crops_and_their_mirror_images():
    inputs = keras.Input((2, 8, 8, 1))
    model = keras.Model(inputs, keras.layers.Dense(3)(keras.layers.Flatten()(inputs)))
    clips = RNG.uniform(size=(5, 2, 12, 12, 1)).astype("float32")

    def view(size, flip):
        start = (12 - size) // 2
        crop = clips[:, :, start:start + size, start:start + size]
        crop = keras.layers.Resizing(8, 8)(crop.reshape(-1, size, size, 1)).numpy().reshape(5, 2, 8, 8, 1)
        return model.predict(crop[:, :, :, ::-1] if flip else crop, verbose=0)

    expected = np.mean([view(s, f) for s in (8, 10, 12) for f in (False, True)], axis=0)
    np.testing.assert_allclose(predict_tta(model, clips, crop_sizes=(8, 10, 12), batch_size=2), expected,
                               atol=1e-5)
    np.testing.assert_allclose(predict_tta(model, clips, crop_sizes=(12,), flip=False), view(12, False), atol=1e-5)
    with pytest.raises(ValueError, match="larger than the 12x12 frames"):
        predict_tta(model, clips, crop_sizes=(16,))
    with pytest.raises(ValueError, match="crop_sizes"):
        predict_tta(model, clips, crop_sizes=8)
