"""PyTorch's semantics in Keras 3, for the ports of PyTorch programs (S2, S4, S5).

- `torch_linear`: a Dense layer initialised as PyTorch's nn.Linear (S4, S5).
- `BatchNorm2d`: Keras's BatchNormalization computing what PyTorch's BatchNorm2d computes in
  training mode (S2).
- `torch_bce`: PyTorch's BCELoss, forward and backward (S2).
- `era_bce`: PyTorch 0.2-0.4.0's BCELoss (THNN's BCECriterion), forward and backward (S4, S5).

`torch_bce(probabilities, targets)` is today's PyTorch `nn.BCELoss()` (mean reduction) on
probabilities, with its forward and its backward:
- forward: -mean(t * max(log p, -100) + (1 - t) * max(log(1 - p), -100));
- backward: dL/dp = (p - t) / max(p (1 - p), 1e-12) / N.
On a float32 sigmoid output z it agrees with the exact loss until the sigmoid saturates: p
rounds to 1 beyond z of about 17, where the loss of target 0 jumps to 100 and its gradient
vanishes (p (1 - p) = 0); below z of about -27.6 (p (1 - p) < 1e-12) the gradient towards
target 1 shrinks (0.09 instead of 1 at z = -30), and it vanishes where p underflows to 0.
PyTorch 0.2-0.4.0 (the originals' versions) took log(p + 1e-12) instead of the clamp (and
(1 - p + 1e-12)(p + 1e-12) in the gradient): the same losses and gradients unless p or
1 - p is below about 1e-11, where its loss stops at 27.6 instead of 100.
Keras 3's `binary_crossentropy` differs where it matters for a generator facing a confident
discriminator (the seed's fifth GAN tip). Given the output of a Keras sigmoid activation it
computes the loss from the sigmoid's logit, exactly and without clipping (target 0 at z = 30:
loss 30, gradient 1); given other probabilities (after a reshape, say) it clips them to
[1e-7, 1 - 1e-7], which stops the gradient beyond z of about +-16.

Unlike the rest of gantools, this module imports TensorFlow and Keras when it is imported
(BatchNorm2d is a Keras layer): only the Keras ports import it, after gantools.run.launch.
"""
import functools
import math

import keras
import tensorflow as tf
from keras import layers

TORCH_LOG_CLAMP = -100.0
TORCH_BCE_EPSILON = 1e-12


def torch_linear(in_features, out_features, activation=None, name=None):
    """A Dense layer initialised like PyTorch's nn.Linear: U(-1/sqrt(in), 1/sqrt(in))."""
    bound = 1 / math.sqrt(in_features)
    return layers.Dense(out_features, activation=activation, name=name,
                        kernel_initializer=keras.initializers.RandomUniform(-bound, bound),
                        bias_initializer=keras.initializers.RandomUniform(-bound, bound))


