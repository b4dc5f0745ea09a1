"""FangYang970206/Anime_GAN's WGAN (S3) as seed 001 shows it, in Keras 2 through `tf_keras`.

`WGAN_keras/wgan_keras.py` (seed 001, section 5; SPEC S3), in its order and with its names:
`DCGAN_D`, `DCGAN_G`, the constants, then the script's graph (in `WGANKeras2`): `netD`,
`netG`, `netD_clamp`, `netD_train`, `netG_train` built with `K.function` and the optimiser's
`get_updates`, as the script built them; then its loop (`train`) and its saving (`main`).

`K.function` with update ops needs TF1 graph mode. `tf.compat.v1.disable_eager_execution()`
would switch the whole process (and break Keras 3 beside it), so `WGANKeras2` builds and runs
everything inside a `tf.Graph` and `tf.compat.v1.Session` of its own (tf_keras's backend then
uses that graph and session); its three functions enter them at each call.

What had to change for the code to run today, and the Keras 2.1 behaviour it emulates:
- `keras.*` imports become `tf_keras.*`; `LeakyReLU` from `tf_keras.layers`
  (`keras.layers.advanced_activations` no longer exists).
- `RMSprop(lr=...).get_updates(params, [], loss)` (Keras 2.1's signature with constraints)
  becomes `tf_keras.optimizers.legacy.RMSprop(learning_rate=..., epsilon=1e-8)
  .get_updates(loss, params)`. Without momentum the legacy class computes Keras 2.1.2's
  update, a = rho a + (1 - rho) g^2 from a = 0, p -= lr g / (sqrt(a) + epsilon), with
  epsilon outside the square root; Keras 2.1.2's epsilon was 1e-8, the legacy class's
  default is 1e-7 (Keras 2.1.3 onwards used K.epsilon() = 1e-7: `rmsprop_epsilon=1e-7`).
- `BatchNormalization(..., gamma_init=gamma_init)` (a Keras 1 keyword that Keras 2 still
  converted) becomes `gamma_initializer=`; `training=1` is kept, so BatchNorm always uses the
  batch statistics. Its moving averages are never updated, as in the script: their update
  ops are not among the K.functions' updates.
- `conv_init` and `gamma_init` are functions that make one initialiser per layer: tf_keras's
  unseeded initialiser returns the same values at every call (it warns so), Keras 2.1 drew
  new ones.
- `K.function([], [], clamp_updates)` gets a dummy output, `[K.constant(0)]`: tf_keras's
  K.function needs at least one (it runs the updates after the first output).
- The widths (nz, ngf, ndf), the learning rates, the clamp, RMSprop's epsilon and the
  number of critic updates per step are parameters (the script's values by default), and
  `train` takes the noise source (np.random.normal by default), so a side-by-side run can
  use small networks and feed the port's noise.
- `main`: `scipy.misc.imsave` (removed from SciPy) becomes PIL with imsave's min-max
  bytescale; the `saved/img` folder, which the script never created, is created;
  `print(dir(train_generate))` and the ineffective KERAS_BACKEND / TENSORFLOW_FLAGS lines
  are dropped.
"""
import contextlib
import os

import numpy as np
import tensorflow as tf
import tf_keras.backend as K
from tf_keras.initializers import RandomNormal
from tf_keras.layers import (Activation, BatchNormalization, Conv2D, Conv2DTranspose,
                             Cropping2D, Flatten, Input, LeakyReLU, Reshape, ZeroPadding2D)
from tf_keras.models import Model
from tf_keras.optimizers.legacy import RMSprop


def conv_init():
    return RandomNormal(0, 0.02)


def gamma_init():
    return RandomNormal(1., 0.02)


