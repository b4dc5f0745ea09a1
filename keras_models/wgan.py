"""The blog's WGAN (weight clipping, RMSprop) on 96x96 anime faces, Keras 2 to Keras 3 (S3).

Ports section 5 ("实现WGAN") of seed 001 (FangYang's 2018 blog post), whose code is
FangYang970206/Anime_GAN `WGAN_keras/wgan_keras.py`, itself adapted from tjwei's
GANotebooks `wgan-keras.ipynb` (SPEC S3): `DCGAN_D` is a linear critic of five strided
convolutions (64 -> 128 -> 256 -> 512 -> 1024 channels, zero padding 1, valid convolutions,
LeakyReLU 0.2, BatchNorm from the second) and a final 3x3 convolution to one value;
`DCGAN_G` maps 100 N(0, 1) values through a 3x3 transposed convolution to 1024 channels at
3x3 (no BatchNorm or ReLU after it) and five 4x4 stride-2 transposed convolutions, each
cropped by one pixel per side (3 -> 6 -> 12 -> 24 -> 48 -> 96), to a tanh image. All
convolutions are bias-free with N(0, 0.02) kernels; BatchNorm has epsilon 1.01e-5, gamma
N(1, 0.02), and always uses the batch statistics (`training=1`). Training: 100,000
generator steps; each first runs 5 critic updates, every one with a new real batch (64
images from `faces/`, randomly rotated by up to 20 degrees) and new noise, minimising
mean D(G(z)) - mean D(x) with RMSprop 5e-5 and then clipping every critic weight (BatchNorm's
included) to [-0.01, 0.01]; then one generator update with new noise, minimising
-mean D(G(z)) with RMSprop 5e-5. Every step prints `[step] Loss_D: ... Loss_G: ...
Loss_D_real: ... Loss_D_fake ...`; every 1000 steps (from step 0) the models are saved and
an 8x8 grid of 64 fixed noise vectors is written. Trainable parameters: G 12,067,712,
D 11,157,248.

Deliberate differences (API migrations and fixes; the defaults train what the script trains):
- Keras 2's `K.function` training functions with `RMSprop(lr=...).get_updates(params, [],
  loss)` and the `K.update` clamp function become one compiled `tf.function` per generator
  step (5 critic updates with their clipping, then the generator update), with GradientTape
  and `optimizer.apply_gradients`.
- RMSprop is Keras 2.1.2's update, p -= lr g / (sqrt(a) + 1e-8) (class `Keras2RMSprop`):
  Keras 3's RMSprop divides by sqrt(a + 1e-7) instead, steps several to a hundred times
  smaller for gradients well below 3e-4, as most of these networks' are. (Keras after
  2.1.2, keras-team/keras#8710, used K.epsilon() = 1e-7 outside the square root:
  `--rmsprop-epsilon 1e-7`.)
- `conv_init` and `gamma_init` make one initialiser per layer: a Keras 3 initialiser without
  a seed fixes one at construction and returns the same values at every call, so the
  original's shared instances would give related weights to every layer (Keras 2 drew new
  values at every call).
- `BatchNormalization(..., gamma_init=...)(x, training=1)`: Keras 3 has no `gamma_init`
  (`gamma_initializer`), and a Keras 3 functional model passes its caller's `training` to
  every layer, overriding `training=1`; the layer `TrainingBatchNorm` therefore always
  normalises with the batch statistics, whatever mode the model is called in.
- `ImageDataGenerator(rotation_range=20, rescale=1/255).flow_from_directory('faces/', ...)`
  becomes the shared tf.data pipeline (gantools.images): every JPEG/PNG below `--data` (the
  original needed them inside a sub-folder), scaled to [-1, 1] as the script's `x*2-1`, with
  the same rotation (uniform in [-20, 20] degrees about Keras 2's centre (size/2 + 0.5),
  nearest-neighbour interpolation, nearest fill). The order and the angles are drawn from
  the seed, epoch and position, so `--resume` continues exactly. Unreadable files are skipped
  and counted.
- The grids: 64 fixed noise vectors (the original's `fixed_noise` is batchSize x nz, so 64 at
  the default batch size, whatever `--batch-size`), sampled in batches of 32 as
  `netG.predict` did, saved as `samples/step_NNNNNN.png` with (img + 1) / 2 (the original
  wrote the raw [-1, 1] grid with `scipy.misc.imsave`, removed from SciPy, which stretched
  it to its own min-max: `--bytescale-grids`). The original's `saved/img` folder was never
  created (a crash at step 0); here everything goes to `--out`.
- `netD.save("discriminator.h5")` / `netG.save("generate.h5")` become
  `discriminator.weights.h5` / `generate.weights.h5`, plus a checkpoint of both models, both
  optimisers, the noise stream and the data position for `--resume`. Grid, weights and
  checkpoint are also written after the last step; Ctrl-C saves a checkpoint after the
  current step.
- BatchNorm's moving averages are updated (as Keras 3 does in training mode) where the
  original's K.function never updated them; nothing reads them.
- `print(dir(train_generate))` and the ineffective KERAS_BACKEND / TENSORFLOW_FLAGS settings
  are dropped; numpy float64 noise becomes float32 from a tf.random.Generator.
- Added: `losses.csv` (every step), `losses.png`, `evolution.gif` of the grids, an ETA on
  each printed line, the sliced Wasserstein distance between generated and real images at
  every save and at the end (`losses.csv`, `metrics.json`), and `--evaluate`.
- Added: `--jit-compile`, `--mixed-precision` and `--strategy` (gantools.scale). The critic's
  last convolution and flatten and G's tanh are float32, a no-op unless `--mixed-precision`
  (then the losses and the clipped weights stay float32); under a strategy the BatchNorm
  layers are synchronised, each replica's means are weighted by its share of the global
  batch, and the clipping runs in cross-replica context after each critic update.

`originals/anime_wgan_keras2.py` runs the script's code in Keras 2 (tf_keras);
`originals.side_by_side.s3` runs it beside this port from the same weights, batches and
noise, both in float64 (`WGAN(output_dtype=None)` lets the layers pinned to float32 above
follow the global dtype).
"""
import time

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from gantools.cli import ArgumentParser, UsageError, add_run_arguments, positive_float, \
    positive_int
