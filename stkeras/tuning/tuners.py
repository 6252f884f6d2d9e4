"""keras-tuner's tuners for stkeras' spaces: progress lines per trial and a time budget.

`make_tuner` creates keras-tuner's own `Hyperband`, `BayesianOptimization`
or `RandomSearch` (with a progress line at the start and end of every
trial); the search, its state on disk, resuming and distributed tuning are
keras-tuner's.
"""

import os
import threading

import keras_tuner

from stkeras.tuning.hypermodel import COST_METRICS
from stkeras.tuning.search_state import guard_search_state
from stkeras.validation import check_choice
from stkeras.validation import check_positive_int

ALGORITHMS = {
    "hyperband": keras_tuner.Hyperband,
    "bayesian": keras_tuner.BayesianOptimization,
    "random": keras_tuner.RandomSearch,
}


class TrialProgress:
    """Mixin of a keras-tuner tuner: one line when a trial starts and one when it ends.

    `log` (a callable taking a line; default `print`) is set by `make_tuner`.
    With `trials_per_process` set, the tuner stops asking for trials after
    that many ended in this process and sets `restart` (see
    `stkeras.experiments.run_tune`).
    """

    log = print
    trials_per_process = None
    trials_ended = 0
    restart = False

    def on_trial_begin(self, trial):
        super().on_trial_begin(trial)
        worker = f" on {self.tuner_id}" if os.environ.get("KERASTUNER_ORACLE_IP") else ""
        self.log(f"trial {trial.trial_id}{worker}: {format_values(active_values(trial.hyperparameters))}")

    def on_trial_end(self, trial):
        super().on_trial_end(trial)
        self.trials_ended += 1
        oracle = self.oracle
        if self.trials_per_process and self.trials_ended >= self.trials_per_process and hasattr(oracle, "max_trials"):
            if oracle.max_trials is None or len(oracle.trials) < oracle.max_trials:
                oracle.max_trials, self.restart = len(oracle.trials), True
        ended = oracle.get_trial(trial.trial_id)
        status = str(ended.status).lower()
        if ended.score is None:
            reason = (ended.message or "").strip().splitlines()[-1:] or ["no score"]
            self.log(f"trial {trial.trial_id} {status}: {reason[0]}")
            return
        costs = {name: ended.metrics.get_last_value(name) for name in COST_METRICS if ended.metrics.exists(name)}
        self.log(f"trial {trial.trial_id} {status}: {self.oracle.objective.name} {ended.score:.4g}, "
                 f"{costs.get('parameters', 0):,.0f} parameters, {costs.get('macs', 0) / 1e6:,.1f} MMACs, "
                 f"{costs.get('training_seconds', 0):.0f} s, {costs.get('resident_mb', 0):,.0f} MB resident")


_CLASSES = {name: type(cls.__name__, (TrialProgress, cls), {}) for name, cls in ALGORITHMS.items()}


def make_tuner(hypermodel, *, algorithm="random", max_trials=10, epochs=3, directory, project_name="search", seed=0,
               overwrite=False, max_consecutive_failed_trials=5, log=print, verbose=0):
    """keras-tuner's tuner for a stkeras hypermodel, reloading the search in `directory` if there is one.

    Args:
        hypermodel: a `stkeras.tuning.TemporalHyperModel`.
        algorithm: `"hyperband"`, `"bayesian"` or `"random"`.
        max_trials: trials in all (a reloaded search with a larger number
            runs more trials). With Hyperband, a cap on its brackets' trials.
        epochs: Hyperband's `max_epochs` (the others train for the epochs
            given to `search`).
        directory, project_name: where keras-tuner keeps the search.
        seed: the oracle's seed.
        overwrite: start afresh instead of reloading (keras-tuner's).
        max_consecutive_failed_trials: failed trials in a row that stop the
            search (keras-tuner's).
        log: callable receiving the progress lines.
        verbose: keras-tuner's own display (0: stkeras' lines only).

    Returns:
        the tuner.

    Example:
    >>> from stkeras.tuning import CourtneyHyperModel
    >>> tuner = make_tuner(CourtneyHyperModel(input_shape=(4, 16, 16, 1)), max_trials=2,
    ...                    directory="/tmp/doctest_search", overwrite=True)  # doctest: +SKIP
    """
    check_choice("algorithm", algorithm, tuple(ALGORITHMS))
    max_trials = check_positive_int("max_trials", max_trials)
    epochs = check_positive_int("epochs", epochs)
    # Only the chief (or a lone process) owns the state files; a worker reading them mid-write must not "repair" them.
    if not overwrite and os.environ.get("KERASTUNER_TUNER_ID", "chief") == "chief":
        guard_search_state(os.path.join(directory, project_name))
    common = dict(objective=hypermodel.objective, seed=seed, directory=directory, project_name=project_name,
                  overwrite=overwrite, max_consecutive_failed_trials=max_consecutive_failed_trials)
    if algorithm == "hyperband":
        tuner = _CLASSES[algorithm](hypermodel, max_epochs=max(epochs, 2), **common)
    else:
        tuner = _CLASSES[algorithm](hypermodel, max_trials=max_trials, **common)
    tuner.oracle.max_trials = max_trials  # not part of the saved state: a rerun may raise it
    tuner.oracle.verbose = verbose
    tuner.log = log
    return tuner


def stop_after(tuner, seconds):
    """Stops the search from starting new trials `seconds` from now; returns the timer (cancel it when done).

    The running trials finish; the oracle then answers every request for a
    trial with "stopped" (it is the oracle that decides, so this works on
    a chief as in one process).
    """

    def stop():
        oracle = tuner.oracle
        oracle.max_trials = min(oracle.max_trials or len(oracle.trials), len(oracle.trials))
        tuner.log(f"time budget of {seconds:g} s reached: no new trials")

    timer = threading.Timer(seconds, stop)
    timer.daemon = True
    timer.start()
    return timer


def active_values(hp):
    """The values of a point's active hyperparameters (keras-tuner's own `tuner/*` ones left out)."""
    return {name: value for name, value in hp.values.items()
            if not name.startswith("tuner/") and hp.is_active(name)}


def format_values(values):
    """`name=value` pairs, short, for progress lines and tables.

    Example:
    >>> format_values({"res1_op": "conv3d", "learning_rate": 0.0031234})
    'res1_op=conv3d learning_rate=0.00312'
    """
    return " ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items())
