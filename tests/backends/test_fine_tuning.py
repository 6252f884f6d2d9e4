"""The fine-tuning practice on the active Keras backend: clip mixing and RandAugment in `tf.data`, named stages,
per-stage learning rates, and a fine-tuning `fit` that saves and reloads.

CI runs it under `KERAS_BACKEND=jax` and `KERAS_BACKEND=torch` too (`.ci/run`'s backend jobs): the augmentations
run in `tf.data` (Keras' image layers compute with TensorFlow there, whatever the backend), the optimizers and
the training on the backend.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from stkeras import from_preset
from stkeras.data import ClipMixing
from stkeras.data import ClipRandAugment
from stkeras.data import mix_clips
from stkeras.data import randaugment_clips
from stkeras.training import FineTuning
from stkeras.training import StageRateAdam
from stkeras.training import StageRateSGD
from stkeras.training import compile_for_task
from stkeras.training import freeze_named_stages
from stkeras.training import recipe_optimizer
from stkeras.training import stage_layers
from stkeras.training import stage_rate_multipliers

SIZE = 16


def _numbered_clips(classes=4, frames=3):
    """Clip b is class b; its frame t is the constant 10 * b + t (every pixel and channel)."""
    clips = np.zeros((classes, frames, SIZE, SIZE, 3), "float32")
    for b in range(classes):
        for t in range(frames):
            clips[b, t] = 10 * b + t
    return clips, np.eye(classes, dtype="float32")


@pytest.mark.parametrize("kind", ["mixup", "cutmix", "both"])
def test_mixing_gives_every_frame_of_a_clip_the_same_mix_and_mixes_the_targets_alike(kind):
    clips, targets = _numbered_clips()
    alphas = {"mixup": dict(mixup_alpha=0.8), "cutmix": dict(cutmix_alpha=1.0),
              "both": dict(mixup_alpha=0.8, cutmix_alpha=1.0)}[kind]
    batches = tf.data.Dataset.from_tensors((clips, targets)).repeat(12)
    kinds, changed = set(), 0
    for mixed, soft in mix_clips(batches, ClipMixing(**alphas, seed=3), seed=3).as_numpy_iterator():
        assert mixed.shape == clips.shape and soft.shape == targets.shape
        np.testing.assert_allclose(soft.sum(axis=1), 1.0, atol=1e-5)
        # Frame t is frame 0 plus t at every pixel: the same weight, partner and box on every frame.
        np.testing.assert_allclose(mixed - mixed[:, :1], clips - clips[:, :1], atol=1e-4)
        first = mixed[:, 0]
        for b in range(len(clips)):
            values = np.unique(np.round(first[b], 3))
            if len(values) == 1 and not np.isclose(values[0] / 10, round(values[0] / 10), atol=1e-3):
                kinds.add("mixup")  # a blend of two clips: its value is the targets' mix of theirs
                np.testing.assert_allclose(values[0], soft[b] @ (10 * np.arange(4)), atol=1e-3)
            elif len(values) == 2:
                kinds.add("cutmix")  # a box of the partner: its share of the pixels is the partner's target
                partner = int(round(values[values != 10 * b][0] / 10))
                share = np.mean(np.isclose(first[b], 10 * partner))
                assert abs(share - soft[b, partner]) <= (2 * SIZE + 1) / SIZE**2
                assert set(np.flatnonzero(soft[b] > 1e-6)) == {b, partner}
            changed += not np.allclose(mixed[b], clips[b])
    assert changed > 0
    assert kinds == ({"mixup", "cutmix"} if kind == "both" else {kind})


def test_randaugment_draws_once_per_clip_and_differently_for_each_clip():
    rng = np.random.default_rng(0)
    frames = rng.uniform(size=(6, 1, SIZE, SIZE, 3)).astype("float32")
    clips = np.repeat(frames, 4, axis=1)  # six clips of four equal frames
    batches = tf.data.Dataset.from_tensors((clips, np.arange(6))).repeat(3)
    outputs = [clip for batch, _ in randaugment_clips(batches, ClipRandAugment(num_ops=2, magnitude=0.9, seed=1))
               .as_numpy_iterator() for clip in batch]
    for clip in outputs:
        np.testing.assert_array_equal(clip, np.repeat(clip[:1], 4, axis=0))  # its frames are still equal
    changes = [np.abs(out - clips[i % 6]).mean() for i, out in enumerate(outputs)]
    assert sum(change > 1e-3 for change in changes) >= 12 and len({round(float(c), 5) for c in changes}) >= 12


def test_each_randaugment_op_is_kerass_own_with_the_same_magnitude_on_every_frame():
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the ops compute with TensorFlow in tf.data whatever the backend, as checked here on TensorFlow "
                    "(under JAX, Keras' Equalization unrolls its histogram and this trace takes a minute)")
    augment = ClipRandAugment(num_ops=1, magnitude=0.9, seed=0)
    rng = np.random.default_rng(1)
    frame = rng.uniform(size=(1, SIZE, SIZE, 3)).astype("float32")
    clip = np.concatenate([frame, frame, np.flip(frame, axis=2)])  # two equal frames and a mirrored one

    @tf.function
    def apply(clip, op):
        transformation = augment.transformation(clip)
        transformation["layer_idxes"] = tf.fill([1], op)
        # Keras' RandAugment computing every op and keeping the drawn one, against the drawn one alone.
        ours, kerass = augment.transform(clip, transformation), augment.layer.transform_images(clip, transformation)
        return ours, kerass, len(transformation["transforms"])

    ops = int(apply(tf.constant(clip), tf.constant(0))[2])
    assert ops == 11  # Keras' RandAugment's ops, each checked below
    for op in range(ops):
        ours, kerass, _ = (t.numpy() for t in apply(tf.constant(clip), tf.constant(op)))
        np.testing.assert_allclose(ours, kerass, atol=1e-6)
        np.testing.assert_array_equal(ours[0], ours[1])  # equal frames stay equal: one magnitude for the clip


def _tiny_model(classes=3):
    return from_preset("small_3d_cnn_regular", input_shape=(4, SIZE, SIZE, 3), num_classes=classes)


def test_named_stages_partition_a_models_layers_and_freeze_and_set_rates_by_stage():
    model = _tiny_model()
    groups = stage_layers(model)
    assert [name for name, _ in groups] == [*model.stage_names, "head"]
    names = [layer.name for _, layers in groups for layer in layers]
    assert sorted(names) == sorted(layer.name for layer in model.layers if layer.weights)  # each layer once
    multipliers = stage_rate_multipliers(model, 0.5)
    for index, (_, layers) in enumerate(groups):
        for layer in layers:
            assert {multipliers[v.path] for v in layer.trainable_weights} <= {0.5 ** (len(groups) - 1 - index)}
    frozen = freeze_named_stages(model, 2)
    assert frozen == [layer.name for _, layers in groups[:2] for layer in layers]
    assert all(not model.get_layer(name).trainable for name in frozen)
    assert all(layer.trainable for _, layers in groups[2:] for layer in layers)
    with pytest.raises(ValueError, match=r"`frozen_stages` must be an int from 0 .* through 3 .*pool1, pool2, pool3"
                                         r".* Received: frozen_stages=4"):
        freeze_named_stages(_tiny_model(), 4)
    with pytest.raises(ValueError, match="names no stages"):
        stage_layers(keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]))


@pytest.mark.parametrize("optimizer", [StageRateSGD, StageRateAdam])
def test_a_stage_rate_is_the_optimizer_at_that_rate_for_its_variables(optimizer):
    options = {"momentum": 0.9} if optimizer is StageRateSGD else {}
    plain = keras.optimizers.SGD if optimizer is StageRateSGD else keras.optimizers.Adam
    start = np.array([1.0, -2.0, 3.0], "float32")
    slow, fast = keras.Variable(start, name="slow"), keras.Variable(start, name="fast")
    staged = optimizer(0.1, rate_multipliers={slow.path: 0.25}, **options)
    references = [keras.Variable(start, name=n) for n in ("slow_reference", "fast_reference")]
    reference_optimizers = [plain(0.025, **options), plain(0.1, **options)]
    for step in range(3):
        gradient = keras.ops.convert_to_tensor(np.array([0.5, step - 1.0, 2.0], "float32"))
        staged.apply([gradient, gradient], [slow, fast])
        for variable, reference in zip(references, reference_optimizers):
            reference.apply([gradient], [variable])
    for ours, theirs in zip((slow, fast), references):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(ours), keras.ops.convert_to_numpy(theirs), rtol=1e-6)
    assert not np.allclose(keras.ops.convert_to_numpy(slow), keras.ops.convert_to_numpy(fast))
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(staged))
    assert type(restored) is optimizer and restored.rate_multipliers == {slow.path: 0.25}


def test_a_fine_tuning_fit_freezes_weighs_mixes_and_reloads_on_this_backend(tmp_path):
    keras.utils.set_random_seed(0)
    model = _tiny_model()
    task = model.task
    # RandAugment is left out: the test above runs it in tf.data on this backend.
    tuning = FineTuning(label_smoothing=0.1, mixup_alpha=0.8, cutmix_alpha=1.0, class_balance="weights",
                        frozen_stages=1, layer_decay=0.5)
    multipliers = tuning.prepare_model(model)
    settings = {"learning_rate": 0.05, "epochs": 1, "warmup_fraction": 0.0, "optimizer": "sgd", "momentum": 0.9,
                "schedule": "constant"}
    optimizer, _ = recipe_optimizer(settings, steps_per_epoch=2, rate_multipliers=multipliers)
    compile_for_task(model, task, optimizer=optimizer, loss=tuning.loss(task), metrics=tuning.metrics(task))
    labels = np.array([0, 0, 0, 0, 0, 1, 1, 2])
    clips = np.random.default_rng(0).uniform(size=(8, 4, SIZE, SIZE, 3)).astype("float32")
    batches = tf.data.Dataset.from_tensor_slices((clips, labels)).batch(4)
    train = tuning.training_stream(batches, num_classes=3, train_labels=labels, seed=0)
    clips_out, targets, weights = next(iter(train.as_numpy_iterator()))
    assert targets.shape == (4, 3) and weights.shape == (4,) and weights.min() > 0
    frozen = [layer.name for layer in stage_layers(model)[0][1]]
    before = {name: [w.copy() for w in model.get_layer(name).get_weights()] for name in [*frozen, "predictions"]}
    history = model.fit(train, validation_data=tuning.held_out_stream(batches, 3), epochs=1, verbose=0,
                        shuffle=False)
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(history.history)
    for name in frozen:
        for old, new in zip(before[name], model.get_layer(name).get_weights()):
            np.testing.assert_array_equal(old, new)
    assert not np.allclose(before["predictions"][0], model.get_layer("predictions").get_weights()[0])
    path = tmp_path / "tuned.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(clips, verbose=0), model.predict(clips, verbose=0), rtol=1e-5, atol=1e-6)
    assert isinstance(loaded.optimizer, StageRateSGD) and loaded.optimizer.rate_multipliers == multipliers
