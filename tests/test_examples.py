import json
import pathlib
import runpy
import sys

import keras
import numpy as np
import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def test_build_and_inspect(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["build_and_inspect.py", "--frames", "16", "--frame-size", "32"])
    runpy.run_path(str(EXAMPLES / "build_and_inspect.py"), run_name="__main__")
    printed = capsys.readouterr().out
    assert printed.count("| res4_4 |") == 4
    assert "| res4_4 | ts_conv3d | 1x2x2x128 |" in printed


def test_quadrant_blink_strip(tmp_path, monkeypatch):
    out = tmp_path / "strip.png"
    monkeypatch.setattr(sys, "argv", ["quadrant_blink_strip.py", "--out", str(out), "--clips", "2", "--frames", "4"])
    runpy.run_path(str(EXAMPLES / "quadrant_blink_strip.py"), run_name="__main__")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 1000


def _run(name, argv, monkeypatch):
    monkeypatch.setattr(sys, "argv", [name, *argv])
    runpy.run_path(str(EXAMPLES / name), run_name="__main__")


def test_train_convlstm_speed(tmp_path, monkeypatch, capsys):
    out = tmp_path / "speed"
    args = ["--out", str(out), "--epochs", "1", "--train-clips", "32", "--test-clips", "32", "--frames", "4"]
    _run("train_convlstm_speed.py", args, monkeypatch)
    assert "ConvLSTM speed MAE" in capsys.readouterr().out and (out / "model.keras").exists()


def test_temporal_controls(monkeypatch, capsys):
    args = ["--model", "small_3d_cnn_regular", "--epochs", "1", "--train-clips", "32", "--test-clips", "32",
            "--frames", "4"]
    _run("temporal_controls.py", args, monkeypatch)
    printed = capsys.readouterr().out
    for control in ("shuffled", "reversed", "static_middle", "half_rate", "mean_frame"):
        assert f"  {control} " in printed
    assert "trained on shuffled clips, scored on shuffled test clips" in printed and "McNemar" in printed


@pytest.mark.large
def test_compare_error_grids(tmp_path, monkeypatch, capsys):
    args = ["--out", str(tmp_path), "--epochs", "1", "--train-clips", "32", "--test-clips", "32", "--frames", "4"]
    _run("compare_error_grids.py", args, monkeypatch)
    assert (tmp_path / "relative_conv3d_vs_conv2d.png").exists() and "overall" in capsys.readouterr().out


def test_save_and_reload(tmp_path, monkeypatch, capsys):
    _run("save_and_reload.py", ["--path", str(tmp_path / "m.keras"), "--frames", "4"], monkeypatch)
    printed = capsys.readouterr().out
    assert printed.count("largest output difference 0.0e+00") == 2 and "rebuilt with from_preset" in printed


@pytest.mark.large
def test_stdcf_experiments(tmp_path, monkeypatch, capsys):
    args = ["--out", str(tmp_path), "--epochs", "1", "--train-clips", "32", "--test-clips", "16", "--itsl-iterations", "1"]
    _run("stdcf_experiments.py", args, monkeypatch)
    results = json.loads((tmp_path / "results.json").read_text())
    assert set(results) == {"reconstruction", "tempo", "spatial", "itsl"}
    assert set(results["spatial"]) == {"train_half_size_test_half_size", "test_full_size_dilation_1",
                                       "test_full_size_dilation_2"}
    assert set(results["reconstruction"]) == {"stdcf", "rank1", "regular"}
    assert set(results["itsl"]) == {"regular", "rank1", "stdcf"}  # the paper's three ITSL rows
    assert set(results["itsl"]["regular"]["stage_accuracies"]) == {"1t", "1s"}  # scored after every stage
    assert (tmp_path / "itsl_stages.png").stat().st_size > 5000
    itsl = results["itsl"]["stdcf"]
    # Measured peaks of a training step: ITSL's larger stage (half the
    # pixels of a full clip) needs at most 0.7 of the full step. Measured
    # 0.27 (43.5 of 161.1 MiB, resident memory) and 0.56 (46.1 of 82.5 MiB,
    # oneDNN's allocator); a stage that stopped downsampling would be 1.
    assert 1 < itsl["itsl_step_mb"] < 0.7 * itsl["full_step_mb"]
    assert itsl["itsl_stage_t_step_mb"] <= itsl["itsl_stage_s_step_mb"] * 1.2


