"""The Keras sine-curve GAN with a frozen-discriminator chained model (program S9).

Ports the Keras example of seed document 004 (a Jianshu post in Chinese), itself a translation
of Robin Ricard's "Generative Adversarial Networks Part 2 - Implementation with Keras 2.0"
(2017-04-05, rricard.github.io), which the project's SPEC (S9) follows where the translation
leaves code out (sample_data, pretrain, the Input definitions, the plots). A generator
(Dense 200 tanh, Dense 50 tanh) learns to draw 50-point sine curves sin(offset + x * mul)/2 + 0.5
(offset U(0, 100), mul U(1, 2)) from 10 uniform noise values, against a 1-D convolutional
discriminator with two sigmoid outputs (one-hot labels: real [0, 1], fake [1, 0]). The
generator is trained through a chained model D(G(z)) in which D is frozen. Read it beside the
post: the names and their order are the post's: sample_data, get_generative,
get_discriminative, set_trainability, make_gan, sample_data_and_gen, sample_noise, pretrain,
train. Trainable parameters: G 12,250, D 115,452, chained model 12,250 (of 127,702).

Keras 3 and the frozen discriminator. Keras 2.0 fixed each model's trainable weights when it
was compiled: D was compiled trainable, the chained model after `set_trainability(D, False)`,
and the toggling in `train` only kept the flags consistent. Keras 3 reads `trainable` when a
model's train function is traced: at its first `fit`/`train_on_batch` after `compile`, and
again whenever new input shapes make TensorFlow retrace (D is traced for `fit`'s batches of 32
in `pretrain`, then for `train`'s 20,000 rows). So the post's `set_trainability(D, True)`
before every D step and `set_trainability(D, False)` before every chained step is what makes
a D step update only D and a chained step only G; the port keeps exactly that, and the tests
check it (tests/test_sine_gan.py). For the same reason D is saved trainable: loading builds its
Adam state for the weights that are trainable then.

Keras 2.0's numbers where Keras 3 changed a default (SPEC, "Semantics of the versions"):
- Adam's epsilon is 1e-8, Keras 2.0's default (Keras 3's is 1e-7).
- The loss of all three models is `binary_crossentropy`, Keras 2.0's
  (`gantools.losses.keras2_binary_crossentropy`): the sigmoid's probabilities clipped to
  [1e-7, 1 - 1e-7] and turned back into logits. Keras 3's 'binary_crossentropy' uses the
  sigmoid's own logits unclipped: the same values and gradients inside the clip range, but
  beyond it (a logit past about +-16) Keras 2.0's loss stops at about 16 with a zero
  gradient where Keras 3's grows (30 at a logit of 30) and keeps its gradient.
`originals/sine_gan_keras2.py` runs the post's code in Keras 2 (tf_keras) with these
semantics; `originals.side_by_side.s9` runs the two from the same weights and data.

Deliberate differences from the post (the defaults compute what the post computes):
- Keras 3 APIs: `keras.Input`, `keras.Model`, `keras.layers.*` instead of Keras 2.0's
  `keras.layers.core` etc.; `SGD(learning_rate=)`/`Adam(learning_rate=)` instead of `lr=`;
  the loss is given as the function `binary_crossentropy` (registered for `.keras` files)
  instead of the string 'binary_crossentropy', which names Keras 3's.
- `G.predict(noise)` is `G.predict_on_batch(noise)`: the same numbers, but Keras 3's `predict`
  prints a progress bar per call (Keras 2.0's was silent) and runs 313 batches of 32
  (0.7 s per call against 0.01 s on 2 CPU cores: about 6 more minutes per run).
- `sample_data` draws all offsets and multipliers at once instead of in a Python loop (the
  same formula and distributions).
- Random draws come from a seeded NumPy generator (the post used the unseeded np.random);
  figures and metrics draw their real curves and noise from a second generator, so
  plotting and measuring never change training.
- `train` shows a `keras.utils.Progbar` over the epochs instead of the notebook's tqdm, and
  prints the post's "Epoch #..." line every `v_freq` epochs below it. It also takes
  `start_epoch` (for `--resume`) and an `on_epoch_end` hook that writes losses.csv, frames
  and checkpoints. `pretrain` returns its loss (the post read it off fit's progress bar).
- The post's inline pandas plots are saved as PNGs with matplotlib (same content: 5 real
  curves; the log-scale training loss; 2 generated curves raw and smoothed with a rolling
  mean of 5, the post's `rolling(5).mean()[5:]`, done in NumPy), beside 2 real ones. Added:
  evolution.gif, losses.csv, metrics.json with the sine-fit metrics, and checkpoints for
  `--resume`: the models as .keras plus checkpoint.json (the NumPy generator's state and
  the Dropout layer's random state, which .keras files leave out).
- Unused as in the post: `train`'s `batch_size` and `get_discriminative`'s `leak`.
"""
import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import keras
from keras import Input, Model
from keras.layers import Activation, Conv1D, Dense, Dropout, Flatten, Reshape
from keras.optimizers import SGD, Adam

