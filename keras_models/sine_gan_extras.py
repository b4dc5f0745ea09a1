"""What the project adds around S9's program (keras_models/sine_gan.py), which calls it:
the parameter counts and settings config.json records, the figures, frames and models a run
saves, the curves its sine-fit metrics compare, and the random states its checkpoint keeps.
None of it is the post's code; the post drew its figures with pandas in the notebook."""
import sys

import keras
import numpy as np
from keras.layers import Dropout

from gantools.curves import rolling_mean
from gantools.run.rundir import read_losses
from gantools.training import trainable_counts
from keras_models.sine_gan import ADAM_EPSILON, sample_data, set_trainability

EVAL_CURVES = 500      # generated and real curves for the sine-fit metrics
FRAME_CURVES = 5       # generated curves in each evolution.gif frame (fixed noise)
N_VIEWED_SAMPLES = 2   # the post's generated_curves figure
DATA_FAMILY = dict(frequency_range=(1, 2), amplitude=.5, mean=.5)  # sample_data's curves



def trainable_parameters(G, D):
    """G's and D's counts, D counted trainable (as when it is trained)."""
    frozen = D.trainable
    set_trainability(D, True)
    counts = trainable_counts(generator=G, discriminator=D)
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


def frame_saver(run_dir, G, samples):
    """frame(epochs_done) writes frames/epoch_NNNN.png (a CurvePlot): the curves of the
    fixed frame noise."""
    from gantools.plots import CurvePlot
    plot = CurvePlot(np.arange(50), FRAME_CURVES, 'Generated curves', (-1.05, 1.05))

    def frame(epochs_done):
        (run_dir / 'frames').mkdir(exist_ok=True)
        plot.save(run_dir / 'frames' / f'epoch_{epochs_done:04d}.png',
                  G.predict_on_batch(samples['frame_noise']), caption=f'epoch {epochs_done}')
    return frame


def hyper_parameters(args):
    """config.json's settings besides the flags."""
    return dict(dense_dim=200, n_channels=50, conv_sz=5, drate=.25, lr_generator=1e-3,
                lr_discriminator=1e-3, optimizer_generator='SGD',
                optimizer_discriminator='Adam', adam_epsilon=ADAM_EPSILON,
                loss='binary_crossentropy of Keras 2.0 (clipped at 1e-7)',
                x_vals=[0, 5, .1], max_offset=100, mul_range=[1, 2])
