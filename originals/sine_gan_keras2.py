"""Robin Ricard's sine-curve GAN (S9) as the post ran it, in Keras 2 through `tf_keras`.

The post "Generative Adversarial Networks Part 2 - Implementation with Keras 2.0" (2017;
seed 004 is a translation of it; SPEC S9): the functions below are the post's, in its
order and with its names. Keras 2 is `tf_keras` 2.21, run eagerly: `train_on_batch` and
`fit` trace their own functions, so nothing here needs graph mode. `main()` runs the post's
notebook without its plots and returns the losses.

What had to change for the code to run today, and the Keras 2.0 behaviour it emulates:
- `keras.*` imports become `tf_keras.*` (`keras.layers.core` etc. no longer exist).
- `SGD(lr=)` / `Adam(lr=)` become `tf_keras.optimizers.legacy.SGD(learning_rate=)` /
  `Adam(learning_rate=..., epsilon=1e-8)`: the legacy optimisers compute Keras 2.0's
  updates; Keras 2.0's Adam epsilon was 1e-8, the legacy class's default is 1e-7.
- `loss='binary_crossentropy'` becomes the function `binary_crossentropy` below, Keras 2.0's:
  probabilities clipped to [1e-7, 1 - 1e-7] and turned back into logits. tf_keras 2.21's
  'binary_crossentropy' takes the sigmoid's own logits inside a traced function, unclipped.
- `trainable` is read at compile time, as in Keras 2.0 (tf_keras keeps that contract:
  D is compiled trainable, the chained model after `set_trainability(D, False)`), so the
  post's toggling in `train` changes nothing, as it changed nothing then.
- `G.predict(noise)` passes `verbose=0`: Keras 2.0's predict printed nothing by default.
- `rng=np.random` is added to the functions that draw (the post's unseeded global is the
  default), and `sample_data` draws its n offsets, then its n multipliers, where the post
  drew offset and multiplier curve by curve: the same formula and distributions, in the
  port's order, so that the same seeded generator gives both the same curves.
- `train`'s progress bar (the notebook's tqdm) is dropped; its "Epoch #..." lines are kept.
  `pretrain` returns fit's History (the post read the loss off fit's progress bar).
"""
import numpy as np
import tensorflow as tf
import tf_keras.backend as K
from tf_keras.layers import Activation, Conv1D, Dense, Dropout, Flatten, Input, Reshape
from tf_keras.models import Model
from tf_keras.optimizers.legacy import SGD, Adam

ADAM_EPSILON = 1e-8  # Keras 2.0's default


def binary_crossentropy(y_true, y_pred):
    """keras.losses.binary_crossentropy of Keras 2.0 (its TensorFlow backend)."""
    y_true = tf.cast(y_true, y_pred.dtype)
    epsilon = tf.constant(K.epsilon(), y_pred.dtype.base_dtype)  # 1e-7
    output = tf.clip_by_value(y_pred, epsilon, 1 - epsilon)
    output = tf.math.log(output / (1 - output))  # transform back to logits
    return K.mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y_true, logits=output),
                  axis=-1)


def sample_data(n_samples=10000, x_vals=np.arange(0, 5, .1), max_offset=100,
                mul_range=[1, 2], rng=np.random):
    offset = rng.random(n_samples) * max_offset
    mul = mul_range[0] + rng.random(n_samples) * (mul_range[1] - mul_range[0])
    return np.sin(offset[:, None] + x_vals * mul[:, None]) / 2 + .5


def get_generative(G_in, dense_dim=200, out_dim=50, lr=1e-3):
    x = Dense(dense_dim)(G_in)
    x = Activation('tanh')(x)
    G_out = Dense(out_dim, activation='tanh')(x)
    G = Model(G_in, G_out)
    opt = SGD(learning_rate=lr)
    G.compile(loss=binary_crossentropy, optimizer=opt)
    return G, G_out


