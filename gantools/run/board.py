"""`--tensorboard`: a run's losses, figures, metrics and hyper-parameters as TensorBoard
event files in `<run>/tensorboard/` (`tensorboard --logdir runs`).

- every number of every losses.csv row, as a scalar at its unit (step, epoch or batch);
- every PNG the program writes during the run (`frames/`, `samples/`: the sample grids and
  curve figures), as an image under its folder's name, at the unit it was written after;
  the final figures at the last unit;
- the final metrics (each number of metrics.json, nested keys joined with '/');
- the flags, through TensorBoard's HParams plugin, with the final metrics beside them.

TensorBoard is an optional extra (`pip install -e ".[tensorboard]"`): without it,
`--tensorboard` is one line naming the extra, exit code 1. TensorFlow is imported on use.
"""
import importlib.util
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from gantools.run.cli import Failure

IMAGE_FOLDERS = ("frames", "samples")


def require():
    if importlib.util.find_spec("tensorboard") is None:
        raise Failure("--tensorboard needs TensorBoard, which TensorFlow 2.21 no longer "
                      "installs: pip install -e \".[tensorboard]\" (or pip install "
                      "tensorboard)")


def numbers(values, prefix=""):
    """(name, float) for every finite number in a (nested) dict, names joined with '/'."""
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from numbers(value, name + "/")
        elif isinstance(value, (int, float, np.integer, np.floating)) \
                and not isinstance(value, (bool, np.bool_)) and np.isfinite(value):
            yield name, float(value)  # NumPy scalars too (Session.run's losses)


class Board:
    """The event-file writer of one run. Its TensorFlow calls run on a thread of its own,
    one at a time and waited for: eager there, whatever graph the program's loop has made
    the default on its thread (S1's loop runs inside the book's `with tf.Session()`)."""

    def __init__(self, run_dir, flags):
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tensorboard")
        self._call(self._open, run_dir, flags)

    def _call(self, method, *args):
        return self._thread.submit(method, *args).result()

    def row(self, row, step):
        self._call(self._row, row, step)

    def new_images(self, step, top=False):
        """Log the PNGs written since the last call (cheap when none was: the folders'
        modification times are compared first)."""
        self._call(self._new_images, step, top)

    def finish(self, metrics, step):
        self._call(self._finish, metrics, step)

    def close(self):
        self._call(lambda: self.writer.close())
        self._thread.shutdown()

    def _open(self, run_dir, flags):
        import tensorflow as tf
        self.run_dir = Path(run_dir)
        self.flags = {k: v if isinstance(v, (bool, int, float, str)) else json.dumps(v)
                      for k, v in flags.items()}
        self.writer = tf.summary.create_file_writer(str(self.run_dir / "tensorboard"))
        self.seen = {p for p in self._pngs()}
        self.stamps = self._stamps()

    def _stamps(self):
        return [(self.run_dir / f).stat().st_mtime_ns if (self.run_dir / f).is_dir() else 0
                for f in IMAGE_FOLDERS]

    def _pngs(self, top=False):
        folders = [self.run_dir] if top else [self.run_dir / f for f in IMAGE_FOLDERS]
        return sorted(p for folder in folders if folder.is_dir() for p in folder.glob("*.png"))

    def _row(self, row, step):
        import tensorflow as tf
        with self.writer.as_default(step=step):
            for name, value in numbers(row):
                tf.summary.scalar(name, value)

    def _new_images(self, step, top=False):
        stamps = self._stamps()
        if stamps == self.stamps and not top:
            return
        self.stamps = stamps
        import tensorflow as tf
        with self.writer.as_default(step=step):
            for path in self._pngs(top) if top else self._pngs():
                if path in self.seen:
                    continue
                self.seen.add(path)
                image = tf.io.decode_png(path.read_bytes(), channels=3)
                name = path.stem if top else path.parent.name
                tf.summary.image(name, image[None], step=step)

    def _finish(self, metrics, step):
        import tensorflow as tf
        from tensorboard.plugins.hparams import api as hp
        self._new_images(step)
        self._new_images(step, top=True)
        with self.writer.as_default(step=step):
            for name, value in numbers(metrics):
                tf.summary.scalar("metrics/" + name, value)
            hp.hparams(self.flags)
        self.writer.flush()