def DCGAN_D(isize, nc, ndf):
    inputs = Input(shape=(isize, isize, nc))
    x = ZeroPadding2D()(inputs)
    x = Conv2D(ndf, kernel_size=4, strides=2, use_bias=False, kernel_initializer=conv_init())(x)
    x = LeakyReLU(alpha=0.2)(x)
    for _ in range(4):
        x = ZeroPadding2D()(x)
        x = Conv2D(ndf * 2, kernel_size=4, strides=2, use_bias=False,
                   kernel_initializer=conv_init())(x)
        x = BatchNormalization(epsilon=1.01e-5, gamma_initializer=gamma_init())(x, training=1)
        x = LeakyReLU(alpha=0.2)(x)
        ndf *= 2
    x = Conv2D(1, kernel_size=3, strides=1, use_bias=False, kernel_initializer=conv_init())(x)
    outputs = Flatten()(x)
    return Model(inputs=inputs, outputs=outputs)


def DCGAN_G(isize, nz, ngf):
    inputs = Input(shape=(nz,))
    x = Reshape((1, 1, nz))(inputs)
    x = Conv2DTranspose(filters=ngf, kernel_size=3, strides=2, use_bias=False,
                        kernel_initializer=conv_init())(x)
    for _ in range(4):
        x = Conv2DTranspose(filters=int(ngf / 2), kernel_size=4, strides=2, use_bias=False,
                            kernel_initializer=conv_init())(x)
        x = Cropping2D(cropping=1)(x)
        x = BatchNormalization(epsilon=1.01e-5, gamma_initializer=gamma_init())(x, training=1)
        x = Activation("relu")(x)
        ngf = int(ngf / 2)
    x = Conv2DTranspose(filters=3, kernel_size=4, strides=2, use_bias=False,
                        kernel_initializer=conv_init())(x)
    x = Cropping2D(cropping=1)(x)
    outputs = Activation("tanh")(x)
    return Model(inputs=inputs, outputs=outputs)


nc = 3
nz = 100
ngf = 1024
ndf = 64
imageSize = 96
batchSize = 64
lrD = 0.00005
lrG = 0.00005
clamp_lower, clamp_upper = -0.01, 0.01
rmsprop_epsilon = 1e-8   # Keras 2.1.2's RMSprop default
n_critic = 5             # for _ in range(5)


class WGANKeras2:
    """The script's netD, netG and K.functions, in a graph and session of their own.

    `netD_train([real_data, noise])`, `netD_clamp([])` and `netG_train([noise])` are called
    as the script calls them; `with wgan.context():` for anything else on the models
    (get_weights, set_weights, predict, save).
    """

    def __init__(self, nz=nz, ngf=ngf, ndf=ndf, lrD=lrD, lrG=lrG,
                 clamp=(clamp_lower, clamp_upper), rmsprop_epsilon=rmsprop_epsilon):
        self.nz = nz
        clamp_lower, clamp_upper = clamp
        self.graph = tf.Graph()
        self.session = tf.compat.v1.Session(graph=self.graph)
        with self.context():
            netD = DCGAN_D(imageSize, nc, ndf)
            netG = DCGAN_G(imageSize, nz, ngf)

            clamp_updates = [K.update(v, K.clip(v, clamp_lower, clamp_upper))
                             for v in netD.trainable_weights]
            netD_clamp = K.function([], [K.constant(0)], clamp_updates)  # needs an output

            netD_real_input = Input(shape=(imageSize, imageSize, nc))
            noisev = Input(shape=(nz,))

            loss_real = K.mean(netD(netD_real_input))
            loss_fake = K.mean(netD(netG(noisev)))
            loss = loss_fake - loss_real
            training_updates = RMSprop(learning_rate=lrD, epsilon=rmsprop_epsilon).get_updates(
                loss, netD.trainable_weights)
            netD_train = K.function([netD_real_input, noisev],
                                    [loss_real, loss_fake],
                                    training_updates)

            loss = -loss_fake
            training_updates = RMSprop(learning_rate=lrG, epsilon=rmsprop_epsilon).get_updates(
                loss, netG.trainable_weights)
            netG_train = K.function([noisev], [loss], training_updates)
            # every variable at once, after the last op is built (tf_keras would initialise
            # them at a function's first call, and TensorFlow warns about ops built later)
            self.session.run(tf.compat.v1.global_variables_initializer())
        self.netD, self.netG = netD, netG
        self.netD_clamp = self._in_context(netD_clamp)
        self.netD_train = self._in_context(netD_train)
        self.netG_train = self._in_context(netG_train)

    @contextlib.contextmanager
    def context(self):
        with self.graph.as_default(), self.session.as_default():
            yield

    def _in_context(self, function):
        def call(inputs):
            with self.context():
                return function(inputs)
        return call


