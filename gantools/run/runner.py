"""The services of a run that a program's own training loop calls (`Run`), and the run
around it: flags, run folder, config.json, resume, checkpoints, the error contract.

A port keeps its original's loop and calls the run's services, as Lightning Fabric or
Accelerate do (the loop is never taken away):

    def train(run):                                   # the original's main(), with `run`
        G, D, ... = the original's models
        run.start(epochs, save=..., restore=..., state=...)  # restores on --resume
        for epoch in run.range(epochs):               # from the checkpoint's epoch
            ...the original's body...
            run.log(epoch=epoch, loss_d=..., loss_g=...)
        return metrics                                # metrics.json
    def main(argv=None):
        return runner.main(TheProgram(), argv, train)  # TheProgram: flags, data, summary

Nested loops: `for epoch in run.range(epochs, per=n_batches)` and, inside it,
`for i, batch in run.batches(the epoch's batches)`: a checkpoint (and Ctrl-C) can fall
between any two batches. What `runner.main` and `Run` do, once for all nine programs:

- **Flags.** The program's own (`add_arguments`) and the run's (`--out`, `--overwrite`,
  `--resume`, `--seed`, `--deterministic`, `--verbose`, `--tensorboard`, and `--sweep N`
  where the program has a sweep). Number flags are finite (gantools.run.cli).
- **The run folder** (gantools.run.rundir): one writer at a time (a lock); a new run refuses a
  folder with files; `--overwrite` removes only the files its manifest lists.
- **config.json**: the program's name, every flag under `flags`, the data's checksum, the
  resolved hyper-parameters `start` is given, trainable parameter counts, versions and the
  command.
- **One resume policy.** `--resume` takes the run's flags from its config.json. A flag
  given again with the same value is fine; a different value is refused in one line,
  except the flags in `Program.free` plus the run's own (`--steps`/`--epochs` as the
  program names its total, logging and checkpoint intervals, `--deterministic`,
  `--verbose`), which are taken from the command line and recorded. The data is
  identified by its checksum, not its path, so a moved file resumes. Nothing is written
  before every check has passed and the checkpoint has been read (`start`).
- **One checkpoint mechanism** (gantools.training.FolderCheckpoints): a folder
  `checkpoints/<unit>_NNNNNNNN/` with the program's files (`save`), a copy of losses.csv
  and `checkpoint.json` (`state`, the units done, the losses.csv rows, the last row, each
  file's SHA-256), written under a temporary name and renamed whole; the last `KEEP` are
  kept. A damaged newest checkpoint is skipped for the newest intact one, with one line. A
  checkpoint is written before a new run's first unit (unit 0), when due, after the last
  unit, and on Ctrl-C/SIGTERM after the unit in progress. losses.csv is cut back to (or
  repaired from) the checkpoint's rows on resume: a kill at any moment resumes to the same
  numbers.
- **Finished but unwritten**: a run whose last checkpoint holds every unit but which has
  no metrics.json is finished by `--resume` (`range` yields nothing; the final figures and
  metrics only).
- **Errors** (gantools.run.launch.run turns them into one line and an exit code): bad input is
  a `UsageError` (exit 2); a full disk or a file-size limit is a `DiskFull` (exit 1) that
  says to free space and `--resume`; metrics.json never holds NaN or infinity (null).
- **Sweeps** (`--sweep N`) call the program's loop once per seed on a run without files
  (`run.files` False): sweep.json. `detached()` gives such a run to tests, side-by-side
  harnesses and benchmarks.
"""
import argparse
import contextlib
import errno
import itertools
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from gantools.run import cli, rundir
from gantools.run.cli import DiskFull, UsageError, first_line

KEEP = 3  # checkpoints kept
# Errors of the environment rather than of the input: exit code 1.
DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
DISK_FULL_TEXT = ("No space left on device", "Disk quota exceeded", "File too large")
RUN_FLAGS = {"out", "overwrite", "resume", "verbose", "sweep", "help", "evaluate", "sample",
             "sample_seed"}  # not recorded
SAMPLED = "sampled"  # --sample's folder in the run folder


def disk_full(error):
    """True if `error` (an OSError, or a TensorFlow or h5py error wrapping one) is a full
    disk or an exceeded file-size limit."""
    if isinstance(error, OSError) and error.errno in DISK_FULL_ERRNOS:
        return True
    return any(text in str(error) for text in DISK_FULL_TEXT)


