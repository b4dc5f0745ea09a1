"""S5 beside its original: the port `keras_models/mnist_gan.py` and
`originals/mnist_gan_torch.py` (the post's code with SPEC's values, PyTorch 0.2 semantics),
which runs in a process of its own (`originals/torch_replay.py`, `s5_run`).

Both sides cut their batches from the same uint8 images (`data_mnist`, else
`synthetic_mnist`) with their own `gen_batch`, scaling included; the harness draws each
epoch's order (`np.random.default_rng(seed)`) and gives it to both: the port's `gen_batch`
as its generator's permutation, the original's in place of `np.random.permutation`. The
noise, U(-1, 1) of 64 x 100 as float32 as in fit, is drawn by the harness and given to both.
The port runs its compiled `train_batch`, the original its `train_batch` (fit's loop body).
Weights: the port's initial Dense kernels and biases go to the original's Linear layers
(weight = kernel transposed).

The original's F.dropout does nothing (PyTorch 0.2), the port's default has no dropout: the
numbers agree. `port_overrides={"dropout": 0.2}` (the port's `--dropout 0.2`) shows that
they then do not.
"""
from pathlib import Path

import numpy as np

from sidebyside import SideBySide, StepTimer, synthetic_mnist, weight_deltas
from sidebyside._torch import (BCE_NOTE, free_running_tolerances, original,
                                           step_ms)
from sidebyside.s4 import compared, dense_weights

LOSS_NAMES = ["d_real_error", "d_fake_error", "g_error"]

# SPEC's values for the post's lost constructor, written here apart from the port's
BATCH_SIZE, NOISE_SIZE = 64, 100
LEARNING_RATE, BETAS = 2e-4, (0.5, 0.999)


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


class Orders:
    """Hands out the harness's permutations, one per epoch: the port's `gen_batch` calls
    `rng.permutation(n)` on it."""

    def __init__(self, orders):
        self.orders = iter(orders)

    def permutation(self, n):
        order = next(self.orders)
        assert len(order) == n
        return order


def run(steps=20, seed=0, data_mnist=None, data_faces=None, port_overrides=None,
        original_first=False):
    import keras
    from keras_models import mnist_gan as port_module

    keras.utils.set_random_seed(seed)
    port = port_module.GAN(**(port_overrides or {}))
    initial = dense_weights({"G": port.G, "D": port.D})

    images = training_images(data_mnist, seed)
    epochs = -(-steps // (len(images) // BATCH_SIZE))
    rng = np.random.default_rng(seed)
    orders = np.stack([rng.permutation(len(images)) for _ in range(epochs)])
    noise = np.random.default_rng([seed, 1]).uniform(
        -1, 1, size=(steps, BATCH_SIZE, NOISE_SIZE)).astype(np.float32)

    def original_side():
        with original() as child:
            return child.call("s5_run", images=images, orders=orders, noise=noise, **initial)
    if original_first:
        answer = original_side()
    port_losses, port_timer = [], StepTimer()
    port_orders = Orders(orders)
    batches = (batch for _ in range(epochs)
               for batch in port_module.gen_batch(images, BATCH_SIZE, port_orders))
    for step, d_real_data in zip(range(steps), batches):
        with port_timer:
            port_losses.append(port.train_batch(d_real_data, noise[step]).numpy())
    if not original_first:
        answer = original_side()

    ours, theirs = compared(dense_weights({"G": port.G, "D": port.D}), answer)
    loss_tolerance, weight_tolerance, reason = free_running_tolerances(
        LEARNING_RATE, BETAS, steps)
    return SideBySide(
        program="S5", steps=steps, loss_names=LOSS_NAMES,
        port_losses=np.array(port_losses), original_losses=answer["losses"],
        weight_deltas=weight_deltas(ours, theirs),
        port_step_ms=port_timer.ms, original_step_ms=step_ms(answer),
        loss_tolerance=loss_tolerance, weight_tolerance=weight_tolerance,
        tolerance_reason=reason,
        notes=["no dropout on either side: the original's F.dropout(x, p=0.2) with PyTorch "
               "0.2's training=False, the port's default --dropout 0",
               "the fake target zeros(B, 0) is zeros(B, 1) on both sides (SPEC)",
               "each side cut and scaled its own batches from the same images and order",
               BCE_NOTE,
               "the original ran in its own process (PyTorch only)"])
