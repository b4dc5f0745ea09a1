"""The run contract, tried on all nine programs at tiny sizes (issue 13's fault matrix).

Each program runs as a user runs it, in a fresh process (a case's repeats, whose arrays alone
are checked, in the test's). Against an uninterrupted `--deterministic` run of the same flags
and --tensorboard (`straight`, whose event files the TensorBoard case reads):
- kill -9 at a random point of the loop, then `--resume`: the same losses.csv and
  metrics.json (wall-clock columns and keys excepted);
- Ctrl-C (SIGINT), then `--resume`: exit 130, then the same files;
- a damaged newest checkpoint: skipped with one line for the one before, the same files;
- a damaged config.json: `--resume` answers in one line with exit 2 and changes nothing;
- finished but unwritten (killed after the last checkpoint, before metrics.json and the
  figures): `--resume` writes them, the same metrics;
- a full disk (a file-size limit, RLIMIT_FSIZE): one line, exit 1, no traceback; after it,
  the command the line names finishes the run with the same numbers;
- `--overwrite` into a folder this project did not write: refused, nothing deleted;
- `--out` naming a file (a new run, a --resume): one line, exit 2, the file untouched;
- losses.csv cut in the middle of a row: --resume repairs it from the checkpoint's copy;
- `--overwrite` keeps the user's files, even with names like the programs' (the manifest);
- bad flag values (non-finite numbers, out of range, a seed beyond 32 bits): one line, exit 2;
- stdout closed by its reader (`| head -1`): the run ends quietly with all its files;
- a second writer (a new run with --overwrite, a --resume) while a run trains in --out:
  refused in one line naming the training process, exit 2;
- a real full disk (a small tmpfs) under a graph-mode Saver: one line, exit 1.
- a diverged run (S4 --lr 1e300), S9's --n-samples against memory, a face folder with a
  symlink loop and a truncated JPEG (S2, S3).
On the runner's toy program (tests/test_runner.py): a resume it cannot write (permissions:
root ignores them, so only there), and each case above in-process.
The fast slice runs in the default suite: S6 (the cheapest tiny run) in every case but
Ctrl-C (in-process there: test_mnist_gan_keras.py, test_gantools.py), S9's memory check,
and the flag checks of all nine; the whole matrix with `pytest -m slow`.
"""
import csv
import importlib
import io
import json
import os
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SCRIPTS, make_faces, one_at_a_time, program_parser, shared_folder
from gantools.run.programs import PROGRAMS as REGISTRY

# program -> (tiny flags, total flag, tiny total); its script and data: gantools.run.programs
TINY = {
    "S1": (["--pretrain-steps", "50", "--plot-every", "100"], "--steps", 400),
    "S2": (["--batch-size", "2", "--save-every", "2", "--swd-images", "4"], "--epochs", 4),
    "S3": (["--ngf", "64", "--ndf", "8", "--batch-size", "2", "--n-critic", "2",
            "--save-every", "3", "--swd-images", "4"], "--steps", 8),
    "S4": (["--print-interval", "50"], "--epochs", 400),
    "S5": (["--batch-size", "100", "--print-interval", "2", "--metric-samples", "0"],
           "--epochs", 2),
    "S6": (["--validation-size", "0", "--log-every", "10", "--sample-every", "10",
            "--checkpoint-every", "10", "--metric-samples", "0"], "--steps", 60),
    "S7": (["--validation-size", "0", "--log-every", "10", "--sample-every", "10",
            "--checkpoint-every", "10", "--metric-samples", "0"], "--steps", 60),
    "S8": (["--validation-size", "0", "--log-every", "10", "--sample-every", "10",
            "--checkpoint-every", "10", "--metric-samples", "0"], "--steps", 60),
    "S9": (["--n-samples", "64", "--v-freq", "2"], "--epochs", 10),
}
PROGRAMS = {id: (REGISTRY[id].script, flags, REGISTRY[id].data, total_flag, total)
            for id, (flags, total_flag, total) in TINY.items()}
FAST = {"S6"}  # in the default suite (its tiny run is the cheapest); the others with -m slow
TIMING = ("seconds",)  # columns and metrics that hold wall-clock time


def programs(fast_ones=FAST):
    return [pytest.param(p, marks=() if p in fast_ones else pytest.mark.slow)
            for p in PROGRAMS]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """The programs' small data (contract_data), made once for the session (the straight
    runs that all workers share were trained on it: the same paths in their config.json)."""
    shared = shared_folder(tmp_path_factory, "contract_data")
    with one_at_a_time(shared.parent / "contract_data.lock"):
        return contract_data(shared)


