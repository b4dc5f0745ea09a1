"""S4 beside its original: the port `keras_models/gaussian_gan.py` and
`originals/gaussian_gan_torch.py` (the post's PyTorch code, 2017 semantics), which runs in a
process of its own (`originals/torch_replay.py`, `s4_run`).

The port draws its data and noise from its `tf.random.Generator` inside its compiled step.
The harness draws the same numbers from a copy of that generator (`_torch.twin_generator`),
with its own calls in the post's order and with the post's values (per epoch: one row of 100
values of N(4, 1.25) for D's real set, 100 x 1 of U[0, 1) for D's fake set, 100 x 1 again for
G's step), and hands them to the original's samplers. After the run the port's generator must
be where the copy is: the port drew exactly these. Weights: the port's initial Dense kernels
and biases go to the original's Linear layers (weight = kernel transposed).
"""
import numpy as np

from sidebyside import SideBySide, StepTimer, weight_deltas
from sidebyside._torch import (BCE_NOTE, free_running_tolerances, keras_to_torch,
                                           original, same_state, step_ms, torch_to_keras,
                                           twin_generator)

LOSS_NAMES = ["d_real_error", "d_fake_error", "g_error"]

# the post's values (gan_pytorch.py), written here apart from the port's
DATA_MEAN, DATA_STDDEV = 4.0, 1.25
D_INPUT_SIZE = MINIBATCH_SIZE = 100
G_INPUT_SIZE = 1
LEARNING_RATE, BETAS = 2e-4, (0.9, 0.999)


def layers(model):
    return [layer for layer in model.layers if hasattr(layer, "kernel")]


def dense_weights(nets):
    """{'G.fc1.weight': ..., 'G.fc1.bias': ...} of Keras models' Dense layers, named and
    laid out as the originals' nn.Linear layers of the same name."""
    found = {}
    for net, model in nets.items():
        for layer in layers(model):
            found[f"{net}.{layer.name}.weight"] = keras_to_torch(layer.kernel.numpy())
            found[f"{net}.{layer.name}.bias"] = layer.bias.numpy()
    return found


def compared(port_weights, answer):
    """(ours, theirs): both sides' final weights by the port's names and in its layout."""
    ours, theirs = {}, {}
    for name, value in port_weights.items():
        keras_name = name.replace(".weight", ".kernel")
        ours[keras_name] = torch_to_keras(value)
        theirs[keras_name] = torch_to_keras(answer[name])
    return ours, theirs


def draws(twin, steps):
    """What the original's samplers return, epoch by epoch, drawn as the port draws them."""
    real, noise = [], []
    for _ in range(steps):
        real.append(twin.normal((1, D_INPUT_SIZE), DATA_MEAN, DATA_STDDEV).numpy())
        noise.append(twin.uniform((MINIBATCH_SIZE, G_INPUT_SIZE)).numpy())  # D's fake set
        noise.append(twin.uniform((MINIBATCH_SIZE, G_INPUT_SIZE)).numpy())  # G's step
    return np.stack(real), np.stack(noise)


def run(steps=20, seed=0, data_mnist=None, data_faces=None, port_overrides=None,
        original_first=False):
    import keras
    from keras_models import gaussian_gan as port_module

    keras.utils.set_random_seed(seed)
    port = port_module.GAN(seed=seed, **(port_overrides or {}))
    initial = dense_weights({"G": port.G, "D": port.D})
    twin = twin_generator(port.rng)
    d_real_data, gen_input = draws(twin, steps)

    def original_side():
        with original() as child:
            return child.call("s4_run", steps=steps, d_real_data=d_real_data,
                              gen_input=gen_input, **initial)
    if original_first:
        answer = original_side()
    port_losses, port_timer = [], StepTimer()
    for _ in range(steps):
        with port_timer:
            port_losses.append(port.train_epoch().numpy()[:3])
    assert same_state(port.rng, twin), "the port drew other numbers than the original got"
    if not original_first:
        answer = original_side()

    ours, theirs = compared(dense_weights({"G": port.G, "D": port.D}), answer)
    loss_tolerance, weight_tolerance, reason = free_running_tolerances(
        LEARNING_RATE, BETAS, steps)
    return SideBySide(
        program="S4", steps=steps, loss_names=LOSS_NAMES,
        port_losses=np.array(port_losses), original_losses=answer["losses"],
        weight_deltas=weight_deltas(ours, theirs),
        port_step_ms=port_timer.ms, original_step_ms=step_ms(answer),
        loss_tolerance=loss_tolerance, weight_tolerance=weight_tolerance,
        tolerance_reason=reason,
        notes=[BCE_NOTE,
               "targets shaped (1, 1) on both sides (today's BCELoss refuses (1,))",
               "the original ran in its own process (PyTorch only)"])
