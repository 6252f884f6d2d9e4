"""Peak memory of a training step, measured in a child process.

`training_step_memory(model, clip_shape, batch_size=...)` saves the
compiled model, and a fresh Python process loads it, trains two warm-up
steps on random clips of that shape, and then measures further steps:

- where TensorFlow's allocator keeps counts (a GPU; a CPU where
  TensorFlow runs with oneDNN, the default on CPUs with AVX512_VNNI,
  AVX512_BF16 or AMX), its peak bytes in use (reset after the warm-up)
  above the bytes in use before the steps. That allocator keeps freed
  memory in a pool, so the process's resident memory would not show the
  step at all;
- elsewhere on a CPU, the peak resident memory of the process (reset after
  the warm-up through `/proc/self/clear_refs`, Linux) above its resident
  memory before the steps. The child has glibc return every freed block of
  64 KiB or more to the system (`stkeras.allocator.return_freed_memory`),
  so that the resident memory follows what the step holds.

A child process keeps the measurement clean: nothing the caller allocated
or traced is counted, and the peak can be reset.
"""

import json
import os
import subprocess
import sys
import tempfile

from stkeras.validation import check_positive_int

_FROZEN = (None, "spatial", "temporal")


def training_step_memory(model, clip_shape, *, batch_size=8, steps=2, frozen_atoms=None, atom_dilation=None,
                         timeout=600):
    """Measures the memory one training step of `model` needs on clips of `clip_shape`.

    Args:
        model: a compiled Keras model (saved to a temporary `.keras` file
            and loaded back, with `safe_mode=True`, in the child process).
        clip_shape: `(frames, height, width, channels)` of the clips; the
            model must accept it.
        batch_size: clips per step.
        steps: measured steps (after two warm-up steps).
        frozen_atoms: `"spatial"` or `"temporal"` to freeze that kind of
            STDCF/rank-1 atom first, as an ITSL stage does; `None`: none.
        atom_dilation: `{"spatial": s, "temporal": t}` to set the STDCF
            and rank-1 atoms' dilation first (an ITSL stage's); `None`:
            as saved.
        timeout: seconds before the child is stopped.

    Returns:
        dict with `device` (`"CPU"` or `"GPU:0"`), `counter`
        (`"allocator"` or `"resident"`: what was read, see above),
        `step_bytes` (the peak above the memory in use before the steps),
        `peak_bytes` and `before_bytes`.

    Example:
    >>> model.compile("adam", "mse")  # doctest: +SKIP
    >>> training_step_memory(model, (16, 32, 32, 1), batch_size=16)["step_bytes"]  # doctest: +SKIP
    """
    if getattr(model, "optimizer", None) is None:
        raise ValueError("training_step_memory needs a compiled model (it trains with the model's compile "
                         f"settings). Received: model {model.name!r}, not compiled")
    shape = tuple(clip_shape) if isinstance(clip_shape, (tuple, list)) else None
    if shape is None or len(shape) != 4 or not all(isinstance(d, int) and d >= 1 for d in shape):
        raise ValueError("`clip_shape` must be (frames, height, width, channels), four ints >= 1. "
                         f"Received: clip_shape={clip_shape!r}")
    check_positive_int("batch_size", batch_size)
    check_positive_int("steps", steps)
    if frozen_atoms not in _FROZEN:
        raise ValueError(f"`frozen_atoms` must be one of {_FROZEN}. Received: frozen_atoms={frozen_atoms!r}")
    if atom_dilation is not None:
        if not isinstance(atom_dilation, dict) or set(atom_dilation) - {"spatial", "temporal"}:
            raise ValueError("`atom_dilation` must be a dict with keys 'spatial' and/or 'temporal'. "
                             f"Received: atom_dilation={atom_dilation!r}")
        for kind, value in atom_dilation.items():
            check_positive_int(f"atom_dilation[{kind!r}]", value)
    if not sys.platform.startswith("linux"):
        raise RuntimeError(f"training_step_memory reads /proc (Linux); this platform is {sys.platform!r}.")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        request = {"path": path, "clip_shape": shape, "batch_size": batch_size, "steps": steps,
                   "frozen_atoms": frozen_atoms, "atom_dilation": atom_dilation}
        result = subprocess.run([sys.executable, "-m", "stkeras.analysis.memory", json.dumps(request)],
                                capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"the memory measurement failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _resident_bytes(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def _targets(model, batch_size):
    import numpy as np

    loss = str(model.get_compile_config().get("loss", ""))
    shape = (batch_size,) + tuple(model.output.shape[1:])
    if "sparse" in loss:
        return np.zeros(shape[:-1], "int32")
    return np.zeros(shape, "float32")


def _measure(request):
    """The child process: load, warm up, measure."""
    from stkeras.allocator import return_freed_memory

    return_freed_memory()
    import keras
    import numpy as np
    import tensorflow as tf

    from stkeras.training.atoms import freeze_atoms
    from stkeras.training.atoms import set_atom_dilation

    # One op at a time: the peak then does not depend on how ops happened to overlap.
    tf.config.threading.set_inter_op_parallelism_threads(1)
    model = keras.saving.load_model(request["path"], safe_mode=True)
    if request["atom_dilation"]:
        set_atom_dilation(model, **request["atom_dilation"])
    if request["frozen_atoms"]:
        freeze_atoms(model, request["frozen_atoms"])
    if request["atom_dilation"] or request["frozen_atoms"]:
        model.compile_from_config(model.get_compile_config())
    clips = np.random.default_rng(0).random((request["batch_size"], *request["clip_shape"]), dtype=np.float32)
    targets = _targets(model, request["batch_size"])
    for _ in range(2):
        model.train_on_batch(clips, targets)
    device = "GPU:0" if tf.config.list_logical_devices("GPU") else "CPU:0"
    counted = _allocator_counts(tf, device)
    if counted:
        tf.config.experimental.reset_memory_stats(device)
        before = tf.config.experimental.get_memory_info(device)["current"]
    else:
        before = _resident_bytes("VmRSS")
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # resets the peak resident memory (VmHWM)
    for _ in range(request["steps"]):
        model.train_on_batch(clips, targets)
    peak = tf.config.experimental.get_memory_info(device)["peak"] if counted else _resident_bytes("VmHWM")
    return {"device": "GPU:0" if device == "GPU:0" else "CPU", "counter": "allocator" if counted else "resident",
            "step_bytes": peak - before, "peak_bytes": peak, "before_bytes": before}


def _allocator_counts(tf, device):
    """Whether TensorFlow's allocator for `device` keeps byte counts (GPUs; oneDNN's CPU allocator)."""
    try:
        tf.config.experimental.get_memory_info(device)
    except ValueError:  # "Allocator stats not available": the plain CPU allocator, which uses malloc
        return False
    return True


if __name__ == "__main__":
    print(json.dumps(_measure(json.loads(sys.argv[1]))))
