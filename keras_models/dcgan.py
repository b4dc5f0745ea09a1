"""The blog's DCGAN on 96x96 anime faces, from PyTorch to Keras 3 (program S2).

Ports section 4 ("实现DCGAN") of seed 001 (FangYang's 2018 blog post): FangYang970206/Anime_GAN
`DCGAN/model.py`, `AnimeDataset.py`, `utils.py` and `main.py` (SPEC S2), in their order and
names; main.py's loop is `main(run)`, its flags keras_models/dcgan_cli.py. NCHW PyTorch
layers become NHWC Keras layers that compute the same (padding as 'same'
or 'valid', BatchNorm2d from gantools.torch_compat; the README's S2 notes give each).
Deliberate differences (the defaults train what main.py trains):
- Images in [-1, 1], the upstream fix (2019) of the seed's `img - 127.5/127.5` (= img - 1;
  `--scaling posted` runs it).
- Data: every JPEG/PNG below `--data` (gantools.faces.images: decoded as PIL does, resized if not
  96x96, unreadable files skipped and counted), the first `--size-per-dataset` (30000) in
  natural order as faces/{i}.jpg; each epoch a seeded permutation. `--loaders` not ported.
- BCE is today's PyTorch BCELoss (torch_bce); Adam's epsilon 1e-8 before the bias correction
  (PyTorch 0.4 and Keras).
- G runs forward once per batch (the one-pass section below): the same numbers.
- losses.csv (per epoch: the last batch's losses, the epoch means, the SWD) replaces the two
  loss_*.txt files; samples/epoch_NNN.png the saved/img grids, as (img + 1) / 2
  (`--bytescale-grids`: scipy.misc.imsave's stretch); evolution.gif in training order.
- `torch.save` every 20 epochs becomes *.weights.h5, plus the runner's checkpoints for
  `--resume` (not `--pre_train`); Ctrl-C saves one at the current batch.
- tqdm becomes the run's progress bar with main.py's `D:..., G:...` text.
- Grids and SWD sample G in training mode without touching BatchNorm's running statistics
  (`--sample-bn moving`: inference mode).
- Added: the sliced Wasserstein distance (every save, the end, `--evaluate`), and
  `--jit-compile`, `--mixed-precision`, `--strategy` (keras_models/dcgan_scale.py overrides
  DCGAN for them). The settings config.json records, the SWD and the checkpoints' timing are
  keras_models/dcgan_extras.py's.
"""
import functools
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from gantools.run import rundir
from gantools.faces.images import SCALINGS, printable
from gantools.faces.scale import startup_line
from gantools.torch_compat import BatchNorm2d, torch_bce
from gantools.training import describe_swd, run_without_side_effects, save_weights

IMAGE_SIZE = 96
input_dim = 100           # Generate(input_dim=100)
lr, beta1, batch_size, epochs = 0.0001, 0.5, 64, 500  # main.py's argparse defaults
save_every = 20           # `if epoch % 20 == 0`
size_per_dataset = 30000  # faces/0.jpg ... faces/29999.jpg
grid_samples = 64         # fixed_noise = torch.randn(64, 100, 1, 1)
swd_images = 1024


# ##### model.py (each block's output size in NHWC, as pytorch/examples' dcgan comments it)

def conv_init():
    return keras.initializers.RandomNormal(0.0, 0.01)  # weight_init: normal_(0, 0.01)


def batch_norm(name, synchronized=False, momentum=0.9):
    """BatchNorm2d after weight_init: gamma N(1, 0.01), beta 0; PyTorch's eps, and momentum
    0.1 (Keras's 0.9). `synchronized`: statistics over the global batch (dcgan_scale.py)."""
    return BatchNorm2d(momentum=momentum, epsilon=1e-5, name=name, synchronized=synchronized,
                       gamma_initializer=keras.initializers.RandomNormal(1.0, 0.01),
                       beta_initializer="zeros")


# PyTorch's padding of a stride-2 convolution: 0 is 'valid'; 1 with a kernel of 4 is 'same',
# which pads (or crops) (4 - 2) / 2 = 1 on each side.
PADDING = {0: "valid", 1: "same"}


