"""The export formats: their files, the tools that write and run them, and the layers they cannot hold.

Each format is registered once (`FORMATS`) with what it needs. What a
format cannot hold is said by the layers themselves
(`stkeras.layers.export_limits`); `unsupported_layers` asks every layer of a
model, and its sub-layers, before anything is converted.

Example:
>>> get_format("tflite").name, get_format("onnx").suffix
('litert', '.onnx')
"""

import dataclasses
import importlib.util

import keras

from stkeras.layers.export_limits import export_limits
from stkeras.registry import Registry

INSTALL_HINT = 'pip install "stkeras[export]"'


@dataclasses.dataclass(frozen=True)
class ExportFormat:
    """One export format.

    Attributes:
        name: stkeras' name (`"saved_model"`, `"onnx"`, `"litert"`, `"openvino"`).
        keras_format: the name `keras.Model.export` takes.
        suffix: the file name's ending (`None`: a folder).
        export_modules: Python modules the export needs (installed by the
            `export` extra).
        runtime_module: the module that runs an artifact.
        runtime: the runtime, in words.
        description: one line.
    """

    name: str
    keras_format: str
    suffix: str
    export_modules: tuple
    runtime_module: str
    runtime: str
    description: str

    def check_path(self, path):
        """`path` as a string, after checking it ends as the format's files do."""
        path = str(path)
        if self.suffix is not None and not path.lower().endswith(self.suffix):
            raise ValueError(f"A {self.name} artifact is a {self.suffix} file. Received: path={path!r}")
        if self.suffix is None and "." in path.rsplit("/", 1)[-1] and path.lower().endswith(
                tuple(f.suffix for _, f in FORMATS.items() if f.suffix)):
            raise ValueError(f"A {self.name} artifact is a folder. Received: path={path!r}")
        return path

    def check_tools(self, purpose="export"):
        """Raises `ImportError` naming the modules missing to `"export"` or `"run"` an artifact, and the install."""
        modules = self.export_modules if purpose == "export" else (self.runtime_module,)
        missing = [m for m in modules if importlib.util.find_spec(m) is None]
        if missing:
            action = f"Exporting to {self.name}" if purpose == "export" else f"Running a {self.name} artifact"
            raise ImportError(f"{action} needs {', '.join(missing)}: {INSTALL_HINT}")


FORMATS = Registry("export format")
ALIASES = {"tf_saved_model": "saved_model", "tflite": "litert"}

for _format in (
    ExportFormat("saved_model", "tf_saved_model", None, (), "tensorflow", "TensorFlow",
                 "a TensorFlow SavedModel folder (TF Serving, tf.saved_model.load)"),
    ExportFormat("onnx", "onnx", ".onnx", ("tf2onnx", "onnx"), "onnxruntime", "ONNX Runtime",
                 "an ONNX file (converted by tf2onnx)"),
    ExportFormat("litert", "litert", ".tflite", (), "ai_edge_litert", "the LiteRT interpreter",
                 "a LiteRT (TensorFlow Lite) flat buffer of built-in ops only"),
    ExportFormat("openvino", "openvino", ".xml", ("openvino",), "openvino", "OpenVINO Runtime",
                 "an OpenVINO IR (.xml and .bin)"),
):
    FORMATS.register(_format.name, _format)


def get_format(name, argument="format"):
    """The `ExportFormat` called `name` (or an alias: `tf_saved_model`, `tflite`)."""
    if isinstance(name, ExportFormat):
        return name
    return FORMATS.get(ALIASES.get(name, name), argument)


def available_formats():
    """Names of the export formats."""
    return FORMATS.names()


def _sublayers(layer):
    """The layers inside `layer` that an export converts: a model's, a wrapper's, a composite's."""
    from stkeras.layers.streaming import streaming_rule

    if isinstance(layer, keras.Model):
        return [sub for sub in layer.layers if not isinstance(sub, keras.layers.InputLayer)]
    inner = [getattr(layer, name, None) for name in ("layer", "forward_layer", "backward_layer")]
    inner = [sub for sub in inner if isinstance(sub, keras.layers.Layer)]
    return inner + list(streaming_rule(layer).sublayers if hasattr(layer, "streaming_rule") else ())


def unsupported_layers(model, format):
    """`[(layer path, reason)]` of the layers of `model` (and their sub-layers) that `format` cannot hold.

    Example:
    >>> import keras
    >>> inputs = keras.Input((4, 8, 8, 1))
    >>> wide = keras.layers.Conv3D(2, 3, padding="same", dilation_rate=(2, 1, 1), name="wide")
    >>> model = keras.Model(inputs, wide(inputs))
    >>> [path for path, _ in unsupported_layers(model, "litert")]
    ['wide']
    """
    name = get_format(format).name
    found = []

    def visit(layer, path):
        reason = export_limits(layer).get(name)
        if reason is not None:
            found.append((path, reason))
            return
        for sub in _sublayers(layer):
            visit(sub, f"{path}/{sub.name}")

    for layer in _sublayers(model):
        visit(layer, layer.name)
    return found
