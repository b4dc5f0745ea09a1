"""`--variant stable` of S4 (issue 14; not the post's program; the default is unchanged).

It imports the post's program (keras_models/gaussian_gan.py) and overrides only what
differs: `StableGAN(GAN)` overrides `rate` (both rates decayed, cosine, from half-way to 0)
and `d_error` (gradient penalties on D's logit at the real and the generated sets, R1 and R2,
weight 10 each), and D sees each set sorted; `train` is the post's with it. STABLE was
chosen by measurement (docs/s4-gaussian-gan-keras.md).
"""
import keras
import tensorflow as tf

from gantools.schedules import LateDecay
from keras_models import gaussian_gan, gaussian_gan_extras
from keras_models.gaussian_gan import GAN, num_epochs

# What the variant changes, all in one place.
# The measurements that chose it are on the docs page (docs/s4-gaussian-gan-keras.md).
STABLE = dict(sort=True,         # D sees each set sorted: its order statistics
              r1=10.0,           # gradient penalty on D's logit at the real sets (R1), weight 10
              r2=10.0,           # and at the generated sets (R2), weight 10
              decay=(0.5, 0.0),  # both rates: cosine decay from half-way to 0 at the end
              bce='logits')      # Keras's BCE from D's logit (measured so; the post: 'era')


class StableGAN(GAN):
    """--variant stable (issue 14; not the post's program): D sees each set sorted; R1 and
    R2 gradient penalties on D's logit; both rates decayed late (STABLE)."""

    def __init__(self, *args, total_epochs=num_epochs, sort=True, r1=10.0, r2=10.0,
                 decay=(0.5, 0.0), **kwargs):
        self.total_epochs, self.decay, self.r1, self.r2 = total_epochs, decay, r1, r2
        super().__init__(*args, **kwargs)
        if sort:  # D sees the set in order, so it can compare quantiles
            unsorted = self.preprocess
            self.preprocess = lambda data: unsorted(tf.sort(data, axis=1))
        # D's logit (the input of its last sigmoid), for the gradient penalties
        features = keras.Model(self.D.input, self.D.get_layer('fc2').output)
        fc3 = self.D.get_layer('fc3')
        self.d_logit = lambda x: tf.matmul(features(x), fc3.kernel) + fc3.bias

    def rate(self, lr, steps_per_epoch):
        return LateDecay(lr, self.decay, self.total_epochs * steps_per_epoch)

    def penalty(self, data, weight):
        """weight/2 times the squared gradient of D's logit with respect to the set `data`
        (R1 at the real sets, R2 at the generated ones: Mescheder et al. 2018)."""
        with tf.GradientTape() as tape:
            tape.watch(data)
            logit = self.d_logit(self.preprocess(data))
        grad = tape.gradient(logit, data)
        return 0.5 * weight * tf.reduce_sum(tf.square(grad))

    def r1_penalty(self, real_data):
        return self.penalty(real_data, self.r1)

    def d_error(self, d_real_error, d_fake_error, d_real_data, d_fake_data):
        return (d_real_error + d_fake_error + self.r1_penalty(d_real_data)
                + self.penalty(tf.transpose(d_fake_data), self.r2))


def make_gan(args, seed):
    """The post's models and optimisers with the flags' settings and STABLE's."""
    return StableGAN(seed, args.preprocess, args.lr, args.d_steps, args.g_steps,
                     **{'bce': args.bce, **STABLE, 'total_epochs': args.epochs})


def hyper_parameters(args):
    """config.json's settings besides the flags: the post's and STABLE."""
    return dict(gaussian_gan_extras.hyper_parameters(args), stable=STABLE)


def train(run):
    """The post's main() (gaussian_gan.train) with StableGAN."""
    return gaussian_gan.train(run, make_gan=make_gan, settings=hyper_parameters)