def contract_data(root):
    """Small data for the programs that need it, in `root` (made unless `root` holds it):
    5 faces, a synthetic mnist.npz (also tests/reference_runs.py's)."""
    from gantools.mnist import write_npz
    from synthetic_mnist import synthetic_mnist
    paths = {"faces": root / "faces", "mnist": root / "mnist.npz"}
    if not (root / "made").is_file():
        digits = synthetic_mnist(600, 100)
        write_npz(paths["mnist"], digits.x_train, digits.y_train, digits.x_test,
                  digits.y_test)
        make_faces(paths["faces"], n=5)
        (root / "made").write_text("")
    return paths


def command(program, data, out, *extra, total=None):
    script, flags, needs, total_flag, tiny = PROGRAMS[program]
    args = [sys.executable, str(SCRIPTS / f"{script}.py"), "--out", str(out), *flags,
            total_flag, str(total or tiny), "--deterministic"]
    if needs:
        args += ["--data", str(data[needs])]
    return args + [str(e) for e in extra]


def env():
    environment = dict(os.environ)
    environment.pop("TF_CPP_MIN_LOG_LEVEL", None)  # as on a user's machine
    return environment


def run(args, cwd, timeout=600, limit=None):
    def set_limit():  # Python ignores SIGXFSZ: a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return subprocess.run(args, cwd=cwd, env=env(), capture_output=True, text=True,
                          timeout=timeout, preexec_fn=set_limit if limit else None)


def in_process(program, *argv):
    """The program's `main(argv)` in this process, where TensorFlow is imported already (a
    new process would spend most of its time importing it): for repeats of a case whose
    process the test has checked once already."""
    return importlib.import_module(REGISTRY[program].command).main([str(a) for a in argv])


def resume(program, data, out, cwd):
    """`--resume` with only the flags a user would retype: the data and the total."""
    script, _, needs, total_flag, tiny = PROGRAMS[program]
    args = [sys.executable, str(SCRIPTS / f"{script}.py"), "--out", str(out), "--resume"]
    return run(args, cwd)


def losses(out):
    with open(Path(out) / "losses.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return [{k: v for k, v in row.items() if not any(t in k for t in TIMING)} for row in rows]


def metrics(out):
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if not any(t in k for t in TIMING)}
        return value
    return strip(json.loads((Path(out) / "metrics.json").read_text()))


def one_error_line(result, script, code):
    assert result.returncode == code, (result.stdout[-2000:], result.stderr[-3000:])
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{script}.py: error: "), result.stderr
    return lines[0]


def files(out):
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in Path(out).rglob("*")
            if p.is_file()}


def checkpoint_folders(out):
    folder = Path(out) / "checkpoints"
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")) \
        if folder.is_dir() else []


@pytest.fixture(scope="module")
def straight(tmp_path_factory, data):
    """program -> the folder of its uninterrupted --deterministic run, made once for the
    session by whichever xdist worker asks first (the others wait and reuse it: the data
    they make is the same). With --tensorboard, whose event files one test reads: the runs
    that are compared with it, without the flag, show that it changes no number."""
    shared = shared_folder(tmp_path_factory, "contract_straight")

    def get(program):
        out = shared / program
        with one_at_a_time(shared / f"{program}.lock"):
            if not (out / "metrics.json").is_file():
                result = run(command(program, data, out, "--overwrite", "--tensorboard"),
                             cwd=shared)
                assert result.returncode == 0, result.stderr[-3000:]
                assert result.stderr == "", result.stderr[-3000:]  # no traceback, no TF log
        return out
    return get


def assert_same_run(out, reference):
    assert losses(out) == losses(reference)
    assert metrics(out) == metrics(reference)


