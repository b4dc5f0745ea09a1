"""`--instance-noise STD` of S1 (and `--variant stable`, which sets it to 2): not the book's.

It imports the book's program (tf1_compat/gaussian_gan.py) and overrides only what differs:
`NoisyGAN(GAN)` adds N(0, s) noise to both of D's inputs (`_d_inputs`), s annealed linearly
from STD to 0 at `--instance-noise-anneal` of the steps (`_noise_std`, fed by `_noise_feed`),
and replays the noise ops on a resume (`_restore`); `main` is the book's with it.
"""
import numpy as np
import tensorflow.compat.v1 as tf

from tf1_compat import gaussian_gan
from tf1_compat.gaussian_gan import GAN


class NoisyGAN(GAN):
    """--instance-noise STD (not the book's): N(0, s) noise on both of D's inputs, s annealed
    linearly from STD to 0 at `instance_noise_anneal` of the steps."""

    def __init__(self, *args, instance_noise=2.0, instance_noise_anneal=0.8, **kwargs):
        self.instance_noise = instance_noise
        self.instance_noise_anneal = instance_noise_anneal
        super().__init__(*args, **kwargs)

    def _d_inputs(self, x, G):
        self.noise_std = tf.placeholder_with_default(0.0, shape=())
        self.noise = [tf.random_normal(tf.shape(x))]
        real = x + self.noise_std * self.noise[0]
        self.noise.append(tf.random_normal(tf.shape(G)))  # after real's ops: the op seeds
        return real, G + self.noise_std * self.noise[1]

    def _noise_std(self, step):
        end = self.instance_noise_anneal * self.num_steps
        return self.instance_noise * max(0.0, 1.0 - step / end)

    def _noise_feed(self, step):
        return {self.noise_std: self._noise_std(step)}

    def _restore(self, session, saver, folder, state):
        """Also advance the noise ops as the steps done did: a new session restarts their
        random streams, which no checkpoint holds (once per D update; fake: per G too)."""
        super()._restore(session, saver, folder, state)
        z = {self.z: np.zeros((self.batch_size, 1))}  # the noise's shape is G's batch
        for _ in range(self.k * state['units_done']):
            session.run(self.noise, z)
        for _ in range(state['units_done']):
            session.run(self.noise[1], z)


def make_gan(args, seed):
    """The book's main() with NoisyGAN and the flags' noise."""
    return gaussian_gan.make_gan(args, seed, NoisyGAN, instance_noise=args.instance_noise,
                                 instance_noise_anneal=args.instance_noise_anneal)


def main(run):
    """The book's main() (gaussian_gan.main) with NoisyGAN."""
    return gaussian_gan.main(run, make_gan=make_gan)