def train(wgan, train_generate, steps=100000, start=0, n_critic=n_critic,
          batchSize=batchSize, normal=np.random.normal, verbose=True, save=None):
    """The script's loop, from step `start` to `steps`; returns the printed losses per step,
    rows [errD, errG, errD_real, errD_fake]. `train_generate` yields batches of images in
    [0, 1]; `save(step)` is called where the script saved (every 1000 steps)."""
    rows = []
    for step in range(start, steps):

        for _ in range(n_critic):
            real_data = (np.array(next(train_generate)) * 2 - 1)
            noise = normal(size=(batchSize, wgan.nz))
            errD_real, errD_fake = wgan.netD_train([real_data, noise])
            errD = errD_real - errD_fake
            wgan.netD_clamp([])

        noise = normal(size=(batchSize, wgan.nz))
        errG, = wgan.netG_train([noise])
        if verbose:
            print('[%d] Loss_D: %f Loss_G: %f Loss_D_real: %f Loss_D_fake %f' % (
                step, errD, errG, errD_real, errD_fake))
        rows.append([errD, errG, errD_real, errD_fake])

        if save is not None and step % 1000 == 0:
            save(step)
    return rows


def imsave(path, image):
    """scipy.misc.imsave of a float image: stretched to its own min-max (bytescale)."""
    from PIL import Image
    low, high = image.min(), image.max()
    scaled = (image - low) * (255.0 / (high - low) if high > low else 1.0)
    Image.fromarray((scaled.clip(0, 255) + 0.5).astype(np.uint8)).save(path)


def main(data="faces/", steps=100000, nz=nz, ngf=ngf, ndf=ndf, batch_size=batchSize,
         n_critic=n_critic, out="."):
    """The script: the data generator, the loop, the models and grids saved every 1000
    steps (discriminator.h5, generate.h5 and saved/img/{step}.png in `out`)."""
    from tf_keras.preprocessing.image import ImageDataGenerator
    wgan = WGANKeras2(nz=nz, ngf=ngf, ndf=ndf)
    with wgan.context():
        wgan.netD.summary()
        wgan.netG.summary()
    fixed_noise = np.random.normal(size=(batchSize, nz)).astype('float32')  # 64, the grid's

    datagen = ImageDataGenerator(
        # featurewise_center=True,
        # featurewise_std_normalization=True,
        rotation_range=20,
        rescale=1. / 255
    )
    train_generate = datagen.flow_from_directory(data, target_size=(96, 96),
                                                 batch_size=batch_size, shuffle=True,
                                                 class_mode=None, save_format='jpg')
    os.makedirs(os.path.join(out, "saved", "img"), exist_ok=True)

    def save(step):
        with wgan.context():
            wgan.netD.save(os.path.join(out, "discriminator.h5"))
            wgan.netG.save(os.path.join(out, "generate.h5"))
            fake = wgan.netG.predict(fixed_noise, verbose=0)
        display_grid = np.zeros((8 * 96, 8 * 96, 3))
        for j in range(int(64 / 8)):
            for k in range(int(64 / 8)):
                display_grid[j * 96:(j + 1) * 96, k * 96:(k + 1) * 96, :] = fake[k + 8 * j]
        imsave(os.path.join(out, "saved/img/{}.png".format(step)), display_grid)

    return train(wgan, train_generate, steps=steps, n_critic=n_critic, batchSize=batch_size,
                 save=save)
