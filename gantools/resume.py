"""`--resume` and `--evaluate` around a run folder, for S4 and the MNIST programs (S5-S8).

- `given_flags`: which flags the command line really gave (not left at their defaults).
- `read_config`, `apply_previous_flags`: `--resume` alone continues a run with the flags it
  was started with (its config.json); a flag given again must have the same value, except
  the ones a program lists as free (the new total of steps or epochs, ...).
- `check_training_set`: a resumed run must see the training set it was started on.
- `latest_checkpoint`, `checked_checkpoint_value`: find a TensorFlow checkpoint (a prefix, a
  checkpoints folder or a run folder) and read every tensor of it once, so a damaged file is
  reported as one line before anything is written.
- `evaluation_config`: `--evaluate` takes the seed (and other named settings) and the data
  path from the run's config.json unless the command line gives them.

(S2 and S3 check a resumed run's flags with `training.check_resume` instead: they take
them from the command line and refuse the ones that differ.)

TensorFlow is imported only inside the checkpoint functions.
"""
import argparse
from pathlib import Path

from gantools import rundir
from gantools.cli import UsageError, first_line


def given_flags(parser, argv):
    """The dests of the flags present on the command line (not left at their defaults)."""
    unset = object()
    names = {a.dest for a in parser._actions if a.dest != "help"}
    seen = parser.parse_args(argv, argparse.Namespace(**{n: unset for n in names}))
    return {n for n in names if getattr(seen, n) is not unset}


def read_config(run_dir, flag="--resume", required=True):
    """The run's config.json (rundir.read_config); a missing (when `required`) or
    unreadable one is a UsageError naming `flag`. Not required and missing: {}."""
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        if not required:
            return {}
        raise UsageError(f"{flag}: {run_dir} holds no run to resume (no config.json)")
    try:
        return rundir.read_config(run_dir)
    except ValueError:
        raise UsageError(f"{flag}: {path} is not valid JSON") from None


def _resolved(data):
    return str(Path(data).expanduser().resolve()) if data else None


def apply_previous_flags(args, given, config, free=(), not_recorded=(), flag_names=None):
    """--resume: take the run's flags from config.json; a flag given again must agree.

    `free`: dests that may differ from the run's; `not_recorded`: dests never compared nor
    taken from the config; `flag_names`: dest -> flag for messages (default `--dest-name`).
    `data` is compared as a resolved path; `data_source` (where MNIST came from) is skipped.
    """
    flag_names = flag_names or {}
    for dest, previous in config.items():
        if dest in not_recorded or not hasattr(args, dest) or dest == "data_source":
            continue
        if dest in given:
            current = getattr(args, dest)
            if dest == "data":
                current = _resolved(current)
            if dest not in free and current != previous:
                flag = flag_names.get(dest, "--" + dest.replace("_", "-"))
                raise UsageError(f"--resume: {flag} {current} differs from the run's "
                                 f"{previous}; resume with the run's flags (or start a new "
                                 f"run)")
        else:
            setattr(args, dest, Path(previous) if dest == "data" and previous else previous)


def check_training_set(config, mnist):
    """A resumed run must train on the set it started on (config.json's data_source)."""
    checksum = config.get("data_source", {}).get("checksum")
    if checksum not in (None, mnist.checksum):
        raise UsageError(f"--resume: the MNIST training set at {mnist.source} is not the one "
                         f"the run was trained on (checksum {mnist.checksum}, run "
                         f"{checksum})")


def latest_checkpoint(path):
    """A checkpoint prefix from a prefix, a checkpoints folder or a run folder, else None."""
    import tensorflow as tf
    path = Path(path).expanduser()
    if path.is_dir():
        for folder in (path, path / "checkpoints"):
            latest = tf.train.latest_checkpoint(str(folder))
            if latest:
                return Path(latest)
        return None
    if Path(str(path) + ".index").is_file():
        return path
    return None


def checked_checkpoint_value(checkpoint, name, what="--resume"):
    """Read every tensor of a checkpoint (a damaged one fails here, before anything is
    written); return the value of the tensor `name` as an int."""
    import tensorflow as tf
    try:
        reader = tf.train.load_checkpoint(str(checkpoint))
        for key in reader.get_variable_to_shape_map():
            reader.get_tensor(key)
        return int(reader.get_tensor(name))
    except (tf.errors.OpError, ValueError, IndexError, OSError, RuntimeError) as error:
        raise UsageError(f"{what}: cannot read the checkpoint {checkpoint} "
                         f"({first_line(error)}); delete it to resume from an earlier "
                         f"one") from None


def evaluation_config(args, run_dir, given, names=("seed",)):
    """--evaluate: set `names` from the run's config.json unless given; return the data
    path to use (--data, else the run's data file if it still exists, else None)."""
    config = read_config(run_dir, "--evaluate", required=False)
    for name in names:
        if name in config and name not in given:
            setattr(args, name, config[name])
    if args.data is None and config.get("data") and Path(config["data"]).exists():
        return Path(config["data"])
    return args.data
