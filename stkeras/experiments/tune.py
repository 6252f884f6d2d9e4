"""`stkeras tune`: a keras-tuner search over a temporal design space on the run's synthetic clips.

Writes to the run folder: keras-tuner's own search state (`search/`, which
a rerun of the same command resumes), `trials.md` and `trials.json` (every
trial's hyperparameters, score, parameters, multiply-accumulates, training
time, resident memory and status), `pareto.png` (score against cost, the
Pareto front marked) and the best model as `best.keras`.
"""

import contextlib
import json
import os
import socket
import warnings

import keras
import numpy as np

from stkeras.experiments.data import clips
from stkeras.experiments.data import segmented_clips
from stkeras.experiments.data import steps_per_epoch
from stkeras.experiments.report import log
from stkeras.experiments.report import write_results
from stkeras.experiments.settings import jsonable
from stkeras.experiments.settings import resolve_settings
from stkeras.experiments.training import ProgressLines
from stkeras.experiments.training import seed_everything
from stkeras.tasks import get_task
from stkeras.atomic_files import save_model_atomically
from stkeras.atomic_files import write_text_atomically
from stkeras.tuning import ALGORITHMS
from stkeras.tuning import SPACES
from stkeras.tuning import make_tuner
from stkeras.tuning import pareto_front
from stkeras.tuning import stop_after
from stkeras.tuning import trial_records
from stkeras.tuning.search_state import guard_search_state
from stkeras.tuning.tuners import active_values
from stkeras.tuning.tuners import format_values
from stkeras.validation import check_choice
from stkeras.validation import check_positive_int
from stkeras.viz import plot_pareto
from stkeras.training.session import fresh_session

ROLES = ("chief", "worker")
PROJECT = "search"


def distributed_environment(oracle=None, role=None, tuner_id=None):
    """Sets keras-tuner's `KERASTUNER_*` variables for a chief or a worker; returns the role (or `None`).

    Without `oracle`, variables already set by the user are kept and the
    role is read from them.

    Args:
        oracle: `"HOST:PORT"` of the chief's oracle.
        role: `"chief"` (serves the oracle) or `"worker"` (runs trials).
        tuner_id: a worker's name (default: `worker-<host>-<pid>`); workers
            must have different names.
    """
    if oracle is None:
        if role is not None or tuner_id is not None:
            raise ValueError(f"`role` and `tuner_id` need `oracle` (HOST:PORT). Received: role={role!r}, "
                             f"tuner_id={tuner_id!r}")
        if "KERASTUNER_ORACLE_IP" not in os.environ:
            return None
        return "chief" if "chief" in os.environ.get("KERASTUNER_TUNER_ID", "") else "worker"
    host, _, port = str(oracle).rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"`oracle` must be HOST:PORT (e.g. 10.0.0.1:8000). Received: oracle={oracle!r}")
    check_choice("role", role, ROLES)
    if role == "chief":
        if tuner_id not in (None, "chief"):
            raise ValueError(f"The chief's tuner id is 'chief'. Received: tuner_id={tuner_id!r}")
        tuner_id = "chief"
    else:
        tuner_id = tuner_id or f"worker-{socket.gethostname()}-{os.getpid()}"
        if "chief" in tuner_id:
            raise ValueError(f"A worker's tuner id must not contain 'chief'. Received: tuner_id={tuner_id!r}")
    os.environ.update(KERASTUNER_ORACLE_IP=host, KERASTUNER_ORACLE_PORT=port, KERASTUNER_TUNER_ID=tuner_id)
    return role


