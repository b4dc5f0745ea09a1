"""Pieces of the run services (gantools.run.runner.Run): checkpoints, stopping cleanly,
progress; and helpers the image programs share.

- `FolderCheckpoints`: the one checkpoint mechanism (gantools.run.runner): each checkpoint one
  folder of files, written under a temporary name and renamed when complete, with the
  SHA-256 of every file in its `checkpoint.json`: a checkpoint is there whole or not at
  all, and one whose parts do not belong together is never resumed from.
- `save_weights`: Keras `.weights.h5` files written through a temporary file.
- `StopRequest`: Ctrl-C (SIGINT) or SIGTERM asks the loop to stop at the next safe point,
  where it saves a checkpoint; a second Ctrl-C stops at once.
- `Progress`: progress of a long loop with its ETA. On a terminal, `Progress` is one
  line on stderr redrawn in place at most a few times a second (`D:0.69, G:0.71  12000/1000000
  1.2%  3.10 ms/it  ETA 51:02`), cleared before the program prints its own lines; when
  stderr is not a terminal (a log file, a pipe), a plain `progress: ...` line on stdout once a
  minute and at the end, so stderr stays clean.
- `run_without_side_effects`: call a model in training mode (BatchNorm on batch statistics)
  without changing its BatchNorm moving averages, for sampling and evaluation.
"""
import json
import math
import signal
import sys
import time
from pathlib import Path

from gantools.run.cli import UsageError


class FolderCheckpoints:
    """The last `keep` checkpoints in `directory`, one folder each: `<prefix>_<number>/`.

    `save(number, write, state)` calls `write(folder)` to write the checkpoint's files into
    a new temporary folder, adds `checkpoint.json` (`state` plus the SHA-256 of each file),
    renames the folder into place (one atomic step: a crash, a kill or a full disk before it
    leaves the previous checkpoints as they were) and then deletes the oldest beyond `keep`.
    `latest()` returns (folder, state) of the newest checkpoint whose files are all there
    and match their checksums; a newer damaged one is skipped with one line saying so.
    """

    STATE = "checkpoint.json"

    def __init__(self, directory, keep=2, prefix="epoch"):
        self.directory = Path(directory)
        self.keep = keep
        self.prefix = prefix

    def folders(self):
        """The checkpoint folders, oldest first."""
        if not self.directory.is_dir():
            return []
        found = []
        for path in self.directory.glob(f"{self.prefix}_*"):
            number = path.name[len(self.prefix) + 1:]
            if path.is_dir() and number.isdigit():
                found.append((int(number), path))
        return [path for _, path in sorted(found)]

    def save(self, number, write, state):
        import shutil
        from gantools.run.rundir import file_checksum, write_json
        final = self.directory / f"{self.prefix}_{number:08d}"
        partial = self.directory / f".{final.name}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        try:
            write(partial)
            files = {p.name: file_checksum(p) for p in sorted(partial.iterdir())}
            write_json(partial / self.STATE, dict(state, files=files))
            if final.exists():
                shutil.rmtree(final)
            partial.rename(final)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        for old in self.folders()[:-self.keep]:
            shutil.rmtree(old, ignore_errors=True)
        return final

    def check(self, folder):
        """The folder's state if every file it lists is there with its checksum, else a
        ValueError saying what is wrong."""
        from gantools.run.rundir import file_checksum
        try:
            state = json.loads((folder / self.STATE).read_text())
            files = state["files"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{self.STATE} unreadable ({type(error).__name__})") from None
        for name, checksum in files.items():
            path = folder / name
            if not path.is_file():
                raise ValueError(f"{name} is missing")
            if file_checksum(path) != checksum:
                raise ValueError(f"{name} is not the file this checkpoint wrote")
        return state

    def latest(self, flag="--resume", required=True):
        """(folder, state) of the newest intact checkpoint; if there is none, a UsageError
        (or None when not `required` and there is no checkpoint folder at all)."""
        problems = []
        for folder in reversed(self.folders()):
            try:
                state = self.check(folder)
            except ValueError as error:
                problems.append(f"{folder.name}: {error}")
                print(f"Skipping the damaged checkpoint {folder} ({error})", flush=True)
                continue
            return folder, state
        if not problems and not required:
            return None
        detail = f" ({'; '.join(problems)})" if problems else ""
        raise UsageError(f"{flag}: no intact checkpoint in {self.directory}{detail}")


def trainable_counts(**models):
    """config.json's `parameters`: each Keras model's trainable parameter count, by name."""
    return {name: int(sum(math.prod(v.shape) for v in model.trainable_variables))
            for name, model in models.items()}


def save_weights(model, path):
    """model.save_weights(path) through a temporary file: a crash leaves the old file."""
    path = Path(path)
    tmp = path.with_name(path.name.replace(".weights.h5", ".tmp.weights.h5"))
    model.save_weights(tmp)
    tmp.replace(path)


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
