"""gantools.run.runner with a small NumPy program (a random walk): the resume policy, the
checkpoints, the error contract. The nine real programs meet the same contract in
tests/test_contract.py."""
import json

import numpy as np
import pytest

from gantools.run import cli, rundir, runner
from gantools.run.cli import DiskFull, Failure, UsageError


class Walk(runner.Program):
    """A random walk with a learning rate: `--steps`, `--lr`, `--checkpoint-every`."""
    script = "walk"
    loss_columns = ("step", "position", "loss")

    def add_arguments(self, parser):
        parser.add_argument("--steps", type=cli.positive_int, default=10)
        parser.add_argument("--lr", type=cli.positive_float, default=0.5)
        parser.add_argument("--checkpoint-every", type=cli.positive_int, default=3)


def walk_loop(run, fail_at=None, failure=None):
    """The walk's own loop, with the run's services."""
    rng = np.random.default_rng(run.seed)
    position = np.zeros(2)

    def restore(folder, state):
        position[:] = np.load(folder / "position.npy")
        rng.bit_generator.state = state["rng"]

    run.start(run.args.steps, save=lambda folder: np.save(folder / "position.npy", position),
              restore=restore, state=lambda: {"rng": rng.bit_generator.state})
    for step in run.range(run.args.steps):
        position += run.args.lr * rng.standard_normal(2)
        if step == fail_at:
            raise failure
        run.log(step=step, position=float(position[0]), loss=float(np.sum(position ** 2)))
    return {"distance": float(np.sqrt(np.sum(position ** 2))), "nan": float("nan")}


def walk(out, *flags, fail_at=None, failure=None):
    return runner.main(Walk(), ["--out", str(out), *map(str, flags)],
                       lambda run: walk_loop(run, fail_at, failure))


def text(out, name):
    return (out / name).read_text()


def test_a_run_writes_its_files_and_valid_json(tmp_path):
    assert walk(tmp_path / "run") == 0
    out = tmp_path / "run"
    config = json.loads(text(out, "config.json"))
    assert config["program"] == "walk" and config["flags"]["steps"] == 10
    assert config["flags"]["lr"] == 0.5 and "out" not in config["flags"]
    metrics = json.loads(text(out, "metrics.json"))
    assert metrics["nan"] is None and metrics["distance"] > 0  # NaN is written as null
    assert len(text(out, "losses.csv").splitlines()) == 11
    assert [p.name for p in sorted((out / "checkpoints").iterdir())] == [
        "step_00000006", "step_00000009", "step_00000010"]


@pytest.mark.parametrize("fail_at", [0, 4, 6, 9])
def test_a_crash_at_any_step_resumes_to_the_same_numbers(tmp_path, fail_at):
    assert walk(tmp_path / "straight") == 0
    with pytest.raises(RuntimeError):
        walk(tmp_path / "crashed", fail_at=fail_at, failure=RuntimeError("killed"))
    assert walk(tmp_path / "crashed", "--resume") == 0
    for name in ("losses.csv", "metrics.json"):
        a, b = text(tmp_path / "straight", name), text(tmp_path / "crashed", name)
        if name == "metrics.json":
            a, b = ({k: v for k, v in json.loads(x).items() if k != "train_seconds"}
                    for x in (a, b))
        assert a == b, name


def test_a_full_disk_is_a_failure_with_the_next_command(tmp_path):
    with pytest.raises(DiskFull, match="free some space and continue with --resume"):
        walk(tmp_path / "full", fail_at=5, failure=OSError(28, "No space left on device"))
    assert walk(tmp_path / "full", "--resume") == 0
    assert issubclass(DiskFull, Failure) and not issubclass(DiskFull, UsageError)


def test_the_resume_policy(tmp_path, capsys):
    out = tmp_path / "run"
    assert walk(out, "--steps", "4") == 0
    before = text(out, "config.json")
    with pytest.raises(UsageError, match="--lr 0.25 differs from the run's 0.5"):
        walk(out, "--resume", "--steps", "8", "--lr", "0.25")
    with pytest.raises(UsageError, match="has already trained 4 steps"):
        walk(out, "--resume")
    assert text(out, "config.json") == before  # a refused resume writes nothing
    assert walk(out, "--resume", "--steps", "8", "--lr", "0.5", "--checkpoint-every",
                "2") == 0  # the same value again is fine; the total and interval are free
    config = json.loads(text(out, "config.json"))
    assert config["flags"]["steps"] == 8 and config["flags"]["checkpoint_every"] == 2
    assert len(config["resumed"]) == 1


def test_resume_refuses_another_programs_run_and_damaged_configs(tmp_path):
    out = tmp_path / "run"
    assert walk(out, "--steps", "2") == 0
    config = json.loads(text(out, "config.json"))
    (out / "config.json").write_text(json.dumps(dict(config, program="other")))
    with pytest.raises(UsageError, match="holds a run of other, not of walk.py"):
        walk(out, "--resume", "--steps", "4")
    for damaged in ('{"program": "walk", "fla', "", "[1, 2]"):  # cut, empty, not an object
        (out / "config.json").write_text(damaged)
        with pytest.raises(UsageError, match="config.json is damaged"):
            walk(out, "--resume", "--steps", "4")


