"""The one MNIST loader of the project (programs S5-S8), and a resumable batch stream.

Where the data comes from, in this order (SPEC, "Conventions for every program"):
1. `--data PATH`: an `mnist.npz` in Keras's format (`x_train`, `y_train`, `x_test`, `y_test`),
   or a folder holding the four IDX files of LeCun's site (`train-images-idx3-ubyte`,
   `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each
   gzipped (`.gz`) or not; the `train-images.idx3-ubyte` spelling is accepted too);
2. the Keras cache, `$KERAS_HOME/datasets/mnist.npz` (`~/.keras/datasets/mnist.npz` when
   KERAS_HOME is unset, `/tmp/.keras/...` when the home folder is not writable, as Keras does);
3. with `--download` only: `keras.datasets.mnist.load_data()`, which fetches the file into
   that cache. Nothing is downloaded otherwise.

Missing, truncated or malformed files raise `gantools.run.cli.UsageError` with one line that names
the file, which the scripts turn into `<script>: error: ...` and exit code 2.

`Mnist` keeps the arrays as Keras returns them (uint8 images 28x28, uint8 labels); `images()`
gives them in the range a program needs ([0, 1] for the graph-mode programs, [-1, 1] for S5).
`checksum` identifies the training set (the metrics classifier is cached under it).

`Batches` is `mnist.train.next_batch(batch_size)` of TensorFlow 1's tutorial reader, which the
wiseodd programs used: the training images in a shuffled order, consumed in order, reshuffled
at each epoch, with a batch that crosses the end of an epoch made of the epoch's rest and the
start of the next. Each epoch's order comes from (seed, epoch), so the stream can be restarted
at any position (`--resume`) and continues with exactly the same batches.
"""
import gzip
import hashlib
import os
import zlib
from pathlib import Path

import numpy as np

from gantools.run.cli import UsageError

IMAGE_SHAPE = (28, 28)
IDX_NAMES = {  # (split, kind) -> IDX type number and the two usual spellings
    ("train", "images"): ["train-images-idx3-ubyte", "train-images.idx3-ubyte"],
    ("train", "labels"): ["train-labels-idx1-ubyte", "train-labels.idx1-ubyte"],
    ("test", "images"): ["t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"],
    ("test", "labels"): ["t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"],
}
HOW_TO_GET = ("pass --data PATH (an mnist.npz or a folder with the four MNIST IDX files), "
              "or --download to fetch it with keras.datasets.mnist")


def add_data_arguments(parser):
    """--data and --download, for every MNIST program."""
    group = parser.add_argument_group("data")
    source = group.add_mutually_exclusive_group()
    source.add_argument("--data", type=Path, metavar="PATH",
                        help="an mnist.npz (Keras format) or a folder with the four IDX files "
                             "(gzipped or not); default: the Keras cache, "
                             "$KERAS_HOME/datasets/mnist.npz")
    source.add_argument("--download", action="store_true",
                        help="if MNIST is not in the Keras cache, download it there with "
                             "keras.datasets.mnist (nothing is downloaded without this flag)")
    return group


def keras_cache_dir():
    """The Keras cache folder, by Keras's own rule, read now (not when Keras was imported)."""
    if "KERAS_HOME" in os.environ:
        return Path(os.environ["KERAS_HOME"]).expanduser()
    home = Path("~").expanduser()
    return (home if os.access(home, os.W_OK) else Path("/tmp")) / ".keras"


def default_npz_path():
    return keras_cache_dir() / "datasets" / "mnist.npz"


class Mnist:
    """The four MNIST arrays (uint8 images N x 28 x 28, uint8 labels N) and where they came from."""

    def __init__(self, x_train, y_train, x_test, y_test, source):
        self.x_train, self.y_train = x_train, y_train
        self.x_test, self.y_test = x_test, y_test
        self.source = str(source)
        digest = hashlib.sha256()
        digest.update(np.ascontiguousarray(x_train).tobytes())
        digest.update(np.ascontiguousarray(y_train).tobytes())
        self.checksum = digest.hexdigest()[:16]

    def describe(self):
        """For config.json."""
        return {"source": self.source, "checksum": self.checksum,
                "train_images": len(self.x_train), "test_images": len(self.x_test)}


