"""The PyTorch programs (S2, S4, S5) beside their originals (originals/, PyTorch 0.2-0.4
semantics): the same start, batches and noise, 20 training iterations, the same losses and
weights within the tolerances each SideBySide states; a changed hyper-parameter of the port
makes the comparison fail. Skipped without the optional extra (pip install -e ".[originals]")."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import keras  # noqa: E402

from originals import pytorch_era  # noqa: E402
from originals.side_by_side import run  # noqa: E402
from originals.side_by_side._torch import (adam_step_bound, keras_to_torch,  # noqa: E402
                                           torch_to_keras)

STEPS = 20


def check(result, steps=STEPS):
    assert result.steps == steps and result.port_losses.shape == result.original_losses.shape
    assert result.port_losses.shape == (steps, len(result.loss_names))
    assert np.all(np.isfinite(result.port_losses))
    assert result.max_abs_loss_delta <= result.loss_tolerance, (
        result.max_abs_loss_delta, result.tolerance_reason)
    assert result.max_abs_weight_delta <= result.weight_tolerance, (
        {k: v for k, v in result.weight_deltas.items() if v > result.weight_tolerance})
    assert result.agrees


# -- the frameworks' layouts and the old semantics -----------------------------------------

def test_kernel_layouts_convert_to_torch_and_back():
    """Dense, Conv2D and Conv2DTranspose (stride 2, PyTorch padding 1 = Keras 'same' for
    kernel 4) compute what Linear, Conv2d and ConvTranspose2d compute with the converted
    kernel, without flipping it."""
    rng = np.random.default_rng(0)
    cases = [
        (keras.layers.Dense(5), torch.nn.Linear(3, 5, bias=False), (2, 3)),
        (keras.layers.Conv2D(4, 4, 2, "same", use_bias=False),
         torch.nn.Conv2d(3, 4, 4, 2, 1, bias=False), (2, 8, 8, 3)),
        (keras.layers.Conv2DTranspose(4, 4, 2, "same", use_bias=False),
         torch.nn.ConvTranspose2d(3, 4, 4, 2, 1, bias=False), (2, 5, 5, 3))]
    for layer, module, shape in cases:
        x = rng.standard_normal(shape).astype(np.float32)
        image = len(shape) == 4
        y = layer(x).numpy()  # Dense's bias starts at zero
        kernel = layer.kernel.numpy()
        with torch.no_grad():
            module.weight.copy_(torch.from_numpy(np.ascontiguousarray(keras_to_torch(kernel))))
            out = module(torch.from_numpy(x.transpose(0, 3, 1, 2) if image else x)).numpy()
        np.testing.assert_allclose(out.transpose(0, 2, 3, 1) if image else out, y, rtol=1e-5,
                                   atol=1e-6)
        np.testing.assert_array_equal(torch_to_keras(module.weight), kernel)


def test_pytorch_era_adam_is_the_old_update_and_keras_s():
    """PyTorch 0.2-1.2's Adam (eps added to sqrt(v) before the bias correction) is what
    Keras's Adam computes; today's torch.optim.Adam differs where sqrt(v_hat) ~ eps."""
    grads = [np.array([3e-7, -1e-3, 2.0], np.float32), np.array([-2e-7, 1e-3, -1.0], np.float32)]
    old = torch.nn.Parameter(torch.zeros(3))
    today = torch.nn.Parameter(torch.zeros(3))
    ours = keras.Variable(np.zeros(3, np.float32))
    optimizers = [pytorch_era.Adam([old], lr=0.1, betas=(0.5, 0.999)),
                  torch.optim.Adam([today], lr=0.1, betas=(0.5, 0.999))]
    keras_adam = keras.optimizers.Adam(0.1, 0.5, 0.999, epsilon=1e-8)
    for g in grads:
        for p, optimizer in zip([old, today], optimizers):
            p.grad = torch.from_numpy(g)
            optimizer.step()
        keras_adam.apply_gradients([(g, ours)])
    np.testing.assert_allclose(old.detach().numpy(), ours.numpy(), rtol=1e-5)
    # the first element's gradient is near eps: today's update is about twice as large
    assert abs(today.detach().numpy()[0]) > 1.5 * abs(old.detach().numpy()[0])


def test_pytorch_era_bce_is_thnn_s_log_p_plus_1e_12():
    loss = pytorch_era.BCELoss()
    p = torch.tensor([[0.3], [0.9]], requires_grad=True)
    t = torch.tensor([[1.0], [0.0]])
    value = loss(p, t)
    value.backward()
    np.testing.assert_allclose(value.item(), -(math.log(0.3) + math.log(0.1)) / 2, rtol=1e-6)
    np.testing.assert_allclose(p.grad.numpy().ravel(), [-1 / 0.3 / 2, 1 / 0.1 / 2], rtol=1e-5)
    today = torch.nn.BCELoss()(p.detach(), t).item()
    assert value.item() == pytest.approx(today, rel=1e-6)  # the same unless saturated
    saturated = loss(torch.ones(1, 1), torch.zeros(1, 1)).item()
    assert saturated == pytest.approx(-math.log(1e-12), rel=1e-4)  # today's: 100
    with pytest.raises(ValueError, match="differ"):
        loss(torch.ones(1, 1), torch.ones(1))  # the post's (1,) targets need (1, 1)


def test_adam_step_bound():
    assert adam_step_bound((0.5, 0.999), 1) == pytest.approx(1.0)
    assert adam_step_bound((0.5, 0.999), 20) == pytest.approx(2.57, abs=0.01)
    # the bound is reached by a gradient that is zero before the last step
    beta1, beta2 = 0.9, 0.999
    m = (1 - beta1) * 1.0 / (1 - beta1 ** 5)
    v = (1 - beta2) * 1.0 / (1 - beta2 ** 5)
    assert m / math.sqrt(v) <= adam_step_bound((beta1, beta2), 5) + 1e-12


# -- step equivalence ------------------------------------------------------------------------

@pytest.mark.parametrize("program", ["S4", "S5"])
def test_port_and_original_agree_for_20_iterations(program):
    check(run(program, steps=STEPS))


@pytest.mark.parametrize("steps", [5, pytest.param(STEPS, marks=pytest.mark.slow)])
def test_dcgan_port_and_original_agree_step_by_step(steps):
    """Batch 4 (main.py: 64); each step from the port's state (originals/side_by_side/s2.py
    says why); the JPEG files are decoded to the same pixels by both. 5 steps in the
    default suite, 20 in the slow one (CI runs both)."""
    result = run("S2", steps=steps)
    check(result, steps)
    assert any("steps whose decoded pixels differed: 0" in note for note in result.notes)


def test_mnist_gan_original_has_no_dropout_and_the_ports_flag_adds_it():
    result = run("S5", steps=STEPS, port_overrides={"dropout": 0.2})
    assert not result.agrees and result.max_abs_loss_delta > 10 * result.loss_tolerance


@pytest.mark.slow  # a mutation check: the comparison notices a changed port; CI runs it
@pytest.mark.parametrize("program, steps, overrides", [
    ("S4", STEPS, {"lr": 2.2e-4}),          # 2e-4 + 10%
    ("S5", STEPS, {"lr": 2.2e-4}),
    ("S5", STEPS, {"smooth": 0.2}),
    ("S2", 2, {"lr": 1.1e-4}),              # 1e-4 + 10%; two steps already show it
])
def test_a_changed_hyperparameter_of_the_port_disagrees(program, steps, overrides):
    result = run(program, steps=steps, port_overrides=overrides)
    assert not result.agrees
    assert result.max_abs_loss_delta > 10 * result.loss_tolerance
