"""S2 beside its original: the port `keras_models/dcgan.py` and
`originals/anime_dcgan_torch.py` (FangYang's model.py and main.py, PyTorch 0.4 semantics),
compared step by step.

Why step by step. Started from the same weights and run freely, the two losses differ by
5e-5 at step 1 and then part: 2e-4 at step 2, 3e-3 at step 3, 0.55 (of losses near 0.4 and
6) at step 20 (measured at batch 4). Adam moves a weight by about lr = 1e-4 times the sign
of its gradient at first, and G's and the first D layers' gradients come out of sums that
nearly cancel (BatchNorm subtracts the batch mean; D's real and fake terms oppose each
other), so some are within float32 rounding of zero and the two frameworks, which sum in
another order, move them apart (from one state, 18 of the 7.4 million weights and statistics
by more than lr / 2 at a step in the measured run, more by less); the GAN amplifies these
differences from step to step. So before every step the original is given the port's state
(weights, BatchNorm running statistics, both Adam optimisers' moments and step counts), and
the step's losses and the weights after it are compared, for each of the `steps` steps.

Data: the faces (`data_faces`, else `synthetic_faces`) are written as JPEG files 0.jpg,
1.jpg, ... into a temporary folder; the original reads them with its `AnimeDataset` (PIL's
decoding, (img - 127.5) / 127.5, CHW), the port with `gantools.images.load_image` and
`to_unit_range` (NHWC); both get the files in the same order, `BATCH` per step, and the notes
count the steps at which the two decoders gave different pixels (none expected: the port
decodes JPEG as PIL does). Noise: the port draws it inside its compiled step from its
`tf.random.Generator`; the original gets the same values from a copy of that generator
(`_torch.twin_generator`), reshaped to (B, 100, 1, 1).

The original runs main.py's batch as written: generate(noise) for D's step and again for G's,
each pass updating G's BatchNorm running statistics with PyTorch's momentum 0.1. The port
runs G once and updates them once with momentum 0.19 (Keras 0.81); the comparison of every
weight, running statistics included, shows that the numbers are the same.

Weights: every kernel is copied between the two in the other's layout (`_torch`), and every
BatchNorm's gamma, beta, moving mean and variance as weight, bias, running_mean and
running_var; each Adam moment with the layout of its weight.
"""
import tempfile
from pathlib import Path

import numpy as np

from originals.side_by_side import SideBySide, StepTimer, load_faces, weight_deltas
from originals.side_by_side._torch import (keras_to_torch, load_into, one_thread, same_state,
                                           step_tolerances, to_torch, torch, torch_to_keras,
                                           twin_generator)

BATCH = 4          # small for a fast test (main.py: 64); the step does not depend on it
LOSS_NAMES = ["loss_D", "loss_G"]


def pairs(port, generate, discriminator):
    """(name, Keras layer, torch module) for every layer with weights, in order."""
    found = []
    for i in range(1, 6):
        block = getattr(generate, "convtrans%d_block" % i)
        found.append(("G.convtrans%d" % i, port.generate.get_layer("convtrans%d" % i), block[0]))
        if i < 5:
            found.append(("G.convtrans%d_bn" % i,
                          port.generate.get_layer("convtrans%d_bn" % i), block[1]))
    blocks = [discriminator.conv_bolck1, discriminator.conv_bolok2, discriminator.conv_bolok3,
              discriminator.conv_bolok4, discriminator.conv_bolok5]
    for i, block in enumerate(blocks, start=1):
        found.append(("D.conv%d" % i, port.discriminator.get_layer("conv%d" % i), block[0]))
        if 1 < i < 5:
            found.append(("D.conv%d_bn" % i, port.discriminator.get_layer("conv%d_bn" % i),
                          block[1]))
    return found


BN = [("gamma", "weight"), ("beta", "bias"), ("moving_mean", "running_mean"),
      ("moving_variance", "running_var")]


def copy_into(port, generate, discriminator):
    for name, layer, module in pairs(port, generate, discriminator):
        if name.endswith("_bn"):
            load_into([getattr(module, t) for _, t in BN],
                      [getattr(layer, k).numpy() for k, _ in BN])
        else:
            load_into([module.weight], [keras_to_torch(layer.kernel.numpy())])


def weights_of(port, generate, discriminator):
    ours, theirs = {}, {}
    for name, layer, module in pairs(port, generate, discriminator):
        if name.endswith("_bn"):
            for k, t in BN:
                ours[f"{name}.{k}"] = getattr(layer, k).numpy()
                theirs[f"{name}.{k}"] = getattr(module, t).detach().numpy()
        else:
            ours[f"{name}.kernel"] = layer.kernel.numpy()
            theirs[f"{name}.kernel"] = torch_to_keras(module.weight)
    return ours, theirs


def write_faces(images, folder):
    from PIL import Image
    Path(folder).mkdir()
    for i, image in enumerate(images):
        Image.fromarray(image).save(Path(folder) / ("%d.jpg" % i), quality=90)


def trainable_pairs(port, generate, discriminator):
    """(name, 0 for G or 1 for D, Keras variable, torch parameter, Keras-to-torch layout)
    for every trainable weight: whose Adam state to copy."""
    found = []
    for name, layer, module in pairs(port, generate, discriminator):
        net = 0 if name.startswith("G.") else 1
        if name.endswith("_bn"):
            found += [(f"{name}.gamma", net, layer.gamma, module.weight, np.asarray),
                      (f"{name}.beta", net, layer.beta, module.bias, np.asarray)]
        else:
            found.append((f"{name}.kernel", net, layer.kernel, module.weight, keras_to_torch))
    return found


