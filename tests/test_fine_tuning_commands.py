"""Fine-tuning on a tiny imbalanced folder of videos: `stkeras train --recipe x3d_finetune` with every practice on,
`evaluate`'s mean-class accuracy and per-class results, class-balanced sampling and class weights, and the errors.

The folder holds 10 dark videos and 2 light ones; the model is the small 3D CNN at 4 x 16 x 16 (fine-tuning X3D-S
from its checkpoint, end to end, is `tests/models/test_x3d_finetune.py`'s).
"""

import csv
import json

import keras
import numpy as np
import pytest

from stkeras.cli import main
from stkeras.data import class_weights
from stkeras.experiments.run_data import video_data
from stkeras.training import FineTuning
from stkeras.training import StageRateSGD
from stkeras.training import stage_layers
from tests.data.video_fixtures import write_video

pytestmark = pytest.mark.tensorflow_only("the commands train with tf.data and TensorFlow")

TINY = ["--model", "small_3d_cnn_regular", "--frames", "4", "--frame-size", "16", "--batch-size", "4"]


@pytest.fixture(scope="module")
def imbalanced(tmp_path_factory):
    """10 dark and 2 light videos of 8 frames of 32 x 32."""
    root = tmp_path_factory.mktemp("imbalanced")
    for label, offset, count in (("dark", 0, 10), ("light", 120, 2)):
        for i in range(count):
            write_video(root / label / f"{i}.mp4", 8, offset=offset)
    return root


@pytest.fixture(scope="module")
def fine_tuned(imbalanced, tmp_path_factory):
    """`stkeras train --recipe x3d_finetune` (RandAugment, MixUp, CutMix, label smoothing, class weights,
    layer-wise rates) with one frozen stage, then `stkeras evaluate`: the run folder and the evaluation's."""
    out = tmp_path_factory.mktemp("runs") / "tuned"
    assert main(["train", *TINY, "--data", str(imbalanced), "--recipe", "x3d_finetune", "--epochs", "2",
                 "--validation-split", "0.25", "--frozen-stages", "1", "--out", str(out)]) == 0
    assert main(["evaluate", "--model", str(out), "--data", str(imbalanced), "--out", str(out / "test")]) == 0
    return out


def test_the_fine_tuning_recipe_trains_with_its_practice_and_saves_it(fine_tuned):
    settings = json.loads((fine_tuned / "recipe.json").read_text())["settings"]
    assert {k: settings[k] for k in ("label_smoothing", "mixup_alpha", "cutmix_alpha", "randaugment_ops",
                                     "class_balance", "layer_decay", "frozen_stages")} == {
        "label_smoothing": 0.1, "mixup_alpha": 0.8, "cutmix_alpha": 1.0, "randaugment_ops": 2,
        "class_balance": "weights", "layer_decay": 0.75, "frozen_stages": 1}
    model = keras.saving.load_model(fine_tuned / "model.keras", safe_mode=True)
    groups = stage_layers(model)
    assert all(not layer.trainable for layer in groups[0][1]) and all(layer.trainable for layer in groups[1][1])
    optimizer = model.optimizer  # SGD with a rate per stage: 0.75 per stage below the head (of 3; the first frozen)
    assert isinstance(optimizer, StageRateSGD) and float(optimizer.momentum) == 0.9
    rates = {layer.name: optimizer.rate_multipliers[layer.trainable_weights[0].path]
             for _, layers in groups[1:] for layer in layers}
    assert rates["predictions"] == 1.0 and rates[groups[1][1][0].name] == pytest.approx(0.75**2)
    history = (fine_tuned / "history.csv").read_text().splitlines()
    assert len(history) == 3 and {"accuracy", "val_accuracy", "loss"} <= set(history[0].split(","))


def test_evaluate_reports_the_mean_class_accuracy_and_each_class(fine_tuned):
    result = json.loads((fine_tuned / "test" / "evaluation.json").read_text())
    confusion = np.array(result["confusion"])
    assert confusion.sum(axis=1).tolist() == [10, 2]
    recalls = np.diag(confusion) / confusion.sum(axis=1)
    assert result["mean_class_accuracy"] == pytest.approx(recalls.mean())
    assert [row["class"] for row in result["per_class"]] == ["dark", "light"]
    assert [row["accuracy"] for row in result["per_class"]] == pytest.approx(recalls.tolist())
    with open(fine_tuned / "test" / "per_class.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["class"], int(row["clips"]), int(row["correct"])) for row in rows] == [
        ("dark", 10, confusion[0, 0]), ("light", 2, confusion[1, 1])]
    assert str(fine_tuned / "test" / "per_class.csv") in result["files"]


