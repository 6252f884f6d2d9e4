"""Reads a PyTorch checkpoint (`torch.save` of a `state_dict`) into NumPy arrays, without PyTorch.

Both of `torch.save`'s formats are read: the zip archive (PyTorch 1.6 on:
`<name>/data.pkl` and one record `<name>/data/<key>` per storage) and the
legacy stream (pickles followed by the raw storages). The pickle is read
with a restricted unpickler that builds only what a `state_dict` holds:
dicts, `collections.OrderedDict` and tensors (`torch._utils._rebuild_tensor_v2`,
`_rebuild_parameter`, the `torch.*Storage` types). Any other object in the
file is refused, so a checkpoint cannot run code when it is read. A
checkpoint that wraps its `state_dict` in a dict under `"state_dict"`,
`"model"` or `"model_state"` (training scripts' checkpoints; PyTorchVideo's
and PySlowFast's `.pyth` files) is unwrapped, and a `"module."`
prefix on every name (`torch.nn.DataParallel`) is removed.

Example:
>>> read_torch_checkpoint(__file__)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: '...torch_checkpoint.py' is not a PyTorch checkpoint of a state_dict: ...
"""

import collections
import dataclasses
import os
import pickle
import struct
import zipfile

import numpy as np

# PyTorch's storage types -> NumPy dtypes (`BFloat16Storage` is read as the upper half of float32).
STORAGE_DTYPES = {
    "DoubleStorage": "f8", "FloatStorage": "f4", "HalfStorage": "f2", "BFloat16Storage": "u2",
    "LongStorage": "i8", "IntStorage": "i4", "ShortStorage": "i2", "CharStorage": "i1",
    "ByteStorage": "u1", "BoolStorage": "?",
}
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_WRAPPERS = ("state_dict", "model", "model_state")
# The file suffixes of PyTorch checkpoints (`.pyth`: PyTorchVideo's and PySlowFast's).
CHECKPOINT_SUFFIXES = (".pth", ".pt", ".pyth")


class _Refused(Exception):
    """Why the file is not a readable checkpoint (becomes a `ValueError` naming the file)."""


@dataclasses.dataclass(frozen=True)
class _StorageType:
    name: str


@dataclasses.dataclass(frozen=True)
class _Storage:
    key: str
    dtype: str
    numel: int


@dataclasses.dataclass(frozen=True)
class _Tensor:
    storage: _Storage
    offset: int
    size: tuple
    stride: tuple


def _rebuild_tensor(storage, storage_offset, size, stride, *unused):
    if not isinstance(storage, _Storage):
        raise _Refused("a tensor is not built on a storage")
    return _Tensor(storage, int(storage_offset), tuple(int(s) for s in size), tuple(int(s) for s in stride))


def _rebuild_parameter(data, *unused):
    return data


_GLOBALS = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
}


class _Unpickler(pickle.Unpickler):
    """Builds dicts, tensors and storages only; a persistent id is a storage."""

    def find_class(self, module, name):
        if (module, name) in _GLOBALS:
            return _GLOBALS[module, name]
        if module == "torch" and name in STORAGE_DTYPES:
            return _StorageType(name)
        raise _Refused(f"it holds a {module}.{name}, which a state_dict does not (save `model.state_dict()`)")

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage" or not isinstance(pid[1], _StorageType):
            raise _Refused(f"unknown persistent record {pid!r}")
        if len(pid) > 5 and pid[5] is not None:
            raise _Refused("storage views (PyTorch before 0.4) are not supported")
        return _Storage(str(pid[2]), STORAGE_DTYPES[pid[1].name], int(pid[4]))


def _array(tensor, data, little_endian):
    """The tensor's values from its storage's bytes, bounds checked."""
    storage = tensor.storage
    dtype = np.dtype(storage.dtype).newbyteorder("<" if little_endian else ">")
    flat = np.frombuffer(data, dtype=dtype)
    if flat.size < storage.numel:
        raise _Refused(f"storage {storage.key!r} holds {flat.size} values, not {storage.numel}")
    if any(s < 0 for s in tensor.size) or any(s < 0 for s in tensor.stride) or tensor.offset < 0:
        raise _Refused(f"a tensor of storage {storage.key!r} has a negative size, stride or offset")
    if 0 in tensor.size:
        values = np.zeros(tensor.size, dtype)
    else:
        last = tensor.offset + sum((n - 1) * s for n, s in zip(tensor.size, tensor.stride))
        if last >= storage.numel:
            raise _Refused(f"a tensor reads past the end of storage {storage.key!r}")
        values = np.lib.stride_tricks.as_strided(
            flat[tensor.offset:], tensor.size, [s * dtype.itemsize for s in tensor.stride], writeable=False)
    values = np.array(values, dtype=dtype.newbyteorder("="))
    if storage.dtype == "u2":  # bfloat16: the upper 16 bits of a float32
        values = (values.astype(np.uint32) << 16).view(np.float32)
    return values


