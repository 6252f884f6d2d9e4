import numpy as np
import pytest

from stkeras.data import ORDERS
from stkeras.data import allowed_pairs
from stkeras.data import load_digits
from stkeras.data import quadrant_blink


def _clips(n=24, seed=0, split="train", **kwargs):
    ds = quadrant_blink(split=split, seed=seed, num_clips=n, task="all", with_info=True,
                        digits="embedded", batch_size=n, **kwargs)
    clips, targets, info = next(iter(ds))
    return clips.numpy()[..., 0], {k: v.numpy() for k, v in targets.items()}, {k: v.numpy() for k, v in info.items()}


@pytest.fixture(scope="module")
def sample():
    return _clips(64)


def test_shapes_and_range(sample):
    clips, targets, info = sample
    assert clips.shape == (64, 48, 64, 64) and clips.dtype == np.float32
    assert clips.min() == 0.0 and 0.5 < clips.max() <= 1.0
    assert info["position"].shape == (64, 48, 2) and info["quadrants"].shape == (64, 48)
    np.testing.assert_array_equal(targets["digit"], info["digit"])
    np.testing.assert_array_equal(targets["order"], info["order"])
    np.testing.assert_array_equal(targets["speed"], info["speed"].astype(np.float32))


def test_visible_frames_follow_v_and_phase(sample):
    clips, _, info = sample
    for i in range(len(clips)):
        v, phase = info["visible_every"][i], info["phase"][i]
        assert 0 <= phase < v
        t = np.arange(48)
        visible = (t >= phase) & ((t - phase) % v == 0)
        np.testing.assert_array_equal(info["quadrants"][i] > 0, visible)
        assert not clips[i][~visible].any(), "an invisible frame has pixels"


def test_one_quadrant_per_visible_frame_inside_the_digit_box(sample):
    clips, _, info = sample
    pool, labels = load_digits("train", source="embedded")
    for i in range(len(clips)):
        candidates = pool[labels == info["digit"][i]].astype(np.float32) / 255
        for t in np.nonzero(info["quadrants"][i])[0]:
            q = info["quadrants"][i, t]
            r, c = info["position"][i, t]
            dr, dc = (14 if q >= 3 else 0), (14 if q % 2 == 0 else 0)
            frame = clips[i, t]
            box = frame[r + dr : r + dr + 14, c + dc : c + dc + 14]
            outside = frame.copy()
            outside[r + dr : r + dr + 14, c + dc : c + dc + 14] = 0
            assert not outside.any(), "pixels outside the drawn quadrant"
            quarters = candidates[:, dr : dr + 14, dc : dc + 14]
            assert np.abs(quarters - box).max(axis=(1, 2)).min() < 1e-6, "not a quadrant of a digit of that label"


def test_quadrants_cycle_through_the_order(sample):
    _, _, info = sample
    for i in range(len(info["order"])):
        shown = [q for q in info["quadrants"][i] if q]
        order = ORDERS[info["order"][i]]
        start = order.index(shown[0])
        assert shown == [order[(start + k) % 4] for k in range(len(shown))]


def test_speed_bounces_and_box_stays_inside(sample):
    _, _, info = sample
    position = info["position"].astype(float)
    extent = 64 - 28
    assert position.min() >= 0 and position.max() <= extent
    bounces = 0
    for i in range(len(position)):
        speed = info["speed"][i]
        step = np.diff(position[i], axis=0)
        lengths = np.linalg.norm(step, axis=1)
        # Drawn positions are rounded (<= 0.5 px per coordinate); a step that
        # meets no wall is S long, one that bounces is shorter.
        assert lengths.max() <= speed + np.sqrt(2) + 1e-6
        assert lengths.max() >= speed - np.sqrt(2) - 1e-6
        for axis in (0, 1):
            for t in range(1, 47):
                before, after = step[t - 1, axis], step[t, axis]
                if abs(before) >= 2 and abs(after) >= 2 and np.sign(before) != np.sign(after):
                    # Velocity reverses only at a wall.
                    coordinate = position[i, t, axis]
                    assert min(coordinate, extent - coordinate) <= speed + 1
                    bounces += 1
    assert bounces > 0


def test_speed_and_visibility_pairs_respect_max_step():
    _, _, info = _clips(256, seed=3)
    pairs = set(zip(info["speed"], info["visible_every"]))
    assert all(s * v <= 49 for s, v in pairs)
    assert len(pairs) > 40  # 59 allowed pairs, drawn uniformly
    assert (6, 9) not in pairs and (4, 12) in allowed_pairs(range(1, 7), range(1, 13), 49)


def test_deterministic_per_seed():
    a, _, _ = _clips(8, seed=5)
    b, _, _ = _clips(8, seed=5)
    c, _, _ = _clips(8, seed=6)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    train, _, _ = _clips(8, seed=5, split="test")
    assert not np.array_equal(a, train)


