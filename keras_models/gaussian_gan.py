"""The blog's 1-D GAN on N(4, 1.25), from PyTorch to Keras 3 (program S4).

Ports section 2 ("GAN生成一维数据") of seed 002, jiweibo's 2017 post: devnag's 2017
`gan_pytorch.py` with the post's changes (SPEC S4; run as written in
originals/gaussian_gan_torch.py, beside this port in sidebyside/s4.py). The names and
order are the original's: the data and model parameters, get_distribution_sampler,
get_generator_input_sampler, decorate_with_diffs, get_moments, preprocess (`PREPROCESS`),
Generator, Discriminator (a Keras functional model each), extract, stats, then the post's
"搭建模型" and its loop of d_steps D and g_steps G updates per epoch (`GAN`), and its main()
(`train`). The command line (flags, summary) is keras_models/gaussian_gan_cli.py.

Deliberate differences (the defaults compute what the post computes):
- Dense layers initialised as PyTorch's nn.Linear (gantools.torch_compat.torch_linear).
- One epoch is one compiled tf.function; its samplers draw from a seeded tf.random.Generator
  (the post: np.random and torch.rand), which the checkpoint holds.
- BCE is PyTorch 0.2's (era_bce: log(p + 1e-12) on D's probability), written out; targets are
  shaped (1, 1) like D's output. Opt-in: --bce logits, Keras's, exact from D's logit.
- Adam's epsilon is PyTorch's 1e-8 (Keras: 1e-7), added before the bias correction as then.
- The seed's `self.dim = dim` (a NameError) is dropped.
- Frames, histogram.png and metrics.json use one fixed draw of U[0, 1) noise, apart from the
  training stream (the post drew fresh noise once, at the end); metrics.json also holds the
  post's own number, its last g.pkl (epoch 29,800) on 1,000 fresh draws (post_snapshot_*).
- d.pkl / g.pkl are d.weights.h5 / g.weights.h5; plt.show() is histogram.png.
- Opt-in: --preprocess raw|diffs|moments (devnag's other inputs), --d-steps, --g-steps, --bce.

`--variant stable` is keras_models/gaussian_gan_stable.py (`StableGAN` overrides `rate` and
`d_error`); the figures, metrics and recorded settings are keras_models/gaussian_gan_extras.py's.
"""
import keras
import numpy as np
import tensorflow as tf

from gantools.run.rundir import read_losses
from gantools.torch_compat import criterion, torch_linear
from gantools.training import save_weights

# Data params
data_mean = 4
data_stddev = 1.25

# Model params
g_input_size = 1      # Random noise dimension coming into generator, per output vector
g_hidden_size = 50    # Generator complexity
g_output_size = 1     # size of generated output vector
d_input_size = 100    # Minibatch size - cardinality of distributions
d_hidden_size = 50    # Discriminator complexity
d_output_size = 1     # Single dimension for 'real' vs. 'fake'
minibatch_size = d_input_size

d_learning_rate = 2e-4
g_learning_rate = 2e-4
optim_betas = (0.9, 0.999)
adam_epsilon = 1e-8   # PyTorch's (Keras's default: 1e-7)
num_epochs = 30000
print_interval = 200
d_steps = 1
g_steps = 1
real_target = 0.95  # the seed's one-sided label smoothing (devnag: 1)

# ##### DATA: Target data and generator input data

def get_distribution_sampler(rng, mu, sigma):
    return lambda n: rng.normal((1, n), mu, sigma)  # Gaussian, one row of n samples


def get_generator_input_sampler(rng):
    return lambda m, n: rng.uniform((m, n))  # Uniform-dist data into generator, _NOT_ Gaussian


# ##### Preprocessing: what D sees of a set of samples

def decorate_with_diffs(data, exponent):
    """The data and each sample's distance from the set's mean, raised to `exponent`; the
    mean is taken of `data.data`, as in the original: no gradient flows through it."""
    mean = tf.stop_gradient(tf.reduce_mean(data[0]))
    diffs = tf.pow(data - mean, exponent)
    return tf.concat([data, diffs], axis=1)


def get_moments(d):
    """Mean, std, skew and excess kurtosis of the set (devnag's Nov 2018 variant)."""
    mean = tf.reduce_mean(d)
    diffs = d - mean
    var = tf.reduce_mean(tf.pow(diffs, 2.0))
    std = tf.pow(var, 0.5)
    zscores = diffs / std
    skews = tf.reduce_mean(tf.pow(zscores, 3.0))
    kurtoses = tf.reduce_mean(tf.pow(zscores, 4.0)) - 3.0  # excess kurtosis, 0 for Gaussian
    return tf.reshape(tf.stack([mean, std, skews, kurtoses]), (1, 4))


PREPROCESS = {  # name: (preprocess, d_input_func), as devnag's (name, preprocess, d_input_func)
    'raw': (lambda data: data, lambda x: x),
    'diffs': (lambda data: decorate_with_diffs(data, 1.0), lambda x: x * 2),
    'variances': (lambda data: decorate_with_diffs(data, 2.0), lambda x: x * 2),
    'moments': (get_moments, lambda x: 4),
}


