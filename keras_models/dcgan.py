"""The blog's DCGAN on 96x96 anime faces, from PyTorch to Keras 3 (program S2).

Ports section 4 ("实现DCGAN") of seed 001 (FangYang's 2018 blog post), whose code is
FangYang970206/Anime_GAN `DCGAN/model.py`, `AnimeDataset.py`, `utils.py` and `main.py` (SPEC
S2): the generator `Generate` maps N(0, 1) noise of 100 values through five transposed
convolutions (100 -> 512 -> 256 -> 128 -> 64 -> 3 channels, 1 -> 6 -> 12 -> 24 -> 48 -> 96
pixels; BatchNorm and ReLU after the first four, tanh after the last); the `Discriminator`
mirrors it with strided convolutions, LeakyReLU 0.2, BatchNorm on blocks 2-4 and a sigmoid.
All convolutions are bias-free; `weight_init` draws convolution weights from N(0, 0.01) and
BatchNorm scales from N(1, 0.01), shifts 0. Training as `main.py`: for each batch, D on the
real images (target 1) and on G(noise) (target 0), one Adam step; then G on the same noise
(target 1), one Adam step; BCE; Adam 1e-4, betas (0.5, 0.999); batch 64; 500 epochs; every
20 epochs an 8x8 grid of 64 fixed noise vectors and the models saved; `evolution.gif` and the
loss plot at the end. Trainable parameters: G 4,600,704, D 2,770,176.

Layer by layer, NCHW PyTorch becomes NHWC Keras:
- ConvTranspose2d(k, stride 2, padding p, bias=False): PyTorch's output is the full
  transposed convolution with p rows and columns removed on each side, out = (in - 1) 2 -
  2p + k. With p = 0 (the first layer) that is Conv2DTranspose(k, 2, 'valid'); with k = 4,
  p = 1 it is Conv2DTranspose(4, 2, 'same'), which removes (k - 2) / 2 = 1 on each side.
- Conv2d(4, stride 2, padding 1, bias=False) is Conv2D(4, 2, 'same'): on an even input 'same'
  pads (k - 2) / 2 = 1 zero on each side. The last Conv2d(5, 2, 0) is Conv2D(5, 2, 'valid').
  ('same' instead of Cropping2D/ZeroPadding2D + 'valid', which compute the same, makes the
  training step about 10% faster on CPU: no copies, fewer output pixels; see bench/.)
- BatchNorm2d (eps 1e-5, momentum 0.1) is BatchNormalization(epsilon=1e-5, momentum=0.9):
  PyTorch's momentum weighs the new batch, Keras's the old average. Its running variance is
  updated with the unbiased batch variance, as PyTorch's (`gantools.torch_compat.BatchNorm2d`; Keras's own
  layer uses the biased one).
- The generator's input is (N, 100) reshaped to (N, 1, 1, 100) (PyTorch: (N, 100, 1, 1)); D's
  (N, 1, 1, 1) output is flattened to (N, 1) (PyTorch squeezes it to (N,)).

Deliberate differences (bug fixes and API migrations; the defaults train what main.py trains):
- Images are scaled to [-1, 1]: the seed's `img.transpose(2,0,1)-127.5/127.5` subtracts 1
  (range [-1, 254]); the upstream repository fixed it to `(img - 127.5)/127.5` in 2019.
- Data: the JPEG/PNG files below `--data` (default faces/, the original's folder), decoded
  by a tf.data pipeline (gantools.images) as PIL decoded them for the original's
  scipy.misc.imread; the first 30,000 in natural order by default, as the original read
  faces/0.jpg ... faces/29999.jpg (`--size_per_dataset` 30000, here `--size-per-dataset`;
  `--size-per-dataset all` takes every image). Images that are not 96x96 are resized (the
  original would crash); unreadable files are skipped and counted. The per-epoch order is a
  seeded permutation, so `--resume` continues exactly. `--loaders` (ignored by the
  original, which hard-coded 4 workers) is not ported.
- BCE is today's PyTorch BCELoss, forward and backward (gantools.torch_compat.torch_bce): D's
  sigmoid output is taken as a probability, as the original's is. PyTorch 0.4's BCELoss took
  log(p + 1e-12) where today's clamps log p at -100: they differ only for a saturated D.
  Adam is PyTorch 0.4's: epsilon 1e-8 added to sqrt(v) before the bias correction, which is
  also what Keras computes (PyTorch moved it after the bias correction in 2019).
- G runs forward once per batch: main.py computes `generate(noise)` for D's step and again
  for G's, but G has not changed in between, so the images are the same; the port keeps the
  first pass's tape for G's gradient (a step about 10% faster). G's BatchNorm layers, whose
  running statistics main.py updated twice with the same batch statistics, update them once
  with momentum 0.9 ** 2: the same values. The fake batch does not reach D's gradient tape:
  in main.py it is not detached, so D's loss also back-propagates into G, but
  `optimizer_G.zero_grad()` discards those gradients before G's step: the updates are the
  same (tested against main.py's step written out, and beside PyTorch running main.py's
  step in tests/test_side_by_side_torch.py).
- The original's two loss files (`loss_G:{value}` per epoch, last batch) become
  `losses.csv` with the last batch's losses and the epoch means (which main.py computed but
  never used); the 25 saved grids `saved/img/{epoch}.png` become `samples/epoch_NNN.png`,
  written with (img + 1) / 2 as the original meant (scipy.misc.imsave, removed from SciPy,
  also stretched each grid to its own min-max: `--bytescale-grids`); `evolution.gif` takes
  the frames in training order (the original used the unsorted os.listdir order).
- `torch.save` of the whole modules every 20 epochs becomes `generate.weights.h5` and
  `discriminator.weights.h5`, plus a checkpoint of both models, both optimisers, the random
  stream and the position in the data, for `--resume` (the original's `--pre_train`, a
  type=bool flag that also re-initialised the loaded weights with weight_init: not here).
  Grid, weights and checkpoint are also written after the last epoch, and Ctrl-C saves a
  checkpoint at the current batch.
- tqdm's progress bar becomes gantools' Progress with the same `D:..., G:...` text (one
  line per tenth of the epoch when the output is not a terminal).
- The grids and the quality metric sample G in training mode (batch statistics, as the
  original), in batches of 64, without changing BatchNorm's moving averages (which are never
  used); `--sample-bn moving` samples in inference mode instead.
- Added: the sliced Wasserstein distance between generated and real images (gantools.metrics)
  at every save and at the end (`losses.csv`, `metrics.json`), and `--evaluate`.
- Added: `--jit-compile`, `--mixed-precision` and `--strategy` (gantools.scale). The output
  layers (tanh, sigmoid, squeeze) are float32, a no-op unless `--mixed-precision`; under a
  strategy the BatchNorm layers are synchronised and each replica's loss is weighted by its
  share of the global batch.
"""
import time

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from gantools.cli import ArgumentParser, UsageError, add_run_arguments, positive_float, \
    positive_int