from gantools.cli import (ArgumentParser, UsageError, add_run_arguments, add_sweep_argument,
                          first_line, positive_int)
from gantools.curves import COLLAPSE_RATIO, rolling_mean, sine_curve_metrics
from gantools.launch import quiet_retracing_notices, quiet_runtime_noise
from gantools.losses import keras2_binary_crossentropy
from gantools.rundir import LossLog, read_losses, seed_everything, start_run, write_json
from gantools.training import FolderCheckpoints

X_VALS = np.arange(0, 5, .1)  # the 50 x values of every curve
ADAM_EPSILON = 1e-8           # Keras 2.0's default (Keras 3's: 1e-7)
# The post's loss='binary_crossentropy', as Keras 2.0 computed it; registered, so that the
# models' .keras files load with it.
binary_crossentropy = keras.saving.register_keras_serializable('sine_gan')(
    keras2_binary_crossentropy)


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
          verbose=False, v_freq=50, rng=np.random, start_epoch=0, on_epoch_end=None):
    """Per epoch: one D step on all 2n curves, then one chained step on n noise vectors.

    Returns the two loss lists of the epochs run here (start_epoch .. epochs - 1).
    """
    d_loss = []
    g_loss = []
    if verbose:  # the post's tqdm_notebook(range(epochs))
        progbar = keras.utils.Progbar(epochs - start_epoch, unit_name='epoch',
                                      stateful_metrics=['g_loss', 'd_loss'])
    for epoch in range(start_epoch, epochs):
        X, y = sample_data_and_gen(G, n_samples=n_samples, noise_dim=noise_dim, rng=rng)
        set_trainability(D, True)   # Keras 3 reads this when D's step is (re)traced
        d_loss.append(D.train_on_batch(X, y))
        X, y = sample_noise(G, n_samples=n_samples, noise_dim=noise_dim, rng=rng)
        set_trainability(D, False)  # and this when the chained step is: only G learns
        g_loss.append(GAN.train_on_batch(X, y))
        if verbose:
            progbar.update(epoch + 1 - start_epoch, [('g_loss', g_loss[-1]),
                                                     ('d_loss', d_loss[-1])])
        if verbose and (epoch + 1) % v_freq == 0:
            print("{}Epoch #{}: Generative Loss: {}, Discriminative Loss: {}".format(
                '\n' if epoch + 1 < epochs else '',  # below the bar; its last update ends it
                epoch + 1, g_loss[-1], d_loss[-1]), flush=True)
        if on_epoch_end is not None:
            on_epoch_end(epoch, g_loss[-1], d_loss[-1])
    return d_loss, g_loss


# ---------------------------------------------------------------------------------------
# The program: flags, one run with the post's figures (or a resumed one), or a seed sweep.

EVAL_CURVES = 500      # generated and real curves for the sine-fit metrics
FRAME_CURVES = 5       # generated curves in each evolution.gif frame (fixed noise)
N_VIEWED_SAMPLES = 2   # the post's generated_curves figure
DATA_FAMILY = dict(frequency_range=(1, 2), amplitude=.5, mean=.5)  # sample_data's curves
LOSS_COLUMNS = ['step', 'g_loss', 'd_loss']


