"""`results.md`: the paper's Table 5 beside a run's numbers, its ranking, and the learning curve."""

from stkeras.experiments import synthetic_data
from stkeras.experiments.report import format_results


def _results(task, scores, metric):
    settings = synthetic_data(recipe="blink24_20k").record()["settings"]
    models = {
        name: {metric: score, "parameters": 1000, "macs_per_clip": 2e6, "training_seconds": 1.0,
               "history": [{"epoch": 0.0, "clips_seen": 2048, f"val_{metric}": score}]}
        for name, score in scores.items()
    }
    return {"task": task, "recipe": "blink24_20k", "settings": settings, "baseline": {metric: 0.5, "predictor": "mean"},
            "models": models, "relative": {}, "data": {"kind": "quadrant_blink", "task": task, "segments": None}}


def test_speed_report_sets_table_5_and_its_ranking_beside_the_run():
    report = format_results(_results("speed", {"conv2d": 0.30, "conv3d": 0.40, "ts_conv3d": 0.2, "convlstm": 0.25},
                                     "mae"))
    assert "| convlstm | 0.250 | 0.50x | 0.129 | 1,000 | 437,000 |" in report  # MAE 0.25 against the baseline's 0.5
    assert "| ts_conv3d | 0.200 | 0.40x | - |" in report  # the paper trained TS-Conv3D at the XL size only
    assert "- paper (Table 5): convlstm 0.129 < conv2d 0.166 < conv3d 0.187" in report
    assert "- this run: convlstm 0.250 < conv2d 0.300 < conv3d 0.400" in report
    assert "the paper's best (convlstm) is also the best of this run." in report
    assert "| conv2d | 0.300 |" in report.split("## Learning curve")[1]


def test_a_different_winner_is_reported():
    report = format_results(_results("speed", {"conv2d": 0.1, "conv3d": 0.4, "convlstm": 0.25}, "mae"))
    assert "- this run: conv2d 0.100 < convlstm 0.250 < conv3d 0.400" in report
    assert "the paper's best (convlstm) is not the best of this run." in report


def test_ties_in_the_paper_count_as_best():
    report = format_results(_results("digit", {"conv2d": 0.5, "conv3d": 0.6, "convlstm": 0.7}, "accuracy"))
    assert "- paper (Table 5): conv2d 0.979 > conv3d 0.979 > convlstm 0.972" in report
    assert "the paper's best (conv2d and conv3d) is not the best of this run." in report


def test_seed_runs_report_mean_and_spread_and_whether_the_lead_holds():
    from stkeras.experiments.seeds import summarize_seeds
    from stkeras.experiments.seeds import welch_test

    results = _results("speed", {"conv2d": 0.0, "convlstm": 0.0}, "mae")
    per_seed = {"conv2d": [0.30, 0.31, 0.29], "convlstm": [0.20, 0.21, 0.19]}
    for name, scores in per_seed.items():
        runs = [{"seed": s, "mae": v, "training_seconds": 1.0, "history": [{"clips_seen": 2048, "val_mae": v}]}
                for s, v in enumerate(scores)]
        results["models"][name].update(summarize_seeds(runs, ["mae"]))
    results["seeds"] = [0, 1, 2]
    results["differences"] = {"conv2d_vs_convlstm": welch_test(per_seed["conv2d"], per_seed["convlstm"], "lower")}
    report = format_results(results)
    assert "| conv2d | 0.300 ± 0.010 |" in report and "| convlstm | 0.200 | 0.210 | 0.190 | 0.200 ± 0.010 |" in report
    assert "| conv2d vs convlstm | +0.100 |" in report and "convlstm better |" in report
    assert "convlstm's lead over conv2d is beyond the seed-to-seed spread" in report


def test_the_grids_per_s_row_is_a_table_of_the_report():
    results = _results("speed", {"conv2d": 0.30, "conv3d": 0.40}, "mae")
    results["models"]["conv2d"]["per_speed"] = {"1": 0.1, "2": 0.25, "10": None}
    results["models"]["conv3d"]["per_speed"] = {"1": 0.2, "2": 0.5, "10": 0.7}
    results["relative"] = {"conv2d_vs_conv3d": {"overall": 0.25, "plot": "relative_conv2d_vs_conv3d.png",
                                                "per_speed": {"1": 0.5, "2": 0.5, "10": None}}}
    report = format_results(results)
    section = report.split("## MAE per speed S over all V (the grids' bottom row)")[1].split("##")[0]
    assert "| model | S=1 | S=2 | S=10 | all |" in section  # speeds in numeric order
    assert "| conv2d | 0.100 | 0.250 | - | 0.300 |" in section
    assert "| conv2d vs conv3d (relative) | +50.0% | +50.0% | - | +25.0% |" in section


def test_runs_recorded_without_the_per_s_row_report_as_before():
    report = format_results(_results("speed", {"conv2d": 0.30, "conv3d": 0.40}, "mae"))
    assert "per speed S" not in report


def test_a_run_on_videos_reports_its_videos_and_no_paper_columns():
    results = _results("classes", {"conv2d": 0.6, "conv3d": 0.7}, "accuracy")
    results["data"] = {"kind": "videos", "path": "videos", "layout": None}
    results["class_names"] = ["a", "b"]
    results["settings"].update(frame_step=2, train_clips=6, test_clips=4)
    report = format_results(results)
    assert "- videos: 2 classes, 6 training and 4 held-out videos" in report
    assert "paper" not in report and "| conv3d | 0.700 | 1.40x | 1,000 |" in report
