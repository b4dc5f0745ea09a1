"""`scripts/reproduce.py`: run the nine programs and write one results page, `RESULTS.md`.

For each chosen program (`--only S1,S4`; default all nine) it runs the program's script in
a fresh process, with `--deterministic`: one run with the document's figures, and where a
sweep over seeds is cheap a `--sweep`, for the faithful program and for its `--variant
stable` where it has one. Three budgets:
- `quick`: a smoke run (about 20 minutes on 2 CPU cores): every program runs and writes its
  page, but the MNIST and face programs are far too short to make digits or faces, so their
  verdicts say "not reached";
- `standard`: the documents' results on a 2-core CPU in at most about two hours for all nine
  (S1, S4 and S9 at full length, the MNIST programs long enough to make digits);
- `full`: the originals' lengths (meant for a GPU).
A program whose data is missing (`--data-mnist`, `--data-faces`, or the standard Keras cache
for MNIST) is listed as skipped with the flag that would run it.

Everything goes into `--out` (default `runs/reproduce-<budget>/`): one folder per run, its
log, and `RESULTS.md`: per program a table of what the document reports, the project's own
reference (the programs' pages and sweeps), this run, and a verdict against a stated
expected range; the grids beside a description of the documents' figures; the commands as
a user types them (run inside `--out`; no machine paths); the commit, versions, device and
time. Running it again resumes: finished runs are kept, interrupted ones continue.
"""
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from gantools.run import programs
from gantools.run.cli import ArgumentParser, UsageError

ROOT = Path(__file__).resolve().parents[1]
BUDGETS = ("quick", "standard", "full")


@dataclass
class Run:
    """One command of a program: a single run (`sweep` 0) or a sweep over seeds 0..n-1."""
    label: str                    # its folder under the program's, e.g. "run", "stable-sweep"
    flags: dict                   # budget -> the program's flags
    sweep: dict = field(default_factory=dict)   # budget -> seeds (absent: a single run)
    variant: str = None
    budgets: tuple = BUDGETS      # the budgets that run it


@dataclass
class Row:
    """One quantity: what the document says, the project's reference, and the range this
    run's value must fall in for the verdict "as expected"."""
    quantity: str
    document: str
    reference: str
    run: str                      # the Run's label it reads
    key: str                      # metrics key (a single run) or per-seed key (a sweep)
    low: float = None             # the expected range (None: open)
    high: float = None
    rate: tuple = None            # a sweep's boolean key: the reference's (k, n)
    among: str = None             # a sweep's median over the seeds where this key is true
    stated: str = None            # the range in words, where numbers would not say it

    def expected(self, n=None):
        if self.stated:
            return self.stated
        if self.rate is not None:
            low, high = rate_range(self.rate, n)
            return f"{low} to {high} of {n}"
        if self.low is not None and self.high is not None:
            return f"{self.low:g} to {self.high:g}"
        return f"at least {self.low:g}" if self.low is not None else f"at most {self.high:g}"


def rate_range(reference, n):
    """The central 95% range of k successes in n seeds at the reference's rate, (k + 1/2) /
    (n + 1) of its (k, n) so that 20 of 20 is not taken as certain (binomial): a sweep of
    other seeds is a new draw of seeds, not a repeat of the reference's."""
    from scipy.stats import binom
    k, m = reference
    low, high = binom.interval(0.95, n, (k + 0.5) / (m + 1))
    return int(low), int(high)


@dataclass
class Program:
    id: str                       # gantools.run.programs: its script, title, data and page
    document: str                 # the seed document and what it shows
    figures: str                  # the documents' figures, described beside this run's
    runs: list
    rows: list
    shown: list                   # files of the single run shown on the page

    @property
    def script(self):
        return programs.PROGRAMS[self.id].script

    @property
    def title(self):
        return programs.PROGRAMS[self.id].title

    @property
    def data(self):
        return programs.PROGRAMS[self.id].data

    @property
    def page(self):
        return programs.PROGRAMS[self.id].page

    def runs_of(self, budget):
        return [run for run in self.runs if budget in run.budgets]

    def rows_of(self, budget):
        """The rows whose run belongs to `budget`."""
        labels = {run.label for run in self.runs_of(budget)}
        return [row for row in self.rows if row.run in labels]


def same(flags):
    """The same flags at every budget."""
    return dict.fromkeys(BUDGETS, flags)


def mnist(quick, standard, extra=()):
    """An MNIST program's single run: `quick` and `standard` flags; full is the default."""
    return Run("run", {"quick": quick + list(extra), "standard": standard + list(extra),
                       "full": list(extra)})


