"""What every training run sets up in its plan: the distribution, the precision policy, its run record.

Example:
>>> run_record("train", {"model": "conv2d", "out": "runs/a", "verbose": True}, {"epochs": 3})
{'command': 'train', 'model': 'conv2d', 'epochs': 3}
"""

from stkeras.training.distribute import make_strategy

# Options that say how a run goes, not what it computes: a rerun into the same --out may change them.
HOW_TO_RUN = ("out", "config", "overwrite", "verbose", "tensorboard", "distribute", "coordinator", "num_processes",
              "process_id", "max_trials", "max_time",
              "trials_per_process", "oracle", "role", "tuner_id", "argv", "skip_memory_check")


def set_precision(mixed_precision):
    """Sets Keras' global policy to this machine's mixed precision (`mixed_precision=True`) before models are built.

    Raises:
        ValueError: the machine has no mixed precision (no GPU, no bfloat16 instructions).
    """
    if not mixed_precision:
        return
    import keras

    import stkeras.training

    try:
        keras.mixed_precision.set_global_policy(stkeras.training.mixed_precision_policy())
    except RuntimeError as error:
        raise ValueError(f"--mixed-precision: {error}") from error


def start_distribution(distribute, settings, *, clip_counts=(), features=(), coordinator=None, num_processes=None,
                       process_id=None):
    """The `tf.distribute` strategy of `distribute`, or Keras' data-parallel distribution started (JAX).

    A plan calls it first, before it sets the precision policy, makes
    datasets or builds anything: under `"data_parallel"` JAX must not
    compute before the processes connect, and the datasets then hold full
    batches only (`stkeras.training.plan_data_parallel`).

    Args:
        distribute: `"none"`, `"mirrored"` (`tf.distribute`) or
            `"data_parallel"` (Keras' `DataParallel` on JAX, one or several
            processes).
        settings: the run's resolved recipe settings (`batch_size`, `seed`
            and the clip counts).
        clip_counts: names of `settings` that must be multiples of the
            global batch under data_parallel (synthetic clips).
        features: what the run asks for that cannot run data-parallel
            (names of `stkeras.training.data_parallel.NOT_DATA_PARALLEL`).
        coordinator, num_processes, process_id: the processes of a
            data-parallel run (default: Keras' environment variables).

    Returns:
        a `tf.distribute.Strategy` to build and train in, or `None` (no
        strategy, or data_parallel, which is global).

    Raises:
        ValueError: process options without data_parallel; what
            `plan_data_parallel` refuses.
    """
    if distribute != "data_parallel":
        for option, value in (("coordinator", coordinator), ("num_processes", num_processes),
                              ("process_id", process_id)):
            if value is not None:
                raise ValueError(f"--{option.replace('_', '-')} is for --distribute data_parallel.")
        return make_strategy(distribute)
    from stkeras.training.data_parallel import plan_data_parallel

    plan_data_parallel(batch_size=settings["batch_size"], clip_counts={name: settings[name] for name in clip_counts},
                       coordinator=coordinator, num_processes=num_processes, process_id=process_id,
                       seed=settings["seed"], features=features)
    return None


def run_record(command, options, settings):
    """What defines a run, for its folder's `settings.json`: the command, the options that change what it computes,
    and the resolved settings (options that say only how it goes, `HOW_TO_RUN`, are left out)."""
    record = {"command": command}
    record.update({k: list(v) if isinstance(v, tuple) else v for k, v in options.items() if k not in HOW_TO_RUN})
    record.update({k: list(v) if isinstance(v, (tuple, range)) else v for k, v in settings.items()})
    return record
