"""Run by tests/test_scale.py in a fresh process (the CPU must be split into two logical
devices before TensorFlow initialises them): one training step of S2 (DCGAN) and of S3
(WGAN, clipping included) under MirroredStrategy on the two devices and under the default
strategy, same global batch of 8, same seed and initial weights; prints JSON.

DCGAN's step is compared with its Adam optimisers replaced by plain SGD. Adam's first step
moves a weight by lr times the *sign* of its gradient, so a gradient within float32 rounding
of zero (the summation order differs between one and two replicas) can flip a weight by 2 lr,
and how many do depends on the CPU, its threads and its load. An SGD step is proportional to
the gradient, so the two strategies' changes must agree up to float32 rounding relative to
the size of the change (test_scale.py states the bound and why); a wrong replica weighting,
a missing all-reduce or an unsynchronised BatchNorm makes them differ by a large fraction of
it (`relative_change_difference`).
`--mutation` breaks the mirrored step on purpose, to show that the check notices.
"""
import argparse
import json
import sys

import numpy as np
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402

from gantools.faces.scale import Replicas  # noqa: E402
from keras_models import dcgan as s2  # noqa: E402
from keras_models.dcgan_scale import ScaledDCGAN  # noqa: E402
from keras_models.wgan_scale import ScaledWGAN  # noqa: E402

BATCH = 8
SGD_LR = 1e-3


def max_difference(a, b):
    return max(float(np.max(np.abs(np.asarray(x) - np.asarray(y)))) for x, y in zip(a, b))


def weights(models):
    return [v.numpy() for m in models for v in m.weights]


def copy_weights(source, target):
    for s, t in zip(source, target):
        t.set_weights(s.get_weights())


def dcgan_sgd(replicas):
    """S2's models and step with plain SGD in place of Adam (see the module docstring)."""
    keras.utils.set_random_seed(0)
    gan = ScaledDCGAN(seed=0, replicas=replicas)
    with replicas.strategy.scope():
        gan.optimizer_G = keras.optimizers.SGD(SGD_LR)
        gan.optimizer_D = keras.optimizers.SGD(SGD_LR)
        gan.optimizer_G.build(gan.generate.trainable_variables)
        gan.optimizer_D.build(gan.discriminator.trainable_variables)
    return gan


def wgan(replicas):
    keras.utils.set_random_seed(0)
    return ScaledWGAN(seed=0, ngf=64, ndf=8, batch_size=BATCH, n_critic=2, replicas=replicas)


def relative_change_difference(before, one, two):
    """The largest ||change_one - change_two|| / ||change_one|| over the variables (each
    weight and BatchNorm statistic compared with the size of its own variable's change)."""
    worst = 0.0
    for b, x, y in zip(before, one, two):
        change = np.linalg.norm(x - b)
        if change > 0:
            worst = max(worst, float(np.linalg.norm(x - y) / change))
        elif np.any(y != b):
            return float("inf")
    return worst


def compare(make, models, batches, mirrored):
    one, two = make(Replicas()), make(mirrored)
    copy_weights(models(one), models(two))
    before = weights(models(one))
    assert max_difference(before, weights(models(two))) == 0
    losses_one = one.train_step(batches).numpy()
    losses_two = two.train_step(batches).numpy()  # the step splits the global batches
    after_one, after_two = weights(models(one)), weights(models(two))
    return {"weights": max_difference(after_one, after_two),
            "relative_change_difference": relative_change_difference(before, after_one,
                                                                     after_two),
            "losses": float(np.max(np.abs(losses_one - losses_two))),
            "changed": max_difference(before, after_one)}


def mutate(mutation):
    """Break the mirrored DCGAN step: BatchNorm on each replica's rows only, or each
    replica's gradient counted twice."""
    if mutation == "unsynchronised-batchnorm":
        generate, discriminator = s2.Generate, s2.Discriminator
        s2.Generate = lambda input_dim, synchronized: generate(input_dim, synchronized=False)
        s2.Discriminator = lambda synchronized: discriminator(synchronized=False)
    elif mutation == "double-weight":
        weight = Replicas.weight
        Replicas.weight = staticmethod(lambda local_size: 2 * weight(local_size))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mutation", choices=["unsynchronised-batchnorm", "double-weight"])
    mutation = parser.parse_args().mutation
    if mutation:
        mutate(mutation)
    real = tf.random.stateless_uniform((BATCH, 96, 96, 3), (1, 2), -1, 1)
    reals = [tf.random.stateless_uniform((BATCH, 96, 96, 3), (3, i), -1, 1) for i in range(2)]
    # one strategy for the process: a second one on the same devices would reuse its
    # collective instance keys
    mirrored = Replicas(tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))
    result = {"dcgan": compare(dcgan_sgd, lambda g: [g.generate, g.discriminator], real,
                               mirrored),
              "wgan": compare(wgan, lambda g: [g.netG, g.netD], reals, mirrored),
              "replicas": mirrored.count}
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