# the rows of the MNIST programs (gantools.mnist.metrics); the documents show digits only
REAL = "real test digits: "
def digits(low):
    return Row("digits covered (of 10, 1% of samples each)", "all ten digits in the grids",
               REAL + "10", "run", "modes_covered", low=low)


INCEPTION = Row("Inception Score (classifier)", "recognisable digits", REAL + "9.59", "run",
                "inception_score", low=5)

STEPS = ["--sample-every", "5000", "--metric-samples", "5000"]
S5_EPOCHS = (["--epochs", "3", "--metric-samples", "2000"],
             ["--epochs", "30", "--metric-samples", "5000"])
PROGRAMS = {p.id: p for p in [
    Program(
        "S1", "seed 000, section 3.4, Figures 3-12 to 3-14",
        "Figure 3-12: the data's density and D's decision boundary before training; 3-13: "
        "after D's pretraining; 3-14: after training, the generated density on the data's "
        "N(3, 0.5) and D flat near 0.5",
        [Run("run", same([])), Run("sweep", same([]), {"quick": 10, "standard": 20,
                                                       "full": 20}),
         Run("stable-sweep", same([]), {"quick": 10, "standard": 20, "full": 20}, "stable")],
        [Row("generated mean", "moves onto the data's 3 (Figure 3-14)", "3.00 (seed 4)",
             "run", "gen_mean", 2.5, 3.5),
         Row("generated std", "close to the data's 0.5", "0.49 (seed 4)", "run", "gen_std",
             0.25, 0.75),
         Row("seeds converged (W1 < 0.5)", "the printed run converges",
             "6 of 20 (the S1 page)", "sweep", "converged", rate=(6, 20)),
         Row("seeds converged, `--variant stable`", "-", "20 of 20 (the S1 page)",
             "stable-sweep", "converged", rate=(20, 20)),
         Row("generated mean of the converged seeds (median)", "3", "2.70-3.47 (stable)",
             "sweep", "gen_mean", 2.5, 3.5, among="converged")],
        ["fig3-12.png", "fig3-13.png", "fig3-14.png"]),
    Program(
        "S2", "seed 001, section 4: 8x8 grids every 20 of 500 epochs",
        "the post shows 8x8 grids of anime faces, recognisable after a few hundred epochs",
        [Run("run", {"quick": ["--epochs", "2", "--size-per-dataset", "512", "--save-every",
                               "1", "--swd-images", "256"],
                     "standard": ["--epochs", "4", "--size-per-dataset", "1024",
                                  "--save-every", "2", "--swd-images", "256"],
                     "full": []})],
        [Row("final D loss", "not reported", "-", "run", "final_loss_d", low=-1e30, high=1e30,
             stated="finite"),
         Row("SWD x1e3 to the data (lower is closer)", "not reported",
             "not measured on real faces", "run", "swd_x1e3.avg", low=0,
             stated="measured (no range: synthetic faces)")],
        ["losses.png"]),
    Program(
        "S3", "seed 001, section 5: grids of generated faces",
        "the post shows grids of anime faces from the WGAN",
        # the original's widths (G and D of 12 and 11 million parameters): up to 4 minutes a
        # step (5 critic updates) on 2 busy CPU cores
        [Run("run", {"quick": ["--steps", "2", "--save-every", "1", "--swd-images", "256"],
                     "standard": ["--steps", "3", "--save-every", "1", "--swd-images", "256"],
                     "full": []})],
        [Row("final critic loss", "not reported", "-", "run", "final_loss_d", low=-1e30,
             high=1e30, stated="finite"),
         Row("SWD x1e3 to the data (lower is closer)", "not reported",
             "not measured on real faces", "run", "swd_x1e3.avg", low=0,
             stated="measured (no range: synthetic faces)")],
        ["losses.png"]),
    Program(
        "S4", "seed 002, section 2: the histogram of generated values",
        "the post's histogram: a bell centred near 3.5 with std about 1.15 (target "
        "N(4, 1.25)), 'the shape does not match'",
        [Run("run", same([])), Run("sweep", same([]), {"quick": 4, "standard": 6,
                                                       "full": 12}),
         Run("stable-sweep", same([]), {"quick": 4, "standard": 6, "full": 12}, "stable")],
        [Row("generated mean", "about 3.5 (target 4)", "3.96 ± 0.19 (converged seeds)",
             "run", "gen_mean", 3.5, 4.5),
         Row("generated std", "about 1.15 (target 1.25)", "1.29 ± 0.09", "run", "gen_std",
             0.9, 1.6),
         Row("seeds converged (mean within 0.5 of 4)", "one run, near", "7 of 12 (the S4 page)",
             "sweep", "converged", rate=(7, 12)),
         Row("seeds converged, `--variant stable`", "-", "12 of 12 (the S4 page)",
             "stable-sweep", "converged", rate=(12, 12)),
         Row("W1 of the converged seeds (median)", "not reported", "0.35 ± 0.06",
             "sweep", "wasserstein1", high=0.5, among="converged")],
        ["histogram.png"]),
    Program(
        "S5", "seed 002, section 3: 5x5 grids of blurry digits",
        "two 5x5 grids of blurry but readable digits, several kinds in each; the first "
        "grid: this run (the code as it ran, no dropout), the second: `--dropout 0.2` (the "
        "code as written)",
        [mnist(*S5_EPOCHS),
         # the post's F.dropout(x, p=0.2) as PyTorch >= 1.0 runs it (the port's --dropout)
         Run("dropout", mnist(*S5_EPOCHS, ["--dropout", "0.2"]).flags)],
        # the original (bench/original_digits.py on real MNIST, 10 epochs): the code as it
        # ran collapses onto a few digits; as written (dropout active) it covers 8-9
        [Row("digits covered (of 10, 1% of samples each)", "several kinds in each grid",
             "the original as it ran: 1-6 (6 seeds, 10 epochs)", "run", "modes_covered",
             high=7),
         Row("Inception Score (classifier)", "recognisable digits",
             "the original as it ran: 1.00-2.20", "run", "inception_score", high=3),
         Row("digits covered, `--dropout 0.2`", "several kinds in each grid",
             "the original as written: 8-9 (4 seeds, 10 epochs)", "dropout",
             "modes_covered", low=9),
         Row("Inception Score, `--dropout 0.2`", "recognisable digits",
             "the original as written: 3.00-3.66", "dropout", "inception_score", low=5)],
        ["losses.png"]),
    Program(
        "S6", "seed 003: 4x4 grids of digits",
        "wiseodd's 4x4 grids: recognisable digits of several kinds",
        [mnist(["--steps", "5000"], ["--steps", "30000"], STEPS)],
        [digits(9), INCEPTION], ["losses.png"]),
    Program(
        "S7", "seed 003: 4x4 grids of digits, the critic's estimate",
        "the post's 4x4 grid: digits, noisier than the vanilla GAN's",
        [mnist(["--steps", "5000"], ["--steps", "60000"], STEPS)],
        [digits(9), INCEPTION], ["losses.png"]),
    Program(
        "S8", "seed 003: grids of the requested digit",
        "a 4x4 grid in which every cell is the requested digit (the code asks for a 7)",
        [mnist(["--steps", "5000"], ["--steps", "30000"], STEPS)],
        [Row("label accuracy (the requested digit)", "every cell the requested digit",
             "chance: 0.1", "run", "label_accuracy", low=0.8), INCEPTION],
        ["digits.png", "losses.png"]),
    Program(
        "S9", "seed 004: generated curves beside real ones",
        "the post's figure: generated curves look like sines, but nearly the same curve "
        "for any noise (mode collapse)",
        # the stable variant: 500 epochs of minibatches, about 15 minutes on 2 busy CPU
        # cores (its page has 5 seeds of it); not in the smoke run
        [Run("run", same([])),
         Run("stable", same([]), variant="stable", budgets=("standard", "full"))],
        [Row("diversity ratio (generated / real)", "nearly one curve (collapse)",
             "0.13 (seed 0, the S9 page)", "run", "diversity_ratio", high=0.5),
         Row("sine-fit RMSE (median)", "the curves look like sines", "0.064 (seed 0)",
             "run", "fit_rmse_median", high=0.15),
         Row("diversity ratio, `--variant stable`", "-", "0.99-1.00 (5 seeds)", "stable",
             "diversity_ratio", 0.8, 1.2),
         Row("sine-fit RMSE, `--variant stable`", "-", "0.038-0.067", "stable",
             "fit_rmse_median", high=0.15)],
        ["generated_curves.png", "losses.png"]),
]}