from gantools.images import CACHE_CHOICES, ImageFolder, list_images
from gantools.torch_compat import BatchNorm2d, torch_bce
from gantools.scale import Replicas, add_device_arguments, setup, startup_line, \
    wrap_optimizer
from gantools.rundir import LossLog, read_config, read_losses, start_run, update_json, \
    write_config, write_json
from gantools.training import Checkpoints, Progress, StopRequest, check_resume, \
    describe_swd, run_without_side_effects, save_weights, swd_against_data

IMAGE_SIZE = 96
input_dim = 100          # Generate(input_dim=100)
lr = 0.0001              # main.py's argparse defaults
beta1 = 0.5
batch_size = 64
epochs = 500
save_every = 20          # `if epoch % 20 == 0`
size_per_dataset = 30000  # faces/0.jpg ... faces/29999.jpg
grid_samples = 64        # fixed_noise = torch.randn(64, 100, 1, 1)
swd_images = 1024
DEFAULT_DATA = "faces"   # the original's --dataset


# ##### model.py

def conv_init():
    return keras.initializers.RandomNormal(0.0, 0.01)    # m.weight.data.normal_(0, 0.01)


# G runs forward once per batch where main.py ran it twice on the same noise (DCGAN.updates):
# its BatchNorm layers take both running-statistics updates in one, for running value r and
# batch statistic s: 0.9 (0.9 r + 0.1 s) + 0.1 s = 0.81 r + 0.19 s.
G_BN_MOMENTUM = 0.9 ** 2