def convtrans_block(x, index, out_channel, kernel_size, padding, stride, layer=None,
                    synchronized=False):
    name = "convtrans%d" % index
    x = layers.Conv2DTranspose(out_channel, kernel_size, stride, PADDING[padding],
                               use_bias=False, kernel_initializer=conv_init(), name=name)(x)
    if layer == "last_layer":  # float32 also under mixed precision
        return layers.Activation("tanh", name=name + "_tanh", dtype="float32")(x)
    x = batch_norm(name + "_bn", synchronized, G_BN_MOMENTUM)(x)
    return layers.ReLU(name=name + "_relu")(x)


def Generate(input_dim=input_dim, synchronized=False):
    channel = [512, 256, 128, 64, 3]
    kernel_size, stride, padding = 4, 2, 1
    block = functools.partial(convtrans_block, stride=stride, synchronized=synchronized)
    inp = keras.Input((input_dim,), name="noise")
    x = layers.Reshape((1, 1, input_dim), name="reshape")(inp)  # 1 x 1 x 100 (NCHW 100x1x1)
    x = block(x, 1, channel[0], 6, padding=0)                    # 6 x 6 x 512
    x = block(x, 2, channel[1], kernel_size, padding)            # 12 x 12 x 256
    x = block(x, 3, channel[2], kernel_size, padding)            # 24 x 24 x 128
    x = block(x, 4, channel[3], kernel_size, padding)            # 48 x 48 x 64
    x = block(x, 5, channel[4], kernel_size, padding, layer="last_layer")  # 96 x 96 x 3
    return keras.Model(inp, x, name="generate")


def conv_block(x, index, outchannel, kernel_size, stride, padding, layer=None,
               synchronized=False):
    name = "conv%d" % index
    x = layers.Conv2D(outchannel, kernel_size, stride, PADDING[padding], use_bias=False,
                      kernel_initializer=conv_init(), name=name)(x)
    if layer == "last_layer":  # float32 also under mixed precision: the BCE sees float32
        return layers.Activation("sigmoid", name=name + "_sigmoid", dtype="float32")(x)
    if layer != "first_layer":
        x = batch_norm(name + "_bn", synchronized)(x)
    return layers.LeakyReLU(negative_slope=0.2, name=name + "_lrelu")(x)


def Discriminator(synchronized=False):
    channels = [3, 64, 128, 256, 512]
    kernel_size, stride, padding = 4, 2, 1
    block = functools.partial(conv_block, synchronized=synchronized)
    inp = keras.Input((IMAGE_SIZE, IMAGE_SIZE, channels[0]), name="image")  # 96 x 96 x 3
    x = block(inp, 1, channels[1], kernel_size, stride, padding, "first_layer")  # 48 x 48 x 64
    x = block(x, 2, channels[2], kernel_size, stride, padding)                 # 24 x 24 x 128
    x = block(x, 3, channels[3], kernel_size, stride, padding)                 # 12 x 12 x 256
    x = block(x, 4, channels[4], kernel_size, stride, padding)                 # 6 x 6 x 512
    x = block(x, 5, 1, kernel_size + 1, stride, 0, "last_layer")               # 1 x 1 x 1
    x = layers.Flatten(name="squeeze", dtype="float32")(x)  # (N, 1); PyTorch squeezes: (N,)
    return keras.Model(inp, x, name="discriminator")


# ##### The port's one forward pass of G per batch (an optimisation: the same numbers)
# main.py runs generate(noise) for D's step and again for G's. G has not changed in between,
# so both passes give the same images: the port runs G once and keeps that pass's tape for
# G's gradient (a step about 10% faster). G's BatchNorm layers, whose running statistics
# main.py updated twice with the same batch statistic s, update them once with momentum
# 0.9 ** 2: 0.9 (0.9 r + 0.1 s) + 0.1 s = 0.81 r + 0.19 s. D's step does not record G: what
# main.py's undetached fake batch gives G there, optimizer_G.zero_grad() drops.
G_BN_MOMENTUM = 0.9 ** 2


def generate_once(generate, noise):
    """G(noise) for both steps, and the tape that recorded it (G's step records on)."""
    with tf.GradientTape() as tape:
        fake_data = generate(noise, training=True)
    return fake_data, tape


# ##### main.py: the models, the optimisers, the noise and one batch of the loop