def _resolve(obj, read):
    """`obj` with every tensor replaced by its array (`read(storage)` gives a storage's bytes)."""
    if isinstance(obj, _Tensor):
        return read(obj)
    if isinstance(obj, dict):
        return type(obj)((key, _resolve(value, read)) for key, value in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_resolve(value, read) for value in obj)
    return obj


def _read_zip(path):
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pickles = [name for name in names if name.endswith("data.pkl")]
        if len(pickles) != 1:
            raise _Refused(f"a zip without one data.pkl (it holds {len(names)} files)")
        prefix = pickles[0][: -len("data.pkl")]
        little_endian = True
        if f"{prefix}byteorder" in names:
            little_endian = archive.read(f"{prefix}byteorder").decode().strip() == "little"
        with archive.open(pickles[0]) as file:
            obj = _Unpickler(file).load()

        def read(tensor):
            record = f"{prefix}data/{tensor.storage.key}"
            if record not in names:
                raise _Refused(f"the storage record {record!r} is missing")
            return _array(tensor, archive.read(record), little_endian)

        return _resolve(obj, read)


def _read_legacy(path):
    size = os.path.getsize(path)
    with open(path, "rb") as file:
        if _Unpickler(file).load() != _LEGACY_MAGIC:
            raise _Refused("neither a zip archive nor a legacy PyTorch file (no magic number)")
        _Unpickler(file).load()  # protocol version
        sys_info = _Unpickler(file).load()
        little_endian = not isinstance(sys_info, dict) or sys_info.get("little_endian", True)
        obj = _Unpickler(file).load()
        keys = _Unpickler(file).load()
        storages = {}
        tensors = []
        _resolve(obj, tensors.append)
        dtypes = {t.storage.key: t.storage for t in tensors}
        for key in keys:
            key = str(key)
            if key not in dtypes:
                raise _Refused(f"storage {key!r} is not used by any tensor")
            header = file.read(8)
            if len(header) != 8:
                raise _Refused("the file ends before its storages")
            (numel,) = struct.unpack("<q" if little_endian else ">q", header)
            nbytes = numel * np.dtype(dtypes[key].dtype).itemsize
            if numel < 0 or nbytes > size - file.tell():
                raise _Refused(f"storage {key!r} is truncated")
            data = file.read(nbytes)
            storages[key] = data
    return _resolve(obj, lambda tensor: _array(tensor, storages[tensor.storage.key], little_endian))


def _state_dict(obj):
    """The `{name: array}` in a loaded checkpoint."""
    if isinstance(obj, dict) and not any(isinstance(v, np.ndarray) for v in obj.values()):
        for key in _WRAPPERS:
            if isinstance(obj.get(key), dict):
                obj = obj[key]
                break
    if not isinstance(obj, dict) or not obj:
        raise _Refused(f"it holds a {type(obj).__name__}, not a state_dict of tensors")
    others = sorted(str(k) for k, v in obj.items() if not isinstance(k, str) or not isinstance(v, np.ndarray))
    if others:
        raise _Refused(f"entries that are not named tensors: {', '.join(others[:5])}")
    if all(key.startswith("module.") for key in obj):
        obj = {key[len("module."):]: value for key, value in obj.items()}
    return dict(obj)


def is_torch_checkpoint(path):
    """Whether `path` names a PyTorch checkpoint file, by its suffix (`CHECKPOINT_SUFFIXES`).

    Example:
    >>> is_torch_checkpoint("X3D_S.pyth"), is_torch_checkpoint("model.weights.h5")
    (True, False)
    """
    return isinstance(path, (str, os.PathLike)) and os.fspath(path).lower().endswith(CHECKPOINT_SUFFIXES)


def read_torch_checkpoint(path):
    """The `state_dict` of a file written by `torch.save`, as NumPy arrays; no PyTorch needed.

    Args:
        path: a `.pth` / `.pt` / `.pyth` file of a `state_dict` (or of a dict
            holding one under `"state_dict"`, `"model"` or `"model_state"`).

    Returns:
        a dict `{name: numpy array}` in the checkpoint's order, e.g.
        `{"stem.0.weight": array of shape (64, 3, 3, 7, 7), ...}` (PyTorch's
        layouts; bfloat16 tensors come as float32).

    Raises:
        ValueError: naming the file, if it is missing, damaged, not written
            by `torch.save`, or holds anything but tensors and dicts.
    """
    name = os.fspath(path)
    if not os.path.isfile(name):
        raise ValueError(f"No PyTorch checkpoint at {name!r}: not a file.")
    try:
        return _state_dict(_read_zip(name) if zipfile.is_zipfile(name) else _read_legacy(name))
    except _Refused as error:
        reason = str(error)
    except (pickle.UnpicklingError, EOFError, zipfile.BadZipFile, KeyError, IndexError, TypeError, ValueError,
            AttributeError, struct.error, OSError, UnicodeDecodeError, MemoryError, RecursionError) as error:
        reason = f"{type(error).__name__}: {error}"
    raise ValueError(f"{name!r} is not a PyTorch checkpoint of a state_dict: {reason}")