def build_parser():
    parser = ArgumentParser(prog="reproduce.py", description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(PROGRAMS), metavar="S1,S4,...",
                        help="the programs to run")
    parser.add_argument("--budget", choices=BUDGETS, default="quick",
                        help="quick: a smoke run of all nine (about 20 min on 2 CPU cores); "
                             "standard: the documents' results within about 2 hours on 2 "
                             "CPU cores; full: the originals' lengths (for a GPU)")
    parser.add_argument("--data-mnist", type=Path, help="mnist.npz or a folder of IDX files "
                        "(default: the Keras cache, ~/.keras/datasets/mnist.npz)")
    parser.add_argument("--data-faces", type=Path, help="the folder of anime-face images "
                        "(default: none; S2 and S3 are skipped)")
    parser.add_argument("--out", type=Path, help="the page's folder (default "
                        "runs/reproduce-<budget>)")
    return parser


def chosen(text):
    try:
        return programs.chosen(text)
    except ValueError as error:
        raise UsageError(f"--only: {error}") from None


def data_for(program, args):
    """(the --data path, None), ([], None) for no data, or (None, the reason it is
    skipped)."""
    if program.data == "mnist":
        from gantools.mnist import default_npz_path
        path = args.data_mnist or default_npz_path()
        where = "at --data-mnist" if args.data_mnist else "in the Keras cache"
        return (Path(path), None) if Path(path).exists() else \
            (None, f"no MNIST {where}: pass --data-mnist PATH")
    if program.data == "faces":
        if args.data_faces and args.data_faces.is_dir():
            return args.data_faces, None
        return None, "no face images: pass --data-faces FOLDER"
    return [], None


