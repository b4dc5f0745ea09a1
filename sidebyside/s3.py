"""S3 side by side: `keras_models.wgan` (Keras 3) beside the script's code in Keras 2
(`originals.anime_wgan_keras2`, tf_keras in a graph and session of its own).

The port is built (seeded with `seed`) and its initial weights are copied into the
reference. Both get the sizes of the run (nz, ngf, ndf); every other hyper-parameter
(learning rates, clamp, RMSprop's epsilon) is each side's own default, so a changed default
of the port shows. Each side runs its `steps` generator steps, one side after the other: the
port's compiled `train_step` (n_critic critic updates, each followed by the clamp, then one
generator update) and steps of the script's loop (`original.train`). Both get the same real batches: consecutive
images of `data_faces` (uint8, N x 96 x 96 x 3, or a folder of images; a synthetic set
without it), scaled to [0, 1] as the script's `rescale=1/255`, then `* 2 - 1` on both
sides. The noise is the port's own: before the run a copy of the port's random generator
draws the n_critic + 1 noise batches of every step that the port is about to draw, and the
reference is fed those (as float64, as the script's noise was); after its steps the port's
generator must be where its copy is.

The widths default to the small ones of the port's tests (ngf 64, ndf 8; the original's are
ngf 1024, ndf 64) and the batch to 8 (64): a full-size step takes seconds on a CPU.

Both sides compute in float64 by default (Keras 3's dtype policy and tf_keras's floatx
while the models are built; the port with `output_dtype=None`, so that its last critic
layers and G's tanh follow, where it pins them to float32 for mixed precision). WGAN
training with clipping and RMSprop amplifies any difference, and float32 rounding is enough
to make the two runs drift apart from the first critic updates (`TOLERANCES` says by how
much). In float64 they agree to about 1e-9 for as long as the chaos allows: measured over 20
steps, with 2 critic updates per step seeds 0 and 1 stay within 1e-9; with the original's 5,
seed 0 does, seed 1 reaches 8e-6 in the weights at the last step and seed 2 drifts from step
10 (2e-3 at step 20). `dtype="float32"` runs the port's own precision.

Handled differences, in `notes`:
- The real batches are not rotated: the random rotation belongs to the data pipelines
  (ImageDataGenerator's, and the port's `gantools.faces.images`, tested on its own).
- BatchNorm's moving averages are not compared: the port updates them (Keras 3 does in
  training mode), the script's K.functions never did; nothing reads them.
"""
import contextlib

import numpy as np

from sidebyside import (SideBySide, StepTimer, load_faces, require, same_state,
                        twin_generator, weight_deltas)

LOSS_NAMES = ["loss_d", "loss_g", "loss_d_real", "loss_d_fake"]
OVERRIDES = ("lrD", "lrG", "clamp", "rmsprop_epsilon")
TOLERANCES = {  # dtype -> (loss, weight, why)
    "float64": (1e-8, 1e-6,
                "float64 rounding (the losses are 1e-4 to 1e-3, the weights within the clamp "
                "0.01): after 20 steps at n_critic 2 (seeds 0, 1) 4e-11 in the losses and "
                "4e-10 in the weights, at n_critic 5 (seed 0) 1e-9 and 4e-9. Clipped "
                "RMSprop training is chaotic (RMSprop scales a near-zero gradient to a step "
                "of up to 3 lr; a pre-activation at a (Leaky)ReLU kink switches slope), so "
                "a rounding-level difference can become visible after some 50-100 critic "
                "updates and then grows (seed 2 at n_critic 5: from step 10, 2e-3 in the "
                "weights at step 20)"),
    "float32": (3e-4, 2e-2,
                "float32 rounding, amplified: RMSprop's first steps are about 3 lr = 1.6e-4 "
                "whatever the gradient's size, so a near-zero gradient whose sign rounding "
                "flips moves its weight differently by up to 3e-4 from the first update, "
                "and the clipped training amplifies such differences: after 20 steps "
                "(n_critic 5, seed 0) 7e-5 in the losses and 6e-3 in the weights, as much "
                "as a doubled learning rate gives in float64. These tolerances only bound "
                "a diverged pair; the float64 run is the equivalence check"),
}


def real_batches(faces, batch_size):
    """Consecutive batches of `faces` in [0, 1] (float32), cycling through the set."""
    position = 0
    while True:
        indices = np.arange(position, position + batch_size) % len(faces)
        position += batch_size
        yield faces[indices].astype(np.float32) * np.float32(1 / 255)