def batch_norm(name, synchronized=False, momentum=0.9):
    """BatchNorm2d with weight_init: gamma N(1, 0.01), beta 0; PyTorch's eps and momentum.
    `synchronized`: statistics over the global batch under a tf.distribute strategy."""
    return BatchNorm2d(momentum=momentum, epsilon=1e-5, name=name, synchronized=synchronized,
                       gamma_initializer=keras.initializers.RandomNormal(1.0, 0.01),
                       beta_initializer="zeros")


# PyTorch's padding of a stride-2 convolution with kernel 4 (or of the first, padding 0) as
# Keras's: 'same' pads (or crops) (4 - 2) / 2 = 1 on each side, as padding=1 does.
PADDING = {0: "valid", 1: "same"}


def Generate(input_dim=input_dim, synchronized=False):
    channel = [512, 256, 128, 64, 3]
    kernel_size, stride, padding = 4, 2, 1
    blocks = [(channel[0], 6, 0)] + [(c, kernel_size, padding) for c in channel[1:]]
    inp = keras.Input((input_dim,), name="noise")
    x = layers.Reshape((1, 1, input_dim), name="reshape")(inp)
    for index, (out_channel, kernel, pad) in enumerate(blocks, start=1):
        block = "convtrans%d" % index
        x = layers.Conv2DTranspose(out_channel, kernel, stride, padding=PADDING[pad],
                                   use_bias=False, kernel_initializer=conv_init(),
                                   name=block)(x)
        if index < len(blocks):
            x = batch_norm(block + "_bn", synchronized, G_BN_MOMENTUM)(x)
            x = layers.ReLU(name=block + "_relu")(x)
        else:  # last_layer
            x = layers.Activation("tanh", name=block + "_tanh", dtype="float32")(x)
    return keras.Model(inp, x, name="generate")


def Discriminator(synchronized=False):
    channels = [3, 64, 128, 256, 512]
    kernel_size, stride, padding = 4, 2, 1
    inp = keras.Input((IMAGE_SIZE, IMAGE_SIZE, channels[0]), name="image")
    x = inp
    for index, out_channel in enumerate(channels[1:], start=1):
        block = "conv%d" % index
        x = layers.Conv2D(out_channel, kernel_size, stride, padding=PADDING[padding],
                          use_bias=False, kernel_initializer=conv_init(), name=block)(x)
        if index > 1:  # not first_layer
            x = batch_norm(block + "_bn", synchronized)(x)
        x = layers.LeakyReLU(negative_slope=0.2, name=block + "_lrelu")(x)
    x = layers.Conv2D(1, kernel_size + 1, stride, padding="valid", use_bias=False,  # last_layer
                      kernel_initializer=conv_init(), name="conv5")(x)
    x = layers.Activation("sigmoid", name="conv5_sigmoid", dtype="float32")(x)  # float32
    # also under mixed precision: the probabilities and the BCE stay float32
    return keras.Model(inp, layers.Flatten(name="squeeze", dtype="float32")(x),
                       name="discriminator")


# ##### main.py: models, optimisers, the training step and the state to checkpoint

