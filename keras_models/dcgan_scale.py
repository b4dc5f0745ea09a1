"""S2's DCGAN (keras_models/dcgan.py) with the device options the project adds, none of
them main.py's: `--strategy` (the global batch split over replicas, BatchNorm synchronised,
each replica's losses weighted by its share of the batch so that the summed gradients are
the global batch's), `--mixed-precision` (float16 layers, loss-scaled Adam) and
`--jit-compile` (XLA compiles a batch's updates). gantools.faces.scale has the strategies;
this module overrides only what differs from the faithful program."""
import tensorflow as tf
import keras

from gantools.faces.scale import Replicas, ScaledStep, wrap_optimizer
from keras_models import dcgan


class ScaledDCGAN(ScaledStep, dcgan.DCGAN):  # ScaledStep: the loss-scaled `step`
    def __init__(self, seed=0, lr=dcgan.lr, beta1=dcgan.beta1, input_dim=dcgan.input_dim,
                 replicas=None):
        self.replicas = replicas = replicas or Replicas()
        super().__init__(seed, lr, beta1, input_dim)  # the noise stream: one, not mirrored
        # XLA (--jit-compile) compiles the updates only: the noise never depends on it
        self._updates = tf.function(self.updates, jit_compile=True) if replicas.jit_compile \
            else self.updates
        if replicas.distributed:  # per-replica values have no one signature
            self._step = tf.function(self._train_step, reduce_retracing=True)
            self.train_step = lambda real_data: self._step(replicas.split(real_data))

    def models(self, input_dim):
        with self.replicas.strategy.scope():
            synchronized = self.replicas.distributed
            return (dcgan.Generate(input_dim, synchronized=synchronized),
                    dcgan.Discriminator(synchronized=synchronized))

    def adam(self, lr, beta1, model):
        with self.replicas.strategy.scope():
            optimizer = wrap_optimizer(keras.optimizers.Adam(lr, beta1, 0.999, epsilon=1e-8),
                                       self.replicas.mixed_precision)
            optimizer.build(model.trainable_variables)
        return optimizer

    def criterion(self, output, label):
        """This replica's rows' mean BCE, weighted by their share of the global batch."""
        return self.replicas.weighted(super().criterion(output, label), output)

    def updates(self, real_data, noise):
        """A replica's batch: its rows of the global noise."""
        return super().updates(real_data, self.replicas.shard(noise, tf.shape(real_data)[0]))

    def _train_step(self, real_data):
        """One global batch (per-replica values under a strategy): the global noise, every
        replica's updates, the summed (global) losses."""
        replicas = self.replicas
        size = replicas.sum(replicas.run(lambda x: tf.shape(x)[0], (real_data,)))
        noise = self.rng.normal((size, self.input_dim))
        losses = replicas.sum(replicas.run(self._updates, (real_data, noise)))
        self.loss_sums.assign_add(tf.cast(losses, tf.float64))
        return losses