def test_a_damaged_newest_checkpoint_is_skipped_and_an_empty_folder_restarts(tmp_path,
                                                                           capsys):
    assert walk(tmp_path / "straight") == 0
    out = tmp_path / "run"
    assert walk(out, "--steps", "7") == 0
    (out / "checkpoints" / "step_00000007" / "position.npy").write_bytes(b"\x93NUMPY")
    assert walk(out, "--resume", "--steps", "10") == 0
    assert "Skipping the damaged checkpoint" in capsys.readouterr().out
    assert text(out, "losses.csv") == text(tmp_path / "straight", "losses.csv")
    for folder in (out / "checkpoints").iterdir():  # killed before its first checkpoint
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
    (out / "metrics.json").unlink()
    assert walk(out, "--resume") == 0
    assert "starting the run from the beginning" in capsys.readouterr().out
    assert text(out, "losses.csv") == text(tmp_path / "straight", "losses.csv")


def test_checks_come_before_anything_is_written(tmp_path):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "mine.txt").write_text("mine")
    with pytest.raises(UsageError, match="already holds files"):
        walk(taken)
    with pytest.raises(UsageError, match="no run to resume"):
        walk(tmp_path / "none", "--resume")
    assert not (tmp_path / "none").exists()
    assert sorted(p.name for p in taken.iterdir()) == ["mine.txt"]


def test_tensorboard_missing_is_one_failure_naming_the_extra(tmp_path, monkeypatch):
    import importlib.util
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "tensorboard" else find_spec(name, *a))
    with pytest.raises(Failure, match=r'pip install -e "\.\[tensorboard\]"'):
        walk(tmp_path / "run", "--tensorboard")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400"])
def test_number_flags_are_finite(value, capsys):
    with pytest.raises(SystemExit):
        runner.build_parser(Walk()).parse_args([f"--lr={value}"])
    assert "must be a finite number" in capsys.readouterr().err


def test_disk_full_is_recognised_through_wrappers():
    assert runner.disk_full(OSError(28, "No space left on device"))
    assert runner.disk_full(OSError(27, "File too large"))
    assert runner.disk_full(RuntimeError("write failed: No space left on device"))
    assert not runner.disk_full(OSError(2, "No such file or directory"))


@pytest.mark.parametrize("damage", ["empty checkpoint.json", "deleted folder"])
def test_an_emptied_index_or_a_deleted_newest_checkpoint_falls_back(tmp_path, damage):
    """Issue 13: an emptied checkpoint index was a traceback, and after deleting a damaged
    newest checkpoint --resume found none although older ones were intact."""
    assert walk(tmp_path / "straight") == 0
    out = tmp_path / "run"
    assert walk(out, "--steps", "7") == 0
    newest = out / "checkpoints" / "step_00000007"
    if damage == "deleted folder":
        for path in newest.iterdir():
            path.unlink()
        newest.rmdir()
    else:
        (newest / "checkpoint.json").write_text("")
    assert walk(out, "--resume", "--steps", "10") == 0
    assert text(out, "losses.csv") == text(tmp_path / "straight", "losses.csv")


@pytest.mark.parametrize("damage", ["deleted", "cut mid-line", "cut to a row", "edited"])
def test_resume_repairs_a_damaged_losses_csv_from_the_checkpoint(tmp_path, damage, capsys):
    """The checkpoint holds a copy of losses.csv's rows; --resume puts them back when the
    file is gone or its rows are not the ones the checkpoint saw, and continues it."""
    assert walk(tmp_path / "straight") == 0
    out = tmp_path / "crashed"
    with pytest.raises(RuntimeError):
        walk(out, fail_at=8, failure=RuntimeError("killed"))  # checkpoint after step 6
    path = out / "losses.csv"
    lines = path.read_text().splitlines(keepends=True)
    if damage == "deleted":
        path.unlink()
    elif damage == "cut mid-line":
        path.write_text("".join(lines[:4]) + lines[4][:7])
    elif damage == "cut to a row":
        path.write_text("".join(lines[:3]))
    else:
        path.write_text("".join(lines[:2]) + lines[2].replace(",", ",9", 1) + "".join(lines[3:]))
    capsys.readouterr()
    assert walk(out, "--resume") == 0
    assert "rows are restored from the checkpoint step_00000006" in capsys.readouterr().out
    assert text(out, "losses.csv") == text(tmp_path / "straight", "losses.csv")


