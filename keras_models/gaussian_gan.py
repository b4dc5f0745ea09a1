"""The blog's 1-D GAN on N(4, 1.25), from PyTorch to Keras 3 (program S4).

Ports section 2 ("GAN生成一维数据") of seed 002 (jiweibo's 2017 post), whose code is devnag's
`pytorch-generative-adversarial-networks/gan_pytorch.py` of 2017 with the seed's changes
(SPEC S4): the discriminator sees a whole set of 100 samples as one vector, after the "data
and variances" preprocessing (the samples and their squared distance from the set's mean,
input 200); the generator maps U[0, 1) noise through elu / sigmoid / linear layers of width
50; BCE with one-sided label smoothing (targets 0.95 for real and for the generator step);
Adam 2e-4, betas (0.9, 0.999); 30,000 epochs of one D step and one G step. The names follow
the post: data/model parameters, `get_distribution_sampler` (d_sampler),
`get_generator_input_sampler` (gi_sampler), `Generator`, `Discriminator`, `extract`, `stats`,
`decorate_with_diffs`, `get_moments`, and the training loop.

Deliberate differences (API migrations; the defaults compute what the post computes):
- Layers are Keras `Dense` initialised as PyTorch's `nn.Linear` is: weights and biases
  U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming_uniform with a = sqrt(5)), not Keras's
  Glorot-uniform weights and zero biases.
- One training step (D then G, as one epoch of the post) is one compiled `tf.function`;
  the samplers draw inside it from a `tf.random.Generator` (the post: NumPy for the data,
  torch.rand for the noise), so a checkpoint holds the random stream and `--resume`
  continues it exactly.
- BCE is Keras's `binary_crossentropy` on D's sigmoid output, which Keras 3 computes from
  the sigmoid's logit z, exactly and without clipping. PyTorch's BCELoss takes the
  probability p: log(p + 1e-12) in PyTorch 0.2, log clamped at -100 today. They agree
  until D saturates: in float32 p rounds to 1 beyond z of about 17, where PyTorch's loss of
  a fake stops at 27.6 (0.2; today 100) with no gradient left, while Keras's is z with
  gradient 1; below z of about -27.6 PyTorch's gradient towards the target 0.95 shrinks
  (at z = -30 to less than a tenth of Keras's). Targets are shaped (1, 1) like D's output
  (PyTorch 0.2 accepted (1,); current PyTorch refuses).
- Adam's epsilon is PyTorch's 1e-8 (Keras's default is 1e-7), added to sqrt(v) before the
  bias correction as Keras does and PyTorch 0.2 did (PyTorch moved it after the correction
  in 2019).
- The seed's `self.dim = dim` (a NameError) is dropped.
- Frames, histogram.png and metrics.json evaluate G on one fixed draw of U[0, 1) noise,
  apart from the training stream (the post drew fresh noise once, at the end): plotting
  then never changes training, and a resumed run reports what an uninterrupted one does.
- The post's d.pkl / g.pkl (state dicts saved every print interval) become `d.weights.h5`
  and `g.weights.h5`, plus a checkpoint with both optimisers and the random state for
  `--resume`. The post's final histogram (`plt.show()`) is saved as histogram.png.
Opt-in: `--preprocess raw|diffs|variances|moments` picks the other input variants of devnag's
code ("variances" is the post's); `--d-steps`, `--g-steps`.
"""
import math
import time

import keras
import numpy as np
import tensorflow as tf
from keras import layers
from scipy import stats as scipy_stats

from gantools.cli import (ArgumentParser, add_run_arguments, add_sweep_argument,
                          positive_float, positive_int)
from gantools.metrics import distribution_metrics
from gantools.torch_compat import torch_linear
from gantools.resume import apply_previous_flags, given_flags, read_config
from gantools.rundir import LossLog, read_losses, start_run, write_config, write_json
from gantools.training import Checkpoints, eta, save_weights

# Data params
data_mean = 4
data_stddev = 1.25

# Model params
g_input_size = 1      # Random noise dimension coming into generator, per output vector
g_hidden_size = 50    # Generator complexity
g_output_size = 1     # size of generated output vector
d_input_size = 100    # Minibatch size - cardinality of distributions
d_hidden_size = 50    # Discriminator complexity
d_output_size = 1     # Single dimension for 'real' vs. 'fake'
minibatch_size = d_input_size

