"""The blog's MNIST MLP GAN, dropout written but inactive, from PyTorch to Keras 3 (program S5).

Ports section 3 ("MNIST") of seed 002, jiweibo's 2017 post, whose full code
(jiweibo/Paper-Implementation, GAN/mnist) is lost: only the post's excerpts survive, so
everything beyond them follows SPEC's S5 decisions. From the post: a generator
Linear(100, h) -> ReLU -> dropout 0.2 -> Linear(h, h) -> ReLU -> dropout 0.2 ->
Linear(h, 784) -> tanh, a discriminator Linear(784, h) -> ReLU -> dropout 0.2 ->
Linear(h, h) -> ReLU -> dropout 0.2 -> Linear(h, 1) -> sigmoid, BCE, two Adam optimisers,
and `fit`: for every batch of real images one batch of U(-1, 1) noise `d_fake_input`,
d_steps D updates (real target 1 - smooth, fake target 0, one gradient step on
d_error = real + fake), then g_steps G updates on the same noise (target 1 - smooth); every
print_interval batches the line `epoch/num_epoch--i/n_batches: D: real/fake G: g`; after
every epoch a 5x5 figure of generated digits (`show_sample_img`'s layout); every 10 epochs
the models. The names follow the post: Generator, Discriminator, build_model (here
`GAN.__init__`), fit, gen_batch, sampler, save_sample_img, save_model, show_sample_img.

SPEC's decisions where the post is silent (S5): hidden size 256 (trainable parameters G
293,136, D 267,009), Adam lr 2e-4 for both nets with betas (0.5, 0.999), batches of 64,
100 epochs, smooth 0.1, d_steps 1, g_steps 1, sample_size 25, print_interval 100, MNIST
scaled to [-1, 1] to match G's tanh.

Dropout: none by default, as the post's code computed it. The post calls
`F.dropout(x, p=0.2)` without `training=`; it ran on PyTorch 0.2 (August 2017), where that
argument defaulted to False, so the call returned x unchanged: the post's nets were plain
MLPs in training and in sampling (the default became True in PyTorch 1.0). The Dropout
layers are kept where the post wrote its calls, with rate `--dropout` (default 0: the
identity). `--dropout 0.2` opts in to the dropout the post wrote, as F.dropout applies it
from PyTorch 1.0 on: in every update of both nets and, since F.dropout ignores `eval()`, also
when G draws the figures and the metrics' samples (the same noise then gives another digit at
every call); `--no-sample-dropout` keeps it for training only (Keras's inference mode when
sampling). Without dropout the two sampling modes compute the same images.

Deliberate differences from the post (the defaults compute what the post computes):
- The post's `gen_batch` is lost. Batches are formed as follows: every epoch the 60,000
  training images (all of them: the post trains on the whole `real_x`) are shuffled anew and
  cut into full batches of batch_size, 60,000 // 64 = 937 (the number of batches the post
  prints); the last 32 images of each epoch's order are left out. Full batches are what the
  post's noise and targets, always batch_size rows, require.
- The fake target `torch.zeros(batch_size, 0) * (1 - smooth)`, an empty tensor (current
  PyTorch refuses it), is zeros(batch_size, 1), as intended (SPEC).
- The printed losses are the mean over the print_interval batches. The post sets its sums to
  0 at the start of every batch and divides by print_interval, so it printed the current
  batch's losses divided by 100; the division says an average was meant (SPEC: "as
  averages"). Here the sums restart after every print and at every epoch, and are divided by
  print_interval as in the post (with d_steps or g_steps above 1, each batch adds the sum
  over its steps, as in the post). `i` is 0-based as in the post (the first line of an epoch
  is `0/100--99/937`); the stray `)` at the end of the post's format string is dropped.
  `.data[0]` (PyTorch <= 0.3) is reading the loss as a float.
- Layers are Keras `Dense` initialised as PyTorch's `nn.Linear` is: weights and biases
  U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (`gantools.torch_compat.torch_linear`), not Keras's Glorot weights and
  zero biases. With `--dropout`, Keras's Dropout scales the kept units by 1/(1 - p) like
  F.dropout.
- BCE is Keras's `BinaryCrossentropy` on D's sigmoid output, which Keras 3 computes from the
  sigmoid's logit z, exactly and without clipping. PyTorch's BCELoss takes the probability
  p: log(p + 1e-12) in PyTorch 0.2, log clamped at -100 today. They agree until D
  saturates: in float32 p rounds to 1 beyond z of about 17, where PyTorch's loss of a fake
  stops at 27.6 (0.2; today 100) with no gradient left, while Keras's is z with gradient 1;
  below z of about -27.6 PyTorch's gradient towards the real target shrinks (at z = -30 to
  less than a tenth of Keras's). Adam's epsilon is PyTorch's 1e-8 (Keras's default is
  1e-7), added to sqrt(v) before the bias correction as PyTorch 0.2 did (moved after it in
  2019). The post's d_lr and g_lr are one `--lr`.
- One batch (d_steps D updates, then g_steps G updates) is one compiled `tf.function`. The
  data order and the noise come from NumPy generators derived from (--seed, epoch) instead of
  the unseeded `np.random`, and (with `--dropout`) the dropout masks from the Dropout
  layers' own seeded random state, which the checkpoint holds, so --resume continues
  exactly. The figures and the metrics draw their noise and their dropout masks from
  separate streams (the layers' training state is put back after sampling): plotting never
  changes training.
- The post's `save_sample_img` is lost; its figure is `show_sample_img`'s (5x5 subplots,
  figsize (7, 7), axes hidden, 'Greys_r'), saved as `samples/epoch_NNN.png` for each epoch
  with fresh noise, as the post drew it. `save_model(epoch)` every 10 epochs writes
  `models/generator_epoch_NNN.keras` and `models/discriminator_epoch_NNN.keras`; NNN is the
  0-based epoch the post passes (009, 019, ...). The post's `build_model` calls
  `load_model()`; here `--resume` restores a checkpoint instead.
- Added: a progress bar with ETA, a checkpoint after every epoch (both optimisers, the
  dropout state; the last 3 kept) for `--resume`, Ctrl-C (or SIGTERM) finishing the
  current epoch and saving it, losses.csv (a row per printed line), losses.png, evolution.gif,
  metrics.json (the shared MNIST quality metrics of generated images mapped to [0, 1]),
  config.json, and `--evaluate` for a saved generator.
"""
import contextlib
import sys
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from gantools.cli import (ArgumentParser, UsageError, add_run_arguments, first_line, fraction,
                          non_negative_int, positive_float, positive_int)
