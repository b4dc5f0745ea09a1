#!/usr/bin/env python
"""Train the blog's DCGAN on 96x96 anime faces (S2), ported from PyTorch to Keras 3.

The program is keras_models/dcgan.py; `--help` lists its flags.
"""
import sys

from gantools.run.launch import program

if __name__ == "__main__":
    sys.exit(program())
