"""Data-parallel training over every device of one or several processes, through Keras' distribution API on JAX.

Every process runs the same program on the same seeded data. Keras'
`DataParallel` puts a replica of the model on every device of every
process, gives each process its share of every global batch (it re-batches
and shards the `tf.data` dataset) and averages the gradients over all
devices before each update; batch normalization computes its statistics
over the global batch. Several processes (on one machine or several) first
connect through `keras.distribution.initialize`, which must run before JAX
computes anything.

What a multi-process run shares and what it does not:

- one coordinator address (`HOST:PORT` of process 0), the number of
  processes and each one's index, given as arguments or as Keras'
  `KERAS_DISTRIBUTION_JOB_ADDRESSES`, `KERAS_DISTRIBUTION_NUM_PROCESSES` and
  `KERAS_DISTRIBUTION_PROCESS_ID`;
- the run folder: process 0 writes every file (`written_path`), every
  process reads the backups back to resume, so it must be on a file system
  all of them see;
- not the data: each process makes or reads the whole global batch and
  keeps its share.

Example:
>>> check_clip_counts(8, {"train_clips": 64, "validation_clips": 32})
>>> process_index(), written_path("runs/x/model.keras")
(0, 'runs/x/model.keras')
"""

import atexit
import collections
import contextlib
import os
import shutil
import sys
import tempfile

import keras
import numpy as np

ENVIRONMENT = {
    "coordinator": "KERAS_DISTRIBUTION_JOB_ADDRESSES",
    "num_processes": "KERAS_DISTRIBUTION_NUM_PROCESSES",
    "process_id": "KERAS_DISTRIBUTION_PROCESS_ID",
}

# What cannot train under `DataParallel`, and why: refused by name at planning time.
NOT_DATA_PARALLEL = {
    "Grad-CAM": "it computes gradients with tf-keras-vis' tf.GradientTape, on TensorFlow, and data_parallel "
                "runs on JAX; explain the saved model afterwards with `stkeras explain`",
    "truncated backpropagation through time": "it updates once per sequence from gradients added up chunk by "
                                              "chunk with tf.GradientTape, outside Keras' fit",
    "sampled segments": "the segment-sampled clips (--segments) come in batches whose last one can be partial; "
                        "train them in one process, or with distribute='mirrored' on TensorFlow",
    "temporal controls": "the controls score and train copies of the models clip by clip outside the run's "
                         "distribution; run compare --controls without it, or evaluate --controls on the saved models",
}

Cluster = collections.namedtuple("Cluster", ["coordinator", "num_processes", "process_id"])

_scratch = []  # this process' scratch folder, made on first use


def require_jax(feature="distribute='data_parallel'"):
    """Raises `ValueError` unless Keras runs on JAX, naming the TensorFlow alternative.

    Example:
    >>> require_jax()  # doctest: +SKIP
    """
    backend = keras.backend.backend()
    if backend != "jax":
        raise ValueError(f"{feature} needs the JAX backend: Keras' distribution API trains across devices and "
                         f"processes on JAX; Keras runs on {backend!r}. Set KERAS_BACKEND=jax, or use "
                         "distribute='mirrored' (tf.distribute, the GPUs of one machine) on TensorFlow.")


def refuse_under_data_parallel(feature):
    """Raises `ValueError` naming `feature` (a key of `NOT_DATA_PARALLEL`) and why it cannot run data-parallel.

    Example:
    >>> refuse_under_data_parallel("Grad-CAM")
    Traceback (most recent call last):
    ...
    ValueError: Grad-CAM cannot run under distribute='data_parallel': it computes gradients ...
    """
    raise ValueError(f"{feature} cannot run under distribute='data_parallel': {NOT_DATA_PARALLEL[feature]}.")


