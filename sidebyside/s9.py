"""S9 side by side: `keras_models.sine_gan` (Keras 3) beside the post's code in Keras 2
(`originals.sine_gan_keras2`, tf_keras).

Both sides are built (the port seeded with `seed`), the port's initial weights are copied
into the reference, each side runs its own `pretrain` (one epoch of `D.fit` on n real and n
generated curves, batches of 32), then every step runs one epoch of each side's own
`train` (a D step on n real and n generated curves, then a chained step on n noise vectors),
each side drawing its curves and noise from its own `np.random.default_rng(seed)`: the same
draws in the same order. Each side's G makes its own fakes from that noise.

Handled differences, in `notes`:
- Dropout: tf_keras draws its masks from its own random generator. The reference's Dropout
  is given the port's mask stream instead (`PortDropoutMasks`: Keras 3's stateless dropout
  with the seeds of the port layer's SeedGenerator), so both drop the same units.
- `pretrain`'s `D.fit` would shuffle the 2n curves with each framework's own random
  generator; both sides' `D.fit` get the harness's permutation instead (`InOrder`: the
  curves permuted, then `shuffle=False`), and train quietly (`verbose=0`).
"""
import numpy as np

from sidebyside import SideBySide, StepTimer, require, weight_deltas

LOSS_NAMES = ["d_loss", "g_loss"]
OVERRIDES = ("lr_generator", "lr_discriminator", "adam_epsilon", "loss")
LOSS_TOLERANCE = 1e-4
WEIGHT_TOLERANCE = 1e-5
TOLERANCE_REASON = (
    "float32 rounding: G.predict runs batches of 32 in Keras 2 and one batch in the port, and "
    "Keras 3 and tf_keras sum the losses and apply Adam in their own order. Measured after 20 "
    "epochs (seed 0): 2.5e-5 in the losses (which reach 4; G's loss, computed through "
    "log(p / (1 - p)) of probabilities near 1, loses the most) and 4e-7 in the weights, with "
    "256 or 10,000 curves. Keras 3's Adam epsilon in the port gives 1e-2 in the weights")


class PortDropoutMasks:
    """A tf_keras Dropout layer's `_random_generator` that draws the masks of a Keras 3
    Dropout layer: `tf.nn.experimental.stateless_dropout` with the seed [s, k] of the Keras
    3 layer's SeedGenerator (state [s, k], k + 1 after every call), as keras.random.dropout
    does on the TensorFlow backend."""

    def __init__(self, keras3_dropout):
        import tensorflow as tf
        self.state = tf.Variable(keras3_dropout.seed_generator.state.numpy(), trainable=False)

    def dropout(self, inputs, rate, noise_shape=None):
        import tensorflow as tf
        seed = self.state.read_value()
        self.state.assign_add(tf.constant([0, 1], self.state.dtype))
        if seed.dtype != tf.int32:  # keras.src.backend.tensorflow.random._cast_seed
            seed = tf.cast(tf.math.floormod(seed, tf.int32.max - 1), tf.int32)
        return tf.nn.experimental.stateless_dropout(inputs, rate=rate, noise_shape=noise_shape,
                                                    seed=seed)


class InOrder:
    """Stands in for a model's `fit`: the same call on X and y permuted by `order`, unshuffled
    and quiet, so that both frameworks' D.fit see the batches in the harness's order."""

    def __init__(self, model, order):
        self.fit, self.order = model.fit, order

    def __call__(self, X, y, **kwargs):
        assert len(X) == len(self.order)
        return self.fit(X[self.order], y[self.order], **dict(kwargs, shuffle=False, verbose=0))


def build_port(port, noise_dim, overrides):
    """port.build_models(noise_dim), with a hyper-parameter in `overrides` changed:
    lr_generator / lr_discriminator (get_generative's / get_discriminative's lr),
    adam_epsilon (D's Adam), loss (of the three models, e.g. 'binary_crossentropy': Keras
    3's)."""
    from keras import Input
    unknown = set(overrides) - set(OVERRIDES)
    if unknown:
        raise ValueError(f"S9 port_overrides: unknown {sorted(unknown)}; known: {OVERRIDES}")
    G, _ = port.get_generative(Input(shape=(noise_dim,)),
                               lr=overrides.get("lr_generator", 1e-3))
    D, _ = port.get_discriminative(Input(shape=(50,)),
                                   lr=overrides.get("lr_discriminator", 1e-3))
    if "adam_epsilon" in overrides:
        D.optimizer.epsilon = overrides["adam_epsilon"]
    if "loss" in overrides:
        D.compile(loss=overrides["loss"], optimizer=D.optimizer)
        G.compile(loss=overrides["loss"], optimizer=G.optimizer)
    GAN, _ = port.make_gan(Input(shape=(noise_dim,)), G, D)
    if "loss" in overrides:
        GAN.compile(loss=overrides["loss"], optimizer=G.optimizer)
    return GAN, G, D


