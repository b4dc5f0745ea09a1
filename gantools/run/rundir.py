"""Run folders and the files every run writes, seeding, and the devices in use.

Every run folder holds `config.json` (resolved hyper-parameters, seed, versions, the
project's git commit, devices,
trainable parameter counts), `losses.csv` (one row per step or per logged step) and
`metrics.json` (final metrics). An earlier run is never replaced silently.
"""
import csv
import fnmatch
import json
import os
import platform
import random
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import numpy as np

from gantools.run.cli import UsageError


# A run folder is recognised by MARKER, a file only this project writes; --overwrite removes
# only the files that match RUN_FILES (the files the nine programs write, relative to the run
# folder; `*` stays within one folder, `**` is everything below), and whatever else the user
# put there stays.
MARKER = ".classic-gans-run"
MANIFEST = ".classic-gans-files"  # the files a run wrote, one relative path per line
RUN_FILES = (
    MARKER, MANIFEST, "config.json", "losses.csv", "losses.png", "metrics.json", "sweep.json",
    "evolution.gif", "pretrain_losses.csv", "evaluation-*.json", "*.tmp",
    "fig3-1[234].png", "histogram.png", "real_curves.png", "generated_curves.png",
    "digits.png", "*.weights.h5", "generator.keras", "discriminator.keras",
    "frames/step_*.png", "frames/epoch_*.png", "samples/epoch_*.png", "samples/step_*.png",
    "samples/[0-9]*.png", "models/generator_epoch_*.keras",
    "models/discriminator_epoch_*.keras", "checkpoints/**", ".models.*/**",
    "tensorboard/**", "sampled/seed*-n*.npy", "sampled/seed*-n*.png",
)


def is_run_file(relative):
    """True if `relative` (a path inside a run folder, with '/') matches RUN_FILES."""
    parts = relative.split("/")
    for pattern in RUN_FILES:
        pieces = pattern.split("/")
        if pieces[-1] == "**":
            pieces = pieces[:-1]
            if len(parts) > len(pieces) and all(
                    fnmatch.fnmatchcase(p, q) for p, q in zip(parts, pieces)):
                return True
        elif len(parts) == len(pieces) and all(
                fnmatch.fnmatchcase(p, q) for p, q in zip(parts, pieces)):
            return True
    return False


def snapshot(run_dir):
    """{relative path: modification time in ns} of every file in the run folder."""
    run_dir, found = Path(run_dir), {}
    for folder, _, names in os.walk(run_dir):
        for name in names:
            file = Path(folder) / name
            try:
                found[file.relative_to(run_dir).as_posix()] = file.lstat().st_mtime_ns
            except OSError:
                continue  # removed meanwhile (an old checkpoint)
    return found


def record_written(run_dir, before):
    """Add to the run folder's MANIFEST the files this run wrote: those of the kinds the
    programs write (RUN_FILES) that are new or changed since `before` (the `snapshot` taken
    when the run started). Called at every checkpoint and at the end, so a killed run's
    manifest lists what its last checkpoint had written; a file that was there before the
    run and that it did not touch (yours) is never listed. Written atomically."""
    run_dir = Path(run_dir)
    listed = set(read_manifest(run_dir) or ())
    for relative, modified in snapshot(run_dir).items():
        if relative in (MARKER, MANIFEST) or relative in listed or not is_run_file(relative):
            continue
        if before.get(relative) != modified:
            listed.add(relative)
    temporary = run_dir / (MANIFEST + ".tmp")
    temporary.write_text("".join(f"{name}\n" for name in sorted(listed)))
    temporary.replace(run_dir / MANIFEST)


def read_manifest(run_dir):
    """The relative paths MANIFEST lists, or None when the folder has none (a run of an
    older version)."""
    try:
        return [line for line in (Path(run_dir) / MANIFEST).read_text().splitlines() if line]
    except OSError:
        return None


def remove_run_files(path):
    """Delete the files an earlier run in `path` wrote and the folders this empties; return
    the paths (relative) of everything else, which is kept. The files are the ones its
    MANIFEST lists (a run of an older version, without one: those matching RUN_FILES); the
    manifest goes next, the MARKER last."""
    listed = read_manifest(path)
    if listed is not None:
        folders = set()
        for relative in listed:
            file = Path(path) / relative
            if Path(relative).is_absolute() or ".." in Path(relative).parts:
                continue  # never outside the run folder, whatever the manifest says
            if file.is_file() or file.is_symlink():
                file.unlink()
            folders.update(file.parents)
        for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):
            if folder != Path(path) and Path(path) in folder.parents and folder.is_dir() \
                    and not any(folder.iterdir()):
                folder.rmdir()
        for name in (MANIFEST, MARKER):
            (Path(path) / name).unlink(missing_ok=True)
        return sorted(p.relative_to(path).as_posix() for p in Path(path).rglob("*")
                      if p.is_file() or p.is_symlink())
    kept = []
    for folder, dirs, files in os.walk(path, topdown=False):
        folder = Path(folder)
        for name in files + [d for d in dirs if (folder / d).is_symlink()]:
            relative = (folder / name).relative_to(path).as_posix()
            if is_run_file(relative):
                (folder / name).unlink()
            else:
                kept.append(relative)
        if folder != path and not any(folder.iterdir()):
            folder.rmdir()
    return sorted(kept)