@contextlib.contextmanager
def floatx(dtype):
    """Keras 3's and tf_keras's default float type set to `dtype` while models are built:
    Keras 3's floatx and its global dtype policy (which Keras 3 creates from floatx once and
    then keeps), tf_keras's floatx."""
    import keras
    import tf_keras
    before = keras.config.floatx(), keras.config.dtype_policy(), tf_keras.backend.floatx()
    keras.config.set_floatx(dtype)
    keras.config.set_dtype_policy(dtype)
    tf_keras.backend.set_floatx(dtype)
    try:
        yield
    finally:
        keras.config.set_floatx(before[0])
        keras.config.set_dtype_policy(before[1])
        tf_keras.backend.set_floatx(before[2])


def run(steps=20, seed=0, data_mnist=None, data_faces=None, port_overrides=None,
        ngf=64, ndf=8, batch_size=8, n_critic=5, nz=100, dtype="float64",
        original_first=False):
    """`steps` generator steps of each, `n_critic` critic updates per step (the original's
    5; fewer for a quick run, the same on both sides), both sides in `dtype`;
    `original_first`: which side runs all its steps (timed) first."""
    if dtype not in TOLERANCES:
        raise ValueError(f"S3 dtype: {dtype!r}; known: {sorted(TOLERANCES)}")
    require("tf_keras")
    import keras
    import tensorflow as tf
    from keras_models import wgan as port
    from originals import anime_wgan_keras2 as original

    overrides = dict(port_overrides or {})
    unknown = set(overrides) - set(OVERRIDES)
    if unknown:
        raise ValueError(f"S3 port_overrides: unknown {sorted(unknown)}; known: {OVERRIDES}")
    faces = load_faces(data_faces, seed, steps * n_critic * batch_size)
    # the sizes of this run for both; every other hyper-parameter is each side's own default
    sizes = dict(nz=nz, ngf=ngf, ndf=ndf)
    keras.utils.set_random_seed(seed)
    with floatx(dtype):
        gan = port.WGAN(seed=seed, batch_size=batch_size, n_critic=n_critic,
                        output_dtype=None, **sizes, **overrides)
        reference = original.WGANKeras2(**sizes)
    initial = gan.netD.get_weights(), gan.netG.get_weights()  # eagerly, outside its graph
    with reference.context():
        reference.netD.set_weights(initial[0])
        reference.netG.set_weights(initial[1])

    batches = real_batches(faces, batch_size)
    reals = [[next(batches) for _ in range(n_critic)] for _ in range(steps)]
    twin = twin_generator(gan.rng)  # a copy of the port's generator: the noise it will draw
    noises = [[twin.normal((batch_size, nz)).numpy() for _ in range(n_critic + 1)]
              for _ in range(steps)]
    port_timer, original_timer = StepTimer(), StepTimer()
    port_losses, original_losses = [], []

    def port_side():
        for step in range(steps):
            with port_timer:
                losses = gan.train_step([tf.constant(real * 2 - 1)
                                         for real in reals[step]]).numpy()
            port_losses.append(losses)
        assert same_state(twin, gan.rng), "the port drew other noise than its copy predicted"

    def original_side():
        for step in range(steps):
            fed = iter(noises[step])
            with original_timer:
                rows = original.train(reference, iter(reals[step]), steps=step + 1,
                                      start=step, n_critic=n_critic, batchSize=batch_size,
                                      verbose=False,
                                      normal=lambda size: next(fed).astype(np.float64))
            original_losses.append(rows[0])

    for side in ((original_side, port_side) if original_first else (port_side, original_side)):
        side()

    # the trainable weights in order, named by the port's variables
    names = [f"{model}/{weight.path}" for model in ("netD", "netG")
             for weight in getattr(gan, model).trainable_weights]
    port_weights = [np.asarray(weight) for model in (gan.netD, gan.netG)
                    for weight in model.trainable_weights]
    with reference.context():
        original_weights = reference.session.run(reference.netD.trainable_weights
                                                 + reference.netG.trainable_weights)
    return SideBySide(
        program="S3", steps=steps, loss_names=list(LOSS_NAMES),
        port_losses=np.array(port_losses, np.float64),
        original_losses=np.array(original_losses, np.float64),
        weight_deltas=weight_deltas(dict(zip(names, port_weights)),
                                    dict(zip(names, original_weights))),
        port_step_ms=port_timer.ms, original_step_ms=original_timer.ms,
        loss_tolerance=TOLERANCES[dtype][0], weight_tolerance=TOLERANCES[dtype][1],
        tolerance_reason=TOLERANCES[dtype][2],
        notes=["real batches unrotated (the rotation is the data pipeline's)",
               "BatchNorm moving averages not compared (the port updates them, the "
               "script's K.functions never did; nothing reads them)",
               f"ngf {ngf}, ndf {ndf}, batch {batch_size}, {n_critic} critic updates per "
               f"step (the original: ngf 1024, ndf 64, batch 64, 5)",
               f"both sides in {dtype} (the port's last critic layers and G's tanh too: "
               f"output_dtype=None)"])
