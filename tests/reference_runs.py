"""Reference runs for a refactor that must not change any number (issue 23).

    python tests/reference_runs.py record DIR   # before the change
    python tests/reference_runs.py check DIR    # after it: every file byte-identical

Each of the nine programs runs at the contract matrix's tiny sizes with --deterministic
(tests/test_contract.py's PROGRAMS), as a user runs it: straight; in two parts (half, then
--resume to the end); its variants; a two-seed --sweep where it has one. What is compared
is losses.csv and metrics.json (sweep.json for a sweep) with the wall-clock columns and keys
left out, and pretrain_losses.csv where a program writes one. The numbers depend on the
machine's CPU and libraries, so the references are recorded and checked on one machine;
they are not committed.
"""
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_contract import PROGRAMS, command, contract_data, env, losses, metrics  # noqa: E402

VARIANTS = {"S1": ["stable"], "S4": ["stable"], "S9": ["stable"]}
SWEEPS = {"S1", "S4", "S9"}
EXTRA_FILES = ("pretrain_losses.csv",)


def run(args, cwd):
    result = subprocess.run(args, cwd=cwd, env=env(), capture_output=True, text=True,
                            timeout=1800)
    if result.returncode:
        raise SystemExit(f"failed ({result.returncode}): {' '.join(args)}\n"
                         f"{result.stderr[-3000:]}")


def what_it_wrote(out, sweep=False):
    if sweep:
        summary = json.loads((out / "sweep.json").read_text())
        for seed in summary["per_seed"]:
            for key in [k for k in seed if "seconds" in k]:
                del seed[key]
        return {"sweep.json": summary}
    found = {"losses.csv": losses(out), "metrics.json": metrics(out)}
    for name in EXTRA_FILES:
        if (out / name).is_file():
            found[name] = (out / name).read_text()
    return found


def cases():
    for program, (script, flags, needs, total_flag, tiny) in PROGRAMS.items():
        yield f"{program}-straight", program, [], None
        yield f"{program}-resumed", program, [], tiny // 2
        for variant in VARIANTS.get(program, []):
            yield f"{program}-{variant}", program, ["--variant", variant], None
        if program in SWEEPS:
            yield f"{program}-sweep", program, ["--sweep", "2"], None


def record_all(only=None):
    found = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        inputs = contract_data(tmp)
        for name, program, extra, first in cases():
            if only and program not in only:
                continue
            out = tmp / name
            if first is None:
                run(command(program, inputs, out, *extra), tmp)
            else:
                run(command(program, inputs, out, *extra, total=first), tmp)
                run(command(program, inputs, out, "--resume", *extra), tmp)
            found[name] = what_it_wrote(out, sweep="--sweep" in extra)
            print(name, "done", flush=True)
            shutil.rmtree(out)
    return found


def main(argv):
    mode, folder, *only = argv
    folder = Path(folder)
    found = record_all(set(only))
    if mode == "record":
        folder.mkdir(parents=True, exist_ok=True)
        for name, files in found.items():
            (folder / f"{name}.json").write_text(json.dumps(files, indent=1, sort_keys=True))
        return 0
    differ = [name for name, files in found.items()
              if json.loads((folder / f"{name}.json").read_text())
              != json.loads(json.dumps(files, sort_keys=True))]
    print("identical:", len(found) - len(differ), "differ:", differ or "none")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
