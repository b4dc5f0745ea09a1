"""Shared test helpers: run a script as a user would, in a fresh process; synthetic
data; reading what a run wrote."""
import contextlib
import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gantools.run.launch import quiet_tensorflow

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"

# Import TensorFlow once, quietly, before any test module does.
quiet_tensorflow()


@pytest.fixture(autouse=True)
def no_leaked_op_determinism():
    """A program run in-process with --deterministic turns on TensorFlow's op determinism for
    the whole process, and under it an unseeded random op (the originals' graphs, as printed)
    fails. Each test starts without it; TensorFlow exports no public switch to turn it off."""
    yield
    from tensorflow.python.framework import config
    if config.is_op_determinism_enabled():
        config.disable_op_determinism()


@pytest.fixture(autouse=True)
def torch_stays_out():
    """No test process imports PyTorch: TensorFlow is loaded in every one (above), and the
    two runtimes in one process can crash it (PyPI's default PyTorch segfaults importing
    triton). The PyTorch originals run in child processes (originals/serve.py)."""
    yield
    assert "torch" not in sys.modules, "this test imported torch into a TensorFlow process"


def run_script(name, *args, cwd, timeout=300):
    """Run scripts/<name> with this interpreter in `cwd`; return the CompletedProcess."""
    env = dict(os.environ)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # as on a user's machine
    return subprocess.run([sys.executable, str(SCRIPTS / name), *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def script():
    return run_script


@pytest.fixture(scope="module")
def one_pytorch_process():
    """One child process for the PyTorch originals for all of a module's comparisons, started
    by the first that needs one (`pytestmark = pytest.mark.usefixtures(...)` in the module)."""
    from sidebyside._torch import kept
    with kept():
        yield


def program_parser(program_id):
    """The flag parser of program "S1" ... "S9" (gantools.run.programs), as its script builds it
    from the runner.Program its module declares."""
    import importlib
    from gantools.run import runner
    from gantools.run.programs import PROGRAMS
    entry = PROGRAMS[program_id]
    module = importlib.import_module(entry.command)
    [declared] = [value for value in vars(module).values()
                  if isinstance(value, type) and issubclass(value, runner.Program)
                  and value.__module__ == module.__name__
                  and getattr(value, "script", None) == entry.script]
    return runner.build_parser(declared())


# -- MNIST (S5-S8): synthetic data only, never real MNIST, never the network --------------

USER_KERAS_HOME = os.environ.get("KERAS_HOME")  # before the fixture below changes it

def shared_folder(tmp_path_factory, name):
    """A folder of this test session that every xdist worker sees (the one above the
    workers' own), for what one worker makes and the others reuse (see `one_at_a_time`)."""
    folder = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        folder = folder.parent
    folder = folder / name
    folder.mkdir(exist_ok=True)
    return folder


@contextlib.contextmanager
def one_at_a_time(lock_file):
    """Hold an exclusive lock on `lock_file`: one worker makes a shared thing while the
    others wait, then find it made."""
    import fcntl
    with open(lock_file, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture(scope="session")
def keras_home(tmp_path_factory):
    """A private Keras cache for the whole session (the metrics classifier is cached there),
    shared by the xdist workers."""
    home = shared_folder(tmp_path_factory, "keras_home")
    previous = os.environ.get("KERAS_HOME")
    os.environ["KERAS_HOME"] = str(home)
    yield home
    if previous is None:
        os.environ.pop("KERAS_HOME", None)
    else:
        os.environ["KERAS_HOME"] = previous


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory):
    """(Mnist, path of its mnist.npz): 4000 training and 1000 test images of drawn digits."""
    from gantools.mnist import write_npz
    from synthetic_mnist import synthetic_mnist
    data = synthetic_mnist(4000, 1000)
    path = tmp_path_factory.mktemp("mnist") / "mnist.npz"
    write_npz(path, data.x_train, data.y_train, data.x_test, data.y_test)
    return data, path


@pytest.fixture(scope="session")
def classifier(synthetic, keras_home):
    """The metrics classifier trained (once, cached in keras_home) on the synthetic set."""
    from gantools.mnist import load_mnist
    from gantools.mnist.metrics import load_or_train_classifier
    with one_at_a_time(keras_home / "classifier.lock"):  # one worker trains, others load
        return load_or_train_classifier(load_mnist(synthetic[1]), verbose=False)

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


@pytest.fixture(scope="module")
def small_faces(tmp_path_factory):
    """Five readable synthetic faces (and a corrupt file and a text file), once per module."""
    return make_faces(tmp_path_factory.mktemp("data") / "faces", n=5)


def read_rows(path, drop=()):
    """A run's CSV file as a list of dicts, without the columns in `drop`."""
    with open(path, newline="") as f:
        return [{k: v for k, v in row.items() if k not in drop} for row in csv.DictReader(f)]


def assert_only_run_files(out):
    """Every file a run wrote matches rundir.RUN_FILES, and its manifest lists what
    --overwrite removes: the files a finished run wrote."""
    from gantools.run.rundir import MANIFEST, MARKER, is_run_file, read_manifest
    files = [p.relative_to(out).as_posix() for p in Path(out).rglob("*") if p.is_file()]
    assert MARKER in files and MANIFEST in files
    assert [f for f in files if not is_run_file(f)] == []
    listed = set(read_manifest(out))
    assert {"config.json", "losses.csv", "metrics.json"} <= listed
    assert not [f for f in files if f not in listed | {MARKER, MANIFEST}
                and not f.startswith("evaluation-")], "written but not in the manifest"


def checkpoint_values(run_dir):
    """Every tensor of the run's latest checkpoint (but its save counter), by name."""
    import tensorflow as tf
    reader = tf.train.load_checkpoint(str(Path(run_dir) / "checkpoints"))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()
            if "save_counter" not in name and "OBJECT_GRAPH" not in name}