from gantools.images import CACHE_CHOICES, ImageFolder, list_images
from gantools.scale import Replicas, add_device_arguments, setup, startup_line, \
    wrap_optimizer
from gantools.rundir import LossLog, read_config, read_losses, start_run, update_json, \
    write_config, write_json
from gantools.training import Checkpoints, StopRequest, check_resume, describe_swd, eta, \
    run_without_side_effects, save_weights, swd_against_data



def conv_init():
    return keras.initializers.RandomNormal(0, 0.02)


def gamma_init():
    return keras.initializers.RandomNormal(1., 0.02)


nc = 3
nz = 100
ngf = 1024
ndf = 64
imageSize = 96
batchSize = 64
lrD = 0.00005
lrG = 0.00005
clamp_lower, clamp_upper = -0.01, 0.01
steps = 100000           # for step in range(100000)
n_critic = 5             # for _ in range(5)
rotation_range = 20      # ImageDataGenerator(rotation_range=20)
save_every = 1000        # if step % 1000 == 0
grid_samples = 64        # fixed_noise: batchSize x nz
predict_batch = 32       # netG.predict's default batch_size
swd_images = 1024
DEFAULT_DATA = "faces"


@keras.saving.register_keras_serializable(package="wgan_anime")
class TrainingBatchNorm(layers.BatchNormalization):
    """BatchNormalization that always normalises with the batch statistics (the original's
    `training=1`), also when the model is called with training=False or by predict()."""

    def call(self, inputs, training=None, mask=None):
        return super().call(inputs, training=True, mask=mask)


def batch_norm(synchronized=False):
    """`synchronized`: statistics over the global batch under a tf.distribute strategy."""
    return TrainingBatchNorm(epsilon=1.01e-5, gamma_initializer=gamma_init(),
                             synchronized=synchronized)


