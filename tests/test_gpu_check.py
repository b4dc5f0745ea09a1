"""bench/gpu_check.py, the check to run on the first GPU: its comparisons fail on changed
numbers (unit tests on written losses.csv files), and the command runs a program end to end
on this machine's CPU (one program, with -m slow; all nine take about 30 minutes here, too
long for the suite: the README gives that run's result)."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import program_parser
from gantools.run.programs import PROGRAMS

ROOT = Path(__file__).resolve().parents[1]
CHECK = ROOT / "bench" / "gpu_check.py"


@pytest.fixture(scope="module")
def check():
    spec = importlib.util.spec_from_file_location("gpu_check", CHECK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_losses(path, rows, header=("step", "loss_d", "loss_g", "loss_d_real", "seconds")):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([",".join(header)] + [",".join(map(str, r)) for r in rows])
                    + "\n")
    return path


ROWS = [(0, 1.3862944, 0.6931472, -0.0123, 0.51), (1, 1.2, 0.75, -0.011, 0.02)]


def test_determinism_check_ignores_only_the_timing_columns(check, tmp_path):
    first = write_losses(tmp_path / "a" / "losses.csv", ROWS)
    timing = write_losses(tmp_path / "b" / "losses.csv",
                          [row[:-1] + (9.9,) for row in ROWS])
    assert check.identical(first, timing)[0]
    changed = write_losses(tmp_path / "c" / "losses.csv",
                           [ROWS[0], (1, 1.2, 0.75000001, -0.011, 0.02)])  # one last digit
    ok, details = check.identical(first, changed)
    assert not ok and details["first_different_line"] == 3  # the header is line 1
    shorter = write_losses(tmp_path / "d" / "losses.csv", ROWS[:1])
    assert not check.identical(first, shorter)[0]


def test_cpu_agreement_holds_within_the_tolerance_and_fails_on_a_changed_loss(check, tmp_path):
    cpu = write_losses(tmp_path / "cpu" / "losses.csv", ROWS)
    rtol = check.RTOL
    # rounding-sized differences (a tenth of the tolerance) and a different later row pass
    near = [(0, 1.3862944 * (1 + rtol / 10), 0.6931472 * (1 - rtol / 10), -0.0123, 0.4),
            (1, 9.0, 9.0, 9.0, 0.1)]
    ok, details = check.agree(write_losses(tmp_path / "near" / "losses.csv", near), cpu)
    assert ok and details["largest"] < rtol, details
    # the mutation: one first-row loss changed by twice the tolerance
    far = [(0, 1.3862944, 0.6931472 + 2 * rtol * 1.3862944, -0.0123, 0.51)] + ROWS[1:]
    ok, details = check.agree(write_losses(tmp_path / "far" / "losses.csv", far), cpu)
    assert not ok and details["largest"] == pytest.approx(2 * rtol), details
    # a small loss is compared against the row's scale: 2e-3 off -0.0123 is within it
    scaled = [(0, 1.3862944, 0.6931472, -0.0123 + 2e-3, 0.51)]
    assert check.agree(write_losses(tmp_path / "scaled" / "losses.csv", scaled), cpu)[0]
    nan = [(0, "nan", 0.6931472, -0.0123, 0.51)]
    assert not check.agree(write_losses(tmp_path / "nan" / "losses.csv", nan), cpu)[0]
    empty = write_losses(tmp_path / "empty" / "losses.csv", [])
    assert check.agree(empty, cpu) == (False, {
        "device": {}, "cpu": check.first_losses(cpu),
        "reason": "no first row, or not the same loss columns"})


def test_a_program_fails_with_the_reason_when_a_check_fails(check, tmp_path):
    def runs(**changed):
        found = {}
        for name in ("default", "deterministic", "repeat", "cpu"):
            rows = changed.get(name, ROWS)
            write_losses(tmp_path / name / "losses.csv", rows)
            found[name] = {"exit_code": 0, "out": str(tmp_path / name)}
        return found
    checks, reasons = check.check_program(runs(), gpu=True)
    assert reasons == [] and checks["cpu_agreement"]["ok"] and checks["determinism"]["ok"]
    mutated = [(0, 1.3862944, 0.6, -0.0123, 0.51)] + ROWS[1:]  # G's first loss changed
    checks, reasons = check.check_program(runs(cpu=mutated), gpu=True)
    assert not checks["cpu_agreement"]["ok"] and len(reasons) == 1, reasons
    assert reasons[0].startswith("first logged losses against the CPU's: they differ by")
    checks, reasons = check.check_program(runs(repeat=mutated), gpu=True)
    assert not checks["determinism"]["ok"] and "--deterministic runs" in reasons[0]
    diverged = ROWS[:1] + [(1, "inf", 0.75, -0.011, 0.02)]
    checks, reasons = check.check_program(runs(default=diverged), gpu=False)
    assert not checks["finite_default"]["ok"] and checks["cpu_agreement"]["ok"] is None
    assert len(reasons) == 1 and "default run: losses not finite" in reasons[0]
    found = runs()
    found["mixed"] = {"exit_code": 1, "out": str(tmp_path / "mixed"), "error": "boom"}
    assert check.check_program(found, gpu=False)[1] == [
        "mixed run failed (exit 1): boom"]


def test_mixed_precision_runs_where_a_program_offers_it(check):
    offered = [p for p in PROGRAMS
               if "--mixed-precision" in program_parser(p)._option_string_actions]
    assert list(check.MIXED_PRECISION) == offered
    for program, (flags, total_flag, _) in check.FEW.items():  # flags its parser takes
        program_parser(program).parse_args(flags + [total_flag, "1"])


def gpu_check(*args, cwd, timeout=600):
    return subprocess.run([sys.executable, str(CHECK), *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("flags, message", [
    (["--only", "S1,S10"], "argument --only: unknown program S10"),
    (["--units", "0"], "argument --units: '0' must be a positive integer"),
    (["--data-faces", "no-such-folder"], "--data-faces no-such-folder: no such folder"),
    (["--json", "no-such-folder/out.json"], "--json no-such-folder/out.json: its folder"),
])
def test_bad_flags_are_one_line_and_exit_2(tmp_path, flags, message):
    result = gpu_check(*flags, cwd=tmp_path, timeout=60)
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"gpu_check.py: error: {message}") and result.stdout == ""


def assert_report(report, programs):
    assert report["pass"] is True and list(report["programs"]) == programs
    assert report["devices"][0] == "CPU" and report["gpu_visible"] is False
    assert report["cpu_reference"].startswith("none: no GPU is visible")
    assert report["tolerance"]["rtol"] == 1e-2
    for program in programs:
        result = report["programs"][program]
        assert result["pass"] is True and result["reasons"] == [], result["reasons"]
        runs = result["runs"]
        expected = {"default", "deterministic", "repeat"} | (
            {"mixed"} if program in ("S2", "S3") else set())
        assert set(runs) == expected == set(result["seconds_per_unit"])
        for name, found in runs.items():
            assert found["exit_code"] == 0 and found["devices_line"] == "Devices: CPU"
            assert found["config_devices"] == ["CPU"]
            assert found["train_seconds"] > 0 and found["seconds_per_unit"] > 0
            assert ("--deterministic" in found["command"]) == (
                name in ("deterministic", "repeat"))
        checks = result["checks"]
        assert checks["determinism"]["ok"] is True and checks["determinism"]["rows"] > 0
        assert checks["cpu_agreement"]["ok"] is None and "skipped" in checks["cpu_agreement"]
        assert all(checks[f"finite_{name}"]["ok"] for name in runs)


@pytest.mark.slow  # 30 s (four TensorFlow processes); the default suite stays within 5 min
def test_one_program_end_to_end_writes_its_json(tmp_path):
    result = gpu_check("--only", "S4", "--units", "3", "--json", tmp_path / "out.json",
                       cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "S4: pass" in result.stdout and result.stderr == ""
    assert_report(json.loads((tmp_path / "out.json").read_text()), ["S4"])
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # the runs were temporary
