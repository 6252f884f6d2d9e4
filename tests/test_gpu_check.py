"""The GPU check script runs every measurement at tiny sizes on a CPU and prints well-formed JSON lines."""

import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
KEYS = {"measure", "device", "sizes", "value", "unit", "goal", "goal_met", "tiny"}


def test_the_gpu_check_prints_one_json_line_per_measurement_at_tiny_sizes():
    env = {**os.environ, "PYTHON": sys.executable,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu_check.sh"), "--tiny"], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert all(KEYS <= set(line) for line in lines), lines
    assert all(line["tiny"] is True for line in lines)
    by_measure = {}
    for line in lines:
        by_measure.setdefault(line["measure"], []).append(line)
    assert set(by_measure) == {"synthesis_clips_per_second", "conv_lstm_speedup", "paper_model_clips_per_second",
                               "compare_end_to_end"}

    synthesis = by_measure["synthesis_clips_per_second"]
    assert {line["generator"] for line in synthesis} == {"tf.function on the device", "tf.data stream"}
    assert any(line["device"].startswith("CPU") for line in synthesis)
    assert all(line["value"] > 0 for line in synthesis)

    (conv_lstm,) = by_measure["conv_lstm_speedup"]
    assert conv_lstm["value"] > 0 and conv_lstm["goal"] == ">= 1.6x on a GPU"
    assert set(conv_lstm["seconds"]) == {"stkeras", "keras"}

    papers = by_measure["paper_model_clips_per_second"]
    assert [line["sizes"]["model"] for line in papers] == ["conv2d", "conv3d", "ts_conv3d", "convlstm"]
    assert all(line["value"] > 0 and line["no_xla"] > 0 for line in papers)

    (compare,) = by_measure["compare_end_to_end"]
    assert compare["goal_met"] is True and compare["exit_status"] == 0
    assert compare["models"] == ["conv2d"]
    # Tiny sizes are not the goals' sizes: no goal is judged met or missed.
    assert all(line["goal_met"] is None for line in lines if line["measure"] != "compare_end_to_end")
