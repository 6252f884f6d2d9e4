"""One task record: validation, scores and baselines, and its use by data, builders and training."""

import keras
import numpy as np
import pytest

import stkeras
from stkeras.data import quadrant_blink
from stkeras.tasks import Task
from stkeras.tasks import available_tasks
from stkeras.tasks import get_task
from stkeras.training import compile_for_task


def test_registered_tasks_are_courtney_and_sreenivas():
    assert available_tasks()[:3] == ("digit", "order", "speed")
    digit, speed = get_task("digit"), get_task("speed")
    assert (digit.units, digit.metric, digit.better) == (10, "accuracy", "higher")
    assert (speed.units, speed.metric, speed.better, speed.activation) == (1, "mae", "lower", None)
    assert get_task(digit) is digit


@pytest.mark.parametrize("bad", ["digits", 3, None])
def test_unknown_task_names_the_argument(bad):
    with pytest.raises(ValueError, match=r"Unknown task: .*'digit', 'order', 'speed'"):
        get_task(bad)
    if bad is not None:  # task=None means the builder's default task
        with pytest.raises(ValueError, match="Unknown task"):
            stkeras.build_conv2d_lstm(task=bad)


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "x y", "kind": "classification", "target": "x", "units": 3}, "identifier"),
    ({"name": "x", "kind": "ranking", "target": "x", "units": 3}, "Unknown `kind`"),
    ({"name": "x", "kind": "classification", "target": "x", "units": 1}, "at least 2 classes"),
])
def test_bad_task_records_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Task(**kwargs)


def test_scores_per_clip_and_baselines():
    digit, speed = get_task("digit"), get_task("speed")
    scores = np.eye(10)[[1, 2, 3, 3]]
    assert digit.scores(scores, [1, 2, 0, 3]) == {"accuracy": 0.75}
    np.testing.assert_array_equal(digit.per_clip(scores, [1, 2, 0, 3]), [1, 1, 0, 1])
    assert digit.baseline([3, 3, 1], [3, 1, 1, 1]) == {"predictor": "majority class 3", "accuracy": 0.25}
    assert speed.scores(np.array([[1.4], [2.6]]), [1, 2]) == pytest.approx({"mae": 0.5, "rounded_accuracy": 0.5})
    assert speed.baseline([1, 3], [2, 4])["mae"] == pytest.approx(1.0)
    assert speed.is_better(0.2, 0.5) and digit.is_better(0.6, 0.5)


def test_a_user_task_flows_through_data_builder_and_training():
    # Order as a 6-way task with logits outputs: a Task the registry does not hold.
    task = Task.classification("order_logits", 6, target="order", activation=None)
    data = quadrant_blink(num_clips=8, frames=4, size=32, digit_size=14, speeds=(1,), visible_every=(1,),
                          max_step=1, task=task, batch_size=4, with_info=True)
    clip, target, info = next(iter(data))
    np.testing.assert_array_equal(target, info["order"])
    model = stkeras.build_conv2d_lstm(input_shape=(4, 32, 32, 1), task=task)
    assert model.output_names == ["predictions"] and model.get_layer("predictions").units == 6
    history = compile_for_task(model, task).fit(data.map(lambda c, t, i: (c, t)), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_quadrant_blink_refuses_targets_it_lacks():
    with pytest.raises(ValueError, match="info\\['label'\\].*digit, order, speed, visible_every"):
        quadrant_blink(num_clips=2, task=Task.classification("label", 3))


@pytest.mark.parametrize("build", [
    lambda: stkeras.build_conv2d_lstm(input_shape=(4, 32, 32, 1)),
    lambda: stkeras.from_preset("lipreading", input_shape=(4, 48, 48, 1), num_classes=5),
    lambda: stkeras.models.build_frame_model(head="trn_multiscale", num_segments=4, input_shape=(4, 32, 32, 3),
                                             task="digit"),
    lambda: stkeras.build_vggm_convlstm(input_shape=(4, 32, 32, 1), num_classes=5, filters=(8, 8, 8, 8, 8),
                                        lstm_units=8),
    lambda: stkeras.build_video_resnet(kind="p3d", depth=10, input_shape=(8, 32, 32, 3), num_classes=5,
                                       width_multiplier=0.25),
    lambda: stkeras.build_stdcf_resnet(depth=10, input_shape=(4, 32, 32, 3), num_classes=5),
    lambda: stkeras.build_small_3d_cnn(conv="rank1", input_shape=(4, 32, 32, 1), filters=(4, 4, 4)),
    lambda: stkeras.build_small_3d_autoencoder(conv="stdcf", input_shape=(4, 32, 32, 1), filters=(4, 4)),
], ids=["courtney", "lipreading", "frame_model", "vggm", "tran", "miao", "miao_small",
        "miao_reconstruction"])
def test_outputs_stay_float32_under_mixed_precision(build):
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = build()
    finally:
        keras.config.set_dtype_policy("float32")
    assert any(keras.backend.standardize_dtype(w.dtype) == "float32" for w in model.weights)
    computing = {layer.compute_dtype for layer in model.layers if layer.weights}
    assert "float16" in computing  # the network itself runs in float16
    x = np.random.default_rng(0).uniform(size=(2, *model.input.shape[1:])).astype("float32")
    y = model(x, training=False)  # on a CPU too: no layer needs a float16 kernel TensorFlow lacks there
    assert keras.backend.standardize_dtype(y.dtype) == "float32"
    if model.output.shape[-1] > 1:  # class probabilities
        np.testing.assert_allclose(np.sum(np.asarray(y), axis=-1), 1.0, rtol=1e-5)
