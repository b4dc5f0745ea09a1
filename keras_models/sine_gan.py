"""The Keras sine-curve GAN with a frozen-discriminator chained model (program S9).

Ports the Keras example of seed document 004 (a Jianshu translation of Robin Ricard's
"Generative Adversarial Networks Part 2 - Implementation with Keras 2.0", 2017), completed
from the original post where the translation leaves code out (SPEC S9). Names and order are
the post's: sample_data, get_generative, get_discriminative, set_trainability, make_gan,
sample_data_and_gen, sample_noise, pretrain, train, and the notebook's flow (`notebook`). G
12,250 and D 115,452 parameters. The command line (flags, summary) is
keras_models/sine_gan_cli.py.

Keras 2.0's semantics kept (README, "S9"): Adam's epsilon 1e-8; Keras 2.0's clipped
binary_crossentropy (gantools.losses); `set_trainability` before every D and chained step,
which Keras 3 reads when a step is traced, so each step trains only its own model.

Deliberate differences from the post (README, "S9: differences"):
- Keras 3 APIs (`keras.Input`, `learning_rate=`, the loss given as a registered function).
- `G.predict(noise)` is `G.predict_on_batch(noise)` (same numbers, no progress bar per call).
- `sample_data` draws all offsets and multipliers at once (same distributions).
- Seeded NumPy generators; figures and metrics draw from a stream of their own.
- `train` calls the run's services (gantools.run.runner.Run): it resumes at a checkpoint's
  epoch, logs each epoch's losses, shows a progress bar instead of tqdm, and draws a frame
  every `v_freq` epochs beside the post's "Epoch #..." line.
- Figures saved as PNGs with matplotlib (the post's pandas plots), plus evolution.gif,
  losses.csv, metrics.json (sine-fit metrics) and checkpoints for `--resume` (the models
  as .keras, the NumPy and Dropout random states in the checkpoint's state).
- Unused as in the post: `train`'s `batch_size` and `get_discriminative`'s `leak`.

`--variant stable` (issue 14; not the post's program; the default is unchanged): the post's
D layers, frozen-D chained model, pretrain and loop, plus D's unused `leak` put to use
(a LeakyReLU after Dense(50)), an R1 penalty on D, G's first noise value read as an angle,
a second tanh layer and a linear output for G, Adam for both nets with a late cosine decay,
and steps on minibatches (STABLE; chosen by measurement, see the docs page).
"""
import sys

import numpy as np
import keras
from keras import Input, Model
import tensorflow as tf
from keras.layers import Activation, Conv1D, Dense, Dropout, Flatten, LeakyReLU, Reshape
from keras.optimizers import SGD, Adam

from gantools.run import rundir, runner
from gantools.curves import COLLAPSE_RATIO, rolling_mean, sine_curve_metrics
from gantools.run.launch import quiet_runtime_noise
from gantools.losses import keras2_binary_crossentropy
from gantools.run.rundir import read_losses
from gantools.schedules import LateDecay

X_VALS = np.arange(0, 5, .1)  # the 50 x values of every curve
ADAM_EPSILON = 1e-8           # Keras 2.0's default (Keras 3's: 1e-7)
# The post's loss='binary_crossentropy', as Keras 2.0 computed it; registered, so that the
# models' .keras files load with it.
binary_crossentropy = keras.saving.register_keras_serializable('sine_gan')(
    keras2_binary_crossentropy)
from_logits = keras.losses.BinaryCrossentropy(from_logits=True)  # --variant stable's loss


def sample_data(n_samples=10000, x_vals=X_VALS, max_offset=100, mul_range=(1, 2),
                rng=np.random):
    offset = rng.random(n_samples) * max_offset
    mul = mul_range[0] + rng.random(n_samples) * (mul_range[1] - mul_range[0])
    return np.sin(offset[:, None] + x_vals * mul[:, None]) / 2 + .5