def DCGAN_D(isize, nc, ndf, synchronized=False, output_dtype="float32"):
    """`output_dtype`: of the last convolution and the flatten (float32 also under mixed
    precision; None: the global float type, e.g. float64 in originals.side_by_side.s3)."""
    inputs = keras.Input(shape=(isize, isize, nc))
    x = layers.ZeroPadding2D()(inputs)
    x = layers.Conv2D(ndf, kernel_size=4, strides=2, use_bias=False,
                      kernel_initializer=conv_init())(x)
    x = layers.LeakyReLU(negative_slope=0.2)(x)
    for _ in range(4):
        x = layers.ZeroPadding2D()(x)
        x = layers.Conv2D(ndf * 2, kernel_size=4, strides=2, use_bias=False,
                          kernel_initializer=conv_init())(x)
        x = batch_norm(synchronized)(x)
        x = layers.LeakyReLU(negative_slope=0.2)(x)
        ndf *= 2
    x = layers.Conv2D(1, kernel_size=3, strides=1, use_bias=False,
                      kernel_initializer=conv_init(), dtype=output_dtype)(x)
    outputs = layers.Flatten(dtype=output_dtype)(x)
    return keras.Model(inputs=inputs, outputs=outputs, name="DCGAN_D")


def DCGAN_G(isize, nz, ngf, synchronized=False, output_dtype="float32"):
    """`output_dtype`: of the tanh, as DCGAN_D's."""
    inputs = keras.Input(shape=(nz,))
    x = layers.Reshape((1, 1, nz))(inputs)
    x = layers.Conv2DTranspose(filters=ngf, kernel_size=3, strides=2, use_bias=False,
                               kernel_initializer=conv_init())(x)
    for _ in range(4):
        x = layers.Conv2DTranspose(filters=int(ngf / 2), kernel_size=4, strides=2,
                                   use_bias=False, kernel_initializer=conv_init())(x)
        x = layers.Cropping2D(cropping=1)(x)
        x = batch_norm(synchronized)(x)
        x = layers.Activation("relu")(x)
        ngf = int(ngf / 2)
    x = layers.Conv2DTranspose(filters=3, kernel_size=4, strides=2, use_bias=False,
                               kernel_initializer=conv_init())(x)
    x = layers.Cropping2D(cropping=1)(x)
    outputs = layers.Activation("tanh", dtype=output_dtype)(x)
    return keras.Model(inputs=inputs, outputs=outputs, name="DCGAN_G")


