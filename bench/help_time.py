"""How long each script takes to answer `--help` and a bad flag (issue 25: under a second).

Runs `python scripts/<script>.py --help` and `... --no-such-flag` for the nine programs and
`reproduce.py`, `--repeats` times each, and prints (or writes with `--json`) the median and
the largest wall-clock time. The answer needs only the program's command line
(`<port>_cli.py`): TensorFlow is imported once the flags are parsed.
"""
import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from gantools.run.programs import PROGRAMS  # noqa: E402


def seconds(command):
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - started


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs of each command")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    results = {}
    for script in [p.script for p in PROGRAMS.values()] + ["reproduce"]:
        for case, flag in [("help", "--help"), ("bad flag", "--no-such-flag")]:
            command = [sys.executable, str(ROOT / "scripts" / f"{script}.py"), flag]
            times = [seconds(command) for _ in range(args.repeats)]
            results[f"{script} {case}"] = {"median_s": round(statistics.median(times), 3),
                                           "max_s": round(max(times), 3)}
            print(f"{script:20s} {case:9s} median {statistics.median(times):.2f} s, "
                  f"max {max(times):.2f} s", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
