#!/usr/bin/env python
"""Train the book's 1-D Gaussian GAN (S1) and save Figures 3-12 to 3-14.

The program is tf1_compat/gaussian_gan.py; `--help` lists its flags.
"""
import sys

from gantools.run.launch import program

if __name__ == "__main__":
    sys.exit(program())