def get_generative(G_in, dense_dim=200, out_dim=50, lr=1e-3):
    x = Dense(dense_dim)(G_in)
    x = Activation('tanh')(x)
    G_out = Dense(out_dim, activation='tanh')(x)
    G = Model(G_in, G_out)
    opt = SGD(learning_rate=lr)
    G.compile(loss=binary_crossentropy, optimizer=opt)  # only to own `opt`: see make_gan
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
    """n real curves then n generated ones, labelled [0, 1] (real) and [1, 0] (fake)."""
    XT = sample_data(n_samples=n_samples, rng=rng)
    XN_noise = rng.uniform(0, 1, size=[n_samples, noise_dim])
    XN = G.predict_on_batch(XN_noise)
    X = np.concatenate((XT, XN))
    y = np.zeros((2 * n_samples, 2))
    y[:n_samples, 1] = 1
    y[n_samples:, 0] = 1
    return X, y


def sample_noise(G, noise_dim=10, n_samples=10000, rng=np.random):
    """Noise labelled real, [0, 1]: the chained model's target."""
    X = rng.uniform(0, 1, size=[n_samples, noise_dim])
    y = np.zeros((n_samples, 2))
    y[:, 1] = 1
    return X, y


def pretrain(G, D, noise_dim=10, n_samples=10000, batch_size=32, rng=np.random,
             verbose='auto'):
    """One epoch of D.fit on n real and n generated curves; returns its mean loss."""
    X, y = sample_data_and_gen(G, n_samples=n_samples, noise_dim=noise_dim, rng=rng)
    set_trainability(D, True)
    history = D.fit(X, y, epochs=1, batch_size=batch_size, verbose=verbose)
    return history.history['loss'][-1]


def train(GAN, G, D, epochs=500, n_samples=10000, noise_dim=10, batch_size=32,
          verbose=False, v_freq=50, rng=np.random, run=None, frame=None):
    """The post's loop. `run` (gantools.run.runner.Run) resumes it at its checkpoint's epoch and
    logs each epoch's losses (the progress bar replaces tqdm); `frame(epochs_done)` draws a
    frame every v_freq epochs and after the last."""
    run = run or runner.detached()
    d_loss = []
    g_loss = []
    for epoch in run.range(epochs):
        X, y = sample_data_and_gen(G, n_samples=n_samples, noise_dim=noise_dim, rng=rng)
        set_trainability(D, True)   # Keras 3 reads this when D's step is (re)traced
        d_loss.append(D.train_on_batch(X, y))

        X, y = sample_noise(G, n_samples=n_samples, noise_dim=noise_dim, rng=rng)
        set_trainability(D, False)  # and this when the chained step is: only G learns
        g_loss.append(GAN.train_on_batch(X, y))
        run.log(step=epoch, g_loss=g_loss[-1], d_loss=d_loss[-1])
        if verbose and (epoch + 1) % v_freq == 0:
            run.print("Epoch #{}: Generative Loss: {}, Discriminative Loss: {}".format(
                epoch + 1, g_loss[-1], d_loss[-1]))
        if frame and ((epoch + 1) % v_freq == 0 or epoch + 1 == epochs):
            frame(epoch + 1)
    return d_loss, g_loss


# ---------------------------------------------------------------------------------------
# --variant stable (issue 14; not the post's program): what it changes, all in one place.
# The measurements that chose it are on the docs page (docs/s9-sine-gan.md).

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


# ---------------------------------------------------------------------------------------
# The program: the post's notebook (models, pretrain, train), settings, figures, metrics.

EVAL_CURVES = 500      # generated and real curves for the sine-fit metrics
FRAME_CURVES = 5       # generated curves in each evolution.gif frame (fixed noise)
N_VIEWED_SAMPLES = 2   # the post's generated_curves figure
DATA_FAMILY = dict(frequency_range=(1, 2), amplitude=.5, mean=.5)  # sample_data's curves


def build_models(noise_dim, G=None, D=None, variant='original'):
    """The post's Inputs and models (or the stable variant's); G and D may be given
    (loaded), the chain is rebuilt."""
    stable = variant == 'stable'
    if G is None:
        G_in = Input(shape=(noise_dim,))
        G, G_out = (get_generative_stable if stable else get_generative)(G_in)
    if D is None:
        D_in = Input(shape=(50,))
        D, D_out = (get_discriminative_stable if stable else get_discriminative)(D_in)
    GAN_in = Input(shape=(noise_dim,))
    GAN, GAN_out = make_gan(GAN_in, G, D)
    if stable:
        GAN.compile(loss=from_logits, optimizer=G.optimizer)  # D outputs logits
    return GAN, G, D


