"""The Wasserstein GAN MLP on MNIST in TensorFlow graph mode (program S7).

Ports the WGAN of the WGAN/CGAN post (seed 003), a translation of wiseodd's blog post, whose
code is `GAN/wasserstein_gan/wgan_tensorflow.py`: the vanilla GAN's MLPs with a linear critic
D 784-128-1 (D_loss = mean(D_real) - mean(D_fake), maximised; G_loss = -mean(D_fake)), every
critic weight and bias clipped to [-0.01, 0.01] after each critic update, 5 critic updates per
G update, TF 1's RMSProp (accumulators start at ones) at 5e-5; G 10-128-784 (sigmoid), noise
U(-1, 1), batches of 32, 1,000,000 iterations; the losses printed every 100 iterations and a
4x4 grid every 1000, after the updates. Trainable parameters: D 100,609, G 102,544. Read it
beside the original: mb_size, X_dim, z_dim, h_dim, X, the D variables, theta_D, z, the G
variables, theta_G, sample_z, generator, discriminator, the losses, D_solver/G_solver, clip_D
the loop's body (`train_step`) and the loop (`train`). xavier_init is shared with S6 and S8
(`tf1_compat/mnist_common.py`); what the loop calls around the body (the session, the data,
the grids as `plot` drew them, the checkpoint: `Loop`) is gantools.mnist.graph's.

Deliberate differences (the defaults compute what the post describes; details in the README):
- The learning rate is 5e-5, as the post and the WGAN paper say; wiseodd's repository used
  1e-4 (`--lr 1e-4`).
- `clip_D` runs after each critic update by construction (a control dependency on
  `D_solver`); the code's single `sess.run([D_solver, D_loss, clip_D])` leaves the order to
  the runtime (TensorFlow 2.21 clips first): `--clip-order same-run` runs the code's.
- `--n-critic` and `--clip` make the 5 updates and the clip value flags.
- As S6 (`tf1_compat/mnist_gan.py`): the project's MNIST loader, one explicit `tf.Graph`,
  noise from NumPy generators derived from (--seed, iteration), grids in `samples/`, plus
  evolution.gif, losses, checkpoints, a progress bar and quality metrics.
"""
import tensorflow.compat.v1 as tf

from gantools.mnist.graph import GraphGAN, Loop
from tf1_compat.mnist_common import sample_Z as sample_z, xavier_init

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
    options = ('n_critic', 'clip', 'clip_order')
    n_critic = 5
    clip = 0.01
    clip_order = 'after-update'  # 'same-run': the code's, the order left to the runtime

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

        if self.clip_order == 'same-run':  # the code's, fetched with D_solver
            self.clip_D = [p.assign(tf.clip_by_value(p, -self.clip, self.clip))
                           for p in theta_D]
        else:  # Clip after the update: running clip_D runs D_solver first.
            with tf.control_dependencies([D_solver]):
                self.clip_D = [p.assign(tf.clip_by_value(p.read_value(), -self.clip, self.clip))
                               for p in theta_D]

    def train_step(self, sess, mnist, rng):
        for _ in range(self.n_critic):
            X_mb, _ = mnist.next_batch(self.mb_size)

            _, D_loss_curr, _ = sess.run(
                [self.D_solver, self.D_loss, self.clip_D],
                feed_dict={self.X: X_mb, self.z: sample_z(self.mb_size, z_dim, rng)}
            )

        _, G_loss_curr = sess.run(
            [self.G_solver, self.G_loss],
            feed_dict={self.z: sample_z(self.mb_size, z_dim, rng)}
        )
        return D_loss_curr, G_loss_curr

    def sample(self, sess, n, rng, labels=None):
        return sess.run(self.G_sample, feed_dict={self.z: sample_z(n, z_dim, rng)})


def train(run):
    """wiseodd's loop: the updates (n_critic critic steps with clipping, one G step), the
    losses every 100 iterations, then every 1000 a grid (`--log-every`, `--sample-every`);
    `loop` holds the session, the data, the grid counter i and the checkpoint
    (gantools.mnist.graph)."""
    args = run.args
    loop = Loop(run.args, run.seed, run.data, WGAN)
    g, sess, mnist = loop.g, loop.sess, loop.mnist
    loop.attach(run)

    for it in run.range(args.steps):
        D_loss_curr, G_loss_curr = g.train_step(sess, mnist, loop.noise(it))

        if it % args.log_every == 0:
            run.print('Iter: {}; D loss: {:.4}; G_loss: {:.4}'
                      .format(it, D_loss_curr, G_loss_curr))
            run.log(step=it, D_loss=D_loss_curr, G_loss=G_loss_curr)

        if args.sample_every and it % args.sample_every == 0:
            loop.plot(it)  # samples/NNN.png; i += 1
        run.show('D:{:.4g}  G:{:.4g}'.format(D_loss_curr, G_loss_curr))
    return loop.finish()
