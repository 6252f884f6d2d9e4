"""Iterative two-stage learning (ITSL) of STDCF networks (Miao et al. 2021, Algorithm 1)."""

import keras
import tensorflow as tf

from stkeras.data.resolution import downsample_space
from stkeras.data.resolution import downsample_time
from stkeras.training.atoms import decomposed_layers
from stkeras.training.atoms import freeze_atoms
from stkeras.training.atoms import regular_conv3d_layers
from stkeras.training.atoms import set_atom_dilation
from stkeras.validation import check_positive_int


def _transform(dataset, fn):
    return dataset.map(lambda x, *rest: (fn(x), *rest), num_parallel_calls=tf.data.AUTOTUNE)


SCHEDULE_KEYS = ("epochs", "learning_rate", "callbacks")


def _stage_settings(schedule, iteration, stage, epochs_per_stage):
    settings = dict(schedule(iteration, stage) or {}) if schedule is not None else {}
    unknown = sorted(set(settings) - set(SCHEDULE_KEYS))
    if unknown:
        raise ValueError(f"`schedule` returned unknown keys {unknown} for iteration {iteration} stage-{stage}. "
                         f"Allowed keys: {', '.join(SCHEDULE_KEYS)}.")
    settings.setdefault("epochs", epochs_per_stage)
    check_positive_int("epochs", settings["epochs"])
    rate = settings.get("learning_rate")
    if rate is not None and not (isinstance(rate, (int, float)) and rate > 0):
        raise ValueError(f"`schedule` returned learning_rate={rate!r} for iteration {iteration} stage-{stage}: "
                         "it must be a positive number or None.")
    return settings


def itsl_fit(model, dataset, iterations=3, beta=2, gamma=2, epochs_per_stage=1, validation_data=None, verbose="auto",
             schedule=None):
    """Trains a compiled STDCF model with Algorithm 1 of Miao et al. 2021.

    Each iteration runs:
    - stage-t: clips downsampled in space by `beta` (full time), spatial
      atoms frozen, temporal atoms dilated by `gamma` (spatial dilation 1);
    - stage-s: clips downsampled in time by `gamma` (full space), temporal
      atoms frozen, spatial atoms dilated by `beta` (temporal dilation 1).
    The model is left for full-size use: both atoms dilated (`beta`,
    `gamma`), nothing frozen. Each stage recompiles the model with its
    compile configuration (a fresh optimizer for the new trainable set).

    A model without STDCF or rank-1 layers is Miao et al. 2021's Reg.-3D baseline
    under ITSL: its 3D filters train in both stages on the same clips, with
    the same dilations applied to its regular `Conv3D` layers.

    Args:
        model: a compiled model that accepts clips of any size, e.g. built
            with `input_shape=(None, None, None, C)`.
        dataset: `tf.data.Dataset` of full-size `(clips, targets)` batches.
        iterations: `E`.
        beta: spatial downsampling (and spatial atom dilation).
        gamma: temporal downsampling (and temporal atom dilation).
        epochs_per_stage: epochs of each stage the schedule does not set.
        validation_data: optional full-size dataset, evaluated after every
            stage (stage-t included) with both atoms dilated, as the paper's
            Figure 5 and Table 3 report.
        verbose: Keras' progress setting.
        schedule: optional `schedule(iteration, stage) -> dict` with any of
            `epochs`, `learning_rate` (the stage's constant rate) and
            `callbacks`; the paper trains the first stage-t far longer than
            the later stages, at a higher rate.

    Returns:
        list of dicts, one per stage: `iteration`, `stage` (`"t"` or `"s"`),
        `epochs`, `learning_rate` (at the stage's end), `history` (Keras
        history dict) and, with validation data,
        `validation` (full-size metrics).

    Example:
    >>> model = build_small_3d_cnn(conv="stdcf", input_shape=(None, None, None, 1))  # doctest: +SKIP
    >>> model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])  # doctest: +SKIP
    >>> first_long = lambda e, stage: {"epochs": 8} if (e, stage) == (1, "t") else {"learning_rate": 5e-4}
    >>> stages = itsl_fit(model, train, iterations=3, schedule=first_long)  # doctest: +SKIP

    Reference: Miao et al. 2021, Sections 2.2-3.1, Algorithm 1 and Figure 5.
    """
    for name, value in (("iterations", iterations), ("beta", beta), ("gamma", gamma),
                        ("epochs_per_stage", epochs_per_stage)):
        check_positive_int(name, value)
    if schedule is not None and not callable(schedule):
        raise TypeError(f"`schedule` must be None or a function (iteration, stage) -> dict. "
                        f"Received: schedule={schedule!r}")
    regular = not decomposed_layers(model)
    if regular and not regular_conv3d_layers(model):
        raise ValueError("itsl_fit needs a model with STDCFConv3D, Rank1Conv3D or regular Conv3D layers; found none.")
    fixed = [d for d in model.input.shape[1:4] if d is not None]
    if fixed:
        raise ValueError(
            "itsl_fit trains on clips of several sizes: build the model with "
            f"input_shape=(None, None, None, channels). Received: input shape {tuple(model.input.shape)}"
        )
    if model.optimizer is None:
        raise ValueError("Compile the model before itsl_fit (its compile settings are reused each stage).")
    plan = [(iteration, stage, _stage_settings(schedule, iteration, stage, epochs_per_stage))
            for iteration in range(1, iterations + 1) for stage in ("t", "s")]
    compile_config = model.get_compile_config()
    data = {"t": _transform(dataset, lambda x: downsample_space(x, beta)),
            "s": _transform(dataset, lambda x: downsample_time(x, gamma))}
    frozen = {"t": "spatial", "s": "temporal"}
    dilation = {"t": {"spatial": 1, "temporal": gamma}, "s": {"spatial": beta, "temporal": 1}}
    stages = []
    try:
        for iteration, stage, settings in plan:
            freeze_atoms(model, None if regular else frozen[stage])
            set_atom_dilation(model, **dilation[stage], regular=regular)
            model.compile_from_config(compile_config)
            if settings.get("learning_rate") is not None:
                model.optimizer.learning_rate = settings["learning_rate"]
            history = model.fit(data[stage], epochs=settings["epochs"], verbose=verbose, shuffle=False,
                                callbacks=settings.get("callbacks"))
            record = {"iteration": iteration, "stage": stage, "epochs": settings["epochs"],
                      "learning_rate": float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)),
                      "history": history.history}
            if validation_data is not None:
                freeze_atoms(model, None)
                set_atom_dilation(model, spatial=beta, temporal=gamma, regular=regular)
                model.compile_from_config(compile_config)
                record["validation"] = model.evaluate(validation_data, verbose=0, return_dict=True)
            stages.append(record)
    finally:
        freeze_atoms(model, None)
        set_atom_dilation(model, spatial=beta, temporal=gamma, regular=regular)
    model.compile_from_config(compile_config)
    return stages
