"""Keras 3 functional-model ports (sine-curve GAN, anime DCGAN and WGAN, the blog's PyTorch
1-D and MNIST GANs)."""