def command_words(program, run, budget, data):
    """The command as a user types it inside the page's folder: the console script, a
    relative --out, the data as a placeholder (<MNIST>, <FACES>)."""
    words = [program.script.replace("_", "-"), "--out", f"{program.id}/{run.label}"]
    if data != []:
        words += ["--data", "<MNIST>" if program.data == "mnist" else "<FACES>"]
    if run.variant:
        words += ["--variant", run.variant]
    words += run.flags[budget]
    if run.sweep:
        words += ["--sweep", str(run.sweep[budget])]
    return words + ["--deterministic"]


def executable(words, data):
    """`command_words` made runnable here: the venv's console script (else
    scripts/<script>.py with this interpreter) and the data's real path."""
    console = Path(sys.executable).parent / words[0]
    head = [str(console)] if console.exists() else \
        [sys.executable, str(ROOT / "scripts" / (words[0].replace("-", "_") + ".py"))]
    return head + [str(Path(data).resolve()) if w in ("<MNIST>", "<FACES>") else w
                   for w in words[1:]]


def run_once(command, out, cwd, log):
    """Run `command` in `cwd` (its run folder `out`) unless it is done; --resume if it was
    interrupted (a sweep starts again)."""
    done = out / ("sweep.json" if "--sweep" in command else "metrics.json")
    if done.exists():
        return "done before", 0.0
    if (out / "config.json").exists():
        command = command + (["--overwrite"] if "--sweep" in command else ["--resume"])
    started = time.perf_counter()
    print(" ".join(command), flush=True)
    with open(log, "a") as f:
        code = subprocess.run(command, cwd=cwd, stdout=f,
                              stderr=subprocess.STDOUT).returncode
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


def read_json(path):
    return json.loads(path.read_text()) if path.exists() else None


def measured(row, folder):
    """(this run's value as text, the verdict) of one row."""
    single = read_json(folder / row.run / "metrics.json")
    sweep = read_json(folder / row.run / "sweep.json")
    if sweep is not None:
        per_seed = sweep["per_seed"]
        if row.rate is not None:
            k, n = sum(bool(r.get(row.key)) for r in per_seed), len(per_seed)
            low, high = rate_range(row.rate, n)
            return f"{k} of {n}", verdict(low <= k <= high, row.expected(n))
        seeds = [r for r in per_seed if not row.among or r.get(row.among)]
        numbers = [float(r[row.key]) for r in seeds if isinstance(r.get(row.key), (int, float))]
        if not numbers:
            return f"no seed ({row.among})", "not reached"
        middle = statistics.median(numbers)
        text = (f"{middle:.3g} ({min(numbers):.3g}-{max(numbers):.3g}, {len(numbers)} "
                f"seed{'s' if len(numbers) > 1 else ''})")
        return text, verdict(within(row, middle), row.expected())
    if single is None:
        return "-", "not run"
    number = value(single, row.key)
    if number is None:
        return "-", "not measured"
    return show(number), verdict(within(row, number), row.expected())


def within(row, number):
    return (row.low is None or number >= row.low) and (row.high is None or number <= row.high)


def verdict(ok, expected):
    return f"as expected ({expected})" if ok else f"**not reached** ({expected})"


def relative(target, folder):
    return Path(os.path.relpath(target, folder)).as_posix()


