"""The shared helpers: metrics on known inputs, curves, run folders, flags, quieting, plots."""
import argparse
import json
import sys

import numpy as np
import pytest
from PIL import Image

from gantools.run import cli, rundir
from gantools import curves, metrics, plots
from gantools.run.cli import UsageError
from gantools.run.launch import RUNTIME_NOISE, STARTUP_NOISE, quiet_runtime_noise, run


# -- metrics -------------------------------------------------------------------------------

def test_identical_samples_have_zero_distance():
    x = np.random.default_rng(0).normal(3, 0.5, 5000)
    assert metrics.js_divergence(x, x, 8) == pytest.approx(0, abs=1e-12)
    assert metrics.wasserstein1(x, x) == pytest.approx(0, abs=1e-12)


@pytest.mark.parametrize("shift", [0.25, 1.0, 3.0])
def test_shifted_gaussians_have_w1_equal_to_the_shift(shift):
    x = np.random.default_rng(1).normal(0, 1, 10000)
    assert metrics.wasserstein1(x + shift, x) == pytest.approx(shift, rel=1e-9)
    # independent samples of the two distributions: W1 close to the shift
    y = np.random.default_rng(2).normal(shift, 1, 10000)
    assert metrics.wasserstein1(y, x) == pytest.approx(shift, abs=0.05)


def test_js_divergence_bounds_and_drifted_samples():
    rng = np.random.default_rng(3)
    real = rng.normal(3, 0.5, 10000)
    assert metrics.js_divergence(rng.normal(3, 0.5, 10000), real, 8) < 0.02
    assert metrics.js_divergence(real - 20, real, 8) == pytest.approx(1.0)  # all outside
    half = metrics.js_divergence(np.concatenate([real[:5000], real[:5000] - 20]), real, 8)
    assert 0.2 < half < 0.5
    assert metrics.js_divergence(real, real + 20, (-8, 8)) == pytest.approx(1.0)
    assert metrics.js_divergence(real + 20, real + 20, (15, 30)) == pytest.approx(0, abs=1e-12)


def test_density_histogram_matches_numpy_and_is_zero_when_empty():
    x = np.random.default_rng(4).normal(3, 0.5, 1000)
    bins = np.linspace(-8, 8, 100)
    expected, _ = np.histogram(x, bins=bins, density=True)
    np.testing.assert_allclose(metrics.density_histogram(x, bins), expected)
    assert not metrics.density_histogram(x + 100, bins).any()


def test_distribution_metrics_keys():
    x = np.arange(10.0)
    m = metrics.distribution_metrics(x, x, 8)
    assert m["gen_mean"] == pytest.approx(4.5) and m["gen_std"] == pytest.approx(np.std(x))
    assert {"js_divergence", "wasserstein1", "real_mean", "real_std"} <= set(m)


# -- run folders and files -----------------------------------------------------------------

def test_run_dir_refuses_existing_run_and_overwrite_replaces_it(tmp_path):
    out = tmp_path / "run"
    rundir.prepare_run_dir(out)
    assert (out / rundir.MARKER).is_file()
    (out / "config.json").write_text("{}")
    (out / "losses.png").write_text("x")
    (out / "checkpoints").mkdir()
    (out / "checkpoints" / "ckpt-1.index").write_text("x")
    with pytest.raises(UsageError, match="--overwrite"):
        rundir.prepare_run_dir(out)
    assert (out / "losses.png").exists()
    rundir.prepare_run_dir(out, overwrite=True)
    assert [p.name for p in out.iterdir()] == [rundir.MARKER]


def test_overwrite_never_deletes_what_the_project_did_not_write(tmp_path, capsys):
    """Issue 11: a folder with a config.json of its own is not a run; a run folder keeps the
    user's notes and plots (named in one line); a symbolic link is followed."""
    project = tmp_path / "proj"
    (project / "src").mkdir(parents=True)
    (project / "config.json").write_text('{"name": "my app"}')
    (project / "src" / "main.py").write_text("print(1)")
    with pytest.raises(UsageError, match="not a run folder of this project"):
        rundir.prepare_run_dir(project, overwrite=True)
    assert (project / "src" / "main.py").read_text() == "print(1)"
    assert (project / "config.json").read_text() == '{"name": "my app"}'

    run = tmp_path / "run"
    rundir.prepare_run_dir(run)
    for name in ["config.json", "metrics.json", "frames/epoch_0002.png", "samples/001.png",
                 "checkpoints/epoch_000002/generator.keras", "d.weights.h5"]:
        (run / name).parent.mkdir(parents=True, exist_ok=True)
        (run / name).write_text("run")
    for name in ["NOTES.md", "my_plots/losses.png", "frames/my_frame.png", "samples/x.txt"]:
        (run / name).parent.mkdir(parents=True, exist_ok=True)
        (run / name).write_text("mine")
    link = tmp_path / "link"
    link.symlink_to(run)
    assert rundir.prepare_run_dir(link, overwrite=True) == run.resolve()
    left = sorted(p.relative_to(run).as_posix() for p in run.rglob("*") if p.is_file())
    assert left == sorted([rundir.MARKER, "NOTES.md", "frames/my_frame.png",
                           "my_plots/losses.png", "samples/x.txt"])
    assert all((run / name).read_text() == "mine" for name in left if name != rundir.MARKER)
    assert not (run / "checkpoints").exists()
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "--overwrite: kept 4 file(s)" in out and "NOTES.md" in out


