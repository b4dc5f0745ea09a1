"""`--variant stable` of S9 (issue 14; not the post's program; the default is unchanged).

It imports the post's program (keras_models/sine_gan.py) and overrides only what differs:
the builders (`get_generative_stable`, `get_discriminative_stable`, `build_models`), the
loop (`train_stable`) and the settings config.json records; `notebook` is the post's with
these. The post's D layers, frozen-D chained model, pretrain and toggling stay, plus D's
unused `leak` put to use (a LeakyReLU after Dense(50)), an R1 penalty on D, G's first noise
value read as an angle, a second tanh layer and a linear output for G, Adam for both nets
with a late cosine decay, and steps on minibatches (STABLE; chosen by measurement, see
docs/s9-sine-gan.md).
"""
import numpy as np
import keras
import tensorflow as tf
from keras import Input, Model
from keras.layers import Activation, Conv1D, Dense, Dropout, Flatten, LeakyReLU, Reshape
from keras.optimizers import Adam

from gantools.run import runner
from gantools.schedules import LateDecay
from keras_models import sine_gan
from keras_models.sine_gan import (ADAM_EPSILON, make_gan, sample_data, sample_noise,
                                   set_trainability)

from_logits = keras.losses.BinaryCrossentropy(from_logits=True)  # D outputs logits

STABLE = dict(leak=.2,          # the post's unused `leak`: a LeakyReLU after D's Dense(50)
              minibatch=250,    # curves per D step and per chained step (an epoch still
                                # draws --n-samples real curves: 40 steps of each)
              r1=5.,            # R1 penalty on D's evidence for "real" at the real curves
              lr=2e-4, beta_1=.5,  # Adam for both nets (the post: G SGD 1e-3, D Adam 1e-3)
              decay=(.5, 0.),   # both rates: cosine decay from half-way to 0 (LateDecay)
              g_hidden=2)       # G: the angle input (PhaseNoise), then 2 tanh layers of 200


