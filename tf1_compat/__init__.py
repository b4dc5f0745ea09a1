"""Graph-mode `tf.compat.v1` ports: placeholders, variable scopes and `Session.run`, as the
originals were written (the book's 1-D Gaussian GAN; the MNIST GAN, WGAN and CGAN MLPs)."""
