"""What the project adds around S5's program (keras_models/mnist_gan.py), which calls it:
the MNIST quality metrics and --sample's digits (each from a noise stream of its own),
evolution.gif and losses.png, and the settings and parameter counts config.json records.
None of it is the post's code."""
import numpy as np

from gantools.mnist import METRICS_STREAM, stream_rng
from gantools.run.rundir import read_losses
from gantools.training import trainable_counts
from keras_models.mnist_gan import (adam_epsilon, betas, d_hidden_size, g_hidden_size, noise,
                                    sample_size, save_every)


def trainable_parameters(gan):
    """config.json's trainable parameter counts."""
    return trainable_counts(generator=gan.G, discriminator=gan.D)


def tanh_to_pixels(samples):
    """Generated images from tanh's [-1, 1] to the digit classifier's pixels in [0, 1]."""
    return (np.asarray(samples) + 1) / 2


def generated_digits(gan, n, seed):
    """--sample: n digits (n, 28, 28) in [0, 1], noise and dropout masks from `seed`."""
    rng = np.random.default_rng([seed, 3])
    return tanh_to_pixels(gan.sampler(noise(rng, n), rng)).reshape(n, 28, 28)


def quality(gan, seed, mnist, n):
    """The shared MNIST metrics of n samples, noise and dropout masks from the metrics
    stream of the run's seed (so --evaluate repeats the end of training)."""
    from gantools.mnist import metrics as mnist_metrics
    rng = stream_rng(seed, METRICS_STREAM, 0)
    return mnist_metrics.score(tanh_to_pixels(gan.sampler(noise(rng, n), rng)), mnist)


def hyper_parameters(data, n_batches):
    """config.json's settings besides the flags."""
    return dict(betas=betas, adam_epsilon=adam_epsilon, g_hidden_size=g_hidden_size,
                d_hidden_size=d_hidden_size, noise='U(-1, 1) of size 100',
                data_range=[-1, 1], sample_size=sample_size, save_every=save_every,
                data_source=dict(data.describe(), batches_per_epoch=n_batches,
                                 training_images_used=len(data.x_train)))


def save_figures(run_dir, args):
    """evolution.gif of the epochs' figures (not a later one left by a killed run) and
    losses.png."""
    from gantools.plots import evenly_spaced, plot_losses, write_gif
    frames = [run_dir / 'samples' / f'epoch_{epoch:03d}.png' for epoch in range(args.epochs)]
    frames = [path for path in frames if path.is_file()]
    if frames:
        write_gif(evenly_spaced(frames, args.gif_frames), run_dir / 'evolution.gif', 200)
    losses = read_losses(run_dir / 'losses.csv')
    if losses:  # none if print_interval exceeds the batches of an epoch
        plot_losses(losses, run_dir / 'losses.png',
                    {'d_real_error': 'D real', 'd_fake_error': 'D fake', 'g_error': 'G'},
                    x='iteration', xlabel='batch', title='MNIST GAN: mean losses every '
                                                         f'{args.print_interval} batches')
