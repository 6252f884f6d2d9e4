"""`export`: a model to a SavedModel, ONNX, LiteRT or OpenVINO artifact through Keras' `model.export`, the preprocessing inside."""

import dataclasses
import os

import numpy as np

from stkeras.deploy.deployable import deployable_model
from stkeras.deploy.formats import get_format
from stkeras.deploy.formats import unsupported_layers
from stkeras.deploy.runtimes import load_exported
from stkeras.deploy.streaming import StreamingModel


@dataclasses.dataclass(frozen=True)
class ExportedModel:
    """What `export` wrote.

    Attributes:
        path: the artifact.
        format: its format's name.
        inputs: `[(name, shape, dtype)]` the artifact takes (`None`: the batch).
        outputs: `[(name, shape)]` it gives: the model's outputs, then (a
            streaming model) the new states.
        max_error: with `check=True`, the largest absolute difference between
            the artifact run in its runtime and the Keras model on the same
            frames; else `None`.
    """

    path: str
    format: str
    inputs: list
    outputs: list
    max_error: float = None


class ExportError(ValueError):
    """A model that a format cannot hold: the message names the layers and why."""


def export(model, path, *, format="saved_model", preprocessing=None, frame_size=None, frames=None, check=False,
           verbose=False):
    """Writes `model` as an artifact of `format` that takes uint8 RGB frames and gives the task's outputs.

    The artifact holds the model behind its preprocessing
    (`FramePreprocessing`: value range, resize and centre crop to the
    model's frames, luma for one-channel models, mean/std) and Keras'
    recurrent layers unrolled over the clip's frames, so that it holds no
    loop. It is written by `keras.Model.export`. Before anything is
    converted, every layer is asked whether the format can hold it
    (`stkeras.layers.export_limits`); a model that cannot go is refused with
    the layers and the reasons.

    A clip model's artifact takes clips `(batch, frames, height, width, 3)`;
    a `StreamingModel`'s (`to_streaming`) takes one frame `(batch, height,
    width, 3)` and the states (`state_0`, ... zeros at the start), and gives
    the outputs at that frame and the new states.

    Args:
        model: a clip model or a `StreamingModel`.
        path: the artifact: a folder (`"saved_model"`), a `.onnx`,
            `.tflite` (`"litert"`) or `.xml` (`"openvino"`, with its `.bin`).
        format: `"saved_model"` (`"tf_saved_model"`), `"onnx"`, `"litert"`
            (`"tflite"`) or `"openvino"`. ONNX and OpenVINO need the
            `export` extra: `pip install "stkeras[export]"`.
        preprocessing: the model's preprocessing: a dict (or record with
            `to_config()`, as a preset folder's) with `value_range`, `mean`,
            `std`, `resize`, `frames`; default: the model's own
            (`model.preprocessing`, a preset folder's), else values in 0..1.
        frame_size: `(height, width)` of the frames the artifact takes
            (default: the model's); other sizes are resized inside.
        frames: frames per clip for a model that takes any number.
        check: run the artifact in its own runtime on random frames and
            report the largest difference from Keras (`max_error`).
        verbose: Keras' export messages.

    Returns:
        an `ExportedModel`.

    Raises:
        ExportError: (a `ValueError`) naming each layer the format cannot
            hold and why.
        ImportError: the format's tools are missing (with the install command).

    Example:
    >>> from stkeras.models import build_convlstm_resnet
    >>> model = build_convlstm_resnet(input_shape=(4, 16, 16, 1), num_classes=3, width_multiplier=0.25)
    >>> export(model, "convlstm.tflite", format="litert", check=True).max_error < 1e-4  # doctest: +SKIP
    True
    """
    spec = get_format(format)
    path = spec.check_path(os.fspath(path))
    spec.check_tools("export")
    clip_model = model.clip_model if isinstance(model, StreamingModel) else model
    problems = unsupported_layers(clip_model, spec.name)
    if problems:
        lines = "\n".join(f"- layer {path!r}: {reason}" for path, reason in problems)
        raise ExportError(f"Model {clip_model.name!r} cannot be exported to {spec.name}:\n{lines}")
    deployed = deployable_model(model, preprocessing=preprocessing, frame_size=frame_size, frames=frames)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    options = {}
    if spec.name == "litert":
        import tensorflow as tf

        # Built-in ops only: the artifact runs on LiteRT's plain interpreter (no TensorFlow kernels).
        options["target_spec"] = {"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS]}
    deployed(random_inputs(deployed, batch_size=1))  # Keras' ONNX export takes only a model that has run
    deployed.export(path, format=spec.keras_format, verbose=verbose, **options)
    if spec.name == "openvino":
        _keep_model_outputs(path, len(deployed.outputs))
    inputs = [(i.name, tuple(i.shape), str(i.dtype)) for i in deployed.inputs]
    outputs = [(name, tuple(o.shape)) for name, o in zip(deployed.output_names, deployed.outputs)]
    error = None
    if check:
        error = parity_error(deployed, path, spec.name)
    return ExportedModel(path, spec.name, inputs, outputs, error)


def _keep_model_outputs(path, count):
    """Rewrites an OpenVINO IR with only the model's outputs.

    OpenVINO's TensorFlow front end also makes an output of every op whose
    result nothing reads (shape arithmetic Keras leaves in the graph); the
    function's own outputs are the ones TensorFlow names `Identity:0`,
    `Identity_1:0`, ... in order.
    """
    import re

    import openvino

    model = openvino.Core().read_model(path)
    named = {}
    for result in model.get_results():
        for name in result.output(0).get_names() | result.input_value(0).get_names():
            match = re.fullmatch(r"Identity(?:_(\d+))?:0", name)
            if match:
                named[int(match.group(1) or 0)] = result
    if sorted(named) != list(range(count)):
        raise ValueError(f"The OpenVINO IR {path!r} does not name the model's {count} outputs as TensorFlow does: "
                         f"found {sorted(named)}.")
    if len(model.get_results()) == count:
        return
    kept = openvino.Model([named[i] for i in range(count)], model.get_parameters(), model.get_friendly_name())
    weights = path[:-len(".xml")] + ".bin"
    os.remove(path)
    os.remove(weights)
    openvino.save_model(kept, path, compress_to_fp16=False)


def random_inputs(deployed, batch_size=2, seed=0):
    """NumPy inputs for a deployable model: random uint8 frames, and for a step model states from a few frames."""
    rng = np.random.default_rng(seed)
    arrays = []
    for tensor in deployed.inputs:
        shape = (batch_size, *tensor.shape[1:])
        if str(tensor.dtype) == "uint8":
            arrays.append(rng.integers(0, 256, shape, dtype=np.uint8))
        else:
            arrays.append(rng.standard_normal(shape).astype(str(tensor.dtype)) * 0.5)
    return arrays


def parity_error(deployed, path, format, inputs=None):
    """The largest absolute difference between the artifact at `path` run by its runtime and `deployed` in Keras."""
    inputs = random_inputs(deployed) if inputs is None else inputs
    expected = deployed.predict_on_batch(inputs)
    expected = expected if isinstance(expected, (list, tuple)) else [expected]
    actual = load_exported(path, format)(*inputs)
    if len(actual) != len(expected):
        raise ValueError(f"The {format} artifact gives {len(actual)} outputs; the model {len(expected)}.")
    return max(float(np.max(np.abs(np.asarray(a, "float64") - np.asarray(e, "float64"))))
               for a, e in zip(actual, expected))
