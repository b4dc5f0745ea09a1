"""`scripts/reproduce.py`: run the nine programs and write one results page, `RESULTS.md`.

For each chosen program (`--only S1,S4`; default all nine) it runs the program's script in
a fresh process: one run with the document's figures and, where a sweep over seeds is cheap,
a `--sweep` for mean ± sd. `--budget quick` shortens the long programs so that all nine
finish within about 30 minutes on 2 CPU cores (S1, S4 and S9 run at full length);
`--budget full` runs the originals' lengths (meant for a GPU). A program whose data is
missing (`--data-mnist`, `--data-faces`, or the standard Keras cache for MNIST) is listed
as skipped with the flag that would run it.

Everything goes into `--out` (default `runs/reproduce-<budget>/`): one folder per run, its
log, and `RESULTS.md` with a table per program (what the document reports beside what this
run measured), its figures, the exact commands, library versions, the device and the time.
Running it again resumes: finished runs are kept, interrupted ones continue with `--resume`.
"""
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from gantools import programs
from gantools.cli import ArgumentParser, UsageError

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


@dataclass
class Program:
    id: str                       # gantools.programs: its script, title and data
    document: str                 # the seed document and what it shows
    reported: list                # (quantity, what the document reports, metrics key or None)
    figures: list                 # files of the single run shown on the page
    quick: list                   # flags of the single run at --budget quick
    full: list = field(default_factory=list)
    sweep: dict = field(default_factory=dict)  # budget -> seeds (a cheap sweep)

    @property
    def script(self):
        return programs.PROGRAMS[self.id].script

    @property
    def title(self):
        return programs.PROGRAMS[self.id].title

    @property
    def data(self):
        return programs.PROGRAMS[self.id].data


# the MNIST programs' measured rows (gantools.mnist_metrics); the documents report neither
FRECHET = ("Fréchet distance (classifier features)", "not reported", "frechet_distance")
DIGITS = ("digits covered (of 10)", "not reported", "modes_covered")
MNIST_QUICK = ["--steps", "5000", "--sample-every", "1000", "--metric-samples", "2000"]
# what the results page shows of each program (its id, script, title and data:
# gantools.programs)
PROGRAMS = {p.id: p for p in [
    Program(
        "S1", "seed 000, section 3.4, Figures 3-12 to 3-14",
        [("generated mean", "moves onto the data's 3 (Figure 3-14)", "gen_mean"),
         ("generated std", "close to the data's 0.5 (Figure 3-14)", "gen_std"),
         ("W1 to N(3, 0.5)", "not reported", "wasserstein1"),
         ("converged (W1 < 0.5)", "yes, in the printed run", "converged")],
        ["fig3-12.png", "fig3-13.png", "fig3-14.png"], [], sweep={"quick": 10, "full": 20}),
    Program(
        "S2", "seed 001, section 4: 8x8 grids every 20 of 500 epochs",
        [("sample grid", "faces after 500 epochs (blog figure)", None),
         ("SWD x1e3 to the data", "not reported", "swd_x1e3.avg"),
         ("final D / G loss", "not reported", "final_loss_d")],
        ["losses.png"], ["--epochs", "2", "--size-per-dataset", "512", "--save-every", "1",
                         "--swd-images", "256"]),
    Program(
        "S3", "seed 001, section 5: grids of generated faces",
        [("sample grid", "faces (blog figure)", None),
         ("SWD x1e3 to the data", "not reported", "swd_x1e3.avg"),
         ("final critic loss", "not reported", "final_loss_d")],
        ["losses.png"], ["--steps", "30", "--save-every", "10", "--swd-images", "256"]),
    Program(
        "S4", "seed 002, section 2: the histogram of generated values",
        [("generated mean", "about 3.5 (target 4)", "gen_mean"),
         ("generated std", "about 1.15 (target 1.25)", "gen_std"),
         ("W1 to N(4, 1.25)", "not reported", "wasserstein1"),
         ("converged (mean within 0.5)", "the shape does not match", "converged")],
        ["histogram.png"], [], sweep={"quick": 4, "full": 12}),
    Program(
        "S5", "seed 002, section 3: 5x5 grids of blurry digits",
        [("sample grid", "blurry digits (two figures)", None), FRECHET, DIGITS],
        ["losses.png"], ["--epochs", "3", "--metric-samples", "2000"]),
    Program(
        "S6", "seed 003: 4x4 grids of digits", [
            ("sample grid", "recognisable digits (wiseodd's figures)", None), FRECHET, DIGITS],
        ["losses.png"], MNIST_QUICK),
    Program(
        "S7", "seed 003: 4x4 grids of digits, the critic's estimate", [
            ("sample grid", "digits (the post's figure)", None), FRECHET, DIGITS],
        ["losses.png"], MNIST_QUICK),
    Program(
        "S8", "seed 003: grids of the requested digit", [
            ("sample grid", "the requested digit in every cell", None),
            ("label accuracy", "not reported", "label_accuracy"),
            FRECHET],
        ["digits.png", "losses.png"], MNIST_QUICK),
    Program(
        "S9", "seed 004: generated curves beside real ones",
        [("diversity of the curves", "nearly one curve for any noise (collapse)",
          "diversity_ratio"),
         ("frequency W1 to U(1, 2)", "not reported", "frequency_w1"),
         ("sine-fit RMSE (median)", "curves look like sines", "fit_rmse_median"),
         ("collapsed", "yes", "collapsed")],
        ["generated_curves.png", "losses.png"], []),
]}