def run_tune(out, *, space="courtney", task="digit", algorithm="random", max_trials=10, max_time=None,
             recipe="quick", size=None, num_segments=8, space_options=None, trials_per_process=None, oracle=None,
             role=None, tuner_id=None, seeds=1, verbose=False, tensorboard=False, videos=None, **overrides):
    """Searches a space with keras-tuner on the run's clips; writes the trials table, Pareto plot and best model.

    Running it again with the same `out` continues the search (keras-tuner
    reloads it; an interrupted trial runs again); a larger `max_trials`
    adds trials.

    Args:
        out: run folder, shared by the chief and the workers of a
            distributed search.
        space: `"courtney"`, `"video_resnet"` or `"heads"` (`stkeras.tuning.SPACES`).
        task: a registered task name or a `stkeras.tasks.Task`.
        algorithm: `"hyperband"`, `"bayesian"` or `"random"`.
        max_trials: trials in all.
        max_time: seconds after which no new trial starts (`None`: no
            limit); counts from this call, on the chief in a distributed
            search.
        recipe: clip and training settings (`stkeras.experiments.RECIPES`).
        size: Courtney & Sreenivas 2022's model size for the `"courtney"` space.
        num_segments: frames sampled per clip for the `"heads"` space.
        space_options: more arguments of the space's hypermodel (e.g.
            `{"ops": ("conv2d", "conv3d")}`, `{"depth": 18}`).
        trials_per_process: stop after this many trials and return `None`
            if the search is not finished, so that a new process continues
            it. TensorFlow keeps the graphs of every finished `fit` in
            memory (tensorflow/tensorflow#61791), about 50-150 MB per trial
            here; `stkeras tune` restarts itself after every trial by default.
        oracle, role, tuner_id: distributed search through keras-tuner's
            chief/worker mode (see `distributed_environment`).
        seeds: after the search, the best trial's hyperparameters are
            trained again with `seeds - 1` more seeds (other weights and
            training clips, the same held-out clips), and the report says
            whether the spread between the best and the worst trial exceeds
            this seed-to-seed spread (`seed_spread`). 1: no reruns.
        verbose: also keras-tuner's display and Keras' progress bars.
        tensorboard: also log every trial's epochs for TensorBoard, in
            `out/tensorboard/<trial id>`.
        videos: search on a user's videos instead of synthetic clips: the
            arguments of `stkeras.experiments.train_videos.video_run`
            (`{"data": DIR, "layout": ..., "image_size": ..., "frame_step":
            ..., "validation_split": ...}`); the held-out videos score the
            trials and the best model (spaces `courtney` and `video_resnet`).
        **overrides: `epochs` (training epochs of a trial; Hyperband's
            most), `train_clips`, `validation_clips`, `test_clips`,
            `frames`, `batch_size`, `seed`.

    Returns:
        the results dict written to `trials.json` (`None` on a worker, or
        when `trials_per_process` trials ended and more remain).
    """
    check_choice("space", space, tuple(SPACES))
    check_choice("algorithm", algorithm, tuple(ALGORITHMS))
    max_trials = check_positive_int("max_trials", max_trials)
    seeds = check_positive_int("seeds", seeds)
    if max_time is not None and (isinstance(max_time, bool) or not isinstance(max_time, (int, float)) or max_time <= 0):
        raise ValueError(f"`max_time` must be a number of seconds > 0 or None. Received: max_time={max_time!r}")
    task, settings = search_settings(space, task, recipe, size, videos, overrides)
    role = distributed_environment(oracle, role, tuner_id)
    seed_everything(settings["seed"])

    # ---- data and the space
    steps = steps_per_epoch(settings)
    options = dict(space_options or {})
    if space == "heads":
        check_positive_int("num_segments", num_segments)
    train, validation, test, input_shape = _search_data(space, settings, task, num_segments, videos)
    if space == "courtney":
        options.setdefault("size", settings["model_size"])
    hypermodel = SPACES[space](input_shape=input_shape, task=task, total_steps=steps * settings["epochs"],
                               default_learning_rate=settings["learning_rate"],
                               warmup_fraction=settings["warmup_fraction"], seed=settings["seed"], **options)

    # ---- the search (keras-tuner's)
    os.makedirs(out, exist_ok=True)
    where = f" as {role} of the oracle at {os.environ['KERASTUNER_ORACLE_IP']}:{os.environ['KERASTUNER_ORACLE_PORT']}" \
        if role else ""
    log(f"stkeras tune: space={space}, tuner={algorithm}, task={task.name}, recipe={recipe}, up to {max_trials} trials "
        f"of {settings['epochs']} epoch(s) of {settings['train_clips']} clips of {'x'.join(map(str, input_shape[:3]))}; "
        f"objective {hypermodel.objective.name} ({hypermodel.objective.direction}){where}")
    tuner = make_tuner(hypermodel, algorithm=algorithm, max_trials=max_trials, epochs=settings["epochs"],
                       directory=out, project_name=PROJECT, seed=settings["seed"], log=log, verbose=int(verbose))
    if role != "worker":
        done = sum(str(t.status) == "COMPLETED" for t in tuner.oracle.trials.values())
        if tuner.oracle.trials:
            log(f"resuming the search in {os.path.join(out, PROJECT)}: {len(tuner.oracle.trials)} trial(s) started, "
                f"{done} completed")
    if role is None and trials_per_process is not None:
        tuner.trials_per_process = check_positive_int("trials_per_process", trials_per_process)
    timer = stop_after(tuner, max_time) if max_time is not None and role != "worker" else None
    try:
        # shuffle=False: the clips are a seeded random stream already (and Keras warns about datasets).
        tuner.search(train, validation_data=validation, epochs=settings["epochs"], steps_per_epoch=steps,
                     shuffle=False, verbose=int(verbose),
                     callbacks=[ProgressLines("  ", settings["epochs"], settings["train_clips"], task.metric),
                                *_tensorboard(out, tensorboard)])
    finally:
        if timer is not None:
            timer.cancel()
    if role != "worker":
        guard_search_state(os.path.join(out, PROJECT))  # good copies of the state files the search just wrote
    if role == "worker":
        log(f"worker {os.environ['KERASTUNER_TUNER_ID']}: no more trials; done")
        return None
    if tuner.restart:
        return None
    spread = None
    if seeds > 1 and tuner.oracle.get_best_trials(1):
        spread = seed_spread(out, tuner, hypermodel, validation, seeds, space, settings, task, num_segments, videos)
    return _report(out, tuner, hypermodel, task, test, space, algorithm, recipe, settings, max_trials, spread)