def interrupt(program, data, out, signum, seed):
    """Start a run, send `signum` at a random moment after its first checkpoint in the
    loop, and return the finished process (it may have ended by itself)."""
    process = subprocess.Popen(command(program, data, out), cwd=out.parent, env=env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    while process.poll() is None and time.monotonic() < deadline:
        if len(checkpoint_folders(out)) >= 2:  # unit 0 and one in the loop
            time.sleep(random.Random(seed).uniform(0, 0.3))
            process.send_signal(signum)
            break
        time.sleep(0.02)
    stdout, stderr = process.communicate(timeout=600)
    return process.returncode, stdout, stderr


@pytest.mark.parametrize("program", programs())
def test_kill_9_then_resume_gives_the_same_numbers(program, data, straight, tmp_path):
    out = tmp_path / program
    code, _, stderr = interrupt(program, data, out, signal.SIGKILL, seed=len(program))
    if code != 0:  # killed (it may have finished first on a fast machine)
        assert code == -signal.SIGKILL, stderr[-3000:]
        result = resume(program, data, out, tmp_path)
        assert result.returncode == 0, result.stderr[-3000:]
    assert_same_run(out, straight(program))


@pytest.mark.parametrize("program", programs(fast_ones=set()))  # fast: S5's, in-process
def test_ctrl_c_then_resume_gives_the_same_numbers(program, data, straight, tmp_path):
    out = tmp_path / program
    code, stdout, stderr = interrupt(program, data, out, signal.SIGINT, seed=1)
    if code != 0:
        assert code == 130, stderr[-3000:]
        assert "Interrupted: checkpoint saved after" in stdout
        assert "Traceback" not in stderr
        result = resume(program, data, out, tmp_path)
        assert result.returncode == 0, result.stderr[-3000:]
    assert_same_run(out, straight(program))


@pytest.mark.slow  # needs a small tmpfs (root); skipped where it cannot be mounted
def test_a_real_full_disk_under_a_graph_saver_is_one_line(data, tmp_path):
    """A file-size limit is not a full disk: on a real one (a 3 MB tmpfs, half full) the
    graph-mode Saver of S6 fails inside TensorFlow, which logs four lines of its own; the
    user sees one, exit code 1."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3M", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        (mount / "fill").write_bytes(bytes(1500 * 1024))
        result = run(command("S6", data, mount / "run"), cwd=tmp_path)
        assert "the disk is full" in one_error_line(result, "mnist_gan_tf1", 1)
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)


@pytest.mark.parametrize("program", programs(fast_ones=set()))
def test_a_second_writer_is_refused_while_a_run_trains(program, data, tmp_path):
    """Run A trains (50 times the tiny length); meanwhile a new run with --overwrite and a
    --resume into the same --out are each refused in one line naming A's process, exit 2,
    and A's folder is as A left it."""
    script, _, _, _, tiny = PROGRAMS[program]
    out = tmp_path / program
    process = subprocess.Popen(command(program, data, out, total=50 * tiny), cwd=tmp_path,
                               env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
    try:
        deadline = time.monotonic() + 300
        while len(checkpoint_folders(out)) < 2 and time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read()[-3000:]
            time.sleep(0.05)
        config = (out / "config.json").read_bytes()
        for second in (command(program, data, out, "--overwrite"),
                       [sys.executable, str(SCRIPTS / f"{script}.py"), "--out", str(out),
                        "--resume"]):
            result = run(second, cwd=tmp_path)
            line = one_error_line(result, script, 2)
            assert f"is in use by another run (process {process.pid})" in line, line
            assert process.poll() is None  # A still training: the check was real
        assert (out / "config.json").read_bytes() == config
        assert (out / "losses.csv").is_file() and checkpoint_folders(out)
    finally:
        process.kill()
        process.communicate()


@pytest.mark.parametrize("program", programs(fast_ones=set()))
def test_a_closed_stdout_ends_quietly_with_the_whole_run(program, data, straight, tmp_path):
    """`script | head -1`: the reader goes after the first line; the run carries on with
    nothing more printed, exit 0, no BrokenPipeError, every file as an uninterrupted run's."""
    out = tmp_path / program
    process = subprocess.Popen(command(program, data, out), cwd=tmp_path, env=env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read()
    assert process.wait(timeout=600) == 0, stderr[-3000:]
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr[-3000:]
    assert_same_run(out, straight(program))


@pytest.mark.parametrize("program", programs())
def test_a_damaged_newest_checkpoint_is_skipped(program, data, straight, tmp_path):
    reference = straight(program)
    out = tmp_path / program
    import shutil
    shutil.copytree(reference, out, symlinks=True)
    (out / "metrics.json").unlink()  # killed before the end ...
    newest = checkpoint_folders(out)[-1]
    biggest = max((p for p in newest.iterdir() if p.name != "checkpoint.json"),
                  key=lambda p: p.stat().st_size)
    biggest.write_bytes(biggest.read_bytes()[: biggest.stat().st_size // 2])  # ... mid-write
    result = resume(program, data, out, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"Skipping the damaged checkpoint {newest}" in result.stdout
    assert_same_run(out, reference)


@pytest.mark.parametrize("damage", [  # the toy program tries all three in-process (fast)
    "truncated", pytest.param("empty", marks=pytest.mark.slow),
    pytest.param("not an object", marks=pytest.mark.slow)])
@pytest.mark.parametrize("program", programs())
def test_a_damaged_config_is_one_line_and_changes_nothing(program, damage, data, straight,
                                                          tmp_path):
    import shutil
    out = tmp_path / program
    shutil.copytree(straight(program), out, symlinks=True)
    config = (out / "config.json").read_text()
    (out / "config.json").write_text({"truncated": config[:len(config) // 2], "empty": "",
                                      "not an object": "[1, 2]"}[damage])
    before = files(out)
    result = resume(program, data, out, tmp_path)
    line = one_error_line(result, PROGRAMS[program][0], 2)
    assert "config.json is damaged" in line
    assert files(out) == before


@pytest.mark.parametrize("program", programs())
def test_finished_but_unwritten_is_finished_by_resume(program, data, straight, tmp_path):
    import shutil
    reference = straight(program)
    out = tmp_path / program
    shutil.copytree(reference, out, symlinks=True)
    written_at_the_end = ["metrics.json", "losses.png", "evolution.gif"]
    for name in written_at_the_end:
        (out / name).unlink(missing_ok=True)
    result = resume(program, data, out, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Finishing" in result.stdout
    assert_same_run(out, reference)
    for name in written_at_the_end:
        assert (out / name).exists() == (reference / name).exists(), name
    again = resume(program, data, out, tmp_path)  # now there is nothing left to do
    assert "has already trained" in one_error_line(again, PROGRAMS[program][0], 2)


@pytest.mark.parametrize("program", programs(fast_ones=set()))  # fast: test_runner.py
def test_a_full_disk_is_one_line_and_the_run_can_be_finished(program, data, straight,
                                                             tmp_path):
    out = tmp_path / program
    result = run(command(program, data, out), cwd=tmp_path, limit=4096)
    line = one_error_line(result, PROGRAMS[program][0], 1)
    assert "the disk is full" in line
    for path in Path(out).rglob("*.json"):
        json.loads(path.read_text())  # never half a JSON file
    if line.endswith("--resume"):
        again = resume(program, data, out, tmp_path)
    else:
        assert line.endswith("--overwrite")
        again = run(command(program, data, out, "--overwrite"), cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert_same_run(out, straight(program))


@pytest.mark.parametrize("program", programs())
def test_overwrite_never_deletes_a_folder_this_project_did_not_write(program, data,
                                                                     tmp_path):
    folder = tmp_path / "project"
    (folder / "src").mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "src" / "main.py").write_text("print('mine')\n")
    before = files(folder)
    result = run(command(program, data, folder, "--overwrite"), cwd=tmp_path)
    assert "is not a run folder of this project" in one_error_line(
        result, PROGRAMS[program][0], 2)
    assert files(folder) == before


@pytest.mark.parametrize("program", programs(fast_ones=set()))
def test_a_damaged_losses_csv_is_repaired_from_the_checkpoint(program, data, straight,
                                                              tmp_path):
    """Killed after its last checkpoint, with losses.csv cut in the middle of a row: --resume
    restores the rows from the checkpoint's copy, says so, and finishes the same run."""
    import shutil
    reference = straight(program)
    out = tmp_path / program
    shutil.copytree(reference, out, symlinks=True)
    (out / "metrics.json").unlink()
    text = (out / "losses.csv").read_text()
    (out / "losses.csv").write_text(text[:len(text) * 3 // 5])
    result = resume(program, data, out, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "losses.csv was damaged; its" in result.stdout
    assert_same_run(out, reference)


@pytest.mark.parametrize("program", programs(fast_ones=set()))
def test_overwrite_keeps_files_the_run_did_not_write(program, data, straight, tmp_path):
    """--overwrite follows the manifest, not name patterns: files of the user's with names
    like the programs' stay; the new run is the same run."""
    import shutil
    out = tmp_path / program
    shutil.copytree(straight(program), out, symlinks=True)
    mine = {"g_best_epoch120.weights.h5": b"weights", "todo.tmp": b"todo",
            "NOTES.md": b"notes", "samples_mine/epoch_001.png": b"png"}
    for name, content in mine.items():
        (out / name).parent.mkdir(exist_ok=True)
        (out / name).write_bytes(content)
    result = run(command(program, data, out, "--overwrite"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert all((out / name).read_bytes() == content for name, content in mine.items())
    assert_same_run(out, straight(program))


# -- the cases of one program's own input ------------------------------------------------

# --sample's array: one generated sample's shape, and whether it is an image in [0, 1]
SAMPLE_SHAPES = {"S1": ((1,), False), "S2": ((96, 96, 3), True), "S3": ((96, 96, 3), True),
                 "S4": ((), False), "S5": ((28, 28), True), "S6": ((28, 28), True),
                 "S7": ((28, 28), True), "S8": ((28, 28), True), "S9": ((50,), False)}


@pytest.mark.parametrize("program", programs())
def test_sample_writes_n_samples_from_the_newest_checkpoint(program, data, straight,
                                                            tmp_path):
    """--sample N: the array and its figure in <out>/sampled/, the same for the same seed,
    other for another; the run's own files untouched; the manifest lists them (so that
    --overwrite removes them)."""
    import shutil
    import numpy as np
    out = tmp_path / program
    shutil.copytree(straight(program), out, symlinks=True)
    untouched = {p: p.read_bytes() for p in out.iterdir() if p.is_file()}
    script = REGISTRY[program].script
    sample = [sys.executable, str(SCRIPTS / f"{script}.py"), "--out", str(out), "--sample"]
    result = run(sample + ["20", "--sample-seed", "5"], tmp_path)
    assert result.returncode == 0 and result.stderr == "", result.stderr[-3000:]
    # another seed, then seed 5 again: only their arrays are checked, so in this process
    assert in_process(program, *sample[2:], "20", "--sample-seed", "6") == 0
    first, other = (np.load(out / "sampled" / f"seed{s}-n20.npy") for s in (5, 6))
    shape, image = SAMPLE_SHAPES[program]
    assert first.shape == (20, *shape) and np.all(np.isfinite(first))
    assert not image or (first.min() >= 0 and first.max() <= 1)
    assert (out / "sampled" / "seed5-n20.png").stat().st_size > 0
    assert not np.array_equal(first, other)
    assert "sampled/seed5-n20.npy" in (out / ".classic-gans-files").read_text()
    assert {p: p.read_bytes() for p in out.iterdir() if p.is_file() and
            p.name != ".classic-gans-files"} == {p: b for p, b in untouched.items()
                                                 if p.name != ".classic-gans-files"}
    assert in_process(program, *sample[2:], "20", "--sample-seed", "5") == 0
    assert np.array_equal(np.load(out / "sampled" / "seed5-n20.npy"), first)
    one_error_line(run(sample + ["20", "--resume"], tmp_path), script, 2)
    assert "holds no run" in one_error_line(
        run([*sample[:3], str(tmp_path / "nothing"), "--sample", "4"], tmp_path), script, 2)


@pytest.mark.slow
def test_a_diverged_run_warns_once_and_writes_valid_files(data, tmp_path):
    """S4 --lr 1e300: the weights become NaN; one warning line, exit 0, every file written,
    metrics.json valid JSON (null for NaN), and --resume of it is refused as finished."""
    out = tmp_path / "S4"
    result = run(command("S4", data, out, "--lr", "1e300"), tmp_path)
    assert result.returncode == 0 and result.stderr == "", result.stderr[-3000:]
    assert result.stdout.count("training has diverged") == 1
    assert json.loads((out / "metrics.json").read_text())["gen_mean"] is None
    assert (out / "histogram.png").is_file() and (out / "evolution.gif").is_file()
    again = resume("S4", data, out, tmp_path)
    assert "has already trained" in one_error_line(again, PROGRAMS["S4"][0], 2)


def test_more_curves_than_memory_is_refused_before_anything_is_written(data, tmp_path):
    """S9 --n-samples 1000000000 (7.45 GiB a step): one line, exit 2, no folder."""
    out = tmp_path / "S9"
    result = run(command("S9", data, out, "--n-samples", "1000000000"), tmp_path)
    assert "--n-samples 1000000000" in one_error_line(result, PROGRAMS["S9"][0], 2)
    assert not out.exists()


@pytest.mark.slow
@pytest.mark.parametrize("program", ["S2", "S3"])
def test_a_face_folder_with_a_symlink_loop_and_a_cut_jpeg(program, tmp_path):
    """`loop -> .` inside the folder is followed once; a truncated JPEG is skipped and named
    in one line of the reader's own, with none of TensorFlow's log lines."""
    import io
    import numpy as np
    from PIL import Image
    faces = make_faces(tmp_path / "faces", n=5)
    (faces / "loop").symlink_to(".")
    image = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (96, 96, 3), np.uint8)).save(
        image, "JPEG")
    (faces / "cut.jpg").write_bytes(image.getvalue()[:1500])
    out = tmp_path / "run"
    result = run(command(program, {"faces": faces}, out), tmp_path)
    assert result.returncode == 0 and result.stderr == "", result.stderr[-3000:]
    assert "Reading 7 JPEG/PNG images below" in result.stdout  # 5 faces, 2 bad: each once
    config = json.loads((out / "config.json").read_text())
    assert config["dataset"]["images"] == 5 and config["dataset"]["unreadable"] == 2
    assert str(faces / "cut.jpg") in result.stdout


# -- flags, in-process (fast): one line, exit 2 ------------------------------------------

def float_flags(parser):
    """The options of `parser` that take one float."""
    from gantools.run import cli
    floats = {cli.positive_float, cli.non_negative_float, cli.unit_interval, cli.fraction,
              cli.finite_float, float}
    return [a.option_strings[0] for a in parser._actions
            if a.option_strings and a.type in floats]


@pytest.mark.parametrize("program", programs(fast_ones=set()))  # fast: test_runner.py
def test_out_at_a_file_is_one_line_and_leaves_the_file(program, data, tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("mine\n")
    for extra in ([], ["--resume"]):
        result = run(command(program, data, target, *extra), tmp_path)
        line = one_error_line(result, PROGRAMS[program][0], 2)
        assert line.endswith(f"--out {target} is a file, not a folder; choose another --out")
    assert target.read_text() == "mine\n" and sorted(tmp_path.iterdir()) == [target]


@pytest.mark.parametrize("program", list(PROGRAMS))
def test_no_float_flag_takes_a_non_finite_number(program, capsys):
    parser = program_parser(program)
    flags = float_flags(parser)
    assert flags or program in ("S9",), "expected float flags"
    for flag in flags:
        for value in ("nan", "inf", "-inf"):
            with pytest.raises(SystemExit) as exit_info:
                parser.parse_args([f"{flag}={value}"])
            err = capsys.readouterr().err
            assert exit_info.value.code == 2 and err.count("\n") == 1 and flag in err, \
                (flag, value, err)


@pytest.mark.parametrize("program", list(PROGRAMS))
def test_bad_run_flags_are_one_line(program, capsys):
    parser = program_parser(program)
    total = PROGRAMS[program][3]
    for argv in (["--seed", "-1"], ["--seed", str(2 ** 32)], ["--seed", str(2 ** 70)],
                 [total, "0"], [total, "many"], ["--resume", "--overwrite"]):
        with pytest.raises(SystemExit) as exit_info:
            args = parser.parse_args(argv)
            if args.resume and args.overwrite:  # checked by runner.main after parsing
                parser.error("--resume cannot be combined with --overwrite")
        err = capsys.readouterr().err
        assert exit_info.value.code == 2 and err.count("\n") == 1, (argv, err)
    assert parser.parse_args(["--seed", str(2 ** 32 - 1)]).seed == 2 ** 32 - 1


# -- TensorBoard ---------------------------------------------------------------------------

def event_tags(folder):
    """{plugin name: set of tags} of every summary in the event files below `folder`."""
    import tensorflow as tf
    tags = {}
    for path in sorted(Path(folder).glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                plugin = value.metadata.plugin_data.plugin_name
                tags.setdefault(plugin, set()).add(value.tag)
    return tags


@pytest.mark.parametrize("program", programs())
def test_tensorboard_holds_the_losses_figures_metrics_and_flags(program, straight):
    out = straight(program)  # its process ended with nothing on stderr
    tags = event_tags(out / "tensorboard")
    columns = open(out / "losses.csv").readline().strip().split(",")
    numeric = {k for k, v in losses(out)[-1].items() if v not in ("", None)} & set(columns)
    assert numeric - {columns[0]} <= tags["scalars"]
    assert any(tag.startswith("metrics/") for tag in tags["scalars"])
    assert tags.get("images"), "no figure in the event files"
    assert "hparams" in tags