class DCGAN:
    """Generate, Discriminator, their Adam optimisers, the noise stream and one step of main.py."""

    def __init__(self, seed=0, lr=lr, beta1=beta1, input_dim=input_dim, replicas=None):
        self.input_dim = input_dim
        self.replicas = replicas = replicas or Replicas()
        with replicas.strategy.scope():
            self.generate = Generate(input_dim, synchronized=replicas.distributed)
            self.discriminator = Discriminator(synchronized=replicas.distributed)
            self.optimizer_G = wrap_optimizer(
                keras.optimizers.Adam(lr, beta1, 0.999, epsilon=1e-8), replicas.mixed_precision)
            self.optimizer_D = wrap_optimizer(
                keras.optimizers.Adam(lr, beta1, 0.999, epsilon=1e-8), replicas.mixed_precision)
            self.optimizer_G.build(self.generate.trainable_variables)
            self.optimizer_D.build(self.discriminator.trainable_variables)
        # The noise stream and the counters are plain (not mirrored) variables: every worker
        # draws the same global noise from the same seed, and each replica takes its rows.
        self.rng = tf.random.Generator.from_seed(seed)      # torch.randn for the training noise
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False)   # next epoch to train
        self.batch = tf.Variable(0, dtype=tf.int64, trainable=False)   # next batch in it
        self.loss_sums = tf.Variable(tf.zeros(2, tf.float64), trainable=False)  # D, G so far
        # fixed_noise = torch.randn(64, 100, 1, 1): kept apart from the training stream
        self.fixed_noise = np.random.default_rng([seed, 1]).standard_normal(
            (grid_samples, input_dim)).astype(np.float32)
        self.seed = seed
        self.checkpoint = tf.train.Checkpoint(
            generate=self.generate, discriminator=self.discriminator,
            optimizer_G=self.optimizer_G, optimizer_D=self.optimizer_D, rng=self.rng,
            epoch=self.epoch, batch=self.batch, loss_sums=self.loss_sums)
        # The updates (XLA-compiled with --jit-compile) run on every replica; the noise is
        # drawn outside them, so neither XLA nor the number of replicas changes it.
        self._updates = tf.function(self.updates, jit_compile=True) if replicas.jit_compile \
            else self.updates
        signature = None if replicas.distributed else [
            tf.TensorSpec((None, IMAGE_SIZE, IMAGE_SIZE, 3), tf.float32)]
        self.train_step = tf.function(self._train_step, input_signature=signature,
                                      reduce_retracing=True)

    def trainable_parameters(self):
        return {"generator": count_trainable(self.generate),
                "discriminator": count_trainable(self.discriminator)}

    def train_d(self, real_data, fake_data, share=None):
        """D: BCE(D(real), 1) + BCE(D(fake), 0), one Adam step; G is not updated.
        `share`: this replica's share of the global batch (None: no strategy)."""
        with tf.GradientTape() as tape:
            real_output = self.discriminator(real_data, training=True)
            real_loss = torch_bce(real_output, 1.0)
            fake_output = self.discriminator(fake_data, training=True)
            fake_loss = torch_bce(fake_output, 0.0)
            loss_D = real_loss + fake_loss
            if share is not None:
                loss_D = loss_D * share
            scaled = self.optimizer_D.scale_loss(loss_D)
        variables = self.discriminator.trainable_variables
        self.optimizer_D.apply_gradients(zip(tape.gradient(scaled, variables), variables))
        return loss_D

    def loss_g(self, fake_data, share=None):
        """G's loss: BCE(D(fake), 1), through D as D's step left it."""
        fake_output = self.discriminator(fake_data, training=True)
        loss_G = torch_bce(fake_output, 1.0)
        return loss_G if share is None else loss_G * share

    def updates(self, real_data, noise):
        """D step, then G step on the same noise (on one replica: its rows of the noise).

        main.py runs generate(noise) for D's step and again for G's. G has not changed in
        between, so both passes give the same images: the port runs it once and keeps its
        tape for G's gradient (G's BatchNorm momentum, G_BN_MOMENTUM, takes the running
        statistics' second update)."""
        share = None
        if self.replicas.distributed:
            local = tf.shape(real_data)[0]
            noise = Replicas.shard(noise, local)
            share = Replicas.weight(local)
        with tf.GradientTape() as tape:  # G(noise), then D(G(noise)) after D's step
            fake_data = self.generate(noise, training=True)
            with tape.stop_recording():
                loss_D = self.train_d(real_data, fake_data, share)
            loss_G = self.loss_g(fake_data, share)
            scaled = self.optimizer_G.scale_loss(loss_G)
        variables = self.generate.trainable_variables
        self.optimizer_G.apply_gradients(zip(tape.gradient(scaled, variables), variables))
        return tf.stack([loss_D, loss_G])

    def _train_step(self, real_data):
        """One batch of main.py's loop (real_data: a global batch, or per-replica values
        from Replicas.split)."""
        replicas = self.replicas
        if replicas.distributed:
            size = replicas.sum(replicas.run(lambda x: tf.shape(x)[0], (real_data,)))
        else:
            size = tf.shape(real_data)[0]
        noise = self.rng.normal((size, self.input_dim))
        losses = replicas.run(self._updates, (real_data, noise))
        if replicas.distributed:
            losses = replicas.sum(losses)
        self.loss_sums.assign_add(tf.cast(losses, tf.float64))
        self.batch.assign_add(1)
        return losses

    def sample(self, noise, sample_bn="batch"):
        """G(noise) as numpy in [-1, 1], in batches of 64 like the original's fixed_noise."""
        return run_without_side_effects(self.generate, noise, grid_samples,
                                        training=sample_bn == "batch")

    def evaluation_noise(self, n):
        """Noise for the quality metric: the same at every evaluation, apart from training."""
        return np.random.default_rng([self.seed, 2]).standard_normal(
            (n, self.input_dim)).astype(np.float32)


