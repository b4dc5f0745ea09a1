"""What Keras 2 computed, for the ports of Keras 2 code (S3's wgan_keras.py on Keras 2.1.2,
S9's post on Keras 2.0), where Keras 3 computes otherwise.

`Keras2RMSprop` is Keras 2.1.2's RMSprop (S3): a = rho a + (1 - rho) g^2, then
p -= lr g / (sqrt(a) + epsilon), epsilon 1e-8 outside the square root; Keras 3's RMSprop
divides by sqrt(a + 1e-7) (docs/s3-wgan-anime.md).

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

Like gantools.torch_compat, this module imports TensorFlow and Keras when it is imported
(Keras2RMSprop is a Keras optimizer): only the Keras ports import it.
"""
import keras
import tensorflow as tf
from keras import ops

KERAS2_EPSILON = 1e-7  # K.epsilon(), the clip of Keras 2.0's binary_crossentropy


def keras2_binary_crossentropy(y_true, y_pred):
    """Keras 2.0's binary_crossentropy(y_true, y_pred): per sample, the mean over the last
    axis of the sigmoid cross-entropy of the clipped probabilities' logits."""
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.cast(y_true, y_pred.dtype)
    epsilon = tf.constant(KERAS2_EPSILON, y_pred.dtype)
    p = tf.clip_by_value(y_pred, epsilon, 1 - epsilon)
    logits = tf.math.log(p / (1 - p))  # "transform back to logits", as Keras 2.0 wrote
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y_true,
                                                                  logits=logits), axis=-1)


@keras.saving.register_keras_serializable(package="keras2_compat")
class Keras2RMSprop(keras.optimizers.Optimizer):
    """Keras 2.1.2's RMSprop (no momentum, no decay): a = rho a + (1 - rho) g^2;
    p -= lr g / (sqrt(a) + epsilon), with epsilon 1e-8 outside the square root."""

    def __init__(self, learning_rate=0.001, rho=0.9, epsilon=1e-8, name="keras2_rmsprop",
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulators = self.add_optimizer_variables(var_list, "accumulator")

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        accumulator = self._accumulators[self._get_variable_index(variable)]
        self.assign(accumulator, ops.add(ops.multiply(self.rho, accumulator),
                                         ops.multiply(1 - self.rho, ops.square(gradient))))
        self.assign_sub(variable, ops.divide(ops.multiply(lr, gradient),
                                             ops.add(ops.sqrt(accumulator), self.epsilon)))

    def get_config(self):
        return dict(super().get_config(), rho=self.rho, epsilon=self.epsilon)