class Program:
    """What a program declares besides its loop: its name, flags, data and summary lines.
    `args` (the resolved flags) and `data` (what `load_data` returned) are set before the
    loop runs."""
    script = "program"          # runs/<script> and <script>.py
    description = ""
    unit = "step"               # what a unit of run.range is, for messages
    total_flag = "steps"        # the flag (dest) holding the number of units to train
    loss_columns = ("step",)    # losses.csv's header (the first column is the unit's)
    free = ()                   # flags a resumed run may change (the total is always free)
    default_seed = 0
    has_sweep = False           # --sweep N: seeds 0..N-1, sweep.json
    variants = {}               # --variant NAME: opt-in changes, {name: what it changes}
    evaluation = None           # --evaluate: what it measures (the loop's run.start measure=)
    evaluation_flags = ()       # flags an --evaluate may change (besides the free ones)

    @property
    def variant(self):
        """--variant: 'original' (the default: the original program) or a variant's name."""
        return getattr(getattr(self, 'args', None), 'variant', 'original')

    # -- flags and data ---------------------------------------------------------------------
    def add_arguments(self, parser):
        """Add the program's own flags to `parser` (an ArgumentParser)."""

    def check_args(self, parser, args):
        """Refuse flag combinations that cannot work: call parser.error(message)."""

    def load_data(self, args):
        """The training data, or None; a UsageError if it cannot be read. Its checksum
        (attribute `checksum`) identifies it on --resume."""
        return None

    def out_folder(self, args):
        """The run folder: --out (a multi-worker run's non-chief worker keeps its own copy
        of the run elsewhere)."""
        return args.out

    def setup(self, args):
        """Before TensorFlow picks its devices and before seeding (device flags); the
        flags are resolved (on --resume, the run's)."""

    # -- the end --------------------------------------------------------------------------
    def summary(self, metrics, args):
        """One or two lines about the final metrics (or an --evaluate's), given the flags."""
        return ""

    def sweep_summary(self, per_seed):
        """sweep.json's fields besides per_seed (e.g. how many converged)."""
        return {}

    def evaluation_name(self, args):
        """--evaluate's key in metrics.json's `evaluations`, after the checkpoint's name."""
        return ""

    def loop_for(self, args, loop):
        """The "package.module:function" whose loop runs with these flags: `loop`, the
        original program's, or with --variant NAME the same function of the module
        "<module>_<NAME>" (it imports the original's and overrides only what differs)."""
        variant = getattr(args, 'variant', 'original')
        return loop if variant == 'original' else module_variant(loop, variant)


def module_variant(loop, name):
    """"package.module:function" -> "package.module_<name>:function": the same function of
    a variant's module."""
    module, _, function = loop.partition(":")
    return f"{module}_{name}:{function}"


# -- flags ----------------------------------------------------------------------------------

def build_parser(program):
    parser = cli.ArgumentParser(prog=program.script + ".py", description=program.description)
    if program.variants:
        parser.add_argument("--variant", choices=["original", *program.variants],
                            default="original",
                            help="original: the document's program; " + "; ".join(
                                f"{name}: {text}" for name, text in program.variants.items()))
    program.add_arguments(parser)
    group = cli.add_run_arguments(parser, program.script)
    group.add_argument("--resume", action="store_true",
                       help="continue the run in --out from its newest intact checkpoint, "
                            "with its own settings (a larger --%s trains further)"
                            % program.total_flag.replace("_", "-"))
    group.add_argument("--sample", type=cli.positive_int, metavar="N", default=None,
                       help="no training: load the newest checkpoint of the run in --out and "
                            "write N generated samples to <out>/%s/ (seed<S>-n<N>.npy and a "
                            "figure of them)" % SAMPLED)
    group.add_argument("--sample-seed", type=cli.seed_value, default=0,
                       help="the seed of --sample's noise")
    if program.evaluation:
        group.add_argument("--evaluate", nargs="?", const=True, default=None,
                           metavar="CHECKPOINT",
                           help="no training: add %s of the newest intact checkpoint of the "
                                "run in --out (or of CHECKPOINT, one of its checkpoints/ "
                                "folders) to its metrics.json, under `evaluations`"
                                % program.evaluation)
    group.add_argument("--tensorboard", action="store_true",
                       help="also write losses, figures, metrics and flags for TensorBoard "
                            "to <out>/tensorboard/ (the [tensorboard] extra)")
    parser.set_defaults(seed=program.default_seed)
    if program.has_sweep:
        cli.add_sweep_argument(parser, program.script)
    return parser


def recorded_flags(parser, args):
    """{dest: value} of every flag that config.json records (JSON values; a path is made
    absolute, so that a run resumes from any working directory)."""
    return {a.dest: _recorded(getattr(args, a.dest)) for a in parser._actions
            if a.dest not in RUN_FLAGS and hasattr(args, a.dest)}


def _recorded(value):
    return _json_value(value.expanduser().resolve() if isinstance(value, Path) else value)


