"""`Preprocessing`: a model's clips as data, checked, round-tripped through JSON, applied by the pipeline."""

import json

import numpy as np
import pytest

from stkeras.data.preprocessing import Preprocessing
from stkeras.models import list_presets


def test_a_checkpoints_recipe_round_trips_through_json():
    record = Preprocessing(frames=16, frame_rate=15, resize=(128, 171), crop=112, mean=(0.4, 0.4, 0.4),
                           std=(0.2, 0.2, 0.2), source="https://example.org/r3d.pth")
    assert record.crop == (112, 112) and record.short_side == 128
    assert Preprocessing.from_config(json.loads(json.dumps(record.to_config()))) == record
    assert Preprocessing(resize=160).short_side == 160 and Preprocessing().short_side is None


def test_every_declared_checkpoint_preprocessing_is_a_record():
    declared = [preset for preset in list_presets() if preset.preprocessing is not None]
    assert declared and all(preset.weights for preset in declared)
    for preset in declared:
        assert Preprocessing.from_config(preset.preprocessing.to_config()) == preset.preprocessing


@pytest.mark.parametrize("changes, message", [
    ({"resize": (128,)}, "`resize` must be a pair"), ({"crop": 0}, "crop"), ({"frame_rate": 0}, "frame_rate"),
    ({"source": 3}, "source"), ({"mean": (0.5,)}, "go together"), ({"sampling": "random"}, "sampling"),
])
def test_wrong_settings_are_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        Preprocessing(**changes)
    with pytest.raises(ValueError, match="Unknown preprocessing setting"):
        Preprocessing.from_config({"size": 3})


def test_normalize_uses_the_mean_and_std_per_channel():
    clips = np.ones((1, 2, 2, 2, 3), "float32")
    normalized = Preprocessing(mean=(0.5, 0.0, 1.0), std=(0.5, 1.0, 0.5)).normalize(clips)
    np.testing.assert_allclose(normalized[0, 0, 0, 0], [1.0, 1.0, 0.0])