# ##### MODELS: Generator model and discriminator model

def Generator(input_size, hidden_size, output_size):
    x = keras.Input((input_size,))
    h = torch_linear(input_size, hidden_size, 'elu', 'fc1')(x)
    h = torch_linear(hidden_size, hidden_size, 'sigmoid', 'fc2')(h)
    return keras.Model(x, torch_linear(hidden_size, output_size, None, 'fc3')(h),
                       name='generator')


def Discriminator(input_size, hidden_size, output_size):
    x = keras.Input((input_size,))
    h = torch_linear(input_size, hidden_size, 'elu', 'fc1')(x)
    h = torch_linear(hidden_size, hidden_size, 'elu', 'fc2')(h)
    return keras.Model(x, torch_linear(hidden_size, output_size, 'sigmoid', 'fc3')(h),
                       name='discriminator')


def extract(v):
    return np.asarray(v).ravel().tolist()


def stats(d):
    return [tf.reduce_mean(d), tf.math.reduce_std(d)]  # in the compiled step: np.mean, np.std


# ##### 搭建模型 and 模型训练: the models, the optimisers and one epoch of the loop

class GAN:
    """G, D, BCE, the two Adams and the samplers' random stream; `train_epoch` is one pass
    of the post's `for epoch in range(num_epochs)`."""

    def __init__(self, seed=0, preprocess='variances', lr=d_learning_rate, d_steps=d_steps,
                 g_steps=g_steps, betas=optim_betas, bce='era'):
        self.preprocess, d_input_func = PREPROCESS[preprocess]
        self.seed, self.d_steps, self.g_steps = seed, d_steps, g_steps
        self.rng = tf.random.Generator.from_seed(seed)
        self.d_sampler = get_distribution_sampler(self.rng, data_mean, data_stddev)
        self.gi_sampler = get_generator_input_sampler(self.rng)
        self.G = Generator(g_input_size, g_hidden_size, g_output_size)
        self.D = Discriminator(d_input_func(d_input_size), d_hidden_size, d_output_size)
        self.criterion = criterion(bce)  # Binary cross entropy (PyTorch 0.2's by default)
        self.real = tf.fill((1, 1), real_target)  # targets shaped like D's output
        self.fake = tf.zeros((1, 1))              # the post's zeros(1) * 0.95
        self.d_optimizer = keras.optimizers.Adam(self.rate(lr, d_steps), *betas,
                                                 epsilon=adam_epsilon)
        self.g_optimizer = keras.optimizers.Adam(self.rate(lr, g_steps), *betas,
                                                 epsilon=adam_epsilon)
        self.d_optimizer.build(self.D.trainable_variables)  # slots exist before a restore
        self.g_optimizer.build(self.G.trainable_variables)

    def rate(self, lr, steps_per_epoch):
        return lr  # the post's constant rate (StableGAN: a late decay)

    def d_error(self, d_real_error, d_fake_error, d_real_data, d_fake_data):
        return d_real_error + d_fake_error  # the post's two backward() calls (StableGAN: R1, R2)

    def train_d(self):
        """1. Train D on real+fake: its two errors and the real and fake sets it saw."""
        d_real_data = self.d_sampler(d_input_size)  # 1A: Train D on real
        d_gen_input = self.gi_sampler(minibatch_size, g_input_size)  # 1B: Train D on fake
        d_fake_data = self.G(d_gen_input)  # outside the tape: G gets no gradient here
        with tf.GradientTape() as tape:
            d_real_error = self.criterion(self.real, self.D(self.preprocess(d_real_data)))
            d_fake_decision = self.D(self.preprocess(tf.transpose(d_fake_data)))
            d_fake_error = self.criterion(self.fake, d_fake_decision)
            d_error = self.d_error(d_real_error, d_fake_error, d_real_data, d_fake_data)
        grads = tape.gradient(d_error, self.D.trainable_variables)
        self.d_optimizer.apply_gradients(zip(grads, self.D.trainable_variables))
        return d_real_error, d_fake_error, d_real_data, d_fake_data

    def train_g(self):
        """2. Train G on D's response (but DO NOT train D on these labels)."""
        gen_input = self.gi_sampler(minibatch_size, g_input_size)
        with tf.GradientTape() as tape:
            g_fake_data = self.G(gen_input)
            dg_fake_decision = self.D(self.preprocess(tf.transpose(g_fake_data)))
            g_error = self.criterion(self.real, dg_fake_decision)
        grads = tape.gradient(g_error, self.G.trainable_variables)
        self.g_optimizer.apply_gradients(zip(grads, self.G.trainable_variables))
        return g_error

    @tf.function
    def train_epoch(self):
        """d_steps D updates, then g_steps G updates: the errors and the sets' stats."""
        for d_index in range(self.d_steps):
            d_real_error, d_fake_error, d_real_data, d_fake_data = self.train_d()
        for g_index in range(self.g_steps):
            g_error = self.train_g()
        return tf.stack([d_real_error, d_fake_error, g_error,
                         *stats(d_real_data), *stats(d_fake_data)])

    def generate(self, n, seed=None):
        """G on n values of U[0, 1), the same at every call and apart from the training
        stream: frames show one set of inputs evolving, and a resume measures the same
        (`seed`: another draw, for --sample)."""
        seed = self.seed if seed is None else seed
        noise = np.random.default_rng([seed, 1]).random((n, 1), dtype=np.float32)
        return self.G(noise).numpy().ravel()


