"""The MNIST GAN, WGAN and CGAN MLPs in graph mode (S6, S7, S8), on synthetic digits."""
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import tensorflow.compat.v1 as tf1
from PIL import Image

from conftest import assert_only_run_files, read_rows
from gantools.run import runner
from gantools.run.cli import UsageError
from gantools.run.launch import run
from gantools.mnist import Batches, write_npz
from tf1_compat import mnist_cgan, mnist_gan, mnist_wgan
from tf1_compat import mnist_cgan_cli, mnist_gan_cli, mnist_wgan_cli

PROGRAMS = {
    "S6": (mnist_gan_cli, mnist_gan.GAN, {"generator": 114064, "discriminator": 100609}),
    "S7": (mnist_wgan_cli, mnist_wgan.WGAN, {"generator": 102544, "discriminator": 100609}),
    "S8": (mnist_cgan_cli, mnist_cgan.CGAN, {"generator": 115344, "discriminator": 101889}),
}
PROGRAM_CLASSES = {"S6": mnist_gan_cli.GANProgram, "S7": mnist_wgan_cli.WGANProgram,
                   "S8": mnist_cgan_cli.CGANProgram}


def parse(program, *flags):
    return runner.build_parser(PROGRAM_CLASSES[program]()).parse_args(list(flags))


def make(program, *flags):
    """The program's GraphGAN as its flags build it."""
    args, cls = parse(program, *flags), PROGRAMS[program][1]
    options = {name: getattr(args, name) for name in cls.options}
    return cls(args.batch_size, args.learning_rate, seed=args.seed, **options)


def train(module, out, data, *flags):
    return module.main(["--data", str(data), "--out", str(out), "--validation-size", "0",
                        "--metric-samples", "0", *map(str, flags)])


def as_script(module, name, argv, monkeypatch, capsys):
    """(exit code, stderr) of scripts/<name> run in this process."""
    monkeypatch.setattr(sys, "argv", [name, *map(str, argv)])
    code = run(module, list(map(str, argv)))
    return code, capsys.readouterr().err


def without_timings(path):
    metrics = json.loads(path.read_text())
    metrics.pop("train_seconds")
    return metrics


# -- the graphs ----------------------------------------------------------------------------

@pytest.mark.parametrize("program", PROGRAMS)
def test_parameter_counts_and_shapes(program):
    gan = make(program)
    assert gan.trainable_parameters() == PROGRAMS[program][2]
    names = [v.op.name for v in gan.theta_D + gan.theta_G]
    assert names == ["D_W1", "D_W2", "D_b1", "D_b2", "G_W1", "G_W2", "G_b1", "G_b2"]
    with gan.graph.as_default():
        trainable = tf1.trainable_variables()
    assert len(trainable) == 8


@pytest.mark.parametrize("program, batch, lr, log_every", [
    ("S6", 128, 1e-3, 1000), ("S7", 32, 5e-5, 100), ("S8", 64, 1e-3, 1000)])
def test_defaults_are_the_originals(program, batch, lr, log_every):
    args = parse(program)
    assert (args.steps, args.batch_size, args.learning_rate, args.log_every,
            args.sample_every, args.validation_size) == (1_000_000, batch, lr, log_every,
                                                          1000, 5000)
    assert args.metric_samples == 10_000 and args.data is None and not args.download
    if program == "S7":
        assert (args.n_critic, args.clip) == (5, 0.01)
    if program == "S8":
        assert args.digit == 7


@pytest.mark.parametrize("program", PROGRAMS)
def test_xavier_init_and_output_range(program):
    gan = make(program, "--seed", "3")
    with gan.session() as sess:
        sess.run(gan.init)
        D_W1, D_W2, D_b1, D_b2, G_W1, G_W2, G_b1, G_b2 = sess.run(gan.theta_D + gan.theta_G)
        assert np.std(D_W1) == pytest.approx(np.sqrt(2 / D_W1.shape[0]), rel=0.03)
        assert np.std(G_W2) == pytest.approx(np.sqrt(2 / 128), rel=0.03)
        assert not any(b.any() for b in (D_b1, D_b2, G_b1, G_b2))
        labels = np.arange(200) % 10 if gan.conditional else None
        samples = gan.sample(sess, 200, np.random.default_rng(0), labels)
    assert samples.shape == (200, 784) and samples.min() >= 0 and samples.max() <= 1
    assert samples.std() > 0.01


