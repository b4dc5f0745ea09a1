"""What the project adds around S4's program (keras_models/gaussian_gan.py), which calls it:
the metrics of the generated values, the histograms and figures, the checkpoint's contents
and the settings config.json records. None of it is the post's code (it ended with one
histogram and G's mean and std, which the port's `train` keeps)."""
import numpy as np
import tensorflow as tf
from scipy import stats as scipy_stats

from gantools.metrics import distribution_metrics
from gantools.run.rundir import read_losses
from keras_models.gaussian_gan import (adam_epsilon, d_hidden_size, d_input_size, data_mean,
                                       data_stddev, g_hidden_size, minibatch_size,
                                       optim_betas, real_target)

SWEEP_EVAL_SAMPLES = 10000  # generated values per seed of a sweep
RANGE = (data_mean - 5 * data_stddev, data_mean + 5 * data_stddev)  # histograms, JS bins


def final_metrics(gan, n):
    """mean, std, W1 and JS of n generated values against n draws of N(4, 1.25)."""
    fake = gan.generate(n)
    metrics = distribution_metrics(
        fake, np.random.default_rng(0).normal(data_mean, data_stddev, n), RANGE)
    return dict(metrics, skew=float(scipy_stats.skew(fake)),
                excess_kurtosis=float(scipy_stats.kurtosis(fake)),
                converged=bool(abs(metrics['gen_mean'] - data_mean) < 0.5))


def last_tenth(epochs):
    """The first epoch of the last 10% of the run."""
    return epochs - max(1, epochs // 10)


def last_tenth_errors(rows):
    """The largest distance of a training set's generated mean (and std) from 4 (1.25) in
    the last 10% of epochs (each set: the 100 values of the epoch's D step): a late
    blow-up shows here even when the final weights have come back."""
    rows = np.asarray(rows, dtype=np.float64).reshape(-1, 2)
    if not len(rows):
        return {}
    return dict(max_abs_mean_error_last_10pct=float(np.max(np.abs(rows[:, 0] - data_mean))),
                max_abs_std_error_last_10pct=float(np.max(np.abs(rows[:, 1] - data_stddev))))


def histogram(title, ylim=None):
    from gantools.plots import HistogramPlot
    return HistogramPlot(RANGE, lambda x: scipy_stats.norm.pdf(x, data_mean, data_stddev),
                         title, ylim=ylim)


def save_figures(gan, run_dir, eval_samples):
    """The post's final histogram, evolution.gif and losses.png."""
    from gantools.plots import plot_losses, write_gif
    histogram('Histogram of {} generated values'.format(eval_samples)).save(
        run_dir / 'histogram.png', gan.generate(eval_samples))
    write_gif(sorted((run_dir / 'frames').glob('epoch_*.png')), run_dir / 'evolution.gif',
              duration_ms=100)
    plot_losses(read_losses(run_dir / 'losses.csv'), run_dir / 'losses.png',
                {'d_real_error': 'D real', 'd_fake_error': 'D fake', 'g_error': 'G'},
                x='epoch', xlabel='epoch', title='1-D GAN training loss')


def checkpoint_of(gan, snapshot, snapshot_epoch):
    """The checkpoint: weights, both Adams' slots and iterations, the samplers' stream, and
    the snapshot of G (the post's last g.pkl) with its epoch."""
    return tf.train.Checkpoint(G=gan.G, D=gan.D, d_optimizer=gan.d_optimizer,
                               g_optimizer=gan.g_optimizer, rng=gan.rng,
                               G_snapshot=snapshot, snapshot_epoch=snapshot_epoch)


def hyper_parameters(args):
    """config.json's settings besides the flags."""
    return dict(betas=optim_betas, adam_epsilon=adam_epsilon, data_mean=data_mean,
                data_stddev=data_stddev, g_hidden_size=g_hidden_size,
                d_input_size=d_input_size, d_hidden_size=d_hidden_size,
                minibatch_size=minibatch_size, real_target=real_target)
