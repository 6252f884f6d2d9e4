"""Training helpers: task losses and baselines, resumable fitting, atoms and ITSL, bidirectional training, tf.distribute."""

from stkeras.training.atomic import save_model_atomically
from stkeras.training.atoms import freeze_atoms
from stkeras.training.atoms import set_atom_dilation
from stkeras.training.backups import CheckpointWarning
from stkeras.training.backups import EpochBackups
from stkeras.training.backups import restore_backup
from stkeras.training.bidirectional import average_directions
from stkeras.training.bidirectional import reverse_direction
from stkeras.training.distribute import make_strategy
from stkeras.training.distribute import strategy_scope
from stkeras.training.itsl import itsl_fit
from stkeras.training.non_finite import NonFiniteLossError
from stkeras.training.non_finite import StopOnNonFiniteLoss
from stkeras.training.resumable import fit_resumable
from stkeras.training.resumable import read_history
from stkeras.training.schedule import warmup_cosine
from stkeras.training.tasks import compile_for_task
from stkeras.training.tasks import task_scores
from stkeras.training.tasks import trivial_baseline
from stkeras.training.tta import predict_tta
