"""The blog's WGAN (weight clipping, RMSprop) on 96x96 anime faces, Keras 2 to Keras 3 (S3).

Ports section 5 of seed 001 (FangYang's 2018 blog post): FangYang970206/Anime_GAN
`WGAN_keras/wgan_keras.py`, from tjwei's GANotebooks `wgan-keras.ipynb` (SPEC S3). Read it
beside the script: conv_init, gamma_init, DCGAN_D, DCGAN_G, the constants, then (in `WGAN`)
netD, netG, netD_clamp, netD_train, netG_train, fixed_noise and the loop's body
(`train_step`), and the loop (`main`: its line, and the saves every --save-every steps).
The command line (flags, summary) is keras_models/wgan_cli.py.
Trainable parameters: G 12,067,712, D 11,157,248.

Deliberate differences (the defaults train what the script trains):
- K.function + `RMSprop.get_updates` + the K.update clamp: one tf.function per step.
- RMSprop is Keras 2.1.2's, p -= lr g / (sqrt(a) + 1e-8) (gantools.keras2_compat's
  `Keras2RMSprop`; Keras 3's differs).
- conv_init and gamma_init make one initialiser per layer (Keras 3's repeat their values).
- `TrainingBatchNorm` keeps `training=1` (a Keras 3 model overrides it); its moving
  averages are updated (the K.functions never did), never read.
- ImageDataGenerator(rotation_range=20): gantools.faces.images, same rotation, seeded, resumable.
- Grids `samples/step_NNNNNN.png` as (img + 1) / 2 (imsave's min-max: `--bytescale-grids`).
- `*.weights.h5` for netD.save/netG.save; checkpoints and --resume (gantools.run.runner).
- Dropped: print(dir(train_generate)), KERAS_BACKEND/TENSORFLOW_FLAGS; float32 noise.
- Added: losses.csv/png, evolution.gif, the SWD at every save and the end, `--evaluate`
  (with config.json's settings: keras_models/wgan_extras.py).
- Added: `--jit-compile`, `--mixed-precision`, `--strategy` (keras_models/wgan_scale.py
  overrides WGAN for them).
Reasons and details: README (S3). `originals/anime_wgan_keras2.py` runs the script in
Keras 2; `sidebyside.s3` runs the two from the same weights.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from gantools.faces.images import printable
from gantools.run.rundir import read_losses
from gantools.faces.scale import startup_line
from gantools.keras2_compat import Keras2RMSprop
from gantools.training import describe_swd, run_without_side_effects, save_weights


def conv_init():
    return keras.initializers.RandomNormal(0, 0.02)


def gamma_init():
    return keras.initializers.RandomNormal(1., 0.02)


@keras.saving.register_keras_serializable(package="wgan_anime")
class TrainingBatchNorm(layers.BatchNormalization):
    """BatchNormalization on the batch statistics, whatever mode the model is called in."""

    def call(self, inputs, training=None, mask=None):
        return super().call(inputs, training=True, mask=mask)


def batch_norm(synchronized=False):
    """`synchronized`: statistics over the global batch under a strategy (wgan_scale.py)."""
    return TrainingBatchNorm(epsilon=1.01e-5, gamma_initializer=gamma_init(),
                             synchronized=synchronized)


def DCGAN_D(isize, nc, ndf, synchronized=False, output_dtype="float32"):
    """`output_dtype`: of the last convolution and the flatten (float32 under mixed
    precision; None: the global float type, as sidebyside.s3's float64)."""
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


nc = 3
nz = 100
ngf = 1024
ndf = 64
imageSize = 96
batchSize = 64
lrD = 0.00005
lrG = 0.00005
clamp_lower, clamp_upper = -0.01, 0.01
grid_samples = 64        # fixed_noise: batchSize x nz
predict_batch = 32       # netG.predict's default batch_size


class WGAN:
    """netD, netG, their RMSprop optimisers, the noise stream and one generator step."""

    def __init__(self, seed=0, nz=nz, ngf=ngf, ndf=ndf, batch_size=batchSize, lrD=lrD, lrG=lrG,
                 clamp=(clamp_lower, clamp_upper), n_critic=5, rmsprop_epsilon=1e-8,
                 output_dtype="float32"):
        self.nz, self.batch_size, self.n_critic, self.seed = nz, batch_size, n_critic, seed
        self.clamp_lower, self.clamp_upper = clamp
        self.netD, self.netG = self.models(nz, ngf, ndf, output_dtype)
        self.optimizer_D = self.rmsprop(lrD, rmsprop_epsilon, self.netD)
        self.optimizer_G = self.rmsprop(lrG, rmsprop_epsilon, self.netG)
        self.rng = tf.random.Generator.from_seed(seed)   # np.random.normal for the noise
        self.fixed_noise = np.random.default_rng([seed, 1]).normal(
            size=(grid_samples, nz)).astype('float32')
        self.checkpoint = tf.train.Checkpoint(
            netD=self.netD, netG=self.netG, optimizer_D=self.optimizer_D,
            optimizer_G=self.optimizer_G, rng=self.rng)  # the loop's position is the run's
        spec = tf.TensorSpec((None, imageSize, imageSize, nc), tf.float32)
        self.train_step = tf.function(self._train_step, reduce_retracing=True,
                                      input_signature=[[spec] * n_critic])

    def models(self, nz, ngf, ndf, output_dtype):
        """netD = DCGAN_D(...), netG = DCGAN_G(...)."""
        return (DCGAN_D(imageSize, nc, ndf, output_dtype=output_dtype),
                DCGAN_G(imageSize, nz, ngf, output_dtype=output_dtype))

    def rmsprop(self, lr, epsilon, model):
        """RMSprop(lr=lr) of Keras 2.1.2, its slots made now (get_updates made them)."""
        optimizer = Keras2RMSprop(lr, epsilon=epsilon)
        optimizer.build(model.trainable_variables)
        return optimizer

    def mean(self, output):
        """K.mean."""
        return tf.reduce_mean(output)

    def step(self, optimizer, model, tape, loss):
        """The updates of `optimizer.get_updates(model.trainable_weights, [], loss)`."""
        variables = model.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

    def netD_clamp(self):
        """Clip every trainable critic weight, BatchNorm's gamma and beta included."""
        for v in self.netD.trainable_variables:
            v.assign(tf.clip_by_value(v, self.clamp_lower, self.clamp_upper))

    def netD_train(self, real_data, noise=None):
        """One critic update: RMSprop on loss_fake - loss_real."""
        if noise is None:
            noise = self.rng.normal((self.batch_size, self.nz))
        with tf.GradientTape() as tape:
            loss_real = self.mean(self.netD(real_data, training=True))
            loss_fake = self.mean(self.netD(self.netG(noise, training=True), training=True))
            loss = loss_fake - loss_real
        self.step(self.optimizer_D, self.netD, tape, loss)
        return tf.stack([loss_real, loss_fake])

    def netG_train(self, noise=None):
        """One generator update on new noise: RMSprop on -loss_fake."""
        if noise is None:
            noise = self.rng.normal((self.batch_size, self.nz))
        with tf.GradientTape() as tape:
            loss_fake = self.mean(self.netD(self.netG(noise, training=True), training=True))
            loss = -loss_fake
        self.step(self.optimizer_G, self.netG, tape, loss)
        return loss

    def _train_step(self, real_batches):
        """The loop's body: n_critic x (netD_train on a new batch and noise, netD_clamp),
        then netG_train."""
        for real_data in real_batches:
            noise = self.rng.normal((self.batch_size, self.nz))
            errD_real, errD_fake = tf.unstack(self.netD_train(real_data, noise))
            errD = errD_real - errD_fake
            self.netD_clamp()
        noise = self.rng.normal((self.batch_size, self.nz))
        errG = self.netG_train(noise)
        return tf.stack([errD, errG, errD_real, errD_fake])

    def sample(self, noise):
        """netG.predict(noise): batches of 32, BatchNorm on batch statistics."""
        return run_without_side_effects(self.netG, noise, predict_batch)

# ---------------------------------------------------------------------------------------
# The script's loop, with the run's services (gantools.run.runner.Run), and its settings.

def make_gan(a, seed, replicas):
    """The script's models and optimisers with the flags' settings; with a device option
    (--strategy, --mixed-precision, --jit-compile) keras_models/wgan_scale.py's."""
    settings = dict(seed=seed, nz=a.nz, ngf=a.ngf, ndf=a.ndf, batch_size=a.batch_size,
                    lrD=a.lr_d, lrG=a.lr_g, clamp=(a.clamp_lower, a.clamp_upper),
                    n_critic=a.n_critic, rmsprop_epsilon=a.rmsprop_epsilon)
    if replicas.plain:
        return WGAN(**settings)
    from keras_models.wgan_scale import ScaledWGAN
    return ScaledWGAN(**settings, replicas=replicas)


def main(run):
    """The script: the models and their summaries, train_generate (the rotated real
    batches), then its loop: n_critic critic updates with clipping and one generator
    update per step, its line, and every --save-every steps (the script: 1000) and after
    the last the models, the grid of the fixed noise and the SWD."""
    from keras_models import wgan_extras as extras  # it imports this module
    args, data = run.args, run.data
    replicas = run.program.replicas  # the devices the command line set up (gantools.faces.scale)
    print(startup_line(replicas), flush=True)
    wgan = make_gan(args, run.seed, replicas)
    wgan.netD.summary()  # as the original
    wgan.netG.summary()
    swd = None  # the last SWD: {step, distance}

    # The checkpoint: models, optimisers, noise generator (the step is the run's).
    def restore(folder, state):
        nonlocal swd
        # every variable is restored; older versions' step/batches counters are left unread
        wgan.checkpoint.read(str(folder / "state")).expect_partial() \
            .assert_existing_objects_matched()
        swd = state["last_swd"]

    run.start(args.steps, restore=restore,
              save=lambda folder: wgan.checkpoint.write(str(folder / "state")),
              state=lambda: {"last_swd": swd}, config=extras.hyper_parameters(data, replicas),
              parameters=extras.trainable_parameters(wgan),
              checkpoint_due=lambda done: (done - 1) % args.save_every == 0,
              generate=lambda n, seed: (
                  wgan.sample(extras.evaluation_noise(wgan, n, seed)) + 1) / 2,
              measure=lambda: dict(swd_x1e3=extras.measure(wgan, args, data, run.seed),
                                   data=printable(data.root)))

    # train_generate: the rotated real batches, from the data position on (n_critic a step)
    train_generate = data.stream(args.batch_size, run.seed, run.done * args.n_critic,
                                 args.rotation_range)
    for step in run.range(args.steps):
        real_batches = [next(train_generate) for _ in range(args.n_critic)]
        errD, errG, errD_real, errD_fake = wgan.train_step(real_batches).numpy()
        run.print('[%d] Loss_D: %f Loss_G: %f Loss_D_real: %f Loss_D_fake %f' % (
            step, errD, errG, errD_real, errD_fake))
        row = dict(step=step, loss_d=float(errD), loss_g=float(errG),
                   loss_d_real=float(errD_real), loss_d_fake=float(errD_fake), swd="")
        if step % args.save_every == 0 or step == args.steps - 1:  # and the last
            swd = dict(step=step, distance=save_step(wgan, run, step, extras.measure))
            row["swd"] = round(swd["distance"]["avg"], 4)
        run.log(**row)

    losses = read_losses(run.run_dir / "losses.csv")
    steps = args.steps
    last = swd or {}  # measured after the last step, unless resumed to finish
    distance = (last["distance"] if last.get("step") == steps - 1
                else extras.measure(wgan, args, data, run.seed))
    extras.save_figures(run.run_dir, losses)
    return dict(steps=steps, swd_x1e3=distance, final_loss_d=float(losses["loss_d"][-1]),
                final_loss_g=float(losses["loss_g"][-1]))


def save_step(wgan, run, step, measure):
    """The models, the grid of the fixed noise and the SWD (`measure`'s)."""
    from gantools.plots import write_image_grid
    samples = run.run_dir / "samples"
    samples.mkdir(exist_ok=True)
    write_image_grid(wgan.sample(wgan.fixed_noise), samples / f"step_{step:06d}.png",
                     bytescale=run.args.bytescale_grids)
    distance = measure(wgan, run.args, run.data, run.seed)
    run.print(describe_swd(distance))
    save_weights(wgan.netD, run.run_dir / "discriminator.weights.h5")
    save_weights(wgan.netG, run.run_dir / "generate.weights.h5")
    return distance
