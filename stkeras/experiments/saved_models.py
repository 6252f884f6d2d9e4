"""A trained model's preset folder as the input of `evaluate`, `explain` and `sensitivity`: the model and its data.

A preset folder says what its model is (`stkeras.models.read_preset`): its
task, its clips (`preprocessing.json`) and the recipe and data it was
trained on (`recipe.json`). So these commands take the folder alone: without
`--data`, a model trained on quadrant-blink clips is scored on the test clips
of its own recipe; with `--data`, a user's videos are read as the model's
clips are made (frames, frame step, resize, crop) and checked against its
classes.
"""

import os

from stkeras.experiments.run_data import SyntheticData
from stkeras.experiments.run_data import VideoData
from stkeras.models.preset_folder import is_preset_folder
from stkeras.models.preset_folder import read_preset


def load_saved_model(path):
    """`(PresetFolder, model)` of a preset folder, or of a `.keras` file inside one (`RUN/model.keras`).

    Raises:
        ValueError: naming `path`, if it is no preset folder or its files do not load.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path)) if os.path.isfile(path) else path
    if not os.path.exists(path):
        raise ValueError(f"--model {path!r} does not exist: give a preset folder (a run folder of `stkeras train`, "
                         "a model folder of `stkeras compare`).")
    if not is_preset_folder(folder):
        raise ValueError(f"--model {path!r} is not a preset folder (it has no config.json): give the folder a "
                         "stkeras run wrote, or save the model with `stkeras.save_preset`.")
    saved = read_preset(folder)
    try:
        return saved, saved.load()
    except ValueError as error:
        raise ValueError(f"--model {path!r}: {error}") from None


def saved_model_data(saved, *, data=None, layout=None, split=None, seed=0, batch_size=8, shared=None):
    """The `RunData` a saved model is scored on: its recipe's test clips, or `data`'s videos as its clips are made.

    Args:
        saved: the model's `PresetFolder`.
        data, layout, split: a user's videos (a folder of class subfolders,
            or a published layout's folder and split), or `None`.
        seed: the seed of the quadrant-blink clips.
        batch_size: videos per batch.
        shared: a dict in which video data is kept between calls, so that
            models whose clips are made alike share one listing.

    Raises:
        ValueError: the model has no clips of its own and no `data` is given,
            or the videos do not fit it (channels, classes).
    """
    recipe = saved.recipe or {}
    kind = recipe.get("data", {}).get("kind")
    if data is None:
        if layout is not None or split is not None:
            raise ValueError("--layout and --split name the videos of --data: give --data DIR too.")
        if kind != "quadrant_blink":
            trained = f"on the videos of {recipe['data'].get('path')!r}" if kind == "videos" else \
                "on data stkeras does not know (its folder has no recipe.json)"
            raise ValueError(f"{saved.directory!r} was trained {trained}: give the videos to score it on with "
                             "--data DIR.")
        settings = {k: tuple(v) if isinstance(v, list) else v for k, v in recipe["settings"].items()}
        run_data = SyntheticData(task=saved.task, recipe=recipe["name"], settings=dict(settings, seed=seed),
                                 segments=recipe["data"].get("segments"))
        if tuple(run_data.input_shape) != tuple(saved.input_shape):
            raise ValueError(f"{saved.directory!r}: its recipe makes clips of {run_data.input_shape}, but the model "
                             f"takes {saved.input_shape}.")
        return run_data
    frames, height, width, channels = saved.input_shape
    if channels != 3:
        raise ValueError(f"{saved.directory!r} takes {channels}-channel frames; videos are decoded as RGB (3).")
    if height != width:
        raise ValueError(f"{saved.directory!r} takes {height}x{width} frames; videos are cropped to square frames.")
    clips = saved.preprocessing
    key = (os.path.abspath(os.fspath(data)), layout, split, frames, clips.frame_step, height, clips.resize,
           clips.sampling, batch_size)
    shared = {} if shared is None else shared
    if key not in shared:
        settings = {"frames": frames, "batch_size": batch_size, "seed": 0, "epochs": 1}
        shared[key] = VideoData(data, layout=layout, recipe=recipe.get("name"), settings=settings, frame_size=height,
                                frame_step=clips.frame_step, resize=clips.resize, evaluation=True, split=split,
                                segments=clips.sampling == "segments")
    run_data = shared[key]
    run_data.check_classes(saved.class_names, repr(saved.directory))
    if saved.task is None or saved.task.units != len(run_data.class_names):
        units = None if saved.task is None else saved.task.units
        raise ValueError(f"{saved.directory!r} has {units} outputs; the data {os.fspath(data)!r} has "
                         f"{len(run_data.class_names)} classes.")
    return run_data
