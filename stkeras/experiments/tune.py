"""`stkeras tune`: a keras-tuner search over a temporal design space, on the run's data.

One implementation over the run's data (`RunData`): quadrant-blink clips of a
recipe, sampled frames of them (`segments`, the heads space), or a user's
videos. Writes to the run folder: keras-tuner's own search state (`search/`,
which a rerun of the same command resumes), `trials.md` and `trials.json`
(every trial's hyperparameters, score, parameters, multiply-accumulates,
training time, resident memory and status), `pareto.png` (score against
cost, the Pareto front marked) and the best trial's model as a preset folder,
`best/` (with `model.keras`).

TensorFlow keeps the graphs of every finished `fit` in memory
(tensorflow/tensorflow#61791), about 50-150 MB per trial here, so a search
started from the command line continues in a new process after every
`trials_per_process` trials (`run_tune` replaces the process with the same
command, which resumes the search).

Example:
>>> results = run_tune(plan_tune(out="runs/search", space="courtney", max_trials=20))  # doctest: +SKIP
"""

import contextlib
import dataclasses
import json
import os
import socket
import sys
import time
import warnings

import keras
import numpy as np

from stkeras.atomic_files import write_text_atomically
from stkeras.experiments.compare import make_data
from stkeras.experiments.fitting import ProgressLines
from stkeras.experiments.fitting import seed_everything
from stkeras.experiments.report import log
from stkeras.experiments.report import write_results
from stkeras.experiments.run_folder import check_run_folder
from stkeras.experiments.run_folder import claim_run_folder
from stkeras.experiments.run_setup import run_record
from stkeras.experiments.run_setup import set_precision
from stkeras.models.preset_folder import save_preset
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
BEST = "best"
# The environment variable that carries a search's start across the processes that continue it.
STARTED = "STKERAS_TUNE_STARTED"
# Frames sampled per clip in the heads space when `segments` is not given.
DEFAULT_SEGMENTS = 8


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


@dataclasses.dataclass
class TunePlan:
    """What `run_tune` does, resolved and checked: the data, the space's hypermodel (made once), the search.

    Attributes:
        out: the run folder, shared by a distributed search's chief and workers.
        data: the `RunData` the trials train and are scored on.
        space, algorithm, max_trials, max_time, seeds, trials_per_process:
            the search (see `plan_tune`).
        hypermodel: the space's `TemporalHyperModel`.
        role: `"chief"`, `"worker"` or `None`.
        record: the run's settings (`settings.json`).
        started: when the search started (`time.time()`), across restarts.
        restart_argv: the command line a new process continues the search
            with (`None`: continue in this process).
        overwrite, verbose, tensorboard: how the run goes.
    """

    out: str
    data: object
    space: str
    algorithm: str
    max_trials: int
    max_time: float
    seeds: int
    trials_per_process: int
    hypermodel: object
    role: str
    record: dict
    started: float
    restart_argv: list = None
    overwrite: bool = False
    verbose: bool = False
    tensorboard: bool = False


