"""S5 beside its original: the port `keras_models/mnist_gan.py` and
`originals/mnist_gan_torch.py` (the post's code with SPEC's values, PyTorch 0.2 semantics).

Both get the same batches, cut by the port's `gen_batch` from the images (`data_mnist`, else
`synthetic_mnist`) in a shuffled order drawn from the seed, and the same noise, the port's
`noise` (U(-1, 1), 64 x 100, float32); the port runs its compiled `train_batch`, the original
its `train_batch` (fit's loop body). Weights: the port's initial Dense kernels and biases are
copied into the original's Linear layers (weight = kernel transposed).

The original's F.dropout does nothing (PyTorch 0.2), the port's default has no dropout: the
numbers agree. `port_overrides={"dropout": 0.2}` (the port's `--dropout 0.2`) shows that
they then do not.
"""
from pathlib import Path

import numpy as np

from originals.side_by_side import SideBySide, StepTimer, synthetic_mnist, weight_deltas
from originals.side_by_side._torch import (BCE_NOTE, free_running_tolerances, one_thread,
                                           to_torch, torch)
from originals.side_by_side.s4 import copy_into, weights_of

LOSS_NAMES = ["d_real_error", "d_fake_error", "g_error"]


def training_images(data_mnist, seed):
    """uint8 (N, 28, 28) images: `data_mnist` as None (the synthetic set), a path to an
    mnist.npz or IDX folder, a `gantools.mnist.Mnist` or a pair (images, labels)."""
    from gantools.mnist import Mnist, load_mnist
    if data_mnist is None:
        return synthetic_mnist(seed=seed)[0]
    if isinstance(data_mnist, (str, Path)):
        data_mnist = load_mnist(data_mnist)
    if isinstance(data_mnist, Mnist):
        return data_mnist.x_train  # S5 trains on every training image
    return np.asarray(data_mnist[0])


def batches(images, batch_size, seed, steps):
    """`steps` batches of the port's gen_batch, epoch after epoch, order drawn from `seed`."""
    from keras_models import mnist_gan as port_module
    rng = np.random.default_rng(seed)
    while True:
        for batch in port_module.gen_batch(images, batch_size, rng):
            yield batch
            steps -= 1
            if not steps:
                return


def run(steps=20, seed=0, data_mnist=None, data_faces=None, port_overrides=None):
    import keras
    from keras_models import mnist_gan as port_module
    from originals import mnist_gan_torch as original

    keras.utils.set_random_seed(seed)
    torch.manual_seed(seed)
    port = port_module.GAN(**(port_overrides or {}))
    model = original.GAN()
    copy_into(port.G, model.G)
    copy_into(port.D, model.D)

    images = training_images(data_mnist, seed)
    noise_rng = np.random.default_rng([seed, 1])
    port_losses, original_losses = [], []
    port_timer, original_timer = StepTimer(), StepTimer()
    with one_thread():
        for d_real_data in batches(images, port_module.batch_size, seed, steps):
            d_fake_input = port_module.noise(noise_rng, port_module.batch_size)
            with port_timer:
                port_losses.append(port.train_batch(d_real_data, d_fake_input).numpy())
            with original_timer:
                original_losses.append(model.train_batch(to_torch(d_real_data),
                                                         to_torch(d_fake_input)))

    ours, theirs = weights_of(port, model.G, model.D)
    loss_tolerance, weight_tolerance, reason = free_running_tolerances(
        port_module.d_lr, port_module.betas, steps)
    return SideBySide(
        program="S5", steps=steps, loss_names=LOSS_NAMES,
        port_losses=np.array(port_losses), original_losses=np.array(original_losses),
        weight_deltas=weight_deltas(ours, theirs),
        port_step_ms=port_timer.ms, original_step_ms=original_timer.ms,
        loss_tolerance=loss_tolerance, weight_tolerance=weight_tolerance,
        tolerance_reason=reason,
        notes=["no dropout on either side: the original's F.dropout(x, p=0.2) with PyTorch "
               "0.2's training=False, the port's default --dropout 0",
               "the fake target zeros(B, 0) is zeros(B, 1) on both sides (SPEC)",
               BCE_NOTE])
