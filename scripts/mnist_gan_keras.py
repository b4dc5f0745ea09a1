#!/usr/bin/env python
"""Train the blog's MNIST MLP GAN with dropout (S5), ported from PyTorch to Keras 3.

The program is keras_models/mnist_gan.py; `--help` lists its flags.
"""
import sys

from gantools.run.launch import program

if __name__ == "__main__":
    sys.exit(program())
