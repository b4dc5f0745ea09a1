"""The conditional MLP GAN on MNIST (S8): seed 003's CGAN, wiseodd's
`GAN/conditional_gan/cgan_tensorflow.py`.

The vanilla GAN with the one-hot label y concatenated to the inputs of both nets, in the
code's order and with its names: mb_size 64, Z_dim 100, X_dim 784, y_dim 10, h_dim 128,
xavier_init, X, y, the D variables and theta_D, discriminator(x, y), Z, the G variables and
theta_G, generator(z, y), sample_Z, plot, G_sample, D_real/D_fake, the sigmoid cross-entropy
losses on the logits, Adam with TensorFlow's defaults and the loop: 1,000,000 iterations,
each with a batch and its labels and **one** Z_sample used by both the D and the G update;
every 1000 iterations, before the updates, a 4x4 grid of samples with y fixed to the digit 7
(`y_sample[:, 7] = 1`), and the losses printed after them. It runs under
`tensorflow.compat.v1` of TensorFlow 2.21. What had to change or was chosen, one line each:

- The loss is the code's, on the logits D_logit_real/D_logit_fake; the post's "PS" version
  passes the probabilities D_real/D_fake as `logits=`, a slip: `build_graph(posted_loss=True)`.
- The post's `tf.concat(concat_dim=1, values=...)` (TF 0.12) is `tf.concat(axis=1, values=...)`
  as in the code since TF 1.0; X_dim and y_dim are the constants 784 and 10 instead of being
  read from `mnist.train` at import.
- As in `originals.wiseodd_gan` (S6): `build_graph` holds the module-level graph statements in
  a `tf.Graph()` of its own (no global `tf.disable_v2_behavior()`), generator and
  discriminator are closures, resource variables instead of reference variables,
  `originals.input_data` (one-hot labels) stands in for the removed
  `tensorflow.examples.tutorials.mnist`, the body of the loop after the sampling is
  `train_iteration`, and `main` runs the whole loop. xavier_init, sample_Z and plot, the same
  code in wiseodd's three files, come from there.

The noise comes from the unseeded global `np.random`, as in the code. `sidebyside.s8`
runs `train_iteration` beside the port (`tf1_compat/mnist_cgan.py`).
"""
import os
import types

import numpy as np
import tensorflow.compat.v1 as tf
import matplotlib.pyplot as plt

from originals import input_data  # tensorflow.examples.tutorials.mnist's, removed in TF 2
# the same in wiseodd's three files
from originals.wiseodd_gan import plot, sample_Z, xavier_init

mb_size = 64
Z_dim = 100
X_dim = 784
y_dim = 10
h_dim = 128


def build_graph(posted_loss=False):
    """The code's module-level graph statements, in a graph of their own; returns them by name.
    `posted_loss`: the post's "PS" loss (the probabilities D_real/D_fake passed as `logits=`)
    instead of the code's, on the logits."""
    graph = tf.Graph()
    with graph.as_default():
        """ Discriminator Net model """
        X = tf.placeholder(tf.float32, shape=[None, 784])
        y = tf.placeholder(tf.float32, shape=[None, y_dim])

        D_W1 = tf.Variable(xavier_init([X_dim + y_dim, h_dim]))
        D_b1 = tf.Variable(tf.zeros(shape=[h_dim]))

        D_W2 = tf.Variable(xavier_init([h_dim, 1]))
        D_b2 = tf.Variable(tf.zeros(shape=[1]))

        theta_D = [D_W1, D_W2, D_b1, D_b2]

        def discriminator(x, y):
            inputs = tf.concat(axis=1, values=[x, y])
            D_h1 = tf.nn.relu(tf.matmul(inputs, D_W1) + D_b1)
            D_logit = tf.matmul(D_h1, D_W2) + D_b2
            D_prob = tf.nn.sigmoid(D_logit)

            return D_prob, D_logit

        """ Generator Net model """
        Z = tf.placeholder(tf.float32, shape=[None, Z_dim])

        G_W1 = tf.Variable(xavier_init([Z_dim + y_dim, h_dim]))
        G_b1 = tf.Variable(tf.zeros(shape=[h_dim]))

        G_W2 = tf.Variable(xavier_init([h_dim, X_dim]))
        G_b2 = tf.Variable(tf.zeros(shape=[X_dim]))

        theta_G = [G_W1, G_W2, G_b1, G_b2]

        def generator(z, y):
            inputs = tf.concat(axis=1, values=[z, y])
            G_h1 = tf.nn.relu(tf.matmul(inputs, G_W1) + G_b1)
            G_log_prob = tf.matmul(G_h1, G_W2) + G_b2
            G_prob = tf.nn.sigmoid(G_log_prob)

            return G_prob

        G_sample = generator(Z, y)
        D_real, D_logit_real = discriminator(X, y)
        D_fake, D_logit_fake = discriminator(G_sample, y)

        if posted_loss:  # the post's "PS: 用下面的loss函数"
            D_loss_real = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
                logits=D_real, labels=tf.ones_like(D_real)))
            D_loss_fake = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
                logits=D_fake, labels=tf.zeros_like(D_fake)))
            D_loss = D_loss_real + D_loss_fake
            G_loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
                logits=D_fake, labels=tf.ones_like(D_fake)))
        else:
            D_loss_real = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
                logits=D_logit_real, labels=tf.ones_like(D_logit_real)))
            D_loss_fake = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
                logits=D_logit_fake, labels=tf.zeros_like(D_logit_fake)))
            D_loss = D_loss_real + D_loss_fake
            G_loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
                logits=D_logit_fake, labels=tf.ones_like(D_logit_fake)))

        D_solver = tf.train.AdamOptimizer().minimize(D_loss, var_list=theta_D)
        G_solver = tf.train.AdamOptimizer().minimize(G_loss, var_list=theta_G)

        init = tf.global_variables_initializer()
    return types.SimpleNamespace(**locals())


def train_iteration(sess, g, mnist):
    """The loop's body after the sampling: one Z_sample for the D and the G update."""
    X_mb, y_mb = mnist.train.next_batch(mb_size)

    Z_sample = sample_Z(mb_size, Z_dim)
    _, D_loss_curr = sess.run([g.D_solver, g.D_loss],
                              feed_dict={g.X: X_mb, g.Z: Z_sample, g.y: y_mb})
    _, G_loss_curr = sess.run([g.G_solver, g.G_loss], feed_dict={g.Z: Z_sample, g.y: y_mb})
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
        if it % 1000 == 0:
            n_sample = 16

            Z_sample = sample_Z(n_sample, Z_dim)
            y_sample = np.zeros(shape=[n_sample, y_dim])
            y_sample[:, 7] = 1

            samples = sess.run(g.G_sample, feed_dict={g.Z: Z_sample, g.y: y_sample})

            fig = plot(samples)
            plt.savefig(os.path.join(out, '{}.png'.format(str(i).zfill(3))),
                        bbox_inches='tight')
            i += 1
            plt.close(fig)

        D_loss_curr, G_loss_curr = train_iteration(sess, g, mnist)

        if it % 1000 == 0:
            print('Iter: {}'.format(it))
            print('D loss: {:.4}'.format(D_loss_curr))
            print('G_loss: {:.4}'.format(G_loss_curr))
            print()
    return sess, g


if __name__ == '__main__':
    main()