def option(parser, dest):
    """The flag of `dest` as the user types it."""
    for action in parser._actions:
        if action.dest == dest and action.option_strings:
            return action.option_strings[0]
    return "--" + dest.replace("_", "-")


def finished(run_dir):
    """True if the run wrote its final metrics (the runner's metrics.json, which always
    holds train_seconds; an --evaluate of an unfinished run does not count)."""
    try:
        return "train_seconds" in json.loads((Path(run_dir) / "metrics.json").read_text())
    except (OSError, ValueError):
        return False


def _json_value(value):
    return json.loads(json.dumps(value, default=str))


def given_flags(parser, argv):
    """The dests of the flags present on the command line (not left at their defaults)."""
    unset = object()
    names = {a.dest for a in parser._actions if a.dest != "help"}
    seen = parser.parse_args(argv, argparse.Namespace(**{n: unset for n in names}))
    return {n for n in names if getattr(seen, n) is not unset}


def free_flags(program):
    return {program.total_flag, "deterministic", "tensorboard", "log_every", "print_interval",
            "checkpoint_every", "plot_every", "sample_every", "save_every", "v_freq",
            *program.free}


def apply_config(parser, argv, args, config, program, flag="--resume"):
    """--resume (--sample, --evaluate): the run's flags from config.json; a changed one
    (not free) is refused."""
    given = given_flags(parser, argv)
    flags = config.get("flags")
    if not isinstance(flags, dict):
        raise UsageError(f"{flag}: {args.out}/config.json has no flags (a run of an older "
                         f"version?); start a new run")
    free = free_flags(program) | (set(program.evaluation_flags) if flag == "--evaluate"
                                  else set())
    for dest, previous in flags.items():
        if not hasattr(args, dest):
            continue
        if dest in given:
            current = _recorded(getattr(args, dest))
            if dest not in free and current != previous and not _same_data(dest, config):
                raise UsageError(f"{flag}: {option(parser, dest)} {current} differs from the "
                                 f"run's {previous}; use the run's flags (or start a new run "
                                 f"in another --out)")
        else:
            setattr(args, dest, _from_json(getattr(args, dest), previous))


def _same_data(dest, config):
    """`--data` may name another path: the data's checksum decides (checked later)."""
    return dest == "data" and config.get("data_checksum") is not None


def _from_json(default, value):
    if isinstance(default, Path) and value is not None:
        return Path(value)
    if isinstance(default, tuple) and isinstance(value, list):
        return tuple(value)
    return value


# -- the run --------------------------------------------------------------------------------

def read_config(run_dir, flag="--resume"):
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        what = "no run to resume" if flag == "--resume" else "no run"
        raise UsageError(f"{flag}: {run_dir} holds {what} (no config.json)")
    try:
        config = json.loads(path.read_text())
        if not isinstance(config, dict):
            raise ValueError("not an object")
    except (OSError, ValueError) as error:
        raise UsageError(f"{flag}: {path} is damaged ({first_line(error)}); the run "
                         f"cannot be {'resumed' if flag == '--resume' else 'read'}, start a "
                         f"new one (--overwrite)") from None
    return config


def checkpoints(run_dir, program):
    from gantools.training import FolderCheckpoints
    return FolderCheckpoints(Path(run_dir) / "checkpoints", keep=KEEP, prefix=program.unit)