def test_resume_without_a_copy_refuses_a_short_losses_csv_and_writes_nothing(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(RuntimeError):
        walk(out, fail_at=8, failure=RuntimeError("killed"))
    for folder in (out / "checkpoints").iterdir():  # as an older version's checkpoints
        state = json.loads((folder / "checkpoint.json").read_text())
        (folder / "losses.csv").unlink(missing_ok=True)
        state["files"].pop("losses.csv", None)
        (folder / "checkpoint.json").write_text(json.dumps(state))
    (out / "losses.csv").write_text("step,position,loss\n0,1.0,1.0\n1,2.0")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(UsageError, match="holds 1 complete rows, the checkpoint step_0000000"):
        walk(out, "--resume")
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_diverged_losses_are_one_warning_and_the_run_writes_its_files(tmp_path, capsys):
    out = tmp_path / "run"
    with np.errstate(over="ignore", invalid="ignore"):  # the walk's own overflow
        assert walk(out, "--lr", "1e308") == 0  # the position overflows: loss inf at step 0
    printed = capsys.readouterr().out
    assert printed.count("warning: loss is inf at step 0: training has diverged") == 1
    assert json.loads(text(out, "metrics.json"))["distance"] is None  # inf as null


def test_resume_of_a_run_it_cannot_write_is_refused_before_writing(tmp_path, monkeypatch):
    """Another user's run (files not writable; as root every file is, so os.access is
    stood in for): one line, and config.json is not rewritten."""
    import os
    out = tmp_path / "run"
    with pytest.raises(RuntimeError):
        walk(out, fail_at=8, failure=RuntimeError("killed"))
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    monkeypatch.setattr(os, "access", lambda path, mode: not str(path).endswith("losses.csv"))
    with pytest.raises(UsageError, match="cannot write to .*losses.csv .permission denied"):
        walk(out, "--resume")
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_overwrite_deletes_exactly_what_the_earlier_run_wrote(tmp_path):
    """The run folder's manifest lists the files the run wrote; --overwrite deletes those
    (the marker last), not files of the same kinds that you put there."""
    out = tmp_path / "run"
    assert walk(out) == 0
    listed = rundir.read_manifest(out)
    assert "config.json" in listed and "losses.csv" in listed and "metrics.json" in listed
    assert any(name.startswith("checkpoints/step_00000010/") for name in listed)
    yours = ["g_best_epoch120.weights.h5", "todo.tmp", "checkpoints/mine.txt", "NOTES.md"]
    for name in yours:  # the kinds of files RUN_FILES names, written by you, not the run
        (out / name).write_text("yours")
    assert walk(out, "--overwrite") == 0
    for name in yours:
        assert (out / name).read_text() == "yours", name
    assert "g_best_epoch120.weights.h5" not in rundir.read_manifest(out)


def test_overwrite_of_a_run_without_a_manifest_falls_back_to_its_file_kinds(tmp_path):
    out = tmp_path / "run"
    assert walk(out) == 0
    (out / rundir.MANIFEST).unlink()  # a run of an older version
    (out / "NOTES.md").write_text("yours")
    assert rundir.remove_run_files(out) == ["NOTES.md"]


@pytest.mark.parametrize("flags", [[], ["--resume"]])
def test_out_at_a_file_is_refused_and_the_file_stays(tmp_path, flags):
    target = tmp_path / "notes.txt"
    target.write_text("mine\n")
    with pytest.raises(UsageError, match=f"--out {target} is a file, not a folder"):
        walk(target, *flags)
    assert target.read_text() == "mine\n" and sorted(tmp_path.iterdir()) == [target]


@pytest.mark.parametrize("flags, refusal", [
    (["--overwrite"], "is not a run folder of this project"),
    ([], "already holds files"),
    (["--resume"], "holds no run to resume")])
def test_an_unusable_out_is_refused_before_the_port_is_imported(tmp_path, flags, refusal):
    """A port named "module:function" (TensorFlow and all) is imported only once --out is
    known to be usable: a refusal answers at once. The port here does not exist, so an
    import would fail with ModuleNotFoundError instead of the refusal."""
    (tmp_path / "mine.txt").write_text("mine\n")
    with pytest.raises(UsageError, match=refusal):
        runner.main(Walk(), ["--out", str(tmp_path), *flags], "no_such_port:loop")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]


def test_a_finished_run_is_refused_before_the_port_is_imported(tmp_path):
    """--resume of a finished run with no larger total answers before the port (TensorFlow
    and all) is imported; with a damaged newest checkpoint, or metrics.json gone (killed
    before its end), the port decides: here it cannot be imported."""
    out = tmp_path / "run"
    assert walk(out, "--steps", "4") == 0
    for flags in ([], ["--steps", "3"], ["--steps", "4"]):
        with pytest.raises(UsageError, match="has already trained 4 steps; pass a larger "
                                             "--steps"):
            runner.main(Walk(), ["--out", str(out), "--resume", *flags], "no_such_port:loop")
    with pytest.raises(ModuleNotFoundError):  # more steps: the port is imported
        runner.main(Walk(), ["--out", str(out), "--resume", "--steps", "5"],
                    "no_such_port:loop")
    newest = sorted((out / "checkpoints").iterdir())[-1]
    (newest / "position.npy").write_bytes(b"damaged")
    with pytest.raises(ModuleNotFoundError):
        runner.main(Walk(), ["--out", str(out), "--resume"], "no_such_port:loop")