class DCGAN:
    def __init__(self, seed=0, lr=lr, beta1=beta1, input_dim=input_dim):
        self.seed, self.input_dim = seed, input_dim
        self.generate, self.discriminator = self.models(input_dim)
        self.optimizer_G = self.adam(lr, beta1, self.generate)
        self.optimizer_D = self.adam(lr, beta1, self.discriminator)
        self.rng = tf.random.Generator.from_seed(seed)  # torch.randn of the training noise
        self.loss_sums = tf.Variable(tf.zeros(2, tf.float64), trainable=False)  # D, G so far
        self.fixed_noise = np.random.default_rng([seed, 1]).standard_normal(  # its own stream
            (grid_samples, input_dim)).astype(np.float32)
        self.checkpoint = tf.train.Checkpoint(
            generate=self.generate, discriminator=self.discriminator,
            optimizer_G=self.optimizer_G, optimizer_D=self.optimizer_D, rng=self.rng,
            loss_sums=self.loss_sums)  # the loop's position is the run's (run.range)
        self.train_step = tf.function(self._train_step, reduce_retracing=True, input_signature=[
            tf.TensorSpec((None, IMAGE_SIZE, IMAGE_SIZE, 3), tf.float32)])

    def models(self, input_dim):
        """Generate().apply(weight_init), Discriminator().apply(weight_init)."""
        return Generate(input_dim), Discriminator()

    def adam(self, lr, beta1, model):
        """Adam(model.parameters(), lr, betas=(beta1, 0.999)), eps 1e-8 as PyTorch's."""
        optimizer = keras.optimizers.Adam(lr, beta1, 0.999, epsilon=1e-8)
        optimizer.build(model.trainable_variables)
        return optimizer

    def criterion(self, output, label):
        """criterion = nn.BCELoss(): the batch's mean."""
        return torch_bce(output, label)

    def step(self, optimizer, model, tape, loss):
        """loss.backward(); optimizer.step() (after optimizer.zero_grad(): a new tape)."""
        variables = model.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

    def updates(self, real_data, noise):
        """main.py's batch: D, then G on the same noise."""
        fake_data, tape_G = generate_once(self.generate, noise)
        ############################
        # (1) Update D network: BCE(D(x), 1) + BCE(D(G(z)), 0)
        ###########################
        with tf.GradientTape() as tape_D:
            real_output = self.discriminator(real_data, training=True)
            real_loss = self.criterion(real_output, 1.0)
            fake_output = self.discriminator(fake_data, training=True)
            fake_loss = self.criterion(fake_output, 0.0)
            loss_D = real_loss + fake_loss
        self.step(self.optimizer_D, self.discriminator, tape_D, loss_D)
        ############################
        # (2) Update G network: BCE(D(G(z)), 1), through D as D's step left it
        ###########################
        with tape_G:
            fake_output = self.discriminator(fake_data, training=True)
            loss_G = self.criterion(fake_output, 1.0)
        self.step(self.optimizer_G, self.generate, tape_G, loss_G)
        return tf.stack([loss_D, loss_G])

    def _train_step(self, real_data):
        """One batch: its noise (torch.randn(B, 100, 1, 1)), the updates, the loss sums."""
        noise = self.rng.normal((tf.shape(real_data)[0], self.input_dim))
        losses = self.updates(real_data, noise)
        self.loss_sums.assign_add(tf.cast(losses, tf.float64))
        return losses

    def sample(self, noise, sample_bn="batch"):
        """G(noise) as numpy in [-1, 1], in batches of 64 like the original's fixed_noise."""
        return run_without_side_effects(self.generate, noise, grid_samples,
                                        training=sample_bn == "batch")


# ##### utils.py

def creat_gif(gif_name, img_path, duration=0.3):
    """The grids in training order (the original took os.listdir's order)."""
    from gantools.plots import write_gif
    write_gif(sorted(Path(img_path).glob("epoch_*.png")), gif_name,
              duration_ms=round(duration * 1000))


def visualize_loss(losses_csv, path):
    from gantools.plots import plot_losses
    plot_losses(rundir.read_losses(losses_csv), path,
                {"loss_g": "generate", "loss_d": "discriminator"}, x="epoch",
                colors={"loss_g": "g", "loss_d": "b"}, title="DCGAN_Anime", xlabel="epoch",
                ylabel="loss")


# ##### main.py, with the run's services (gantools.run.runner.Run): one unit is one batch

def saves(epoch, args):
    """main.py's `epoch % 20 == 0` (--save-every), and the last epoch."""
    return epoch % args.save_every == 0 or epoch == args.epochs - 1


