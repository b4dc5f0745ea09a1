"""The Wasserstein GAN MLP on MNIST in TensorFlow graph mode (program S7).

The WGAN of the WGAN/CGAN post (seed 003), a translation of wiseodd's blog post, whose code is
`GAN/wasserstein_gan/wgan_tensorflow.py`. The vanilla GAN's MLPs with the post's four changes:
the critic D 784-128-1 has a linear output (no sigmoid, no log in the losses:
D_loss = mean(D_real) - mean(D_fake), maximised; G_loss = -mean(D_fake)); every critic weight
and bias is clipped to [-0.01, 0.01] after each critic update; 5 critic updates per generator
update; RMSProp with the very low learning rate 5e-5
(`tf.compat.v1.train.RMSPropOptimizer`: decay 0.9, no momentum, epsilon 1e-10, and an
accumulator that starts at ones, unlike Keras's RMSprop). G 10-128-784 with a sigmoid output,
noise U(-1, 1) of dimension 10, batches of 32, 1,000,000 iterations. Trainable parameters:
D 100,609, G 102,544. It prints every 100 iterations and saves a 4x4 grid every 1000, after
that iteration's updates.

Read it beside the original: mb_size, X_dim, z_dim, h_dim, plot (`gantools.plots.DigitGrid`),
xavier_init, X, the D variables, theta_D, z, the G variables, theta_G, sample_z, generator,
discriminator, the losses, D_solver/G_solver, clip_D and the loop's body (`train_step`).
Because of the clipping, xavier_init's std for D's first layer, sqrt(2/784) = 0.05, is above
the clip range: most of those weights sit at +-0.01 after the first critic update.

Deliberate differences from the original (the defaults compute what the post describes):
- The learning rate is 5e-5, as the post and the WGAN paper say; wiseodd's repository used
  1e-4 throughout its history (`--lr 1e-4` gives that).
- The clipping runs after each critic update by construction: `clip_D` is built under a
  control dependency on `D_solver`. The original fetched `[D_solver, D_loss, clip_D]` in one
  `sess.run`, which leaves the order of the update and the clipping to the runtime.
- As in S6 (`tf1_compat/mnist_gan.py`): the project's MNIST loader instead of the removed
  `tensorflow.examples.tutorials.mnist` (with its 55,000-image training split and
  `next_batch` behaviour), an explicit `tf.Graph` with named variables, NumPy generators
  derived from (--seed, iteration) instead of the unseeded `np.random`, grids in
  `samples/` plus `evolution.gif`, `losses.csv`/`losses.png`, checkpoints, a progress bar
  and quality metrics. The console lines are the original's.

The critic's 5 updates and the clip value are flags (`--n-critic`, `--clip`).
"""
import tensorflow.compat.v1 as tf

from gantools.cli import positive_float, positive_int
from tf1_compat.mnist_training import (GraphGAN, Settings, main as train_main,
                                     xavier_init, sample_Z as sample_z)

mb_size = 32
X_dim = 784
z_dim = 10
h_dim = 128


def generator(z, theta_G):
    G_W1, G_W2, G_b1, G_b2 = theta_G
    G_h1 = tf.nn.relu(tf.matmul(z, G_W1) + G_b1)
    G_log_prob = tf.matmul(G_h1, G_W2) + G_b2
    G_prob = tf.nn.sigmoid(G_log_prob)
    return G_prob


def discriminator(x, theta_D):
    D_W1, D_W2, D_b1, D_b2 = theta_D
    D_h1 = tf.nn.relu(tf.matmul(x, D_W1) + D_b1)
    out = tf.matmul(D_h1, D_W2) + D_b2
    return out


