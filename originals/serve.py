"""A reference rendition in a process of its own, answering the side-by-side harness.

    python -m originals.serve MODULE FOLDER

imports MODULE (for example `originals.torch_replay`, which imports PyTorch and the PyTorch
originals and nothing of TensorFlow), then reads one line per request from stdin: the name of
a function of MODULE. The function gets the arrays of FOLDER/request.npz as one dict and
returns a dict of arrays, written to FOLDER/response.npz; the answer on stdout is `ok`, or
`error <message>` with the traceback on stderr. The loop ends when stdin closes.

Why a process: an original and its port each bring a large native runtime (PyTorch's and
TensorFlow's, each with its own threads, allocator and compiler stack). In one process they
can crash each other (PyPI's default PyTorch build segfaults importing triton once
TensorFlow is loaded), and the originals never ran that way. So nothing here imports
TensorFlow, and the harness (`sidebyside/_child.py`) never imports torch.

What the rendition prints goes to stderr: stdout carries the answers only.
"""
import importlib
import os
import sys
import traceback
from pathlib import Path

import numpy as np


def main(argv=None):
    module_name, folder = (argv or sys.argv[1:])[:2]
    folder = Path(folder)
    # the answers go to a copy of stdout; fd 1 itself (Python's and C's prints) to stderr
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    module = importlib.import_module(module_name)
    answers.write("ready\n")
    for line in sys.stdin:
        name = line.strip()
        try:
            function = getattr(module, name)
            with np.load(folder / "request.npz", allow_pickle=False) as request:
                arrays = {key: request[key] for key in request.files}
            result = function(arrays)
            np.savez(folder / "response.npz", **{k: np.asarray(v) for k, v in result.items()})
        except Exception as error:  # reported to the harness, which raises it there
            traceback.print_exc()
            message = " ".join(f"{type(error).__name__}: {error}".split())
            answers.write(f"error {message}\n")
        else:
            answers.write("ok\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
