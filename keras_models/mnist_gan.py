"""The blog's MNIST MLP GAN, from PyTorch 0.2 to Keras 3 (program S5).

Ports section 3 ("MNIST") of seed 002, jiweibo's 2017 post: Generator, Discriminator,
build_model, fit (d_steps D updates, then g_steps G updates on the same noise), sampler and
show_sample_img, in the post's order and names (originals/mnist_gan_torch.py); the command
line (flags, data, summary) is keras_models/mnist_gan_cli.py. The rest of
its code is lost; SPEC S5 decides it: hidden size 256, Adam 2e-4 with betas (0.5, 0.999) for
both nets, batches of 64, 100 epochs, smooth 0.1, d_steps = g_steps = 1, sample_size 25,
print_interval 100, MNIST scaled to [-1, 1]. The reasons and measurements: README (S5).
Deliberate differences (the defaults compute what the post computed):
- No dropout by default: F.dropout(x, p=0.2) without training= was the identity on PyTorch
  0.2. `--dropout 0.2` applies it as PyTorch >= 1.0 does, also when sampling (F.dropout
  ignores eval()) unless `--no-sample-dropout`.
- gen_batch (lost): every epoch a new shuffle of all training images, cut into full batches.
- The fake target zeros(batch_size, 0) is zeros(batch_size, 1), as intended (SPEC).
- The printed losses are means over the print_interval batches (the post reset its sums at
  every batch); the stray `)` of the post's format string is dropped.
- Dense layers start as nn.Linear does; BCE is PyTorch 0.2's (era_bce, log(p + 1e-12) on D's
  probability), written out; opt-in --bce logits, Keras's from D's logit; Adam's epsilon is
  PyTorch's 1e-8; one `--lr` for d_lr and g_lr.
- One batch of fit is one tf.function; the order, the noise and the dropout masks come from
  seeded streams of (--seed, epoch); the figures and metrics draw from streams of their own.
- save_sample_img writes samples/epoch_NNN.png; save_model models/*_epoch_NNN.keras.
- Added: losses.csv/.png, evolution.gif, metrics.json (the MNIST quality metrics), --resume
  (a checkpoint every epoch, and on Ctrl-C after the batch in progress), `--evaluate`; the
  metrics, --sample's digits, the figures and config.json's settings are
  keras_models/mnist_gan_extras.py's.
"""
import contextlib

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from gantools.mnist import DATA_STREAM, GRID_STREAM, NOISE_STREAM, images, stream_rng
from gantools.torch_compat import criterion, torch_linear

# Model params and the post's settings (SPEC S5: the post's values are lost)
g_input_size, g_hidden_size, g_output_size = 100, 256, 784  # noise U(-1, 1) of size 100
d_input_size, d_hidden_size, d_output_size = 784, 256, 1
dropout_p = 0.0       # F.dropout(x, p=0.2) on PyTorch 0.2 (training=False): the identity
post_dropout_p = 0.2  # the p the post wrote (--dropout 0.2)
d_lr = g_lr = 2e-4
betas, adam_epsilon = (0.5, 0.999), 1e-8  # PyTorch's epsilon (Keras's default: 1e-7)
batch_size, num_epoch, smooth, d_steps, g_steps = 64, 100, 0.1, 1, 1
sample_size, print_interval, save_every = 25, 100, 10  # a 5x5 figure; save_model every 10


# ##### 生成器 / 判别器 (the models)


def Generator(input_size, hidden_size, output_size, p=dropout_p):
    x = keras.Input((input_size,))
    h = layers.Dropout(p, name='dropout1')(
        torch_linear(input_size, hidden_size, 'relu', 'fc1')(x))
    h = layers.Dropout(p, name='dropout2')(
        torch_linear(hidden_size, hidden_size, 'relu', 'fc2')(h))
    return keras.Model(x, torch_linear(hidden_size, output_size, 'tanh', 'fc3')(h),
                       name='generator')


def Discriminator(input_size, hidden_size, output_size=1, p=dropout_p):
    x = keras.Input((input_size,))
    h = layers.Dropout(p, name='dropout1')(
        torch_linear(input_size, hidden_size, 'relu', 'fc1')(x))
    h = layers.Dropout(p, name='dropout2')(
        torch_linear(hidden_size, hidden_size, 'relu', 'fc2')(h))
    return keras.Model(x, torch_linear(hidden_size, output_size, 'sigmoid', 'fc3')(h),
                       name='discriminator')


def dropout_states(model):
    """The random state of each Dropout layer of `model` (none at rate 0: it draws nothing)."""
    return [layer.seed_generator.state for layer in model.layers
            if isinstance(layer, layers.Dropout) and hasattr(layer, 'seed_generator')]