@keras.saving.register_keras_serializable(package="wgan_anime")
class Keras2RMSprop(keras.optimizers.Optimizer):
    """Keras 2.1.2's RMSprop (no momentum, no decay): a = rho a + (1 - rho) g^2;
    p -= lr g / (sqrt(a) + epsilon), with epsilon 1e-8 outside the square root."""

    def __init__(self, learning_rate=0.001, rho=0.9, epsilon=1e-8, name="keras2_rmsprop",
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulators = self.add_optimizer_variables(var_list, "accumulator")

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        accumulator = self._accumulators[self._get_variable_index(variable)]
        self.assign(accumulator, ops.add(ops.multiply(self.rho, accumulator),
                                         ops.multiply(1 - self.rho, ops.square(gradient))))
        self.assign_sub(variable, ops.divide(ops.multiply(lr, gradient),
                                             ops.add(ops.sqrt(accumulator), self.epsilon)))

    def get_config(self):
        config = super().get_config()
        config.update(rho=self.rho, epsilon=self.epsilon)
        return config


class WGAN:
    """netD, netG, their RMSprop optimisers, the noise stream and one generator step."""

    def __init__(self, seed=0, nz=nz, ngf=ngf, ndf=ndf, batch_size=batchSize, lrD=lrD, lrG=lrG,
                 clamp=(clamp_lower, clamp_upper), n_critic=n_critic, rmsprop_epsilon=1e-8,
                 replicas=None, output_dtype="float32"):
        self.nz, self.batch_size, self.n_critic = nz, batch_size, n_critic
        self.clamp_lower, self.clamp_upper = clamp
        self.replicas = replicas = replicas or Replicas()
        with replicas.strategy.scope():
            self.netD = DCGAN_D(imageSize, nc, ndf, synchronized=replicas.distributed,
                                output_dtype=output_dtype)
            self.netG = DCGAN_G(imageSize, nz, ngf, synchronized=replicas.distributed,
                                output_dtype=output_dtype)
            self.optimizer_D = wrap_optimizer(Keras2RMSprop(lrD, epsilon=rmsprop_epsilon),
                                              replicas.mixed_precision)
            self.optimizer_G = wrap_optimizer(Keras2RMSprop(lrG, epsilon=rmsprop_epsilon),
                                              replicas.mixed_precision)
            self.optimizer_D.build(self.netD.trainable_variables)
            self.optimizer_G.build(self.netG.trainable_variables)
        # Plain variables: every worker draws the same global noise; replicas take rows of it.
        self.rng = tf.random.Generator.from_seed(seed)   # np.random.normal for the noise
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False)      # generator steps done
        self.batches = tf.Variable(0, dtype=tf.int64, trainable=False)   # real batches used
        self.fixed_noise = np.random.default_rng([seed, 1]).normal(
            size=(grid_samples, nz)).astype('float32')
        self.seed = seed
        self.checkpoint = tf.train.Checkpoint(
            netD=self.netD, netG=self.netG, optimizer_D=self.optimizer_D,
            optimizer_G=self.optimizer_G, rng=self.rng, step=self.step, batches=self.batches)
        # The updates (XLA-compiled with --jit-compile) run on every replica; the noise is
        # drawn and the critic clipped outside them.
        self._netD_train, self._netG_train = self.netD_train, self.netG_train
        if replicas.jit_compile:
            self._netD_train = tf.function(self.netD_train, jit_compile=True)
            self._netG_train = tf.function(self.netG_train, jit_compile=True)
        spec = tf.TensorSpec((None, imageSize, imageSize, nc), tf.float32)
        signature = None if replicas.distributed else [[spec] * n_critic]
        self.train_step = tf.function(self._train_step, input_signature=signature,
                                      reduce_retracing=True)

    def trainable_parameters(self):
        count = lambda model: sum(int(np.prod(v.shape)) for v in model.trainable_variables)
        return {"generator": count(self.netG), "discriminator": count(self.netD)}

    def netD_train(self, real_data, noise=None):
        """One critic update on a real batch and new noise: RMSprop on loss_fake - loss_real.
        Under a strategy: this replica's real batch and rows of the noise, each mean
        weighted by its share of the global one. Noise None: drawn here."""
        if noise is None:
            noise = self.rng.normal((self.batch_size, self.nz))
        real_share = fake_share = None
        if self.replicas.distributed:
            noise, fake_share = Replicas.even_shard(noise)
            real_share = Replicas.weight(tf.shape(real_data)[0])
        with tf.GradientTape() as tape:
            loss_real = tf.reduce_mean(self.netD(real_data, training=True))
            loss_fake = tf.reduce_mean(self.netD(self.netG(noise, training=True), training=True))
            if self.replicas.distributed:
                loss_real, loss_fake = loss_real * real_share, loss_fake * fake_share
            loss = loss_fake - loss_real
            scaled = self.optimizer_D.scale_loss(loss)
        variables = self.netD.trainable_variables
        self.optimizer_D.apply_gradients(zip(tape.gradient(scaled, variables), variables))
        return tf.stack([loss_real, loss_fake])

    def netD_clamp(self):
        """Clip every trainable critic weight, BatchNorm's gamma and beta included."""
        for v in self.netD.trainable_variables:
            v.assign(tf.clip_by_value(v, self.clamp_lower, self.clamp_upper))

    def netG_train(self, noise=None):
        """One generator update on new noise: RMSprop on -loss_fake."""
        if noise is None:
            noise = self.rng.normal((self.batch_size, self.nz))
        share = None
        if self.replicas.distributed:
            noise, share = Replicas.even_shard(noise)
        with tf.GradientTape() as tape:
            loss_fake = tf.reduce_mean(self.netD(self.netG(noise, training=True), training=True))
            if share is not None:
                loss_fake = loss_fake * share
            loss = -loss_fake
            scaled = self.optimizer_G.scale_loss(loss)
        variables = self.netG.trainable_variables
        self.optimizer_G.apply_gradients(zip(tape.gradient(scaled, variables), variables))
        return loss

    def _train_step(self, real_batches):
        """One step of the loop: n_critic x (critic update, clamp), then a generator update.
        real_batches: global batches, or per-replica values from Replicas.split."""
        replicas = self.replicas
        gather = replicas.sum if replicas.distributed else (lambda losses: losses)
        for real_data in real_batches:
            noise = self.rng.normal((self.batch_size, self.nz))
            errD_real, errD_fake = tf.unstack(gather(
                replicas.run(self._netD_train, (real_data, noise))))
            self.batches.assign_add(1)
            errD = errD_real - errD_fake
            self.netD_clamp()   # in cross-replica context: every copy of the critic
        noise = self.rng.normal((self.batch_size, self.nz))
        errG = gather(replicas.run(self._netG_train, (noise,)))
        self.step.assign_add(1)
        return tf.stack([errD, errG, errD_real, errD_fake])

    def sample(self, noise):
        """netG.predict(noise): batches of 32, BatchNorm on batch statistics."""
        return run_without_side_effects(self.netG, noise, predict_batch)

    def evaluation_noise(self, n):
        """Noise for the quality metric: the same at every evaluation, apart from training."""
        return np.random.default_rng([self.seed, 2]).normal(size=(n, self.nz)).astype('float32')


