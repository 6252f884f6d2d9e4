"""Step models equal their clip models frame by frame for every causal family; the others are refused by layer."""

import keras
import numpy as np
import pytest

from stkeras.deploy import NotCausalError
from stkeras.deploy import StreamingModel
from stkeras.deploy import to_streaming
from tests.deploy.deploy_models import CAUSAL_VARIANTS
from tests.deploy.deploy_models import LOOKS_AHEAD
from tests.deploy.deploy_models import STREAMS
from tests.deploy.deploy_models import build
from tests.deploy.deploy_models import clips_for
from tests.families import FAMILIES


def stream_eagerly(step, clips):
    """The step model called frame by frame (eagerly); its first output at every frame."""
    states, outputs = step.initial_state(len(clips)), []
    for t in range(clips.shape[1]):
        results = step([clips[:, t], *states])
        outputs.append(keras.ops.convert_to_numpy(results[0]))
        states = results[step.num_outputs:]
    return np.stack(outputs, axis=1)


def test_every_family_is_either_streamed_or_refused():
    assert STREAMS | set(LOOKS_AHEAD) == set(FAMILIES)
    assert not STREAMS & set(LOOKS_AHEAD)


@pytest.mark.parametrize("name", sorted(STREAMS) + sorted(CAUSAL_VARIANTS))
def test_the_step_model_gives_the_clip_model_outputs(name):
    model = build(name)
    clips = clips_for(model)
    expected = keras.ops.convert_to_numpy(model(clips, training=False))
    step = to_streaming(model)
    streamed = stream_eagerly(step, clips)
    if step.outputs_keep_time[0]:  # per-frame outputs: every frame
        assert expected.ndim == 3
        np.testing.assert_allclose(streamed, expected, rtol=0, atol=1e-5)
    else:  # one output per clip: the last frame's, which has seen the whole clip
        np.testing.assert_allclose(streamed[:, -1], expected, rtol=0, atol=1e-5)
        # Earlier frames give the clip model's output on a shorter clip: not the whole clip's.
        assert np.abs(streamed[:, 0] - expected).max() > 1e-6


@pytest.mark.parametrize("name", sorted(LOOKS_AHEAD))
def test_a_model_that_reads_later_frames_is_refused_naming_the_layer(name):
    with pytest.raises(NotCausalError, match=f"layer '{LOOKS_AHEAD[name]}' \\("):
        to_streaming(FAMILIES[name]())


def test_the_refusal_says_why_and_how():
    with pytest.raises(NotCausalError, match="centred on each frame.*temporal_padding='causal'"):
        to_streaming(FAMILIES["courtney_conv3d"]())
    with pytest.raises(NotCausalError, match="strides 2 in time"):
        to_streaming(FAMILIES["courtney_ts_conv3d"]())
    with pytest.raises(NotCausalError, match="backwards"):
        to_streaming(FAMILIES["frame_model_blstm"]())


def test_states_are_the_recurrences_and_the_frame_buffers():
    step = to_streaming(build("courtney_conv3d_causal"))
    shapes = dict((name, shape) for name, shape, _ in step.state_specs)
    # A 3-frame causal kernel keeps the last 2 input frames; the LSTM head its hidden and cell states.
    assert shapes["res1_1.op.0"][0] == 2
    assert shapes["lstm.0"] == shapes["lstm.1"] == (128,)


def test_a_step_model_saves_and_loads_with_safe_mode(tmp_path):
    model = build("courtney_convlstm")
    step = to_streaming(model)
    clips = clips_for(model)
    expected = stream_eagerly(step, clips)
    step.save(tmp_path / "step.keras")
    loaded = keras.saving.load_model(tmp_path / "step.keras", safe_mode=True)
    assert isinstance(loaded, StreamingModel)
    np.testing.assert_allclose(stream_eagerly(loaded, clips), expected, rtol=0, atol=1e-6)


def test_stream_runs_the_compiled_step_over_a_clip():
    model = build("vggm_convlstm")
    clips = clips_for(model)
    outputs, states = to_streaming(model).stream(clips)
    np.testing.assert_allclose(outputs[:, -1], model.predict(clips, verbose=0), rtol=0, atol=1e-5)
    assert len(states) == len(to_streaming(model).state_specs)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="one clip input"):
        to_streaming(keras.layers.Dense(3))
    step = to_streaming(build("frame_model_gru"))
    with pytest.raises(ValueError, match="takes a frame and 1 states"):
        step([np.zeros((1, 16, 16, 1), "float32")])
