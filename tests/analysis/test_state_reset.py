"""State-reset sensitivity (Courtney & Sreenivas 2019, Figure 5): resetting one scale changes only what it should."""

import keras
import numpy as np
import pytest

from stkeras.analysis import convlstm_scales
from stkeras.analysis import state_reset_sensitivity
from stkeras.analysis import with_state_resets
from stkeras.layers import ConvLSTM2D
from stkeras.models import ResConvLSTM
from stkeras.models import build_convlstm_resnet
from stkeras.models import build_res_convlstm
from stkeras.models import from_preset
from stkeras.models import build_courtney_resnet

FRAMES = 6


def _build(op_options=None):
    return build_res_convlstm(stages=[ResConvLSTM(1, 1, 4, 8), ResConvLSTM(2, 8, 8, 16)],
                                 input_shape=(FRAMES, 16, 16, 1), num_classes=3, lstm_units=8, per_frame=True,
                                 op_options=op_options)


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    return _build()


@pytest.fixture(scope="module")
def clips():
    return np.random.default_rng(0).uniform(size=(3, FRAMES, 16, 16, 1)).astype("float32")


def _outputs(model, clips, *layers):
    return keras.Model(model.inputs, [model.get_layer(name).output for name in layers]).predict(clips, verbose=0)


def _periods(model):
    return {path: layer.state_reset_period for path, layer in _reachable(model)}


def _reachable(model):
    found = []
    for layer in model.layers:
        if isinstance(layer, ConvLSTM2D):
            found.append((layer.name, layer))
        for name in ("op_layer", "projection"):
            sub = getattr(layer, name, None)
            if isinstance(sub, ConvLSTM2D):
                found.append((f"{layer.name}/{sub.name}", sub))
    return found


def test_scales_group_every_convlstm_by_its_output_size(model):
    scales = convlstm_scales(model)
    assert [(s.label, s.size) for s in scales] == [("s/2", (8, 8)), ("s/4", (4, 4))]
    # Type-A sub-blocks contribute their 1x1 skip-path ConvLSTM to their scale.
    assert scales[1].layers == ("res2_1/op", "res2_1/projection", "res2_2/op")
    assert sorted(p for s in scales for p in s.layers) == sorted(path for path, _ in _reachable(model))


def test_period_none_gives_the_unreset_outputs_exactly(model, clips):
    copy = with_state_resets(model, None, scales="s/4")
    np.testing.assert_array_equal(copy.predict(clips, verbose=0), model.predict(clips, verbose=0))
    assert set(_periods(copy).values()) == {None}


def test_resetting_one_scale_changes_that_scale_from_the_reset_frame_on(model, clips):
    copy = with_state_resets(model, 2, scales="s/4")
    assert _periods(copy) == {"res1_1/op": None, "res1_1/projection": None, "res2_1/op": 2,
                              "res2_1/projection": 2, "res2_2/op": 2}
    assert set(_periods(model).values()) == {None}  # the original is left as it was
    before = _outputs(model, clips, "res1_1", "res2_2")
    after = _outputs(copy, clips, "res1_1", "res2_2")
    np.testing.assert_array_equal(after[0], before[0])  # the s/2 scale runs normally
    np.testing.assert_allclose(after[1][:, :2], before[1][:, :2], atol=1e-6)  # frames before the first reset
    assert np.abs(after[1][:, 2:] - before[1][:, 2:]).max() > 1e-3


def test_the_skip_path_convlstm_of_the_scale_is_reset(model, clips):
    copy = with_state_resets(model, 2, scales="s/4")
    features = _outputs(model, clips, "res1_1")
    original = model.get_layer("res2_1").projection(features).numpy()
    reset = copy.get_layer("res2_1").projection(features).numpy()
    np.testing.assert_allclose(reset[:, :2], original[:, :2], atol=1e-6)
    assert np.abs(reset[:, 2:] - original[:, 2:]).max() > 1e-3
    # Reset every frame, its later frames are its first frame's response to them: no memory.
    every = with_state_resets(model, 1, scales="s/4").get_layer("res2_1").projection
    for t in range(1, FRAMES):
        np.testing.assert_allclose(every(features[:, t:t + 1]).numpy()[:, 0], every(features).numpy()[:, t],
                                   atol=1e-5)


def test_the_builder_resets_one_scale_as_the_analysis_does(model, clips):
    built = _build(op_options=[None, {"state_reset_period": 2}])
    built.set_weights(model.get_weights())
    assert _periods(built) == _periods(with_state_resets(model, 2, scales="s/4"))
    np.testing.assert_allclose(built.predict(clips, verbose=0),
                               with_state_resets(model, 2, scales="s/4").predict(clips, verbose=0), atol=1e-6)
    with pytest.raises(ValueError, match="one entry .* per stage: 2"):
        _build(op_options=[{"state_reset_period": 2}])


def test_sensitivity_scores_each_scale_and_period_against_the_unreset_model(model, clips):
    targets = np.argmax(model.predict(clips, verbose=0).mean(axis=1), axis=-1)  # the unreset model is right
    result = state_reset_sensitivity(model, (clips, targets), periods=(1, 3, None))
    assert result.baseline == 1.0 and result.clips == 3
    assert [s.label for s in result.scales] == ["s/2", "s/4"]
    for scale in ("s/2", "s/4"):
        assert result.relative(scale, None) == 1.0
        for period in (1, 3):
            assert 0 <= result.relative(scale, period) <= 1
    rows = result.to_dict()["rows"]
    assert len(rows) == 6 and {r["scale"] for r in rows} == {"s/2", "s/4"}
    assert "| s/4 (4x4) | 3 |" in result.format()


def test_courtney_convlstm_model_has_a_scale_per_stage():
    scales = convlstm_scales(build_convlstm_resnet(input_shape=(8, 32, 32, 1)))
    assert [(s.label, len(s.layers)) for s in scales] == [("s/2", 1), ("s/4", 1), ("s/8", 2), ("s/16", 4)]


def test_lipreading_model_has_the_papers_four_scales_and_eighteen_convlstms():
    scales = convlstm_scales(from_preset("lipreading", input_shape=(4, 48, 48, 1)))
    assert [(s.label, s.size) for s in scales] == [("s/2", (24, 24)), ("s/4", (12, 12)), ("s/8", (6, 6)),
                                                   ("s/16", (3, 3))]
    assert sum(len(s.layers) for s in scales) == 18  # 14 3x3 and 4 1x1 ConvLSTMs (Section 3.3)


def test_bad_arguments_are_refused_by_name(model, clips):
    with pytest.raises(ValueError, match=r"Unknown scale 's/3' in `scales`.*s/2, s/4"):
        with_state_resets(model, 2, scales="s/3")
    with pytest.raises(ValueError, match="period"):
        with_state_resets(model, 0)
    with pytest.raises(ValueError, match="metric"):
        state_reset_sensitivity(model, (clips, np.zeros(3)), metric="f1")
    with pytest.raises(ValueError, match="periods"):
        state_reset_sensitivity(model, (clips, np.zeros(3)), periods=(2, -1))
    with pytest.raises(ValueError, match="no stkeras ConvLSTM2D"):
        convlstm_scales(build_courtney_resnet(op="conv2d", input_shape=(4, 16, 16, 1)))
