"""What the project adds around S3's program (keras_models/wgan.py), which calls it: the
settings and parameter counts config.json records, the sliced Wasserstein distance with its
own noise, evolution.gif and losses.png. None of it is wgan_keras.py's."""
import numpy as np

from gantools.training import swd_against_data, trainable_counts
from keras_models.wgan import grid_samples, imageSize


def trainable_parameters(wgan):
    """config.json's trainable parameter counts."""
    return trainable_counts(generator=wgan.netG, discriminator=wgan.netD)


def evaluation_noise(wgan, n, seed=None):
    """Noise for the quality metric: the same at every evaluation, apart from training
    (`seed`: another draw, for --sample)."""
    seed = wgan.seed if seed is None else seed
    return np.random.default_rng([seed, 2]).normal(size=(n, wgan.nz)).astype('float32')


def save_figures(run_dir, losses):
    from gantools.plots import plot_losses, write_gif
    write_gif(sorted((run_dir / "samples").glob("step_*.png")), run_dir / "evolution.gif",
              duration_ms=300)
    plot_losses(losses, run_dir / "losses.png", {"loss_d": "Loss_D", "loss_g": "Loss_G"},
                x="step", title="WGAN_Anime", xlabel="step", ylabel="loss")


def hyper_parameters(data, replicas):
    """config.json's settings besides the flags."""
    return dict(rmsprop="Keras 2.1.2 (epsilon outside the sqrt)", rmsprop_rho=0.9,
                grid_samples=grid_samples, image_size=imageSize, conv_init_std=0.02,
                bn_gamma_init=[1.0, 0.02], bn_epsilon=1.01e-5, bn_training_always=True,
                normalisation="[-1, 1]", dataset=data.summary(),
                devices_and_scale=replicas.describe())


def measure(wgan, args, data, seed):
    """The SWD of generated against real images (x 1e3)."""
    noise = evaluation_noise(wgan, min(args.swd_images, len(data)))
    return swd_against_data(wgan.sample(noise), data, seed)