def _tensorboard(out, enabled):
    """Keras' TensorBoard callback, if `enabled`: keras-tuner gives each trial its own subfolder of `out/tensorboard`."""
    return [keras.callbacks.TensorBoard(os.path.join(out, "tensorboard"))] if enabled else []


def search_settings(space, task, recipe, size, videos, overrides):
    """`(task, settings)` of a search: the recipe's, or with `videos` the data's classes and video counts."""
    if videos is None:
        return get_task(task), resolve_settings(recipe, size, **overrides)
    from stkeras.experiments.train_videos import video_run

    if space == "heads":
        raise ValueError("The heads space samples frames of synthetic clips; search a user's videos with the "
                         "courtney or video_resnet space. Received: space='heads' with videos")
    if get_task(task).name != "digit":
        raise ValueError(f"On videos the task is the data's classes; `task` is for synthetic clips. Received: "
                         f"task={task!r}")
    settings, video_task, _, _ = video_run(**videos, recipe=recipe, **overrides)
    if size is not None:
        settings["model_size"] = resolve_settings(recipe, size)["model_size"]
    return video_task, settings


def _search_data(space, settings, task, num_segments, videos=None):
    """`(train, validation, test, input_shape)` of a search: whole clips, sampled frames for `"heads"`, or videos.

    On videos the held-out videos are both the trials' validation and the test of the best model.
    """
    if videos is not None:
        from stkeras.experiments.video_data import training_videos

        train, validation = training_videos(
            videos["data"], layout=videos.get("layout"), clip_length=settings["frames"],
            frame_step=videos.get("frame_step", 2), image_size=settings["size"], batch_size=settings["batch_size"],
            seed=settings["seed"], validation_split=videos.get("validation_split", 0.2))
        return train.repeat(), validation, validation, (settings["frames"], settings["size"], settings["size"], 3)
    if space == "heads":
        train, validation, test, frame_shape = segmented_clips(settings, task, num_segments)
        return train, validation, test, (num_segments, *frame_shape)
    train = clips(settings, task, "train")
    validation = clips(settings, task, "test", num_clips=settings["validation_clips"])
    test = clips(settings, task, "test")
    return train, validation, test, (settings["frames"], settings["size"], settings["size"], 1)