def count_trainable(model):
    return sum(int(np.prod(v.shape)) for v in model.trainable_variables)


# ##### The program

def build_parser():
    parser = ArgumentParser(
        prog="dcgan_anime.py",
        description="The blog's DCGAN (seed 001, FangYang970206/Anime_GAN, PyTorch) in Keras 3: "
                    "96x96 anime faces from 100 N(0, 1) values.")
    original = parser.add_argument_group("the original's settings (main.py)")
    original.add_argument("--data", "--dataset", type=str, default=DEFAULT_DATA,
                          help="folder of face images (every JPEG/PNG below it)")
    original.add_argument("--lr", type=positive_float, default=lr,
                          help="Adam learning rate of generate and discriminator")
    original.add_argument("--beta1", type=positive_float, default=beta1,
                          help="Adam beta1 (beta2 is 0.999)")
    original.add_argument("--batch-size", type=positive_int, default=batch_size,
                          help="images per batch")
    original.add_argument("--epochs", type=positive_int, default=epochs,
                          help="passes over the data")
    original.add_argument("--size-per-dataset", type=count_or_all, default=size_per_dataset,
                          metavar="N|all",
                          help="use the first N images in natural order, as the original "
                               "read faces/0.jpg ... faces/N-1.jpg (default %(default)s); "
                               "'all': every image below --data")
    original.add_argument("--save-every", type=positive_int, default=save_every,
                          help="epochs between grids, saved models and checkpoints")
    added = parser.add_argument_group("added")
    added.add_argument("--resume", action="store_true",
                       help="continue the run in --out from its last checkpoint (same "
                            "settings; --epochs may be raised)")
    added.add_argument("--evaluate", action="store_true",
                       help="only compute the quality metric of the run in --out (its last "
                            "checkpoint) against --data, and update its metrics.json")
    added.add_argument("--swd-images", type=positive_int, default=swd_images,
                       help="generated and real images for the sliced Wasserstein distance")
    added.add_argument("--cache", choices=CACHE_CHOICES, default="auto",
                       help="keep the decoded images in memory: auto = if they take less "
                            "than a quarter of the RAM")
    added.add_argument("--sample-bn", choices=["batch", "moving"], default="batch",
                       help="BatchNorm statistics when sampling: batch (the original: G in "
                            "training mode) or moving averages")
    added.add_argument("--bytescale-grids", action="store_true",
                       help="stretch each grid to its own min-max, as scipy.misc.imsave did")
    add_device_arguments(parser)
    add_run_arguments(parser, "dcgan_anime")
    return parser


def count_or_all(text):
    """--size-per-dataset: a positive number of images, or 'all' (None: no limit)."""
    return None if text == "all" else positive_int(text)


