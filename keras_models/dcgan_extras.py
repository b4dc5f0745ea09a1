"""What the project adds around S2's program (keras_models/dcgan.py), which calls it: the
settings and parameter counts config.json records, when a checkpoint is due, and the
sliced Wasserstein distance with its own noise. None of it is main.py's."""
import numpy as np

from gantools.training import swd_against_data, trainable_counts
from keras_models.dcgan import IMAGE_SIZE, grid_samples, input_dim, saves


def trainable_parameters(gan):
    """config.json's trainable parameter counts."""
    return trainable_counts(generator=gan.generate, discriminator=gan.discriminator)


def evaluation_noise(gan, n, seed=None):
    """The quality metric's noise: the same at every evaluation, apart from training
    (`seed`: another draw, for --sample)."""
    seed = gan.seed if seed is None else seed
    return np.random.default_rng([seed, 2]).standard_normal(
        (n, gan.input_dim)).astype(np.float32)


def checkpoint_due(done, n_batches, args):
    """After the batch that ends an epoch that saves (a unit is a batch)."""
    return done % n_batches == 0 and saves(done // n_batches - 1, args)


def hyper_parameters(args, data, replicas):
    """config.json's settings besides the flags."""
    return dict(betas=[args.beta1, 0.999], adam_epsilon=1e-8, input_dim=input_dim,
                grid_samples=grid_samples, image_size=IMAGE_SIZE, conv_init_std=0.01,
                bn_gamma_init=[1.0, 0.01], bn_epsilon=1e-5, bn_momentum_pytorch=0.1,
                leaky_relu_slope=0.2, loss="PyTorch BCELoss",
                normalisation="[-1, 254] (img - 1)" if args.scaling == "posted"
                else "[-1, 1]",
                dataset=data.summary(), devices_and_scale=replicas.describe())


def measure(gan, args, data, seed):
    """SWD x 1e3 (per level and 'avg') between generated and as many real images."""
    noise = evaluation_noise(gan, min(args.swd_images, len(data)))
    return swd_against_data(gan.sample(noise, args.sample_bn), data, seed)
