"""compare_original.py: run a port beside its original from the same start and compare.

    compare_original.py S4 --steps 20 --json s4.json

runs `sidebyside.run(PROGRAM, steps)`: the port and the reference rendition of
its original start from the same initial weights and consume the same batches and noise.
It prints the per-step losses of each, the largest weight difference and the time per step
of each, writes `compare.png` (both loss curves on one plot) into --out, and with --json one
JSON object (program, steps, max_abs_loss_delta, max_abs_weight_delta, port_step_ms,
original_step_ms, the tolerances, whether they hold, and the per-step losses).
Exit code: 0 when the two agree within the stated tolerances, 3 when they do not, 1 when the
optional frameworks (.[originals]) are missing, 2 for bad input.
"""
import json
import sys
from pathlib import Path

import numpy as np

from gantools.run.cli import ArgumentParser, UsageError, positive_int, seed_value
from gantools.run.programs import PROGRAMS as REGISTRY
import sidebyside as side_by_side
from sidebyside import POSTED, PROGRAMS, MissingExtra

MNIST_PROGRAMS = {id for id, p in REGISTRY.items() if p.data == "mnist"}
FACE_PROGRAMS = {id for id, p in REGISTRY.items() if p.data == "faces"}


def build_parser():
    parser = ArgumentParser(
        prog="compare_original.py",
        description="Run a port and the reference rendition of its original (originals/) "
                    "from the same initial weights, batches and noise, and compare their "
                    "per-step losses, final weights and time per step.",
        epilog="Programs: " + "; ".join(f"{k}: {v[1]}" for k, v in PROGRAMS.items()))
    parser.add_argument("program", type=str.upper, choices=sorted(PROGRAMS),
                        metavar="PROGRAM", help="S1 ... S9")
    parser.add_argument("--steps", type=positive_int, default=20,
                        help="training iterations (D and G updates) of each")
    parser.add_argument("--seed", type=seed_value, default=0,
                        help="seed of weights, data and noise")
    parser.add_argument("--data-mnist", type=Path, metavar="PATH",
                        help="mnist.npz or a folder of IDX files (S5-S8); default: a small "
                             "synthetic set of MNIST's shape")
    parser.add_argument("--data-faces", type=Path, metavar="DIR",
                        help="a folder of face images (S2, S3); default: a small synthetic "
                             "set of 96x96 images")
    parser.add_argument("--as-posted", action="store_true",
                        help="run the seed's own computation on both sides where the port's "
                             "default departs from it: " + "; ".join(
                                 f"{k}: {v}" for k, v in POSTED.items())
                             + " (elsewhere the default already is the seed's)")
    parser.add_argument("--out", type=Path, default=Path("runs") / "compare_original",
                        help="folder for compare.png")
    parser.add_argument("--json", type=Path, metavar="FILE",
                        help="write the comparison as one JSON object")
    return parser


def loss_table(result):
    """One line per step: the port's and the original's value of every loss."""
    names = result.loss_names
    header = "step  " + "  ".join(f"{side} {name:>10}" for name in names
                                  for side in ("port", "orig"))
    lines = [header]
    for step, (port, original) in enumerate(zip(result.port_losses, result.original_losses)):
        lines.append(f"{step:4d}  " + "  ".join(
            f"{p:15.7g}  {o:15.7g}" for p, o in zip(port, original)))
    return "\n".join(lines)


def plot(result, path):
    """Both sides' loss curves on one plot: the port as lines, the original as crosses."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    figure = Figure(figsize=(7, 4))
    FigureCanvasAgg(figure)
    ax = figure.subplots()
    steps = np.arange(result.steps)
    for index, name in enumerate(result.loss_names):
        color = f"C{index}"
        ax.plot(steps, np.asarray(result.port_losses)[:, index], color=color,
                label=f"{name} (port)")
        ax.plot(steps, np.asarray(result.original_losses)[:, index], color=color,
                linestyle="none", marker="x", markersize=4, label=f"{name} (original)")
    ax.set_title(f"{result.program}: port and original from the same start")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.legend(fontsize="small")
    figure.savefig(path)


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.data_mnist is not None and args.program not in MNIST_PROGRAMS:
        raise UsageError(f"--data-mnist is for S5-S8, not {args.program}")
    if args.data_faces is not None and args.program not in FACE_PROGRAMS:
        raise UsageError(f"--data-faces is for S2 and S3, not {args.program}")
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"cannot write to --out {args.out}: {error.strerror}") from None
    try:
        result = side_by_side.run(args.program, steps=args.steps, seed=args.seed,
                                  data_mnist=args.data_mnist, data_faces=args.data_faces,
                                  as_posted=args.as_posted)
    except MissingExtra as error:
        print(f"compare_original.py: error: {error}", file=sys.stderr)
        return 1
    print(loss_table(result))
    print(f"{result.program} after {result.steps} steps: largest loss difference "
          f"{result.max_abs_loss_delta:.3g} (tolerance {result.loss_tolerance:.3g}), largest "
          f"weight difference {result.max_abs_weight_delta:.3g} (tolerance "
          f"{result.weight_tolerance:.3g}): {'agree' if result.agrees else 'DIFFER'}")
    print(f"time per step: port {result.port_step_ms:.2f} ms, original "
          f"{result.original_step_ms:.2f} ms")
    if args.as_posted:
        print("as posted: " + POSTED.get(args.program, "the default is the seed's computation"))
    for note in result.notes:
        print(f"note: {note}")
    plot(result, args.out / "compare.png")
    written = [str(args.out / "compare.png")]
    if args.json is not None:
        try:
            args.json.write_text(json.dumps(result.summary(), indent=2) + "\n")
        except OSError as error:
            raise UsageError(f"cannot write --json {args.json}: {error.strerror}") from None
        written.append(str(args.json))
    print("Wrote " + ", ".join(written))
    return 0 if result.agrees else 3
