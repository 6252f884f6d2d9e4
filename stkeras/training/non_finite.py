"""Stopping training loudly when the loss stops being a number."""

import math

import keras


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite; training was stopped."""


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Raises `NonFiniteLossError` naming the epoch and batch where the loss became NaN or infinite.

    Keras' `TerminateOnNaN` sets `stop_training`, after which the epoch still
    ends: `ModelCheckpoint` and `BackupAndRestore` would then save the broken
    weights over the last good ones. Raising instead ends `fit` before any
    epoch-end callback, so the checkpoint of the last finished epoch is kept.

    Args:
        checkpoint: the checkpoint path named in the message (optional).

    Example:
    >>> model.fit(data, callbacks=[StopOnNonFiniteLoss()])  # doctest: +SKIP
    """

    def __init__(self, checkpoint=None):
        super().__init__()
        self.checkpoint = checkpoint
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            kept = (f" The last good checkpoint, {self.checkpoint} (after epoch {self.epoch}), is kept."
                    if self.checkpoint and self.epoch else " No epoch had finished, so there is no checkpoint.")
            raise NonFiniteLossError(
                f"The training loss became {float(loss)} at epoch {self.epoch + 1}, batch {batch + 1}; training "
                f"stopped.{kept} Lower the learning rate, or look for NaN or infinite values in the data.")