def test_a_run_folder_of_an_older_version_is_not_deleted(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    (old / "config.json").write_text("{}")
    with pytest.raises(UsageError, match="no .classic-gans-run"):
        rundir.prepare_run_dir(old, overwrite=True)
    assert (old / "config.json").exists()


def test_overwrite_never_deletes_a_folder_that_is_not_a_run(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(UsageError, match="not a run folder"):
        rundir.prepare_run_dir(tmp_path, overwrite=True)
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_unwritable_out_is_a_usage_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(UsageError, match="cannot write"):
        rundir.prepare_run_dir(blocker / "run")


def test_resume_needs_an_existing_run(tmp_path):
    with pytest.raises(UsageError, match="no run to resume"):
        rundir.prepare_run_dir(tmp_path, resume=True)


def test_loss_log_keeps_the_rows_of_the_checkpoint(tmp_path):
    path = tmp_path / "losses.csv"
    with rundir.LossLog(path, ["step", "loss"]) as log:
        for step in range(5):
            log.write(step=step, loss=step / 10)
    with rundir.LossLog(path, ["step", "loss"], keep_rows=3) as log:
        log.write(step=3, loss=9.0)
    losses = rundir.read_losses(path)
    assert list(losses["step"]) == [0, 1, 2, 3] and losses["loss"][-1] == 9.0


def test_write_json_is_atomic_and_readable(tmp_path):
    rundir.write_json(tmp_path / "m.json", {"a": 1.5})
    assert json.loads((tmp_path / "m.json").read_text()) == {"a": 1.5}
    assert not list(tmp_path.glob("*.tmp"))


def test_devices_and_versions():
    assert rundir.devices()[0] == "CPU"
    versions = rundir.library_versions()
    assert versions["tensorflow"].startswith("2.") and versions["keras"].startswith("3.")


# -- flags ---------------------------------------------------------------------------------

@pytest.mark.parametrize("parse, text", [
    (cli.positive_int, "0"), (cli.positive_int, "-3"), (cli.positive_int, "x"),
    (cli.non_negative_int, "-1"), (cli.positive_float, "0"), (cli.unit_interval, "1.5"),
])
def test_validators_reject_bad_values(parse, text):
    with pytest.raises(argparse.ArgumentTypeError):
        parse(text)


def test_parser_error_is_one_line_and_exit_code_2(capsys):
    parser = cli.ArgumentParser(prog="prog")
    parser.add_argument("--steps", type=cli.positive_int)
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args(["--steps", "0"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == "prog: error: argument --steps: '0' must be a positive integer\n"


def test_a_sweep_has_its_own_default_folder():
    parser = cli.ArgumentParser(prog="prog")
    cli.add_run_arguments(parser, "prog")
    cli.add_sweep_argument(parser, "prog")
    assert str(parser.parse_args([]).out) == "runs/prog"
    assert str(parser.parse_args(["--sweep", "3"]).out) == "runs/prog_sweep"
    assert str(parser.parse_args(["--sweep", "3", "--out", "x"]).out) == "x"


def test_launcher_turns_usage_errors_into_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code = run("tf1_compat.gaussian_gan_cli", ["--out", str(blocker / "run"), "--steps", "1"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "cannot write" in err


# -- quiet start-up ------------------------------------------------------------------------

@pytest.mark.parametrize("line", [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1795487920.908157    1999 port.cc:153] oneDNN custom operations are on.",
    "I0000 00:00:1795487920.908520    1999 cudart_stub.cc:31] Could not find cuda drivers",
    "E0000 00:00:1795487924.692936    1999 cuda_platform.cc:52] failed call to cuInit: INTERNAL",
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow",
])
def test_startup_noise_is_recognised(line):
    assert STARTUP_NOISE.search(line)


@pytest.mark.parametrize("line", [
    "E0000 00:00:1795487924.692936 1999 something.cc:52] Out of memory while allocating",
    "UserWarning: this is a real warning",
    "W0000 00:00:1795487924.692936 1999 op_kernel.cc:1] Invalid argument: bad shape",
])
def test_real_messages_are_kept(line):
    assert not STARTUP_NOISE.search(line)


NODEDEF_NOTICE = (
    "E0000 00:00:1795489343.531315    7358 node_def_util.cc:682] NodeDef mentions attribute "
    "use_unbounded_threadpool which is not in the op definition: Op<name=MapDataset; "
    "signature=input_dataset:variant> This may be expected if your graph generating binary "
    "is newer  than this binary. Unknown attributes will be ignored.")


def test_runtime_noise_drops_only_the_tf_data_notice(capfd):
    assert RUNTIME_NOISE.search(NODEDEF_NOTICE)
    assert not RUNTIME_NOISE.search("E0000 00:00:1 node_def_util.cc:682] NodeDef mentions "
                                    "attribute T which is not in the op definition: Op<name=Add;")
    import os
    with quiet_runtime_noise():
        os.write(2, (NODEDEF_NOTICE + "\nreal warning\n").encode())
    assert capfd.readouterr().err == "real warning\n"
    with quiet_runtime_noise(verbose=True):
        os.write(2, (NODEDEF_NOTICE + "\n").encode())
    assert "use_unbounded_threadpool" in capfd.readouterr().err


# -- curves --------------------------------------------------------------------------------

def test_rolling_mean_is_pandas_rolling_without_leading_nans():
    rows = np.array([np.arange(10.0), np.arange(10.0) ** 2])
    expected = [[np.mean(row[j:j + 5]) for j in range(6)] for row in rows]
    np.testing.assert_allclose(curves.rolling_mean(rows, 5), expected)
    np.testing.assert_allclose(curves.rolling_mean(rows, 1), rows)


def test_fit_sines_stays_in_the_frequency_range():
    x = np.arange(0, 5, .1)
    fit = curves.fit_sines([np.sin(6 * x), np.sin(0.1 * x)], x, frequency_range=(1, 2))
    assert ((fit["frequency"] >= 1) & (fit["frequency"] <= 2)).all()
    assert fit["rmse"][0] > 0.5  # a frequency-6 sine is no sine of frequency 1 to 2


# -- plots ---------------------------------------------------------------------------------

def test_curve_panels_and_curve_frames(tmp_path):
    x = np.arange(50)
    rows = np.sin(np.outer([1, 2], x / 10))
    plots.plot_curves([("Real", x, rows), ("Smoothed", x[4:], rows[:, 4:])],
                      tmp_path / "panels.png", ylim=(-1, 1))
    assert Image.open(tmp_path / "panels.png").size[0] > 2 * Image.open(
        tmp_path / "panels.png").size[1]
    frame = plots.CurvePlot(x, 2, "Generated curves", (-1, 1))
    frame.save(tmp_path / "f0.png", rows, caption="epoch 0")
    frame.save(tmp_path / "f1.png", -rows, caption="epoch 50")
    assert [line.get_ydata()[5] for line in frame.lines] == pytest.approx(-rows[:, 5])
    assert Image.open(tmp_path / "f0.png").tobytes() != Image.open(tmp_path / "f1.png").tobytes()


def test_distribution_plot_frames_and_gif(tmp_path):
    x = np.linspace(-8, 8, 99)
    plot = plots.DistributionPlot(x, "GAN Visualization", "Value", "Probability Density")
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"{i}.png")
        plot.save(paths[-1], np.exp(-x ** 2), np.exp(-(x - i) ** 2), caption=f"step {i}")
    plots.write_gif(paths, tmp_path / "evolution.gif")
    gif = Image.open(tmp_path / "evolution.gif")
    assert gif.format == "GIF" and gif.n_frames == 3
    assert Image.open(paths[0]).size == gif.size


# -- the README and CI agree ---------------------------------------------------------------

def test_ci_runs_the_readme_test_command():
    """.ci/run runs Quick start 2 as the README prints it, and installs nothing else."""
    from conftest import ROOT
    readme = [line.strip() for line in (ROOT / "README.md").read_text().splitlines()]
    ci = [line.strip() for line in (ROOT / ".ci/run").read_text().splitlines()
          if line.strip() and not line.lstrip().startswith("#")]
    quick_start = [line for line in readme
                   if line.startswith("python3 -m venv") and "pytest" in line]
    assert len(quick_start) == 1 and quick_start[0] in ci
    assert ".[test,originals]" in quick_start[0]  # the side-by-side tests run too
    installs = [line for line in ci if "install" in line]
    assert installs == quick_start, "CI installs something the README does not"
    assert ci.index(quick_start[0]) < min(i for i, line in enumerate(ci) if "slow" in line)


# -- long-run helpers ----------------------------------------------------------------------

class _Terminal:
    def __init__(self, tty):
        self.tty, self.text = tty, ""

    def isatty(self):
        return self.tty

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def test_progress_bar_on_a_terminal_and_lines_elsewhere():
    from gantools.training import Progress
    terminal, out = _Terminal(True), _Terminal(False)
    bar = Progress(100, start=20, stream=terminal, out=out, redraw_seconds=0)
    bar.update(60)
    assert "\r" in terminal.text and "60/100" in terminal.text and "ETA" in terminal.text
    bar.clear()
    assert terminal.text.endswith("\r\x1b[K")
    bar.update(100)
    bar.close()
    assert terminal.text.endswith("\n") and out.text == ""
    piped, log = _Terminal(False), _Terminal(False)
    lines = Progress(100, stream=piped, out=log, line_seconds=0)
    lines.update(50)
    assert piped.text == "" and log.text.startswith("progress:  50/100")


def test_first_ctrl_c_is_deferred_and_the_second_stops(capsys):
    import signal
    from gantools.training import StopRequest
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    with StopRequest() as stop:
        assert not stop.requested
        signal.getsignal(signal.SIGINT)(signal.SIGINT, None)
        assert stop.requested
        assert "Stopping after this step" in capsys.readouterr().out
        with pytest.raises(KeyboardInterrupt):
            signal.getsignal(signal.SIGINT)(signal.SIGINT, None)
    with StopRequest("epoch") as stop:
        signal.getsignal(signal.SIGTERM)(signal.SIGTERM, None)
        assert stop.requested
        assert "Stopping after this epoch" in capsys.readouterr().out
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def test_overwrite_of_a_folder_that_is_not_a_run_is_one_line_and_deletes_nothing(tmp_path,
                                                                               script):
    """Issue 11's reproduction, as a user runs it."""
    project = tmp_path / "proj"
    (project / "src").mkdir(parents=True)
    (project / "config.json").write_text('{"name": "my app"}')
    (project / "src" / "main.py").write_text("print(1)")
    result = script("gaussian_gan_keras.py", "--epochs", "5", "--out", "proj", "--overwrite",
                    cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "gaussian_gan_keras.py: error: proj is not a run folder of this project (no "
        ".classic-gans-run); nothing was deleted, choose another --out"]
    assert sorted(p.name for p in project.rglob("*")) == ["config.json", "main.py", "src"]


# -- one writer per run folder ---------------------------------------------------------------

def test_a_run_folder_has_one_writer_and_kill_9_leaves_no_lock(tmp_path):
    import subprocess
    import sys
    folder = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from gantools.run import rundir; "
         "rundir.lock_run_dir(sys.argv[1]); print('locked', flush=True); time.sleep(120)",
         str(folder)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert folder.is_dir() and not any(folder.iterdir())  # nothing written into it
        with pytest.raises(UsageError, match=rf"in use by another run \(process {holder.pid}\)"):
            rundir.lock_run_dir(folder)
    finally:
        holder.kill()  # kill -9: the kernel releases the lock
        holder.wait()
    lock = rundir.lock_run_dir(folder)
    again = rundir.lock_run_dir  # a second writer in this process is refused as well
    with pytest.raises(UsageError, match="in use by another run"):
        again(folder)
    lock.release()
    rundir.lock_run_dir(folder).release()


def test_a_refused_new_run_leaves_no_folder_behind(tmp_path):
    """The lock creates a new --out; a run refused after it (here: no data) removes it."""
    from keras_models import mnist_gan_cli as mnist_gan
    out = tmp_path / "run"
    with pytest.raises(UsageError, match="missing.npz"):
        mnist_gan.main(["--out", str(out), "--data", str(tmp_path / "missing.npz")])
    assert not out.exists()


def test_out_of_memory_is_one_line_with_exit_1(monkeypatch, capsys):
    """A MemoryError (or TensorFlow's ResourceExhaustedError) anywhere in a program: one
    line naming it, exit 1, no traceback; other exceptions still raise."""
    import types
    from gantools.run import launch
    module = types.ModuleType("fake_program")
    errors = {"numpy": MemoryError("Unable to allocate 7.45 GiB for an array"),
              "tf": type("ResourceExhaustedError", (Exception,), {})("OOM when allocating"),
              "other": ValueError("a bug")}
    monkeypatch.setitem(sys.modules, "fake_program", module)
    monkeypatch.setattr(sys, "argv", ["fake.py"])
    for name in ("numpy", "tf"):
        module.main = lambda argv, error=errors[name]: (_ for _ in ()).throw(error)
        assert launch.run("fake_program", []) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("fake.py: error: out of memory (")
    module.main = lambda argv: (_ for _ in ()).throw(errors["other"])
    with pytest.raises(ValueError):
        launch.run("fake_program", [])