from gantools.mnist import (DATA_STREAM, GRID_STREAM, METRICS_STREAM, NOISE_STREAM,
                            add_data_arguments, images, load_mnist, stream_rng)
from gantools.resume import (apply_previous_flags, check_training_set,
                             checked_checkpoint_value, evaluation_config, given_flags,
                             latest_checkpoint, read_config)
from gantools.rundir import LossLog, read_losses, start_run, write_config, write_json
from gantools.training import Checkpoints, Progress, StopRequest
from gantools.torch_compat import torch_linear

# Model params (SPEC S5: the post's values are lost)
g_input_size = 100   # noise U(-1, 1) of size 100, as the post's fit draws it
g_hidden_size = 256
g_output_size = 784
d_input_size = 784
d_hidden_size = 256
d_output_size = 1
dropout_p = 0.0      # F.dropout(..., p=0.2) in PyTorch 0.2: training=False, the identity
post_dropout_p = 0.2  # the p the post wrote (--dropout 0.2)

d_lr = 2e-4
g_lr = 2e-4
betas = (0.5, 0.999)
batch_size = 64
num_epoch = 100
smooth = 0.1
d_steps = 1
g_steps = 1
sample_size = 25     # show_sample_img's 5x5 grid
print_interval = 100
save_every = 10      # save_model every 10 epochs

KEEP_CHECKPOINTS = 3
CHECKPOINT_EPOCH = 'epoch/.ATTRIBUTES/VARIABLE_VALUE'
# Flags that may differ between a run and its --resume; every other flag must match.
FREE_ON_RESUME = {'epochs', 'metric_samples', 'gif_frames', 'deterministic'}
# Flags that are not hyper-parameters of the run (never compared, never taken from config).
NOT_RECORDED = {'out', 'overwrite', 'resume', 'evaluate', 'verbose', 'download'}


# ##### MODELS