class RunDirLock:
    """What `lock_run_dir` holds: `release()` (or the end of the process) lets go."""

    def __init__(self, descriptor, created):
        self.descriptor, self.created = descriptor, created

    def release(self):
        if self.descriptor is not None:
            os.close(self.descriptor)  # closing the descriptor releases the flock
            self.descriptor = None


def lock_run_dir(path, create=True):
    """One writer per run folder: an exclusive advisory lock (`flock`) on the folder itself,
    held until `release()` or until this process exits; the kernel releases it then, after
    `kill -9` too, so no stale lock is ever left. Locking the folder, not a file in it, writes nothing into a
    folder that may turn out not to be ours. A folder that does not exist yet is created
    (empty, with its missing parents) when `create`; the lock's `created` lists them
    (`remove_if_empty` then removes them if the run wrote nothing). Another process holding it: UsageError naming that process, before
    anything is written. No-op where `flock` does not exist (Windows)."""
    try:
        import fcntl
    except ImportError:
        return RunDirLock(None, [])
    path = Path(path).expanduser()
    created = []  # the folders made here, the deepest first
    if create and not path.exists():
        created = [path] + [parent for parent in path.parents if not parent.exists()]
        try:
            path.mkdir(parents=True)
        except FileExistsError:
            created = []
            pass  # another run made it just now: the lock decides
        except OSError as error:
            raise UsageError(f"cannot write to --out {path}: {error.strerror or error}") from None
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out {path} is a file, not a folder; choose another --out")
    if not path.is_dir():
        return RunDirLock(None, created)  # check_run_dir says what is wrong with it
    descriptor = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        raise UsageError(f"{path} is in use by another run ({lock_holder(path)}); wait for it "
                         f"to end or stop it, or choose another --out") from None
    return RunDirLock(descriptor, created)


def remove_if_empty(folders):
    """Remove the folders `lock_run_dir` created (deepest first) when the run ended before
    writing into them."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return  # not empty (the run wrote something), or gone


def lock_holder(path):
    """'process N' holding the flock on `path` (Linux's /proc/locks), or 'another process'."""
    status = os.stat(path)
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return "another process"
    for line in lines:  # "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF"
        parts = line.split()
        if "FLOCK" not in parts or "->" in parts:  # "->": a process waiting for it
            continue
        pid, device_inode = parts[4], parts[5]
        major, minor, inode = device_inode.split(":")
        if (int(inode) == status.st_ino
                and os.makedev(int(major, 16), int(minor, 16)) == status.st_dev):
            return f"process {pid}"
    return "another process"


def available_memory():
    """Bytes of memory the system can give a new allocation (Linux's MemAvailable), or None
    where it cannot tell."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def check_memory(needed, what):
    """UsageError when `needed` bytes (what `what` asks for) exceed the available memory:
    one line before anything is written, instead of NumPy's MemoryError half-way."""
    available = available_memory()
    if available is not None and needed > available:
        raise UsageError(f"{what} needs about {needed / 2**30:.1f} GiB of memory, and "
                         f"{available / 2**30:.1f} GiB are available; choose a smaller value")


def check_run_dir(path, overwrite=False, resume=False):
    """The checks of prepare_run_dir, changing nothing: UsageError if `path` cannot take
    this run. Returns the folder (a symbolic link resolved)."""
    path = Path(path).expanduser()
    if path.is_symlink():
        path = path.resolve()
    if resume:
        if not (path / "config.json").is_file():
            raise UsageError(f"--resume: {path} holds no run to resume (no config.json)")
        # a resume rewrites these: find out now, not after config.json was rewritten
        for name in ("", "config.json", "losses.csv", "checkpoints"):
            target = path / name
            if target.exists() and not os.access(target, os.W_OK):
                raise UsageError(f"--resume: cannot write to {target} (permission denied: "
                                 f"another user's run?); copy the run to a folder of yours")
    elif path.exists() and (not path.is_dir() or any(path.iterdir())):
        if not overwrite:
            raise UsageError(f"{path} already holds files; pass --overwrite to replace "
                             f"the run there, or choose another --out")
        if not (path / MARKER).is_file():
            raise UsageError(f"{path} is not a run folder of this project (no {MARKER}); "
                             f"nothing was deleted, choose another --out")
    return path


def prepare_run_dir(path, overwrite=False, resume=False):
    """Create the run folder, or check an existing one; return it as a Path.

    A folder that already holds files is refused unless `overwrite` (then it must hold an
    earlier run of this project, recognised by its MARKER; the files that run wrote are
    deleted and anything else is kept and named) or `resume` (then it must hold a run).
    A symbolic link is followed: the run is written where it points.
    """
    path = check_run_dir(path, overwrite, resume)
    if not resume and path.exists() and path.is_dir() and any(path.iterdir()):
        try:
            kept = remove_run_files(path)
        except OSError as error:
            raise UsageError(f"--overwrite: cannot remove the earlier run's files in {path}: "
                             f"{error.strerror or error}") from None
        if kept:
            shown = ", ".join(kept[:5]) + (f" and {len(kept) - 5} more" if len(kept) > 5 else "")
            print(f"--overwrite: kept {len(kept)} file(s) this project did not write in "
                  f"{path}: {shown}", flush=True)
    try:
        path.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
        if not resume and not (path / MARKER).exists():
            (path / MARKER).write_text("A run folder of classic-gans-tf: --overwrite removes "
                                       "only the files this project writes.\n")
    except OSError as error:
        raise UsageError(f"cannot write to --out {path}: {error.strerror or error}") from None
    return path


def file_checksum(path):
    """The SHA-256 of a file's bytes, as hex."""
    import hashlib
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def finite(value):
    """`value` with every NaN or infinite float replaced by None (JSON null), NumPy scalars
    as Python numbers: what write_json writes is always valid JSON."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def save_npy(path, array):
    """np.save through a temporary file (a crash never leaves half a file)."""
    path = Path(path)
    tmp = path.with_name(path.stem + ".tmp.npy")
    try:
        np.save(tmp, array)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json(path, data):
    """Write JSON (NaN and infinity as null) through a temporary file, so a crash never
    leaves half a file."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    text = json.dumps(finite(data), indent=2, sort_keys=False, allow_nan=False,
                      default=str)
    try:
        tmp.write_text(text + "\n")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def update_json(path, **values):
    """Add `values` to the JSON object in `path` (a new file if there is none), atomically."""
    path = Path(path)
    data = json.loads(path.read_text()) if path.exists() else {}
    data.update(values)
    write_json(path, data)


