"""S6 beside its original: `tf1_compat/mnist_gan.py` and wiseodd's `gan_tensorflow.py`
(`originals/wiseodd_gan.py`), both `tf.compat.v1` graphs, each in its own graph and session.

The port's initial weights are copied into the original's graph (by position in theta_D and
theta_G; the original's variables have no names). Then both run `steps` iterations of the
original's loop body, one D update on a batch of 128 with new noise and one G update with new
noise: the original's `train_iteration`, with its noise from `np.random` seeded with `seed`,
and the port's `train_step` with `np.random.RandomState(seed)` and a `next_batch` reader on the
same images with the same seed (see `sidebyside._tf1`). Both use the sigmoid
cross-entropy on the logits, the loss the code runs (the post shows the log form, commented
out in the code).

Not compared: the sample grids (the original draws their noise from the training stream, the
port from a stream of its own).
"""
from originals import wiseodd_gan as original
from sidebyside._tf1 import mnist_side_by_side, side_by_side
from tf1_compat import mnist_gan as port
from tf1_compat.mnist_gan_cli import GANProgram  # the port's settings

TOLERANCES = (1e-5, 1e-5, (
    "the original runs in the same TensorFlow, in the same process, as the same float32 graph "
    "(matmul, ReLU, sigmoid cross-entropy on the logits, TF 1's AdamOptimizer) on the same "
    "shapes and inputs: the same kernels in the same summation order give bitwise the same "
    "numbers (measured 0), so Adam's first steps, which move a weight by about lr * the sign "
    "of its gradient, cannot take different signs on the two sides. A changed learning rate "
    "(2e-3) moves the weights apart by 1e-2 within 4 iterations."))


def run(steps=20, seed=0, data_mnist=None, data_faces=None, port_overrides=None,
        as_posted=False, original_first=True):
    """The side-by-side run of S6 (see the module docstring)."""
    if as_posted:  # the post's loss on both sides: the port's --loss log
        port_overrides = dict(port_overrides or {}, loss="log")
    measured = mnist_side_by_side(port.GAN, GANProgram, original, steps, seed, data_mnist,
                                  port_overrides, graph_options=dict(posted_loss=as_posted),
                                  original_first=original_first)
    return side_by_side("S6", measured, "code", TOLERANCES, [
        "loss: the post's -mean(log D_real + log(1 - D_fake)) on both sides (the port's "
        "--loss log, the original's commented-out lines)" if as_posted else
        "loss: the code's sigmoid cross-entropy on the logits on both sides",
        "not compared: the 4x4 sample grids (the original draws their noise from the "
        "training stream; the port from a stream of its own, so plotting does not change "
        "its training)"])