def test_wgan_critic_is_linear_and_clipped_after_every_update():
    gan = make("S7", "--lr", "0.05")  # large steps: clipping before the update would show
    rng = np.random.default_rng(0)
    x = rng.random((32, 784)).astype(np.float32)
    with gan.session() as sess:
        sess.run(gan.init)
        assert max(np.abs(w).max() for w in sess.run(gan.theta_D)) > 0.05  # xavier, unclipped
        assert gan.D_real.op.type != "Sigmoid"
        for _ in range(10):
            sess.run([gan.clip_D, gan.D_loss],
                     {gan.X: x, gan.z: mnist_wgan.sample_z(32, mnist_wgan.z_dim, rng)})
            for value in sess.run(gan.theta_D):
                assert np.abs(value).max() <= 0.01 + 1e-9
        critic_out = sess.run(gan.D_real, {gan.X: x})
        assert critic_out.shape == (32, 1)


def test_wgan_first_clip_saturates_most_first_layer_weights():
    """xavier_init's std for D_W1, sqrt(2/784) = 0.05, is five times the clip value."""
    gan = make("S7")
    rng = np.random.default_rng(0)
    with gan.session() as sess:
        sess.run(gan.init)
        sess.run(gan.clip_D, {gan.X: rng.random((32, 784)),
                              gan.z: mnist_wgan.sample_z(32, mnist_wgan.z_dim, rng)})
        W1 = sess.run(gan.theta_D[0])
    assert 0.75 < np.mean(np.isclose(np.abs(W1), 0.01)) < 0.9  # P(|N(0, 0.05)| > 0.01) = 0.84


def test_wgan_uses_tf1_rmsprop_with_accumulators_starting_at_one():
    gan = make("S7")
    with gan.session() as sess:
        sess.run(gan.init)
        with gan.graph.as_default():
            slots = [v for v in tf1.global_variables()
                     if v.op.name.endswith("/RMSProp")]
        assert len(slots) == 8
        assert all(np.all(value == 1) for value in sess.run(slots))


def test_wgan_n_critic_updates_per_iteration():
    gan = make("S7", "--n-critic", "3")
    batches = Batches(np.zeros((100, 784), np.float32), np.zeros(100), seed=0)
    with gan.session() as sess:
        sess.run(gan.init)
        gan.train_step(sess, batches, np.random.default_rng(0))
    assert batches.position == 3 * 32


def test_cgan_output_depends_on_the_label():
    gan = make("S8")
    with gan.session() as sess:
        sess.run(gan.init)
        three = gan.sample(sess, 16, np.random.default_rng(1), np.full(16, 3))
        seven = gan.sample(sess, 16, np.random.default_rng(1), np.full(16, 7))
        default = gan.sample(sess, 16, np.random.default_rng(1))
    assert np.abs(three - seven).max() > 1e-3
    np.testing.assert_array_equal(default, seven)  # --digit 7, as y_sample[:, 7] = 1


@pytest.mark.parametrize("program, draws", [("S6", 2), ("S8", 1)])
def test_noise_batches_per_iteration(program, draws):
    """S6 draws fresh noise for the G step; S8 reuses the D step's Z_sample."""
    gan = make(program)
    batches = Batches(np.zeros((500, 784), np.float32), np.zeros(500, int), seed=0)
    used, reference = np.random.default_rng(7), np.random.default_rng(7)
    with gan.session() as sess:
        sess.run(gan.init)
        gan.train_step(sess, batches, used)
    for _ in range(draws):
        reference.uniform(-1., 1., size=[gan.mb_size, 100])  # Z_dim 100 in both
    assert used.random() == reference.random()


# -- runs: resume, interrupt, files --------------------------------------------------------

# S6 and S7 share S8's loop (gantools.mnist.graph): the default suite runs S8's
SLOW_S6_S7 = dict(marks=pytest.mark.slow)


@pytest.mark.parametrize("program", [pytest.param("S6", **SLOW_S6_S7),
                                     pytest.param("S7", **SLOW_S6_S7), "S8"])
