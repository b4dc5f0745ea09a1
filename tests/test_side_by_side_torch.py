"""The PyTorch programs (S2, S4, S5) beside their originals (originals/, PyTorch 0.2-0.4
semantics): the same start, batches and noise, 20 training iterations, the same losses and
weights within the tolerances each SideBySide states; a changed hyper-parameter of the port
makes the comparison fail. The originals run in a child process (`originals/serve.py`):
no process of this suite imports both torch and TensorFlow. Skipped without the optional
extra (pip install -e ".[originals]")."""
import math
import sys

import numpy as np
import pytest

from sidebyside._child import available

if not available("torch"):
    pytest.skip("PyTorch is not installed (the optional extra .[originals])",
                allow_module_level=True)

import keras  # noqa: E402

from sidebyside import run  # noqa: E402
from sidebyside._child import ChildFailed  # noqa: E402
from sidebyside._torch import (adam_step_bound, keras_to_torch,  # noqa: E402
                               original, torch_to_keras)

STEPS = 20
pytestmark = pytest.mark.usefixtures("one_pytorch_process")  # conftest.py: one child for all


@pytest.fixture
def pytorch():
    with original() as child:
        yield child


def check(result, steps=STEPS):
    assert result.steps == steps and result.port_losses.shape == result.original_losses.shape
    assert result.port_losses.shape == (steps, len(result.loss_names))
    assert np.all(np.isfinite(result.port_losses))
    assert result.max_abs_loss_delta <= result.loss_tolerance, (
        result.max_abs_loss_delta, result.tolerance_reason)
    assert result.max_abs_weight_delta <= result.weight_tolerance, (
        {k: v for k, v in result.weight_deltas.items() if v > result.weight_tolerance})
    assert result.agrees
    assert "torch" not in sys.modules  # the original ran in its own process


# -- the frameworks' layouts and the old semantics -----------------------------------------

def test_kernel_layouts_convert_to_torch_and_back(pytorch):
    """Dense, Conv2D and Conv2DTranspose (stride 2, PyTorch padding 1 = Keras 'same' for
    kernel 4) compute what Linear, Conv2d and ConvTranspose2d compute with the converted
    kernel, without flipping it."""
    rng = np.random.default_rng(0)
    cases = {"linear": (keras.layers.Dense(5, use_bias=False), (2, 3)),
             "conv": (keras.layers.Conv2D(4, 4, 2, "same", use_bias=False), (2, 8, 8, 3)),
             "transposed": (keras.layers.Conv2DTranspose(4, 4, 2, "same", use_bias=False),
                            (2, 5, 5, 3))}
    request, expected = {}, {}
    for name, (layer, shape) in cases.items():
        x = rng.standard_normal(shape).astype(np.float32)
        expected[name] = layer(x).numpy()
        kernel = layer.kernel.numpy()
        request[name + "_weight"] = np.ascontiguousarray(keras_to_torch(kernel))
        request[name + "_x"] = x.transpose(0, 3, 1, 2) if x.ndim == 4 else x
        np.testing.assert_array_equal(torch_to_keras(request[name + "_weight"]), kernel)
    out = pytorch.call("check_layouts", **request)
    for name, y in expected.items():
        got = out[name].transpose(0, 2, 3, 1) if y.ndim == 4 else out[name]
        np.testing.assert_allclose(got, y, rtol=1e-5, atol=1e-6)


def test_pytorch_era_adam_is_the_old_update_and_keras_s(pytorch):
    """PyTorch 0.2-1.2's Adam (eps added to sqrt(v) before the bias correction) is what
    Keras's Adam computes; today's torch.optim.Adam differs where sqrt(v_hat) ~ eps."""
    grads = np.array([[3e-7, -1e-3, 2.0], [-2e-7, 1e-3, -1.0]], np.float32)
    ours = keras.Variable(np.zeros(3, np.float32))
    keras_adam = keras.optimizers.Adam(0.1, 0.5, 0.999, epsilon=1e-8)
    for g in grads:
        keras_adam.apply_gradients([(g, ours)])
    out = pytorch.call("check_era_adam", grads=grads, lr=0.1, betas=[0.5, 0.999])
    np.testing.assert_allclose(out["old"], ours.numpy(), rtol=1e-5)
    # the first element's gradient is near eps: today's update is about twice as large
    assert abs(out["today"][0]) > 1.5 * abs(out["old"][0])


def test_pytorch_era_bce_is_thnn_s_log_p_plus_1e_12(pytorch):
    out = pytorch.call("check_era_bce", p=np.float32([[0.3], [0.9]]),
                       t=np.float32([[1.0], [0.0]]))
    value = float(out["value"])
    np.testing.assert_allclose(value, -(math.log(0.3) + math.log(0.1)) / 2, rtol=1e-6)
    np.testing.assert_allclose(out["grad"].ravel(), [-1 / 0.3 / 2, 1 / 0.1 / 2], rtol=1e-5)
    assert value == pytest.approx(float(out["today"]), rel=1e-6)  # the same unless saturated
    # today's: 100
    assert float(out["saturated"]) == pytest.approx(-math.log(1e-12), rel=1e-4)
    assert bool(out["refuses_other_shapes"])  # the post's (1,) targets need (1, 1)