def cluster_settings(coordinator=None, num_processes=None, process_id=None, environ=None):
    """The processes of a run from the arguments, else from Keras' environment variables, checked.

    Args:
        coordinator: `"HOST:PORT"` of process 0 (Keras' job addresses: a
            comma-separated list whose first entry is process 0's is read
            the same way); `None` with one process.
        num_processes: processes in all, an int >= 1 (default 1).
        process_id: this process' index, `0 <= process_id < num_processes`.
        environ: the environment to read (default `os.environ`).

    Returns:
        `Cluster(coordinator, num_processes, process_id)`.

    Example:
    >>> cluster_settings("10.0.0.1:1234", 2, 1, environ={})
    Cluster(coordinator='10.0.0.1:1234', num_processes=2, process_id=1)
    >>> cluster_settings(environ={})
    Cluster(coordinator=None, num_processes=1, process_id=0)
    """
    environ = os.environ if environ is None else environ
    given = {"coordinator": coordinator, "num_processes": num_processes, "process_id": process_id}
    for name, variable in ENVIRONMENT.items():
        if given[name] is None and environ.get(variable):
            value = environ[variable].strip()
            if name != "coordinator":
                try:
                    value = int(value)
                except ValueError:
                    raise ValueError(f"{variable} must be an integer. Received: {variable}={environ[variable]!r}")
            given[name] = value
    coordinator, num_processes, process_id = given["coordinator"], given["num_processes"], given["process_id"]
    num_processes = 1 if num_processes is None else num_processes
    if not isinstance(num_processes, int) or isinstance(num_processes, bool) or num_processes < 1:
        raise ValueError(f"`num_processes` must be an int >= 1. Received: num_processes={num_processes!r}")
    if num_processes == 1:
        if process_id not in (None, 0):
            raise ValueError(f"`process_id` must be 0 with one process. Received: process_id={process_id!r}")
        return Cluster(coordinator, 1, 0)
    if process_id is None or coordinator is None:
        missing = " and ".join(name for name, value in (("coordinator", coordinator), ("process_id", process_id))
                               if value is None)
        raise ValueError(f"A run of {num_processes} processes needs `{missing}` too (or "
                         f"{', '.join(ENVIRONMENT.values())}). Received: coordinator={coordinator!r}, "
                         f"process_id={process_id!r}")
    if not isinstance(process_id, int) or isinstance(process_id, bool) or not 0 <= process_id < num_processes:
        raise ValueError(f"`process_id` must be an int in 0..{num_processes - 1} for num_processes="
                         f"{num_processes}. Received: process_id={process_id!r}")
    first = str(coordinator).split(",")[0].strip()
    host, _, port = first.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"`coordinator` must be HOST:PORT, process 0's address and a free port on it (e.g. "
                         f"10.0.0.1:1234). Received: coordinator={coordinator!r}")
    return Cluster(first, num_processes, process_id)


def start_data_parallel(coordinator=None, num_processes=None, process_id=None, *, seed=0):
    """Trains every model from here on data-parallel over every device of every process (JAX).

    With several processes, connects this one to the others first
    (`keras.distribution.initialize`; process 0 serves at `coordinator`);
    call it at the start of the program, before JAX computes anything.
    Then sets Keras' global distribution to `DataParallel` over all
    devices: `model.fit` on a `tf.data` dataset of global batches gives
    each process its share of every batch. TensorFlow is kept off the GPUs,
    which JAX uses (tf.data runs on the CPU).

    Args:
        coordinator, num_processes, process_id: the processes
            (`cluster_settings`; default: Keras' environment variables,
            else one process).
        seed: Keras' seed (`keras.utils.set_random_seed`), set in every
            process before it connects so that all draw the same initial
            weights; `None`: the processes agree on a random seed.

    Returns:
        the `keras.distribution.DataParallel` distribution.

    Example:
    >>> distribution = start_data_parallel("10.0.0.1:1234", 2, 0)  # doctest: +SKIP
    >>> model.fit(train, epochs=3)  # doctest: +SKIP
    """
    require_jax()
    cluster = cluster_settings(coordinator, num_processes, process_id)
    _keep_tensorflow_off_the_gpus()
    import jax

    if cluster.num_processes > 1 and not jax.distributed.is_initialized():
        if seed is not None:
            keras.utils.set_random_seed(seed)
        keras.distribution.initialize(cluster.coordinator, cluster.num_processes, cluster.process_id)
    distribution = keras.distribution.DataParallel(devices=keras.distribution.list_devices())
    keras.distribution.set_distribution(distribution)
    return distribution


