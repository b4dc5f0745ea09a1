#!/usr/bin/env python
"""Train the blog's WGAN (weight clipping, RMSprop) on 96x96 anime faces (S3), ported from
Keras 2 to Keras 3.

The program is keras_models/wgan.py; `--help` lists its flags.
"""
import sys

from gantools.run.launch import program

if __name__ == "__main__":
    sys.exit(program())
