#!/usr/bin/env python
"""Train Robin Ricard's Keras sine-curve GAN (S9) and save the post's figures.

The program is keras_models/sine_gan.py; `--help` lists its flags.
"""
import sys

from gantools.run.launch import program

if __name__ == "__main__":
    sys.exit(program())
