"""The conditional GAN MLP on MNIST in TensorFlow graph mode (program S8).

Ports the CGAN of the WGAN/CGAN post (seed 003), wiseodd's
`GAN/conditional_gan/cgan_tensorflow.py`: the vanilla GAN with the digit's one-hot label y
concatenated to the inputs of both nets. D([x, y]) 794-128-1 (ReLU, a logit), G([z, y])
110-128-784 (ReLU, sigmoid), `xavier_init`, noise U(-1, 1) of dimension 100, the sigmoid
cross-entropy on logits, Adam with TensorFlow's defaults, batches of 64 with their labels,
one Z_sample for the D and the G update, 1,000,000 iterations; every 1000, before the
updates, the losses printed and a 4x4 grid of the digit 7. Trainable parameters: D 101,889,
G 115,344. Read it beside the original: mb_size, Z_dim, X_dim, y_dim, h_dim, X, y, the D
variables, theta_D, discriminator, Z, the G variables, theta_G, generator, G_sample,
D_real/D_fake, the losses, the solvers, the loop's body (`train_step`) and the loop
(`train`). xavier_init and sample_Z are shared with S6 and S7 (`tf1_compat/mnist_common.py`);
what the loop calls around the body (the session, the data, the grids as `plot` drew them,
the checkpoint: `Loop`) is gantools.mnist.graph's.

Deliberate differences (the defaults compute what the code computes; details in the README):
- The loss is the code's sigmoid cross-entropy on the logits D_logit_real/D_logit_fake; the
  post's "PS" version passes the probabilities as `logits=`, a slip (`--loss ps` runs it).
- `--digit` (default 7, as the code sets; the post's comment says 5) picks the grids' digit;
  added at the end: `digits.png` (a row per digit 0-9) and the label accuracy metric.
- `tf.concat(concat_dim=1, values=...)` of TF 0.12 is `tf.concat(values, axis=1)`.
- As S6 (`tf1_compat/mnist_gan.py`): the project's MNIST loader, one explicit `tf.Graph`,
  noise from NumPy generators derived from (--seed, iteration), grids in `samples/`, plus
  evolution.gif, losses, checkpoints, a progress bar and quality metrics.
"""
import numpy as np
import tensorflow.compat.v1 as tf

from gantools.mnist import one_hot
from gantools.mnist.graph import GraphGAN, Loop
from tf1_compat.mnist_common import sample_Z, xavier_init

mb_size = 64
Z_dim = 100
X_dim = 784
y_dim = 10
h_dim = 128


def discriminator(x, y, theta_D):
    D_W1, D_W2, D_b1, D_b2 = theta_D
    inputs = tf.concat([x, y], axis=1)
    D_h1 = tf.nn.relu(tf.matmul(inputs, D_W1) + D_b1)
    D_logit = tf.matmul(D_h1, D_W2) + D_b2
    D_prob = tf.nn.sigmoid(D_logit)

    return D_prob, D_logit


def generator(z, y, theta_G):
    G_W1, G_W2, G_b1, G_b2 = theta_G
    inputs = tf.concat([z, y], axis=1)
    G_h1 = tf.nn.relu(tf.matmul(inputs, G_W1) + G_b1)
    G_log_prob = tf.matmul(G_h1, G_W2) + G_b2
    G_prob = tf.nn.sigmoid(G_log_prob)

    return G_prob