def Generator(input_size, hidden_size, output_size, p=dropout_p):
    x = keras.Input((input_size,))
    h = layers.Dropout(p, name='dropout1')(
        torch_linear(input_size, hidden_size, 'relu', 'fc1')(x))
    h = layers.Dropout(p, name='dropout2')(
        torch_linear(hidden_size, hidden_size, 'relu', 'fc2')(h))
    return keras.Model(x, torch_linear(hidden_size, output_size, 'tanh', 'fc3')(h),
                       name='generator')


def Discriminator(input_size, hidden_size, output_size=1, p=dropout_p):
    x = keras.Input((input_size,))
    h = layers.Dropout(p, name='dropout1')(
        torch_linear(input_size, hidden_size, 'relu', 'fc1')(x))
    h = layers.Dropout(p, name='dropout2')(
        torch_linear(hidden_size, hidden_size, 'relu', 'fc2')(h))
    return keras.Model(x, torch_linear(hidden_size, output_size, 'sigmoid', 'fc3')(h),
                       name='discriminator')


def dropout_states(model):
    """The random state (a SeedGenerator variable) of each Dropout layer of `model` (none
    when the rate is 0: Keras's Dropout then draws nothing)."""
    return [layer.seed_generator.state for layer in model.layers
            if isinstance(layer, layers.Dropout) and hasattr(layer, 'seed_generator')]


def count_trainable(model):
    return int(sum(np.prod(v.shape) for v in model.trainable_variables))


@contextlib.contextmanager
def dropout_seeded_from(model, rng):
    """Inside the block, `model`'s Dropout layers draw their masks from seeds taken from
    `rng`; afterwards their training state is put back, as if nothing had been drawn."""
    states = dropout_states(model)
    saved = [state.numpy() for state in states]
    try:
        for state in states:
            state.assign(np.array([rng.integers(1, 2 ** 31), 0], dtype=saved[0].dtype))
        yield
    finally:
        for state, value in zip(states, saved):
            state.assign(value)


def sampler(G, z, rng, dropout=True):
    """The post's `sampler`: G applied to noise z, as a NumPy array in [-1, 1].

    With `dropout` (the default, as F.dropout, which ignores eval()), G's Dropout layers are
    active (if their rate is above 0) and their masks come from `rng`; without, Keras's
    inference mode. With rate 0 (the default) both give the same images."""
    z = np.asarray(z, np.float32)
    if not dropout:
        return G(z, training=False).numpy()
    with dropout_seeded_from(G, rng):
        return G(z, training=True).numpy()


def noise(rng, n):
    """U(-1, 1) noise of shape (n, 100), as the post's np.random.uniform(-1, 1, size=...)."""
    return rng.uniform(-1, 1, size=(n, g_input_size)).astype(np.float32)


# ##### The GAN: models, optimisers and one compiled training step

