"""S4 beside its original: the port `keras_models/gaussian_gan.py` and
`originals/gaussian_gan_torch.py` (the post's PyTorch code, 2017 semantics).

The port draws its data (one row of 100 values of N(4, 1.25)) and its noise (U[0, 1), 100 x 1,
for D's step and again for G's) from its `tf.random.Generator` inside its compiled step. The
reference gets the same draws from a copy of that generator (`_torch.twin_generator`) through
the port's own sampler functions, called in the same order; after the run both generators
must be at the same state. Weights: the port's initial Dense kernels and biases are copied
into the reference's Linear layers (weight = kernel transposed).
"""
import numpy as np

from originals.side_by_side import SideBySide, StepTimer, weight_deltas
from originals.side_by_side._torch import (BCE_NOTE, free_running_tolerances, keras_to_torch,
                                           load_into, one_thread, same_state, to_torch, torch,
                                           torch_to_keras, twin_generator)

LOSS_NAMES = ["d_real_error", "d_fake_error", "g_error"]


def layers(model):
    return [layer for layer in model.layers if hasattr(layer, "kernel")]


def copy_into(keras_model, torch_model):
    for layer in layers(keras_model):
        linear = getattr(torch_model, layer.name)
        load_into([linear.weight, linear.bias],
                  [keras_to_torch(layer.kernel.numpy()), layer.bias.numpy()])


def weights_of(port, G, D):
    ours, theirs = {}, {}
    for net, keras_model, torch_model in [("G", port.G, G), ("D", port.D, D)]:
        for layer in layers(keras_model):
            linear = getattr(torch_model, layer.name)
            ours[f"{net}.{layer.name}.kernel"] = layer.kernel.numpy()
            ours[f"{net}.{layer.name}.bias"] = layer.bias.numpy()
            theirs[f"{net}.{layer.name}.kernel"] = torch_to_keras(linear.weight)
            theirs[f"{net}.{layer.name}.bias"] = linear.bias.detach().numpy()
    return ours, theirs


def run(steps=20, seed=0, data_mnist=None, data_faces=None, port_overrides=None):
    import keras
    from keras_models import gaussian_gan as port_module
    from originals import gaussian_gan_torch as original

    keras.utils.set_random_seed(seed)
    torch.manual_seed(seed)
    port = port_module.GAN(seed=seed, **(port_overrides or {}))
    G, D, criterion, d_optimizer, g_optimizer = original.build()
    copy_into(port.G, G)
    copy_into(port.D, D)

    twin = twin_generator(port.rng)
    d_sampler = lambda n: to_torch(port_module.get_distribution_sampler(
        twin, original.data_mean, original.data_stddev)(n))
    gi_sampler = lambda m, n: to_torch(port_module.get_generator_input_sampler(twin)(m, n))

    port_losses, original_losses = [], []
    port_timer, original_timer = StepTimer(), StepTimer()
    with one_thread():
        for _ in range(steps):
            with port_timer:
                port_losses.append(port.train_epoch().numpy()[:3])
            with original_timer:
                errors = original.train_epoch(G, D, criterion, d_optimizer, g_optimizer,
                                              d_sampler, gi_sampler)
            original_losses.append([e.item() for e in errors[:3]])
    assert same_state(port.rng, twin), "port and original consumed different draws"

    ours, theirs = weights_of(port, G, D)
    loss_tolerance, weight_tolerance, reason = free_running_tolerances(
        port_module.d_learning_rate, port_module.optim_betas, steps)
    return SideBySide(
        program="S4", steps=steps, loss_names=LOSS_NAMES,
        port_losses=np.array(port_losses), original_losses=np.array(original_losses),
        weight_deltas=weight_deltas(ours, theirs),
        port_step_ms=port_timer.ms, original_step_ms=original_timer.ms,
        loss_tolerance=loss_tolerance, weight_tolerance=weight_tolerance,
        tolerance_reason=reason,
        notes=[BCE_NOTE + " (|logit| above about 16), which 20 steps from the start do not "
               "reach",
               "targets shaped (1, 1) on both sides (today's BCELoss refuses (1,))"])
