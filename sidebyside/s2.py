"""S2 beside its original: the port `keras_models/dcgan.py` and
`originals/anime_dcgan_torch.py` (FangYang's model.py and main.py, PyTorch 0.4 semantics),
compared step by step; the original runs in a process of its own (`originals/torch_replay.py`,
`s2_start` and `s2_step`).

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
The weights are compared twice: each element after the step (within 2 lr max_t r_t, see
`_torch.step_tolerances`), and each network's whole update of the step, |port's update -
original's update| / |original's update| over all of G's (D's) trainable weights: a few
elements moved apart by rounding hardly change it, while a skipped, negated or re-scaled
update of G or D changes it by 10 % or more.

Data: the faces (`data_faces`, else `synthetic_faces`) are written as JPEG files 0.jpg,
1.jpg, ... into a temporary folder; the original reads them with its `AnimeDataset` (PIL's
decoding, (img - 127.5) / 127.5, CHW), the port with `gantools.faces.images.load_image` and
`to_unit_range` (NHWC); both get the files in the same order, `BATCH` per step, and the notes
count the steps at which the two decoders gave different pixels (none expected: the port
decodes JPEG as PIL does). Noise: the port draws it inside its compiled step from its
`tf.random.Generator`; the harness draws the same values from a copy of that generator
(`_torch.twin_generator`) and gives them to the original reshaped to (B, 100, 1, 1).

The original runs main.py's batch as written: generate(noise) for D's step and again for G's,
each pass updating G's BatchNorm running statistics with PyTorch's momentum 0.1. The port
runs G once and updates them once with momentum 0.19 (Keras 0.81); the comparison of every
weight, running statistics included, shows that the numbers are the same.

Weights: every kernel travels between the two in the other's layout (`_torch`), and every
BatchNorm's gamma, beta, moving mean and variance as weight, bias, running_mean and
running_var; each Adam moment with the layout of its weight.
"""
import tempfile
from pathlib import Path

import numpy as np

from sidebyside import SideBySide, StepTimer, load_faces, weight_deltas
from sidebyside._torch import (keras_to_torch, original, same_state,
                                           step_tolerances, torch_to_keras, twin_generator)

BATCH = 4          # small for a fast test (main.py: 64); the step does not depend on it
LOSS_NAMES = ["loss_D", "loss_G"]
LR, BETA1, NOISE_SIZE = 1e-4, 0.5, 100   # main.py's defaults, written here apart from the port's
# |port's update - original's| / |original's|, per network and step: the few elements that
# rounding moves apart (at most 2 lr r_t each, tens of the millions) and the other D they
# see give about 1e-2 (0.009 for G, 0.001 for D in 5 steps); a skipped G update gives 1, a
# negated one 2, a 10% larger or smaller rate or step 0.1. 0.05 lies between the two.
UPDATE_TOLERANCE = 0.05


def pairs(port):
    """(Keras layer, the original's state_dict name of its module) for every layer with
    weights, G's then D's."""
    found = []
    for i in range(1, 6):
        found.append((port.generate.get_layer("convtrans%d" % i), "G.convtrans%d_block.0" % i))
        if i < 5:
            found.append((port.generate.get_layer("convtrans%d_bn" % i),
                          "G.convtrans%d_block.1" % i))
    names = ["conv_bolck1", "conv_bolok2", "conv_bolok3", "conv_bolok4", "conv_bolok5"]
    for i, name in enumerate(names, start=1):
        found.append((port.discriminator.get_layer("conv%d" % i), "D.%s.0" % name))
        if 1 < i < 5:
            found.append((port.discriminator.get_layer("conv%d_bn" % i), "D.%s.1" % name))
    return found


BN = [("gamma", "weight"), ("beta", "bias"), ("moving_mean", "running_mean"),
      ("moving_variance", "running_var")]


def variables(port):
    """(the original's name, Keras variable, Keras-to-torch layout, trainable) of every
    weight and BatchNorm statistic."""
    found = []
    for layer, module in pairs(port):
        if layer.name.endswith("_bn"):
            found += [(f"{module}.{t}", getattr(layer, k), np.asarray, k in ("gamma", "beta"))
                      for k, t in BN]
        else:
            found.append((f"{module}.weight", layer.kernel, keras_to_torch, True))
    return found


def state(port):
    """The port's weights and statistics in the original's names and layout."""
    return {name: convert(variable.numpy()) for name, variable, convert, _ in variables(port)}


def adam_state(port):
    """Both Adam optimisers' moments (`m:<name>`, `v:<name>`) in the original's layout, and
    their step counts (`t:G`, `t:D`)."""
    found = {"t:G": int(port.optimizer_G.iterations.numpy()),
             "t:D": int(port.optimizer_D.iterations.numpy())}
    for name, variable, convert, trainable in variables(port):
        if not trainable or not (found["t:G"] if name.startswith("G.") else found["t:D"]):
            continue
        optimizer = port.optimizer_G if name.startswith("G.") else port.optimizer_D
        index = optimizer._get_variable_index(variable)
        found["m:" + name] = convert(optimizer._momentums[index].numpy())
        found["v:" + name] = convert(optimizer._velocities[index].numpy())
    return found


def write_faces(images, folder):
    from PIL import Image
    Path(folder).mkdir()
    for i, image in enumerate(images):
        Image.fromarray(image).save(Path(folder) / ("%d.jpg" % i), quality=90)


