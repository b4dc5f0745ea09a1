"""Pieces of the long training loops: checkpoints, resume checks, stopping cleanly, progress.

- `Checkpoints`: a `tf.train.CheckpointManager` that keeps the last few checkpoints. TensorFlow
  writes each checkpoint under a temporary name and renames it when complete, and only then
  rewrites the small `checkpoint` index file (atomically), so a crash mid-write leaves the
  previous checkpoint in use. `restore()` turns a missing or damaged checkpoint into a
  one-line `UsageError`.
- `save_weights`: Keras `.weights.h5` files written through a temporary file.
- `check_resume`: `--resume` refuses settings that differ from the run's config.json.
- `StopRequest`: Ctrl-C (SIGINT) or SIGTERM asks the loop to stop at the next safe point,
  where it saves a checkpoint; a second Ctrl-C stops at once.
- `Progress` and `eta`: progress of a long loop with its ETA. On a terminal, `Progress` is one
  line on stderr redrawn in place at most a few times a second (`D:0.69, G:0.71  12000/1000000
  1.2%  3.10 ms/it  ETA 51:02`), cleared before the program prints its own lines; when
  stderr is not a terminal (a log file, a pipe), a plain `progress: ...` line on stdout once a
  minute and at the end, so stderr stays clean.
- `run_without_side_effects`: call a model in training mode (BatchNorm on batch statistics)
  without changing its BatchNorm moving averages, for sampling and evaluation.
"""
import json
import signal
import sys
import time
from pathlib import Path

from gantools.cli import UsageError


class Checkpoints:
    """The last `keep` checkpoints of `checkpoint` (a tf.train.Checkpoint) in `directory`."""

    def __init__(self, checkpoint, directory, keep=3):
        import tensorflow as tf
        self.checkpoint = checkpoint
        self.directory = Path(directory)
        self.manager = tf.train.CheckpointManager(checkpoint, str(self.directory), keep)

    def save(self, number):
        return self.manager.save(checkpoint_number=number)

    @property
    def latest(self):
        return self.manager.latest_checkpoint

    def restore(self, partial=False, flag="--resume", path=None):
        """Restore the latest checkpoint (or the one at prefix `path`); UsageError (naming
        `flag`) if there is none or it cannot be read. With `partial`, parts of the
        checkpoint that `checkpoint` does not use are allowed."""
        latest = self.latest if path is None else str(path)
        if latest is None:
            raise UsageError(f"{flag}: no checkpoint in {self.directory}")
        try:
            status = self.checkpoint.restore(latest)
            if partial:
                status.expect_partial()
                status.assert_existing_objects_matched()
            else:
                status.assert_consumed()
        except Exception as error:  # whatever a damaged file raises: one line, nothing lost
            raise UsageError(f"{flag}: cannot read checkpoint {latest}: "
                             f"{str(error).strip().splitlines()[0]}") from None
        return latest


def save_weights(model, path):
    """model.save_weights(path) through a temporary file: a crash leaves the old file."""
    path = Path(path)
    tmp = path.with_name(path.name.replace(".weights.h5", ".tmp.weights.h5"))
    model.save_weights(tmp)
    tmp.replace(path)


def check_resume(run_dir, hparams, may_change=()):
    """UsageError if a setting in `hparams` differs from the run's config.json (except the
    keys in `may_change`, e.g. the number of epochs, which a resumed run may extend)."""
    config = json.loads((Path(run_dir) / "config.json").read_text())
    for key, value in hparams.items():
        if key in may_change or key not in config:
            continue
        old = config[key]
        if json.loads(json.dumps(value)) != old:
            flag = "--" + key.replace("_", "-")
            raise UsageError(f"--resume: {flag} {value} differs from the run's {old} "
                             f"({Path(run_dir) / 'config.json'}); resume with the run's "
                             f"settings or start a new run")
    if "seed" in config and config["seed"] != hparams.get("seed", config["seed"]):
        raise UsageError(f"--resume: --seed {hparams['seed']} differs from the run's "
                         f"{config['seed']}")
    return config