def test_resume_gives_the_same_losses_as_a_straight_run(tmp_path, synthetic, program):
    module = PROGRAMS[program][0]
    data = synthetic[1]
    flags = ["--deterministic", "--seed", "5", "--log-every", "1", "--sample-every", "4"]
    assert train(module, tmp_path / "straight", data, "--steps", "20", *flags) == 0
    assert train(module, tmp_path / "split", data, "--steps", "10", *flags) == 0
    assert module.main(["--out", str(tmp_path / "split"), "--resume", "--steps", "20"]) == 0
    straight, split = tmp_path / "straight", tmp_path / "split"
    assert (straight / "losses.csv").read_bytes() == (split / "losses.csv").read_bytes()
    assert [int(r["step"]) for r in read_rows(split / "losses.csv")] == list(range(20))
    grids = sorted(p.name for p in (split / "samples").iterdir())
    assert grids == ["000.png", "001.png", "002.png", "003.png", "004.png"]
    for name in [f"samples/{grid}" for grid in grids] + ["evolution.gif"]:
        assert (straight / name).read_bytes() == (split / name).read_bytes()
    config = json.loads((split / "config.json").read_text())
    assert config["flags"]["steps"] == 20 and config["flags"]["seed"] == 5
    assert config["flags"]["deterministic"] and len(config["resumed"]) == 1
    assert without_timings(split / "metrics.json") == without_timings(straight / "metrics.json")


@pytest.mark.slow  # a fresh process killed mid-run; CI runs the slow suite too
def test_kill_9_and_resume_give_the_straight_run(tmp_path, synthetic):
    flags = ["--data", str(synthetic[1]), "--validation-size", "0", "--metric-samples", "0",
             "--deterministic", "--seed", "3", "--log-every", "1", "--sample-every", "5",
             "--checkpoint-every", "7", "--steps", "60"]
    straight, out = tmp_path / "straight", tmp_path / "run"
    assert mnist_gan_cli.main(["--out", str(straight), *flags]) == 0
    command = [sys.executable, str(Path(__file__).parents[1] / "scripts" /
                                   "mnist_gan_tf1.py"), "--out", str(out), *flags]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    for line in process.stdout:
        if line.startswith("Iter: 31"):
            break
    process.kill()  # SIGKILL: no handler runs
    process.communicate(timeout=60)
    assert mnist_gan_cli.main(["--out", str(out), "--resume"]) == 0
    assert (out / "losses.csv").read_bytes() == (straight / "losses.csv").read_bytes()
    assert without_timings(out / "metrics.json") == without_timings(straight / "metrics.json")
    for path in straight.glob("samples/*.png"):
        assert (out / "samples" / path.name).read_bytes() == path.read_bytes()


def test_checkpoints_keep_the_last_few_and_resume_checks_flags(tmp_path, synthetic, capsys):
    out = tmp_path / "run"
    assert train(mnist_gan_cli, out, synthetic[1], "--steps", "12", "--checkpoint-every", "2",
                 "--sample-every", "5") == 0
    kept = sorted(p.name for p in (out / "checkpoints").iterdir())
    assert kept == ["step_00000008", "step_00000010", "step_00000012"]
    newest = out / "checkpoints" / "step_00000012"
    assert sorted(p.name for p in newest.iterdir()) == [
        "checkpoint.json", "losses.csv", "model.data-00000-of-00001", "model.index"]
    state = json.loads((newest / "checkpoint.json").read_text())
    assert (state["iteration"], state["data_position"], state["grids"]) == (12, 12 * 128, 3)
    with pytest.raises(UsageError, match="--batch-size 64 differs"):
        mnist_gan_cli.main(["--out", str(out), "--resume", "--batch-size", "64"])
    with pytest.raises(UsageError, match="already trained 12 steps"):
        mnist_gan_cli.main(["--out", str(out), "--resume"])
    with pytest.raises(UsageError, match="no run to resume"):
        mnist_gan_cli.main(["--out", str(tmp_path / "empty"), "--resume"])
    # a damaged newest checkpoint is skipped for the newest intact one; the grids continue
    # their numbering with a new --sample-every (the counter is in the checkpoint)
    data = newest / "model.data-00000-of-00001"
    data.write_bytes(data.read_bytes()[:1000])
    capsys.readouterr()
    assert mnist_gan_cli.main(["--out", str(out), "--resume", "--steps", "14",
                           "--sample-every", "2"]) == 0
    printed = capsys.readouterr().out
    assert "Skipping the damaged checkpoint" in printed and "after step 10 of 14" in printed
    assert [int(r["step"]) for r in read_rows(out / "losses.csv")] == [0]  # logged every 1000
    grids = sorted(p.name for p in (out / "samples").iterdir())  # steps 0, 5, then 10, 12
    assert grids == ["000.png", "001.png", "002.png", "003.png"]
    assert Image.open(out / "evolution.gif").n_frames == 4