# ##### The program

def build_parser():
    parser = ArgumentParser(
        prog="wgan_anime.py",
        description="The blog's WGAN (seed 001, FangYang970206/Anime_GAN WGAN_keras, weight "
                    "clipping and RMSprop) in Keras 3: 96x96 anime faces.")
    original = parser.add_argument_group("the original's settings (wgan_keras.py)")
    original.add_argument("--data", type=str, default=DEFAULT_DATA,
                          help="folder of face images (every JPEG/PNG below it)")
    original.add_argument("--steps", type=positive_int, default=steps,
                          help="generator steps")
    original.add_argument("--batch-size", type=positive_int, default=batchSize,
                          help="images per batch (batchSize)")
    original.add_argument("--lr-d", type=positive_float, default=lrD, help="critic RMSprop lr")
    original.add_argument("--lr-g", type=positive_float, default=lrG,
                          help="generator RMSprop lr")
    original.add_argument("--n-critic", type=positive_int, default=n_critic,
                          help="critic updates per generator step")
    original.add_argument("--clamp-lower", type=float, default=clamp_lower,
                          help="critic weights are clipped to [lower, upper]")
    original.add_argument("--clamp-upper", type=float, default=clamp_upper)
    original.add_argument("--nz", type=positive_int, default=nz, help="noise size")
    original.add_argument("--ngf", type=positive_int, default=ngf,
                          help="channels of G's first layer (halved four times; a multiple "
                               "of 16)")
    original.add_argument("--ndf", type=positive_int, default=ndf,
                          help="channels of D's first layer (doubled four times)")
    original.add_argument("--rotation-range", type=float, default=rotation_range,
                          help="random rotation of the real images, in degrees (0: none)")
    original.add_argument("--save-every", type=positive_int, default=save_every,
                          help="steps between grids, saved models and checkpoints")
    original.add_argument("--rmsprop-epsilon", type=positive_float, default=1e-8,
                          help="RMSprop epsilon, added to sqrt(a) as Keras 2 did")
    added = parser.add_argument_group("added")
    added.add_argument("--size-per-dataset", type=positive_int, default=None,
                       help="use only the first N images in natural order; default all")
    added.add_argument("--resume", action="store_true",
                       help="continue the run in --out from its last checkpoint (same "
                            "settings; --steps may be raised)")
    added.add_argument("--evaluate", action="store_true",
                       help="only compute the quality metric of the run in --out (its last "
                            "checkpoint) against --data, and update its metrics.json")
    added.add_argument("--swd-images", type=positive_int, default=swd_images,
                       help="generated and real images for the sliced Wasserstein distance")
    added.add_argument("--cache", choices=CACHE_CHOICES, default="auto",
                       help="keep the decoded images in memory: auto = if they take less "
                            "than a quarter of the RAM")
    added.add_argument("--bytescale-grids", action="store_true",
                       help="stretch each grid to its own min-max, as scipy.misc.imsave did")
    add_device_arguments(parser)
    add_run_arguments(parser, "wgan_anime")
    return parser


