"""The WGAN MLP on MNIST (S7): seed 003's WGAN, wiseodd's `GAN/wasserstein_gan/wgan_tensorflow.py`.

The post's four changes to the vanilla GAN, in the code's order and with its names: mb_size
32, X_dim 784, z_dim 10, h_dim 128, plot, xavier_init, X, the D variables and theta_D, z, the
G variables and theta_G, sample_z, generator, a discriminator with a linear output,
D_loss = mean(D_real) - mean(D_fake) maximised (D_solver minimises -D_loss),
G_loss = -mean(D_fake), RMSProp, clip_D (every critic weight and bias clipped to
[-0.01, 0.01]) and the loop: 1,000,000 iterations of 5 critic updates (each a new batch and
new noise) and one G update (new noise), the losses printed every 100 iterations and a 4x4
grid saved every 1000, after the updates. It runs under `tensorflow.compat.v1` of
TensorFlow 2.21, whose `RMSPropOptimizer` is TF 1's (decay 0.9, no momentum, epsilon 1e-10,
mean-square accumulators that start at ones; the same ApplyRMSProp kernel, on resource
variables). What had to change or was chosen, one line each:

- RMSProp's learning rate is 5e-5, as the post's snippet (and the WGAN paper) gives; the
  repository's file used 1e-4 in its whole history (`build_graph(learning_rate=1e-4)`).
- `clip_D` is fetched in the same `sess.run` as D_solver and D_loss, as in the code, so the
  order of the update and the clipping is left to the runtime. In our runs TensorFlow 2.21's
  executor reads the weights for the loss and the gradient and clips them before it applies
  the update, so the critic leaves each step slightly outside the clip range (by the size of
  one update) and the next step starts from those values.
- As in `originals.wiseodd_gan` (S6): `build_graph` holds the module-level graph statements in
  a `tf.Graph()` of its own (no global `tf.disable_v2_behavior()`), generator and
  discriminator are closures, resource variables instead of reference variables,
  `originals.input_data` stands in for the removed
  `tensorflow.examples.tutorials.mnist`, the
  body of the loop is `train_iteration`, and `main` runs the whole loop. xavier_init, plot
  and sample_z (S6's sample_Z), the same code in wiseodd's three files, come from there.

The noise comes from the unseeded global `np.random`, as in the code. `sidebyside.s7`
runs `train_iteration` beside the port (`tf1_compat/mnist_wgan.py`).
"""
import os
import types

import tensorflow.compat.v1 as tf
import matplotlib.pyplot as plt

from originals import input_data  # tensorflow.examples.tutorials.mnist's, removed in TF 2
# the same in wiseodd's three files (sample_z is sample_Z under this file's name)
from originals.wiseodd_gan import plot, sample_Z as sample_z, xavier_init

mb_size = 32
X_dim = 784
z_dim = 10
h_dim = 128


def build_graph(learning_rate=5e-5):
    """The code's module-level graph statements, in a graph of their own; returns them by name."""
    graph = tf.Graph()
    with graph.as_default():
        X = tf.placeholder(tf.float32, shape=[None, X_dim])

        D_W1 = tf.Variable(xavier_init([X_dim, h_dim]))
        D_b1 = tf.Variable(tf.zeros(shape=[h_dim]))

        D_W2 = tf.Variable(xavier_init([h_dim, 1]))
        D_b2 = tf.Variable(tf.zeros(shape=[1]))

        theta_D = [D_W1, D_W2, D_b1, D_b2]

        z = tf.placeholder(tf.float32, shape=[None, z_dim])

        G_W1 = tf.Variable(xavier_init([z_dim, h_dim]))
        G_b1 = tf.Variable(tf.zeros(shape=[h_dim]))

        G_W2 = tf.Variable(xavier_init([h_dim, X_dim]))
        G_b2 = tf.Variable(tf.zeros(shape=[X_dim]))

        theta_G = [G_W1, G_W2, G_b1, G_b2]

        def generator(z):
            G_h1 = tf.nn.relu(tf.matmul(z, G_W1) + G_b1)
            G_log_prob = tf.matmul(G_h1, G_W2) + G_b2
            G_prob = tf.nn.sigmoid(G_log_prob)
            return G_prob

        def discriminator(x):
            D_h1 = tf.nn.relu(tf.matmul(x, D_W1) + D_b1)
            out = tf.matmul(D_h1, D_W2) + D_b2
            return out

        G_sample = generator(z)
        D_real = discriminator(X)
        D_fake = discriminator(G_sample)

        D_loss = tf.reduce_mean(D_real) - tf.reduce_mean(D_fake)
        G_loss = -tf.reduce_mean(D_fake)

        D_solver = (tf.train.RMSPropOptimizer(learning_rate=learning_rate)
                    .minimize(-D_loss, var_list=theta_D))
        G_solver = (tf.train.RMSPropOptimizer(learning_rate=learning_rate)
                    .minimize(G_loss, var_list=theta_G))

        clip_D = [p.assign(tf.clip_by_value(p, -0.01, 0.01)) for p in theta_D]

        init = tf.global_variables_initializer()
    return types.SimpleNamespace(**locals())


def train_iteration(sess, g, mnist):
    """The loop's body: 5 critic updates, each clipped in the same run, then one G update."""
    for _ in range(5):
        X_mb, _ = mnist.train.next_batch(mb_size)

        _, D_loss_curr, _ = sess.run(
            [g.D_solver, g.D_loss, g.clip_D],
            feed_dict={g.X: X_mb, g.z: sample_z(mb_size, z_dim)}
        )

    _, G_loss_curr = sess.run(
        [g.G_solver, g.G_loss],
        feed_dict={g.z: sample_z(mb_size, z_dim)}
    )
    return D_loss_curr, G_loss_curr


def main(mnist=None, iterations=1000000, out='out/', data_dir=None):
    if mnist is None:
        mnist = input_data.read_data_sets(data_dir, one_hot=True)
    g = build_graph()

    sess = tf.Session(graph=g.graph)
    sess.run(g.init)

    if not os.path.exists(out):
        os.makedirs(out)

    i = 0

    for it in range(iterations):
        D_loss_curr, G_loss_curr = train_iteration(sess, g, mnist)

        if it % 100 == 0:
            print('Iter: {}; D loss: {:.4}; G_loss: {:.4}'
                  .format(it, D_loss_curr, G_loss_curr))

            if it % 1000 == 0:
                samples = sess.run(g.G_sample, feed_dict={g.z: sample_z(16, z_dim)})

                fig = plot(samples)
                plt.savefig(os.path.join(out, '{}.png'.format(str(i).zfill(3))),
                            bbox_inches='tight')
                i += 1
                plt.close(fig)
    return sess, g


if __name__ == '__main__':
    main()
