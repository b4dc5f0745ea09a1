"""wiseodd's helpers, the same in all three MNIST programs of the WGAN/CGAN post (S6, S7,
S8), written once: `xavier_init` and `sample_Z` (its np.random drawn from a seeded NumPy
generator). The services the three loops call around wiseodd's code (the graph and its
Saver, the session, the data, the grids, the checkpoint) are gantools.mnist.graph's."""
import tensorflow.compat.v1 as tf


# -- wiseodd's helpers, the same in all three programs -------------------------------------

def xavier_init(size):
    in_dim = size[0]
    xavier_stddev = 1. / tf.sqrt(in_dim / 2.)
    return tf.random_normal(shape=size, stddev=xavier_stddev)


def sample_Z(m, n, rng):
    return rng.uniform(-1., 1., size=[m, n])
