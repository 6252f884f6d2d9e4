"""The applications the command line runs, sharing settings, datasets and reporting.

- `settings`: run recipes (clips and training settings) and the overrides users may pass (the CLI's options).
- `data`: the quadrant-blink datasets of a run.
- `models`: the models a run trains, by name (`trainable_names()`: every preset).
- `training`: seeds, the training recipe and progress lines of one model.
- `paper`: Courtney & Sreenivas 2022's Table 5, printed beside a run's results.
- `report`: terminal lines and `results.md`.
- `compare`: `run_compare`, the main job.
- `train`: `run_train`, one model of any family, resumably.
- `tune`: `run_tune`, a keras-tuner search over a temporal design space.
"""

from stkeras.experiments.compare import run_compare
from stkeras.experiments.models import MODEL_NAMES
from stkeras.experiments.models import trainable_names
from stkeras.experiments.models import build_trainable
from stkeras.experiments.models import build_model
from stkeras.experiments.settings import RECIPES
from stkeras.experiments.settings import list_recipes
from stkeras.experiments.settings import OVERRIDES
from stkeras.experiments.settings import resolve_settings
from stkeras.experiments.training import seed_everything
from stkeras.experiments.training import train_model
from stkeras.experiments.train import run_train
from stkeras.experiments.tune import run_tune