def plan_data_parallel(*, batch_size, clip_counts=None, coordinator=None, num_processes=None, process_id=None,
                       seed=0, features=()):
    """Checks a data-parallel training run, then starts it (`start_data_parallel`).

    What the arguments alone decide is refused before this process connects
    to the others, and it is the same in every process, so all of them stop
    with the same error: a backend other than JAX, a feature that cannot
    run data-parallel, wrong process settings, clip counts that end in a
    partial batch. Once connected, a global batch the devices cannot share
    is refused.

    Args:
        batch_size: the global batch.
        clip_counts: `{name: clips}` that must be multiples of `batch_size`
            (e.g. `{"train_clips": 64, "validation_clips": 32}`).
        coordinator, num_processes, process_id, seed: as in
            `start_data_parallel`.
        features: names of `NOT_DATA_PARALLEL` the run asks for (refused).

    Returns:
        the `keras.distribution.DataParallel` distribution.

    Example:
    >>> plan_data_parallel(batch_size=8, clip_counts={"train_clips": 64})  # doctest: +SKIP
    """
    require_jax()
    for feature in features:
        refuse_under_data_parallel(feature)
    cluster = cluster_settings(coordinator, num_processes, process_id)
    check_clip_counts(batch_size, clip_counts or {})
    distribution = start_data_parallel(*cluster, seed=seed)
    check_global_batch(batch_size, device_count(distribution))
    return distribution


def _keep_tensorflow_off_the_gpus():
    import tensorflow as tf

    try:
        tf.config.set_visible_devices([], "GPU")
    except RuntimeError:  # TensorFlow's devices are set up already: it keeps them
        pass


def device_count(distribution=None):
    """Devices that share each global batch under `distribution` (default: Keras' global one; 1 without)."""
    distribution = distribution or keras.distribution.distribution()
    if distribution is None:
        return 1
    return int(np.prod(distribution.device_mesh.shape))


def check_clip_counts(batch_size, clip_counts):
    """Refuses clip counts that would end in a partial batch, which the processes cannot share evenly.

    Args:
        batch_size: the global batch.
        clip_counts: `{name: clips}`, e.g. `{"train_clips": 64}`.

    Example:
    >>> check_clip_counts(8, {"train_clips": 46})
    Traceback (most recent call last):
    ...
    ValueError: `train_clips` must be a multiple of the batch size (8) under distribute='data_parallel': ...
    """
    for name, count in clip_counts.items():
        if count % batch_size:
            lower, upper = count // batch_size * batch_size, -(-count // batch_size) * batch_size
            nearest = f"{lower} or {upper}" if lower else f"{upper}"
            raise ValueError(f"`{name}` must be a multiple of the batch size ({batch_size}) under "
                             f"distribute='data_parallel': a last partial batch cannot be split evenly between "
                             f"the devices. Received: {name}={count} (e.g. {nearest})")


def check_global_batch(batch_size, devices=None):
    """Refuses a global batch the devices cannot share equally.

    Example:
    >>> check_global_batch(6, devices=4)
    Traceback (most recent call last):
    ...
    ValueError: `batch_size` must be a multiple of the 4 devices that share each global batch ...
    """
    devices = device_count() if devices is None else devices
    if batch_size % devices:
        raise ValueError(f"`batch_size` must be a multiple of the {devices} devices that share each global batch "
                         f"under distribute='data_parallel' (each takes batch_size / {devices}). Received: "
                         f"batch_size={batch_size}")