# A single trial's score lies outside the seed-to-seed spread of the best
# point when it is more than this many of its standard deviations away (about
# 5% two-sided for normally distributed scores).
SPREAD_DEVIATIONS = 2.0


def seed_spread(out, tuner, hypermodel, validation, seeds, space, settings, task, num_segments, videos=None):
    """Trains the best trial's hyperparameters with more seeds; its scores over seeds and whether trials differ.

    Seed `settings["seed"]` is the search's own trial; seeds `seed + 1 ...
    seed + seeds - 1` draw other initial weights and other training clips
    and are scored on the same held-out clips, at their best epoch as the
    trials are. Each seed's score is kept in `best_seeds.json` as soon as it
    is known, so an interrupted run retrains only the missing seeds.

    Returns:
        a dict: `trial_id`, `scores` (per seed), `mean`, `std` (sample),
        `trial_spread` (best minus worst completed trial's score, as a
        magnitude), `exceeds` (whether `trial_spread > SPREAD_DEVIATIONS *
        std`) and `rule`.
    """
    best = tuner.oracle.get_best_trials(1)[0]
    path, done = os.path.join(out, "best_seeds.json"), {}
    with contextlib.suppress(FileNotFoundError), open(path) as handle:
        done = json.load(handle)
    recorded = tuner.oracle.trials.get(done.get("trial_id"))
    if recorded is not None and recorded.score == best.score:
        best = recorded  # a tie: keep the trial whose seeds were trained
    if done.get("trial_id") != best.trial_id:
        done = {"trial_id": best.trial_id, "scores": {}}
    first = settings["seed"]
    done["scores"][str(first)] = float(best.score)
    objective = hypermodel.objective.name
    epochs = int(best.hyperparameters.values.get("tuner/epochs", settings["epochs"]))
    for seed in range(first + 1, first + seeds):
        if str(seed) in done["scores"]:
            continue
        log(f"best trial {best.trial_id} again with seed {seed}: {format_values(active_values(best.hyperparameters))}")
        seeded = dict(settings, seed=seed)
        train = _search_data(space, seeded, task, num_segments, videos)[0]
        hypermodel.seed = seed
        try:
            model = hypermodel.build(best.hyperparameters)
            logs = hypermodel.fit(best.hyperparameters, model, train, validation_data=validation, epochs=epochs,
                                  steps_per_epoch=steps_per_epoch(settings), shuffle=False, verbose=0,
                                  callbacks=[ProgressLines(f"  seed {seed}", epochs, settings["train_clips"],
                                                           task.metric)])
        finally:
            hypermodel.seed = first
        done["scores"][str(seed)] = logs[objective]
        write_text_atomically(path, json.dumps(done, indent=2))
        fresh_session()
    scores = [done["scores"][str(s)] for s in range(first, first + seeds)]
    completed = [t.score for t in tuner.oracle.trials.values() if str(t.status) == "COMPLETED" and t.score is not None]
    std = float(np.std(scores, ddof=1))
    trial_spread = float(max(completed) - min(completed))
    return {
        "trial_id": best.trial_id, "scores": [{"seed": s, "score": x} for s, x in zip(range(first, first + seeds), scores)],
        "mean": float(np.mean(scores)), "std": std, "trial_spread": trial_spread,
        "exceeds": bool(trial_spread > SPREAD_DEVIATIONS * std),
        "rule": f"best minus worst trial > {SPREAD_DEVIATIONS:g} x the best point's seed standard deviation",
    }


