#!/usr/bin/env python
"""Run the nine programs and write RESULTS.md (gantools/reproduce.py; `--help`)."""
import sys

from gantools.run.launch import reproduce

if __name__ == "__main__":
    sys.exit(reproduce())
