"""Temporal controls over several seeds: each control's mean and spread, and a verdict that holds over the seeds.

Each seed is another training (other clips, other initial weights) or
another draw of the random controls. `combine_control_seeds` takes one
summary per seed (`ControlScores.summary()` or `training_controls`) and
gives each control's mean, standard deviation and change, with the verdict
of `SEED_RULE`: Welch's t-test on the per-seed scores where there are
several seeds, the paired test over clips where there is one (or where no
side varies over the seeds: the same clips under a deterministic control
measure the same thing every time). Each seed's own paired verdict is kept
beside it.

Example:
>>> seeds = [{"seed": s, "better": "higher", "rule": "...", "test": "McNemar's exact test", "unperturbed": u,
...           "unperturbed_chance": 0.17, "unperturbed_chance_p_value": 0.001, "unperturbed_vs_chance": "above chance",
...           "controls": {"shuffled": {"score": c, "change": c - u, "p_value": 0.001, "verdict": "worse",
...                                     "chance": 0.17, "chance_p_value": 0.6, "vs_chance": "at chance"}}}
...          for s, u, c in ((0, 0.91, 0.17), (1, 0.93, 0.16), (2, 0.90, 0.18))]
>>> combined = combine_control_seeds(seeds)["controls"]["shuffled"]
>>> combined["verdict"], combined["test"], combined["seed_verdicts"], combined["vs_chance"]
('worse', "Welch's t-test", ['worse', 'worse', 'worse'], 'at chance')
"""

import numpy as np

from stkeras.analysis.significance import ALPHA
from stkeras.analysis.significance import CHANCE_TEST
from stkeras.analysis.significance import SEED_TEST
from stkeras.analysis.significance import verdict
from stkeras.analysis.significance import welch_test
from stkeras.analysis.temporal_controls import chance_words

SEED_RULE = (f"over several seeds, {SEED_TEST} on the per-seed scores, two-sided, p < {ALPHA}; with one seed, or "
             "where neither side varies over the seeds, the paired test over the clips of the first seed")


def _spread(values):
    values = np.asarray(values, np.float64)
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def seed_verdict(scores, references, first, better):
    """The verdict of `SEED_RULE` for side a (`scores`) against side b (`references`), one score per seed.

    Args:
        scores, references: per-seed scores of the two sides.
        first: the first seed's test over clips, a dict with `difference`,
            `p_value` and `test`.
        better: `"higher"` or `"lower"`.

    Returns:
        a dict: `test`, `p_value`, `verdict` (`"worse"`, `"better"` or
        `"no significant change"`).
    """
    a, b = np.asarray(scores, np.float64), np.asarray(references, np.float64)
    if len(a) >= 2 and (a.std() > 0 or b.std() > 0):
        test = welch_test(a, b, better)
        return {"test": SEED_TEST, "p_value": test["p_value"],
                "verdict": verdict(test["difference"], test["p_value"], better)}
    return {"test": first["test"], "p_value": first["p_value"],
            "verdict": verdict(first["difference"], first["p_value"], better)}


def combine_control_seeds(summaries, reference="unperturbed"):
    """One summary of a control analysis repeated over seeds.

    Args:
        summaries: one dict per seed (`ControlScores.summary()` or
            `training_controls`), each with `seed`, `better`, `rule`, `test`,
            the reference score under `reference` (with `<reference>_chance`,
            `<reference>_chance_p_value`) and `controls`: per control `score`,
            `change`, `p_value`, `verdict`, `chance`, `chance_p_value`, `vs_chance`.
        reference: the key of the score the controls are compared with:
            `"unperturbed"` (test-time controls) or `"ordered"` (models trained
            on controlled clips against the one trained on ordered clips).

    Returns:
        a JSON-able dict: `seeds`, `rule`, `seed_rule`, `better`, `test`, the
        reference's `{"mean", "std", "scores", "vs_chance"}`, and per control
        `score` (the mean), `std`, `scores`, `change`, `p_value` and `test`
        (of the verdict), `verdict`, `seed_verdicts`, `chance` (the mean),
        `vs_chance` and `seed_vs_chance`.
    """
    if not summaries:
        raise ValueError("`summaries` must hold one summary per seed; received none.")
    first, better = summaries[0], summaries[0]["better"]
    references = [s[reference] for s in summaries]
    chances = [s[f"{reference}_chance"] for s in summaries]
    against = seed_verdict(references, chances, {"difference": references[0] - chances[0],
                                                 "p_value": first[f"{reference}_chance_p_value"],
                                                 "test": CHANCE_TEST}, better)
    mean, std = _spread(references)
    result = {"seeds": [s["seed"] for s in summaries], "rule": first["rule"], "seed_rule": SEED_RULE,
              "better": better, reference: {"mean": mean, "std": std, "scores": references,
                                            "chance": _spread(chances)[0], "vs_chance": chance_words(against["verdict"]),
                                            "seed_vs_chance": [s[f"{reference}_vs_chance"] for s in summaries]}}
    for key in ("task", "metric", "num_clips", "test"):
        if key in first:
            result[key] = first[key]
    result["controls"] = {}
    for name in first["controls"]:
        rows = [s["controls"][name] for s in summaries]
        scores, chances = [row["score"] for row in rows], [row["chance"] for row in rows]
        mean, std = _spread(scores)
        decided = seed_verdict(scores, references, {"difference": rows[0]["change"], "p_value": rows[0]["p_value"],
                                                    "test": first["test"]}, better)
        against = seed_verdict(scores, chances, {"difference": scores[0] - chances[0],
                                                 "p_value": rows[0]["chance_p_value"], "test": CHANCE_TEST}, better)
        combined = {"score": mean, "std": std, "scores": scores, "change": mean - result[reference]["mean"],
                    **decided, "seed_verdicts": [row["verdict"] for row in rows], "chance": _spread(chances)[0],
                    "vs_chance": chance_words(against["verdict"]), "chance_test": against["test"],
                    "chance_p_value": against["p_value"], "seed_vs_chance": [row["vs_chance"] for row in rows]}
        if "unperturbed_score" in rows[0]:
            combined["unperturbed_score"] = _spread([row["unperturbed_score"] for row in rows])[0]
        result["controls"][name] = combined
    return result