class BatchNorm2d(layers.BatchNormalization):
    """Keras's BatchNormalization computing what PyTorch's BatchNorm2d computes in training
    mode: normalise by the batch mean and biased variance, and update the running variance
    with the unbiased one, n / (n - 1) times it (Keras uses the biased one). One fused
    kernel (FusedBatchNormV3, which does exactly that, forward and backward) instead of
    Keras's separate moments and normalisation ops: the DCGAN step is about 10% faster on
    CPU. Under a tf.distribute strategy (`synchronized`) the mean and variance are taken
    over the global batch (all-reduced, two passes) and n counts the global batch."""

    def call(self, inputs, training=None, mask=None):
        if not (training and self.trainable):  # as Keras: a frozen layer uses its averages
            return super().call(inputs, training=training, mask=mask)
        x = tf.cast(inputs, tf.float32)  # as Keras: statistics in float32 under mixed precision
        replica = tf.distribute.get_replica_context() if self.synchronized else None
        if replica is not None:  # inside strategy.run
            y = self._global_batch_norm(x, replica)
        else:
            y, running_mean, running_var, _, _, _ = tf.raw_ops.FusedBatchNormV3(
                x=x, scale=self.gamma, offset=self.beta, mean=self.moving_mean,
                variance=self.moving_variance, epsilon=self.epsilon,
                exponential_avg_factor=1.0 - self.momentum, is_training=True)
            self.moving_mean.assign(running_mean)
            self.moving_variance.assign(running_var)
        return tf.cast(y, self.compute_dtype)

    def _global_batch_norm(self, x, replica):
        """Mean and variance over the global batch, in two passes as the fused kernel."""
        total = lambda value: replica.all_reduce(tf.distribute.ReduceOp.SUM, value)
        n = total(tf.cast(tf.size(x) // tf.shape(x)[-1], tf.float32))
        mean = total(tf.reduce_sum(x, [0, 1, 2])) / n
        variance = total(tf.reduce_sum(tf.square(x - mean), [0, 1, 2])) / n
        unbiased = variance * n / tf.maximum(n - 1.0, 1.0)
        self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1 - self.momentum))
        self.moving_variance.assign(
            self.moving_variance * self.momentum + unbiased * (1 - self.momentum))
        return tf.nn.batch_normalization(x, mean, variance, self.beta, self.gamma,
                                         self.epsilon)


@functools.cache
def _bce():

    @tf.custom_gradient
    def bce(p, t):
        log_p = tf.maximum(tf.math.log(p), TORCH_LOG_CLAMP)
        log_1mp = tf.maximum(tf.math.log(1.0 - p), TORCH_LOG_CLAMP)
        n = tf.cast(tf.size(p), p.dtype)
        loss = -tf.reduce_sum(t * log_p + (1.0 - t) * log_1mp) / n

        def grad(upstream):
            dp = (p - t) / tf.maximum(p * (1.0 - p), TORCH_BCE_EPSILON) / n
            return upstream * dp, tf.zeros_like(t)

        return loss, grad
    return bce


def torch_bce(probabilities, targets):
    """PyTorch's BCELoss (mean) between probabilities and targets (broadcast to them)."""
    probabilities = tf.convert_to_tensor(probabilities)
    targets = tf.cast(tf.broadcast_to(targets, tf.shape(probabilities)), probabilities.dtype)
    return _bce()(probabilities, targets)


@functools.cache
def _era_bce():

    @tf.custom_gradient
    def bce(p, t):
        eps = TORCH_BCE_EPSILON
        n = tf.cast(tf.size(p), p.dtype)
        loss = -tf.reduce_sum(tf.math.log(p + eps) * t
                              + tf.math.log(1.0 - p + eps) * (1.0 - t)) / n

        def grad(upstream):
            dp = -(t - p) / ((1.0 - p + eps) * (p + eps)) / n
            return upstream * dp, tf.zeros_like(t)

        return loss, grad
    return bce


def era_bce(probabilities, targets):
    """PyTorch 0.2-0.4.0's BCELoss (mean) between probabilities and targets (broadcast to
    them), THNN's BCECriterion: -mean(t log(p + 1e-12) + (1 - t) log(1 - p + 1e-12)), with the
    gradient -(t - p) / ((1 - p + 1e-12)(p + 1e-12)) / N. The loss of a saturated D stops at
    27.6 and its gradient through the sigmoid vanishes (Keras's loss from the logit keeps
    growing, its gradient stays 1)."""
    probabilities = tf.convert_to_tensor(probabilities)
    targets = tf.cast(tf.broadcast_to(targets, tf.shape(probabilities)), probabilities.dtype)
    return _era_bce()(probabilities, targets)


def criterion(name):
    """The BCE criterion(target, probabilities) of a PyTorch port's `--bce`: 'era', PyTorch
    0.2's (`era_bce`; what the posts ran), or 'logits', Keras's (exact from D's logit)."""
    if name == 'era':
        return lambda target, probabilities: era_bce(probabilities, target)
    if name == 'logits':
        return keras.losses.BinaryCrossentropy()
    raise ValueError(f"bce: {name!r}; 'era' or 'logits'")

