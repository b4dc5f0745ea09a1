#!/usr/bin/env python
"""Train the MNIST conditional MLP GAN (S8) of the WGAN/CGAN post in TensorFlow graph mode.

The program is tf1_compat/mnist_cgan.py; `--help` lists its flags.
"""
import sys

from gantools.run.launch import program

if __name__ == "__main__":
    sys.exit(program())
