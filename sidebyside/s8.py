"""S8 beside its original: `tf1_compat/mnist_cgan.py` and wiseodd's `cgan_tensorflow.py`
(`originals/wiseodd_cgan.py`), both `tf.compat.v1` graphs, each in its own graph and session.

The port's initial weights are copied into the original's graph (by position in theta_D and
theta_G). Then both run `steps` iterations of the original's loop body: a batch of 64 with
its labels (one-hot for the original, as `read_data_sets(..., one_hot=True)` gave them;
digit labels that the port one-hots itself) and **one** Z_sample for the D and the G update.
The original runs its `train_iteration` with its noise from `np.random` seeded with `seed`,
the port its `train_step` with `np.random.RandomState(seed)` (see
`sidebyside._tf1`); if either drew a second Z for the G update the RNG states
after the run would differ.

Not compared: the sample grids of the digit 7 (the original draws their noise from the
training stream, the port from a stream of its own), and the port's additions (`digits.png`,
the label accuracy).
"""
from originals import wiseodd_cgan as original
from sidebyside._tf1 import mnist_side_by_side, side_by_side
from tf1_compat import mnist_cgan as port
from tf1_compat.mnist_cgan_cli import CGANProgram  # the port's settings

TOLERANCES = (1e-5, 1e-5, (
    "the original runs in the same TensorFlow, in the same process, as the same float32 graph "
    "(concatenated one-hot labels, matmul, ReLU, sigmoid cross-entropy on the logits, TF 1's "
    "AdamOptimizer) on the same shapes and inputs: the same kernels in the same summation "
    "order give bitwise the same numbers (measured 0), so Adam's first steps, which move a "
    "weight by about lr * the sign of its gradient, cannot take different signs on the two "
    "sides. A changed batch (32) moves the weights apart by 8e-3 within 4 iterations."))


def run(steps=20, seed=0, data_mnist=None, data_faces=None, port_overrides=None,
        as_posted=False, original_first=True):
    """The side-by-side run of S8 (see the module docstring)."""
    if as_posted:  # the post's loss on both sides: the port's --loss ps
        port_overrides = dict(port_overrides or {}, loss="ps")
    measured = mnist_side_by_side(port.CGAN, CGANProgram, original, steps, seed, data_mnist,
                                  port_overrides, graph_options=dict(posted_loss=as_posted),
                                  original_first=original_first)
    return side_by_side("S8", measured, "code", TOLERANCES, [
        "loss: the post's \"PS\" form on both sides, D's probabilities as logits= (the "
        "port's --loss ps)" if as_posted else
        "loss: the code's sigmoid cross-entropy on the logits on both sides",
        "not compared: the 4x4 grids of the digit 7 (the original draws their noise from the "
        "training stream; the port from a stream of its own), digits.png and the label "
        "accuracy (the port's additions)"])