def build_parser():
    parser = ArgumentParser(
        prog='sine_gan.py',
        description="Robin Ricard's Keras sine-curve GAN (seed 004): pretrains D, trains G "
                    "through the chained model with D frozen, and saves the post's figures, "
                    "evolution.gif, losses, sine-fit metrics and the models into --out.")
    post = parser.add_argument_group("the post's settings")
    post.add_argument('--epochs', type=positive_int, default=500,
                      help='epochs of one D step and one chained step each')
    post.add_argument('--n-samples', type=positive_int, default=10000,
                      help='real and generated curves per D step (and noise per G step)')
    post.add_argument('--noise-dim', type=positive_int, default=10,
                      help="size of the generator's U(0, 1) noise")
    post.add_argument('--batch-size', type=positive_int, default=32,
                      help="batch size of pretrain's D.fit")
    post.add_argument('--v-freq', type=positive_int, default=50,
                      help='print the losses, save a frame and a checkpoint every this '
                           'many epochs')
    parser.add_argument('--resume', action='store_true',
                        help='continue the run in --out from its last checkpoint, up to '
                             '--epochs (its other settings are kept)')
    add_sweep_argument(parser, 'sine_gan')
    add_run_arguments(parser, 'sine_gan')
    return parser


def hyperparameters(args):
    """Every resolved setting, under the names config.json and sweep.json use."""
    settings = {key: getattr(args, key) for key in
                ['epochs', 'n_samples', 'noise_dim', 'batch_size', 'v_freq']}
    settings.update(dense_dim=200, n_channels=50, conv_sz=5, drate=.25, lr_generator=1e-3,
                    lr_discriminator=1e-3, optimizer_generator='SGD',
                    optimizer_discriminator='Adam', adam_epsilon=ADAM_EPSILON,
                    loss='binary_crossentropy of Keras 2.0 (clipped at 1e-7)',
                    x_vals=[0, 5, .1], max_offset=100, mul_range=[1, 2])
    return settings


def build_models(noise_dim, G=None, D=None):
    """The post's Inputs and models; G and D may be given (loaded), the chain is rebuilt."""
    if G is None:
        G_in = Input(shape=(noise_dim,))
        G, G_out = get_generative(G_in)
    if D is None:
        D_in = Input(shape=(50,))
        D, D_out = get_discriminative(D_in)
    GAN_in = Input(shape=(noise_dim,))
    GAN, GAN_out = make_gan(GAN_in, G, D)
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


def sine_metrics(G, samples):
    generated = G.predict_on_batch(samples['metric_noise'])
    return sine_curve_metrics(generated, samples['metric_real'], X_VALS, **DATA_FAMILY)


# -- checkpoints ---------------------------------------------------------------------------

def dropout_states(D):
    """The state of each Dropout's random-number generator: .keras files leave it out
    (keras-team/keras#19796), so checkpoint.json keeps it for an exact resume."""
    return [layer.seed_generator.state for layer in D.layers if isinstance(layer, Dropout)]


def checkpoints(run_dir):
    """checkpoints/epoch_NNNNNN/: generator.keras, discriminator.keras and checkpoint.json
    (epochs done, RNG states, each file's checksum), one folder written atomically."""
    return FolderCheckpoints(run_dir / 'checkpoints', keep=2)


def save_models(folder, G, D):
    """generator.keras and discriminator.keras; D saved trainable: loading builds Adam for
    the weights trainable then, and a frozen D would load without its Adam state."""
    was_trainable = D.trainable
    set_trainability(D, True)
    G.save(folder / 'generator.keras')
    D.save(folder / 'discriminator.keras')
    set_trainability(D, was_trainable)


def save_final_models(run_dir, G, D):
    """The trained models beside the figures (each file replaced whole)."""
    with tempfile.TemporaryDirectory(prefix='.models.', dir=run_dir) as tmp:
        save_models(Path(tmp), G, D)
        for name in ('generator.keras', 'discriminator.keras'):
            os.replace(Path(tmp) / name, run_dir / name)


def save_checkpoint(run_dir, G, D, epoch, rng, pretrain_loss):
    checkpoints(run_dir).save(epoch, lambda folder: save_models(folder, G, D), {
        'epochs_done': epoch, 'pretrain_loss': pretrain_loss,
        'rng_state': rng.bit_generator.state,
        'dropout_states': [state.numpy().tolist() for state in dropout_states(D)]})


