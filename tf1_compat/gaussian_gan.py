"""The book's 1-D Gaussian GAN in TensorFlow graph mode (program S1).

Ports section 3.4 of the book chapter ("GAN的工程实践", seed 000), whose code descends from
Eric Jang's 2016 blog post through the early AYLIEN `gan.py` (mu = 4 there, 3 in the book):
G maps an evenly spaced grid over [-8, 8] to N(3, 0.5), against a D first pretrained (D_pre)
on the data density and then copied into D. Read it beside the book: the names and their
order are the book's: DataDistribution, GeneratorDistribution, linear, generator,
discriminator, optimizer, GAN (_create_model, train, _samples, _plot_distributions), main.
The command line (flags, summary) is tf1_compat/gaussian_gan_cli.py.

Deliberate differences from the printed code (the defaults compute what the book computes):
- `def _init_` and `def_init_` are `__init__` (as printed, mu, sigma and range are never set).
- One `tf.Graph` per GAN instead of `tf.disable_v2_behavior()` (sweeps, tests, one process).
- Figures are saved (frames/, fig3-12.png to fig3-14.png, evolution.gif), not shown.
- `_samples` runs G on all 10000 points at once (the book: 9996; `--book-sampling`).
- Seeded NumPy generators: one for training, one for the figures' and metrics' real samples.
- `optimizer` also returns its learning rate and its (non-trainable) step counter.
- Files: losses.csv, pretrain_losses.csv, metrics.json; checkpoints and `--resume`: `train`
  calls the run's services (gantools.run.runner.Run: `start`, `range`, `log`, `print`).
Opt-in, off by default: `--k N` D updates per iteration (pseudo-code 3-2); `--instance-noise
STD` on both of D's inputs, annealed to 0 at `--instance-noise-anneal` of the steps
(tf1_compat/gaussian_gan_noisy.py: `NoisyGAN` overrides only what D sees, its feed and the
resume); `--book-sampling`.
"""
import numpy as np
from scipy.stats import norm
import tensorflow.compat.v1 as tf

from gantools.metrics import density_histogram, distribution_metrics
from gantools.run.rundir import LossLog, read_losses

CONVERGED_W1 = 0.5  # a run "converged" when W1(generated, data) is below this


class DataDistribution(object):
    """The real data: N(mu, sigma), returned sorted as in the book."""

    def __init__(self, mu=3, sigma=0.5, rng=np.random):
        self.mu = mu
        self.sigma = sigma
        self.rng = rng

    def sample(self, N):
        samples = self.rng.normal(self.mu, self.sigma, N)
        samples.sort()
        return samples


class GeneratorDistribution(object):
    """The generator's input: an evenly spaced grid over [-range, range], jittered by 0.01."""

    def __init__(self, range, rng=np.random):
        self.range = range
        self.rng = rng

    def sample(self, N):
        return np.linspace(-self.range, self.range, N) + self.rng.random(N) * 0.01


def linear(input, output_dim, scope=None, stddev=1.0):
    norm = tf.random_normal_initializer(stddev=stddev)
    const = tf.constant_initializer(0.0)
    with tf.variable_scope(scope or 'linear'):
        w = tf.get_variable('w', [input.get_shape()[1], output_dim], initializer=norm)
        b = tf.get_variable('b', [output_dim], initializer=const)
        return tf.matmul(input, w) + b


def generator(input, h_dim):
    h0 = tf.nn.softplus(linear(input, h_dim, 'g0'))
    h1 = linear(h0, 1, 'g1')
    return h1


def discriminator(input, h_dim):
    h0 = tf.tanh(linear(input, h_dim * 2, 'd0'))
    h1 = tf.tanh(linear(h0, h_dim * 2, 'd1'))
    h2 = tf.tanh(linear(h1, h_dim * 2, 'd2'))
    h3 = tf.sigmoid(linear(h2, 1, 'd3'))
    return h3


def optimizer(loss, var_list, initial_learning_rate, decay=0.95, num_decay_steps=150):
    """Plain gradient descent with a staircase-decayed learning rate and its own step counter.

    Returns (train op, learning rate tensor, step counter).
    """
    batch = tf.Variable(0, trainable=False)
    learning_rate = tf.train.exponential_decay(
        initial_learning_rate, batch, num_decay_steps, decay, staircase=True
    )
    optimizer = tf.train.GradientDescentOptimizer(learning_rate).minimize(
        loss, global_step=batch, var_list=var_list
    )
    return optimizer, learning_rate, batch


