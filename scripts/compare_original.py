#!/usr/bin/env python
"""Run a port beside the reference rendition of its original and compare them.

The program is sidebyside/compare.py; `--help` lists its flags. Needs the optional extra
.[originals] (torch, tf-keras).
"""
import sys

from gantools.run.launch import compare_original

if __name__ == "__main__":
    sys.exit(compare_original())