# ##### The program: the post's main() with its prints and saves (the figures, metrics and
# recorded settings are keras_models/gaussian_gan_extras.py's)

def post_snapshot_metrics(G, epoch, gi_sampler, n=1000):
    """What the post printed at the end: G loaded from its last g.pkl (epoch 29,800), applied
    to 1,000 fresh draws of the generator's input stream, mean and std."""
    fake = extract(G(gi_sampler(n, g_input_size)))
    return dict(post_snapshot_epoch=epoch, post_snapshot_gen_mean=float(np.mean(fake)),
                post_snapshot_gen_std=float(np.std(fake)))


def make_gan(args, seed):
    """The post's models and optimisers with the flags' settings."""
    return GAN(seed, args.preprocess, args.lr, args.d_steps, args.g_steps, bce=args.bce)


LOSS_COLUMNS = ('epoch', 'd_real_error', 'd_fake_error', 'g_error', 'real_mean', 'real_std',
                'fake_mean', 'fake_std')


def train(run, make_gan=make_gan, settings=None):
    """The post's main(): the models, the loop with its prints and saves (and a frame
    at each), then its look at the generated data (histogram.png, metrics.json). A variant
    passes its own `make_gan` and `settings` (keras_models/gaussian_gan_stable.py)."""
    from keras_models import gaussian_gan_extras as extras  # it imports this module
    settings = settings or extras.hyper_parameters
    args = run.args
    gan = make_gan(args, run.seed)
    # G as of the post's last save (epoch % print_interval == 0: 29,800 of 30,000)
    snapshot = keras.models.clone_model(gan.G)
    snapshot_epoch = tf.Variable(-1, dtype=tf.int64)
    checkpoint = extras.checkpoint_of(gan, snapshot, snapshot_epoch)
    printed = lambda epoch: epoch % args.print_interval == 0 or epoch == args.epochs - 1
    run.start(args.epochs, config=settings(args),
              parameters={'generator': gan.G.count_params(),
                          'discriminator': gan.D.count_params()},
              save=lambda folder: checkpoint.write(str(folder / 'state')),
              restore=lambda folder, state: checkpoint.read(
                  str(folder / 'state')).assert_consumed(),
              checkpoint_due=lambda done: printed(done - 1), generate=gan.generate)
    plot = None
    last_rows = []  # (fake_mean, fake_std) of the last 10% of epochs, for a sweep

    for epoch in run.range(args.epochs):
        values = extract(gan.train_epoch())
        d_real_error, d_fake_error, g_error = values[:3]
        run.log(**dict(zip(LOSS_COLUMNS, [epoch] + values)))
        run.show('D:{:.3f}/{:.3f} G:{:.3f}'.format(d_real_error, d_fake_error, g_error))
        if epoch % args.print_interval == 0:  # the post's g.pkl, which it evaluated
            snapshot.set_weights(gan.G.get_weights())
            snapshot_epoch.assign(epoch)
        if epoch >= extras.last_tenth(args.epochs):
            last_rows.append(values[5:7])
        if printed(epoch):  # the post's print and saves (and the last epoch's), a frame
            run.print("%s: D: %s/%s G: %s (Real: %s, Fake: %s) " % (
                epoch, d_real_error, d_fake_error, g_error, values[3:5], values[5:7]))
            if run.files:
                save_weights(gan.D, run.run_dir / 'd.weights.h5')
                save_weights(gan.G, run.run_dir / 'g.weights.h5')
                if plot is None:
                    plot = extras.histogram('Generated values', ylim=(0, 1.0))
                    (run.run_dir / 'frames').mkdir(exist_ok=True)
                plot.save(run.run_dir / 'frames' / 'epoch_{:05d}.png'.format(epoch),
                          gan.generate(args.eval_samples),
                          caption='epoch {}'.format(epoch))

    # 查看生成的数据: the post's histogram and numbers, and the metrics
    n = args.eval_samples if run.files else extras.SWEEP_EVAL_SAMPLES
    if run.files:
        extras.save_figures(gan, run.run_dir, n)
        losses = read_losses(run.run_dir / 'losses.csv')  # the epochs before a resume too
        last = losses['epoch'] >= extras.last_tenth(args.epochs)
        last_rows = np.stack([losses['fake_mean'][last], losses['fake_std'][last]], axis=1)
    return dict(extras.final_metrics(gan, n), **extras.last_tenth_errors(last_rows),
                **post_snapshot_metrics(snapshot, int(snapshot_epoch.numpy()),
                                        gan.gi_sampler))