def make_gan(args, seed, replicas):
    """main.py's models and optimisers with the flags' settings; with a device option
    (--strategy, --mixed-precision, --jit-compile) keras_models/dcgan_scale.py's."""
    if replicas.plain:
        return DCGAN(seed, args.lr, args.beta1)
    from keras_models.dcgan_scale import ScaledDCGAN
    return ScaledDCGAN(seed, args.lr, args.beta1, replicas=replicas)


def main(run):
    """main.py: the models, then for each epoch its batches (D, then G) and, every
    --save-every epochs and after the last, the grid of fixed_noise, the SWD and the
    models; then the GIF and the loss figure."""
    from keras_models import dcgan_extras as extras  # it imports this module
    args, dataset = run.args, run.data
    replicas = run.program.replicas  # the devices the command line set up (gantools.faces.scale)
    print(startup_line(replicas), flush=True)
    gan = make_gan(args, run.seed, replicas)
    n_batches = dataset.batches_per_epoch(args.batch_size)
    distance = None  # the last SWD

    def restore(folder, state):  # models, optimisers, noise stream, the epoch's loss sums
        nonlocal distance
        # every variable is restored; older versions' epoch/batch counters are left unread
        gan.checkpoint.read(str(folder / "state")).expect_partial() \
            .assert_existing_objects_matched()
        distance = state["swd_x1e3"]

    run.start(args.epochs, per=n_batches, restore=restore,
              save=lambda folder: gan.checkpoint.write(str(folder / "state")),
              state=lambda: {"swd_x1e3": distance},
              config=extras.hyper_parameters(args, dataset, replicas),
              parameters=extras.trainable_parameters(gan),
              checkpoint_due=lambda done: extras.checkpoint_due(done, n_batches, args),
              generate=lambda n, seed: (gan.sample(extras.evaluation_noise(gan, n, seed),
                                                   args.sample_bn) + 1) / 2,
              measure=lambda: dict(swd_x1e3=extras.measure(gan, args, dataset, run.seed),
                                   data=printable(dataset.root)))

    for epoch in run.range(args.epochs, n_batches):
        run.print("Main epoch{}:".format(epoch))
        started = time.perf_counter()
        dataload = dataset.epoch(args.batch_size, run.seed, epoch, run.first_batch,
                                 scale=SCALINGS[args.scaling])
        for i, inp in run.batches(dataload, skip=False):
            loss_D, loss_G = gan.train_step(inp).numpy()
            run.show("D:{}, G:{}".format(loss_D, loss_G))  # main.py's printed line
        # the epoch's row: its last batch's losses (the .txt files) and its means
        means = gan.loss_sums.numpy() / n_batches
        row = dict(epoch=epoch, loss_d=float(loss_D), loss_g=float(loss_G),
                   loss_d_mean=float(means[0]), loss_g_mean=float(means[1]), swd="",
                   seconds=round(time.perf_counter() - started, 2))
        gan.loss_sums.assign(tf.zeros(2, tf.float64))
        if saves(epoch, args) and run.files:  # main.py's `if epoch % 20 == 0`
            from gantools.plots import write_image_grid
            (run.run_dir / "samples").mkdir(exist_ok=True)
            write_image_grid(gan.sample(gan.fixed_noise, args.sample_bn),
                             run.run_dir / "samples" / ("epoch_%03d.png" % epoch),
                             bytescale=args.bytescale_grids)
            distance = extras.measure(gan, args, dataset, run.seed)
            run.print(describe_swd(distance))
            save_weights(gan.generate, run.run_dir / "generate.weights.h5")
            save_weights(gan.discriminator, run.run_dir / "discriminator.weights.h5")
            row["swd"] = round(distance["avg"], 4)
        run.log(**row)

    creat_gif(run.run_dir / "evolution.gif", run.run_dir / "samples")
    visualize_loss(run.run_dir / "losses.csv", run.run_dir / "losses.png")
    losses = rundir.read_losses(run.run_dir / "losses.csv")
    return dict(epochs=args.epochs, swd_x1e3=distance,
                final_loss_d=float(losses["loss_d"][-1]),
                final_loss_g=float(losses["loss_g"][-1]),
                seconds_per_batch=round(np.sum(losses["seconds"]) / run.total, 4))