class GAN(object):
    def __init__(self, data, gen, num_steps, batch_size, log_every, mlp_hidden_size=4,
                 learning_rate=0.03, num_pretrain_steps=1000, decay=0.95, num_decay_steps=150,
                 k=1, plot_every=100, book_sampling=False, seed=None, eval_rng=None):
        self.data = data
        self.gen = gen
        self.num_steps = num_steps
        self.batch_size = batch_size
        self.log_every = log_every
        self.mlp_hidden_size = mlp_hidden_size
        self.learning_rate = learning_rate
        self.num_pretrain_steps = num_pretrain_steps
        self.decay = decay
        self.num_decay_steps = num_decay_steps
        self.k = k
        self.plot_every = plot_every
        self.book_sampling = book_sampling
        # Real samples for figures and metrics, drawn apart from the training stream.
        self.eval_data = DataDistribution(data.mu, data.sigma, eval_rng or np.random)
        self.graph = tf.Graph()
        with self.graph.as_default():
            if seed is not None:
                tf.set_random_seed(seed)
            self._create_model()

    def _optimizer(self, loss, var_list):
        return optimizer(loss, var_list, self.learning_rate, self.decay, self.num_decay_steps)

    def _create_model(self):
        with tf.variable_scope('D_pre'):
            self.pre_input = tf.placeholder(tf.float32, shape=(self.batch_size, 1))
            self.pre_labels = tf.placeholder(tf.float32, shape=(self.batch_size, 1))
            D_pre = discriminator(self.pre_input, self.mlp_hidden_size)
            self.pre_loss = tf.reduce_mean(tf.square(D_pre - self.pre_labels))
            self.pre_opt, self.pre_lr, self.pre_step = self._optimizer(self.pre_loss, None)

        with tf.variable_scope('Generator'):
            self.z = tf.placeholder(tf.float32, shape=(None, 1))  # any batch: see _samples
            self.G = generator(self.z, self.mlp_hidden_size)

        with tf.variable_scope('Discriminator') as scope:
            self.x = tf.placeholder(tf.float32, shape=(self.batch_size, 1))
            real, fake = self._d_inputs(self.x, self.G)  # the book: x and G themselves
            self.D1 = discriminator(real, self.mlp_hidden_size)
            scope.reuse_variables()
            self.D2 = discriminator(fake, self.mlp_hidden_size)

        self.loss_d = tf.reduce_mean(-tf.log(self.D1) - tf.log(1 - self.D2))
        self.loss_g = tf.reduce_mean(-tf.log(self.D2))

        self.d_pre_params = tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, scope='D_pre')
        self.d_params = tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, scope='Discriminator')
        self.g_params = tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, scope='Generator')

        self.opt_d, self.lr_d, self.step_d = self._optimizer(self.loss_d, self.d_params)
        self.opt_g, self.lr_g, self.step_g = self._optimizer(self.loss_g, self.g_params)
        self.init = tf.global_variables_initializer()

    def trainable_parameters(self):
        count = lambda params: int(sum(np.prod(v.get_shape().as_list()) for v in params))
        return {"generator": count(self.g_params), "discriminator": count(self.d_params)}

    def session(self):
        return tf.Session(graph=self.graph)

    def train(self, run):
        """The book's train(), calling the run's services (gantools.run.runner.Run): a new run
        pretrains D_pre and copies it into D; --resume restores the checkpoint instead and
        continues at its step. Returns the metrics."""
        with self.session() as session:
            session.run(self.init)
            with self.graph.as_default():  # every variable, the three step counters too
                saver = tf.train.Saver(tf.global_variables())
            resumed = run.start(self.num_steps, parameters=self.trainable_parameters(),
                                save=lambda folder: self._save(session, saver, folder),
                                restore=lambda folder, state: self._restore(
                                    session, saver, folder, state),
                                state=self._state,
                                generate=lambda n, seed: self._generate(session, n, seed))
            if resumed is None:
                # pretraining discriminator
                self.pretrain_loss = float(self._pretrain(session, run.run_dir))
                self._copy_pretrained(session)

            for step in run.range(self.num_steps):
                noise = self._noise_feed(step)  # the book: none ({})
                # update discriminator (k times, pseudo-code 3-2; the book: once)
                for _ in range(self.k):
                    x = self.data.sample(self.batch_size)
                    z = self.gen.sample(self.batch_size)
                    loss_d, lr_d, _ = session.run([self.loss_d, self.lr_d, self.opt_d], {
                        self.x: np.reshape(x, (self.batch_size, 1)),
                        self.z: np.reshape(z, (self.batch_size, 1)),
                        **noise
                    })

                # update generator
                z = self.gen.sample(self.batch_size)
                loss_g, lr_g, _ = session.run([self.loss_g, self.lr_g, self.opt_g], {
                    self.z: np.reshape(z, (self.batch_size, 1)),
                    **noise
                })
                run.log(step=step, loss_d=loss_d, loss_g=loss_g, lr_d=lr_d, lr_g=lr_g,
                        instance_noise=self._noise_std(step))  # the book: 0
                run.show('loss_d:{:.4g}  loss_g:{:.4g}'.format(loss_d, loss_g))

                if step % self.log_every == 0:
                    run.print('{}:{}\t{}'.format(step, loss_d, loss_g))

                if run.files and self._plots_at(step):  # the book: plt.show()
                    self._plot_distributions(session, step, run.run_dir / 'frames')

            metrics = self._final_metrics(session)
            metrics['pretrain_loss'] = self.pretrain_loss
        return metrics

    def _pretrain(self, session, run_dir=None):
        """Fit D_pre to the data density, norm.pdf(d), with squared error; return the last
        loss (each step's in `pretrain_losses`; pretrain_losses.csv into `run_dir` if
        given)."""
        log = LossLog(run_dir / 'pretrain_losses.csv', ['step', 'loss', 'lr']) \
            if run_dir is not None else None
        pretrain_loss, self.pretrain_losses = np.nan, []
        for step in range(self.num_pretrain_steps):
            d = (self.data.rng.random(self.batch_size) - 0.5) * 10.0
            labels = norm.pdf(d, loc=self.data.mu, scale=self.data.sigma)
            pretrain_loss, lr, _ = session.run([self.pre_loss, self.pre_lr, self.pre_opt], {
                self.pre_input: np.reshape(d, (self.batch_size, 1)),
                self.pre_labels: np.reshape(labels, (self.batch_size, 1))
            })
            self.pretrain_losses.append(pretrain_loss)
            if log is not None:
                log.write(step=step, loss=pretrain_loss, lr=lr)
        if log is not None:
            log.close()
        return pretrain_loss

    def _copy_pretrained(self, session):
        """Share the pretrained weights with the Discriminator, variable by variable."""
        self.weightsD = session.run(self.d_pre_params)
        for i, v in enumerate(self.d_params):
            session.run(v.assign(self.weightsD[i]))

    # What D sees, and the noise on it: nothing in the book (NoisyGAN, --instance-noise).
    def _d_inputs(self, x, G):
        return x, G

    def _noise_std(self, step):
        return 0.0

    def _noise_feed(self, step):
        return {}

    # The checkpoint: the graph's variables (Saver) and both NumPy generators' states.
    def _state(self):
        return {'pretrain_loss': self.pretrain_loss,
                'training_rng': self.data.rng.bit_generator.state,
                'evaluation_rng': self.eval_data.rng.bit_generator.state}

    def _save(self, session, saver, folder):
        with self.graph.as_default():  # graph mode: Saver would save eagerly otherwise
            saver.save(session, str(folder / 'model'), write_meta_graph=False,
                       write_state=False)

    def _restore(self, session, saver, folder, state):
        with self.graph.as_default():
            saver.restore(session, str(folder / 'model'))
        self.data.rng.bit_generator.state = state['training_rng']  # and gen's
        self.eval_data.rng.bit_generator.state = state['evaluation_rng']
        self.pretrain_loss = state['pretrain_loss']

    def _plots_at(self, step):
        """The book's frames: every plot_every steps and the last."""
        return bool(self.plot_every) and (step % self.plot_every == 0
                                          or step == self.num_steps - 1)

    def _sample_points(self, session, num_points=10000):
        """num_points real samples, and G applied to an even grid over [-range, range]."""
        d = self.eval_data.sample(num_points)
        zs = np.linspace(-self.gen.range, self.gen.range, num_points)
        g = session.run(self.G, {self.z: np.reshape(zs, (num_points, 1))})
        return d, g

    def _generate(self, session, n, seed):
        """--sample: G on n points of the book's generator input, jittered with this seed."""
        z = GeneratorDistribution(self.gen.range, np.random.RandomState(seed)).sample(n)
        return session.run(self.G, {self.z: np.reshape(z, (n, 1))})

    def _samples(self, session, num_points=10000, num_bins=100):
        bins = np.linspace(-self.gen.range, self.gen.range, num_bins)
        # data distribution
        d, g = self._sample_points(session, num_points)
        pd = density_histogram(d, bins)
        # generated samples
        if self.book_sampling:  # the book's 833 batches of 12 never filled the last points
            g[num_points // self.batch_size * self.batch_size:] = 0
        pg = density_histogram(g, bins)
        return pd, pg

    def _plot_distributions(self, session, step, frames_dir):
        """frames_dir/step_NNNNN.png (the book: plt.show())."""
        from gantools.plots import DistributionPlot  # matplotlib only when plotting
        pd, pg = self._samples(session)
        if not hasattr(self, 'figure'):
            p_x = np.linspace(-self.gen.range, self.gen.range, len(pd))
            self.figure = DistributionPlot(p_x, 'GAN Visualization', 'Value',
                                           'Probability Density')
        frames_dir.mkdir(exist_ok=True)
        self.figure.save(frames_dir / 'step_{:05d}.png'.format(step), pd, pg,
                         caption='step {}'.format(step))

    def _final_metrics(self, session):
        """Mean, std, JS and W1 of G's output (on all 10000 grid points) against the data."""
        d, g = self._sample_points(session)
        metrics = distribution_metrics(g, d, self.gen.range)
        metrics['converged'] = metrics['wasserstein1'] < CONVERGED_W1
        return metrics


# ---------------------------------------------------------------------------------------
# The program: the book's main() and settings, its figures.

def make_gan(args, seed, gan_class=GAN, **options):
    """The book's main(): a GAN on DataDistribution and GeneratorDistribution(range=8)
    (`gan_class` and its `options`: a variant's, tf1_compat/gaussian_gan_noisy.py)."""
    train_seq, eval_seq = np.random.SeedSequence(seed).spawn(2)
    rng = np.random.default_rng(train_seq)
    return gan_class(
        DataDistribution(args.mu, args.sigma, rng),
        GeneratorDistribution(args.range, rng),
        args.steps,       # num_steps
        args.batch_size,  # batch_size
        args.log_every,   # log_every
        mlp_hidden_size=args.hidden_size, learning_rate=args.learning_rate,
        num_pretrain_steps=args.pretrain_steps, decay=args.decay,
        num_decay_steps=args.decay_steps, k=args.k, plot_every=args.plot_every,
        book_sampling=args.book_sampling, seed=seed, eval_rng=np.random.default_rng(eval_seq),
        **options)


def save_figures(run_dir, num_steps):
    """fig3-12/13/14.png (first, middle, last frame), evolution.gif and losses.png."""
    from gantools.plots import plot_losses, write_gif
    step = lambda path: int(path.stem[len('step_'):])
    frames = sorted((run_dir / 'frames').glob('step_*.png'), key=step)
    if frames:
        middle = min(frames, key=lambda path: abs(step(path) - num_steps // 2))
        for name, path in zip(['fig3-12.png', 'fig3-13.png', 'fig3-14.png'],
                              [frames[0], middle, frames[-1]]):
            (run_dir / name).write_bytes(path.read_bytes())
        write_gif(frames, run_dir / 'evolution.gif')
    plot_losses(read_losses(run_dir / 'losses.csv'), run_dir / 'losses.png',
                {'loss_d': 'loss_d', 'loss_g': 'loss_g'}, title='GAN training loss')


def main(run, make_gan=make_gan):
    """The book's main(): a GAN, trained; the figures."""
    gan = make_gan(run.args, run.seed)
    metrics = gan.train(run)
    if run.files:
        save_figures(run.run_dir, run.args.steps)
    return metrics