d_learning_rate = 2e-4
g_learning_rate = 2e-4
optim_betas = (0.9, 0.999)
num_epochs = 30000
print_interval = 200
d_steps = 1
g_steps = 1
real_target = 0.95  # the seed's one-sided label smoothing (devnag: 1)


# ##### DATA: Target data and generator input data

def get_distribution_sampler(rng, mu, sigma):
    return lambda n: rng.normal((1, n), mu, sigma)  # Gaussian, one row of n samples


def get_generator_input_sampler(rng):
    return lambda m, n: rng.uniform((m, n))  # Uniform-dist data into generator, _NOT_ Gaussian


# ##### Preprocessing: what D sees of a set of samples

def decorate_with_diffs(data, exponent):
    """The data and each sample's distance from the set's mean, raised to `exponent`.

    As the original, the mean is taken from `data.data`: no gradient flows through it.
    """
    mean = tf.stop_gradient(tf.reduce_mean(data[0]))
    diffs = tf.pow(data - mean, exponent)
    return tf.concat([data, diffs], axis=1)


def get_moments(d):
    """Mean, std, skew and excess kurtosis of the set (devnag's Nov 2018 variant)."""
    mean = tf.reduce_mean(d)
    diffs = d - mean
    var = tf.reduce_mean(tf.pow(diffs, 2.0))
    std = tf.pow(var, 0.5)
    zscores = diffs / std
    skews = tf.reduce_mean(tf.pow(zscores, 3.0))
    kurtoses = tf.reduce_mean(tf.pow(zscores, 4.0)) - 3.0  # excess kurtosis, should be 0 for Gaussian
    return tf.reshape(tf.stack([mean, std, skews, kurtoses]), (1, 4))


PREPROCESS = {  # name: (preprocess, d_input_func), as devnag's (name, preprocess, d_input_func)
    'raw': (lambda data: data, lambda x: x),
    'diffs': (lambda data: decorate_with_diffs(data, 1.0), lambda x: x * 2),
    'variances': (lambda data: decorate_with_diffs(data, 2.0), lambda x: x * 2),
    'moments': (get_moments, lambda x: 4),
}


# ##### MODELS: Generator model and discriminator model

def Generator(input_size, hidden_size, output_size):
    x = keras.Input((input_size,))
    h = torch_linear(input_size, hidden_size, 'elu', 'fc1')(x)
    h = torch_linear(hidden_size, hidden_size, 'sigmoid', 'fc2')(h)
    return keras.Model(x, torch_linear(hidden_size, output_size, None, 'fc3')(h),
                       name='generator')


def Discriminator(input_size, hidden_size, output_size):
    x = keras.Input((input_size,))
    h = torch_linear(input_size, hidden_size, 'elu', 'fc1')(x)
    h = torch_linear(hidden_size, hidden_size, 'elu', 'fc2')(h)
    return keras.Model(x, torch_linear(hidden_size, output_size, 'sigmoid', 'fc3')(h),
                       name='discriminator')


def extract(v):
    return np.asarray(v).ravel().tolist()


def stats(d):
    return [np.mean(d), np.std(d)]


# ##### The GAN: models, optimisers and one compiled training step

