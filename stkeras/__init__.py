"""stkeras: Keras 3 layers, model builders and tools for spatiotemporal networks.

Example:
>>> from stkeras import build_convlstm_resnet
>>> model = build_convlstm_resnet(width="base", task="speed")
>>> model = from_preset("r2plus1d_18", num_classes=101)
"""

import importlib

from stkeras.quiet import started_from_command_line

__version__ = "0.1.0"

# Public name -> the module that defines it (`None`: the name is a subpackage).
_EXPORTS = {
    "blocks": None,
    "heads": None,
    "layers": None,
    "models": None,
    "tasks": None,
    "ResidualBasic": "stkeras.blocks",
    "ResidualBottleneck": "stkeras.blocks",
    "ConvLSTM2D": "stkeras.layers",
    "ResConvLSTM": "stkeras.models",
    "VideoModel": "stkeras.models",
    "build_conv2d_lstm": "stkeras.models",
    "build_conv3d_lstm": "stkeras.models",
    "build_convlstm_resnet": "stkeras.models",
    "build_courtney_resnet": "stkeras.models",
    "build_frame_model": "stkeras.models",
    "build_res_convlstm": "stkeras.models",
    "build_small_3d_autoencoder": "stkeras.models",
    "build_small_3d_cnn": "stkeras.models",
    "build_stdcf_resnet": "stkeras.models",
    "build_ts_conv3d_lstm": "stkeras.models",
    "build_video_resnet": "stkeras.models",
    "build_vggm_convlstm": "stkeras.models",
    "from_preset": "stkeras.models",
    "list_presets": "stkeras.models",
    "save_preset": "stkeras.models",
    "list_recipes": "stkeras.recipes",
    "Task": "stkeras.tasks",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'stkeras' has no attribute {name!r}")
    module = _EXPORTS[name]
    value = importlib.import_module(f"stkeras.{name}") if module is None else getattr(
        importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))


# A program that imports stkeras gets every public name at once, which also
# registers stkeras' layers with Keras' serialization, so `keras.saving.load_model`
# finds them. The `stkeras` command imports only what the command it runs
# needs: its `--help` answers without importing TensorFlow.
if not started_from_command_line():
    for _name in _EXPORTS:
        __getattr__(_name)
