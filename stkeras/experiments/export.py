"""`stkeras export`: a trained model as a SavedModel, ONNX, LiteRT or OpenVINO artifact that takes uint8 frames.

The model is a preset folder (or a preset name): its preprocessing goes
inside the artifact, its classes and task into a JSON file beside it
(`<artifact>.json`: the inputs, outputs, classes, task and preprocessing an
application needs). With `--stream` the artifact is the causal model's step
model: one frame and the states in, that frame's outputs and the new states
out.

Example:
>>> run_export(plan_export(model="runs/convlstm", format="litert", out="convlstm.tflite"))  # doctest: +SKIP
"""

import dataclasses
import json
import os

from stkeras.training.atomic_files import write_text_atomically
from stkeras.experiments.deployed_models import load_deployed_model
from stkeras.experiments.report import log


@dataclasses.dataclass
class ExportPlan:
    """What `run_export` writes: the model (or its step model) as an artifact of a format."""

    deployed: object
    model: object
    format: object
    out: str
    frame_size: tuple
    check: bool


def sidecar_path(out):
    """The JSON file beside an artifact: `model.onnx` -> `model.json`, a SavedModel folder `m` -> `m.json`."""
    out = os.path.normpath(os.fspath(out))
    root, extension = os.path.splitext(out)
    return (root if extension in (".onnx", ".tflite", ".xml") else out) + ".json"


def plan_export(*, model, format, out, weights=None, stream=False, frame_size=None, check=False, verbose=False):
    """Loads the model, checks the format's tools, the path and (with `stream`) that the model is causal.

    Args:
        model: a preset folder (a run folder) or a preset name.
        format: `saved_model`, `onnx`, `litert` or `openvino`.
        out: the artifact's path (a folder for a SavedModel).
        weights: with a preset name, a checkpoint to load.
        stream: export the step model (`stkeras.deploy.to_streaming`).
        frame_size: `(height, width)` of the frames the artifact takes
            (default: the model's); other sizes are resized inside.
        check: run the artifact in its runtime against Keras.
        verbose: unused (the command line's).
    """
    from stkeras.deploy import get_format
    from stkeras.deploy import to_streaming

    spec = get_format(format)
    out = spec.check_path(os.fspath(out))
    try:
        spec.check_tools("export")
        if check:
            spec.check_tools("run")
    except ImportError as error:
        raise ValueError(str(error)) from None
    deployed = load_deployed_model(model, weights)
    exported = to_streaming(deployed.model) if stream else deployed.model
    return ExportPlan(deployed, exported, spec, out, tuple(frame_size) if frame_size else None, check)


def run_export(plan):
    """Writes the artifact and its JSON file; returns the `ExportedModel`."""
    from stkeras.deploy import StreamingModel
    from stkeras.deploy import export

    deployed = plan.deployed
    what = "step model" if isinstance(plan.model, StreamingModel) else "model"
    log(f"stkeras export: {deployed.name} ({what}) to {plan.format.name} at {plan.out}"
        + ("" if deployed.trained else " (a preset name without --weights: random weights)"))
    result = export(plan.model, plan.out, format=plan.format.name, preprocessing=deployed.preprocessing,
                    frame_size=plan.frame_size, check=plan.check)
    task = getattr(deployed.model, "task", None)
    record = {
        "format": result.format, "artifact": os.path.abspath(result.path), "model": deployed.name,
        "stream": isinstance(plan.model, StreamingModel),
        "inputs": [{"name": n, "shape": list(s), "dtype": d} for n, s, d in result.inputs],
        "outputs": [{"name": n, "shape": list(s)} for n, s in result.outputs],
        "class_names": deployed.class_names, "task": None if task is None else task.to_config(),
        "preprocessing": deployed.preprocessing.to_config(), "max_error": result.max_error,
    }
    if isinstance(plan.model, StreamingModel):
        record["states"] = [{"name": name, "shape": list(shape), "dtype": dtype}
                            for name, shape, dtype in plan.model.state_specs]
    write_text_atomically(sidecar_path(plan.out), json.dumps(record, indent=1) + "\n")
    checked = "" if result.max_error is None else f"; largest difference from Keras in {plan.format.runtime}: " \
                                                  f"{result.max_error:.2g}"
    log(f"wrote {result.path} and {sidecar_path(plan.out)}: input {result.inputs[0][1]} uint8{checked}")
    return result
