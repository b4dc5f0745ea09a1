"""The vanilla GAN on MNIST in TensorFlow graph mode (program S6).

Ports the "Vanilla GAN" that the WGAN/CGAN post (seed 003) starts from: wiseodd's
`GAN/vanilla_gan/gan_tensorflow.py`. D 784-128-1 (ReLU, a logit), G 100-128-784 (ReLU,
sigmoid), `xavier_init` weights, zero biases, noise U(-1, 1), Adam with TensorFlow's defaults,
batches of 128, one D then one G update per iteration (fresh noise each), 1,000,000
iterations; a 4x4 grid before the updates and the losses printed every 1000. Trainable
parameters: D 100,609, G 114,064. Read it beside the original: X, the D variables, theta_D,
Z, the G variables, theta_G, generator, discriminator, G_sample, D_real/D_fake, the losses,
D_solver/G_solver, the loop's body (`train_step`) and the loop (`train`) in wiseodd's order;
xavier_init and sample_Z are shared with S7 and S8 (`tf1_compat/mnist_common.py`); what the
loop calls around the body (the session, the data, the grids as `plot` drew them
(`gantools.plots.DigitGrid`), the checkpoint: `Loop`) is gantools.mnist.graph's.

Deliberate differences (the defaults compute what the original computes; details in the
README):
- The loss is the sigmoid cross-entropy on the logits that the code runs, not the log form
  the post shows (the same objective, finite when D saturates); `--loss log` runs the post's.
- MNIST from the project's loader (`--data`, the Keras cache or `--download`) instead of the
  removed `tensorflow.examples.tutorials.mnist`; 5,000 images held out and `next_batch`'s
  order, as `read_data_sets` (`--validation-size`).
- One `tf.Graph` per model with named variables instead of `tf.disable_v2_behavior()`.
- Noise and batches from NumPy generators derived from (--seed, iteration), not `np.random`;
  the grids draw from a stream of their own, so plotting never changes training.
- Grids in `samples/`, plus evolution.gif, losses.csv/png, checkpoints (`--resume`), a
  progress bar and quality metrics (`metrics.json`, `--evaluate`).
"""
import tensorflow.compat.v1 as tf

from gantools.mnist.graph import GraphGAN, Loop
from tf1_compat.mnist_common import sample_Z, xavier_init

X_dim = 784
Z_dim = 100
h_dim = 128
mb_size = 128


def generator(z, theta_G):
    G_W1, G_W2, G_b1, G_b2 = theta_G
    G_h1 = tf.nn.relu(tf.matmul(z, G_W1) + G_b1)
    G_log_prob = tf.matmul(G_h1, G_W2) + G_b2
    G_prob = tf.nn.sigmoid(G_log_prob)

    return G_prob


def discriminator(x, theta_D):
    D_W1, D_W2, D_b1, D_b2 = theta_D
    D_h1 = tf.nn.relu(tf.matmul(x, D_W1) + D_b1)
    D_logit = tf.matmul(D_h1, D_W2) + D_b2
    D_prob = tf.nn.sigmoid(D_logit)

    return D_prob, D_logit


class GAN(GraphGAN):
    options = ('loss',)
    loss = 'logits'  # the code's; --loss log: the post's
    def _create_model(self):
        self.X = X = tf.placeholder(tf.float32, shape=[None, X_dim], name='X')

        D_W1 = tf.Variable(xavier_init([X_dim, h_dim]), name='D_W1')
        D_b1 = tf.Variable(tf.zeros(shape=[h_dim]), name='D_b1')

        D_W2 = tf.Variable(xavier_init([h_dim, 1]), name='D_W2')
        D_b2 = tf.Variable(tf.zeros(shape=[1]), name='D_b2')

        self.theta_D = theta_D = [D_W1, D_W2, D_b1, D_b2]

        self.Z = Z = tf.placeholder(tf.float32, shape=[None, Z_dim], name='Z')

        G_W1 = tf.Variable(xavier_init([Z_dim, h_dim]), name='G_W1')
        G_b1 = tf.Variable(tf.zeros(shape=[h_dim]), name='G_b1')

        G_W2 = tf.Variable(xavier_init([h_dim, X_dim]), name='G_W2')
        G_b2 = tf.Variable(tf.zeros(shape=[X_dim]), name='G_b2')

        self.theta_G = theta_G = [G_W1, G_W2, G_b1, G_b2]

        self.G_sample = G_sample = generator(Z, theta_G)
        self.D_real, D_logit_real = discriminator(X, theta_D)
        self.D_fake, D_logit_fake = discriminator(G_sample, theta_D)

        if self.loss == 'log':  # the post's form, commented out in the code (--loss log)
            D_loss = -tf.reduce_mean(tf.log(self.D_real) + tf.log(1. - self.D_fake))
            G_loss = -tf.reduce_mean(tf.log(self.D_fake))
        else:
            D_loss_real = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
                logits=D_logit_real, labels=tf.ones_like(D_logit_real)))
            D_loss_fake = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
                logits=D_logit_fake, labels=tf.zeros_like(D_logit_fake)))
            D_loss = D_loss_real + D_loss_fake
            G_loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
                logits=D_logit_fake, labels=tf.ones_like(D_logit_fake)))
        self.D_loss, self.G_loss = D_loss, G_loss

        self.D_solver = tf.train.AdamOptimizer(self.learning_rate).minimize(
            D_loss, var_list=theta_D)
        self.G_solver = tf.train.AdamOptimizer(self.learning_rate).minimize(
            G_loss, var_list=theta_G)

    def train_step(self, sess, mnist, rng):
        X_mb, _ = mnist.next_batch(self.mb_size)

        _, D_loss_curr = sess.run([self.D_solver, self.D_loss], feed_dict={
            self.X: X_mb, self.Z: sample_Z(self.mb_size, Z_dim, rng)})
        _, G_loss_curr = sess.run([self.G_solver, self.G_loss], feed_dict={
            self.Z: sample_Z(self.mb_size, Z_dim, rng)})
        return D_loss_curr, G_loss_curr

    def sample(self, sess, n, rng, labels=None):
        return sess.run(self.G_sample, feed_dict={self.Z: sample_Z(n, Z_dim, rng)})


def train(run):
    """wiseodd's loop: every 1000 iterations a grid before the updates and the losses after
    them (`--sample-every`, `--log-every`); `loop` holds the session, the data, the grid
    counter i and the checkpoint (gantools.mnist.graph)."""
    args = run.args
    loop = Loop(run.args, run.seed, run.data, GAN)
    g, sess, mnist = loop.g, loop.sess, loop.mnist
    loop.attach(run)

    for it in run.range(args.steps):
        if args.sample_every and it % args.sample_every == 0:
            loop.plot(it)  # samples/NNN.png; i += 1

        D_loss_curr, G_loss_curr = g.train_step(sess, mnist, loop.noise(it))

        if it % args.log_every == 0:
            run.print('Iter: {}'.format(it))
            run.print('D loss: {:.4}'.format(D_loss_curr))
            run.print('G_loss: {:.4}'.format(G_loss_curr))
            run.print()
            run.log(step=it, D_loss=D_loss_curr, G_loss=G_loss_curr)
        run.show('D:{:.4g}  G:{:.4g}'.format(D_loss_curr, G_loss_curr))
    return loop.finish()