def test_another_programs_run_or_checkpoint_is_refused_and_touches_nothing(
        tmp_path, synthetic, monkeypatch, capsys):
    out = tmp_path / "run"
    assert train(mnist_gan_cli, out, synthetic[1], "--steps", "2", "--sample-every", "0") == 0
    files = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    for flag in ("--resume", "--evaluate"):  # config.json names the program
        code, err = as_script("tf1_compat.mnist_wgan_cli", "mnist_wgan_tf1.py",
                              ["--out", out, flag], monkeypatch, capsys)
        assert code == 2 and err == (f"mnist_wgan_tf1.py: error: {flag}: {out} holds a run of "
                                     f"mnist_gan_tf1, not of mnist_wgan_tf1.py\n")
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == files
    # an intact checkpoint of another graph (resource variables would take its shapes)
    program, s8 = mnist_cgan_cli.CGANProgram(), make("S8")
    with s8.session() as sess:
        sess.run(s8.init)
        runner.checkpoints(out, program).save(
            99, lambda folder: s8.save(sess, folder),
            dict(iteration=99, data_position=0, grids=0, units_done=99, loss_rows=1))
    (out / "checkpoints" / "step_00000099").rename(out / "checkpoints" / "step_00000003")
    files = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(UsageError, match=r"cannot read the checkpoint .*step_00000003 \(not a "
                                         r"checkpoint of this program \(D_W1: expected shape "
                                         r"\[784, 128\], shape \[794, 128\]\)\)"):
        mnist_gan_cli.main(["--out", str(out), "--resume", "--steps", "4"])
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == files


def test_a_moved_data_file_resumes(tmp_path, synthetic, monkeypatch, capsys):
    """The data's checksum decides, not its path."""
    first, moved = tmp_path / "a" / "mnist.npz", tmp_path / "b" / "mnist.npz"
    first.parent.mkdir()
    moved.parent.mkdir()
    shutil.copy(synthetic[1], first)
    flags = ["--log-every", "1", "--sample-every", "0"]
    out = tmp_path / "run"
    assert train(mnist_cgan_cli, out, first, "--steps", "3", *flags) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["flags"]["data"] == str(first.resolve())  # usable from any folder
    first.rename(moved)
    code, err = as_script("tf1_compat.mnist_cgan_cli", "mnist_cgan_tf1.py",
                          ["--out", out, "--resume", "--steps", "6"], monkeypatch, capsys)
    assert code == 2 and err.count("\n") == 1 and "does not exist" in err
    assert mnist_cgan_cli.main(["--out", str(out), "--resume", "--steps", "6",
                            "--data", str(moved)]) == 0
    assert [int(r["step"]) for r in read_rows(out / "losses.csv")] == list(range(6))
    assert json.loads((out / "config.json").read_text())["flags"]["data"] == str(moved.resolve())
    other = tmp_path / "other.npz"
    x, y = synthetic[0].x_train[:100], synthetic[0].y_train[:100]
    write_npz(other, x, y, x, y)
    with pytest.raises(UsageError, match="not the data the run was trained on"):
        mnist_cgan_cli.main(["--out", str(out), "--resume", "--steps", "8", "--data", str(other)])


@pytest.mark.slow  # CI runs the slow suite too
def test_ctrl_c_saves_a_checkpoint_and_resume_continues(tmp_path, synthetic, script):
    out = tmp_path / "run"
    command = [sys.executable, str(Path(__file__).parents[1] / "scripts" /
                                   "mnist_gan_tf1.py"),
               "--data", str(synthetic[1]), "--out", str(out), "--validation-size", "0",
               "--steps", "100000", "--log-every", "1", "--metric-samples", "0"]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    for line in process.stdout:
        if line.startswith("Iter: 5") or time.time() > deadline:
            break
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Interrupted: checkpoint saved after step" in stdout and "--resume" in stdout
    stopped = int(stdout.split("checkpoint saved after step ")[1].split(";")[0])
    assert stopped >= 6
    assert (out / "checkpoints" / f"step_{stopped:08d}" / "model.index").is_file()
    assert [int(r["step"]) for r in read_rows(out / "losses.csv")] == list(range(stopped))
    assert mnist_gan_cli.main(["--out", str(out), "--resume", "--steps", str(stopped + 3)]) == 0
    assert [int(r["step"]) for r in read_rows(out / "losses.csv")] == list(range(stopped + 3))


