"""The applications the command line runs, each a plan and a run over one `RunData`.

Every command is `plan_<command>(**options)`, which resolves the task, the
data, the models and the recipe once and checks everything (nothing trains;
each model is built once, the data listed once), then `run_<command>(plan)`,
which does the work with what the plan resolved. `APPLICATIONS` maps each
command of `stkeras` to its pair.

- `run_data`: `RunData`, quadrant-blink clips of a recipe or a user's videos.
- `run_models`: the presets a run builds, the pre-flight memory check, the
  trained models' preset folders.
- `saved_models`: a trained model's preset folder as the input of
  `evaluate`, `explain` and `sensitivity`.
- `fitting`: seeds, the recipe's optimizer and the resumable training of one model.
- `compare`, `train`, `evaluate`, `explanations` (`explain`), `tune`,
  `sensitivity`, `tables` (`rf`, `heads`, `presets`): the applications.
- `report`, `paper`, `seeds`, `run_folder`, `run_setup`, `head_costs`: what
  they share.
"""

from stkeras.experiments.compare import plan_compare
from stkeras.experiments.compare import run_compare
from stkeras.experiments.evaluate import plan_evaluate
from stkeras.experiments.evaluate import run_evaluate
from stkeras.experiments.explanations import plan_explain
from stkeras.experiments.explanations import run_explain
from stkeras.experiments.fitting import seed_everything
from stkeras.experiments.fitting import train_model
from stkeras.experiments.run_data import RunData
from stkeras.experiments.run_data import SyntheticData
from stkeras.experiments.run_data import VideoData
from stkeras.experiments.run_data import synthetic_data
from stkeras.experiments.run_data import video_data
from stkeras.experiments.sensitivity import plan_sensitivity
from stkeras.experiments.sensitivity import run_sensitivity
from stkeras.experiments.tables import plan_heads
from stkeras.experiments.tables import plan_presets
from stkeras.experiments.tables import plan_rf
from stkeras.experiments.tables import run_heads
from stkeras.experiments.tables import run_presets
from stkeras.experiments.tables import run_rf
from stkeras.experiments.train import plan_train
from stkeras.experiments.train import run_train
from stkeras.experiments.tune import plan_tune
from stkeras.experiments.tune import run_tune

# Each command of `stkeras`: (plan, run).
APPLICATIONS = {
    "compare": (plan_compare, run_compare),
    "train": (plan_train, run_train),
    "evaluate": (plan_evaluate, run_evaluate),
    "explain": (plan_explain, run_explain),
    "tune": (plan_tune, run_tune),
    "sensitivity": (plan_sensitivity, run_sensitivity),
    "rf": (plan_rf, run_rf),
    "heads": (plan_heads, run_heads),
    "presets": (plan_presets, run_presets),
}