def named_weights(G, D, names=None):
    """{name: array} of G's and D's weights in order; named by their (the port's) variable
    paths, or by `names`."""
    weights = [(f"{prefix}/{getattr(weight, 'path', weight.name)}", np.asarray(weight))
               for prefix, model in (("G", G), ("D", D)) for weight in model.weights]
    return dict(zip(names or [name for name, _ in weights], [value for _, value in weights]))


def run(steps=20, seed=0, data_mnist=None, data_faces=None, port_overrides=None,
        n_samples=10000, noise_dim=10, pretrain=True, original_first=False):
    """Each side's `pretrain` (unless `pretrain=False`), then `steps` epochs of each side's
    `train`, `n_samples` real curves per D step (the post's 10,000 by default; fewer for a
    quick run, the same on both sides); `original_first`: which side trains (and is timed)
    first."""
    require("tf_keras")
    import keras
    from gantools.run import runner
    from gantools.run.rundir import seed_everything
    from keras_models import sine_gan as port
    from originals import sine_gan_keras2 as original

    seed_everything(seed)
    GAN, G, D = build_port(port, noise_dim, dict(port_overrides or {}))
    GAN_ref, G_ref, D_ref = original.build_models(noise_dim)
    G_ref.set_weights(G.get_weights())
    D_ref.set_weights(D.get_weights())
    [dropout] = [layer for layer in D.layers if isinstance(layer, keras.layers.Dropout)]
    [dropout_ref] = [layer for layer in D_ref.layers if type(layer).__name__ == "Dropout"]
    dropout_ref._random_generator = PortDropoutMasks(dropout)

    port_rng, original_rng = np.random.default_rng(seed), np.random.default_rng(seed)
    original_timer, original_losses = StepTimer(), []
    pretrained = None
    if pretrain:
        order = np.random.default_rng([seed, 3]).permutation(2 * n_samples)
        fits = D.fit, D_ref.fit
        D.fit, D_ref.fit = InOrder(D, order), InOrder(D_ref, order)
        try:
            port_loss = port.pretrain(G, D, noise_dim, n_samples, rng=port_rng, verbose=0)
            history = original.pretrain(G_ref, D_ref, noise_dim, n_samples, rng=original_rng)
        finally:
            D.fit, D_ref.fit = fits
        pretrained = (port_loss, history.history["loss"][-1])
    def original_side():  # the post's train, an epoch a call (its `rng` carries on: the
        for step in range(steps):  # same draws as one call of `steps` epochs)
            with original_timer:
                d_loss, g_loss = original.train(GAN_ref, G_ref, D_ref, epochs=1,
                                                n_samples=n_samples, noise_dim=noise_dim,
                                                rng=original_rng)
            original_losses.append([d_loss[0], g_loss[0]])
    if original_first:
        original_side()
    # the port's own loop, `train`, on a detached run (no files)
    run = runner.detached(seed=seed)
    port.train(GAN, G, D, epochs=steps, n_samples=n_samples, noise_dim=noise_dim,
               rng=port_rng, run=run)
    port_losses = [[row["d_loss"], row["g_loss"]] for row in run.history]
    port_timer = StepTimer.of(run.unit_seconds)
    if not original_first:
        original_side()

    port_weights = named_weights(G, D)
    notes = ([f"pretrain (D.fit, one epoch, batches of 32, the harness's order): loss "
              f"{pretrained[0]:.6g} (port), {pretrained[1]:.6g} (original)"]
             if pretrain else ["pretrain not run (pretrain=False)"])
    return SideBySide(
        program="S9", steps=steps, loss_names=list(LOSS_NAMES),
        port_losses=np.array(port_losses, np.float64),
        original_losses=np.array(original_losses, np.float64),
        weight_deltas=weight_deltas(port_weights, named_weights(G_ref, D_ref, list(port_weights))),
        port_step_ms=port_timer.ms, original_step_ms=original_timer.ms,
        loss_tolerance=LOSS_TOLERANCE, weight_tolerance=WEIGHT_TOLERANCE,
        tolerance_reason=TOLERANCE_REASON, pretrain_losses=pretrained,
        notes=notes + [
            "the reference's Dropout draws the port's masks (PortDropoutMasks); tf_keras "
            "would draw its own",
            f"{n_samples} real and {n_samples} generated curves per D step, "
            f"{n_samples} noise vectors per chained step"])