class StopRequest:
    """Context manager: SIGINT/SIGTERM set `requested` instead of killing the loop at once.

    The loop checks `requested` at safe points (between steps), saves a checkpoint and stops.
    A second Ctrl-C raises KeyboardInterrupt immediately. Outside the main thread (where
    signal handlers cannot be installed) it does nothing.
    """

    def __init__(self, unit="step"):
        self.unit = unit  # what the loop finishes before it stops, for the message
        self.requested = False
        self._previous = {}

    def _handle(self, signum, frame):
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = True
        print(f"\nStopping after this {self.unit} (Ctrl-C again to stop at once) ...",
              flush=True)

    def __enter__(self):
        try:
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        except ValueError:  # not the main thread
            self._previous.clear()
        return self

    def __exit__(self, *exc):
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        return False


def eta(started, done, total):
    """' [ETA 1:02:03]' after the first unit of work (which includes tracing), else ''."""
    if done <= 0 or total <= done:
        return ""
    return " [ETA %s]" % format_seconds((time.perf_counter() - started) * (total - done) / done)


def format_seconds(seconds):
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return "%d:%02d:%02d" % (hours, rest // 60, rest % 60) if hours else \
        "%d:%02d" % (rest // 60, rest % 60)


class Progress:
    """Progress of `total` units from `start`: `update(done, description)` after each unit."""

    def __init__(self, total, start=0, stream=None, out=None, redraw_seconds=0.2,
                 line_seconds=60.0):
        self.total = total
        self.start = start
        self.done = start
        self.description = ""
        self.stream = stream if stream is not None else sys.stderr
        self.out = out if out is not None else sys.stdout
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.redraw_seconds = redraw_seconds if self.tty else line_seconds
        self.began = time.perf_counter()
        self.last = self.began
        self.drawn = False

    def text(self):
        elapsed = time.perf_counter() - self.began
        steps = self.done - self.start
        per_step = elapsed / steps if steps else 0.0
        width = len(str(self.total))
        prefix = self.description + "  " if self.description else ""
        return (f"{prefix}{self.done:>{width}}/{self.total} "
                f"{self.done / max(self.total, 1):6.1%} {per_step * 1000:7.2f} ms/it  "
                f"ETA {format_seconds(per_step * (self.total - self.done))}")

    def update(self, done, description=""):
        self.done = done
        self.description = description
        now = time.perf_counter()
        if now - self.last < self.redraw_seconds and done < self.total:
            return
        self.last = now
        if self.tty:
            self.stream.write("\r" + self.text() + "\x1b[K")
            self.stream.flush()
            self.drawn = True
        elif now - self.began >= self.redraw_seconds or done >= self.total:
            print("progress: " + self.text(), file=self.out, flush=True)

    def clear(self):
        """Remove the bar before other output (it comes back at the next update)."""
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False

    def close(self):
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


def run_without_side_effects(model, inputs, batch_size=64, training=True):
    """model(inputs) in batches of `batch_size`, as numpy, leaving its BatchNorm moving
    averages (and any other non-trainable variable) exactly as they were."""
    import numpy as np
    saved = [v.numpy() for v in model.non_trainable_variables]
    try:
        outputs = [np.asarray(model(inputs[i:i + batch_size], training=training))
                   for i in range(0, len(inputs), batch_size)]
    finally:
        for variable, value in zip(model.non_trainable_variables, saved):
            variable.assign(value)
    return np.concatenate(outputs)


def swd_against_data(generated, folder, seed):
    """Sliced Wasserstein distance (x 1e3, per level and 'avg') between `generated` images
    and as many real images of `folder` (an ImageFolder) chosen with `seed`; the number of
    images is recorded under 'images'."""
    from gantools.metrics import sliced_wasserstein_distance
    real = folder.sample(len(generated), seed)
    distance = sliced_wasserstein_distance(generated[:len(real)], real, seed=seed)
    distance["images"] = len(real)
    return distance


def describe_swd(distance):
    """'SWD x1e3 12.34 (levels 96: ..., 48: ..., 24: ...; 1024 images)'."""
    levels = ", ".join("%s: %.2f" % (k, v) for k, v in distance.items()
                       if k not in ("avg", "images"))
    return "SWD x1e3 %.2f (levels %s; %d images)" % (distance["avg"], levels, distance["images"])