def get_discriminative(D_in, lr=1e-3, drate=.25, n_channels=50, conv_sz=5, leak=.2):
    x = Reshape((-1, 1))(D_in)
    x = Conv1D(n_channels, conv_sz, activation='relu')(x)
    x = Dropout(drate)(x)
    x = Flatten()(x)
    x = Dense(n_channels)(x)
    D_out = Dense(2, activation='sigmoid')(x)
    D = Model(D_in, D_out)
    dopt = Adam(learning_rate=lr, epsilon=ADAM_EPSILON)
    D.compile(loss=binary_crossentropy, optimizer=dopt)
    return D, D_out


def set_trainability(model, trainable=False):
    model.trainable = trainable
    for layer in model.layers:
        layer.trainable = trainable


def make_gan(GAN_in, G, D):
    set_trainability(D, False)
    x = G(GAN_in)
    GAN_out = D(x)
    GAN = Model(GAN_in, GAN_out)
    GAN.compile(loss=binary_crossentropy, optimizer=G.optimizer)
    return GAN, GAN_out


def sample_data_and_gen(G, noise_dim=10, n_samples=10000, rng=np.random):
    XT = sample_data(n_samples=n_samples, rng=rng)
    XN_noise = rng.uniform(0, 1, size=[n_samples, noise_dim])
    XN = G.predict(XN_noise, verbose=0)
    X = np.concatenate((XT, XN))
    y = np.zeros((2 * n_samples, 2))
    y[:n_samples, 1] = 1
    y[n_samples:, 0] = 1
    return X, y


def pretrain(G, D, noise_dim=10, n_samples=10000, batch_size=32, rng=np.random):
    X, y = sample_data_and_gen(G, n_samples=n_samples, noise_dim=noise_dim, rng=rng)
    set_trainability(D, True)
    return D.fit(X, y, epochs=1, batch_size=batch_size)


def sample_noise(G, noise_dim=10, n_samples=10000, rng=np.random):
    X = rng.uniform(0, 1, size=[n_samples, noise_dim])
    y = np.zeros((n_samples, 2))
    y[:, 1] = 1
    return X, y


def train(GAN, G, D, epochs=500, n_samples=10000, noise_dim=10, batch_size=32,
          verbose=False, v_freq=50, rng=np.random):
    d_loss = []
    g_loss = []
    e_range = range(epochs)
    for epoch in e_range:
        X, y = sample_data_and_gen(G, n_samples=n_samples, noise_dim=noise_dim, rng=rng)
        set_trainability(D, True)
        d_loss.append(D.train_on_batch(X, y))

        X, y = sample_noise(G, n_samples=n_samples, noise_dim=noise_dim, rng=rng)
        set_trainability(D, False)
        g_loss.append(GAN.train_on_batch(X, y))
        if verbose and (epoch + 1) % v_freq == 0:
            print("Epoch #{}: Generative Loss: {}, Discriminative Loss: {}".format(
                epoch + 1, g_loss[-1], d_loss[-1]))
    return d_loss, g_loss


def build_models(noise_dim=10):
    """The post's Inputs and its three models, in its order: (GAN, G, D)."""
    G_in = Input(shape=[noise_dim])
    G, G_out = get_generative(G_in)
    D_in = Input(shape=[50])
    D, D_out = get_discriminative(D_in)
    GAN_in = Input([noise_dim])
    GAN, GAN_out = make_gan(GAN_in, G, D)
    return GAN, G, D


def main(epochs=500, n_samples=10000, rng=np.random):
    """The post's notebook: build, summaries, pretrain, train; returns (d_loss, g_loss)."""
    GAN, G, D = build_models()
    G.summary()
    D.summary()
    GAN.summary()
    pretrain(G, D, n_samples=n_samples, rng=rng)
    return train(GAN, G, D, epochs=epochs, n_samples=n_samples, verbose=True, rng=rng)