def _label_share(dataset, batches):
    labels = np.concatenate([np.asarray(batch[1]).reshape(-1) for batch in dataset.take(batches)])
    return float(np.mean(labels == 1)), len(labels)


def test_balanced_sampling_draws_every_class_equally_often(imbalanced):
    options = dict(recipe="x3d_finetune", frames=4, frame_size=16, batch_size=8, validation_split=0.25)
    plain = video_data(imbalanced, **options)
    train_share = float(np.mean(np.asarray(plain.train_labels) == 1))
    assert 0 < train_share <= 0.25  # light videos are among the training ones, and few (1 or 2 of 9)
    balanced = video_data(imbalanced, **options, class_balance="sampling")
    share, drawn = _label_share(balanced.train(seed=0), 8)
    assert drawn == 64 and 0.35 <= share <= 0.65
    assert _label_share(plain.train(seed=0), 8)[0] <= 0.3  # without it, the folder's shares


def test_class_weights_weigh_each_training_clip_by_its_class(imbalanced):
    data = video_data(imbalanced, recipe="x3d_finetune", frames=4, frame_size=16, batch_size=4,
                      validation_split=0.25, randaugment_ops=0, mixup_alpha=0.0, cutmix_alpha=0.0)
    tuning = FineTuning.from_settings(data.settings)
    weights = class_weights(data.train_labels, 2)
    assert weights[1] > 1 > weights[0] and np.isclose(np.bincount(data.train_labels) @ weights, len(data.train_labels))
    for clips, targets, sample_weights in tuning.training_stream(data.train(0), num_classes=2, seed=0,
                                                                 train_labels=data.train_labels).take(3):
        assert targets.shape[1:] == (2,)  # one-hot, for the label smoothing
        np.testing.assert_allclose(sample_weights, weights[np.argmax(targets, axis=1)], rtol=1e-6)


@pytest.mark.parametrize("argv, message", [
    (["--data", "VIDEOS", "--label-smoothing", "1.5"],
     "argument --label-smoothing: expected a number in [0, 1), got '1.5'"),
    (["--data", "VIDEOS", "--layer-decay", "0"], "argument --layer-decay: expected a number in (0, 1], got '0'"),
    (["--data", "VIDEOS", "--class-balance", "oversample"], "argument --class-balance: expected one of 'none', "
                                                            "'weights', 'sampling', got 'oversample'"),
    (["--data", "VIDEOS", "--frozen-stages", "4"],
     "`frozen_stages` must be an int from 0 (nothing frozen) through 3 (the stages of"),
    (["--label-smoothing", "0.1"], "`label_smoothing`: fine-tuning on your videos (--data DIR)"),
    (["--recipe", "x3d_finetune"], "Recipe 'x3d_finetune' is for your videos (--data DIR)"),
])
def test_fine_tuning_refuses_bad_settings_in_one_line(imbalanced, tmp_path, capsys, argv, message):
    argv = [str(imbalanced) if a == "VIDEOS" else a for a in argv]
    clips = TINY if "--data" in argv else [a for a in TINY if a not in ("--frame-size", "16")]
    try:
        status = main(["train", *clips, *argv, "--out", str(tmp_path / "run")])
    except SystemExit as exit:  # argparse's own check of the value
        status = exit.code
    assert status == 2
    error = capsys.readouterr().err
    assert message in error and len(error.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_a_search_refuses_a_fine_tuning_recipe(imbalanced, tmp_path, capsys):
    assert main(["tune", "--space", "video_resnet", "--data", str(imbalanced), "--recipe", "x3d_finetune",
                 "--frames", "4", "--out", str(tmp_path / "search")]) == 2
    assert "fine-tunes (label_smoothing, mixup_alpha" in capsys.readouterr().err
