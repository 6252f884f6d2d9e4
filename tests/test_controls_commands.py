"""`stkeras compare --controls` and `stkeras evaluate --controls`, end to end on tiny clips and tiny videos."""

import json

import pytest

from stkeras.analysis import TEST_CONTROLS
from stkeras.analysis import TRAIN_CONTROLS
from stkeras.cli import main
from stkeras.data.preprocessing import Preprocessing
from stkeras.models import from_preset
from stkeras.models import save_preset
from tests.data.video_fixtures import write_video

pytestmark = pytest.mark.tensorflow_only("the commands train and read videos with tf.data")

TINY = ["--models", "small_3d_cnn_regular", "--train-clips", "32", "--test-clips", "32", "--validation-clips", "16",
        "--frames", "4", "--batch-size", "16", "--epochs", "1"]


def test_compare_with_controls_trains_the_controlled_presets_reports_them_and_resumes(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["compare", *TINY, "--controls", "both", "--out", str(out)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "trained on shuffled clips epoch 1/1" in printed and "test-time controls: accuracy" in printed
    results = json.loads((out / "results.json").read_text())
    controls = results["controls"]
    assert controls["mode"] == "both" and "McNemar" in controls["rule"] and "Welch" in controls["seed_rule"]
    tested = controls["test"]["small_3d_cnn_regular"]
    assert tested["unperturbed"]["mean"] == pytest.approx(results["models"]["small_3d_cnn_regular"]["accuracy"])
    assert list(tested["controls"]) == list(TEST_CONTROLS) and tested["seeds"] == [0]
    for row in tested["controls"].values():
        assert 0 <= row["score"] <= 1 and row["change"] == pytest.approx(row["score"] - tested["unperturbed"]["mean"])
        assert row["verdict"] in ("worse", "better", "no significant change") and 0 <= row["p_value"] <= 1
        assert row["vs_chance"] in ("above chance", "at chance", "below chance")
    trained = controls["train"]["small_3d_cnn_regular"]
    assert list(trained["controls"]) == list(TRAIN_CONTROLS)
    assert trained["ordered"]["mean"] == tested["unperturbed"]["mean"]
    for control in TRAIN_CONTROLS:
        folder = out / "controls" / f"trained_{control}" / "small_3d_cnn_regular"
        assert json.loads((folder / "recipe.json").read_text())["training_control"] == control
        assert (folder / "model.keras").exists()
    report = (out / "results.md").read_text()
    assert "### Test-time controls" in report and "### Train-time controls" in report
    assert "| small_3d_cnn_regular | " in report.split("### Train-time controls")[1]
    assert (out / "controls.png").stat().st_size > 5000

    assert main(args) == 0  # a rerun resumes: nothing trains again, the same controls
    printed = capsys.readouterr().out
    assert "epoch 1/1" not in printed
    assert json.loads((out / "results.json").read_text())["controls"] == controls


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    """A preset folder of an (untrained) small 3D CNN for two classes of 4-frame 32x32 RGB clips."""
    folder = tmp_path_factory.mktemp("model") / "small"
    model = from_preset("small_3d_cnn_regular", input_shape=(4, 32, 32, 3), num_classes=2)
    save_preset(model, folder, class_names=["dark", "light"],
                preprocessing=Preprocessing(frames=4, frame_step=1, resize=36, crop=(32, 32)))
    return folder


def test_evaluate_with_controls_scores_a_folder_of_videos_under_every_control_over_seeds(saved_model, tmp_path,
                                                                                         capsys):
    videos = tmp_path / "videos"
    for label, offset in (("dark", 0), ("light", 120)):
        for name, frames in (("a.mp4", 10), ("b.avi", 12)):
            write_video(videos / label / name, frames, offset=offset)
    out = tmp_path / "evaluation"
    assert main(["evaluate", "--model", str(saved_model), "--data", str(videos), "--views", "2x1", "--controls",
                 "--seeds", "2", "--out", str(out)]) == 0
    assert "controls, seed 1" in capsys.readouterr().out
    result = json.loads((out / "evaluation.json").read_text())
    controls = result["controls"]["test"]["small"]
    assert controls["seeds"] == [0, 1] and controls["num_clips"] == 4
    assert controls["unperturbed"]["scores"] == [result["top1"]] * 2  # the same views as the evaluation
    assert list(controls["controls"]) == list(TEST_CONTROLS)
    for name, row in controls["controls"].items():
        assert len(row["scores"]) == 2 and all(0 <= s <= 1 for s in row["scores"])
        if name in ("reversed", "static_middle", "half_rate", "quarter_rate", "mean_frame"):
            # The same videos and a deterministic control: both seeds measure the same, so the clips decide.
            assert row["scores"][0] == row["scores"][1] and row["test"] == "McNemar's exact test"
    assert "| small | " in (out / "controls.md").read_text()
    assert (out / "controls.png").stat().st_size > 5000


def test_evaluate_refuses_seeds_without_controls_and_unknown_controls(saved_model, tmp_path, capsys):
    base = ["evaluate", "--model", str(saved_model), "--out", str(tmp_path / "e")]
    assert main([*base, "--seeds", "2"]) == 2
    assert "--seeds 2 draws the temporal controls again: give --controls too" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_status:
        main([*base, "--controls", "sideways"])
    assert exit_status.value.code == 2 and "unknown control(s) 'sideways'" in capsys.readouterr().err
    assert not (tmp_path / "e").exists()
