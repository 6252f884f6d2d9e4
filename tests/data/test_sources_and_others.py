import numpy as np
import pytest

from stkeras.data import group_metric
from stkeras.data import load_digits
from stkeras.data import moving_mnist
from stkeras.data import tr_mnist
from stkeras.data.digits import tfds_available


def test_embedded_digits_are_real_and_disjoint():
    train, train_labels = load_digits("train", source="embedded")
    test, test_labels = load_digits("test", source="embedded")
    assert train.shape == (4000, 28, 28) and test.shape == (1000, 28, 28)
    assert train.dtype == np.uint8 and set(np.unique(train_labels)) == set(range(10))
    seen = {image.tobytes() for image in train}
    assert not any(image.tobytes() in seen for image in test)
    assert train.max() == 255 and 0.05 < (train > 0).mean() < 0.4  # ink on a dark ground


def test_auto_falls_back_to_embedded_and_tfds_needs_local_data(tmp_path):
    images, _ = load_digits("test", source="auto", data_dir=str(tmp_path))
    if not tfds_available(str(tmp_path)):
        assert images.shape == (1000, 28, 28)
        with pytest.raises(ValueError, match="source='embedded'"):
            load_digits("test", source="tfds", data_dir=str(tmp_path))
    with pytest.raises(ValueError, match="Unknown `source`: 'web'. Allowed values: 'auto', 'embedded', 'tfds'"):
        load_digits(source="web")


def test_group_metric_means_and_counts():
    info = {"visible_every": np.array([1, 1, 2, 2, 2]), "speed": np.array([1, 1, 1, 3, 3])}
    grid = group_metric(np.array([1.0, 3.0, 5.0, 0.0, 1.0]), info)
    assert grid == {(1, 1): (2.0, 2), (2, 1): (5.0, 1), (2, 3): (0.5, 2)}
    assert group_metric([1.0, 3.0, 5.0, 0.0, 1.0], info, by=("speed",), reduce="sum") == {(1,): (9.0, 3), (3,): (1.0, 2)}
    with pytest.raises(ValueError, match="not in `info`"):
        group_metric([1.0], info, by=("colour",))


def test_moving_mnist_splits_one_clip_into_inputs_and_future():
    ds = moving_mnist(num_clips=4, batch_size=4, digits="embedded", with_info=True, frames=12, input_frames=5)
    inputs, future, info = (x.numpy() if not isinstance(x, dict) else x for x in next(iter(ds)))
    assert inputs.shape == (4, 5, 64, 64, 1) and future.shape == (4, 7, 64, 64, 1)
    position = info["position"].numpy()
    assert position.shape == (4, 12, 2, 2)
    # Each digit's box holds ink at every frame, inputs and future alike.
    clips = np.concatenate([inputs, future], axis=1)[..., 0]
    for i in range(4):
        for t in range(12):
            for k in range(2):
                r, c = position[i, t, k]
                assert clips[i, t, r : r + 28, c : c + 28].max() > 0.3
    with pytest.raises(ValueError, match="input_frames"):
        moving_mnist(frames=10, input_frames=10, digits="embedded")


def test_tr_mnist_translates_exactly_without_rotation():
    ds = tr_mnist(num_clips=3, batch_size=3, max_rotation=0, digits="embedded", with_info=True)
    clips, target, info = next(iter(ds))
    clips, position = clips.numpy()[..., 0], info["position"].numpy()
    np.testing.assert_array_equal(clips, target.numpy()[..., 0])
    pool, labels = load_digits("train", source="embedded")
    for i in range(3):
        r, c = position[i, 0, 0]
        first = clips[i, 0, r : r + 28, c : c + 28]
        for t in range(1, 16):
            r, c = position[i, t, 0]
            np.testing.assert_allclose(clips[i, t, r : r + 28, c : c + 28], first, atol=1e-5)
        assert np.abs(pool[labels == info["digit"].numpy()[i, 0]] / 255 - first).max(axis=(1, 2)).min() < 1e-5


def test_tr_mnist_rotates_and_keeps_the_ink():
    ds = tr_mnist(num_clips=4, batch_size=4, max_rotation=10, digits="embedded", with_info=True)
    clips, _, info = next(iter(ds))
    clips, angle = clips.numpy()[..., 0], info["angle"].numpy()[..., 0]
    spin = np.diff(angle, axis=1)
    assert np.allclose(spin, spin[:, :1], atol=1e-3) and np.abs(spin).max() <= 10 + 1e-4
    ink = clips.sum(axis=(2, 3))
    assert (np.abs(ink / ink[:, :1] - 1) < 0.1).all()
