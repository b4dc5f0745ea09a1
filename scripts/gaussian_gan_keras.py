#!/usr/bin/env python
"""Train the blog's 1-D N(4, 1.25) GAN (S4), ported from PyTorch to Keras 3.

The program is keras_models/gaussian_gan.py; `--help` lists its flags.
"""
import sys

from gantools.run.launch import program

if __name__ == "__main__":
    sys.exit(program())