def test_the_ports_era_bce_is_the_originals_saturated_too(pytorch):
    """gantools.torch_compat.era_bce (S4's and S5's default --bce era) computes PyTorch 0.2's
    BCELoss and its gradient, also where D saturates (p = 0 or 1 in float32: the loss stops
    at 27.6), where Keras's BCE from the logit would differ."""
    import tensorflow as tf
    from gantools.torch_compat import era_bce
    cases = [(np.float32([[0.3], [0.9]]), np.float32([[0.95], [0.0]])),
             (np.float32([[1.0], [1.0]]), np.float32([[0.0], [0.95]])),   # saturated
             (np.float32([[0.0], [1e-13]]), np.float32([[0.95], [0.0]]))]
    for p, t in cases:
        out = pytorch.call("check_era_bce", p=p, t=t)
        x = tf.constant(p)
        with tf.GradientTape() as tape:
            tape.watch(x)
            value = era_bce(x, t)
        np.testing.assert_allclose(value.numpy(), float(out["value"]), rtol=1e-6)
        np.testing.assert_allclose(tape.gradient(value, x).numpy(), out["grad"], rtol=1e-6)
    assert float(pytorch.call("check_era_bce", p=cases[1][0], t=cases[1][1])["value"]) > 13


def test_an_error_in_the_original_s_process_is_raised_here(pytorch):
    with pytest.raises(ChildFailed, match="KeyError"):
        pytorch.call("s4_run", steps=1)  # no weights given
    out = pytorch.call("check_era_bce", p=np.float32([[0.5]]), t=np.float32([[1.0]]))
    assert float(out["value"]) == pytest.approx(math.log(2), rel=1e-6)  # still serving


def test_a_kept_child_serves_every_block_inside_its_own_and_only_those():
    from sidebyside._child import _kept, keep, serving
    module = "json"  # any Python has it; nothing is called
    with keep(module, needs="json"):
        assert _kept[module] is None  # nothing started before it is needed
        with serving(module, needs="json") as first:
            with keep(module, needs="json"):  # an inner block keeps the outer one's child
                with serving(module, needs="json") as second:
                    assert second is first
            assert first.process.poll() is None
        with serving(module, needs="json") as third:
            assert third is first and first.process.poll() is None
    assert first.process.poll() is not None and module not in _kept  # closed with its block
    with serving(module, needs="json") as other:
        assert other is not first and other.process.poll() is None
    assert other.process.poll() is not None


def test_adam_step_bound():
    assert adam_step_bound((0.5, 0.999), 1) == pytest.approx(1.0)
    assert adam_step_bound((0.5, 0.999), 20) == pytest.approx(2.57, abs=0.01)
    # the bound is reached by a gradient that is zero before the last step
    beta1, beta2 = 0.9, 0.999
    m = (1 - beta1) * 1.0 / (1 - beta1 ** 5)
    v = (1 - beta2) * 1.0 / (1 - beta2 ** 5)
    assert m / math.sqrt(v) <= adam_step_bound((beta1, beta2), 5) + 1e-12


# -- step equivalence ------------------------------------------------------------------------

def test_mnist_gan_port_and_original_agree_for_20_iterations():
    check(run("S5", steps=STEPS))


def test_s4_runs_its_original_in_another_process_and_notices_a_changed_rate():
    """The separation: torch never enters this process; the comparison still agrees, and
    still fails when the port's learning rate is 10% larger."""
    result = run("S4", steps=STEPS)
    check(result)
    assert "torch" not in sys.modules
    changed = run("S4", steps=STEPS, port_overrides={"lr": 2.2e-4})
    assert not changed.agrees and changed.max_abs_loss_delta > 10 * changed.loss_tolerance
    assert "torch" not in sys.modules


@pytest.mark.parametrize("steps", [5, pytest.param(STEPS, marks=pytest.mark.slow)])
def test_dcgan_port_and_original_agree_step_by_step(steps):
    """Batch 4 (main.py: 64); each step from the port's state (sidebyside/s2.py
    says why); the JPEG files are decoded to the same pixels by both. 5 steps in the
    default suite, 20 in the slow one (CI runs both)."""
    result = run("S2", steps=steps)
    check(result, steps)
    assert any("steps whose decoded pixels differed: 0" in note for note in result.notes)
    # rounding parts only weights whose gradient is within rounding of zero: a few of 7.4M
    assert result.parted <= 1e-4 * 7374592
    assert max(result.update_gaps.values()) <= result.update_tolerance


@pytest.mark.slow  # CI runs it
def test_dcgan_with_the_seeds_scaling_agrees_with_the_original_as_printed():
    """as_posted: the port's --scaling posted (img - 1) beside AnimeDataset's img - 127.5/127.5."""
    result = run("S2", steps=3, as_posted=True)
    check(result, 3)
    notes = " ".join(result.notes)
    assert "img - 1 on both sides" in notes and "pixels differed: 0" in notes
    assert result.parted <= 1e-4 * 7374592


def test_mnist_gan_original_has_no_dropout_and_the_ports_flag_adds_it():
    result = run("S5", steps=STEPS, port_overrides={"dropout": 0.2})
    assert not result.agrees and result.max_abs_loss_delta > 10 * result.loss_tolerance


# The mutations each comparison must notice: tests/test_mutations.py.