def check_flags(args):
    if args.ngf % 16:
        raise UsageError("--ngf {} must be a multiple of 16 (G halves it four "
                         "times)".format(args.ngf))
    if args.clamp_lower >= args.clamp_upper:
        raise UsageError("--clamp-lower {} must be below --clamp-upper {}".format(
            args.clamp_lower, args.clamp_upper))
    if not 0 <= args.rotation_range <= 180:
        raise UsageError("--rotation-range {} must be between 0 and 180 degrees".format(
            args.rotation_range))


def hyperparameters(args):
    return dict(steps=args.steps, batch_size=args.batch_size, lr_d=args.lr_d, lr_g=args.lr_g,
                n_critic=args.n_critic, clamp=[args.clamp_lower, args.clamp_upper],
                nz=args.nz, ngf=args.ngf, ndf=args.ndf, rotation_range=args.rotation_range,
                save_every=args.save_every, rmsprop="Keras 2 (epsilon outside the sqrt)",
                rmsprop_rho=0.9, rmsprop_epsilon=args.rmsprop_epsilon, data=args.data,
                size_per_dataset=args.size_per_dataset, grid_samples=grid_samples,
                swd_images=args.swd_images, bytescale_grids=args.bytescale_grids,
                image_size=imageSize, conv_init_std=0.02, bn_gamma_init=[1.0, 0.02],
                bn_epsilon=1.01e-5, bn_training_always=True, normalisation="[-1, 1]",
                mixed_precision=args.mixed_precision)


RESUME_MAY_CHANGE = ("steps", "data", "swd_images", "deterministic")
LOSS_COLUMNS = ["step", "loss_d", "loss_g", "loss_d_real", "loss_d_fake", "swd"]


def make_wgan(args, seed, replicas=None):
    return WGAN(seed=seed, nz=args.nz, ngf=args.ngf, ndf=args.ndf, batch_size=args.batch_size,
                lrD=args.lr_d, lrG=args.lr_g, clamp=(args.clamp_lower, args.clamp_upper),
                n_critic=args.n_critic, rmsprop_epsilon=args.rmsprop_epsilon,
                replicas=replicas)


def swd(gan, folder, n, seed):
    return swd_against_data(gan.sample(gan.evaluation_noise(min(n, len(folder)))), folder, seed)


def save(gan, run_dir, step, args, folder):
    """Every --save-every steps: the grid of fixed noise, the SWD and the models."""
    from gantools.plots import write_image_grid
    write_image_grid(gan.sample(gan.fixed_noise), run_dir / "samples" / ("step_%06d.png" % step),
                     bytescale=args.bytescale_grids)
    distance = swd(gan, folder, args.swd_images, args.seed)
    print(describe_swd(distance), flush=True)
    save_weights(gan.netD, run_dir / "discriminator.weights.h5")
    save_weights(gan.netG, run_dir / "generate.weights.h5")
    return distance


def train(gan, folder, args, run_dir):
    """The script's loop from the checkpointed step to args.steps, writing files as it goes.

    Ctrl-C (or SIGTERM) stops after the current step with a checkpoint, so --resume
    continues with the next one.
    """
    start = int(gan.step.numpy())
    checkpoints = Checkpoints(gan.checkpoint, run_dir / "checkpoints")
    (run_dir / "samples").mkdir(exist_ok=True)
    train_generate = folder.stream(args.batch_size, args.seed, int(gan.batches.numpy()),
                                   args.rotation_range)
    distance = {}
    started = time.perf_counter()
    with StopRequest() as stop, LossLog(run_dir / "losses.csv", LOSS_COLUMNS,
                                        keep_until=start) as log:
        for step in range(start, args.steps):
            real_batches = [gan.replicas.split(next(train_generate))
                            for _ in range(args.n_critic)]
            errD, errG, errD_real, errD_fake = gan.train_step(real_batches).numpy()
            print('[%d] Loss_D: %f Loss_G: %f Loss_D_real: %f Loss_D_fake %f' % (
                step, errD, errG, errD_real, errD_fake)
                + eta(started, step + 1 - start, args.steps - start), flush=True)
            row = dict(step=step, loss_d=float(errD), loss_g=float(errG),
                       loss_d_real=float(errD_real), loss_d_fake=float(errD_fake), swd="")
            final = step == args.steps - 1
            if step % args.save_every == 0 or final:
                distance = save(gan, run_dir, step, args, folder)
                row["swd"] = round(distance["avg"], 4)
            log.write(**row)
            if step % args.save_every == 0 or final or stop.requested:
                log.flush()
                checkpoints.save(step + 1)
            if stop.requested and not final:
                print("Interrupted: checkpoint saved after step {}; continue with "
                      "--resume".format(step), flush=True)
                raise KeyboardInterrupt
    return distance