class GAN:
    """G, D, their Adam optimisers and one batch of the post's `fit` (build_model)."""

    def __init__(self, lr=d_lr, d_steps=d_steps, g_steps=g_steps, smooth=smooth,
                 dropout=dropout_p, sample_dropout=True):
        self.d_steps, self.g_steps, self.smooth = d_steps, g_steps, smooth
        self.sample_dropout = sample_dropout
        self.G = Generator(g_input_size, g_hidden_size, g_output_size, dropout)
        self.D = Discriminator(d_input_size, d_hidden_size, d_output_size, dropout)
        self.criterion = keras.losses.BinaryCrossentropy()
        self.d_optimizer = keras.optimizers.Adam(d_lr if lr is None else lr, *betas,
                                                 epsilon=1e-8)
        self.g_optimizer = keras.optimizers.Adam(g_lr if lr is None else lr, *betas,
                                                 epsilon=1e-8)
        self.d_optimizer.build(self.D.trainable_variables)
        self.g_optimizer.build(self.G.trainable_variables)
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False)  # epochs completed
        self.checkpoint = tf.train.Checkpoint(
            G=self.G, D=self.D, d_optimizer=self.d_optimizer, g_optimizer=self.g_optimizer,
            epoch=self.epoch, dropout_states=dropout_states(self.G) + dropout_states(self.D))

    def trainable_parameters(self):
        return {'generator': count_trainable(self.G), 'discriminator': count_trainable(self.D)}

    def target(self, decision):
        """The post's `ones(batch_size, 1) * (1 - smooth)`: the smoothed 'real' label."""
        return tf.ones_like(decision) * (1 - self.smooth)

    def train_d(self, d_real_data, d_fake_input):
        """One D update: its real and fake errors. G's output is a constant (.detach())."""
        with tf.GradientTape() as tape:
            d_real_decision = self.D(d_real_data, training=True)
            d_real_error = self.criterion(self.target(d_real_decision), d_real_decision)
            d_fake_data = tf.stop_gradient(self.G(d_fake_input, training=True))
            d_fake_decision = self.D(d_fake_data, training=True)
            # the post's zeros(batch_size, 0) * (1 - smooth), fixed to zeros(batch_size, 1)
            d_fake_error = self.criterion(tf.zeros_like(d_fake_decision) * (1 - self.smooth),
                                          d_fake_decision)
            d_error = d_fake_error + d_real_error
        grads = tape.gradient(d_error, self.D.trainable_variables)
        self.d_optimizer.apply_gradients(zip(grads, self.D.trainable_variables))
        return d_real_error, d_fake_error

    def train_g(self, d_fake_input):
        """One G update on the D step's noise (D's dropout is active, its weights stay)."""
        gen_input = d_fake_input
        with tf.GradientTape() as tape:
            g_fake_data = self.G(gen_input, training=True)
            dg_fake_decision = self.D(g_fake_data, training=True)
            g_error = self.criterion(self.target(dg_fake_decision), dg_fake_decision)
        grads = tape.gradient(g_error, self.G.trainable_variables)
        self.g_optimizer.apply_gradients(zip(grads, self.G.trainable_variables))
        return g_error

    @tf.function
    def train_step(self, d_real_data, d_fake_input):
        """One batch of `fit`: the sums of D's real and fake errors over the d_steps D
        updates and of G's error over the g_steps G updates (what the post adds up)."""
        d_real_error_sum = d_fake_error_sum = g_error_sum = tf.constant(0.0)
        for _ in range(self.d_steps):
            d_real_error, d_fake_error = self.train_d(d_real_data, d_fake_input)
            d_real_error_sum += d_real_error
            d_fake_error_sum += d_fake_error
        for _ in range(self.g_steps):
            g_error_sum += self.train_g(d_fake_input)
        return tf.stack([d_real_error_sum, d_fake_error_sum, g_error_sum])

    def sampler(self, z, rng):
        return sampler(self.G, z, rng, self.sample_dropout)


# ##### Data

def gen_batch(real_x, batch_size, rng):
    """One epoch of full batches of real images in [-1, 1], in a shuffled order from `rng`
    (the post's gen_batch is lost: see the module docstring)."""
    order = rng.permutation(len(real_x))
    for start in range(0, len(real_x) - batch_size + 1, batch_size):
        yield images(real_x[order[start:start + batch_size]], value_range=(-1, 1))


def to_unit_range(samples):
    """Generated images from tanh's [-1, 1] to the classifier's [0, 1]."""
    return (np.asarray(samples) + 1) / 2


# ##### The program