def _report(out, tuner, hypermodel, task, test, space, algorithm, recipe, settings, max_trials, spread=None):
    records = trial_records(tuner.oracle)
    scored = [r for r in records if r["score"] is not None and "macs" in r]
    front = pareto_front([(r["macs"], r["score"]) for r in scored], task.better)
    results = {
        "space": space, "algorithm": algorithm, "task": task.name, "metric": task.metric,
        "objective": hypermodel.objective.name, "recipe": recipe, "settings": jsonable(settings),
        "max_trials": max_trials, "trials": records, "pareto_front": [scored[i]["trial_id"] for i in front],
        "best": None, "seed_spread": spread,
    }
    best_trials = [tuner.oracle.trials[spread["trial_id"]]] if spread else tuner.oracle.get_best_trials(1)
    if best_trials:
        best = best_trials[0]
        with warnings.catch_warnings():
            # keras-tuner loads the trial's weights into a freshly compiled model: its optimizer state is new.
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            model = tuner.load_model(best)
        path = os.path.join(out, "best.keras")
        save_model_atomically(model, path)
        scores = model.evaluate(test, verbose=0, return_dict=True)
        results["best"] = {"trial_id": best.trial_id, "score": float(best.score), f"test_{task.metric}":
                           float(scores[task.metric]), "model": "best.keras"}
        fresh_session()
    plot_pareto([(r["macs"], r["score"]) for r in scored], front, os.path.join(out, "pareto.png"),
                score_label=hypermodel.objective.name, labels=[r["trial_id"] for r in scored],
                title=f"{space} search: {len(scored)} trials")
    write_results(out, "trials", results, format_trials(results))
    if results["best"]:
        best = results["best"]
        log(f"best trial {best['trial_id']}: {results['objective']} {best['score']:.4g}, test {task.metric} "
            f"{best[f'test_{task.metric}']:.4g}; wrote {out}/trials.md, trials.json, pareto.png, best.keras")
    else:
        log(f"no trial completed; wrote {out}/trials.md and trials.json")
    return results


def format_trials(results):
    """The trials table of a search as markdown."""
    front = set(results["pareto_front"])
    lines = [
        f"# `{results['space']}` search ({results['algorithm']}), task {results['task']}",
        "",
        f"Objective: `{results['objective']}` at the best epoch of each trial. Recipe `{results['recipe']}`, "
        f"{results['settings']['epochs']} epoch(s) of {results['settings']['train_clips']} clips. "
        "P: on the Pareto front of score against multiply-accumulates.",
        "",
        "| trial | status | score | parameters | MMACs per clip | training (s) | resident (MB) | hyperparameters |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in results["trials"]:
        score = "" if r["score"] is None else f"{r['score']:.4f}"
        cells = [
            f"{r['trial_id']}{' P' if r['trial_id'] in front else ''}", r["status"].lower(), score,
            f"{r['parameters']:,}" if "parameters" in r else "", f"{r['macs'] / 1e6:,.1f}" if "macs" in r else "",
            f"{r['training_seconds']:.0f}" if "training_seconds" in r else "",
            f"{r['resident_mb']:,.0f}" if "resident_mb" in r else "",
            format_values(r["hyperparameters"]) + (f" — {r['message']}" if "message" in r else ""),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if results["best"]:
        best = results["best"]
        metric = results["metric"]
        lines += ["", f"Best: trial {best['trial_id']}, {results['objective']} {best['score']:.4f}, test {metric} "
                      f"{best[f'test_{metric}']:.4f} (`{best['model']}`)."]
    spread = results.get("seed_spread")
    if spread:
        scores = ", ".join(f"seed {r['seed']}: {r['score']:.4f}" for r in spread["scores"])
        verdict = "exceeds" if spread["exceeds"] else "does not exceed"
        lines += ["", f"Seed spread: trial {spread['trial_id']}'s hyperparameters over {len(spread['scores'])} seeds "
                      f"(other weights and training clips, the same held-out clips) score {spread['mean']:.4f} ± "
                      f"{spread['std']:.4f} ({scores}). The spread between the best and the worst trial, "
                      f"{spread['trial_spread']:.4f}, {verdict} the seed spread (rule: {spread['rule']})."]
    return "\n".join(lines) + "\n"
