"""What runs on TensorFlow only, and the error that says so on another Keras backend.

stkeras' layers, blocks, heads and models use `keras.ops` only and run on
the TensorFlow, JAX and PyTorch backends. Four tools are TensorFlow's own:
Grad-CAM (`stkeras.explain`, through tf-keras-vis' `tf.GradientTape`),
`tf.distribute` strategies (`--distribute mirrored`), truncated
backpropagation through time (`stkeras.training.tbptt_fit`) and TensorFlow's op
determinism. Asked for under another backend, the first three raise the error
below at once, instead of failing deep inside TensorFlow.
"""

import keras

TENSORFLOW_ONLY = {
    "Grad-CAM": "it computes gradients with tf-keras-vis, which uses tf.GradientTape",
    "tf.distribute": "MirroredStrategy mirrors TensorFlow variables",
    "truncated backpropagation through time": "it adds up the gradients of the chunks with tf.GradientTape",
}


def require_tensorflow(feature):
    """Raises `ValueError` if the Keras backend is not TensorFlow, naming `feature` and why it needs TensorFlow.

    Args:
        feature: a key of `TENSORFLOW_ONLY`.

    Example:
    >>> require_tensorflow("Grad-CAM")  # on the TensorFlow backend: nothing happens
    """
    backend = keras.backend.backend()
    if backend != "tensorflow":
        raise ValueError(f"{feature} needs the TensorFlow backend ({TENSORFLOW_ONLY[feature]}); Keras runs on "
                         f"{backend!r}. Set KERAS_BACKEND=tensorflow for it.")