def build_parser():
    parser = ArgumentParser(
        prog='mnist_gan_keras.py', allow_abbrev=False,
        description="The blog's MNIST MLP GAN (seed 002, jiweibo's lost PyTorch 0.2 code) in "
                    "Keras 3. Saves a 5x5 figure of samples every epoch, the models "
                    "every 10 epochs, evolution.gif, losses and quality metrics into --out.")
    add_data_arguments(parser)
    post = parser.add_argument_group("the post's settings (SPEC's decisions where it is "
                                     "silent)")
    post.add_argument('--epochs', type=positive_int, default=num_epoch,
                      help='num_epoch (with --resume: still the total)')
    post.add_argument('--batch-size', type=positive_int, default=batch_size,
                      help='batch_size (real images per batch, and noise vectors)')
    post.add_argument('--lr', type=positive_float, default=d_lr,
                      help='Adam learning rate of both nets (d_lr, g_lr)')
    post.add_argument('--smooth', type=fraction, default=smooth,
                      help='label smoothing: the real target of D and G is 1 - smooth')
    post.add_argument('--d-steps', type=positive_int, default=d_steps,
                      help='D updates per batch')
    post.add_argument('--g-steps', type=positive_int, default=g_steps,
                      help='G updates per batch (on the same noise)')
    post.add_argument('--print-interval', type=positive_int, default=print_interval,
                      help='print the mean losses and write a losses.csv row every this many '
                           'batches of an epoch')
    post.add_argument('--dropout', dest='dropout_p', type=fraction, default=dropout_p,
                      metavar='P',
                      help='dropout rate after each hidden layer of both nets; default 0: '
                           "none, as the post's F.dropout(x, p=0.2) computed on PyTorch 0.2 "
                           '(training=False by default); %s: the dropout the post wrote, as '
                           'F.dropout applies it from PyTorch 1.0 on' % post_dropout_p)
    post.add_argument('--no-sample-dropout', dest='sample_dropout', action='store_false',
                      help="with --dropout: draw the figures' and metrics' samples without "
                           "dropout (Keras's inference mode); by default it stays active "
                           "when sampling, as F.dropout ignores eval() (sample_dropout: "
                           "%(default)s)")
    run = parser.add_argument_group('long runs and metrics')
    run.add_argument('--resume', action='store_true',
                     help='continue the run in --out from its last checkpoint (after the '
                          'last completed epoch), with the flags it was started with')
    run.add_argument('--evaluate', type=Path, metavar='CHECKPOINT',
                     help='only compute the quality metrics of a saved generator: a '
                          'checkpoint prefix (runs/x/checkpoints/ckpt-5), a run or checkpoints '
                          'folder for its latest checkpoint, or a models/generator_*.keras '
                          'file')
    run.add_argument('--metric-samples', type=non_negative_int, default=10_000,
                     help='generated images scored by the MNIST classifier at the end; '
                          '0: no quality metrics')
    run.add_argument('--gif-frames', type=non_negative_int, default=100,
                     help='evolution.gif shows at most this many of the epoch figures, '
                          'evenly spaced (0: all)')
    add_run_arguments(parser, 'mnist_gan_keras')
    return parser


def hyperparameters(args):
    return dict(
        epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, betas=list(betas),
        adam_epsilon=1e-8, smooth=args.smooth, d_steps=args.d_steps, g_steps=args.g_steps,
        print_interval=args.print_interval, sample_dropout=args.sample_dropout,
        sample_size=sample_size, save_every=save_every, metric_samples=args.metric_samples,
        gif_frames=args.gif_frames, g_hidden_size=g_hidden_size, d_hidden_size=d_hidden_size,
        dropout_p=args.dropout_p, noise='U(-1, 1) of size 100', data_range=[-1, 1],
        data=str(Path(args.data).expanduser().resolve()) if args.data else None)


def make_gan(args):
    return GAN(lr=args.lr, d_steps=args.d_steps, g_steps=args.g_steps, smooth=args.smooth,
               dropout=args.dropout_p, sample_dropout=args.sample_dropout)