def load_checkpoint(run_dir):
    """The newest intact checkpoint: (its state, G, D)."""
    folder, checkpoint = checkpoints(run_dir).latest()
    try:
        G = keras.models.load_model(folder / 'generator.keras')
        D = keras.models.load_model(folder / 'discriminator.keras')
    except Exception as error:  # whatever a damaged model file raises: one line
        raise UsageError(f'--resume: cannot read the models in {folder}: '
                         f'{first_line(error)}') from None
    for state, saved in zip(dropout_states(D), checkpoint['dropout_states']):
        state.assign(saved)
    return checkpoint, G, D


def resumed_args(args, run_dir):
    """The run's saved settings, with this command's --epochs; conflicting flags are errors."""
    saved = json.loads((run_dir / 'config.json').read_text())
    defaults = build_parser().parse_args([])
    resumed = argparse.Namespace(**vars(args))
    for key in ['n_samples', 'noise_dim', 'batch_size', 'v_freq', 'seed']:
        given = getattr(args, key)
        if given != getattr(defaults, key) and given != saved[key]:
            raise UsageError(f"--resume: --{key.replace('_', '-')} {given} differs from "
                             f"the run's {saved[key]}; a resumed run keeps its settings")
        setattr(resumed, key, saved[key])
    resumed.deterministic = args.deterministic or saved['deterministic']
    return resumed


# -- one run ---------------------------------------------------------------------------------

class Recorder:
    """train's on_epoch_end: losses.csv every epoch; a frame and a checkpoint every v_freq."""

    def __init__(self, run_dir, args, G, D, rng, samples, pretrain_loss, log):
        from gantools.plots import CurvePlot
        self.run_dir, self.args, self.G, self.D, self.rng = run_dir, args, G, D, rng
        self.samples, self.pretrain_loss, self.log = samples, pretrain_loss, log
        self.frames_dir = run_dir / 'frames'
        self.frames_dir.mkdir(exist_ok=True)
        self.plot = CurvePlot(np.arange(50), FRAME_CURVES, 'Generated curves', (-1.05, 1.05))

    def frame(self, epochs_done):
        curves = self.G.predict_on_batch(self.samples['frame_noise'])
        self.plot.save(self.frames_dir / f'epoch_{epochs_done:04d}.png', curves,
                       caption=f'epoch {epochs_done}')

    def __call__(self, epoch, g, d):
        self.log.write(step=epoch, g_loss=g, d_loss=d)
        done = epoch + 1
        if done % self.args.v_freq == 0 or done == self.args.epochs:
            self.log.flush()
            self.frame(done)
            save_checkpoint(self.run_dir, self.G, self.D, done, self.rng, self.pretrain_loss)


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


def start_or_resume(args):
    """The run folder, args, models, training generator, first epoch and pretrain loss.

    A new run builds the models after seeding, so their initial weights follow --seed.
    A resumed one loads them and the generator's state from the last checkpoint.
    """
    if not args.resume:
        seed_everything(args.seed, args.deterministic)
        GAN, G, D = build_models(args.noise_dim)
        run_dir = start_run(args, hyperparameters(args), trainable_parameters(G, D))
        return run_dir, args, (GAN, G, D), training_rng(args.seed), 0, None
    run_dir = Path(args.out).expanduser()
    if not (run_dir / 'config.json').is_file():
        raise UsageError(f'--resume: {run_dir} holds no run to resume (no config.json)')
    args = resumed_args(args, run_dir)
    checkpoint, G, D = load_checkpoint(run_dir)
    if checkpoint['epochs_done'] >= args.epochs:
        raise UsageError(f"--resume: {run_dir} already holds {checkpoint['epochs_done']} "
                         f"epochs; pass a larger --epochs to train further")
    GAN, G, D = build_models(args.noise_dim, G, D)
    run_dir = start_run(args, hyperparameters(args), trainable_parameters(G, D), resume=True)
    rng = training_rng(args.seed)
    rng.bit_generator.state = checkpoint['rng_state']
    print(f"Resuming {run_dir} at epoch {checkpoint['epochs_done'] + 1} of {args.epochs}",
          flush=True)
    return run_dir, args, (GAN, G, D), rng, checkpoint['epochs_done'], \
        checkpoint['pretrain_loss']