@contextlib.contextmanager
def dropout_seeded_from(model, rng):
    """Inside the block `model`'s Dropout masks come from seeds drawn from `rng`; afterwards
    the layers' training state is put back, as if nothing had been drawn."""
    states = dropout_states(model)
    saved = [state.numpy() for state in states]
    try:
        for state in states:
            state.assign(np.array([rng.integers(1, 2 ** 31), 0], dtype=saved[0].dtype))
        yield
    finally:
        for state, value in zip(states, saved):
            state.assign(value)


# ##### 搭建模型 / 模型训练 (build_model and the body of fit's batch loop)

class GAN:
    """G, D, the criterion and the two Adam optimisers (the post's build_model)."""

    def __init__(self, lr=d_lr, d_steps=d_steps, g_steps=g_steps, smooth=smooth,
                 dropout=dropout_p, sample_dropout=True, bce='era'):
        self.d_steps, self.g_steps, self.smooth = d_steps, g_steps, smooth
        self.sample_dropout = sample_dropout
        self.G = Generator(g_input_size, g_hidden_size, g_output_size, dropout)
        self.D = Discriminator(d_input_size, d_hidden_size, d_output_size, dropout)
        self.criterion = criterion(bce)  # PyTorch 0.2's BCELoss by default
        self.d_optimizer = keras.optimizers.Adam(lr, *betas, epsilon=adam_epsilon)
        self.g_optimizer = keras.optimizers.Adam(lr, *betas, epsilon=adam_epsilon)
        self.d_optimizer.build(self.D.trainable_variables)
        self.g_optimizer.build(self.G.trainable_variables)
        # what --resume needs beside the runner's counters and NumPy states
        self.checkpoint = tf.train.Checkpoint(
            G=self.G, D=self.D, d_optimizer=self.d_optimizer, g_optimizer=self.g_optimizer,
            dropout_states=dropout_states(self.G) + dropout_states(self.D))

    def target(self, decision):
        """The post's `ones(batch_size, 1) * (1 - smooth)`: the smoothed 'real' label."""
        return tf.ones_like(decision) * (1 - self.smooth)

    @tf.function
    def train_batch(self, d_real_data, d_fake_input):
        """fit's loop body after the noise draw: d_steps D updates, then g_steps G updates
        on the same noise; returns the three sums of errors the post adds up."""
        d_real_error_sum = d_fake_error_sum = g_error_sum = tf.constant(0.0)

        # Train D
        for _ in range(self.d_steps):
            with tf.GradientTape() as tape:
                d_real_decision = self.D(d_real_data, training=True)
                d_real_error = self.criterion(self.target(d_real_decision), d_real_decision)
                d_fake_data = tf.stop_gradient(self.G(d_fake_input, training=True))
                d_fake_decision = self.D(d_fake_data, training=True)
                # the post's zeros(batch_size, 0) * (1 - smooth): zeros(batch_size, 1) meant
                d_fake_error = self.criterion(
                    tf.zeros_like(d_fake_decision) * (1 - self.smooth), d_fake_decision)
                d_error = d_fake_error + d_real_error
            grads = tape.gradient(d_error, self.D.trainable_variables)
            self.d_optimizer.apply_gradients(zip(grads, self.D.trainable_variables))
            d_real_error_sum += d_real_error
            d_fake_error_sum += d_fake_error

        # Train G (D's dropout is active, its weights stay)
        for _ in range(self.g_steps):
            gen_input = d_fake_input
            with tf.GradientTape() as tape:
                g_fake_data = self.G(gen_input, training=True)
                dg_fake_decision = self.D(g_fake_data, training=True)
                g_error = self.criterion(self.target(dg_fake_decision), dg_fake_decision)
            grads = tape.gradient(g_error, self.G.trainable_variables)
            self.g_optimizer.apply_gradients(zip(grads, self.G.trainable_variables))
            g_error_sum += g_error
        return tf.stack([d_real_error_sum, d_fake_error_sum, g_error_sum])

    def sampler(self, z, rng):
        """G applied to noise z, in [-1, 1]: with its dropout (masks from `rng`) unless
        `sample_dropout` is off (Keras's inference mode); the same at rate 0."""
        z = np.asarray(z, np.float32)
        if not self.sample_dropout:
            return self.G(z, training=False).numpy()
        with dropout_seeded_from(self.G, rng):
            return self.G(z, training=True).numpy()


def noise(rng, n):
    """U(-1, 1) noise of shape (n, 100), as the post's np.random.uniform(-1, 1, size=...)."""
    return rng.uniform(-1, 1, size=(n, g_input_size)).astype(np.float32)


def gen_batch(real_x, batch_size, rng):
    """One epoch of full batches of real images in [-1, 1], shuffled by `rng` (lost in the
    post: every training image, the last partial batch left out)."""
    order = rng.permutation(len(real_x))
    for start in range(0, len(real_x) - batch_size + 1, batch_size):
        yield images(real_x[order[start:start + batch_size]], value_range=(-1, 1))


# ##### 生成图片 (the figure)