class GAN:
    """G, D, their Adam optimisers, the random stream and one step of the post's loop."""

    def __init__(self, seed=0, preprocess='variances', mu=data_mean, sigma=data_stddev,
                 lr=d_learning_rate, d_steps=d_steps, g_steps=g_steps):
        self.preprocess, d_input_func = PREPROCESS[preprocess]
        self.mu, self.sigma = mu, sigma
        self.d_steps, self.g_steps = d_steps, g_steps
        self.rng = tf.random.Generator.from_seed(seed)
        self.seed = seed
        self.d_sampler = get_distribution_sampler(self.rng, mu, sigma)
        self.gi_sampler = get_generator_input_sampler(self.rng)
        self.G = Generator(g_input_size, g_hidden_size, g_output_size)
        self.D = Discriminator(d_input_func(d_input_size), d_hidden_size, d_output_size)
        self.criterion = keras.losses.BinaryCrossentropy()  # Binary cross entropy
        self.real = tf.fill((1, 1), real_target)  # targets shaped like D's output
        self.fake = tf.zeros((1, 1))              # the post's zeros(1) * 0.95
        self.d_optimizer = keras.optimizers.Adam(lr, *optim_betas, epsilon=1e-8)
        self.g_optimizer = keras.optimizers.Adam(lr, *optim_betas, epsilon=1e-8)
        self.d_optimizer.build(self.D.trainable_variables)
        self.g_optimizer.build(self.G.trainable_variables)
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.checkpoint = tf.train.Checkpoint(G=self.G, D=self.D, rng=self.rng, epoch=self.epoch,
                                              d_optimizer=self.d_optimizer,
                                              g_optimizer=self.g_optimizer)

    def trainable_parameters(self):
        return {'generator': self.G.count_params(), 'discriminator': self.D.count_params()}

    def _decide(self, data):
        """D's verdict on one set of samples laid out as a row, (1, n) -> (1, 1)."""
        return self.D(self.preprocess(data))

    def train_d(self):
        """1. Train D on real+fake: its loss, and the real and fake sets it saw."""
        d_real_data = self.d_sampler(d_input_size)
        d_gen_input = self.gi_sampler(minibatch_size, g_input_size)
        d_fake_data = self.G(d_gen_input)  # outside the tape: G gets no gradient here
        with tf.GradientTape() as tape:
            d_real_error = self.criterion(self.real, self._decide(d_real_data))
            d_fake_error = self.criterion(self.fake, self._decide(tf.transpose(d_fake_data)))
            d_error = d_real_error + d_fake_error  # the post's two backward() calls
        grads = tape.gradient(d_error, self.D.trainable_variables)
        self.d_optimizer.apply_gradients(zip(grads, self.D.trainable_variables))
        return d_real_error, d_fake_error, d_real_data, d_fake_data

    def train_g(self):
        """2. Train G on D's response (but DO NOT train D on these labels)."""
        gen_input = self.gi_sampler(minibatch_size, g_input_size)
        with tf.GradientTape() as tape:
            g_fake_data = self.G(gen_input)
            g_error = self.criterion(self.real, self._decide(tf.transpose(g_fake_data)))
        grads = tape.gradient(g_error, self.G.trainable_variables)
        self.g_optimizer.apply_gradients(zip(grads, self.G.trainable_variables))
        return g_error

    @tf.function
    def train_step(self):
        """One epoch of the post: d_steps D updates, then g_steps G updates."""
        for _ in range(self.d_steps):
            d_real_error, d_fake_error, d_real_data, d_fake_data = self.train_d()
        for _ in range(self.g_steps):
            g_error = self.train_g()
        self.epoch.assign_add(1)
        return tf.stack([d_real_error, d_fake_error, g_error,
                         tf.reduce_mean(d_real_data), tf.math.reduce_std(d_real_data),
                         tf.reduce_mean(d_fake_data), tf.math.reduce_std(d_fake_data)])

    def generate(self, n):
        """The post's evaluation: G applied to n values of U[0, 1).

        The noise is the same at every call (and apart from the training stream), so frames
        show one set of inputs evolving and a resumed run reports the same metrics.
        """
        noise = np.random.default_rng([self.seed, 1]).random((n, 1), dtype=np.float32)
        return self.G(noise).numpy().ravel()


# ##### The program

DEFAULT_SEED = 7  # a typical converged seed (7 of seeds 0-11 converge; README)


def build_parser():
    parser = ArgumentParser(
        prog='gaussian_gan_keras.py',
        description="The blog's 1-D GAN (seed 002, devnag's PyTorch code) in Keras 3: G "
                    "learns N(4, 1.25) from U[0,1) noise; D judges sets of 100 samples.")
    post = parser.add_argument_group("the post's settings")
    post.add_argument('--epochs', type=positive_int, default=num_epochs,
                      help='training epochs (one D step and one G step each)')
    post.add_argument('--print-interval', type=positive_int, default=print_interval,
                      help='print, save weights, checkpoint and draw a frame this often')
    post.add_argument('--lr', type=positive_float, default=d_learning_rate,
                      help='Adam learning rate of both nets')
    post.add_argument('--d-steps', type=positive_int, default=d_steps)
    post.add_argument('--g-steps', type=positive_int, default=g_steps)
    post.add_argument('--preprocess', choices=sorted(PREPROCESS), default='variances',
                      help="what D sees of a set: 'variances' is the post's data and "
                           "variances (input 200)")
    post.add_argument('--eval-samples', type=positive_int, default=1000,
                      help='generated values in histogram.png and metrics.json (post: 1000)')
    parser.add_argument('--resume', action='store_true',
                        help='continue the run in --out from its last checkpoint')
    add_sweep_argument(parser, 'gaussian_gan_keras')
    add_run_arguments(parser, 'gaussian_gan_keras')
    parser.set_defaults(seed=DEFAULT_SEED)
    return parser