def count_trainable(model):
    return int(sum(np.prod(v.shape) for v in model.trainable_weights))


def trainable_parameters(G, D):
    """G's and D's counts, D counted trainable (as when it is trained)."""
    frozen = D.trainable
    set_trainability(D, True)
    counts = {'generator': count_trainable(G), 'discriminator': count_trainable(D)}
    set_trainability(D, frozen)
    return counts


def evaluation_samples(seed, noise_dim):
    """Noise and real curves for figures and metrics, from a generator of their own."""
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[1])
    return {
        'frame_noise': rng.uniform(0, 1, size=[FRAME_CURVES, noise_dim]),
        'real_5': sample_data(5, rng=rng),
        'viewed_real': sample_data(N_VIEWED_SAMPLES, rng=rng),
        'viewed_noise': rng.uniform(0, 1, size=[N_VIEWED_SAMPLES, noise_dim]),
        'metric_real': sample_data(EVAL_CURVES, rng=rng),
        'metric_noise': rng.uniform(0, 1, size=[EVAL_CURVES, noise_dim]),
    }


def training_rng(seed):
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[0])


def dropout_states(D):
    """The state of each Dropout's random-number generator: .keras files leave it out
    (keras-team/keras#19796), so the checkpoint's state keeps it for an exact resume."""
    return [layer.seed_generator.state for layer in D.layers if isinstance(layer, Dropout)]


def save_models(folder, G, D, final=False):
    """generator.keras and discriminator.keras; D saved trainable: loading builds Adam for
    the weights trainable then, and a frozen D would load without its Adam state. The
    `final` generator (the run's, not a checkpoint's) is saved without G's compile settings
    (its SGD and the registered Keras 2.0 loss, which only training needs), so that plain
    `keras.saving.load_model` reads it in a process that never imported this project."""
    was_trainable = D.trainable
    set_trainability(D, True)
    (keras.Model(G.inputs, G.outputs, name=G.name) if final else G).save(
        folder / 'generator.keras')
    D.save(folder / 'discriminator.keras')
    set_trainability(D, was_trainable)


def save_figures(run_dir, G, samples):
    """real_curves.png, losses.png, generated_curves.png and evolution.gif."""
    from gantools.plots import plot_curves, plot_losses, write_gif
    x = np.arange(50)
    plot_curves([('Real curves', x, samples['real_5'])], run_dir / 'real_curves.png')
    plot_losses(read_losses(run_dir / 'losses.csv'), run_dir / 'losses.png',
                {'g_loss': 'Generative Loss', 'd_loss': 'Discriminative Loss'},
                title='Training loss', xlabel='Epochs', ylabel='Loss', logy=True)
    generated = G.predict_on_batch(samples['viewed_noise'])
    smoothed = rolling_mean(generated, 5)[:, 1:]  # the post's rolling(5).mean()[5:]
    plot_curves([('Real curves', x, samples['viewed_real']),
                 ('Generated curves', x, generated),
                 ('Generated, rolling mean of 5', x[5:], smoothed)],
                run_dir / 'generated_curves.png')
    write_gif(sorted((run_dir / 'frames').glob('epoch_*.png')), run_dir / 'evolution.gif')


def fit_verbosity(shown):
    """pretrain's D.fit: Keras's progress bar on a terminal, one line per epoch in a log
    file or a pipe (a bar there is a stream of carriage returns and ANSI codes), nothing
    when not `shown` (a sweep)."""
    if not shown:
        return 0
    return 'auto' if sys.stdout.isatty() else 2


def save_frame(run_dir, plot, G, samples, epochs_done):
    """frames/epoch_NNNN.png (a CurvePlot): the curves of the fixed frame noise."""
    (run_dir / 'frames').mkdir(exist_ok=True)
    plot.save(run_dir / 'frames' / f'epoch_{epochs_done:04d}.png',
              G.predict_on_batch(samples['frame_noise']), caption=f'epoch {epochs_done}')


