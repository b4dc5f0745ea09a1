"""Time per step of every port beside its original (sidebyside), in one run.

For each program: `compare_original.py PROGRAM --steps K` without the files, i.e. the port
and the reference rendition of its original from the same initial weights, batches and
noise; the median time per step of each (the first steps, which trace and warm up, count
only through the median), whether they agree, and the load average before and after.
Writes the results as JSON and prints a Markdown table for the README.

    python bench/side_by_side.py [--steps 20] [--only S1,S4] [--json bench/results_side_by_side.json]

The side-by-side sizes are the ones each `sidebyside/sN.py` runs by default
(small batches or widths where the original's would take minutes per step on a CPU).
"""
import argparse
import json
import os
import platform
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from gantools.launch import quiet_tensorflow  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--only", default="", help="comma-separated programs, e.g. S1,S4")
    parser.add_argument("--json", default=None, help="write the results here")
    args = parser.parse_args()
    quiet_tensorflow()
    import sidebyside as side_by_side
    programs = args.only.upper().split(",") if args.only else list(side_by_side.PROGRAMS)
    rows = []
    for program in programs:
        load_before = os.getloadavg()[0]
        result = side_by_side.run(program, steps=args.steps)
        rows.append(dict(result.summary(), load_before=load_before,
                         load_after=os.getloadavg()[0]))
        for key in ("port_losses", "original_losses", "weight_deltas"):
            rows[-1].pop(key)
        print(f"{program}: port {result.port_step_ms:.2f} ms/step, original "
              f"{result.original_step_ms:.2f} ms/step, agree {result.agrees}", flush=True)
    print()
    print("| program | original's framework | port ms/step | original ms/step | port/original "
          "| agree (loss, weight delta) |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['program']} | {side_by_side.PROGRAMS[row['program']][1]} | "
              f"{row['port_step_ms']:.2f} | {row['original_step_ms']:.2f} | "
              f"{row['port_step_ms'] / row['original_step_ms']:.2f} | "
              f"{'yes' if row['agrees'] else 'NO'} ({row['max_abs_loss_delta']:.1e}, "
              f"{row['max_abs_weight_delta']:.1e}) |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": platform.processor() or platform.machine(),
                       "cpus": os.cpu_count(), "steps": args.steps, "results": rows}, f,
                      indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
