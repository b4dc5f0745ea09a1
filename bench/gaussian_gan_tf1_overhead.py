"""How much the book's figures cost: the default S1 job against a bare training loop.

Both are timed as whole processes (interpreter start, TensorFlow import, graph, pretraining,
1200 steps; the default job also writes its files and checkpoints), alternating, `--repeats`
times each; the table gives the medians and their ratio. The issue's target is a ratio of at
most 1.5.

    python bench/gaussian_gan_tf1_overhead.py [--repeats 5] [--json FILE]
"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BARE_LOOP = """
from gantools.run.launch import quiet_tensorflow
quiet_tensorflow()
from gantools.run import runner
from tf1_compat import gaussian_gan as s1
from tf1_compat import gaussian_gan_cli as s1_cli
args = runner.build_parser(s1_cli.GaussianGAN()).parse_args([])
s1.make_gan(args, args.seed).train(runner.detached())  # the book's loop: no files, figures
"""


def timed(command):
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        commands = {
            "default job": [sys.executable, str(ROOT / "scripts/gaussian_gan_tf1.py"),
                            "--out", str(Path(tmp) / "run"), "--overwrite"],
            "bare loop": [sys.executable, "-c", BARE_LOOP],
        }
        times = {name: [] for name in commands}
        for _ in range(args.repeats):
            for name, command in commands.items():
                times[name].append(timed(command))
    medians = {name: statistics.median(t) for name, t in times.items()}
    ratio = medians["default job"] / medians["bare loop"]
    print("| process | median wall time (s) | runs |\n|---|---|---|")
    for name, t in times.items():
        print(f"| {name} | {medians[name]:.2f} | {', '.join(f'{x:.2f}' for x in t)} |")
    print(f"\nratio default/bare: {ratio:.2f} (target <= 1.5)")
    if args.json:
        args.json.write_text(json.dumps({"seconds": times, "median": medians,
                                         "ratio": ratio}, indent=2) + "\n")
    return 0 if ratio <= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
