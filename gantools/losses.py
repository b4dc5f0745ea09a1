"""Losses computed as the originals' frameworks computed them (Keras 2.0; PyTorch's BCELoss
is `gantools.torch_compat.torch_bce`).

`keras2_binary_crossentropy(y_true, y_pred)` is Keras 2.0's `binary_crossentropy` loss (the
S9 post's), usable as a Keras 3 loss: p is clipped to [1e-7, 1 - 1e-7] (in the dtype of p:
in float32 the upper bound is 1 - 2**-23), turned back into a logit log(p / (1 - p)), and
given to TensorFlow's sigmoid cross-entropy with logits; the mean over the last axis.
- forward: at most -log(1e-7) = 16.12 for a confident wrong output near 0, and
  log((1 - 2**-23) / 2**-23) = 15.94 near 1 (float32);
- backward: zero for a probability outside the clip range (a sigmoid logit beyond about
  -16.1 or +15.9), p - t with respect to the sigmoid's logit inside it.
Inside the clip range it agrees with Keras 3's loss on a sigmoid output (which takes the
sigmoid's logit, unclipped) up to float rounding; tf_keras 2.x, inside a traced function, also takes the sigmoid's own logit.

TensorFlow is imported on first use, as everywhere in gantools.
"""
KERAS2_EPSILON = 1e-7  # K.epsilon(), the clip of Keras 2.0's binary_crossentropy


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
