"""The largest difference between each exported artifact, run in its own runtime, and Keras: one model per family.

For every family (the small models the tests export) and every format, the
model is exported with `stkeras.deploy.export` (uint8 RGB frames in, the
preprocessing inside) and run on the same random frames in TensorFlow
(SavedModel), ONNX Runtime, the LiteRT interpreter and OpenVINO Runtime;
the step models of two causal networks too, frame by frame. Prints one JSON
line per artifact and a markdown table of the largest absolute differences
(`tests/deploy/test_export.py` asserts each is below 1e-4). Needs the export
extra: `pip install "stkeras[export]"`.

    python benchmarks/export_parity.py [--formats saved_model,onnx,litert,openvino]
"""

import argparse
import json
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import stkeras  # noqa: E402
from stkeras.deploy import available_formats  # noqa: E402
from stkeras.deploy import export  # noqa: E402
from stkeras.deploy import load_exported  # noqa: E402
from stkeras.deploy import to_streaming  # noqa: E402
from stkeras.deploy.deployable import deployable_model  # noqa: E402

CLIP = (4, 16, 16, 1)
SUFFIX = {"saved_model": "", "onnx": ".onnx", "litert": ".tflite", "openvino": ".xml"}
FAMILIES = {
    "Courtney & Sreenivas 2022 (Conv2D + LSTM)": lambda: stkeras.build_courtney_resnet(
        op="conv2d", lstm_layers=1, input_shape=CLIP, num_classes=3, width_multiplier=0.25),
    "Courtney & Sreenivas 2019, ResNet ConvLSTM": lambda: stkeras.build_res_convlstm(
        stages=((1, 1, 4, 8), (1, 8, 8, 8, "conv2d")), input_shape=CLIP, num_classes=3, lstm_units=4, dropout=0.0),
    "Courtney & Sreenivas 2019, VGG-M ConvLSTM": lambda: stkeras.build_vggm_convlstm(
        input_shape=(3, 16, 16, 1), num_classes=3, filters=(4, 4, 8, 8, 8), lstm_units=4, dropout=0.0),
    "Tran et al. 2018 (R(2+1)D-10)": lambda: stkeras.build_video_resnet(
        kind="r2plus1d", depth=10, input_shape=(8, 32, 32, 1), num_classes=3, width_multiplier=0.25),
    "Miao et al. 2021, STDCF ResNet (atoms)": lambda: stkeras.build_stdcf_resnet(
        depth=10, input_shape=(4, 32, 32, 1), num_classes=3, implementation="atoms"),
    "Miao et al. 2021, small 3D CNN (rank-1)": lambda: stkeras.build_small_3d_cnn(
        conv="rank1", input_shape=CLIP, num_classes=3, filters=(4, 4, 8)),
    "Köpüklü et al. (GRU head)": lambda: stkeras.build_frame_model(
        head="gru", input_shape=CLIP, num_classes=3, dropout=0.0, feature_dim=8, backbone_options={"widths": (4, 8)}),
}
STEP_MODELS = {
    "step model: Courtney & Sreenivas 2022 ConvLSTM": lambda: stkeras.build_convlstm_resnet(
        input_shape=CLIP, num_classes=3, width_multiplier=0.25),
    "step model: Conv3D + LSTM, causal": lambda: stkeras.build_courtney_resnet(
        op="conv3d", lstm_layers=1, input_shape=CLIP, num_classes=3, width_multiplier=0.25,
        op_options={"temporal_padding": "causal"}),
}
PREPROCESSING = {"value_range": [0.0, 1.0], "mean": [0.45], "std": [0.225]}


def clip_error(model, format, folder):
    path = os.path.join(folder, f"m{SUFFIX[format] or '_saved_model'}")
    export(model, path, format=format, preprocessing=PREPROCESSING)
    frames = np.random.default_rng(0).integers(0, 256, (2, *model.inputs[0].shape[1:4], 3), dtype=np.uint8)
    expected = deployable_model(model, preprocessing=PREPROCESSING).predict_on_batch(frames)
    return float(np.abs(load_exported(path)(frames)[0] - expected).max())


def step_error(model, format, folder):
    """The step artifact run frame by frame against the Keras clip model's output on the whole clip."""
    step = to_streaming(model)
    path = os.path.join(folder, f"s{SUFFIX[format] or '_saved_model'}")
    export(step, path, format=format, preprocessing=PREPROCESSING)
    frames = np.random.default_rng(0).integers(0, 256, (2, *model.inputs[0].shape[1:4], 3), dtype=np.uint8)
    expected = deployable_model(model, preprocessing=PREPROCESSING).predict_on_batch(frames)
    run, states = load_exported(path), step.initial_state(2)
    for t in range(frames.shape[1]):
        results = run(frames[:, t], *states)
        states = results[1:]
    return float(np.abs(results[0] - expected).max())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--formats", default=",".join(available_formats()))
    args = parser.parse_args()
    formats = args.formats.split(",")
    rows = {}
    for name, build in {**FAMILIES, **STEP_MODELS}.items():
        for format in formats:
            keras.utils.clear_session()
            keras.utils.set_random_seed(0)
            model = build()
            start = time.perf_counter()
            with tempfile.TemporaryDirectory() as folder:
                error = (step_error if name in STEP_MODELS else clip_error)(model, format, folder)
            rows.setdefault(name, {})[format] = error
            print(json.dumps({"family": name, "format": format, "max_abs_error": error,
                              "seconds": round(time.perf_counter() - start, 1)}), flush=True)
    print("\n| family | " + " | ".join(formats) + " |")
    print("|---|" + "---|" * len(formats))
    for name, errors in rows.items():
        print(f"| {name} | " + " | ".join(f"{errors[f]:.1e}" for f in formats) + " |")


if __name__ == "__main__":
    main()