def save_figures(run_dir):
    from gantools.plots import plot_losses, write_gif
    write_gif(sorted((run_dir / "samples").glob("step_*.png")), run_dir / "evolution.gif",
              duration_ms=300)
    plot_losses(read_losses(run_dir / "losses.csv"), run_dir / "losses.png",
                {"loss_d": "Loss_D", "loss_g": "Loss_G"}, x="step", title="WGAN_Anime",
                xlabel="step", ylabel="loss")


def load_data(args, data):
    return ImageFolder(data, imageSize, limit=args.size_per_dataset, cache=args.cache)


def evaluate(args):
    """--evaluate: SWD of the run's last checkpoint against the data, into metrics.json."""
    run_dir = start_run(args, resume=True)
    config = read_config(run_dir)
    for key in ("nz", "ngf", "ndf"):  # the run's architecture
        setattr(args, key, config[key])
    args.size_per_dataset = config.get("size_per_dataset")
    gan = make_wgan(args, config["seed"])
    latest = Checkpoints(gan.checkpoint, run_dir / "checkpoints").restore(partial=True, flag="--evaluate")
    folder = load_data(args, args.data)
    distance = swd(gan, folder, args.swd_images, config["seed"])
    update_json(run_dir / "metrics.json", swd_x1e3=distance, evaluated_checkpoint=latest,
                   evaluated_steps=int(gan.step.numpy()), evaluated_data=str(folder.root))
    print("{} after {} steps ({}), against {}".format(
        describe_swd(distance), int(gan.step.numpy()), latest, folder.root))
    return 0


def main(argv=None):
    args = build_parser().parse_args(argv)
    check_flags(args)
    if args.evaluate:
        return evaluate(args)
    list_images(args.data)  # a missing dataset is reported before anything is written
    replicas = setup(args)  # before TensorFlow initialises its devices
    hparams = hyperparameters(args)
    run_dir = start_run(args, resume=args.resume, worker=replicas.worker)
    print(startup_line(replicas), flush=True)
    if args.resume:
        config = check_resume(run_dir, dict(hparams, seed=args.seed), RESUME_MAY_CHANGE)
    folder = load_data(args, args.data)
    gan = make_wgan(args, args.seed, replicas)
    gan.netD.summary()  # as the original
    gan.netG.summary()
    if args.resume:
        folder.check_same_as(config)
        latest = Checkpoints(gan.checkpoint, run_dir / "checkpoints").restore()
        if int(gan.step.numpy()) >= args.steps:
            raise UsageError("--resume: the run has already trained {} steps; pass a larger "
                             "--steps".format(int(gan.step.numpy())))
        print("Resuming {} at step {}".format(latest, int(gan.step.numpy())), flush=True)
    else:
        write_config(run_dir, args, dict(hparams, dataset=folder.summary(),
                                         devices_and_scale=replicas.describe()),
                     gan.trainable_parameters())
    start = int(gan.step.numpy())
    started = time.perf_counter()
    distance = train(gan, folder, args, run_dir)
    seconds = time.perf_counter() - started
    save_figures(run_dir)
    losses = read_losses(run_dir / "losses.csv")
    write_json(run_dir / "metrics.json", dict(
        steps=int(gan.step.numpy()), swd_x1e3=distance,
        final_loss_d=float(losses["loss_d"][-1]), final_loss_g=float(losses["loss_g"][-1]),
        train_seconds=round(seconds, 2),
        seconds_per_step=round(seconds / max(args.steps - start, 1), 4)))
    if replicas.worker_finished(run_dir):  # the chief's files are the run's
        return 0
    print("Wrote {} (samples/, evolution.gif, losses.png, losses.csv, metrics.json)".format(
        run_dir))
    return 0
