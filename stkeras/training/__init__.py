"""Training helpers: task losses and baselines, resumable fitting, atoms and ITSL, bidirectional training, truncated
backpropagation through time, tf.distribute, XLA and mixed precision."""

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
from stkeras.training.precision import cpu_supports_bfloat16
from stkeras.training.precision import mixed_precision_policy
from stkeras.training.recipe_optimizer import recipe_optimizer
from stkeras.training.resumable import fit_resumable
from stkeras.training.resumable import read_history
from stkeras.training.schedule import warmup_cosine
from stkeras.training.session import fresh_session
from stkeras.training.compiling import compile_for_task
from stkeras.training.tbptt import predict_in_chunks
from stkeras.training.tbptt import recurrent_layers
from stkeras.training.tbptt import tbptt_fit
from stkeras.training.tbptt import tbptt_step
from stkeras.training.xla import XLAFallbackWarning
from stkeras.training.xla import resolve_jit_compile