class WGAN(GraphGAN):
    options = ('n_critic', 'clip')
    n_critic = 5
    clip = 0.01

    def _create_model(self):
        self.X = X = tf.placeholder(tf.float32, shape=[None, X_dim], name='X')

        D_W1 = tf.Variable(xavier_init([X_dim, h_dim]), name='D_W1')
        D_b1 = tf.Variable(tf.zeros(shape=[h_dim]), name='D_b1')

        D_W2 = tf.Variable(xavier_init([h_dim, 1]), name='D_W2')
        D_b2 = tf.Variable(tf.zeros(shape=[1]), name='D_b2')

        self.theta_D = theta_D = [D_W1, D_W2, D_b1, D_b2]

        self.z = z = tf.placeholder(tf.float32, shape=[None, z_dim], name='z')

        G_W1 = tf.Variable(xavier_init([z_dim, h_dim]), name='G_W1')
        G_b1 = tf.Variable(tf.zeros(shape=[h_dim]), name='G_b1')

        G_W2 = tf.Variable(xavier_init([h_dim, X_dim]), name='G_W2')
        G_b2 = tf.Variable(tf.zeros(shape=[X_dim]), name='G_b2')

        self.theta_G = theta_G = [G_W1, G_W2, G_b1, G_b2]

        self.G_sample = G_sample = generator(z, theta_G)
        self.D_real = D_real = discriminator(X, theta_D)
        self.D_fake = D_fake = discriminator(G_sample, theta_D)

        self.D_loss = D_loss = tf.reduce_mean(D_real) - tf.reduce_mean(D_fake)
        self.G_loss = G_loss = -tf.reduce_mean(D_fake)

        self.D_solver = D_solver = (tf.train.RMSPropOptimizer(learning_rate=self.learning_rate)
                                    .minimize(-D_loss, var_list=theta_D))
        self.G_solver = (tf.train.RMSPropOptimizer(learning_rate=self.learning_rate)
                         .minimize(G_loss, var_list=theta_G))

        # Clip after the update: running clip_D runs D_solver first.
        with tf.control_dependencies([D_solver]):
            self.clip_D = [p.assign(tf.clip_by_value(p.read_value(), -self.clip, self.clip))
                           for p in theta_D]

    def train_step(self, sess, mnist, rng):
        for _ in range(self.n_critic):
            X_mb, _ = mnist.next_batch(self.mb_size)

            _, D_loss_curr = sess.run(
                [self.clip_D, self.D_loss],
                feed_dict={self.X: X_mb, self.z: sample_z(self.mb_size, z_dim, rng)}
            )

        _, G_loss_curr = sess.run(
            [self.G_solver, self.G_loss],
            feed_dict={self.z: sample_z(self.mb_size, z_dim, rng)}
        )
        return D_loss_curr, G_loss_curr

    def print_losses(self, it, D_loss_curr, G_loss_curr):
        print('Iter: {}; D loss: {:.4}; G_loss: {:.4}'
              .format(it, D_loss_curr, G_loss_curr))

    def sample(self, sess, n, rng, labels=None):
        return sess.run(self.G_sample, feed_dict={self.z: sample_z(n, z_dim, rng)})


SETTINGS = Settings(
    script='mnist_wgan_tf1',
    description="The WGAN MLP on MNIST of the WGAN/CGAN post (wiseodd's wgan_tensorflow.py) "
                "in TensorFlow graph mode: linear critic, weight clipping, 5 critic updates "
                "per generator update, RMSProp 5e-5. Saves a 4x4 grid of samples every 1000 "
                "iterations, evolution.gif, losses and quality metrics into --out.",
    batch_size=mb_size,
    learning_rate=5e-5,
    log_every=100,
    sample_before_step=False,
)


def add_arguments(group):
    group.add_argument('--n-critic', type=positive_int, default=WGAN.n_critic,
                       help='critic updates per generator update')
    group.add_argument('--clip', type=positive_float, default=WGAN.clip,
                       help='critic weights and biases are clipped to [-CLIP, CLIP]')


def build_parser():
    from tf1_compat.mnist_training import build_parser as parser_for
    return parser_for(SETTINGS, add_arguments)


def main(argv=None):
    return train_main(WGAN, SETTINGS, argv, add_arguments)
