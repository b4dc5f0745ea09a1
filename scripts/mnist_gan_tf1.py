#!/usr/bin/env python
"""Train the MNIST vanilla MLP GAN (S6) of the WGAN/CGAN post in TensorFlow graph mode.

The program is tf1_compat/mnist_gan.py; `--help` lists its flags.
"""
import sys

from gantools.run.launch import program

if __name__ == "__main__":
    sys.exit(program())
