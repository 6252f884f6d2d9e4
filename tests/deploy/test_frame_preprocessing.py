"""FramePreprocessing makes a model's clips from uint8 RGB frames as the video pipeline does, and saves safely."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from stkeras.deploy import FramePreprocessing
from stkeras.deploy import deployable_model
from stkeras.deploy.frame_preprocessing import resized_size
from tests.deploy.deploy_models import build

FRAMES = np.random.default_rng(0).integers(0, 256, (2, 3, 30, 40, 3), dtype=np.uint8)


def test_values_normalization_and_channels():
    rgb = FramePreprocessing(value_range=(-1.0, 1.0), mean=(0.1, 0.2, 0.3), std=(0.5, 0.5, 0.25))(FRAMES)
    expected = ((FRAMES / 255.0 * 2 - 1) - np.array([0.1, 0.2, 0.3])) / np.array([0.5, 0.5, 0.25])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(rgb), expected, rtol=0, atol=1e-5)
    gray = FramePreprocessing(channels=1)(FRAMES)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(gray)[..., 0],
                               tf.image.rgb_to_grayscale(FRAMES / 255.0).numpy()[..., 0], rtol=0, atol=1e-5)


@pytest.mark.parametrize("resize", [None, 24, 36])
def test_resize_and_centre_crop_as_the_video_pipeline(resize):
    crop = (16, 20)
    layer = FramePreprocessing(crop=crop, resize=resize)
    actual = keras.ops.convert_to_numpy(layer(FRAMES))
    # The rule of stkeras.data.video_files: scale by max(short / min side, crop / side), then the centre crop.
    short = resize or min(crop)
    scale = max(short / 30, crop[0] / 30, crop[1] / 40)
    height, width = max(int(np.ceil(30 * scale - 1e-3)), 16), max(int(np.ceil(40 * scale - 1e-3)), 20)
    assert resized_size((30, 40), short, crop) == (height, width)
    images = tf.image.resize(FRAMES.reshape(-1, 30, 40, 3) / 255.0, (height, width)).numpy()
    top, left = (height - 16) // 2, (width - 20) // 2
    expected = images[:, top:top + 16, left:left + 20].reshape(2, 3, 16, 20, 3)
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-5)


def test_config_round_trip_and_bad_values():
    layer = FramePreprocessing(channels=1, value_range=(0, 255), mean=(0.5,), std=(2.0,), crop=(8, 8), resize=10)
    restored = FramePreprocessing.from_config(layer.get_config())
    assert restored.get_config() == layer.get_config()
    with pytest.raises(ValueError, match="channels"):
        FramePreprocessing(channels=2)
    with pytest.raises(ValueError, match="one number per channel"):
        FramePreprocessing(mean=(0.5,), std=(0.2,))
    with pytest.raises(ValueError, match="std"):
        FramePreprocessing(mean=(0.5, 0.5, 0.5), std=(0.2, 0.0, 0.2))
    with pytest.raises(ValueError, match="RGB frames"):
        FramePreprocessing()(np.zeros((1, 2, 8, 8, 1), np.uint8))


def test_a_deployable_model_saves_and_loads_with_safe_mode(tmp_path):
    model = build("res_convlstm")
    deployed = deployable_model(model, preprocessing={"mean": [0.5], "std": [0.25]}, frame_size=(20, 24))
    frames = np.random.default_rng(1).integers(0, 256, (2, 4, 20, 24, 3), dtype=np.uint8)
    expected = deployed.predict(frames, verbose=0)
    deployed.save(tmp_path / "deployed.keras")
    loaded = keras.saving.load_model(tmp_path / "deployed.keras", safe_mode=True)
    np.testing.assert_allclose(loaded.predict(frames, verbose=0), expected, rtol=0, atol=1e-6)
    assert loaded.inputs[0].dtype == "uint8"
