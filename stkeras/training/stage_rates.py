"""Keras optimizers with a learning-rate multiplier per variable: layer-wise rate decay on every backend.

PyTorch gives each parameter group its own rate; a Keras optimizer has one.
`StageRateSGD` and `StageRateAdam` are Keras' SGD and Adam whose update step
runs once per group of variables with the same multiplier, at the
optimizer's rate times that multiplier (`rate_multipliers`, by variable
path; 1 for a variable not listed). Everything else is Keras' own: the
schedule, momentum and moments, clipping, and the decoupled weight decay,
which stays at the optimizer's rate for every variable. The multipliers
are part of the optimizer's config, so a saved model reloads with them.

Why here: a multiplier on the rate (not on the gradient) is exact for
every optimizer (Adam normalizes a scaled gradient away), and the group
step is the one method each backend (TensorFlow with tf.distribute, JAX,
PyTorch) runs the update through.

Example:
>>> import keras, numpy as np
>>> kernel = keras.Variable(np.ones(2, "float32"), name="kernel")
>>> optimizer = StageRateSGD(0.1, rate_multipliers={kernel.path: 0.5})
>>> optimizer.apply([np.ones(2, "float32")], [kernel])
>>> keras.ops.convert_to_numpy(kernel).tolist()  # a step of 0.1 * 0.5
[0.949999988079071, 0.949999988079071]
"""

import keras


class StageRates:
    """The per-variable rate multipliers of `StageRateSGD` and `StageRateAdam` (a mixin over a Keras optimizer).

    Args:
        rate_multipliers: `{variable path: multiplier}`
            (`stkeras.training.stage_rate_multipliers`); a variable not
            listed keeps the optimizer's rate.
        *args, **kwargs: the Keras optimizer's.
    """

    def __init__(self, *args, rate_multipliers=None, **kwargs):
        super().__init__(*args, **kwargs)
        rate_multipliers = dict(rate_multipliers or {})
        for path, multiplier in rate_multipliers.items():
            if isinstance(multiplier, bool) or not isinstance(multiplier, (int, float)) or not multiplier >= 0:
                raise ValueError(f"`rate_multipliers` must map variable paths to numbers >= 0. Received: "
                                 f"{path!r}: {multiplier!r}")
        self.rate_multipliers = {str(path): float(m) for path, m in rate_multipliers.items()}

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        groups = {}
        for grad, variable in zip(grads, trainable_variables):
            group = groups.setdefault(self.rate_multipliers.get(variable.path, 1.0), ([], []))
            group[0].append(grad)
            group[1].append(variable)
        for multiplier, (group_grads, group_variables) in groups.items():
            rate = learning_rate if multiplier == 1.0 else learning_rate * multiplier
            super()._backend_update_step(group_grads, group_variables, rate)

    def get_config(self):
        return {**super().get_config(), "rate_multipliers": dict(self.rate_multipliers)}


@keras.saving.register_keras_serializable(package="stkeras")
class StageRateSGD(StageRates, keras.optimizers.SGD):
    """Keras' `SGD` with a learning-rate multiplier per variable (`StageRates`)."""


@keras.saving.register_keras_serializable(package="stkeras")
class StageRateAdam(StageRates, keras.optimizers.Adam):
    """Keras' `Adam` with a learning-rate multiplier per variable (`StageRates`)."""
