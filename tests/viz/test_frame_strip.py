import matplotlib.image
import numpy as np
import pytest

from stkeras.viz import plot_frame_strip


def test_frame_strip_draws_each_frame(tmp_path):
    clips = np.zeros((2, 3, 8, 8, 1), "float32")
    clips[1, 2, 2:6, 2:6] = 1.0
    path = plot_frame_strip(clips, str(tmp_path / "strip.png"), titles=["a", "b"])
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 20 and image.shape[1] > 40
    assert image[..., :3].max() > 0.9  # the white square is drawn


def test_frame_strip_rejects_bad_shapes(tmp_path):
    with pytest.raises(ValueError, match="clips"):
        plot_frame_strip(np.zeros((8, 8)), str(tmp_path / "x.png"))