def images(x, value_range=(0.0, 1.0), flatten=True):
    """uint8 images as float32 in `value_range`, flattened to 784 values unless `flatten=False`."""
    low, high = value_range
    out = x.astype(np.float32) * np.float32((high - low) / 255.0) + np.float32(low)
    return out.reshape(len(x), -1) if flatten else out


def one_hot(labels, depth=10):
    out = np.zeros((len(labels), depth), np.float32)
    out[np.arange(len(labels)), labels] = 1.0
    return out


# -- reading -------------------------------------------------------------------------------

def load_mnist(data=None, download=False):
    """Read MNIST from `data` (npz or IDX folder), else the Keras cache; see the module doc."""
    if data is not None:
        path = Path(data).expanduser()
        if path.is_dir():
            return _read_idx_folder(path)
        if not path.exists():
            raise UsageError(f"--data {path} does not exist; {HOW_TO_GET}")
        return _read_npz(path)
    path = default_npz_path()
    if path.is_file():
        return _read_npz(path)
    if not download:
        raise UsageError(f"MNIST not found: no {path}; {HOW_TO_GET}")
    return _download()


def _download():
    import keras
    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as error:  # network failures come in many types
        raise UsageError("--download: could not download MNIST with keras.datasets.mnist "
                         f"({type(error).__name__}: {_reason(error)})") from None
    return Mnist(x_train, y_train, x_test, y_test, "keras.datasets.mnist (downloaded)")


def _read_npz(path):
    keys = ("x_train", "y_train", "x_test", "y_test")
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):  # a .npy: one array
            raise UsageError(f"{path}: a .npy file with one array, not an mnist.npz (a .npz "
                             f"archive of x_train, y_train, x_test and y_test)")
        with loaded as f:
            missing = [k for k in keys if k not in f]
            if missing:
                raise UsageError(f"{path}: no array {missing[0]!r} (an mnist.npz holds x_train, "
                                 f"y_train, x_test and y_test)")
            arrays = {k: f[k] for k in keys}
    except UsageError:
        raise
    except Exception as error:  # damaged bytes raise zlib.error, NotImplementedError, ...
        raise UsageError(f"{path}: not a readable mnist.npz ({_reason(error)})") from None
    for split in ("train", "test"):
        _check(path, arrays[f"x_{split}"], arrays[f"y_{split}"], f"x_{split}", f"y_{split}")
    return Mnist(arrays["x_train"].astype(np.uint8), arrays["y_train"].astype(np.uint8),
                 arrays["x_test"].astype(np.uint8), arrays["y_test"].astype(np.uint8), path)


def _reason(error):
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _check(path, x, y, x_name, y_name):
    if x.ndim != 3 or x.shape[1:] != IMAGE_SHAPE:
        raise UsageError(f"{path}: {x_name} has shape {x.shape}, expected (N, 28, 28)")
    if y.ndim != 1:
        raise UsageError(f"{path}: {y_name} has shape {y.shape}, expected (N,)")
    if len(x) != len(y):
        raise UsageError(f"{path}: {len(x)} images in {x_name} but {len(y)} labels in {y_name}")
    if len(x) == 0:
        raise UsageError(f"{path}: {x_name} is empty")
    if not (np.issubdtype(x.dtype, np.integer) and x.min() >= 0 and x.max() <= 255):
        raise UsageError(f"{path}: {x_name} must hold pixel values 0-255 (uint8), "
                         f"found dtype {x.dtype}")
    if not (np.issubdtype(y.dtype, np.integer) and y.min() >= 0 and y.max() <= 9):
        raise UsageError(f"{path}: {y_name} must hold digit labels 0-9")


def _find_idx(folder, split, kind):
    for name in IDX_NAMES[(split, kind)]:
        for candidate in (folder / name, folder / (name + ".gz")):
            if candidate.is_file():
                return candidate
    raise UsageError(f"--data {folder}: no {IDX_NAMES[(split, kind)][0]}[.gz] in the folder; "
                     f"it needs the four MNIST IDX files (or pass an mnist.npz)")