class Run:
    """One training run in a run folder: the post's `fit` with the files around it."""

    def __init__(self, gan, args, run_dir, mnist):
        self.gan, self.args, self.run_dir, self.mnist = gan, args, run_dir, mnist
        self.real_x = mnist.x_train
        self.n_batches = len(self.real_x) // args.batch_size
        self.samples_dir = run_dir / 'samples'
        self.models_dir = run_dir / 'models'
        self.checkpoints = Checkpoints(gan.checkpoint, run_dir / 'checkpoints',
                                       KEEP_CHECKPOINTS)
        self.grid = None

    def fit(self):
        gan, args = self.gan, self.args
        start = int(gan.epoch.numpy())
        self.samples_dir.mkdir(exist_ok=True)
        self.models_dir.mkdir(exist_ok=True)
        for path in self.samples_dir.glob('epoch_*.png'):  # made after the checkpoint
            if path.stem[6:].isdigit() and int(path.stem[6:]) >= start:
                path.unlink()
        log = LossLog(self.run_dir / 'losses.csv', LOSS_COLUMNS, keep_until=start)
        progress = Progress(args.epochs * self.n_batches, start * self.n_batches)
        began = time.perf_counter()
        try:
            with StopRequest('epoch') as interrupt:
                for epoch in range(start, args.epochs):
                    self.train_epoch(epoch, log, progress)
                    self.save_sample_img(epoch)
                    if (epoch + 1) % save_every == 0:
                        self.save_model(epoch)
                    gan.epoch.assign(epoch + 1)
                    log.flush()
                    self.checkpoints.save(epoch + 1)
                    if interrupt.requested and epoch + 1 < args.epochs:
                        progress.close()
                        print(f'Stopped after epoch {epoch} ({epoch + 1} of {args.epochs} '
                              f'done); checkpoint written. Continue with --resume --out '
                              f'{self.run_dir}', file=sys.stderr)
                        raise KeyboardInterrupt
        finally:
            progress.close()
            log.close()
        return time.perf_counter() - began, start

    def train_epoch(self, epoch, log, progress):
        gan, args = self.gan, self.args
        noise_rng = stream_rng(args.seed, NOISE_STREAM, epoch)
        sums = np.zeros(3)
        status = 'epoch %d' % epoch
        batches = gen_batch(self.real_x, args.batch_size, stream_rng(args.seed, DATA_STREAM,
                                                                    epoch))
        for i, d_real_data in enumerate(batches):
            d_fake_input = noise(noise_rng, args.batch_size)
            sums += gan.train_step(d_real_data, d_fake_input).numpy()
            if (i + 1) % args.print_interval == 0:
                d_real_error, d_fake_error, g_error = (sums / args.print_interval).tolist()
                progress.clear()
                print('%s/%s--%s/%s: D: %s/%s G: %s' % (
                    epoch, args.epochs, i, self.n_batches, d_real_error, d_fake_error,
                    g_error), flush=True)
                log.write(epoch=epoch, batch=i, iteration=epoch * self.n_batches + i + 1,
                          d_real_error=d_real_error, d_fake_error=d_fake_error,
                          g_error=g_error)
                sums[:] = 0
                status = 'D: %.3f/%.3f G: %.3f' % (d_real_error, d_fake_error, g_error)
            progress.update(epoch * self.n_batches + i + 1, status)

    def save_sample_img(self, epoch):
        """After each epoch, the post's figure of sample_size samples from fresh noise."""
        from gantools.plots import SubplotGrid
        if self.grid is None:
            self.grid = SubplotGrid(5, 5, figsize=(7, 7))
        rng = stream_rng(self.args.seed, GRID_STREAM, epoch)
        d_fake_data = self.gan.sampler(noise(rng, sample_size), rng)
        self.grid.save(self.samples_dir / 'epoch_{:03d}.png'.format(epoch), d_fake_data)

    def save_model(self, epoch):
        for model, name in [(self.gan.G, 'generator'), (self.gan.D, 'discriminator')]:
            path = self.models_dir / '{}_epoch_{:03d}.keras'.format(name, epoch)
            tmp = path.with_name('tmp-' + path.name)
            model.save(tmp)
            tmp.replace(path)

    def save_figures(self):
        from gantools.plots import evenly_spaced, plot_losses, write_gif
        frames = sorted(self.samples_dir.glob('epoch_*.png'))
        if frames:
            write_gif(evenly_spaced(frames, self.args.gif_frames),
                      self.run_dir / 'evolution.gif', duration_ms=200)
        losses = read_losses(self.run_dir / 'losses.csv')
        if losses:
            plot_losses(losses, self.run_dir / 'losses.png',
                        {'d_real_error': 'D real', 'd_fake_error': 'D fake', 'g_error': 'G'},
                        x='iteration', xlabel='batch',
                        title='MNIST GAN: mean losses every {} batches'.format(
                            self.args.print_interval))


LOSS_COLUMNS = ['epoch', 'batch', 'iteration', 'd_real_error', 'd_fake_error', 'g_error']


def quality(G, args, mnist, n, dropout):
    """The shared MNIST metrics of n samples (noise and dropout masks from the metrics
    stream of the run's seed, so --evaluate repeats the end of training)."""
    from gantools import mnist_metrics
    rng = stream_rng(args.seed, METRICS_STREAM, 0)
    samples = to_unit_range(sampler(G, noise(rng, n), rng, dropout))
    return mnist_metrics.score(samples, mnist)