class CGAN(GraphGAN):
    loss = 'logits'  # the code's; --loss ps: the post's
    conditional = True
    options = ('digit', 'loss')
    digit = 7

    def _create_model(self):
        # Discriminator Net model
        self.X = X = tf.placeholder(tf.float32, shape=[None, X_dim], name='X')
        self.y = y = tf.placeholder(tf.float32, shape=[None, y_dim], name='y')

        D_W1 = tf.Variable(xavier_init([X_dim + y_dim, h_dim]), name='D_W1')
        D_b1 = tf.Variable(tf.zeros(shape=[h_dim]), name='D_b1')

        D_W2 = tf.Variable(xavier_init([h_dim, 1]), name='D_W2')
        D_b2 = tf.Variable(tf.zeros(shape=[1]), name='D_b2')

        self.theta_D = theta_D = [D_W1, D_W2, D_b1, D_b2]

        # Generator Net model
        self.Z = Z = tf.placeholder(tf.float32, shape=[None, Z_dim], name='Z')

        G_W1 = tf.Variable(xavier_init([Z_dim + y_dim, h_dim]), name='G_W1')
        G_b1 = tf.Variable(tf.zeros(shape=[h_dim]), name='G_b1')

        G_W2 = tf.Variable(xavier_init([h_dim, X_dim]), name='G_W2')
        G_b2 = tf.Variable(tf.zeros(shape=[X_dim]), name='G_b2')

        self.theta_G = theta_G = [G_W1, G_W2, G_b1, G_b2]

        self.G_sample = G_sample = generator(Z, y, theta_G)
        self.D_real, D_logit_real = discriminator(X, y, theta_D)
        self.D_fake, D_logit_fake = discriminator(G_sample, y, theta_D)

        if self.loss == 'ps':  # the post's "PS" loss, probabilities as logits: --loss ps
            D_logit_real, D_logit_fake = self.D_real, self.D_fake
        D_loss_real = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
            logits=D_logit_real, labels=tf.ones_like(D_logit_real)))
        D_loss_fake = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
            logits=D_logit_fake, labels=tf.zeros_like(D_logit_fake)))
        self.D_loss = D_loss = D_loss_real + D_loss_fake
        self.G_loss = G_loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
            logits=D_logit_fake, labels=tf.ones_like(D_logit_fake)))

        self.D_solver = tf.train.AdamOptimizer(self.learning_rate).minimize(
            D_loss, var_list=theta_D)
        self.G_solver = tf.train.AdamOptimizer(self.learning_rate).minimize(
            G_loss, var_list=theta_G)

    def train_step(self, sess, mnist, rng):
        X_mb, y_mb = mnist.next_batch(self.mb_size)
        y_mb = one_hot(y_mb, y_dim)  # read_data_sets(..., one_hot=True)

        Z_sample = sample_Z(self.mb_size, Z_dim, rng)
        _, D_loss_curr = sess.run([self.D_solver, self.D_loss],
                                  feed_dict={self.X: X_mb, self.Z: Z_sample, self.y: y_mb})
        _, G_loss_curr = sess.run([self.G_solver, self.G_loss],
                                  feed_dict={self.Z: Z_sample, self.y: y_mb})
        return D_loss_curr, G_loss_curr

    def grid_labels(self):
        return np.full(16, self.digit)

    def sample(self, sess, n, rng, labels=None):
        """n samples of the digits `labels` (default: all --digit, as the original's y_sample)."""
        Z_sample = sample_Z(n, Z_dim, rng)
        y_sample = one_hot(np.full(n, self.digit) if labels is None else labels, y_dim)
        return sess.run(self.G_sample, feed_dict={self.Z: Z_sample, self.y: y_sample})

    def save_final_figures(self, sess, run_dir, rng):
        """digits.png: 10x10 samples, row d conditioned on digit d."""
        from gantools.plots import DigitGrid
        samples = self.sample(sess, 100, rng, np.repeat(np.arange(10), 10))
        DigitGrid(10, 10).save(run_dir / 'digits.png', samples)


def train(run):
    """wiseodd's loop: every 1000 iterations a grid of --digit before the updates and the
    losses after them (`--sample-every`, `--log-every`); `loop` holds the session, the data,
    the grid counter i and the checkpoint (gantools.mnist.graph)."""
    args = run.args
    loop = Loop(run.args, run.seed, run.data, CGAN)
    g, sess, mnist = loop.g, loop.sess, loop.mnist
    loop.attach(run)

    for it in run.range(args.steps):
        if args.sample_every and it % args.sample_every == 0:
            loop.plot(it)  # samples/NNN.png of y_sample (the digit); i += 1

        D_loss_curr, G_loss_curr = g.train_step(sess, mnist, loop.noise(it))

        if it % args.log_every == 0:
            run.print('Iter: {}'.format(it))
            run.print('D loss: {:.4}'.format(D_loss_curr))
            run.print('G_loss: {:.4}'.format(G_loss_curr))
            run.print()
            run.log(step=it, D_loss=D_loss_curr, G_loss=G_loss_curr)
        run.show('D:{:.4g}  G:{:.4g}'.format(D_loss_curr, G_loss_curr))
    return loop.finish()