def _read_idx_file(path, dims):
    """One IDX file of unsigned bytes with `dims` dimensions, as a uint8 array."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                raw = f.read()
        else:
            raw = path.read_bytes()
    except (OSError, EOFError, zlib.error) as error:  # gzip.BadGzipFile is an OSError
        raise UsageError(f"{path}: cannot read ({_reason(error)})") from None
    header = 4 + 4 * dims
    if len(raw) < header:
        raise UsageError(f"{path}: truncated IDX file ({len(raw)} bytes, no complete header)")
    magic = int.from_bytes(raw[:4], "big")
    if magic != 0x0800 + dims:
        raise UsageError(f"{path}: not an IDX file of {dims}-d unsigned bytes "
                         f"(magic number 0x{magic:08x}, expected 0x{0x0800 + dims:08x})")
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims))
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "too long"
        raise UsageError(f"{path}: {what}: the header announces shape {shape} "
                         f"({expected} bytes) but the file has {len(raw)} bytes")
    return np.frombuffer(raw, np.uint8, offset=header).reshape(shape)


def _read_idx_folder(folder):
    arrays = {}
    for (split, kind) in IDX_NAMES:
        path = _find_idx(folder, split, kind)
        arrays[(split, kind)] = (path, _read_idx_file(path, 3 if kind == "images" else 1))
    for split in ("train", "test"):
        (x_path, x), (_, y) = arrays[(split, "images")], arrays[(split, "labels")]
        _check(x_path, x, y, x_path.name, arrays[(split, "labels")][0].name)
    return Mnist(arrays[("train", "images")][1], arrays[("train", "labels")][1],
                 arrays[("test", "images")][1], arrays[("test", "labels")][1], folder)


# -- writing (tests, and converting an npz to IDX) -------------------------------------------

def write_npz(path, x_train, y_train, x_test, y_test):
    np.savez_compressed(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)


def write_idx(path, array, compress=None):
    """Write a uint8 array as an IDX file (gzipped when the name ends in .gz)."""
    path = Path(path)
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = (0x0800 + array.ndim).to_bytes(4, "big") + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape)
    data = header + array.tobytes()
    compress = path.suffix == ".gz" if compress is None else compress
    path.write_bytes(gzip.compress(data) if compress else data)


def write_idx_folder(folder, mnist, gz=True):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {("train", "images"): mnist.x_train, ("train", "labels"): mnist.y_train,
              ("test", "images"): mnist.x_test, ("test", "labels"): mnist.y_test}
    for key, array in arrays.items():
        write_idx(folder / (IDX_NAMES[key][0] + (".gz" if gz else "")), array)


# -- the training stream -------------------------------------------------------------------

def stream_rng(seed, stream, index):
    """An independent NumPy generator for (seed, stream, index): resumable random streams."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream, index)))


# Stream numbers for stream_rng: the epoch orders, the training noise, the sample figures
# and the final metrics' samples. Plotting and measuring draw from their own streams, so they
# never change training.
DATA_STREAM, NOISE_STREAM, GRID_STREAM, METRICS_STREAM = 0, 1, 2, 3


class Batches:
    """`mnist.train.next_batch(batch_size)` of TF 1's tutorial reader, restartable anywhere.

    `images` (N x D) and `labels` are kept as given. `position` counts the examples handed
    out so far; a new `Batches` with the same seed and position continues the same stream.
    """

    def __init__(self, images, labels, seed, position=0):
        self.images = images
        self.labels = labels
        self.seed = seed
        self.position = int(position)
        self._orders = {}

    def _order(self, epoch):
        if epoch not in self._orders:
            self._orders = {epoch: stream_rng(self.seed, DATA_STREAM, epoch).permutation(
                len(self.images))}
        return self._orders[epoch]

    def indices(self, batch_size):
        n = len(self.images)
        parts = []
        while batch_size > 0:
            epoch, start = divmod(self.position, n)
            take = min(batch_size, n - start)
            parts.append(self._order(epoch)[start:start + take])
            self.position += take
            batch_size -= take
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def next_batch(self, batch_size):
        index = self.indices(batch_size)
        return self.images[index], self.labels[index]
