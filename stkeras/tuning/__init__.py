"""Keras Tuner searches over temporal design.

keras-tuner `HyperModel`s whose search spaces are the temporal decisions
the seed papers study, declared from stkeras' registries of ops and heads:

- `CourtneyHyperModel` (`"courtney"`): Courtney & Sreenivas 2022's residual networks, the op,
  temporal kernel and temporal stride of every stage, where time is first
  mixed, width and head.
- `VideoResNetHyperModel` (`"video_resnet"`): Tran et al. 2018's video ResNets;
  R2D, MCx, rMCx, R3D and R(2+1)D are points of the space.
- `FrameModelHyperModel` (`"heads"`): Köpüklü et al.'s frame models, backbone
  width by temporal head.

`make_tuner` gives keras-tuner's Hyperband, Bayesian or random search over
one of them; `stkeras tune` (`stkeras.experiments.run_tune`) runs it.
"""

from stkeras.tuning.courtney import CourtneyHyperModel
from stkeras.tuning.frame_model import FrameModelHyperModel
from stkeras.tuning.hypermodel import COST_METRICS
from stkeras.tuning.hypermodel import TemporalHyperModel
from stkeras.tuning.stages import Stage
from stkeras.tuning.stages import declare_stages
from stkeras.tuning.stages import searchable_ops
from stkeras.tuning.trials import pareto_front
from stkeras.tuning.trials import trial_records
from stkeras.tuning.tuners import ALGORITHMS
from stkeras.tuning.tuners import make_tuner
from stkeras.tuning.tuners import stop_after
from stkeras.tuning.video_resnet import VideoResNetHyperModel

# The spaces by the name `stkeras tune --space` takes.
SPACES = {
    "courtney": CourtneyHyperModel,
    "video_resnet": VideoResNetHyperModel,
    "heads": FrameModelHyperModel,
}