def build_parser():
    parser = ArgumentParser(prog="reproduce.py", description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(PROGRAMS), metavar="S1,S4,...",
                        help="the programs to run")
    parser.add_argument("--budget", choices=["quick", "full"], default="quick",
                        help="quick: all nine within about 30 min on 2 CPU cores (S1, S4 "
                             "and S9 at full length); full: the originals' lengths")
    parser.add_argument("--data-mnist", type=Path, help="mnist.npz or a folder of IDX files "
                        "(default: the Keras cache, ~/.keras/datasets/mnist.npz)")
    parser.add_argument("--data-faces", type=Path, help="the folder of anime-face images")
    parser.add_argument("--out", type=Path, help="default runs/reproduce-<budget>")
    return parser


def chosen(text):
    names = [n.strip().upper() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in PROGRAMS]
    if unknown or not names:
        what = ", ".join(unknown) or repr(text)
        raise UsageError(f"--only: unknown program {what}; choose from {','.join(PROGRAMS)}")
    return names


def data_for(program, args):
    """(flags giving the data, None) or (None, the reason it is skipped)."""
    if program.data == "mnist":
        from gantools.mnist import default_npz_path
        path = args.data_mnist or default_npz_path()
        return (["--data", str(path)], None) if Path(path).exists() else \
            (None, f"no MNIST at {path}: pass --data-mnist PATH")
    if program.data == "faces":
        if args.data_faces and args.data_faces.is_dir():
            return ["--data", str(args.data_faces)], None
        return None, "no face images: pass --data-faces FOLDER"
    return [], None


def script_command(script):
    """The console script of the venv, else scripts/<script>.py with this interpreter."""
    console = Path(sys.executable).parent / script.replace("_", "-")
    if console.exists():
        return [str(console)]
    return [sys.executable, str(SCRIPTS / f"{script}.py")]


def run_once(name, command, out, log):
    """Run `command` (the run folder `out`) unless it is done; --resume if interrupted."""
    done = out / ("sweep.json" if "--sweep" in command else "metrics.json")
    if done.exists():
        return "done before", 0.0
    if (out / "config.json").exists():
        command = command + (["--overwrite"] if "--sweep" in command else ["--resume"])
    started = time.perf_counter()
    print(f"{name}: {' '.join(command)}", flush=True)
    with open(log, "a") as f:
        code = subprocess.run(command, stdout=f, stderr=subprocess.STDOUT).returncode
    seconds = time.perf_counter() - started
    if code != 0:
        return f"failed (exit {code}; see {log.name})", seconds
    return "ran", seconds


def value(metrics, key):
    for part in key.split("."):
        if not isinstance(metrics, dict) or part not in metrics:
            return None
        metrics = metrics[part]
    return metrics


def show(number):
    if number is None:
        return "-"
    if isinstance(number, bool):
        return "yes" if number else "no"
    return f"{number:.4g}" if isinstance(number, float) else str(number)