def main(program, argv, train):
    """Parse, check and run `program`, whose loop is `train(run)` (given a Run, returning
    the metrics); return the exit code (errors are exceptions that
    gantools.run.launch.run reports: UsageError, DiskFull, KeyboardInterrupt). `train` may be
    named, "package.port:function": the port (and TensorFlow) is then imported only once
    the flags are parsed, so that --help and a bad flag answer without waiting for it."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(program)
    args = parser.parse_args(argv)
    if args.resume and getattr(args, "sweep", None):
        parser.error("--resume cannot be combined with --sweep")
    if args.resume and args.overwrite:
        parser.error("--resume cannot be combined with --overwrite")
    if args.sample and (args.resume or args.overwrite or getattr(args, "sweep", None)):
        parser.error("--sample cannot be combined with --resume, --overwrite or --sweep")
    if getattr(args, "evaluate", None) and (args.resume or args.overwrite or args.sample
                                            or getattr(args, "sweep", None)):
        parser.error("--evaluate cannot be combined with --resume, --overwrite, --sample or "
                     "--sweep")
    if getattr(args, "tensorboard", False):
        from gantools.run import board
        board.require()
    args.out = Path(program.out_folder(args)).expanduser()
    loads = args.resume or args.sample or getattr(args, "evaluate", None)  # an existing run
    lock = rundir.lock_run_dir(args.out, create=not loads)  # one writer
    try:
        return _main(program, train, parser, argv, args)
    except BaseException:
        if lock.created:  # refused before it wrote anything: leave no empty folder behind
            rundir.remove_if_empty(lock.created)
        raise
    finally:
        lock.release()


def port_module(name, verbose=False):
    """The port "package.module", imported with TensorFlow's start-up noise filtered
    (gantools.run.launch.quiet_tensorflow)."""
    import importlib
    from gantools.run.launch import quiet_tensorflow
    quiet_tensorflow(verbose)
    return importlib.import_module(name)


def port_function(name, verbose=False):
    """The function "package.module:function" of a port (port_module)."""
    module, _, function = name.partition(":")
    return getattr(port_module(module, verbose), function)


def _main(program, train, parser, argv, args):
    config = None
    flag = ("--resume" if args.resume else "--sample" if args.sample
            else "--evaluate" if getattr(args, "evaluate", None) else None)
    if flag:  # a command on an existing run: its flags
        config = read_config(args.out, flag)
        if config.get("program") != program.script:
            raise UsageError(f"{flag}: {args.out} holds a run of "
                             f"{config.get('program', 'another program')}, not of "
                             f"{program.script}.py")
        apply_config(parser, argv, args, config, program, flag)
    program.check_args(parser, args)
    # an unusable --out, and a --resume of a finished run that asks for no more units, are
    # refused before anything slow (TensorFlow's import, the data); Run.start checks both
    # again where it writes (prepare_run_dir) and where the program's units are known
    rundir.check_run_dir(args.out, args.overwrite, resume=config is not None)
    if args.resume:
        _refuse_if_already_trained(program, args, config)
    if isinstance(train, str):  # the flags are the run's now (--variant on --resume)
        train = port_function(program.loop_for(args, train), args.verbose)
    try:
        if getattr(args, "sweep", None):
            return run_sweep(program, train, parser, args)
        return run(program, train, parser, args, config)
    except Exception as error:  # TensorFlow and h5py wrap the OSError of a full disk
        if not disk_full(error):
            raise
        then = "continue with --resume" if (Path(args.out) / "config.json").is_file() \
            and not getattr(args, "sweep", None) else "run again with --overwrite"
        raise DiskFull(f"the disk is full ({first_line(error)}); free some space and "
                       f"{then}") from None


def already_trained(program, run_dir, done):
    """The refusal of a --resume that asks a run of `done` units for no more."""
    return UsageError(f"--resume: the run in {run_dir} has already trained {done} "
                      f"{plural(program.unit)}; pass a larger --"
                      f"{program.total_flag.replace('_', '-')} to train further")


def _refuse_if_already_trained(program, args, config):
    """The early form of Run.start's check: the run wrote its final metrics, the total flag
    is not larger than the run's, and its newest checkpoint is intact (else Run.start
    decides, once the program's units are known)."""
    asked = getattr(args, program.total_flag, None)
    trained = config.get("flags", {}).get(program.total_flag)
    if asked is None or trained is None or asked > trained or not finished(args.out):
        return
    store = checkpoints(args.out, program)
    folders = store.folders()
    try:
        state = store.check(folders[-1]) if folders else None
    except ValueError:
        return
    if state is not None:
        raise already_trained(program, args.out, state["units_done"])


def _prepare(program, args):
    """Set the program up and read the data: (the data, its checksum). --out was checked
    in _main, before the port was imported."""
    program.setup(args)
    data = program.load_data(args)
    return data, getattr(data, "checksum", None)


