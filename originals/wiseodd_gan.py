"""The vanilla MLP GAN on MNIST (S6), wiseodd's `GAN/vanilla_gan/gan_tensorflow.py`.

The GAN that the WGAN/CGAN post (seed 003) starts from ("Vanilla GAN"), in the code's order
and with its names: xavier_init, X, the D variables and theta_D, Z, the G variables and
theta_G, sample_Z, generator, discriminator, plot, G_sample, D_real/D_fake, the losses,
D_solver/G_solver (Adam with TensorFlow's defaults), mb_size 128, Z_dim 100 and the loop:
1,000,000 iterations of one D update (a new batch, new noise) and one G update (new noise),
a 4x4 grid of samples saved before the updates and the losses printed after them every 1000
iterations. The loss is the code's active one, the sigmoid cross-entropy on the logits; the
post's log form, which the code keeps commented out, runs with `build_graph(posted_loss=True)`. It runs under
`tensorflow.compat.v1` of TensorFlow 2.21. What had to change, one line each:

- The code builds its graph at module level in the default graph; here `build_graph` holds
  those statements, in their order, inside a `tf.Graph()` of its own (graph mode without
  `tf.disable_v2_behavior()`, which would switch the whole process, Keras 3 included, out of
  eager execution), and returns them by name. generator and discriminator become closures
  over the variables instead of reading module globals; sample_Z and plot, which build no
  graph, stay module functions.
- Variables are therefore resource variables instead of TF 1's reference variables. No value
  differs: each `sess.run` reads a variable only for the update that the same run applies.
- `tensorflow.examples.tutorials.mnist` is gone from TensorFlow 2: `originals.input_data` is
  its reader as TF 1 shipped it (the first 5,000 training images held out, `next_batch`
  shuffled by the global `numpy.random`), reading `mnist.npz` or the IDX files from
  `data_dir` (the code's '../../MNIST_data'; default Keras's cache) without downloading. The
  data is read in `main`, not at import.
- `tf.initialize_all_variables()` (removed) is `tf.global_variables_initializer()`, built with
  the graph; the positional `sigmoid_cross_entropy_with_logits(logits, labels)` of TF 0.12
  takes keywords (TF >= 1.0 rejects positional arguments).
- The body of the loop after the sampling is the function `train_iteration`, so the
  side-by-side can run it alone; `main` runs the whole loop (`iterations` and the `out`
  folder are arguments with the code's values as defaults).

The noise comes from the unseeded global `np.random`, as in the code. `sidebyside.s6`
runs `train_iteration` beside the port (`tf1_compat/mnist_gan.py`).
"""
import os
import types

import numpy as np
import tensorflow.compat.v1 as tf
import matplotlib.pyplot as plt
import matplotlib.gridspec as gridspec

from originals import input_data  # tensorflow.examples.tutorials.mnist's, removed in TF 2


def xavier_init(size):
    in_dim = size[0]
    xavier_stddev = 1. / tf.sqrt(in_dim / 2.)
    return tf.random_normal(shape=size, stddev=xavier_stddev)


def build_graph(posted_loss=False):
    """The code's module-level graph statements, in a graph of their own; returns them by name.
    `posted_loss`: the loss the post shows (the code's commented-out lines) instead of the
    code's sigmoid cross-entropy on the logits."""
    graph = tf.Graph()
    with graph.as_default():
        X = tf.placeholder(tf.float32, shape=[None, 784])

        D_W1 = tf.Variable(xavier_init([784, 128]))
        D_b1 = tf.Variable(tf.zeros(shape=[128]))

        D_W2 = tf.Variable(xavier_init([128, 1]))
        D_b2 = tf.Variable(tf.zeros(shape=[1]))

        theta_D = [D_W1, D_W2, D_b1, D_b2]

        Z = tf.placeholder(tf.float32, shape=[None, 100])

        G_W1 = tf.Variable(xavier_init([100, 128]))
        G_b1 = tf.Variable(tf.zeros(shape=[128]))

        G_W2 = tf.Variable(xavier_init([128, 784]))
        G_b2 = tf.Variable(tf.zeros(shape=[784]))

        theta_G = [G_W1, G_W2, G_b1, G_b2]

        def generator(z):
            G_h1 = tf.nn.relu(tf.matmul(z, G_W1) + G_b1)
            G_log_prob = tf.matmul(G_h1, G_W2) + G_b2
            G_prob = tf.nn.sigmoid(G_log_prob)

            return G_prob

        def discriminator(x):
            D_h1 = tf.nn.relu(tf.matmul(x, D_W1) + D_b1)
            D_logit = tf.matmul(D_h1, D_W2) + D_b2
            D_prob = tf.nn.sigmoid(D_logit)

            return D_prob, D_logit

        G_sample = generator(Z)
        D_real, D_logit_real = discriminator(X)
        D_fake, D_logit_fake = discriminator(G_sample)

        if posted_loss:  # the post's; commented out in the code
            D_loss = -tf.reduce_mean(tf.log(D_real) + tf.log(1. - D_fake))
            G_loss = -tf.reduce_mean(tf.log(D_fake))
        else:
            # Alternative losses:
            # -------------------
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


def sample_Z(m, n):
    return np.random.uniform(-1., 1., size=[m, n])


def plot(samples):
    fig = plt.figure(figsize=(4, 4))
    gs = gridspec.GridSpec(4, 4)
    gs.update(wspace=0.05, hspace=0.05)

    for i, sample in enumerate(samples):
        ax = plt.subplot(gs[i])
        plt.axis('off')
        ax.set_xticklabels([])
        ax.set_yticklabels([])
        ax.set_aspect('equal')
        plt.imshow(sample.reshape(28, 28), cmap='Greys_r')

    return fig


mb_size = 128
Z_dim = 100


def train_iteration(sess, g, mnist):
    """The loop's body after the sampling: one D update, one G update, each with new noise."""
    X_mb, _ = mnist.train.next_batch(mb_size)

    _, D_loss_curr = sess.run([g.D_solver, g.D_loss],
                              feed_dict={g.X: X_mb, g.Z: sample_Z(mb_size, Z_dim)})
    _, G_loss_curr = sess.run([g.G_solver, g.G_loss], feed_dict={g.Z: sample_Z(mb_size, Z_dim)})
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
            samples = sess.run(g.G_sample, feed_dict={g.Z: sample_Z(16, Z_dim)})

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