def show_sample_img(data, path, figure=None):
    """The post's figure of 25 samples (5x5, figsize (7, 7), axes hidden, 'Greys_r'), saved
    to `path` instead of shown; returns the figure, for the next call to reuse."""
    from gantools.plots import SubplotGrid
    figure = figure or SubplotGrid(5, 5, figsize=(7, 7))
    figure.save(path, data)
    return figure


# ##### The program: the post's fit, with the run's services (a unit is one batch)


def make_gan(args):
    """The post's build_model with the flags' settings."""
    return GAN(args.lr, args.d_steps, args.g_steps, args.smooth, args.dropout,
               args.sample_dropout, args.bce)


def fit(run):
    """The post's build_model and fit: each epoch, its batches (D, then G on the same
    noise) with the mean losses printed every print_interval batches; after the
    batches, the epoch's figure, and the models every 10 epochs. Then the metrics."""
    from keras_models import mnist_gan_extras as extras  # it imports this module
    args, seed = run.args, run.seed
    gan = make_gan(args)
    real_x = run.data.x_train
    n_batches = len(real_x) // args.batch_size
    noise_rng, sums = None, np.zeros(3)  # the epoch's noise; losses since the last print

    # The checkpoint: the weights, both Adams' slots and the Dropout layers' random
    # states in `state.*`; the epoch's noise generator and the sums in its state.
    def state():
        return {'noise_rng': None if noise_rng is None else noise_rng.bit_generator.state,
                'loss_sums': sums.tolist()}

    def restore(folder, saved):
        nonlocal noise_rng, sums
        gan.checkpoint.read(str(folder / 'state')).assert_consumed()
        if saved['noise_rng'] is not None:
            noise_rng = np.random.default_rng()
            noise_rng.bit_generator.state = saved['noise_rng']
        sums = np.array(saved['loss_sums'])

    run.start(args.epochs, per=n_batches, state=state, restore=restore,
              save=lambda folder: gan.checkpoint.write(str(folder / 'state')),
              config=extras.hyper_parameters(run.data, n_batches),
              parameters=extras.trainable_parameters(gan),
              checkpoint_due=lambda done: done % n_batches == 0,  # every epoch
              generate=lambda n, seed: extras.generated_digits(gan, n, seed),
              measure=lambda: dict(sample_dropout=args.sample_dropout, **extras.quality(
                  gan, seed, run.data, args.metric_samples or 10_000)))
    figure, status = None, ''

    for epoch in run.range(args.epochs, n_batches):
        order = stream_rng(seed, DATA_STREAM, epoch)  # gen_batch's shuffle of the epoch
        for i, d_real_data in run.batches(gen_batch(real_x, args.batch_size, order)):
            if i == 0:  # a new epoch: new noise, the sums restart
                noise_rng, sums = stream_rng(seed, NOISE_STREAM, epoch), np.zeros(3)
            d_fake_input = noise(noise_rng, args.batch_size)
            sums += gan.train_batch(d_real_data, d_fake_input).numpy()

            if (i + 1) % args.print_interval == 0:
                d_real_error, d_fake_error, g_error = (sums / args.print_interval).tolist()
                sums[:] = 0
                run.print('%s/%s--%s/%s: D: %s/%s G: %s' % (
                    epoch, args.epochs, i, n_batches, d_real_error, d_fake_error,
                    g_error))
                run.log(epoch=epoch, batch=i, iteration=epoch * n_batches + i + 1,
                        d_real_error=d_real_error, d_fake_error=d_fake_error,
                        g_error=g_error)
                status = 'D: %.3f/%.3f G: %.3f' % (d_real_error, d_fake_error, g_error)
            run.show(status)  # the last printed losses

        if run.files:
            figure = save_sample_img(gan, run, epoch, figure)
            if (epoch + 1) % save_every == 0:
                save_model(gan, run.run_dir, epoch)

    if run.files:
        extras.save_figures(run.run_dir, args)
    metrics = {'epochs': args.epochs, 'sample_dropout': args.sample_dropout}
    if args.metric_samples:
        metrics.update(extras.quality(gan, seed, run.data, args.metric_samples))
    return metrics


def save_sample_img(gan, run, epoch, figure):
    """sample_size samples of fresh noise (from the figures' stream, not training's)."""
    rng = stream_rng(run.seed, GRID_STREAM, epoch)
    d_fake_data = gan.sampler(noise(rng, sample_size), rng)
    (run.run_dir / 'samples').mkdir(exist_ok=True)
    return show_sample_img(d_fake_data, run.run_dir / 'samples' / f'epoch_{epoch:03d}.png',
                           figure)


def save_model(gan, run_dir, epoch):
    """The post's save_model: models/generator_epoch_NNN.keras and the discriminator's."""
    (run_dir / 'models').mkdir(exist_ok=True)
    for model, name in [(gan.G, 'generator'), (gan.D, 'discriminator')]:
        path = run_dir / 'models' / f'{name}_epoch_{epoch:03d}.keras'
        model.save(path.with_suffix('.tmp.keras'))  # a kill leaves the older file whole
        path.with_suffix('.tmp.keras').replace(path)
