"""Learning-rate schedules of the opt-in variants.

- `LateDecay`: a constant rate, then a cosine decay over the last part of training (the
  `--variant stable` of S4, per step, and of S9, per epoch).
"""
import numpy as np
import keras
import tensorflow as tf


class LateDecay(keras.optimizers.schedules.LearningRateSchedule):
    """The rate `lr` until the fraction `start` of `total` steps, then a cosine decay to
    `lr * floor` at the end (after it, `lr * floor`); `decay` is (start, floor)."""

    def __init__(self, lr, decay, total):
        self.lr, (self.start, self.floor), self.total = lr, decay, total

    def __call__(self, step):
        start = self.start * self.total
        done = tf.clip_by_value((tf.cast(step, tf.float32) - start) / (self.total - start),
                                0.0, 1.0)
        return self.lr * (self.floor + (1 - self.floor) * 0.5 * (1 + tf.cos(np.pi * done)))

    def get_config(self):
        return dict(lr=self.lr, decay=(self.start, self.floor), total=self.total)
