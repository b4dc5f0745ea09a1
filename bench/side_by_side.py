"""Time per step of every port beside its original (sidebyside), repeated; the ratio's spread.

For each program: `compare_original.py PROGRAM --steps K` without the files, `--repeats R`
times back to back, i.e. the port and the reference rendition of its original from the
same initial weights, batches and noise. Each run gives the median time per step of each
side (the first steps, which trace and warm up, count only through the median) and the
ratio port / original. Per program the table gives the median over the R runs of each
side's time and of the ratio, the ratio's spread (its smallest and largest value over the
runs, and for R >= 4 its interquartile range: the 25th to 75th percentile, linear
interpolation), whether every run agreed, and the load average before the first run and
after the last. The JSON holds every run's numbers too.

Which side is timed first: the harnesses time all of one side's steps, then the other's,
and take `original_first`; the bench alternates it from run to run (port first in the
first run), so a load that drifts during a run does not always weigh on the same side.
S2 alternates port and original step by step within a run, as it must: before each step
the original is given the port's weights and state (`ORDER`).

    python bench/side_by_side.py [--steps 20] [--repeats 5] [--only S1,S4]
                                 [--json bench/results_side_by_side.json]

The side-by-side sizes are the ones each `sidebyside/sN.py` runs by default
(small batches or widths where the original's would take minutes per step on a CPU).
"""
import argparse
import gc
import inspect
import json
import os
import platform
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from gantools.run.launch import quiet_tensorflow  # noqa: E402

# Which side each harness times first (sidebyside/sN.py; the bench cannot change it).
ORDER = {  # the harness that does not take SWITCH: its own order
    "S2": "port, then original, step by step (the original is given the port's state)",
}
SWITCH = "original_first"  # the keyword of a harness's run that would choose the order


# ##### Statistics and order (pure: no TensorFlow)

def ratio_spread(numerators, denominators):
    """The ratios n_i / d_i of paired timings (run i of each side) and their spread: a dict
    with `ratios` (in order), `median`, `min`, `max`, and `q1`, `q3`, `iqr` (25th and 75th
    percentile, linear interpolation, and q3 - q1) for 4 or more pairs, else None; also
    `numerator_median` and `denominator_median`, each side's own median."""
    numerators, denominators = list(numerators), list(denominators)
    if not numerators or len(numerators) != len(denominators):
        raise ValueError(f"need paired timings: {len(numerators)} and {len(denominators)}")
    if min(denominators) <= 0:
        raise ValueError(f"a time per step is not positive: {denominators}")
    ratios = [n / d for n, d in zip(numerators, denominators)]
    q1 = q3 = iqr = None
    if len(ratios) >= 4:
        q1, _, q3 = statistics.quantiles(ratios, n=4, method="inclusive")
        iqr = q3 - q1
    return dict(ratios=ratios, median=statistics.median(ratios), min=min(ratios),
                max=max(ratios), q1=q1, q3=q3, iqr=iqr,
                numerator_median=statistics.median(numerators),
                denominator_median=statistics.median(denominators))


def spread_text(spread, digits=2):
    """"median (min-max)", e.g. "0.95 (0.91-1.02)"."""
    return "{:.{d}f} ({:.{d}f}-{:.{d}f})".format(spread["median"], spread["min"],
                                                 spread["max"], d=digits)


def iqr_text(spread, digits=2):
    """"q1-q3", or "-" with fewer than 4 pairs."""
    if spread["iqr"] is None:
        return "-"
    return "{:.{d}f}-{:.{d}f}".format(spread["q1"], spread["q3"], d=digits)


def first_sides(repeats, alternate):
    """Which side each of `repeats` runs times first: "port", "original", "port", ... when
    the harness lets the bench choose (`alternate`), else None for each (its own order)."""
    if not alternate:
        return [None] * repeats
    return ["port" if i % 2 == 0 else "original" for i in range(repeats)]


def alternate_blocks(a, b, repeats, block):
    """Timed blocks A B A B ...: `repeats` times a block of `block` steps of `a`, then one of
    `b`; `a(k)` and `b(k)` run k steps and return their seconds. Returns the pairs
    (A's block, B's block) of per-step seconds, in order."""
    pairs = []
    for _ in range(repeats):
        first = list(a(block))
        pairs.append((first, list(b(block))))
    return pairs