def hyperparameters(args):
    return dict(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                betas=[args.beta1, 0.999], adam_epsilon=1e-8, input_dim=input_dim,
                data=args.data, size_per_dataset=args.size_per_dataset,
                save_every=args.save_every, grid_samples=grid_samples,
                swd_images=args.swd_images, sample_bn=args.sample_bn,
                bytescale_grids=args.bytescale_grids, image_size=IMAGE_SIZE,
                conv_init_std=0.01, bn_gamma_init=[1.0, 0.01], bn_epsilon=1e-5,
                bn_momentum_pytorch=0.1, leaky_relu_slope=0.2, loss="PyTorch BCELoss",
                normalisation="[-1, 1]", mixed_precision=args.mixed_precision)


# Settings a resumed run may change: more epochs, where the data lives and how it is read.
RESUME_MAY_CHANGE = ("epochs", "data", "swd_images", "deterministic")

LOSS_COLUMNS = ["epoch", "loss_d", "loss_g", "loss_d_mean", "loss_g_mean", "swd", "seconds"]


def swd(gan, folder, n, seed, sample_bn):
    """SWD x 1e3 (per level and 'avg') between n generated and n real images."""
    return swd_against_data(gan.sample(gan.evaluation_noise(min(n, len(folder))), sample_bn),
                            folder, seed)


def save(gan, run_dir, epoch, args, folder):
    """Every --save-every epochs: the grid of fixed noise, the SWD and the models."""
    from gantools.plots import write_image_grid
    write_image_grid(gan.sample(gan.fixed_noise, args.sample_bn),
                     run_dir / "samples" / ("epoch_%03d.png" % epoch),
                     bytescale=args.bytescale_grids)
    distance = swd(gan, folder, args.swd_images, args.seed, args.sample_bn)
    print(describe_swd(distance), flush=True)
    save_weights(gan.generate, run_dir / "generate.weights.h5")
    save_weights(gan.discriminator, run_dir / "discriminator.weights.h5")
    return distance


def train(gan, folder, args, run_dir):
    """main.py's loop from the checkpointed position to args.epochs, writing files as it goes.

    Ctrl-C (or SIGTERM) stops after the current batch with a checkpoint of that position, so
    --resume continues with the next batch.
    """
    start_epoch = int(gan.epoch.numpy())
    n_batches = folder.batches_per_epoch(args.batch_size)
    checkpoints = Checkpoints(gan.checkpoint, run_dir / "checkpoints")
    (run_dir / "samples").mkdir(exist_ok=True)
    distance = {}
    with StopRequest() as stop, LossLog(run_dir / "losses.csv", LOSS_COLUMNS,
                                        keep_until=start_epoch) as log:
        for epoch in range(start_epoch, args.epochs):
            print("Main epoch{}:".format(epoch), flush=True)
            started = time.perf_counter()
            first = int(gan.batch.numpy())
            done = min(first * args.batch_size, len(folder))
            progress = Progress(len(folder), start=done)
            for real_data in folder.epoch(args.batch_size, args.seed, epoch, first):
                loss_D, loss_G = gan.train_step(gan.replicas.split(real_data)).numpy()
                done += int(real_data.shape[0])
                progress.update(done, "D:{}, G:{}".format(loss_D, loss_G))
                if stop.requested:
                    break
            progress.close()
            batch = int(gan.batch.numpy())
            if batch < n_batches:  # stopped inside the epoch
                checkpoints.save(epoch * n_batches + batch)
                print("Interrupted: checkpoint saved at epoch {} batch {}; continue with "
                      "--resume".format(epoch, batch), flush=True)
                raise KeyboardInterrupt
            means = gan.loss_sums.numpy() / n_batches
            row = dict(epoch=epoch, loss_d=float(loss_D), loss_g=float(loss_G),
                       loss_d_mean=float(means[0]), loss_g_mean=float(means[1]), swd="",
                       seconds=round(time.perf_counter() - started, 2))
            gan.epoch.assign(epoch + 1)
            gan.batch.assign(0)
            gan.loss_sums.assign(tf.zeros(2, tf.float64))
            final = epoch == args.epochs - 1
            if epoch % args.save_every == 0 or final:
                distance = save(gan, run_dir, epoch, args, folder)
                row["swd"] = round(distance["avg"], 4)
            log.write(**row)
            log.flush()
            if epoch % args.save_every == 0 or final or stop.requested:
                checkpoints.save((epoch + 1) * n_batches)
            if stop.requested and not final:
                print("Interrupted: checkpoint saved after epoch {}; continue with "
                      "--resume".format(epoch), flush=True)
                raise KeyboardInterrupt
    return distance