def main(argv=None):
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    if args.evaluate is not None:
        return evaluate(args, given_flags(parser, argv))
    if args.resume and args.overwrite:
        raise UsageError('--resume continues the run in --out and --overwrite replaces it: '
                         'choose one')
    checkpoint = previous = None
    if args.resume:
        previous = read_config(args.out)
        apply_previous_flags(args, given_flags(parser, argv), previous, FREE_ON_RESUME,
                             NOT_RECORDED, {'dropout_p': '--dropout'})
        checkpoint = latest_checkpoint(Path(args.out) / 'checkpoints')
        if checkpoint is None:
            raise UsageError(f'--resume: {args.out} holds no checkpoint to resume from')
        done = checked_checkpoint_value(checkpoint, CHECKPOINT_EPOCH)
        if done > args.epochs:
            raise UsageError(f'--resume: the checkpoint is at epoch {done}, past --epochs '
                             f'{args.epochs}')
    mnist = load_mnist(args.data, args.download)
    if previous is not None:
        check_training_set(previous, mnist)
    if len(mnist.x_train) < args.batch_size:
        raise UsageError(f'--batch-size {args.batch_size} is larger than the training set '
                         f'({len(mnist.x_train)} images in {mnist.source})')
    run_dir = start_run(args, resume=args.resume)  # seeds before the models are built
    gan = make_gan(args)
    if checkpoint is not None:
        Checkpoints(gan.checkpoint, checkpoint.parent).restore(path=checkpoint)
        start = int(gan.epoch.numpy())
        print(f'Resuming {run_dir} at epoch {start} of {args.epochs}')
    hparams = hyperparameters(args)
    hparams['data_source'] = dict(mnist.describe(), training_images_used=len(mnist.x_train),
                                  batches_per_epoch=len(mnist.x_train) // args.batch_size)
    write_config(run_dir, args, hparams, gan.trainable_parameters())
    run = Run(gan, args, run_dir, mnist)
    seconds, start = run.fit()
    run.save_figures()
    done = int(gan.epoch.numpy())
    metrics = {'epochs': done, 'epochs_this_session': done - start,
               'train_seconds': round(seconds, 3),
               'seconds_per_epoch': round(seconds / max(done - start, 1), 3),
               'sample_dropout': args.sample_dropout}
    if args.metric_samples:
        from gantools.mnist_metrics import summary
        metrics.update(quality(gan.G, args, mnist, args.metric_samples, args.sample_dropout))
        print(summary(metrics))
    write_json(run_dir / 'metrics.json', metrics)
    print(f'Wrote {run_dir} (samples/, models/, evolution.gif, losses.png, metrics.json)')
    return 0


# ##### --evaluate

def load_generator(path):
    """A generator saved by save_model (models/generator_epoch_NNN.keras)."""
    try:
        G = keras.saving.load_model(path)
    except Exception as error:  # whatever a damaged or foreign file raises
        raise UsageError(f'--evaluate: cannot load {path} ({first_line(error)})') from None
    if tuple(G.input_shape) != (None, g_input_size) or \
            tuple(G.output_shape) != (None, g_output_size):
        raise UsageError(f'--evaluate: {path} is not a generator of this program (input '
                         f'{G.input_shape}, output {G.output_shape})')
    return G


def evaluate(args, given=()):
    """--evaluate: the metrics of a saved generator, with the run's seed and sampling mode
    (from its config.json) unless given on the command line."""
    from gantools import mnist_metrics
    path = Path(args.evaluate).expanduser()
    keras_file = path.suffix == '.keras' and path.is_file()
    if keras_file:
        run_dir = path.parent.parent
    else:
        checkpoint = latest_checkpoint(path)
        if checkpoint is None:
            raise UsageError(f'--evaluate: no checkpoint at {path} (give a prefix such as '
                             f'runs/x/checkpoints/ckpt-5, a run folder or a '
                             f'models/generator_epoch_NNN.keras file)')
        run_dir = checkpoint.parent.parent
    # before G is built: its Dropout layers (--dropout) must be the checkpoint's
    data = evaluation_config(args, run_dir, given, ('seed', 'dropout_p', 'sample_dropout'))
    if keras_file:
        G, name, where = load_generator(path), path.stem, None
    else:
        gan = make_gan(args)
        Checkpoints(gan.checkpoint, checkpoint.parent).restore(flag='--evaluate',
                                                               path=checkpoint)
        G, name, where = gan.G, checkpoint.name, int(gan.epoch.numpy())
    mnist = load_mnist(data, args.download)
    n = args.metric_samples or 10_000
    metrics = dict(generator=str(path if where is None else checkpoint),
                   sample_dropout=args.sample_dropout,
                   **quality(G, args, mnist, n, args.sample_dropout))
    if where is not None:
        metrics['epoch'] = where
        print(f'Checkpoint {checkpoint} ({where} epochs trained)')
    else:
        print(f'Generator {path}')
    mode = '' if args.sample_dropout else '-no-sample-dropout'
    mnist_metrics.report_evaluation(run_dir / f'evaluation-{name}{mode}.json', metrics)
    return 0
