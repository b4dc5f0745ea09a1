"""Shared test helpers: run a script as a user would, in a fresh process."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gantools.launch import quiet_tensorflow

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"

# Import TensorFlow once, quietly, before any test module does.
quiet_tensorflow()


def run_script(name, *args, cwd, timeout=300):
    """Run scripts/<name> with this interpreter in `cwd`; return the CompletedProcess."""
    env = dict(os.environ)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # as on a user's machine
    return subprocess.run([sys.executable, str(SCRIPTS / name), *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def script():
    return run_script


def make_faces(root, n=12, seed=0, corrupt=True, other=True):
    """A synthetic face folder: n gradient+noise images, most 96x96 JPEGs, every third
    120x80, image 1 a PNG, half of them in a sub-folder; plus a corrupt .jpg and a text
    file. Returns the folder."""
    import numpy as np
    from PIL import Image
    root = Path(root)
    (root / "sub").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        width, height = (96, 96) if i % 3 else (120, 80)
        y, x = np.mgrid[0:height, 0:width]
        image = np.stack([x * 255 / width, y * 255 / height,
                          np.full(x.shape, rng.integers(256))], -1)
        image = np.clip(image + rng.normal(0, 20, image.shape), 0, 255).astype(np.uint8)
        folder = root if i % 2 else root / "sub"
        Image.fromarray(image).save(folder / ("%d.png" % i if i == 1 else "%d.jpg" % i))
    if corrupt:
        (root / "broken.jpg").write_bytes(b"this is not a JPEG")
    if other:
        (root / "notes.txt").write_text("not an image")
    return root


@pytest.fixture
def faces(tmp_path):
    """A synthetic face folder (see make_faces) with 12 readable images."""
    return make_faces(tmp_path / "faces")