def test_unbatched_stream_and_num_clips():
    ds = quadrant_blink(num_clips=5, frames=6, size=40, digits="embedded")
    items = list(ds)
    assert len(items) == 5 and items[0][0].shape == (6, 40, 40, 1)
    endless = quadrant_blink(frames=4, batch_size=3, digits="embedded")
    assert len(list(endless.take(4))) == 4


def test_uint8_clips_match_float_clips():
    ds_f = quadrant_blink(num_clips=4, frames=8, batch_size=4, digits="embedded")
    ds_u = quadrant_blink(num_clips=4, frames=8, batch_size=4, digits="embedded", dtype="uint8")
    f, u = next(iter(ds_f))[0].numpy(), next(iter(ds_u))[0].numpy()
    assert u.dtype == np.uint8
    np.testing.assert_allclose(u.astype(np.float32) / 255, f, atol=1e-6)


def test_smaller_digits():
    clips, _, info = _clips(8, frames=12, size=32, digit_size=14)
    assert clips.shape == (8, 12, 32, 32)
    assert info["position"].max() <= 32 - 14
    for i in range(8):
        for t in np.nonzero(info["quadrants"][i])[0]:
            assert np.count_nonzero(clips[i, t].any(axis=0)) <= 7


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"speeds": [0, 1]}, "speeds"),
        ({"visible_every": [0]}, "visible_every"),
        ({"speeds": [7], "visible_every": [8]}, "No \\(S, V\\) pair"),
        ({"size": 28}, "size"),
        ({"frames": 0}, "frames"),
        ({"task": "colour"}, "Unknown task: 'colour'"),
        ({"split": "val"}, "Unknown `split`"),
        ({"digits": "internet"}, "Unknown `digits`: 'internet'.*'embedded'"),
        ({"digit_size": 15}, "even"),
        ({"dtype": "float16"}, "dtype"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    arguments = {"digits": "embedded", **kwargs}
    with pytest.raises(ValueError, match=message):
        quadrant_blink(**arguments)


def _speeds(distribution, n=6000):
    ds = quadrant_blink(num_clips=n, frames=2, size=32, digit_size=14, task="speed", batch_size=1000,
                        with_info=True, digits="embedded", seed=11, speed_distribution=distribution)
    infos = [info for _, _, info in ds]
    return (np.concatenate([i["speed"].numpy() for i in infos]),
            np.concatenate([i["visible_every"].numpy() for i in infos]))


def _chi_square_against_uniform(values, k):
    counts = np.bincount(values, minlength=k + 1)[1:]
    expected = len(values) / k
    return ((counts - expected) ** 2 / expected).sum()


# Chi-square with 5 degrees of freedom: 20.5 is its 0.999 quantile.
def test_uniform_pairs_makes_speeds_with_fewer_pairs_rarer():
    speed, visible_every = _speeds("uniform_pairs")
    assert np.all(speed * visible_every <= 49)
    assert _chi_square_against_uniform(speed, 6) > 60  # 128.8 at seed 11
    # 65 allowed pairs: 12 for each S <= 4, 9 for S = 5, 8 for S = 6.
    np.testing.assert_allclose(np.bincount(speed, minlength=7)[1:] / len(speed),
                               np.array([12, 12, 12, 12, 9, 8]) / 65, atol=0.015)


def test_uniform_speeds_draws_speed_first_then_an_allowed_period():
    speed, visible_every = _speeds("uniform_speeds")
    assert np.all(speed * visible_every <= 49)
    assert _chi_square_against_uniform(speed, 6) < 20.5
    fast = visible_every[speed == 6]  # V uniform over the 8 values allowed for S = 6
    assert set(fast) == set(range(1, 9)) and _chi_square_against_uniform(fast, 8) < 24.3  # 0.999 quantile, 7 dof


def test_first_quadrant_order_start_begins_every_cycle_with_quadrant_one():
    _, _, info = _clips(32, seed=2, size=32, digit_size=14)
    assert len({q[q > 0][0] for q in info["quadrants"]}) > 1  # "random": any quadrant can come first
    _, _, info = _clips(32, seed=2, size=32, digit_size=14, first_quadrant="order_start")
    for q, o in zip(info["quadrants"], info["order"]):
        shown = q[q > 0]
        np.testing.assert_array_equal(shown, np.resize(ORDERS[o], len(shown)))


@pytest.mark.parametrize("name", ["speed_distribution", "first_quadrant"])
def test_sampling_options_are_checked(name):
    with pytest.raises(ValueError, match=f"Unknown `{name}`: 'uniform'. Allowed values: '"):
        quadrant_blink(digits="embedded", **{name: "uniform"})