def update_gaps(before, ours, theirs, trainable):
    """Per network: |our update - their update| / |their update| over its trainable weights."""
    gaps = {}
    for net in ("G", "D"):
        names = [k for k in trainable if k.startswith(net + ".")]
        diff = np.sqrt(sum(np.sum((ours[k].astype(np.float64) - theirs[k]) ** 2)
                           for k in names))
        size = np.sqrt(sum(np.sum((theirs[k].astype(np.float64) - before[k]) ** 2)
                           for k in names))
        gaps[net] = float(diff / size) if size else float("inf")
    return gaps


def run(steps=20, seed=0, data_mnist=None, data_faces=None, port_overrides=None,
        as_posted=False):
    """`as_posted`: the seed's scaling img - 127.5/127.5 (= img - 1) on both sides (the
    port's --scaling posted, the original's AnimeDataset(posted_scaling=True))."""
    import keras
    from gantools.faces.images import SCALINGS, load_image
    from keras_models import dcgan as port_module

    keras.utils.set_random_seed(seed)
    port = port_module.DCGAN(seed=seed, **(port_overrides or {}))
    twin = twin_generator(port.rng)
    trainable = [name for name, _, _, t in variables(port) if t]

    faces = load_faces(data_faces, seed, steps * BATCH)
    n = min(len(faces), steps * BATCH)
    port_losses, original_losses, weight_gaps, parted = [], [], {}, 0
    largest_update_gap = {"G": 0.0, "D": 0.0}
    port_timer, original_seconds = StepTimer(), []
    decoded_images_differ = 0
    with tempfile.TemporaryDirectory() as folder, original() as child:
        write_faces(faces[:n], Path(folder) / "faces")
        counts = child.call("s2_start", directory=folder, dataset="faces", size=n, lr=LR,
                            beta1=BETA1, posted_scaling=as_posted)
        scale = SCALINGS["posted" if as_posted else "unit"]  # the port's --scaling
        files = [str(Path(folder) / "faces" / ("%d.jpg" % i)) for i in range(n)]
        for step in range(steps):
            indices = [(step * BATCH + j) % n for j in range(BATCH)]
            decoded = np.stack([load_image(files[i]).numpy() for i in indices])

            # both start the step from the port's state
            before = state(port)
            adam = adam_state(port)
            with port_timer:
                port_losses.append(port.train_step(scale(decoded)).numpy())
            noise = twin.normal((BATCH, NOISE_SIZE)).numpy().reshape(BATCH, -1, 1, 1)
            answer = child.call("s2_step", indices=indices, noise=noise, **before, **adam)
            original_losses.append(answer["losses"])
            original_seconds.append(float(answer["step_seconds"]))
            decoded_images_differ += int(np.any(
                decoded.transpose(0, 3, 1, 2).astype(np.float64)
                != (answer["inp"] + 1 if as_posted else answer["inp"] * 127.5 + 127.5)))

            ours = state(port)
            theirs = {name: answer[name] for name in ours}
            for name, gap in update_gaps(before, ours, theirs, trainable).items():
                largest_update_gap[name] = max(largest_update_gap[name], gap)
            keras_layout = {name: torch_to_keras(v) if v.ndim == 4 else v
                            for name, v in ours.items()}
            original_layout = {name: torch_to_keras(v) if v.ndim == 4 else v
                               for name, v in theirs.items()}
            for name, gap in weight_deltas(keras_layout, original_layout).items():
                weight_gaps[name] = max(weight_gaps.get(name, 0.0), gap)
            parted = max(parted, sum(int(np.sum(np.abs(ours[k] - theirs[k]) > LR / 2))
                                     for k in ours))
    assert same_state(port.rng, twin), "port and original drew different noise"
    assert (int(counts["G.count"]), int(counts["D.count"])) == (4600704, 2770176)

    loss_tolerance, weight_tolerance, reason = step_tolerances(LR, (BETA1, 0.999), steps)
    return SideBySide(
        program="S2", steps=steps, loss_names=LOSS_NAMES,
        port_losses=np.array(port_losses), original_losses=np.array(original_losses),
        weight_deltas=weight_gaps,
        port_step_ms=port_timer.ms, original_step_ms=float(np.median(original_seconds) * 1e3),
        loss_tolerance=loss_tolerance, weight_tolerance=weight_tolerance,
        tolerance_reason=reason + f" Each network's update of a step within "
        f"{UPDATE_TOLERANCE:g} of the original's (relative, over all its trainable weights).",
        update_gaps=largest_update_gap, update_tolerance=UPDATE_TOLERANCE,
        parted=parted,
        notes=["compared step by step: before each step the original gets the port's "
               "weights, BatchNorm statistics and Adam moments (run freely from one start, "
               "the two part within a few steps: float32 rounding that Adam turns into "
               "opposite lr-sized moves, amplified by the GAN; module docstring)",
               "weight_deltas: the largest over the steps of each weight's difference after "
               "the step",
               "update gaps (|port's update - original's| / |original's|, the largest over "
               "the steps): " + ", ".join(f"{k} {v:.2g}" for k, v in
                                          largest_update_gap.items()),
               f"weights parted by more than lr / 2 at a step: at most {parted} of "
               f"{sum(v.size for v in ours.values())}",
               f"batch {BATCH} (main.py: 64), images written as JPEG and read by each "
               f"side's decoder; steps whose decoded pixels differed: {decoded_images_differ}",
               "G runs once per batch in the port (BatchNorm momentum 0.19), twice in the "
               "original (0.1 each): running statistics compared, the same",
               "BCE: the port's is today's PyTorch BCELoss, the original's PyTorch 0.4's; "
               "they differ only for a saturated D",
               "scaling: " + ("the seed's img - 127.5/127.5 = img - 1 on both sides (the "
                              "port's --scaling posted)" if as_posted else
                              "(img - 127.5) / 127.5 on both sides (the upstream fix)"),
               "the original ran in its own process (PyTorch only)"])
