"""Whether a model trains under XLA, and why not when it cannot."""

import warnings

import keras


class XLAFallbackWarning(UserWarning):
    """A model trains without XLA although XLA was asked for (or is Keras' default on a GPU)."""


def _xla_would_be_used(jit_compile):
    if jit_compile is True:
        return True
    import tensorflow as tf

    # Keras' "auto" compiles with XLA on TensorFlow when a GPU is visible.
    return jit_compile == "auto" and bool(tf.config.list_physical_devices("GPU"))


def _op_determinism_enabled():
    if keras.backend.backend() != "tensorflow":
        return False
    try:  # TensorFlow has no public getter; Keras reads the same one.
        from tensorflow.python.framework.config import is_op_determinism_enabled
    except ImportError:
        return False
    return is_op_determinism_enabled()


def resolve_jit_compile(model, jit_compile="auto"):
    """The `jit_compile` to compile `model` with: as asked, or `False` with a one-line warning saying why.

    Keras compiles a training step with XLA when asked (`True`) and by default
    on a GPU (`"auto"`), but silently trains without it when a layer declares
    `supports_jit = False` (it calls something XLA cannot compile, e.g.
    `tf.numpy_function`) or TensorFlow's op determinism is on
    (`stkeras.experiments.seed_everything`). This names the reason instead:
    the layers that cannot compile, or the determinism. Every stkeras layer,
    block and builder compiles (tests/test_xla.py trains each family one step
    with and without XLA to the same loss).

    Args:
        model: a Keras model.
        jit_compile: `True`, `False` or `"auto"`, as `keras.Model.compile`
            takes it.

    Returns:
        `jit_compile` unchanged, or `False` where XLA would have been used
        and cannot be; an `XLAFallbackWarning` says why.

    Example:
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    >>> model.compile("adam", "mse", jit_compile=resolve_jit_compile(model, "auto"))
    """
    if jit_compile not in (True, False, "auto"):
        raise ValueError(f"`jit_compile` must be True, False or 'auto'. Received: jit_compile={jit_compile!r}")
    if not _xla_would_be_used(jit_compile):
        return jit_compile
    # Keras' own check walks the same list of layers (nested ones included).
    blockers = [layer for layer in model._flatten_layers(include_self=False) if not layer.supports_jit]
    if blockers:
        names = ", ".join(f"{layer.name} ({type(layer).__name__})" for layer in blockers)
        warnings.warn(f"{model.name} trains without XLA (jit_compile=False): layer(s) {names} do not support XLA "
                      f"compilation (supports_jit=False).", XLAFallbackWarning, stacklevel=2)
        return False
    if _op_determinism_enabled():
        warnings.warn(f"{model.name} trains without XLA (jit_compile=False): TensorFlow's op determinism is on "
                      f"(tf.config.experimental.enable_op_determinism, as seeded stkeras runs set it), and Keras "
                      f"does not compile with XLA then.", XLAFallbackWarning, stacklevel=2)
        return False
    return jit_compile
