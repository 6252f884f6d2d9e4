"""An estimate of the memory a model needs to train, from its weights and its layers' outputs.

Nothing in stkeras refuses to build for lack of memory: a layer or a model
builds the same on every machine. This estimate is for a caller that wants to
know before it trains, such as the command line's pre-flight check
(`stkeras train|compare|tune ... --skip-memory-check` turns it off). It
counts:

- the weights four times: the weight, its gradient and Adam's two moments;
- every layer's output once for the forward pass and once for its gradient,
  for a batch of clips (the outputs of the model's own layers: what a block
  holds inside it is not counted, so the estimate is a lower bound).

`training_step_memory` measures what a step really takes, in a child process.
"""

import math

from stkeras.validation import check_positive_int

BYTES_PER_VALUE = 4  # float32
WEIGHT_COPIES = 4  # the weight, its gradient and Adam's two moments
ACTIVATION_COPIES = 2  # the output and its gradient


def _values(shape):
    return math.prod(int(d) for d in shape if d is not None)


def _output_values(layer):
    outputs = getattr(layer, "output", None)
    if outputs is None:
        return 0
    tensors = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return sum(_values(tensor.shape[1:]) for tensor in tensors)


def training_memory_estimate(model, batch_size):
    """Bytes that training `model` on batches of `batch_size` clips holds at least, by part.

    Args:
        model: a built functional Keras model.
        batch_size: clips per training step.

    Returns:
        a dict: `weights` (bytes of the weights, their gradients and Adam's
        moments), `activations` (bytes of the layers' outputs and their
        gradients for one batch) and `total`.

    Example:
    >>> import keras
    >>> inputs = keras.Input((4, 8, 8, 1))
    >>> model = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Flatten()(inputs)))
    >>> estimate = training_memory_estimate(model, batch_size=2)
    >>> estimate["weights"], estimate["activations"]
    (8224, 8224)
    """
    check_positive_int("batch_size", batch_size)
    weights = WEIGHT_COPIES * BYTES_PER_VALUE * sum(_values(w.shape) for w in model.trainable_weights)
    weights += BYTES_PER_VALUE * sum(_values(w.shape) for w in model.non_trainable_weights)
    activations = ACTIVATION_COPIES * BYTES_PER_VALUE * batch_size * sum(
        _output_values(layer) for layer in model.layers)
    return {"weights": int(weights), "activations": int(activations), "total": int(weights + activations)}
