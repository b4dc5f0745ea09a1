"""Losses computed exactly as the originals' frameworks computed them.

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

`keras2_binary_crossentropy(y_true, y_pred)` is Keras 2.0's `binary_crossentropy` loss (the
S9 post's), usable as a Keras 3 loss: p is clipped to [1e-7, 1 - 1e-7] (in the dtype of p:
in float32 the upper bound is 1 - 2**-23), turned back into a logit log(p / (1 - p)), and
given to TensorFlow's sigmoid cross-entropy with logits; the mean over the last axis.
- forward: at most -log(1e-7) = 16.12 for a confident wrong output near 0, and
  log((1 - 2**-23) / 2**-23) = 15.94 near 1 (float32);
- backward: zero for a probability outside the clip range (a sigmoid logit beyond about
  -16.1 or +15.9), p - t with respect to the sigmoid's logit inside it.
Inside the clip range it agrees with Keras 3's loss on a sigmoid output (above) up to float
rounding; tf_keras 2.x, inside a traced function, also takes the sigmoid's own logit.

TensorFlow is imported on first use, as everywhere in gantools.
"""
import functools

TORCH_LOG_CLAMP = -100.0
TORCH_BCE_EPSILON = 1e-12
KERAS2_EPSILON = 1e-7  # K.epsilon(), the clip of Keras 2.0's binary_crossentropy


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


def keras2_binary_crossentropy(y_true, y_pred):
    """Keras 2.0's binary_crossentropy(y_true, y_pred): per sample, the mean over the last
    axis of the sigmoid cross-entropy of the clipped probabilities' logits."""
    import tensorflow as tf
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.cast(y_true, y_pred.dtype)
    epsilon = tf.constant(KERAS2_EPSILON, y_pred.dtype)
    p = tf.clip_by_value(y_pred, epsilon, 1 - epsilon)
    logits = tf.math.log(p / (1 - p))  # "transform back to logits", as Keras 2.0 wrote
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y_true,
                                                                  logits=logits), axis=-1)