def test_tr_mnist_ablation(tmp_path, monkeypatch, capsys):
    _run("tr_mnist_ablation.py", ["--out", str(tmp_path), "--train-clips", "16", "--test-clips", "16", "--only", "0",
                                  "--base-seeds", "0"], monkeypatch)
    results = json.loads((tmp_path / "results.json").read_text())
    (base,) = results.values()
    assert len(base) == 1  # the first setting runs once per base seed
    assert all(0 < run[conv]["psnr_db"] < 100 for run in base for conv in ("stdcf", "rank1", "rank1_atoms"))
    # The paper's count: rank-1 over atoms has (M + N) C^2 coefficients, STDCF M N C^2.
    assert base[0]["rank1_atoms"]["parameters"] < base[0]["stdcf"]["parameters"]
    table = (tmp_path / "results.md").read_text()
    assert table.count("\n| ") == 1 and "| as in stdcf_experiments (M=6, N=2) |" in table


def test_explain_gradcam(tmp_path, monkeypatch, capsys):
    _run("explain_gradcam.py", ["--out", str(tmp_path), "--epochs", "1", "--train-clips", "32", "--clips", "2"],
         monkeypatch)
    printed = capsys.readouterr().out
    assert printed.count("Grad-CAM at") == 3 and "on visible frames" in printed
    assert (tmp_path / "res2_1.png").exists() and (tmp_path / "clip_0.gif").read_bytes()[:6] == b"GIF89a"


@pytest.mark.large
def test_lipreading_recipe_on_clips_in_a_numpy_file(tmp_path, monkeypatch, capsys):
    rng = np.random.default_rng(0)
    clips = rng.uniform(size=(20, 6, 16, 16, 1)).astype("float32")
    np.savez(tmp_path / "clips.npz", clips=clips, labels=np.arange(20) % 3)
    args = ["--clips-npz", str(tmp_path / "clips.npz"), "--out", str(tmp_path / "run"), "--epochs", "1",
            "--reverse-epochs", "1", "--window", "4", "--batch-size", "8"]
    _run("lipreading_recipe.py", args, monkeypatch)
    printed = capsys.readouterr().out
    assert "16 training and 4 test clips of 6 frames of 16x16; 3 classes" in printed
    assert "crops 12-16 resized to 12" in printed and "held-out accuracy with 3 crops x flip" in printed
    both = keras.saving.load_model(tmp_path / "run" / "bidirectional.keras", safe_mode=True)
    assert both.output.shape == (None, None, 3)  # per-frame outputs, any number of frames


def test_lipreading_recipe_with_truncated_backpropagation(tmp_path, monkeypatch, capsys):
    rng = np.random.default_rng(0)
    clips = rng.uniform(size=(10, 6, 16, 16, 1)).astype("float32")
    np.savez(tmp_path / "clips.npz", clips=clips, labels=np.arange(10) % 3)
    args = ["--clips-npz", str(tmp_path / "clips.npz"), "--out", str(tmp_path / "run"), "--epochs", "1",
            "--reverse-epochs", "1", "--window", "5", "--batch-size", "8", "--chunk-length", "2"]
    import stkeras.training

    calls = []
    original = stkeras.training.tbptt_fit

    def recording(model, dataset, **kwargs):
        calls.append((model.name, kwargs["chunk_length"]))
        return original(model, dataset, **kwargs)

    monkeypatch.setattr(stkeras.training, "tbptt_fit", recording)
    _run("lipreading_recipe.py", args, monkeypatch)
    assert calls == [("forward", 2), ("forward_backward", 2)]  # the reverse copy's inner network
    assert "held-out accuracy with 3 crops x flip" in capsys.readouterr().out