def run_once(args):
    run_dir, args, (GAN, G, D), rng, start_epoch, pretrain_loss = start_or_resume(args)
    samples = evaluation_samples(args.seed, args.noise_dim)
    start = time.perf_counter()
    with LossLog(run_dir / 'losses.csv', LOSS_COLUMNS, keep_until=start_epoch) as log:
        if start_epoch == 0:
            with quiet_runtime_noise(args.verbose):  # a tf.data notice under --deterministic
                pretrain_loss = pretrain(G, D, noise_dim=args.noise_dim,
                                         n_samples=args.n_samples,
                                         batch_size=args.batch_size, rng=rng)
        recorder = Recorder(run_dir, args, G, D, rng, samples, pretrain_loss, log)
        if start_epoch == 0:
            recorder.frame(0)
        train(GAN, G, D, epochs=args.epochs, n_samples=args.n_samples,
              noise_dim=args.noise_dim, verbose=True, v_freq=args.v_freq, rng=rng,
              start_epoch=start_epoch, on_epoch_end=recorder)
    seconds = time.perf_counter() - start
    save_figures(run_dir, G, samples)
    save_final_models(run_dir, G, D)
    losses = read_losses(run_dir / 'losses.csv')
    metrics = dict(sine_metrics(G, samples), pretrain_loss=pretrain_loss,
                   final_g_loss=float(losses['g_loss'][-1]),
                   final_d_loss=float(losses['d_loss'][-1]), epochs=args.epochs,
                   train_seconds=round(seconds, 3))
    write_json(run_dir / 'metrics.json', metrics)
    print(summary(metrics))
    print(f'Wrote {run_dir} (real_curves.png, losses.png, generated_curves.png, '
          f'evolution.gif, metrics.json)')
    return 0


def summary(metrics):
    return ('Pretrain loss {pretrain_loss:.4f}; generated curves: sine-fit RMSE median '
            '{fit_rmse_median:.3f}, frequencies {frequency_p05:.2f}-{frequency_p95:.2f} '
            '(5-95%; data 1-2, W1 {frequency_w1:.3f}), diversity {diversity_ratio:.2f} of '
            "the real curves'{collapse}").format(
                **metrics, collapse=': collapsed' if metrics['collapsed'] else '')


# -- a sweep over seeds --------------------------------------------------------------------

def run_sweep(args):
    flags = hyperparameters(args)
    quiet_retracing_notices(args.verbose)  # new models for every seed: their first traces
    GAN, G, D = build_models(args.noise_dim)
    run_dir = start_run(args, dict(flags, sweep=args.sweep), trainable_parameters(G, D))
    per_seed = []
    for seed in range(args.sweep):
        keras.backend.clear_session()
        seed_everything(seed, args.deterministic)  # as a single run with --seed does
        GAN, G, D = build_models(args.noise_dim)
        rng = training_rng(seed)
        start = time.perf_counter()
        with quiet_runtime_noise(args.verbose):
            pretrain_loss = pretrain(G, D, noise_dim=args.noise_dim, n_samples=args.n_samples,
                                     batch_size=args.batch_size, rng=rng, verbose=0)
        d_loss, g_loss = train(GAN, G, D, epochs=args.epochs, n_samples=args.n_samples,
                               noise_dim=args.noise_dim, rng=rng)
        metrics = dict(sine_metrics(G, evaluation_samples(seed, args.noise_dim)),
                       pretrain_loss=pretrain_loss, final_g_loss=g_loss[-1],
                       final_d_loss=d_loss[-1], train_seconds=round(time.perf_counter()
                                                                   - start, 3))
        per_seed.append(dict(seed=seed, **metrics))
        collapsed = sum(run['collapsed'] for run in per_seed)
        print(f'seed {seed}: G {g_loss[-1]:.4f} D {d_loss[-1]:.4f}. {summary(metrics)}',
              flush=True)
        write_json(run_dir / 'sweep.json', {
            'runs': len(per_seed), 'collapsed': collapsed,
            'criterion': 'diversity_ratio < {}'.format(COLLAPSE_RATIO), 'flags': flags,
            'per_seed': per_seed})
    print('{} of {} seeds collapsed; wrote {}'.format(collapsed, args.sweep,
                                                      run_dir / 'sweep.json'))
    return 0


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.sweep and args.resume:
        parser.error('--resume cannot be combined with --sweep')
    return run_sweep(args) if args.sweep else run_once(args)