@pytest.mark.parametrize("program, name, first_line", [
    pytest.param("S6", "mnist_gan_tf1.py", "Iter: 0", **SLOW_S6_S7),
    pytest.param("S7", "mnist_wgan_tf1.py", "Iter: 0; D loss: ", **SLOW_S6_S7),
    ("S8", "mnist_cgan_tf1.py", "Iter: 0"),
])
def test_script_end_to_end(tmp_path, synthetic, classifier, script, monkeypatch, capsys,
                           program, name, first_line):
    determinism = ["--deterministic"] if program == "S7" else []  # its stderr stays clean too
    result = script(name, "--data", synthetic[1], "--validation-size", "0", "--steps", "25",
                    "--seed", "2", *determinism,
                    "--log-every", "10", "--sample-every", "10", "--metric-samples", "300",
                    cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = tmp_path / "runs" / name[:-3]
    assert_only_run_files(out)  # --overwrite would remove every file of the run
    lines = result.stdout.splitlines()
    assert lines[0] == "Devices: CPU" and lines[1].startswith(first_line)
    if program != "S7":
        assert lines[1:5] == ["Iter: 0", lines[2], lines[3], ""]
        assert lines[2].startswith("D loss: ") and lines[3].startswith("G_loss: ")
    assert "Training the MNIST classifier" not in result.stdout  # cached by the fixture
    assert "Quality (300 samples)" in result.stdout
    assert [int(r["step"]) for r in read_rows(out / "losses.csv")] == [0, 10, 20]
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["000.png", "001.png",
                                                                   "002.png"]
    assert Image.open(out / "evolution.gif").n_frames == 3
    assert (out / "losses.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "checkpoints" / "step_00000025" / "model.index").is_file()
    config = json.loads((out / "config.json").read_text())
    assert config["program"] == name[:-3]
    assert config["trainable_parameters"] == PROGRAMS[program][2]
    assert config["data_source"]["checksum"] == config["data_checksum"] == synthetic[0].checksum
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("frechet_distance", "inception_score", "modes_covered", "kl_to_uniform",
                "class_histogram", "iterations", "train_seconds"):
        assert key in metrics
    assert metrics["iterations"] == 25 and metrics["samples"] == 300
    if program == "S8":
        assert 0 <= metrics["label_accuracy"] <= 1
        assert Image.open(out / "digits.png").size[0] > 600  # the 10x10 grid
        # the run in the default --out, with its flags: the samples of the end of training
        # (in this process: a second fresh one would double the test's time)
        monkeypatch.chdir(tmp_path)
        assert mnist_cgan_cli.main(["--evaluate", "--metric-samples", "300"]) == 0
        printed = capsys.readouterr().out
        assert "Evaluating runs/mnist_cgan_tf1/checkpoints/step_00000025 (step 25)" in \
            printed and "Quality (300 samples)" in printed
        after = json.loads((out / "metrics.json").read_text())
        evaluated = after.pop("evaluations")["step_00000025"]
        assert evaluated["steps_trained"] == 25 and evaluated["checkpoint"] == "step_00000025"
        assert evaluated["frechet_distance"] == pytest.approx(metrics["frechet_distance"])
        assert after == metrics  # the final metrics are kept
        assert_only_run_files(out)


# -- bad input -----------------------------------------------------------------------------

def test_missing_mnist_is_one_line_and_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty_keras"))
    out = tmp_path / "run"
    code, err = as_script("tf1_compat.mnist_gan_cli", "mnist_gan_tf1.py",
                          ["--out", out, "--steps", "3"], monkeypatch, capsys)
    assert code == 2 and err.startswith("mnist_gan_tf1.py: error: MNIST not found")
    assert err.count("\n") == 1 and "--download" in err
    assert not out.exists()


def corrupt(data, start):
    """`data` with an invalid deflate block at `start` (block type 11): zlib's own error."""
    data = bytearray(data)
    data[start] = 0x07
    return bytes(data)


@pytest.mark.parametrize("kind, message", [
    ("junk", "not a readable mnist.npz"),
    ("npz", "not a readable mnist.npz (Error -3 while decompressing data"),
    ("idx", "cannot read (Error -3 while decompressing data"),
    ("npy", "a .npy file with one array, not an mnist.npz"),
])
def test_bad_data_files_are_one_line(tmp_path, synthetic, monkeypatch, capsys, kind, message):
    import zipfile
    from gantools.mnist import write_idx_folder
    data, path = synthetic[0], tmp_path / "mnist.npz"
    if kind == "junk":
        path.write_bytes(b"\x00" * 100)
    elif kind == "npz":  # a compressed npz with corrupted bytes (was a zlib.error traceback)
        write_npz(path, data.x_train, data.y_train, data.x_test, data.y_test)
        raw, member = path.read_bytes(), zipfile.ZipFile(path).getinfo("x_train.npy")
        at = member.header_offset
        start = at + 30 + int.from_bytes(raw[at + 26:at + 28], "little") + \
            int.from_bytes(raw[at + 28:at + 30], "little")
        path.write_bytes(corrupt(raw, start))
    elif kind == "idx":  # a gzipped IDX file with corrupted bytes (the same)
        write_idx_folder(tmp_path / "idx", data)
        path = tmp_path / "idx" / "train-images-idx3-ubyte.gz"
        path.write_bytes(corrupt(path.read_bytes(), 10))  # after gzip's 10-byte header
    else:  # a plain .npy (was a TypeError traceback)
        path = tmp_path / "x.npy"
        np.save(path, data.x_train)
    given = path.parent if kind == "idx" else path
    code, err = as_script("tf1_compat.mnist_wgan_cli", "mnist_wgan_tf1.py",
                          ["--data", given, "--out", tmp_path / "run"], monkeypatch, capsys)
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"mnist_wgan_tf1.py: error: {path}: {message}")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("module, flags, message", [
    (mnist_cgan_cli, ["--digit", "12"], "a digit 0-9"),
    (mnist_wgan_cli, ["--n-critic", "0"], "--n-critic"),
    (mnist_wgan_cli, ["--lr", "nan"], "finite"),
    (mnist_gan_cli, ["--data", "x.npz", "--download"], "not allowed with"),
    (mnist_gan_cli, ["--steps", "-1"], "--steps"),
    (mnist_gan_cli, ["--resume", "--overwrite"], "cannot be combined"),
    (mnist_gan_cli, ["--evaluate", "--resume"], "--evaluate cannot be combined"),
])
def test_bad_flags(module, flags, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        module.main(flags)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1 and message in err


def test_evaluate_needs_a_run(tmp_path):
    with pytest.raises(UsageError, match="--evaluate: .* holds no run"):
        mnist_gan_cli.main(["--evaluate", "--out", str(tmp_path)])


# -- convergence (slow) --------------------------------------------------------------------

@pytest.mark.slow
def test_cgan_learns_the_requested_digits(tmp_path, monkeypatch):
    """10,000 iterations of S8 on 20,000 synthetic digits (about 2-3 minutes with the
    classifier's training). Measured: 61.0% and 39.7% of the samples classified as the
    requested digit in two runs (chance: 10%), 10 of 10 digits, Fréchet distance 33.5. The
    run is not --deterministic and a GAN amplifies float32 rounding, so the share varies
    from run to run: the check is that it is far above chance (2.5 times)."""
    from gantools.mnist import write_npz
    from synthetic_mnist import synthetic_mnist
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    data = synthetic_mnist(20000, 2000, seed=11)
    write_npz(tmp_path / "digits.npz", data.x_train, data.y_train, data.x_test, data.y_test)
    out = tmp_path / "run"
    assert mnist_cgan_cli.main(["--data", str(tmp_path / "digits.npz"), "--out", str(out),
                            "--steps", "10000", "--seed", "0"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["label_accuracy"] > 0.25 and metrics["modes_covered"] == 10
    assert metrics["frechet_distance"] < 100