def save_figures(run_dir):
    from gantools.plots import plot_losses, write_gif
    write_gif(sorted((run_dir / "samples").glob("epoch_*.png")), run_dir / "evolution.gif",
              duration_ms=300)
    plot_losses(read_losses(run_dir / "losses.csv"), run_dir / "losses.png",
                {"loss_g": "generate", "loss_d": "discriminator"}, x="epoch",
                colors={"loss_g": "g", "loss_d": "b"}, title="DCGAN_Anime", xlabel="epoch",
                ylabel="loss")


def load_data(args, data):
    return ImageFolder(data, IMAGE_SIZE, limit=args.size_per_dataset, cache=args.cache)


def evaluate(args):
    """--evaluate: SWD of the run's last checkpoint against the data, into metrics.json."""
    run_dir = start_run(args, resume=True)
    config = read_config(run_dir)
    seed, sample_bn = config["seed"], config.get("sample_bn", "batch")
    gan = DCGAN(seed=seed)
    latest = Checkpoints(gan.checkpoint, run_dir / "checkpoints").restore(partial=True, flag="--evaluate")
    args.size_per_dataset = config.get("size_per_dataset")
    folder = load_data(args, args.data)
    distance = swd(gan, folder, args.swd_images, seed, sample_bn)
    update_json(run_dir / "metrics.json", swd_x1e3=distance, evaluated_checkpoint=latest,
                   evaluated_epochs=int(gan.epoch.numpy()), evaluated_data=str(folder.root))
    print("{} after {} epochs ({}), against {}".format(
        describe_swd(distance), int(gan.epoch.numpy()), latest, folder.root))
    return 0


def main(argv=None):
    args = build_parser().parse_args(argv)
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
    gan = DCGAN(seed=args.seed, lr=args.lr, beta1=args.beta1, replicas=replicas)
    if args.resume:
        folder.check_same_as(config)
        latest = Checkpoints(gan.checkpoint, run_dir / "checkpoints").restore()
        if int(gan.epoch.numpy()) >= args.epochs:
            raise UsageError("--resume: the run has already trained {} epochs; pass a larger "
                             "--epochs".format(int(gan.epoch.numpy())))
        print("Resuming {} at epoch {} batch {}".format(latest, int(gan.epoch.numpy()),
                                                        int(gan.batch.numpy())), flush=True)
    else:
        write_config(run_dir, args, dict(hparams, dataset=folder.summary(),
                                         devices_and_scale=replicas.describe()),
                     gan.trainable_parameters())
    n_batches = folder.batches_per_epoch(args.batch_size)
    steps_before = int(gan.epoch.numpy()) * n_batches + int(gan.batch.numpy())
    started = time.perf_counter()
    distance = train(gan, folder, args, run_dir)
    seconds = time.perf_counter() - started
    save_figures(run_dir)
    losses = read_losses(run_dir / "losses.csv")
    write_json(run_dir / "metrics.json", dict(
        epochs=int(gan.epoch.numpy()), swd_x1e3=distance,
        final_loss_d=float(losses["loss_d"][-1]), final_loss_g=float(losses["loss_g"][-1]),
        train_seconds=round(seconds, 2),
        seconds_per_batch=round(seconds / max(args.epochs * n_batches - steps_before, 1), 4)))
    if replicas.worker_finished(run_dir):  # the chief's files are the run's
        return 0
    print("Wrote {} (samples/, evolution.gif, losses.png, losses.csv, metrics.json)".format(
        run_dir))
    return 0