def plan_tune(*, out, space="courtney", tuner="random", max_trials=10, max_time=None, ops=None, heads=None,
              width_multipliers=None, depth=10, width="base", segments=None, seeds=1, trials_per_process=None,
              task=None, recipe="blink16_12k", data=None, layout=None, validation_split=0.2, frame_size=None,
              frame_step=2, oracle=None, role=None, tuner_id=None, tensorboard=False, mixed_precision=False,
              overwrite=False, verbose=False, restart_argv=None, **overrides):
    """Resolves the data once and makes the space's hypermodel once; checks everything. Nothing trains.

    Running a plan of the same `out` again continues the search (keras-tuner
    reloads it; an interrupted trial runs again); a larger `max_trials`
    adds trials.

    Args:
        out: run folder, shared by the chief and the workers of a
            distributed search.
        space: `"courtney"`, `"video_resnet"` or `"heads"` (`stkeras.tuning.SPACES`).
        tuner: keras-tuner's algorithm: `"hyperband"`, `"bayesian"` or `"random"`.
        max_trials: trials in all.
        max_time: seconds after which no new trial starts (`None`: no
            limit), counted from the search's start (across the processes
            that continue it), on the chief in a distributed search.
        ops, heads, width_multipliers: what the space searches (default:
            all its ops, every clip head, 1 and 0.5).
        depth: the `"video_resnet"` space's depth.
        width: the `"courtney"` space's width (`"base"` or `"xl"`).
        segments: frames sampled per clip (the `"heads"` space's frame
            models; default 8 there), or `None`.
        seeds: after the search, the best trial's hyperparameters are
            trained again with `seeds - 1` more seeds (other weights and
            training clips, the same held-out clips), and the report says
            whether the spread between the best and the worst trial exceeds
            this seed-to-seed spread (`seed_spread`). 1: no reruns.
        trials_per_process: continue in a new process after this many
            trials (with `restart_argv`; else in this one); `None`: never.
        task, recipe, data, layout, validation_split, frame_size,
            frame_step, **overrides: the run's data (as `plan_compare`'s);
            `epochs` is a trial's training epochs (Hyperband's most).
        oracle, role, tuner_id: distributed search through keras-tuner's
            chief/worker mode (see `distributed_environment`).
        tensorboard: also log every trial's epochs for TensorBoard, in
            `out/tensorboard/<trial id>`.
        mixed_precision: train the trials under mixed precision.
        overwrite: delete a run with other settings in `out`.
        verbose: also keras-tuner's display and Keras' progress bars.
        restart_argv: the `stkeras` command line to continue the search in a
            new process with (the command line passes its own).

    Returns:
        a `TunePlan` for `run_tune`.
    """
    check_choice("space", space, tuple(SPACES))
    check_choice("tuner", tuner, tuple(ALGORITHMS))
    max_trials = check_positive_int("max_trials", max_trials)
    seeds = check_positive_int("seeds", seeds)
    check_positive_int("trials_per_process", trials_per_process, allow_none=True)
    if max_time is not None and (isinstance(max_time, bool) or not isinstance(max_time, (int, float)) or max_time <= 0):
        raise ValueError(f"`max_time` must be a number of seconds > 0 or None. Received: max_time={max_time!r}")
    if space == "heads":
        segments = DEFAULT_SEGMENTS if segments is None else segments
    set_precision(mixed_precision)
    run_data = make_data(task=task, recipe=recipe, segments=segments, data=data, layout=layout,
                         validation_split=validation_split, frame_size=frame_size, frame_step=frame_step, **overrides)
    role = distributed_environment(oracle, role, tuner_id)
    options = {key: value for key, value in dict(ops=ops, heads=heads, width_multipliers=width_multipliers).items()
               if value is not None}
    if space == "video_resnet":
        options["depth"] = depth
    if space == "courtney":
        options["width"] = width
    settings = run_data.settings
    hypermodel = SPACES[space](input_shape=run_data.input_shape, task=run_data.task,
                               total_steps=run_data.steps_per_epoch * settings["epochs"],
                               default_learning_rate=settings["learning_rate"],
                               warmup_fraction=settings["warmup_fraction"], seed=settings["seed"], **options)
    record = run_record("tune", dict(space=space, tuner=tuner, ops=ops, heads=heads,
                                     width_multipliers=width_multipliers, depth=depth, width=width, segments=segments,
                                     seeds=seeds, task=task, recipe=recipe,
                                     data=None if data is None else os.fspath(data), layout=layout,
                                     validation_split=validation_split, frame_size=frame_size, frame_step=frame_step,
                                     mixed_precision=mixed_precision), settings)
    check_run_folder(out, record, overwrite=overwrite)
    started = float(os.environ.get(STARTED, time.time()))
    return TunePlan(os.fspath(out), run_data, space, tuner, max_trials, max_time, seeds, trials_per_process,
                    hypermodel, role, record, started, restart_argv, overwrite=overwrite, verbose=verbose,
                    tensorboard=tensorboard)


def run_tune(plan):
    """Runs the search; writes the trials table, Pareto plot and best model's preset folder.

    After every `plan.trials_per_process` trials the search continues: in a
    new process started with `plan.restart_argv` (this process is replaced),
    or in this one.

    Returns:
        the results dict written to `trials.json` (`None` on a worker).
    """
    claim_run_folder(plan.out, plan.record, overwrite=plan.overwrite)
    while True:
        results = search(plan)
        if results is not None or plan.role or os.environ.get("KERASTUNER_ORACLE_IP"):
            return results
        log(f"restarting to free the memory TensorFlow keeps ({plan.trials_per_process} trial(s) per process)")
        if plan.restart_argv is not None:  # a new process image continues the search
            sys.stdout.flush()
            os.environ[STARTED] = repr(plan.started)
            os.execv(sys.executable, [sys.executable, "-m", "stkeras", *plan.restart_argv])


