"""Iterative two-stage learning (ITSL) of STDCF networks (seed 004, Algorithm 1)."""

import tensorflow as tf

from stkeras.data.resolution import downsample_space
from stkeras.data.resolution import downsample_time
from stkeras.training.atoms import decomposed_layers
from stkeras.training.atoms import freeze_atoms
from stkeras.training.atoms import set_atom_dilation
from stkeras.validation import check_positive_int


def _transform(dataset, fn):
    return dataset.map(lambda x, *rest: (fn(x), *rest), num_parallel_calls=tf.data.AUTOTUNE)


def itsl_fit(model, dataset, iterations=3, beta=2, gamma=2, epochs_per_stage=1, validation_data=None, verbose="auto"):
    """Trains a compiled STDCF model with Algorithm 1 of seed 004.

    Each iteration runs:
    - stage-t: clips downsampled in space by `beta` (full time), spatial
      atoms frozen, temporal atoms dilated by `gamma` (spatial dilation 1);
    - stage-s: clips downsampled in time by `gamma` (full space), temporal
      atoms frozen, spatial atoms dilated by `beta` (temporal dilation 1).
    The model is left for full-size use: both atoms dilated (`beta`,
    `gamma`), nothing frozen. Each stage recompiles the model with its
    compile configuration (a fresh optimizer for the new trainable set).

    Args:
        model: a compiled model with STDCF (or rank-1) layers that accepts
            clips of any size, e.g. built with `input_shape=(None, None, None, C)`.
        dataset: `tf.data.Dataset` of full-size `(clips, targets)` batches.
        iterations: `E`.
        beta: spatial downsampling (and spatial atom dilation).
        gamma: temporal downsampling (and temporal atom dilation).
        epochs_per_stage: epochs of each stage.
        validation_data: optional full-size dataset, evaluated after every
            iteration with both atoms dilated.
        verbose: Keras' progress setting.

    Returns:
        list of dicts, one per stage: `iteration`, `stage` (`"t"` or `"s"`),
        `history` (Keras history dict) and, after stage-s with validation
        data, `validation` (full-size metrics).

    Example:
    >>> model = build_small_3d_cnn(conv="stdcf", input_shape=(None, None, None, 1))  # doctest: +SKIP
    >>> model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])  # doctest: +SKIP
    >>> stages = itsl_fit(model, train, iterations=3)  # doctest: +SKIP

    Reference: Miao et al. 2021, Sections 2.2-2.3 and Algorithm 1 (seed 004).
    """
    for name, value in (("iterations", iterations), ("beta", beta), ("gamma", gamma),
                        ("epochs_per_stage", epochs_per_stage)):
        check_positive_int(name, value)
    if not decomposed_layers(model):
        raise ValueError("itsl_fit needs a model with STDCFConv3D or Rank1Conv3D layers; found none.")
    fixed = [d for d in model.input.shape[1:4] if d is not None]
    if fixed:
        raise ValueError(
            "itsl_fit trains on clips of several sizes: build the model with "
            f"input_shape=(None, None, None, channels). Received: input shape {tuple(model.input.shape)}"
        )
    if model.optimizer is None:
        raise ValueError("Compile the model before itsl_fit (its compile settings are reused each stage).")
    compile_config = model.get_compile_config()
    stage_t_data = _transform(dataset, lambda x: downsample_space(x, beta))
    stage_s_data = _transform(dataset, lambda x: downsample_time(x, gamma))
    stages = []
    try:
        for iteration in range(1, iterations + 1):
            for stage, data, frozen, dilation in (
                ("t", stage_t_data, "spatial", {"spatial": 1, "temporal": gamma}),
                ("s", stage_s_data, "temporal", {"spatial": beta, "temporal": 1}),
            ):
                freeze_atoms(model, frozen)
                set_atom_dilation(model, **dilation)
                model.compile_from_config(compile_config)
                history = model.fit(data, epochs=epochs_per_stage, verbose=verbose, shuffle=False)
                record = {"iteration": iteration, "stage": stage, "history": history.history}
                if stage == "s" and validation_data is not None:
                    freeze_atoms(model, None)
                    set_atom_dilation(model, spatial=beta, temporal=gamma)
                    model.compile_from_config(compile_config)
                    record["validation"] = model.evaluate(validation_data, verbose=0, return_dict=True)
                stages.append(record)
    finally:
        freeze_atoms(model, None)
        set_atom_dilation(model, spatial=beta, temporal=gamma)
    model.compile_from_config(compile_config)
    return stages
