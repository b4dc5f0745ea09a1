"""Run by tests/test_scale.py in a fresh process (the CPU must be split into two logical
devices before TensorFlow initialises them): one training step of S2 (DCGAN) and of S3
(WGAN, clipping included) under MirroredStrategy on the two devices and under the default
strategy, same global batch of 8, same seed and initial weights; prints the largest weight
difference of each as JSON."""
import json
import sys

import numpy as np
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402

from gantools.scale import Replicas  # noqa: E402
from keras_models import dcgan as s2, wgan as s3  # noqa: E402

BATCH = 8


def max_difference(a, b):
    return max(float(np.max(np.abs(np.asarray(x) - np.asarray(y)))) for x, y in zip(a, b))


def weights(models):
    return [v.numpy() for m in models for v in m.weights]


def copy_weights(source, target):
    for s, t in zip(source, target):
        t.set_weights(s.get_weights())


def dcgan(replicas):
    keras.utils.set_random_seed(0)
    return s2.DCGAN(seed=0, replicas=replicas)


def wgan(replicas):
    keras.utils.set_random_seed(0)
    return s3.WGAN(seed=0, ngf=64, ndf=8, batch_size=BATCH, n_critic=2, replicas=replicas)


def compare(make, models, batches, mirrored):
    one, two = make(Replicas()), make(mirrored)
    copy_weights(models(one), models(two))
    assert max_difference(weights(models(one)), weights(models(two))) == 0
    losses_one = one.train_step(batches).numpy()
    losses_two = two.train_step(
        [mirrored.split(b) for b in batches] if isinstance(batches, list)
        else mirrored.split(batches)).numpy()
    g_one, g_two = (np.concatenate([v.numpy().ravel() for v in models(g)[0].weights])
                    for g in (one, two))
    return {"weights": max_difference(weights(models(one)), weights(models(two))),
            "generator_beyond_1e-4": float(np.mean(np.abs(g_one - g_two) > 1e-4)),
            "discriminator": max_difference(models(one)[1].weights, models(two)[1].weights),
            "losses": float(np.max(np.abs(losses_one - losses_two))),
            "changed": max_difference(weights(models(one)), weights(models(make(Replicas()))))}


def main():
    real = tf.random.stateless_uniform((BATCH, 96, 96, 3), (1, 2), -1, 1)
    reals = [tf.random.stateless_uniform((BATCH, 96, 96, 3), (3, i), -1, 1) for i in range(2)]
    # one strategy for the process: a second one on the same devices would reuse its
    # collective instance keys
    mirrored = Replicas(tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))
    result = {"dcgan": compare(dcgan, lambda g: [g.generate, g.discriminator], real, mirrored),
              "wgan": compare(wgan, lambda g: [g.netG, g.netD], reals, mirrored),
              "replicas": mirrored.count}
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