class Run:
    """The services a program's own training loop calls (the loop stays the program's):

        resumed = run.start(total, save=..., restore=..., state=...)  # restores on --resume
        if resumed is None:
            ...pretraining, the first frame...                       # a new run only
        for step in run.range(total):                                  # from the checkpoint
            ...the original's body...
            run.log(step=step, loss_d=..., loss_g=...)                 # a losses.csv row
            run.print(...)                                             # below the progress bar
        return metrics                                                 # to metrics.json

    Attributes: `args` (the resolved flags), `seed`, `data` (what the program's `load_data`
    returned), `run_dir` (the run folder once `start` has prepared it; None in a sweep,
    which writes only sweep.json), `files` (True when figures are wanted: not a sweep),
    `last` (the last row logged; after --resume, the checkpoint's), `done` (the units
    trained so far; after --resume, the checkpoint's).
    """

    def __init__(self, program, parser, args, seed, data, checksum, config=None,
                 sweep_dir=None):
        self.program, self.parser, self.args = program, parser, args
        self.seed, self.data, self.checksum = seed, data, checksum
        self.config, self.sweep_dir = config, sweep_dir
        self.run_dir, self.files = None, sweep_dir is None  # sweep_dir False: detached
        self.total, self.done, self.rows, self.restored = None, 0, 0, None
        self.seconds, self._row, self._text = 0.0, None, None
        self._progress = self._log = self._board = self._store = self._loop = None
        self.unit = program.unit
        self.history, self.unit_seconds = [], []  # without files: the rows, unit times
        self.per, self.first_batch, self._epoch, self._stop = None, 0, 0, None
        self._unit_began = time.perf_counter()
        self.last = None  # the last row logged (restored on --resume)

    # -- the services ---------------------------------------------------------------------
    def start(self, total, save, restore, state=dict, config=None, parameters=None,
              checkpoint_due=None, per=None, generate=None, measure=None):
        """Declare the run's `total` units and its checkpoint: `save(folder)` writes the
        program's files, `restore(folder, state)` reads them back, `state()` is the JSON
        part (counters, NumPy RNG states). On --resume the newest intact checkpoint is
        restored now and its state returned; a new run returns None. Then the run folder is
        prepared and config.json written (with `config`, the resolved hyper-parameters that
        are not flags, and `parameters`, trainable counts): nothing is written before.
        `checkpoint_due(done)`: whether to checkpoint after `done` units (default: every
        --checkpoint-every); `per`: see `range`.
        With --sample N: the newest checkpoint is restored, `generate(n, seed)` (N samples
        drawn from noise of that seed, as an array) is written to <out>/sampled/, and the
        program ends there (`Sampled`): the loop does not run.
        With --evaluate [CHECKPOINT]: that (or the newest intact) checkpoint is restored,
        `measure()` (a dict of metrics) is added to metrics.json's `evaluations` under the
        checkpoint's name, and the program ends there (`Evaluated`)."""
        program, args = self.program, self.args
        total = total * per if per else total  # units: `per` batches in each of `total` epochs
        self.total, self._save, self._state = total, save, state
        every = getattr(args, "checkpoint_every", None)  # the default: --checkpoint-every
        self._due = checkpoint_due or (lambda done: bool(every) and done % every == 0)
        if not self.files:  # a sweep: seed 0 writes the sweep's config.json
            if self.seed == 0 and self.sweep_dir:
                write_config(self, config, parameters, self.sweep_dir)
            return None
        if getattr(args, "sample", None):
            self._write_samples(restore, generate)
        if getattr(args, "evaluate", None):
            self._evaluate(restore, measure)
        state = None
        if self.config is not None:
            found = checkpoints(args.out, program).latest(required=False)
            if found is not None:
                folder, state = found
                read_checkpoint(restore, folder, state, "--resume",
                                "; delete it to resume from an earlier one")
                self.done, self.rows = state["units_done"], state["loss_rows"]
                self.last = state.get("last_row")
                check_losses(args.out, folder, self.rows, program.loss_columns)
            if self.done >= total and finished(args.out):
                raise already_trained(program, args.out, self.done)
        self.run_dir = rundir.prepare_run_dir(args.out, args.overwrite,
                                              resume=self.config is not None)
        self._before = rundir.snapshot(self.run_dir)  # files new or changed from now: ours
        write_config(self, config, parameters, self.run_dir, previous=self.config)
        self._store = checkpoints(self.run_dir, program)
        if state is None and self.config is not None:
            print(f"No checkpoint in {self.run_dir} yet: starting the run from the "
                  f"beginning", flush=True)
        elif state is not None and self.done < total:
            print(f"Resuming {self.run_dir} after {self.unit} {self.done} of {total}",
                  flush=True)
        elif state is not None:
            print(f"Finishing {self.run_dir}: its {self.done} {plural(self.unit)} are "
                  f"trained, writing the final files", flush=True)
        self.restored = state
        return state

    def range(self, total, per=None):
        """The units `done`..`total`-1 (all of them in a new run). Between units: the
        progress bar, TensorBoard, a checkpoint when due (and after the last unit), and
        Ctrl-C/SIGTERM, which stops after the unit in progress with a checkpoint. A new
        run's first checkpoint (unit 0) is written before the first unit.
        With `per`: `total` epochs of `per` batches, whose units are the batches of
        `run.batches`; the epochs from the one the checkpoint is in."""
        units = total * per if per else total
        if self.files and units != self.total:
            raise ValueError(f"run.range({total}, {per}) after run.start({self.total})")
        self.total, self.per = units, per
        self._loop = self._epochs(total, per) if per else self._units(total)
        return self._loop

    def batches(self, batches, skip=True):
        """Inside `for epoch in run.range(epochs, per)`: (i, batch) of the epoch's
        `batches` (an iterable of `per`), from batch `first_batch` on, the one the
        checkpoint is in (0 but in a resumed epoch): the ones before are skipped, or with
        `skip=False` the iterable starts there itself. After each batch but the epoch's last
        (whose turn comes after the epoch's own end), what `range` does after a unit."""
        first = self.first_batch
        self.first_batch = 0
        if skip:
            batches = itertools.islice(batches, first, None)
        for i, batch in zip(range(first, self.per), batches):
            self._row, self._text, self._unit_began = None, None, time.perf_counter()
            yield i, batch
            if i + 1 < self.per:
                self._after_unit(self._epoch * self.per + i + 1)

    def _units(self, total):
        with self._loop_services():
            for unit in range(self.done, total):
                self._row, self._text, self._unit_began = None, None, time.perf_counter()
                yield unit
                self._after_unit(unit + 1)

    def _epochs(self, epochs, per):
        with self._loop_services():
            self.first_batch = self.done % per
            for epoch in range(self.done // per, epochs):
                self._epoch = epoch
                yield epoch
                self._after_unit((epoch + 1) * per)

    @contextlib.contextmanager
    def _loop_services(self):
        """The loop's progress bar, losses.csv, TensorBoard and Ctrl-C handling; a new run's
        first checkpoint. Without files (a sweep, a detached run): only the timing."""
        from gantools.training import Progress, StopRequest
        started = time.perf_counter()
        if not self.files:
            self._stop = None
            yield
            self.seconds = time.perf_counter() - started
            return
        if self.restored is None:
            self._checkpoint()
        if self.args.tensorboard:
            from gantools.run.board import Board
            self._board = Board(self.run_dir, recorded_flags(self.parser, self.args))
        self._log = rundir.LossLog(self.run_dir / "losses.csv", self.program.loss_columns,
                                   keep_rows=self.rows)
        self._diverged = None
        with StopRequest(self.unit) as self._stop, self._log:
            self._progress = Progress(self.total, start=self.done)
            try:
                yield
            finally:
                self._progress.close()
                self._progress = None
        self.seconds = time.perf_counter() - started

    def _after_unit(self, done):
        """After the unit that makes `done`: what the loop's services do between units."""
        if self._stop is None:  # no files: each unit's time only
            self.unit_seconds.append(time.perf_counter() - self._unit_began)
            self.done = done
            return
        row = self._row
        if row is not None and not self._diverged:
            self._diverged = not_finite(row)
            if self._diverged:
                self.print(f"warning: {self._diverged} at {self.unit} {done - 1}: training "
                           f"has diverged (a smaller learning rate may help); the run goes "
                           f"on to its end, as the original's would, and writes its files")
        self.done = done
        text = self._text if self._text is not None else default_text(row)
        self._progress.update(done, text)
        if self._board is not None:
            self._board.row(row or {}, done)
            self._board.new_images(done)
        if self._due(done) or done == self.total or self._stop.requested:
            self._log.flush()
            self._checkpoint()
        if self._stop.requested and done < self.total:
            self._progress.close()
            print(f"Interrupted: checkpoint saved after {self.unit} {done}; continue with "
                  f"--resume", flush=True)
            raise KeyboardInterrupt

    def log(self, **row):
        """One losses.csv row (the program's `loss_columns`); also TensorBoard's."""
        self._row = self.last = row
        if not self.files:
            self.history.append(row)
        elif self._log is not None:
            self._log.write(**row)
            self.rows += 1

    def show(self, text):
        """The progress bar's text after this unit (default: the row's numbers)."""
        self._text = text

    def print(self, *values):
        """print() below the progress bar; nothing in a sweep (one line per seed)."""
        if not self.files:
            return
        if self._progress is not None:
            self._progress.clear()
        print(*values, flush=True)

    # -- the runner's side ----------------------------------------------------------------
    def _write_samples(self, restore, generate):
        """--sample N: the newest intact checkpoint's generator, N samples, then `Sampled`."""
        from gantools.plots import write_samples
        args = self.args
        if generate is None:
            raise UsageError(f"--sample: {self.program.script}.py has no generator to sample")
        folder, state = checkpoints(args.out, self.program).latest(flag="--sample")
        read_checkpoint(restore, folder, state, "--sample")
        samples = np.asarray(generate(args.sample, args.sample_seed))
        before = rundir.snapshot(args.out)
        (args.out / SAMPLED).mkdir(exist_ok=True)
        stem = args.out / SAMPLED / f"seed{args.sample_seed}-n{args.sample}"
        rundir.save_npy(stem.with_suffix(".npy"), samples)
        figure = write_samples(samples, stem.with_suffix(".png"))
        rundir.record_written(args.out, before)
        print(f"Wrote {stem}.npy (shape {samples.shape}) and {figure.name}: samples of "
              f"the generator of {folder} ({self.unit} {state['units_done']})", flush=True)
        raise Sampled

    def _evaluate(self, restore, measure):
        """--evaluate [CHECKPOINT]: the checkpoint's metrics into metrics.json's
        `evaluations` (the final metrics stay as they are), then `Evaluated`."""
        args, store = self.args, checkpoints(self.args.out, self.program)
        if args.evaluate is True:
            folder, state = store.latest(flag="--evaluate")
        else:
            folder = Path(args.evaluate).expanduser()
            if folder.resolve().parent != store.directory.resolve():
                raise UsageError(f"--evaluate: {folder} is not one of the checkpoints in "
                                 f"{store.directory}")
            try:
                state = store.check(folder)
            except ValueError as error:
                raise UsageError(f"--evaluate: the checkpoint {folder} is damaged "
                                 f"({error})") from None
        read_checkpoint(restore, folder, state, "--evaluate")
        print(f"Evaluating {folder} ({self.unit} {state['units_done']})", flush=True)
        metrics = dict(measure(), checkpoint=folder.name,
                       **{plural(self.unit) + "_trained": state["units_done"]})
        if self.checksum is not None and self.checksum != self.config.get("data_checksum"):
            metrics["data_checksum"] = self.checksum  # other data than the run's
        name = folder.name + self.program.evaluation_name(args)
        file = args.out / "metrics.json"
        before = rundir.snapshot(args.out)
        rundir.update_json(file, evaluations=dict(evaluations_in(file), **{name: metrics}))
        rundir.record_written(args.out, before)
        text = self.program.summary(metrics, args)
        if text:
            print(text, flush=True)
        print(f"Wrote evaluations[{name!r}] into {file}", flush=True)
        raise Evaluated

    def _checkpoint(self):
        save_checkpoint(self, self.done, self.rows)

    def close(self):
        """After the program returned or raised: the loop's files and handlers."""
        if self._loop is not None:
            self._loop.close()
            self._loop = None


def read_checkpoint(restore, folder, state, flag, hint=""):
    """The program's `restore(folder, state)`; whatever a damaged file raises: one line."""
    try:
        restore(folder, state)
    except Exception as error:
        raise UsageError(f"{flag}: cannot read the checkpoint {folder} "
                         f"({first_line(error)}){hint}") from None


class Sampled(Exception):
    """--sample has written its samples: the program ends without training."""


class Evaluated(Exception):
    """--evaluate has written its metrics: the program ends without training."""


def evaluations_in(file):
    """metrics.json's `evaluations` (--evaluate's), or {}."""
    try:
        found = json.loads(Path(file).read_text()).get("evaluations", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return found if isinstance(found, dict) else {}


def detached(args=None, seed=0, data=None):
    """A Run without a folder, for calling a program's loop from code (tests, side-by-side
    harnesses, benchmarks): no files, no checkpoints, no printing; `history` holds the
    logged rows and `unit_seconds` each unit's wall-clock time."""
    return Run(Program(), None, args, seed, data, None, sweep_dir=False)


def default_text(row):
    return "  ".join(f"{k}:{v:.4g}" for k, v in row.items()
                     if isinstance(v, float)) if row else ""


def run(program, train, parser, args, config):
    """One run: new, or --resume of the run in --out: `train(run)` is the program's loop."""
    data, checksum = _prepare(program, args)
    evaluating = getattr(args, "evaluate", None)  # which may measure against other data
    if config is not None and not evaluating and config.get("data_checksum") not in (
            None, checksum):
        raise UsageError(f"{'--resume' if args.resume else '--sample'}: the data is not the "
                         f"data the run was trained on (checksum {checksum}, the run's "
                         f"{config['data_checksum']})")
    rundir.seed_everything(args.seed, args.deterministic)
    print(f"Devices: {', '.join(rundir.devices())}", flush=True)
    session = Run(program, parser, args, args.seed, data, checksum, config)
    try:
        metrics = train(session)
    except (Sampled, Evaluated):
        return 0
    finally:
        session.close()
    run_dir = session.run_dir
    metrics = dict(metrics, train_seconds=round(session.seconds, 3))
    evaluations = evaluations_in(run_dir / "metrics.json")  # --evaluate's of a checkpoint
    if evaluations:
        metrics["evaluations"] = evaluations
    rundir.write_json(run_dir / "metrics.json", metrics)
    if session._board is not None:
        session._board.finish(metrics, session.total)
        session._board.close()
    rundir.record_written(run_dir, session._before)
    text = program.summary(metrics, args)
    if text:
        print(text, flush=True)
    print(f"Wrote {run_dir}", flush=True)
    return 0


def not_finite(row):
    """'loss_d is nan' for the first value of a losses.csv row that is a non-finite number,
    else None."""
    for key, value in row.items():
        if isinstance(value, (float, np.floating)) and not np.isfinite(value):
            return f"{key} is {value}"
    return None


def save_checkpoint(run, done, rows):
    """One checkpoint after `done` units and `rows` losses.csv rows, with a copy of
    losses.csv (flushed before: its `rows` rows), from which --resume repairs a damaged
    file. TensorFlow's own log line about a failed write (a full disk) is dropped: the error
    is reported in one line."""
    from gantools.run.launch import quiet_runtime_noise

    def write(folder):
        run._save(folder)
        losses = run.run_dir / "losses.csv"
        if losses.is_file():
            shutil.copyfile(losses, folder / "losses.csv")
    with quiet_runtime_noise(run.args.verbose):
        run._store.save(done, write, dict(run._state(), units_done=done, loss_rows=rows,
                                          last_row=run.last))
    rundir.record_written(run.run_dir, run._before)


def check_losses(run_dir, checkpoint, rows, columns):
    """Before a resume continues losses.csv after its first `rows` rows: they must be the
    rows the checkpoint saw. A missing, cut or edited file is repaired from the checkpoint's
    copy, with one line; without a copy (a checkpoint of an older version) a file short of
    complete rows is refused in one line, before anything is written."""
    path, saved = Path(run_dir) / "losses.csv", Path(checkpoint) / "losses.csv"
    live = rundir.complete_rows(path, columns)
    if saved.is_file():
        kept = rundir.complete_rows(saved, columns)
        if kept is not None and len(kept) >= rows and (live is None
                                                       or live[:rows] != kept[:rows]):
            what = "damaged" if path.exists() else "missing"
            shutil.copyfile(saved, path)
            print(f"--resume: {path} was {what}; its {rows} rows are restored from the "
                  f"checkpoint {Path(checkpoint).name}", flush=True)
        return
    if live is None or len(live) < rows:
        found = "no readable losses.csv" if live is None else f"{len(live)} complete rows"
        raise UsageError(f"--resume: {path} holds {found}, the checkpoint "
                         f"{Path(checkpoint).name} expects {rows}; put the file back, or "
                         f"start again with --overwrite")


def plural(unit):
    return unit + ("es" if unit.endswith(("s", "x", "sh", "tch")) else "s")  # epochs, batches


def write_config(run, described, parameters, folder, previous=None):
    """config.json of a new run; on --resume, the run's with the free flags updated."""
    config = dict(
        program=run.program.script,
        flags=recorded_flags(run.parser, run.args),
        data_checksum=run.checksum,
        **_json_value(described or {}),
        trainable_parameters=parameters or {},
        devices=rundir.devices(),
        versions=rundir.library_versions(),
        commit=rundir.source_commit(),
        command=[Path(sys.argv[0]).name, *sys.argv[1:]],
    )
    if previous is not None:
        config = dict(previous, flags=config["flags"],
                      resumed=previous.get("resumed", []) + [config["command"]])
    rundir.write_json(Path(folder) / "config.json", config)


def run_sweep(program, train, parser, args):
    """--sweep N: train seeds 0..N-1 without figures; sweep.json after every seed."""
    from gantools.run.launch import quiet_retracing_notices
    quiet_retracing_notices(args.verbose)  # new models for every seed: first traces
    data, checksum = _prepare(program, args)
    run_dir = rundir.prepare_run_dir(args.out, args.overwrite)
    before = rundir.snapshot(run_dir)  # files new or changed from now on: this sweep's
    per_seed = []
    for seed in range(args.sweep):
        if "keras" in sys.modules:
            sys.modules["keras"].backend.clear_session()
        rundir.seed_everything(seed, args.deterministic)
        session = Run(program, parser, args, seed, data, checksum, sweep_dir=run_dir)
        try:
            metrics = train(session)
        finally:
            session.close()
        metrics = dict(metrics, train_seconds=round(session.seconds, 3))
        per_seed.append(rundir.finite(dict(seed=seed, **metrics)))
        print(f"seed {seed}: {program.summary(metrics, args)}", flush=True)
        rundir.write_json(run_dir / "sweep.json", dict(
            runs=len(per_seed), **program.sweep_summary(per_seed),
            flags=recorded_flags(parser, args), per_seed=per_seed))
        rundir.record_written(run_dir, before)
    totals = "; ".join(f"{k}: {v}" for k, v in program.sweep_summary(per_seed).items())
    print(f"{args.sweep} seeds ({totals}); wrote {run_dir / 'sweep.json'}", flush=True)
    return 0
