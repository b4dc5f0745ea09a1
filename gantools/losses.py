"""Losses computed exactly as the originals' frameworks computed them.

`torch_bce(probabilities, targets)` is PyTorch's `nn.BCELoss()` (mean reduction) on
probabilities, with its forward and its backward:
- forward: -mean(t * max(log p, -100) + (1 - t) * max(log(1 - p), -100));
- backward: dL/dp = (p - t) / max(p (1 - p), 1e-12) / N.
Keras's `binary_crossentropy` on probabilities clips p to [1e-7, 1 - 1e-7] instead, which
stops the gradient once a sigmoid output is within 1e-7 of 0 or 1 (a logit beyond about
+-16); PyTorch's keeps it until p (1 - p) < 1e-12 (a logit beyond about +-27.6). The two
agree everywhere else. The difference matters for a generator facing a confident
discriminator, the situation the seed's fifth GAN tip describes.

TensorFlow is imported on first use, as everywhere in gantools.
"""
import functools

TORCH_LOG_CLAMP = -100.0
TORCH_BCE_EPSILON = 1e-12


@functools.cache
def _bce():
    import tensorflow as tf

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
    import tensorflow as tf
    probabilities = tf.convert_to_tensor(probabilities)
    targets = tf.cast(tf.broadcast_to(targets, tf.shape(probabilities)), probabilities.dtype)
    return _bce()(probabilities, targets)
