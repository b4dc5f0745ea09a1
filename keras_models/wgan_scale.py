"""S3's WGAN (keras_models/wgan.py) with the device options the project adds, none of the
script's: `--strategy` (each global batch and the noise split over replicas, BatchNorm
synchronised, each replica's means weighted by its share of the rows so that the summed
gradients are the global batch's; the critic clipped on every copy), `--mixed-precision`
(float16 layers, loss-scaled RMSprop) and `--jit-compile` (XLA compiles each update).
gantools.faces.scale has the strategies; this module overrides only what differs from the
faithful program."""
import tensorflow as tf

from gantools.faces.scale import Replicas, ScaledStep, wrap_optimizer
from gantools.keras2_compat import Keras2RMSprop
from keras_models import wgan


class ScaledWGAN(ScaledStep, wgan.WGAN):  # ScaledStep: the loss-scaled `step`
    def __init__(self, *args, replicas=None, **kwargs):
        self.replicas = replicas = replicas or Replicas()
        super().__init__(*args, **kwargs)  # the noise stream: one, not mirrored
        # A replica's updates, XLA-compiled with --jit-compile; the noise is drawn and the
        # critic clipped outside them.
        compiled = (lambda f: tf.function(f, jit_compile=True)) if replicas.jit_compile \
            else (lambda f: f)
        self._netD_replica = compiled(self.netD_replica)
        self._netG_replica = compiled(self.netG_replica)
        if replicas.distributed:  # per-replica values have no one signature
            step = tf.function(self._train_step, reduce_retracing=True)
            self.train_step = lambda real_batches: step(
                [replicas.split(batch) for batch in real_batches])

    def models(self, nz, ngf, ndf, output_dtype):
        synchronized = self.replicas.distributed
        with self.replicas.strategy.scope():
            return (wgan.DCGAN_D(wgan.imageSize, wgan.nc, ndf, synchronized, output_dtype),
                    wgan.DCGAN_G(wgan.imageSize, nz, ngf, synchronized, output_dtype))

    def rmsprop(self, lr, epsilon, model):
        with self.replicas.strategy.scope():
            optimizer = wrap_optimizer(Keras2RMSprop(lr, epsilon=epsilon),
                                       self.replicas.mixed_precision)
            optimizer.build(model.trainable_variables)
        return optimizer

    def mean(self, output):
        """This replica's rows' mean, weighted by their share of the global rows."""
        return self.replicas.weighted(super().mean(output), output)

    # A replica's updates: its rows of the global noise.
    def netD_replica(self, real_data, noise):
        return super().netD_train(real_data, self.replicas.even_shard(noise))

    def netG_replica(self, noise):
        return super().netG_train(self.replicas.even_shard(noise))

    # The replicas' weighted losses summed: the global batch's.
    def netD_train(self, real_data, noise=None):
        if noise is None:
            noise = self.rng.normal((self.batch_size, self.nz))
        return self.replicas.sum(self.replicas.run(self._netD_replica, (real_data, noise)))

    def netG_train(self, noise=None):
        if noise is None:
            noise = self.rng.normal((self.batch_size, self.nz))
        return self.replicas.sum(self.replicas.run(self._netG_replica, (noise,)))