def hyperparameters(args):
    return dict(epochs=args.epochs, print_interval=args.print_interval, lr=args.lr,
                betas=list(optim_betas), d_steps=args.d_steps, g_steps=args.g_steps,
                preprocess=args.preprocess, eval_samples=args.eval_samples,
                data_mean=data_mean, data_stddev=data_stddev, g_hidden_size=g_hidden_size,
                d_input_size=d_input_size, d_hidden_size=d_hidden_size,
                minibatch_size=minibatch_size, real_target=real_target)


def make_gan(args, seed):
    return GAN(seed=seed, preprocess=args.preprocess, lr=args.lr, d_steps=args.d_steps,
               g_steps=args.g_steps)


def final_metrics(gan, n):
    """mean, std, W1 and JS of n generated values against n draws of N(4, 1.25)."""
    fake = gan.generate(n)
    real = np.random.default_rng(0).normal(data_mean, data_stddev, n)
    bins = (data_mean - 5 * data_stddev, data_mean + 5 * data_stddev)
    metrics = distribution_metrics(fake, real, bins)
    metrics.update(skew=float(scipy_stats.skew(fake)),
                   excess_kurtosis=float(scipy_stats.kurtosis(fake)),
                   converged=bool(abs(metrics['gen_mean'] - data_mean) < 0.5))
    return metrics


LOSS_COLUMNS = ['epoch', 'd_real_error', 'd_fake_error', 'g_error', 'real_mean', 'real_std',
                'fake_mean', 'fake_std']


def train(gan, num_epochs, run_dir=None, print_interval=print_interval, eval_samples=1000,
          verbose=True):
    """The post's loop from gan.epoch to num_epochs; with run_dir, files as it goes."""
    start_epoch = int(gan.epoch.numpy())
    log = manager = plot = None
    saved = start_epoch
    if run_dir is not None:
        from gantools.plots import HistogramPlot
        log = LossLog(run_dir / 'losses.csv', LOSS_COLUMNS, keep_until=start_epoch)
        manager = Checkpoints(gan.checkpoint, run_dir / 'checkpoints', 3)
        (run_dir / 'frames').mkdir(exist_ok=True)
        density = lambda x: scipy_stats.norm.pdf(x, gan.mu, gan.sigma)
        plot = HistogramPlot((gan.mu - 5 * gan.sigma, gan.mu + 5 * gan.sigma), density,
                             'Generated values', ylim=(0, 1.0))
    started = time.perf_counter()
    try:
        for epoch in range(start_epoch, num_epochs):
            values = gan.train_step().numpy()
            row = dict(zip(LOSS_COLUMNS[1:], values.tolist()))
            if log is not None:
                log.write(epoch=epoch, **row)
            if epoch % print_interval == 0 or epoch == num_epochs - 1:
                if verbose:
                    print("%s: D: %s/%s G: %s (Real: %s, Fake: %s) " % (
                        epoch, values[0], values[1], values[2], values[3:5].tolist(),
                        values[5:7].tolist()) + eta(started, epoch + 1 - start_epoch,
                                                    num_epochs - start_epoch), flush=True)
                if run_dir is not None:
                    saved = save_state(gan, run_dir, manager, log)
                    plot.save(run_dir / 'frames' / 'epoch_{:05d}.png'.format(epoch),
                              gan.generate(eval_samples), caption='epoch {}'.format(epoch))
    finally:
        if log is not None:
            if int(gan.epoch.numpy()) > saved:  # also at Ctrl-C: nothing is lost
                save_state(gan, run_dir, manager, log)
            log.close()
    return final_metrics(gan, eval_samples)


def save_state(gan, run_dir, manager, log):
    """The post's d.pkl / g.pkl as Keras weights, and a checkpoint for --resume."""
    log.flush()
    for model, name in [(gan.D, 'd'), (gan.G, 'g')]:
        save_weights(model, run_dir / '{}.weights.h5'.format(name))
    epoch = int(gan.epoch.numpy())
    manager.save(epoch)
    return epoch


