"""What every training run sets up in its plan: the precision policy, the distribution strategy, its run record.

Example:
>>> run_record("train", {"model": "conv2d", "out": "runs/a", "verbose": True}, {"epochs": 3})
{'command': 'train', 'model': 'conv2d', 'epochs': 3}
"""

from stkeras.training.distribute import make_strategy

# Options that say how a run goes, not what it computes: a rerun into the same --out may change them.
HOW_TO_RUN = ("out", "config", "overwrite", "verbose", "tensorboard", "distribute", "max_trials", "max_time",
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


def run_strategy(distribute):
    """The `tf.distribute` strategy of `--distribute` (`None` for `"none"`)."""
    return make_strategy(distribute)


def run_record(command, options, settings):
    """What defines a run, for its folder's `settings.json`: the command, the options that change what it computes,
    and the resolved settings (options that say only how it goes, `HOW_TO_RUN`, are left out)."""
    record = {"command": command}
    record.update({k: list(v) if isinstance(v, tuple) else v for k, v in options.items() if k not in HOW_TO_RUN})
    record.update({k: list(v) if isinstance(v, (tuple, range)) else v for k, v in settings.items()})
    return record