def adam_moments(optimizer, variable):
    index = optimizer._get_variable_index(variable)
    return optimizer._momentums[index], optimizer._velocities[index]


def copy_adam_state(port_optimizers, torch_optimizers, trainables):
    """Each torch parameter's Adam state (step, exp_avg, exp_avg_sq) := the port's."""
    for name, net, variable, parameter, convert in trainables:
        optimizer = port_optimizers[net]
        state = torch_optimizers[net].state
        steps = int(optimizer.iterations.numpy())
        if steps == 0:
            state.pop(parameter, None)
            continue
        m, v = adam_moments(optimizer, variable)
        state[parameter] = {
            "step": steps,
            "exp_avg": torch.from_numpy(np.ascontiguousarray(convert(m.numpy()))),
            "exp_avg_sq": torch.from_numpy(np.ascontiguousarray(convert(v.numpy())))}


def largest(deltas, new):
    for name, value in new.items():
        deltas[name] = max(deltas.get(name, 0.0), value)


def run(steps=20, seed=0, data_mnist=None, data_faces=None, port_overrides=None):
    import keras
    from gantools.images import load_image, to_unit_range
    from keras_models import dcgan as port_module
    from originals import anime_dcgan_torch as original

    keras.utils.set_random_seed(seed)
    torch.manual_seed(seed)
    port = port_module.DCGAN(seed=seed, **(port_overrides or {}))
    generate, discriminator, criterion, optimizer_G, optimizer_D = original.build()
    port_optimizers = (port.optimizer_G, port.optimizer_D)
    torch_optimizers = (optimizer_G, optimizer_D)
    trainables = trainable_pairs(port, generate, discriminator)
    twin = twin_generator(port.rng)
    lr = port_module.lr

    faces = load_faces(data_faces, seed, steps * BATCH)
    n = min(len(faces), steps * BATCH)
    port_losses, original_losses, weight_gaps, parted = [], [], {}, 0
    port_timer, original_timer = StepTimer(), StepTimer()
    decoded_images_differ = 0
    with tempfile.TemporaryDirectory() as folder, one_thread():
        write_faces(faces[:n], Path(folder) / "faces")
        dataset = original.AnimeDataset(folder, "faces", n)
        for step in range(steps):
            indices = [(step * BATCH + j) % n for j in range(BATCH)]
            inp = torch.from_numpy(np.stack([dataset[i] for i in indices]))
            decoded = np.stack([load_image(dataset.data_files[i]).numpy() for i in indices])
            decoded_images_differ += int(np.any(
                decoded.transpose(0, 3, 1, 2).astype(np.float64) != inp.numpy() * 127.5 + 127.5))

            # both start the step from the port's state
            copy_into(port, generate, discriminator)
            copy_adam_state(port_optimizers, torch_optimizers, trainables)

            with port_timer:
                port_losses.append(port.train_step(to_unit_range(decoded)).numpy())
            noise = to_torch(twin.normal((BATCH, port.input_dim))).reshape(BATCH, -1, 1, 1)
            with original_timer:
                loss_D, loss_G = original.train_batch(generate, discriminator, criterion,
                                                      optimizer_G, optimizer_D, inp, noise)
            original_losses.append([loss_D.item(), loss_G.item()])

            ours, theirs = weights_of(port, generate, discriminator)
            largest(weight_gaps, weight_deltas(ours, theirs))
            parted = max(parted, sum(int(np.sum(np.abs(ours[k] - theirs[k]) > lr / 2))
                                     for k in ours))
    assert same_state(port.rng, twin), "port and original drew different noise"

    loss_tolerance, weight_tolerance, reason = step_tolerances(
        port_module.lr, (port_module.beta1, 0.999), steps)
    return SideBySide(
        program="S2", steps=steps, loss_names=LOSS_NAMES,
        port_losses=np.array(port_losses), original_losses=np.array(original_losses),
        weight_deltas=weight_gaps,
        port_step_ms=port_timer.ms, original_step_ms=original_timer.ms,
        loss_tolerance=loss_tolerance, weight_tolerance=weight_tolerance,
        tolerance_reason=reason,
        notes=["compared step by step: before each step the original gets the port's "
               "weights, BatchNorm statistics and Adam moments (run freely from one start, "
               "the two part within a few steps: float32 rounding that Adam turns into "
               "opposite lr-sized moves, amplified by the GAN; module docstring)",
               "weight_deltas: the largest over the steps of each weight's difference after "
               "the step",
               f"weights parted by more than lr / 2 at a step: at most {parted} of "
               f"{sum(v.size for v in ours.values())}",
               f"batch {BATCH} (main.py: 64), images written as JPEG and read by each "
               f"side's decoder; steps whose decoded pixels differed: {decoded_images_differ}",
               "G runs once per batch in the port (BatchNorm momentum 0.19), twice in the "
               "original (0.1 each): running statistics compared, the same",
               "BCE: the port's is today's PyTorch BCELoss, the original's PyTorch 0.4's; "
               "they differ only for a saturated D"])