def hyper_parameters(args):
    """config.json's settings besides the flags."""
    if args.variant == 'stable':
        return dict(dense_dim=200, n_channels=50, conv_sz=5, drate=.25,
                    adam_epsilon=ADAM_EPSILON, loss='binary_crossentropy from logits',
                    generator_input='angle (cos, sin of 2 pi z1), z3..',
                    generator_output='linear', discriminator_output='logits',
                    x_vals=[0, 5, .1], max_offset=100, mul_range=[1, 2], stable=STABLE)
    return dict(dense_dim=200, n_channels=50, conv_sz=5, drate=.25, lr_generator=1e-3,
                lr_discriminator=1e-3, optimizer_generator='SGD',
                optimizer_discriminator='Adam', adam_epsilon=ADAM_EPSILON,
                loss='binary_crossentropy of Keras 2.0 (clipped at 1e-7)',
                x_vals=[0, 5, .1], max_offset=100, mul_range=[1, 2])

def notebook(run):
    """The post's notebook: the models, pretrain, train (or the variant's), then its
    figures, the models and the sine-fit metrics."""
    args = run.args
    GAN, G, D = build_models(args.noise_dim, variant=args.variant)
    rng = training_rng(run.seed)
    samples = evaluation_samples(run.seed, args.noise_dim)
    pretrain_loss = None

    # The checkpoint: the models as .keras files; the NumPy generator's and the Dropout
    # layer's random states (which .keras files leave out) in its state.
    def state():
        return {'pretrain_loss': pretrain_loss, 'rng_state': rng.bit_generator.state,
                'dropout_states': [s.numpy().tolist() for s in dropout_states(D)]}

    def restore(folder, saved):
        nonlocal GAN, G, D, pretrain_loss
        GAN, G, D = build_models(args.noise_dim, keras.models.load_model(
            folder / 'generator.keras'), keras.models.load_model(
            folder / 'discriminator.keras'), args.variant)
        for variable, value in zip(dropout_states(D), saved['dropout_states']):
            variable.assign(value)
        rng.bit_generator.state = saved['rng_state']
        pretrain_loss = saved['pretrain_loss']

    resumed = run.start(args.epochs, save=lambda folder: save_models(folder, G, D),
                        restore=restore, state=state, config=hyper_parameters(args),
                        parameters=trainable_parameters(G, D),
                        checkpoint_due=lambda done: done % args.v_freq == 0,
                        generate=lambda n, seed: G.predict_on_batch(  # the restored G
                            np.random.default_rng([seed, 3]).uniform(
                                0, 1, size=(n, args.noise_dim))))
    frame = None
    if run.files:
        from gantools.plots import CurvePlot
        plot = CurvePlot(np.arange(50), FRAME_CURVES, 'Generated curves', (-1.05, 1.05))
        frame = lambda epochs_done: save_frame(run.run_dir, plot, G, samples, epochs_done)
    if resumed is None:
        with quiet_runtime_noise(args.verbose):  # a tf.data notice under --deterministic
            pretrain_loss = pretrain(G, D, noise_dim=args.noise_dim,
                                     n_samples=args.n_samples, batch_size=args.batch_size,
                                     rng=rng, verbose=fit_verbosity(run.files))
        if frame:
            frame(0)
    loop = train_stable if args.variant == 'stable' else train
    loop(GAN, G, D, epochs=args.epochs, n_samples=args.n_samples,
         noise_dim=args.noise_dim, batch_size=args.batch_size, verbose=True,
         v_freq=args.v_freq, rng=rng, run=run, frame=frame)

    generated = G.predict_on_batch(samples['metric_noise'])
    metrics = dict(sine_curve_metrics(generated, samples['metric_real'], X_VALS,
                                      **DATA_FAMILY),
                   pretrain_loss=pretrain_loss, final_g_loss=run.last['g_loss'],
                   final_d_loss=run.last['d_loss'], epochs=args.epochs)
    if run.files:
        save_figures(run.run_dir, G, samples)
        save_models(run.run_dir, G, D, final=True)
    return metrics