# ##### The runs

def harness_takes_order(program):
    """Whether sidebyside's harness of `program` takes the keyword SWITCH."""
    import importlib
    from sidebyside import PROGRAMS
    module = importlib.import_module(f"sidebyside.{PROGRAMS[program][0]}")
    return SWITCH in inspect.signature(module.run).parameters


def measure(program, steps, repeats):
    """`repeats` side-by-side runs of `program`, back to back: the summary of each (without
    the per-step losses) and the ratio's spread."""
    import sidebyside
    alternate = harness_takes_order(program)
    order = ("alternated from run to run, port first" if alternate
             else "fixed: " + ORDER.get(program, "by the harness"))
    runs = []
    for i, first in enumerate(first_sides(repeats, alternate)):
        gc.collect()  # the previous run's garbage now, not in a timed step
        load_before = os.getloadavg()[0]
        options = {SWITCH: first == "original"} if first else {}
        result = sidebyside.run(program, steps=steps, **options)
        run = dict(result.summary(), repeat=i + 1, first=first,  # None: the harness's order
                   ratio=result.port_step_ms / result.original_step_ms,
                   load_before=load_before, load_after=os.getloadavg()[0])
        for key in ("port_losses", "original_losses", "weight_deltas"):
            run.pop(key)
        runs.append(run)
        print(f"{program} run {i + 1}/{repeats}: port {result.port_step_ms:.2f} ms/step, "
              f"original {result.original_step_ms:.2f} ms/step, port/original "
              f"{run['ratio']:.2f}, agree {result.agrees}", flush=True)
    spread = ratio_spread([r["port_step_ms"] for r in runs],
                          [r["original_step_ms"] for r in runs])
    return dict(
        program=program, framework=sidebyside.PROGRAMS[program][1], steps=steps,
        repeats=repeats, order=order, alternated=alternate,
        port_step_ms=spread.pop("numerator_median"),
        original_step_ms=spread.pop("denominator_median"),
        ratio=spread, agrees=all(r["agrees"] for r in runs),
        agreed=sum(bool(r["agrees"]) for r in runs),
        max_abs_loss_delta=max(r["max_abs_loss_delta"] for r in runs),
        max_abs_weight_delta=max(r["max_abs_weight_delta"] for r in runs),
        load_before=runs[0]["load_before"], load_after=runs[-1]["load_after"], runs=runs)


def markdown(rows, repeats):
    lines = [f"| program | original's framework | timing order | port ms/step | original ms/step "
             f"| port / original (median, min-max over {repeats} runs) | IQR "
             f"| agree (runs; largest loss, weight difference) | load before, after |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row['program']} | {row['framework']} | {row['order']} | "
            f"{row['port_step_ms']:.3g} | {row['original_step_ms']:.3g} | "
            f"{spread_text(row['ratio'])} | {iqr_text(row['ratio'])} | "
            f"{'yes' if row['agrees'] else 'NO'} ({row['agreed']}/{row['repeats']}; "
            f"{row['max_abs_loss_delta']:.1e}, {row['max_abs_weight_delta']:.1e}) | "
            f"{row['load_before']:.2f}, {row['load_after']:.2f} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5,
                        help="side-by-side runs per program, back to back")
    parser.add_argument("--only", default="", help="comma-separated programs, e.g. S1,S4")
    parser.add_argument("--json", default=None, help="write the results here")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    quiet_tensorflow()
    import sidebyside
    programs = args.only.upper().split(",") if args.only else list(sidebyside.PROGRAMS)
    rows = [measure(program, args.steps, args.repeats) for program in programs]
    print()
    fixed = [row["program"] for row in rows if not row["alternated"]]
    if fixed:
        print(f"Not alternated: the harnesses of {', '.join(fixed)} fix which side is timed "
              f"first (column 'timing order'); the {args.repeats} runs repeat that order.")
        print()
    print(markdown(rows, args.repeats))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": platform.processor() or platform.machine(),
                       "cpus": os.cpu_count(), "steps": args.steps, "repeats": args.repeats,
                       "results": rows}, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
