"""Running an exported artifact in its own runtime: TensorFlow, ONNX Runtime, the LiteRT interpreter, OpenVINO Runtime."""

import os

import numpy as np

from stkeras.deploy.formats import get_format


def _saved_model(path):
    import tensorflow as tf

    loaded = tf.saved_model.load(path)

    def run(*inputs):
        tensors = [tf.convert_to_tensor(x) for x in inputs]
        # A model of several inputs is served with their list.
        outputs = loaded.serve(tensors if len(tensors) > 1 else tensors[0])
        return [np.asarray(o) for o in (outputs if isinstance(outputs, (list, tuple)) else [outputs])]

    run.artifact = loaded  # kept alive with the function
    return run


def _onnx(path):
    import onnxruntime

    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]

    def run(*inputs):
        return [np.asarray(o) for o in session.run(None, dict(zip(names, inputs)))]

    return run


def _litert(path):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=path)
    runner = interpreter.get_signature_runner()
    signature = next(iter(interpreter.get_signature_list().values()))
    # The signature's names are the model's input names ("frames", or "frame", "state_0", ...) and
    # "output_0", "output_1", ... in the model's output order.
    inputs = sorted(signature["inputs"], key=_input_order)
    outputs = sorted(signature["outputs"], key=lambda name: int(name.rsplit("_", 1)[-1]))

    def run(*arrays):
        results = runner(**dict(zip(inputs, arrays)))
        return [np.asarray(results[name]) for name in outputs]

    run.interpreter = interpreter
    return run


def _input_order(name):
    """Inputs in the model's order: the frames first, then `state_0`, `state_1`, ..."""
    return (0, 0) if not name.startswith("state_") else (1, int(name.rsplit("_", 1)[-1]))


def _openvino(path):
    import openvino

    # float32 inference: on CPUs with bf16 units OpenVINO would otherwise compute in bf16.
    compiled = openvino.Core().compile_model(path, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})

    def run(*inputs):
        results = compiled(list(inputs))
        return [np.asarray(results[output]) for output in compiled.outputs]

    return run


RUNNERS = {"saved_model": _saved_model, "onnx": _onnx, "litert": _litert, "openvino": _openvino}


def load_exported(path, format=None):
    """An exported artifact as a function of NumPy inputs returning the list of its outputs, run by its own runtime.

    Args:
        path: the artifact (a SavedModel folder, `.onnx`, `.tflite` or `.xml` file).
        format: its format; default: from the path.

    Example:
    >>> run = load_exported("model.onnx")  # doctest: +SKIP
    >>> scores, = run(frames)  # doctest: +SKIP
    """
    path = os.fspath(path)
    if format is None:
        format = format_of(path)
    spec = get_format(format)
    if not os.path.exists(path):
        raise ValueError(f"No {spec.name} artifact at {path!r}.")
    spec.check_tools("run")
    return RUNNERS[spec.name](path)


def format_of(path):
    """The format of an artifact, from its path: a folder is a SavedModel, else the file's suffix."""
    path = os.fspath(path)
    if os.path.isdir(path):
        return "saved_model"
    for suffix, name in ((".onnx", "onnx"), (".tflite", "litert"), (".xml", "openvino")):
        if path.lower().endswith(suffix):
            return name
    raise ValueError(f"{path!r} is no exported artifact: a SavedModel folder, or a .onnx, .tflite or .xml file.")
