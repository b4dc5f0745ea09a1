"""What the side-by-side runs of the PyTorch programs (S2, S4, S5) share. Nothing here
imports torch: the originals run in a process of their own (`original()`).

- `original()`: the PyTorch originals in a child process (`originals/torch_replay.py`
  through `originals/serve.py`); a missing torch raises `MissingExtra`. `kept()`: one such
  process for every `original()` block inside it, started by the first (a test module's
  comparisons, the mutation table's).
- `twin_generator(rng)` (from `sidebyside`, S3 uses it too): a copy of a port's
  `tf.random.Generator` at its current state. The
  ports S2 and S4 draw their noise (S4 also its data) from such a generator inside their
  compiled step; the copy, drawn with the same calls in the same order, gives the harness
  the same numbers to hand to the original, and `same_state` checks afterwards that the
  port consumed exactly those draws.
- `keras_to_torch` / `torch_to_keras`: a Keras kernel in PyTorch's layout and back: Dense
  (in, out) is Linear's weight transposed (out, in); Conv2D (kh, kw, in, out) is Conv2d's
  (out, in, kh, kw) and Conv2DTranspose (kh, kw, out, in) is ConvTranspose2d's
  (in, out, kh, kw), both by the same axis order (3, 2, 0, 1), without flipping the kernel:
  both frameworks' convolutions are cross-correlations, and both transposed convolutions
  are their gradients (tests/test_dcgan.py checks the port's layers against PyTorch's
  definitions; `test_side_by_side_torch.py` against torch itself).
- `free_running_tolerances` (S4, S5) and `step_tolerances` (S2): the tolerances and why.
"""
import math

import numpy as np

from sidebyside import same_state, twin_generator  # noqa: F401 (the harnesses' import)
from sidebyside._child import keep, serving

MODULE = "originals.torch_replay"


def original():
    """The PyTorch originals, served by a child process (use it in a `with` block)."""
    return serving(MODULE, needs="torch")


def kept():
    """One child for the PyTorch originals for every `original()` inside this `with` block."""
    return keep(MODULE, needs="torch")


def keras_to_torch(kernel):
    """A Keras kernel as the PyTorch weight of the same layer (see the module docstring)."""
    kernel = np.asarray(kernel)
    return kernel.T if kernel.ndim <= 2 else np.transpose(kernel, (3, 2, 0, 1))


def torch_to_keras(weight):
    """A PyTorch weight (a numpy array in PyTorch's layout) as the Keras kernel (a bias, 1-D,
    is the same in both)."""
    weight = np.asarray(weight)
    return weight.T if weight.ndim <= 2 else np.transpose(weight, (2, 3, 1, 0))


def step_ms(answer):
    """The median of the child's step times in milliseconds (the first step's warm-up aside)."""
    return float(np.median(answer["step_seconds"]) * 1e3)


def adam_step_bound(betas, t):
    """The largest |m_hat_t| / sqrt(v_hat_t) any gradient sequence can give at Adam step t:
    by Cauchy-Schwarz, sqrt(sum_k a_k^2 / b_k), with a_k and b_k the bias-corrected weights of
    gradient k in m_hat_t and v_hat_t (1 at step 1, 2.58 at step 20 for betas (0.5, 0.999))."""
    beta1, beta2 = betas
    a = [(1 - beta1) * beta1 ** (t - k) / (1 - beta1 ** t) for k in range(1, t + 1)]
    b = [(1 - beta2) * beta2 ** (t - k) / (1 - beta2 ** t) for k in range(1, t + 1)]
    return math.sqrt(sum(x * x / y for x, y in zip(a, b)))


# Losses: both programs evaluate the same float32 functions of the same weights and inputs in
# another order of summation, which changes a loss of order 1 by about 1e-6. Weights that
# the two Adam steps moved apart (below) had a gradient within rounding of zero, so they
# change the losses at second order only. A changed hyper-parameter (a 10% larger learning
# rate, other label smoothing, dropout) changes them by 7e-3 to 0.2 within 20 steps (S4, S5).
LOSS_TOLERANCE = 1e-4
ADAM_REASON = (
    "Adam moves a weight by about lr * sign(gradient) in its first steps, so where the "
    "gradient is within float32 rounding of zero the two frameworks (other summation order) "
    "can move it in opposite directions: up to 2 lr at step 1, 2 lr * r_t at step t "
    "(r_t = the largest |m_hat| / sqrt(v_hat), 1 at step 1). Which weights do so depends "
    "on the CPU and its threads; a weight whose gradient is clear of zero follows the other "
    "to float32 rounding.")


# S4's and S5's ports compute PyTorch 0.2's BCELoss by default, as the originals do.
BCE_NOTE = ("BCE: PyTorch 0.2's on both sides (log(p + 1e-12) on D's probability; the port's "
            "default --bce era)")


def free_running_tolerances(lr, betas, steps):
    """(loss tolerance, weight tolerance, reason) for two programs run side by side from the
    same initial weights for `steps` steps (S4, S5)."""
    weight = 3 * lr
    return LOSS_TOLERANCE, weight, (
        f"losses within {LOSS_TOLERANCE:g}: float32 evaluations of the same functions in "
        f"another summation order differ by about 1e-6; weights within 3 lr = {weight:g}: "
        + ADAM_REASON + " A weight's gradient is rarely that close to zero, and at a "
        "later step its accumulated moments outweigh one near-zero gradient, so an element "
        "parts by at most about 2 lr, at its first step; 3 lr leaves room for rounding. A "
        "changed hyper-parameter moves the losses by 7e-3 or more within 20 steps "
        "(tests/test_side_by_side_torch.py).")


def step_tolerances(lr, betas, steps):
    """(loss tolerance, weight tolerance, reason) for two programs compared step by step from
    the same state (S2): each step starts both from the port's weights, BatchNorm statistics
    and Adam moments."""
    weight = 2 * lr * max(adam_step_bound(betas, t) for t in range(1, steps + 1))
    loss = 1e-3
    return loss, weight, (
        f"losses within {loss:g}: from the same state both programs evaluate the same "
        f"float32 functions in another summation order (D's loss: about 1e-6); G's loss is "
        f"taken after D's update, so it also sees the D weights that the two Adam steps moved "
        f"apart (below), whose effect is of order lr = {lr:g} times a few gradients; a "
        f"10% larger learning rate changes D's whole update, and G's loss by 0.8 at step 1. "
        f"Weights within 2 lr max_t r_t = {weight:.3g}, the largest gap two Adam steps from "
        "one state can open: " + ADAM_REASON + " The notes count the weights that parted "
        "by more than lr / 2.")