def section(name, program, out, status, budget):
    """The Markdown of one program."""
    folder = out / name
    lines = [f"## {name}: {program.title}", "", f"Document: {program.document}.", ""]
    page = ROOT / "docs" / program.page
    if page.exists():  # the program page's line of links to the documents and their code
        sources = [line for line in page.read_text().splitlines()
                   if line.startswith("Sources:")]
        lines += sources[:1] + [""]
        if out.is_relative_to(ROOT):
            lines += [f"The program's page: [{program.page}]({relative(page, out)}).", ""]
    if status.get("skipped"):
        return lines + [f"Skipped: {status['skipped']}.", ""]
    lines += ["| quantity | the document | the project's reference | this run | verdict |",
              "|---|---|---|---|---|"]
    for row in program.rows_of(budget):
        text, judged = measured(row, folder)
        lines.append(f"| {row.quantity} | {row.document} | {row.reference} | {text} | "
                     f"{judged} |")
    lines.append("")
    shown = []  # each single run's figures and its last grid (the faithful run first)
    for run in program.runs_of(budget):
        if not run.sweep:
            samples = folder / run.label / "samples"
            grids = sorted(samples.glob("*.png")) if samples.is_dir() else []
            shown += [folder / run.label / f for f in program.shown] + grids[-1:]
    single = folder / "run"
    lines += [f"The document's figures: {program.figures}. This run's:", ""]
    for figure in shown:
        if figure.exists():
            lines += [f"![{figure.relative_to(out).as_posix()}]"
                      f"({figure.relative_to(out).as_posix()})", ""]
    config = read_json(single / "config.json") or {}
    lines += ["Commands (in this page's folder):", "", "```"] + status["commands"] + ["```", ""]
    lines.append(f"Device: {', '.join(config.get('devices', ['?']))}; time: "
                 f"{status['seconds']:.0f} s ({status['outcome']}).")
    return lines + [""]


def main(argv=None):
    args = build_parser().parse_args(argv)
    names = chosen(args.only)
    out = (args.out or Path("runs") / f"reproduce-{args.budget}").expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    statuses = {}
    for name in names:
        program = PROGRAMS[name]
        data, skipped = data_for(program, args)
        if skipped:
            statuses[name] = {"skipped": skipped}
            print(f"{name}: skipped ({skipped})", flush=True)
            continue
        (out / name).mkdir(exist_ok=True)
        commands, outcomes, seconds = [], [], 0.0
        for run in program.runs_of(args.budget):
            words = command_words(program, run, args.budget, data)
            commands.append(" ".join(words))
            outcome, spent = run_once(executable(words, data), out / name / run.label, out,
                                      out / name / "log.txt")
            outcomes.append(outcome)
            seconds += spent
        timing = out / name / "seconds.txt"  # the time of every invocation that ran something
        seconds += float(timing.read_text()) if timing.exists() else 0.0
        timing.write_text(f"{seconds:.1f}\n")
        statuses[name] = {"commands": commands, "seconds": seconds,
                          "outcome": ", ".join(sorted(set(outcomes)))}
    write_results(out, names, statuses, args.budget)
    print(f"Wrote {out / 'RESULTS.md'}")
    failed = [n for n, s in statuses.items() if "failed" in s.get("outcome", "")]
    return 1 if failed else 0


def write_results(out, names, statuses, budget):
    from gantools.run.rundir import library_versions, source_commit
    versions = ", ".join(f"{k} {v}" for k, v in library_versions().items())
    lines = [f"# Results ({budget} budget)", "",
             "Each program's run beside what its document reports and the project's own "
             f"reference, with a verdict. Written by `reproduce-gans --budget {budget}` "
             f"(`scripts/reproduce.py`) at commit {source_commit()}; {versions}. Every run "
             "is `--deterministic`; `<MNIST>` and `<FACES>` stand for the data given.", ""]
    if budget == "quick":
        lines += ["**A smoke run**: every program runs end to end and writes its files, but "
                  "the MNIST and face programs are far too short to make digits or faces; "
                  "`--budget standard` shows the documents' results.", ""]
    lines += ["| program | runs | time (s) | verdicts as expected |", "|---|---|---|---|"]
    for name in names:
        status = statuses[name]
        rows = [measured(row, out / name)[1] for row in PROGRAMS[name].rows_of(budget)] \
            if not status.get("skipped") else []
        good = sum(r.startswith("as expected") for r in rows)
        lines.append(f"| {name} | "
                     f"{status.get('outcome') or 'skipped: ' + status['skipped']} | "
                     f"{status.get('seconds', 0):.0f} | "
                     f"{f'{good} of {len(rows)}' if rows else '-'} |")
    lines.append("")
    for name in names:
        lines += section(name, PROGRAMS[name], out, statuses[name], budget)
    tmp = out / "RESULTS.md.tmp"
    tmp.write_text("\n".join(lines))
    os.replace(tmp, out / "RESULTS.md")