def restore(gan, run_dir):
    Checkpoints(gan.checkpoint, run_dir / 'checkpoints', 3).restore()
    print('Resuming at epoch {}'.format(int(gan.epoch.numpy())))


def save_figures(gan, run_dir, eval_samples):
    from gantools.plots import HistogramPlot, plot_losses, write_gif
    density = lambda x: scipy_stats.norm.pdf(x, gan.mu, gan.sigma)
    HistogramPlot((gan.mu - 5 * gan.sigma, gan.mu + 5 * gan.sigma), density,
                  'Histogram of {} generated values'.format(eval_samples)).save(
        run_dir / 'histogram.png', gan.generate(eval_samples))
    write_gif(sorted((run_dir / 'frames').glob('epoch_*.png')), run_dir / 'evolution.gif',
              duration_ms=100)
    plot_losses(read_losses(run_dir / 'losses.csv'), run_dir / 'losses.png',
                {'d_real_error': 'D real', 'd_fake_error': 'D fake', 'g_error': 'G'},
                x='epoch', xlabel='epoch', title='1-D GAN training loss')


def run_once(args):
    run_dir = start_run(args, resume=args.resume)  # seeds before the models are built
    gan = make_gan(args, args.seed)
    if args.resume:  # read the checkpoint before anything is written
        restore(gan, run_dir)
    write_config(run_dir, args, hyperparameters(args), gan.trainable_parameters())
    started = time.perf_counter()
    metrics = train(gan, args.epochs, run_dir, args.print_interval, args.eval_samples)
    metrics['train_seconds'] = round(time.perf_counter() - started, 2)
    save_figures(gan, run_dir, args.eval_samples)
    write_json(run_dir / 'metrics.json', metrics)
    print('Generated mean {gen_mean:.3f} std {gen_std:.3f} (target {mu} / {sigma}; the post '
          'reports 3.5 / 1.15); W1 {wasserstein1:.3f}, JS {js_divergence:.3f}'.format(
              mu=data_mean, sigma=data_stddev, **metrics))
    print('Wrote {} (histogram.png, evolution.gif, losses.png, metrics.json)'.format(run_dir))
    return 0


def run_sweep(args):
    run_dir = start_run(args)
    flags = hyperparameters(args)
    write_config(run_dir, args, dict(flags, sweep=args.sweep),
                 make_gan(args, 0).trainable_parameters())
    per_seed = []
    for seed in range(args.sweep):
        keras.utils.set_random_seed(seed)
        metrics = train(make_gan(args, seed), args.epochs, eval_samples=10000, verbose=False)
        per_seed.append(dict(seed=seed, **metrics))
        print('seed {}: mean {:.3f} std {:.3f} skew {:.2f} kurtosis {:.2f} W1 {:.3f}'.format(
            seed, metrics['gen_mean'], metrics['gen_std'], metrics['skew'],
            metrics['excess_kurtosis'], metrics['wasserstein1']), flush=True)
        summary = {key: [float(np.mean([r[key] for r in per_seed])),
                         float(np.std([r[key] for r in per_seed]))]
                   for key in ['gen_mean', 'gen_std', 'wasserstein1', 'skew', 'excess_kurtosis']}
        write_json(run_dir / 'sweep.json', {
            'runs': len(per_seed), 'converged': sum(r['converged'] for r in per_seed),
            'criterion': '|mean - 4| < 0.5 on 10000 generated values',
            'mean_and_std_over_seeds': summary, 'flags': flags, 'per_seed': per_seed})
    print('{} of {} seeds end with the mean within 0.5 of 4; wrote {}'.format(
        sum(r['converged'] for r in per_seed), args.sweep, run_dir / 'sweep.json'))
    return 0


# --resume keeps the run's settings (its config.json); these may change on purpose.
FREE_ON_RESUME = ('epochs', 'print_interval')


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.sweep and args.resume:
        parser.error('--resume cannot be combined with --sweep')
    if args.resume:
        apply_previous_flags(args, given_flags(parser, argv), read_config(args.out),
                             FREE_ON_RESUME)
    return run_sweep(args) if args.sweep else run_once(args)