def search(plan):
    """One process' part of the search: up to `trials_per_process` trials, then the report if it is finished.

    Returns:
        the results dict written to `trials.json`; `None` on a worker, or
        when `trials_per_process` trials ended and more remain.
    """
    data, hypermodel, role, out = plan.data, plan.hypermodel, plan.role, plan.out
    settings, task = data.settings, data.task
    seed = settings["seed"]
    seed_everything(seed)
    max_time = None if plan.max_time is None else max(plan.max_time - (time.time() - plan.started), 1e-3)
    os.makedirs(out, exist_ok=True)
    where = f" as {role} of the oracle at {os.environ['KERASTUNER_ORACLE_IP']}:{os.environ['KERASTUNER_ORACLE_PORT']}" \
        if role else ""
    log(f"stkeras tune: space={plan.space}, tuner={plan.algorithm}, up to {plan.max_trials} trials of "
        f"{settings['epochs']} epoch(s) on {data.describe()}; objective {hypermodel.objective.name} "
        f"({hypermodel.objective.direction}){where}")
    tuner = make_tuner(hypermodel, algorithm=plan.algorithm, max_trials=plan.max_trials, epochs=settings["epochs"],
                       directory=out, project_name=PROJECT, seed=seed, log=log, verbose=int(plan.verbose))
    if role != "worker":
        done = sum(str(t.status) == "COMPLETED" for t in tuner.oracle.trials.values())
        if tuner.oracle.trials:
            log(f"resuming the search in {os.path.join(out, PROJECT)}: {len(tuner.oracle.trials)} trial(s) started, "
                f"{done} completed")
    if role is None and plan.trials_per_process is not None:
        tuner.trials_per_process = plan.trials_per_process
    timer = stop_after(tuner, max_time) if max_time is not None and role != "worker" else None
    validation = data.validation(seed)
    try:
        # shuffle=False: the clips are a seeded random stream already (and Keras warns about datasets).
        tuner.search(data.train(seed), validation_data=validation, epochs=settings["epochs"],
                     steps_per_epoch=data.steps_per_epoch, shuffle=False, verbose=int(plan.verbose),
                     callbacks=[ProgressLines("  ", settings["epochs"], settings["train_clips"], task.metric),
                                *_tensorboard(out, plan.tensorboard)])
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
    if plan.seeds > 1 and tuner.oracle.get_best_trials(1):
        spread = seed_spread(plan, tuner, validation)
    return _report(plan, tuner, spread)


def _tensorboard(out, enabled):
    """Keras' TensorBoard callback, if `enabled`: keras-tuner gives each trial its own subfolder of `out/tensorboard`."""
    return [keras.callbacks.TensorBoard(os.path.join(out, "tensorboard"))] if enabled else []


# A single trial's score lies outside the seed-to-seed spread of the best
# point when it is more than this many of its standard deviations away (about
# 5% two-sided for normally distributed scores).
SPREAD_DEVIATIONS = 2.0


def seed_spread(plan, tuner, validation):
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
    data, hypermodel, seeds = plan.data, plan.hypermodel, plan.seeds
    settings, task = data.settings, data.task
    best = tuner.oracle.get_best_trials(1)[0]
    path, done = os.path.join(plan.out, "best_seeds.json"), {}
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
        train = data.train(seed)
        hypermodel.seed = seed
        try:
            model = hypermodel.build(best.hyperparameters)
            logs = hypermodel.fit(best.hyperparameters, model, train, validation_data=validation, epochs=epochs,
                                  steps_per_epoch=data.steps_per_epoch, shuffle=False, verbose=0,
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


def _report(plan, tuner, spread=None):
    data, hypermodel, out = plan.data, plan.hypermodel, plan.out
    task, settings = data.task, data.settings
    records = trial_records(tuner.oracle)
    scored = [r for r in records if r["score"] is not None and "macs" in r]
    front = pareto_front([(r["macs"], r["score"]) for r in scored], task.better)
    results = {
        "space": plan.space, "algorithm": plan.algorithm, "task": task.name, "metric": task.metric,
        "objective": hypermodel.objective.name, "recipe": data.recipe, "data": data.source(),
        "settings": {k: list(v) if isinstance(v, (tuple, range)) else v for k, v in settings.items()},
        "max_trials": plan.max_trials, "trials": records, "pareto_front": [scored[i]["trial_id"] for i in front],
        "best": None, "seed_spread": spread,
    }
    best_trials = [tuner.oracle.trials[spread["trial_id"]]] if spread else tuner.oracle.get_best_trials(1)
    if best_trials:
        best = best_trials[0]
        with warnings.catch_warnings():
            # keras-tuner loads the trial's weights into a freshly compiled model: its optimizer state is new.
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            model = tuner.load_model(best)
        save_preset(model, os.path.join(out, BEST), class_names=data.class_names, preprocessing=data.preprocessing,
                    recipe=data.record(), keras_file=True)
        scores = model.evaluate(data.test(settings["seed"]), verbose=0, return_dict=True)
        results["best"] = {"trial_id": best.trial_id, "score": float(best.score), f"test_{task.metric}":
                           float(scores[task.metric]), "model": f"{BEST}/"}
        fresh_session()
    plot_pareto([(r["macs"], r["score"]) for r in scored], front, os.path.join(out, "pareto.png"),
                score_label=hypermodel.objective.name, labels=[r["trial_id"] for r in scored],
                title=f"{plan.space} search: {len(scored)} trials")
    write_results(out, "trials", results, format_trials(results))
    if results["best"]:
        best = results["best"]
        log(f"best trial {best['trial_id']}: {results['objective']} {best['score']:.4g}, test {task.metric} "
            f"{best[f'test_{task.metric}']:.4g}; wrote {out}/trials.md, trials.json, pareto.png and the best model's preset "
            f"folder {out}/{BEST}/")
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
