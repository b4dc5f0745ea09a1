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