def library_versions():
    versions = {"python": platform.python_version()}
    for name in ("tensorflow", "keras", "numpy", "scipy", "matplotlib", "pillow"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


def source_commit():
    """The git commit of the project's source ("<hash>", "<hash>+changes" with uncommitted
    edits), or "unknown" where it is not a git checkout (an installed copy)."""
    import subprocess
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return "unknown"
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
                              capture_output=True, text=True, timeout=10)
        changes = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                  "--untracked-files=no"],
                                 capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if head.returncode != 0:
        return "unknown"
    return head.stdout.strip() + ("+changes" if changes.stdout.strip() else "")


def devices():
    """Names of the devices TensorFlow will use, e.g. ['CPU', 'GPU:0 NVIDIA A100']."""
    import tensorflow as tf
    names = ["CPU"]
    for index, gpu in enumerate(tf.config.list_physical_devices("GPU")):
        detail = tf.config.experimental.get_device_details(gpu).get("device_name", "")
        names.append(f"GPU:{index} {detail}".strip())
    return names


def seed_everything(seed, deterministic=False):
    """Seed Python, NumPy and TensorFlow; optionally make TensorFlow's ops deterministic."""
    import tensorflow as tf
    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)
    if "keras" in sys.modules:  # also Keras's own global seed, used by its initialisers
        sys.modules["keras"].utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


class LossLog:
    """losses.csv: a header, then one row per (logged) step, flushed as it goes.

    With `keep_rows`, the first `keep_rows` rows of an existing file are kept (the rows of
    a resumed run's checkpoint), so a resumed run continues it with no duplicated or missing
    rows.
    """

    def __init__(self, path, fieldnames, keep_rows=0):
        self.path = Path(path)
        self.fieldnames = list(fieldnames)
        kept = []
        if keep_rows and self.path.exists():
            with self.path.open(newline="") as old:
                kept = list(csv.DictReader(old))[:keep_rows]
        self._file = self.path.open("w", newline="")
        self._writer = csv.DictWriter(self._file, self.fieldnames)
        self._writer.writeheader()
        self._writer.writerows(kept)
        self._file.flush()

    def write(self, **row):
        self._writer.writerow(row)

    def flush(self):
        self._file.flush()

    def close(self):
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def complete_rows(path, columns):
    """The rows of losses.csv as lists of strings, up to the first incomplete one (a line cut
    short, a missing field); None if the file is missing or its header is not `columns`."""
    try:
        with Path(path).open(newline="") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError):
        return None
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the file ends with a newline
    else:
        lines = lines[:-1]  # the last line was cut before its newline
    parsed = list(csv.reader(line.rstrip("\r") for line in lines))
    if not parsed or parsed[0] != list(columns):
        return None
    rows = []
    for row in parsed[1:]:
        if len(row) != len(parsed[0]):
            break
        rows.append(row)
    return rows


def read_losses(path):
    """losses.csv as a dict of column name -> float array (an empty cell is NaN)."""
    with Path(path).open(newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return {}
    return {key: np.array([float(row[key]) if row[key] != "" else np.nan for row in rows])
            for key in rows[0]}