def check_full_batches(dataset, name="dataset", devices=None):
    """Refuses a `tf.data` dataset whose batches can be partial or cannot be split over the devices.

    Keras shards each global batch between the processes by re-batching:
    a last partial batch would give the processes different numbers of
    clips (wrong weights, or processes that wait for each other forever).
    A dataset batched with `drop_remainder=True` (a static batch size) is
    safe; stkeras' clip pipelines drop the remainder under a distribution.

    Returns:
        the global batch size.

    Example:
    >>> import tensorflow as tf
    >>> check_full_batches(tf.data.Dataset.range(10).batch(4, drop_remainder=True), devices=2)
    4
    >>> check_full_batches(tf.data.Dataset.range(10).batch(4), devices=2)
    Traceback (most recent call last):
    ...
    ValueError: `dataset`'s batches can be partial (their size is not static)...
    """
    import tensorflow as tf

    if not isinstance(dataset, tf.data.Dataset):
        raise TypeError(f"`{name}` must be a tf.data.Dataset of global batches under a Keras distribution. "
                        f"Received: {type(dataset).__name__}")
    sizes = {spec.shape[0] if spec.shape.rank else None for spec in tf.nest.flatten(dataset.element_spec)}
    if None in sizes or len(sizes) != 1:
        raise ValueError(f"`{name}`'s batches can be partial (their size is not static), which data-parallel "
                         "training cannot split evenly between processes. Batch it with drop_remainder=True. "
                         f"Received: element_spec={dataset.element_spec}")
    batch_size = sizes.pop()
    check_global_batch(batch_size, devices)
    return batch_size


def process_count():
    """Processes of the run (1 unless JAX's multi-process runtime is connected).

    Example:
    >>> process_count()
    1
    """
    jax = sys.modules.get("jax")
    if jax is None or not jax.distributed.is_initialized():
        return 1
    return jax.process_count()


def process_index():
    """This process' index in the run (0 unless JAX's multi-process runtime is connected)."""
    jax = sys.modules.get("jax")
    if jax is None or not jax.distributed.is_initialized():
        return 0
    return jax.process_index()


def written_path(path):
    """Where this process writes the file or folder `path`: `path` itself in process 0, a scratch copy elsewhere.

    In a multi-process run every process must take part in saving (Keras'
    `model.save` waits for all of them), but one writes each file: process
    0 writes `path`, the others the same name under a temporary folder of
    their own, removed when they exit. All processes read `path`.

    Example:
    >>> written_path("runs/x/backup")
    'runs/x/backup'
    """
    if process_index() == 0:
        return path
    if not _scratch:
        _scratch.append(tempfile.mkdtemp(prefix=f"stkeras-process{process_index()}-"))
        atexit.register(shutil.rmtree, _scratch[0], True)
    return os.path.join(_scratch[0], os.path.abspath(path).lstrip(os.sep))


def processes_failing(ok):
    """The indices of the processes whose `ok` is False; every process gets the same list.

    A collective: every process of the run must call it. With one process,
    `[]` or `[0]`.

    Example:
    >>> processes_failing(True)
    []
    """
    if process_count() == 1:
        return [] if ok else [0]
    from jax.experimental import multihost_utils

    flags = np.asarray(multihost_utils.process_allgather(np.array([bool(ok)], dtype=np.int32)))
    return [int(i) for i in np.flatnonzero(flags.reshape(-1) == 0)]


@contextlib.contextmanager
def without_distribution():
    """A block in which Keras has no global distribution (this process' default device only)."""
    distribution = keras.distribution.distribution()
    keras.distribution.set_distribution(None)
    try:
        yield
    finally:
        keras.distribution.set_distribution(distribution)


def local_copy(model):
    """A copy of `model` on this process' own device, for `predict`, which cannot run across processes.

    Example:
    >>> scores = local_copy(model).predict(test_clips)  # doctest: +SKIP
    """
    weights = model.get_weights()
    with without_distribution():
        copy = keras.models.clone_model(model)
        copy.set_weights(weights)
    return copy


def describe():
    """A few words on the data-parallel run, for progress lines: `""` without one.

    Example:
    >>> describe()
    ''
    """
    distribution = keras.distribution.distribution()
    if not isinstance(distribution, keras.distribution.DataParallel):
        return ""
    processes = process_count()
    where = f" in {processes} processes (this is process {process_index()})" if processes > 1 else ""
    return f"data-parallel over {device_count(distribution)} device(s){where}"