@keras.saving.register_keras_serializable('sine_gan')
class R1Discriminator(Model):
    """D whose own step adds an R1 penalty (Mescheder et al. 2018): r1/2 times the squared
    gradient, with respect to each real curve, of D's evidence for "real" (its logit for
    the label [0, 1] minus that for [1, 0]). D outputs these two logits."""

    def __init__(self, *args, r1=0.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.r1 = r1

    def r1_penalty(self, x, real, training=True):
        """The penalty over the rows where `real` is 1, and D's logits for all of `x`."""
        with tf.GradientTape() as tape:
            tape.watch(x)
            logits = self(x, training=training)
            evidence = logits[:, 1] - logits[:, 0]
        slopes = tf.reduce_sum(tf.square(tape.gradient(evidence, x)), axis=1)
        return .5 * self.r1 * tf.reduce_sum(real * slopes) / tf.reduce_sum(real), logits

    def train_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        x, y = tf.cast(x, self.compute_dtype), tf.cast(y, self.compute_dtype)
        with tf.GradientTape() as tape:
            penalty, logits = self.r1_penalty(x, real=y[:, 1])  # rows labelled [0, 1]
            loss = self.compute_loss(x=x, y=y, y_pred=logits)
            total = loss + penalty
        grads = tape.gradient(total, self.trainable_weights)
        self.optimizer.apply(grads, self.trainable_weights)
        for metric in self.metrics:  # fit's progress bar and history read the tracker
            metric.update_state(loss)
        return {m.name: m.result() for m in self.metrics}

    def get_config(self):
        return dict(super().get_config(), r1=self.r1)


@keras.saving.register_keras_serializable('sine_gan')
class PhaseNoise(keras.layers.Layer):
    """G's first noise value read as an angle: (z1, z2, z3, ...) -> (cos 2 pi z1,
    sin 2 pi z1, z3, ...), as many values. The curves' phases lie on a circle; from a cube
    of noise G must fold it around that circle and draws low, wobbly non-sines at the fold."""

    def call(self, z):
        angle = 2 * np.pi * z[:, :1]
        return keras.ops.concatenate([keras.ops.cos(angle), keras.ops.sin(angle), z[:, 2:]],
                                     axis=1)


def get_generative_stable(G_in, dense_dim=200, out_dim=50, hidden=STABLE['g_hidden']):
    """The post's G with the angle input, `hidden` tanh layers and a linear output, trained
    by Adam instead of SGD: a tanh output reaches the data's top (1) only asymptotically
    while their bottom (0) sits mid-range, which flattens the tops of the curves and lets
    their troughs fall below 0; one tanh layer bends the curves it draws from the angle."""
    x = PhaseNoise()(G_in)
    for _ in range(hidden):
        x = Dense(dense_dim)(x)
        x = Activation('tanh')(x)
    G_out = Dense(out_dim)(x)
    G = Model(G_in, G_out)
    G.compile(loss=from_logits, optimizer=stable_adam())
    return G, G_out


def get_discriminative_stable(D_in, drate=.25, n_channels=50, conv_sz=5,
                              leak=STABLE['leak']):
    """The post's D with its `leak` used: without a nonlinearity after Dense(50), D is a
    sum of one function per 5-point window of the curve and cannot tell whether the
    windows belong to one sine. D outputs logits (the loss takes them) for the penalty."""
    x = Reshape((-1, 1))(D_in)
    x = Conv1D(n_channels, conv_sz, activation='relu')(x)
    x = Dropout(drate)(x)
    x = Flatten()(x)
    x = Dense(n_channels)(x)
    x = LeakyReLU(leak)(x)
    D_out = Dense(2)(x)
    D = R1Discriminator(D_in, D_out, r1=STABLE['r1'])
    D.compile(loss=from_logits, optimizer=stable_adam())
    return D, D_out


def stable_adam():
    return Adam(learning_rate=STABLE['lr'], beta_1=STABLE['beta_1'], epsilon=ADAM_EPSILON)


def stable_rate(epoch, epochs):
    """The stable variant's learning rate in `epoch` (0-based) of `epochs`, set once per
    epoch: constant, then a cosine decay to 0 over the last half of the epochs."""
    return float(LateDecay(STABLE['lr'], STABLE['decay'], epochs)(epoch))


def train_stable(GAN, G, D, epochs=500, n_samples=10000, noise_dim=10, batch_size=32,
                 verbose=False, v_freq=50, rng=np.random, run=None, frame=None,
                 minibatch=STABLE['minibatch']):
    """`train` of the stable variant: each epoch sets both rates (`stable_rate`), then runs
    the post's D step and chained step (same labels, same toggling) on minibatches of
    `minibatch` curves in turn instead of once on all of them; the epoch's mean losses."""
    run = run or runner.detached()
    d_loss = []
    g_loss = []
    for epoch in run.range(epochs):
        G.optimizer.learning_rate = D.optimizer.learning_rate = stable_rate(epoch, epochs)
        XT = sample_data(n_samples=n_samples, rng=rng)
        d_losses, g_losses = [], []
        for start in range(0, n_samples, minibatch):
            real = XT[start:start + minibatch]
            n = len(real)
            XN = G.predict_on_batch(rng.uniform(0, 1, size=[n, noise_dim]))
            y = np.zeros((2 * n, 2))
            y[:n, 1] = 1
            y[n:, 0] = 1
            set_trainability(D, True)
            d_losses.append(float(D.train_on_batch(np.concatenate((real, XN)), y)))
            X, y = sample_noise(G, n_samples=n, noise_dim=noise_dim, rng=rng)
            set_trainability(D, False)
            g_losses.append(float(GAN.train_on_batch(X, y)))
        d_loss.append(float(np.mean(d_losses)))
        g_loss.append(float(np.mean(g_losses)))
        run.log(step=epoch, g_loss=g_loss[-1], d_loss=d_loss[-1])
        if verbose and (epoch + 1) % v_freq == 0:
            run.print("Epoch #{}: Generative Loss: {}, Discriminative Loss: {}".format(
                epoch + 1, g_loss[-1], d_loss[-1]))
        if frame and ((epoch + 1) % v_freq == 0 or epoch + 1 == epochs):
            frame(epoch + 1)
    return d_loss, g_loss


def build_models(noise_dim, G=None, D=None):
    """sine_gan.build_models with the stable builders; the chain takes D's logits."""
    if G is None:
        G, G_out = get_generative_stable(Input(shape=(noise_dim,)))
    if D is None:
        D, D_out = get_discriminative_stable(Input(shape=(50,)))
    GAN, GAN_out = make_gan(Input(shape=(noise_dim,)), G, D)
    GAN.compile(loss=from_logits, optimizer=G.optimizer)  # D outputs logits
    return GAN, G, D


def hyper_parameters(args):
    """config.json's settings besides the flags."""
    return dict(dense_dim=200, n_channels=50, conv_sz=5, drate=.25,
                adam_epsilon=ADAM_EPSILON, loss='binary_crossentropy from logits',
                generator_input='angle (cos, sin of 2 pi z1), z3..',
                generator_output='linear', discriminator_output='logits',
                x_vals=[0, 5, .1], max_offset=100, mul_range=[1, 2], stable=STABLE)


def notebook(run):
    """The post's notebook (sine_gan.notebook) with the stable models and loop."""
    return sine_gan.notebook(run, build_models=build_models, train=train_stable,
                             settings=hyper_parameters)
