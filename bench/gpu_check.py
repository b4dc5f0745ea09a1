"""Ready for the first GPU: run all nine programs for a few units on the visible devices and
check them against what must hold there.

    python bench/gpu_check.py --json out.json [--only S1,S4] [--units N] [--work DIR]
                              [--data-mnist PATH] [--data-faces FOLDER]

Each program (gantools.run.programs: its script and data) runs as a user runs it: its script
in a process of its own (scripts/<script>.py with this interpreter), `--out` in a
temporary folder (or under `--work`), for a few units (`FEW`: steps or epochs, at the
programs' default sizes where a GPU finds them cheap, e.g. the default batch sizes), on the
small data the check writes itself unless given: a seeded random mnist.npz and 128 random
96x96 JPEG faces (this checks devices, not quality). The runs of each program:

- `default`: its defaults (S2, S3: `--jit-compile auto`, i.e. XLA on with a GPU, off on a
  CPU); it must finish with finite losses;
- `deterministic` and `repeat`: `--deterministic` twice on the same device; the two
  losses.csv must be identical, cell for cell as written (the wall-clock columns aside):
  op determinism on that device;
- `mixed` (the programs that offer `--mixed-precision`, S2 and S3): float16 arithmetic
  changes every number, so it is only checked to finish with finite losses;
- `cpu` (only where TensorFlow sees a GPU): `--deterministic` in a process with
  CUDA_VISIBLE_DEVICES=-1, run beside the device's runs (so on a spare lane of the CPU; the
  device's step times then share the machine with it). The first logged row of its
  losses.csv must agree with the device's `deterministic` run (below). Later rows are not
  compared: a GAN is chaotic, and rounding differences grow from step to step. On a
  machine without a GPU the device is the CPU itself: the JSON says so and the comparison
  is skipped (the determinism and finiteness checks still run, so the check is known to
  work before a GPU is at hand).

Agreement of the device with the CPU (`agree`): each loss of the first row (the columns
named `*loss*` or `*error*`) within RTOL = 1e-2 of the CPU's, relative to the largest
|loss| of that row (so a loss that is a small difference of larger terms, such as WGAN's
critic loss, is held to the precision of its terms). Why 1e-2: a GPU computes the same
float32 formulas in other kernels, with other summation orders and algorithms (cuBLAS,
cuDNN; for S2/S3 XLA, with its fusions and its own approximations of exp, log and tanh),
and on NVIDIA Ampere and newer, by TensorFlow's default, runs float32 matmuls and
convolutions in TF32: inputs rounded to a 10-bit mantissa (unit roundoff 2^-11), so each
product errs by up to 2^-10 ~ 1e-3 relative. The longest path to a first logged loss
crosses at most 10 such layers (S2's and S3's G, then D: 5 each); to first order, through
well-conditioned layers, the relative errors add: 10 x 1e-3 = 1e-2. Float32 kernels alone
differ less: on this project's 2-core CPU, S2's first row with XLA on against off (the same
formulas in other kernels) differed by 6.8e-4 of the row's largest loss, 15 times inside
the tolerance (far above float32's unit roundoff 2^-24: rounding is amplified on its way to
the loss). The tolerance is no proof of correctness (the side-by-side tests are); it tells
a GPU that computes what the CPU computes from one that does not (another noise stream, a
missing update, a broken kernel), which moves the first losses by more.

If a program misses by a small margin on an Ampere-or-newer GPU, rerun with TF32 off
(`NVIDIA_TF32_OVERRIDE=0 python bench/gpu_check.py ...`, the JSON records the variable):
a pass then means the difference was TF32's rounding.

The JSON holds the devices (TensorFlow's list, each run's "Devices:" line and its
config.json's `devices` and, for S2/S3, `devices_and_scale`), per program and run the
command, exit code, wall time, metrics.json's `train_seconds` and the seconds per unit
(train_seconds / units; with so few units the first unit's tracing and XLA compilation are
part of it; losses.csv's own timing column where the program writes one), each check with
its numbers, and pass or fail with the reasons. Exit code 0 when every program passes,
1 otherwise, 2 for bad flags.

Time: 29 device runs (38 with a GPU's CPU references, which overlap them), mostly process
start-up, XLA compilation and S2's and S3's default sizes; on one GPU meant to take under
five minutes (not yet measured: no GPU has run it). On this project's 2-core CPU, shared
with other jobs (load 6-9), all nine took 29-34 minutes, 20 of them S3 at its original's
widths (ngf 1024, batch 64: about 2 minutes a step there, float16 slower still).
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gantools.run import programs
from gantools.run import rundir  # noqa: E402
from gantools.run.cli import ArgumentParser, positive_int  # noqa: E402
from gantools.run.programs import PROGRAMS  # noqa: E402

SCRIPTS = ROOT / "scripts"
RTOL = 1e-2              # the device's first logged losses against the CPU's (see above)
TIMING = ("seconds",)    # losses.csv columns holding wall-clock time
LOSSES = ("loss", "error")  # the columns compared across devices: their names hold one
FACES = 128              # the faces written when --data-faces is not given
MNIST = (1280, 256)      # training and test digits written when --data-mnist is not given

# program -> (flags, total flag, units): a few units with the programs' default sizes
# (batch sizes, widths) and short logging intervals, so the first logged row is early
FEW = {
    "S1": ([], "--steps", 20),
    "S2": (["--jit-compile", "auto", "--size-per-dataset", "128", "--swd-images", "64"],
           "--epochs", 2),
    "S3": (["--jit-compile", "auto", "--size-per-dataset", "128", "--swd-images", "64"],
           "--steps", 2),
    "S4": ([], "--epochs", 100),
    "S5": (["--print-interval", "1", "--metric-samples", "0"], "--epochs", 1),
    "S6": (["--validation-size", "0", "--log-every", "1", "--metric-samples", "0"],
           "--steps", 50),
    "S7": (["--validation-size", "0", "--log-every", "1", "--metric-samples", "0"],
           "--steps", 50),
    "S8": (["--validation-size", "0", "--log-every", "1", "--metric-samples", "0"],
           "--steps", 50),
    "S9": ([], "--epochs", 5),
}
MIXED_PRECISION = ("S2", "S3")  # the programs with gantools.faces.scale's --mixed-precision


def build_parser():
    parser = ArgumentParser(prog="gpu_check.py", description=__doc__.splitlines()[0])
    parser.add_argument("--only", type=chosen, default=list(PROGRAMS), metavar="S1,S4,...",
                        help="the programs to check (default all nine)")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--units", type=positive_int, metavar="N",
                        help="every program's --steps/--epochs (default a few, per program)")
    parser.add_argument("--timeout", type=positive_int, default=1800, metavar="SECONDS",
                        help="a run taking longer is stopped and fails")
    parser.add_argument("--work", type=Path,
                        help="keep the runs and data here (default a temporary folder, "
                             "removed at the end)")
    parser.add_argument("--data-mnist", type=Path,
                        help="mnist.npz or a folder of IDX files for S5-S8 (default: "
                             "random digits written by the check)")
    parser.add_argument("--data-faces", type=Path,
                        help="a folder of face images for S2, S3 (default: random faces "
                             "written by the check)")
    return parser


def chosen(text):
    """--only: the programs named, in the registry's order."""
    try:
        names = programs.chosen(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return [p for p in PROGRAMS if p in names]


# ##### Data (only what the chosen programs need, when the user gives none)

def write_data(folder, kinds):
    """{kind: path}: a seeded random mnist.npz and FACES random 96x96 JPEGs."""
    import numpy as np
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    if "mnist" in kinds:
        from gantools.mnist import write_npz
        (n_train, n_test), path = MNIST, folder / "mnist.npz"
        write_npz(path, rng.integers(0, 256, (n_train, 28, 28), np.uint8),
                  rng.integers(0, 10, n_train, np.uint8),
                  rng.integers(0, 256, (n_test, 28, 28), np.uint8),
                  rng.integers(0, 10, n_test, np.uint8))
        written["mnist"] = path
    if "faces" in kinds:
        from PIL import Image
        faces = folder / "faces"
        faces.mkdir(exist_ok=True)
        for i in range(FACES):
            pixels = rng.integers(0, 256, (96, 96, 3), np.uint8)
            Image.fromarray(pixels).save(faces / f"{i}.jpg", quality=90)
        written["faces"] = faces
    return written


# ##### The runs

def command(program, out, data, *extra, units=None):
    flags, total_flag, few = FEW[program]
    entry = PROGRAMS[program]
    args = [sys.executable, str(SCRIPTS / f"{entry.script}.py"), "--out", str(out),
            *flags, total_flag, str(units or few), *extra]
    if entry.data:
        args += ["--data", str(data[entry.data])]
    if Path(out).exists():  # a rerun into the same --work
        args.append("--overwrite")
    return args


def run(program, out, data, extra, env, units=None, timeout=None):
    """Run the program with `extra` flags into `out`; what it wrote and how long it took."""
    args = command(program, out, data, *extra, units=units)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        result = subprocess.run(args, env=env, capture_output=True, text=True,
                                timeout=timeout, cwd=out.parent)
        code, stdout, stderr = result.returncode, result.stdout, result.stderr
    except subprocess.TimeoutExpired as error:
        stdout = error.stdout or ""
        stdout = stdout.decode(errors="replace") if isinstance(stdout, bytes) else stdout
        code, stderr = None, f"stopped after --timeout {timeout} s"
    wall = time.perf_counter() - started
    (out.parent / f"{out.name}.log").write_text(stdout + stderr)
    found = dict(command=args, exit_code=code, wall_seconds=round(wall, 2), out=str(out))
    found["devices_line"] = next((line for line in stdout.splitlines()
                                  if line.startswith("Devices: ")), None)
    if code != 0:
        found["error"] = (stderr.strip().splitlines() or ["(no output)"])[-1]
        return found
    _, total_flag, few = FEW[program]
    found.update(timings(out, units or few, unit=total_flag[2:-1]))  # --epochs: epoch
    config = json.loads((out / "config.json").read_text())
    found["config_devices"] = config.get("devices")
    if "devices_and_scale" in config:  # S2, S3: XLA, precision, strategy
        found["devices_and_scale"] = config["devices_and_scale"]
    return found


def timings(out, units, unit):
    """metrics.json's train_seconds, per unit, and losses.csv's timing columns."""
    seconds = json.loads((out / "metrics.json").read_text()).get("train_seconds")
    found = dict(units=units, unit=unit, train_seconds=seconds,
                 seconds_per_unit=None if seconds is None else round(seconds / units, 4))
    header, rows = read_table(out / "losses.csv")
    for column in header:
        if any(t in column for t in TIMING):
            found[f"losses_csv_{column}"] = [float(row[column]) for row in rows]
    return found


def read_table(path):
    """(header, rows as dicts of the cells as written) of a CSV file."""
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames or [], list(reader)


# ##### The checks (pure: files in, verdicts out)

def without_timing(path):
    """losses.csv's rows, each the tuple of its cells as written, the timing columns out."""
    header, rows = read_table(path)
    kept = [c for c in header if not any(t in c for t in TIMING)]
    return [tuple(kept)] + [tuple(row[c] for c in kept) for row in rows]


def identical(first, second):
    """The determinism check of two losses.csv: (ok, details)."""
    a, b = without_timing(first), without_timing(second)
    if a == b:
        return True, {"rows": len(a) - 1}
    where = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return False, {"rows": [len(a) - 1, len(b) - 1], "first_different_line": where + 1,
                   "first": list(a[where]) if where < len(a) else None,
                   "second": list(b[where]) if where < len(b) else None,
                   "header": list(a[0])}


def loss_values(row):
    return {column: float(value) for column, value in row.items()
            if any(word in column.lower() for word in LOSSES) and value != ""}


def first_losses(path):
    rows = read_table(path)[1]
    return loss_values(rows[0]) if rows else {}


def agree(device_csv, cpu_csv, rtol=RTOL):
    """The first logged losses of the device against the CPU's: (ok, details). Each within
    rtol of the CPU's, relative to the largest |loss| of the row (module docstring)."""
    device, cpu = first_losses(device_csv), first_losses(cpu_csv)
    if set(device) != set(cpu) or not device:
        return False, {"device": device, "cpu": cpu,
                       "reason": "no first row, or not the same loss columns"}
    if not all(map(math.isfinite, [*device.values(), *cpu.values()])):
        return False, {"device": device, "cpu": cpu, "reason": "a loss is not finite"}
    scale = max(abs(v) for v in [*device.values(), *cpu.values()])
    differences = {c: abs(device[c] - cpu[c]) / scale if scale else 0.0 for c in device}
    worst = max(differences.values())
    return worst <= rtol, {"device": device, "cpu": cpu, "row_scale": scale,
                           "relative_differences": differences, "largest": worst,
                           "rtol": rtol}


def finite_losses(path):
    """Every loss of losses.csv is a finite number: (ok, details)."""
    _, rows = read_table(path)
    bad = [(i, c) for i, row in enumerate(rows) for c, v in loss_values(row).items()
           if not math.isfinite(v)]
    if not rows:
        return False, {"reason": "no rows"}
    return not bad, {"rows": len(rows), **({"not_finite": bad[:5]} if bad else {})}


def check_program(runs, gpu):
    """The checks of one program from its runs: {check: {ok, ...}}, [reasons it failed]."""
    checks, reasons = {}, []
    for name, found in runs.items():
        if found["exit_code"] != 0:
            reasons.append(f"{name} run failed (exit {found['exit_code']}): "
                           f"{found.get('error')}")
    finished = {name: Path(found["out"]) / "losses.csv" for name, found in runs.items()
                if found["exit_code"] == 0}

    def verdict(check, ok, details, failure):
        checks[check] = {"ok": ok, **details}
        if not ok:
            reasons.append(failure)

    for name, path in finished.items():
        ok, details = finite_losses(path)
        verdict(f"finite_{name}", ok, details, f"{name} run: losses not finite ({details})")
    if {"deterministic", "repeat"} <= set(finished):
        ok, details = identical(finished["deterministic"], finished["repeat"])
        verdict("determinism", ok, details,
                "two --deterministic runs on the device differ from line "
                f"{details.get('first_different_line')} of losses.csv (the header is line 1)")
    if not gpu:
        checks["cpu_agreement"] = {
            "ok": None, "skipped": "no GPU is visible: the device is the CPU, its "
            "deterministic run is the CPU reference itself, so there is nothing to compare"}
    elif {"deterministic", "cpu"} <= set(finished):
        ok, details = agree(finished["deterministic"], finished["cpu"])
        verdict("cpu_agreement", ok, details, "first logged losses against the CPU's: "
                + details.get("reason", f"they differ by {details.get('largest'):.3g} of "
                                        f"the row's largest loss (rtol {RTOL})"))
    return checks, reasons


# ##### main

def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    for flag, path, kind in [("--data-mnist", args.data_mnist, "exists"),
                             ("--data-faces", args.data_faces, "is_dir")]:
        if path is not None and not getattr(path, kind)():
            parser.error(f"{flag} {path}: no such {'folder' if kind == 'is_dir' else 'file'}")
    if args.json is not None and not args.json.parent.resolve().is_dir():
        parser.error(f"--json {args.json}: its folder does not exist")

    env = dict(os.environ)  # the programs' environment, as the user's shell gives it
    from gantools.run.launch import quiet_tensorflow
    quiet_tensorflow()
    import tensorflow as tf
    devices, gpu = rundir.devices(), bool(tf.config.list_physical_devices("GPU"))
    print(f"Devices: {', '.join(devices)}", flush=True)

    temporary = None
    if args.work is None:
        temporary = tempfile.TemporaryDirectory(prefix="gpu_check-")
        work = Path(temporary.name)
    else:
        work = args.work.expanduser().resolve()
        work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        results = check_all(args, work, env, gpu)
    finally:
        if temporary is not None:
            temporary.cleanup()
    passed = all(r["pass"] for r in results.values())
    report = {
        "pass": passed,
        "seconds": round(time.perf_counter() - started, 1),
        "devices": devices,
        "gpu_visible": gpu,
        "cpu_reference": (
            "child processes with CUDA_VISIBLE_DEVICES=-1, run beside the device's runs"
            if gpu else "none: no GPU is visible, the device is the CPU itself; the "
            "comparison with the CPU is skipped"),
        "tolerance": {"rtol": RTOL, "of": "each first logged loss, relative to the largest "
                      "|loss| of that row", "reason": "TF32 (2^-10 per product) over at "
                      "most 10 layers; see bench/gpu_check.py's docstring"},
        "tf32": {"NVIDIA_TF32_OVERRIDE": env.get("NVIDIA_TF32_OVERRIDE"),  # 0: TF32 off
                 "tensorflow_default": tf.config.experimental
                 .tensor_float_32_execution_enabled()},
        "versions": rundir.library_versions(),
        "command": [Path(sys.argv[0]).name, *sys.argv[1:]],
        "work": None if temporary else str(work),
        "programs": results,
    }
    if args.json:
        rundir.write_json(args.json, report)
        print(f"Wrote {args.json}")
    failed = [p for p, r in results.items() if not r["pass"]]
    print(f"{len(results) - len(failed)} of {len(results)} programs pass"
          + (f"; failed: {', '.join(failed)}" if failed else "")
          + f" ({report['seconds']:.0f} s)")
    return 0 if passed else 1


def check_all(args, work, env, gpu):
    kinds = {PROGRAMS[p].data for p in args.only} - {None}
    given = {"mnist": args.data_mnist, "faces": args.data_faces}
    data = write_data(work / "data", {k for k in kinds if given[k] is None})
    data.update({k: v.resolve() for k, v in given.items() if v is not None})
    cpu_env = dict(env, CUDA_VISIBLE_DEVICES="-1")
    results = {}
    cpu_lane = ThreadPoolExecutor(max_workers=1)  # the CPU references, beside the device's
    try:
        references = {p: cpu_lane.submit(run, p, work / p / "cpu", data, ["--deterministic"],
                                         cpu_env, args.units, args.timeout)
                      for p in args.only} if gpu else {}
        for program in args.only:
            plan = {"default": [], "deterministic": ["--deterministic"],
                    "repeat": ["--deterministic"]}
            if program in MIXED_PRECISION:
                plan["mixed"] = ["--mixed-precision"]
            runs = {}
            for name, extra in plan.items():
                runs[name] = run(program, work / program / name, data, extra, env,
                                 args.units, args.timeout)
                print(f"{program} {name}: {outcome(runs[name])}", flush=True)
            if program in references:
                runs["cpu"] = references[program].result()
                print(f"{program} cpu: {outcome(runs['cpu'])}", flush=True)
            checks, reasons = check_program(runs, gpu)
            results[program] = {
                "pass": not reasons, "reasons": reasons,
                "seconds_per_unit": {name: found.get("seconds_per_unit")
                                     for name, found in runs.items()},
                "checks": checks, "runs": runs}
            print(f"{program}: {'pass' if not reasons else 'FAIL: ' + '; '.join(reasons)}",
                  flush=True)
    finally:  # Ctrl-C: no reference starts after the run in progress
        cpu_lane.shutdown(cancel_futures=True)
    return results


def outcome(found):
    if found["exit_code"] != 0:
        return f"failed (exit {found['exit_code']}): {found.get('error')}"
    return (f"{found['wall_seconds']:.1f} s; training {found['train_seconds']} s for "
            f"{found['units']} {found['unit']}s, {found['seconds_per_unit']} s each")


if __name__ == "__main__":
    sys.exit(main())