def section(name, program, folder, status, budget):
    """The Markdown of one program."""
    lines = [f"## {name}: {program.title}", "", f"Document: {program.document}.", ""]
    if status.get("skipped"):
        return lines + [f"Skipped: {status['skipped']}.", ""]
    single = folder / "run"
    metrics = json.loads((single / "metrics.json").read_text()) \
        if (single / "metrics.json").exists() else {}
    sweep = json.loads((folder / "sweep" / "sweep.json").read_text()) \
        if (folder / "sweep" / "sweep.json").exists() else None
    header = "| quantity | the document | this run |"
    if sweep:
        header += f" mean ± sd over {sweep['runs']} seeds |"
    lines += [header, "|" + "---|" * (header.count("|") - 1)]
    for quantity, reported, key in program.reported:
        row = f"| {quantity} | {reported} | {show(value(metrics, key)) if key else 'below'} |"
        if sweep:
            numbers = [value(r, key) for r in sweep["per_seed"]] if key else []
            numbers = [float(n) for n in numbers if isinstance(n, (int, float))]
            row += (f" {statistics.mean(numbers):.4g} ± {statistics.stdev(numbers):.2g} |"
                    if len(numbers) > 1 else " - |")
        lines.append(row)
    lines.append("")
    grids = sorted((single / "samples").glob("*.png")) if (single / "samples").is_dir() else []
    for figure in [single / f for f in program.figures] + grids[-1:]:
        if figure.exists():
            lines += [f"![{figure.name}]({figure.relative_to(folder.parent).as_posix()})", ""]
    config = json.loads((single / "config.json").read_text()) \
        if (single / "config.json").exists() else {}
    lines += ["Commands:", "", "```"] + status["commands"] + ["```", ""]
    lines.append(f"Device: {', '.join(config.get('devices', ['?']))}; time: "
                 f"{status['seconds']:.0f} s ({status['outcome']}).")
    return lines + [""]


def main(argv=None):
    args = build_parser().parse_args(argv)
    names = chosen(args.only)
    out = (args.out or Path("runs") / f"reproduce-{args.budget}").expanduser()
    out.mkdir(parents=True, exist_ok=True)
    statuses = {}
    for name in names:
        program = PROGRAMS[name]
        folder = out / name
        flags, skipped = data_for(program, args)
        if skipped:
            statuses[name] = {"skipped": skipped}
            print(f"{name}: skipped ({skipped})", flush=True)
            continue
        folder.mkdir(exist_ok=True)
        base = script_command(program.script) + flags
        runs = [base + ["--out", str(folder / "run")]
                + (program.quick if args.budget == "quick" else program.full)]
        seeds = program.sweep.get(args.budget)
        if seeds:
            runs.append(base + ["--out", str(folder / "sweep"), "--sweep", str(seeds)]
                        + (program.quick if args.budget == "quick" else program.full))
        outcomes, seconds = [], 0.0
        for command in runs:
            outcome, spent = run_once(name, command, Path(command[command.index("--out") + 1]),
                                      folder / "log.txt")
            outcomes.append(outcome)
            seconds += spent
        timing = folder / "seconds.txt"  # the time of every invocation that ran something
        seconds += float(timing.read_text()) if timing.exists() else 0.0
        timing.write_text(f"{seconds:.1f}\n")
        statuses[name] = {"commands": [" ".join(c) for c in runs], "seconds": seconds,
                          "outcome": ", ".join(outcomes)}
    write_results(out, names, statuses, args.budget)
    print(f"Wrote {out / 'RESULTS.md'}")
    failed = [n for n, s in statuses.items() if "failed" in s.get("outcome", "")]
    return 1 if failed else 0


def write_results(out, names, statuses, budget):
    from gantools.rundir import library_versions
    versions = ", ".join(f"{k} {v}" for k, v in library_versions().items())
    lines = [f"# Results ({budget} budget)", "",
             "Each program's run beside what its document reports. Written by "
             f"`scripts/reproduce.py --budget {budget}`; {versions}.", ""]
    lines += ["| program | status | time (s) |", "|---|---|---|"]
    for name in names:
        status = statuses[name]
        lines.append(f"| {name} | "
                     f"{status.get('outcome') or 'skipped: ' + status['skipped']} | "
                     f"{status.get('seconds', 0):.0f} |")
    lines.append("")
    for name in names:
        lines += section(name, PROGRAMS[name], out / name, statuses[name], budget)
    tmp = out / "RESULTS.md.tmp"
    tmp.write_text("\n".join(lines))
    os.replace(tmp, out / "RESULTS.md")
