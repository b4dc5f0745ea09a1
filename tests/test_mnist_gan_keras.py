"""The blog's MNIST MLP GAN in Keras 3 (S5), on synthetic digits: no dropout by default (the
post's F.dropout did nothing on PyTorch 0.2), the written dropout with --dropout 0.2."""
import json
import math
import re
import shutil

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from conftest import assert_only_run_files, read_rows
from gantools.launch import run
from gantools.plots import SubplotGrid
from keras_models import mnist_gan as s5

PARAMETERS = {"generator": 293136, "discriminator": 267009}
LINE = re.compile(r"^(\d+)/(\d+)--(\d+)/(\d+): D: (\S+)/(\S+) G: (\S+)$")


def make(*flags):
    return s5.make_gan(s5.build_parser().parse_args(list(flags)))


def weights(model):
    return [w.copy() for w in model.get_weights()]


def changed(before, model):
    return any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def batch(n=64, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (n, 784)).astype(np.float32), s5.noise(rng, n)


# -- models --------------------------------------------------------------------------------

@pytest.mark.parametrize("flags, p", [([], 0.0), (["--dropout", "0.2"], 0.2)])
def test_parameter_counts_and_layers(flags, p):
    """The Dropout layers stand where the post calls F.dropout, with rate 0 (the identity,
    as F.dropout on PyTorch 0.2) unless --dropout is given."""
    gan = make(*flags)
    assert gan.trainable_parameters() == PARAMETERS
    assert [v.shape for v in gan.G.trainable_variables] == [
        (100, 256), (256,), (256, 256), (256,), (256, 784), (784,)]
    describe = lambda model: [(l.name, l.units, l.activation.__name__) if hasattr(l, "units")
                              else (l.name, l.rate) for l in model.layers[1:]]
    assert describe(gan.G) == [("fc1", 256, "relu"), ("dropout1", p),
                               ("fc2", 256, "relu"), ("dropout2", p),
                               ("fc3", 784, "tanh")]
    assert describe(gan.D) == [("fc1", 256, "relu"), ("dropout1", p),
                               ("fc2", 256, "relu"), ("dropout2", p),
                               ("fc3", 1, "sigmoid")]


def test_defaults_are_spec_decisions():
    args = s5.build_parser().parse_args([])
    assert (args.epochs, args.batch_size, args.lr, args.smooth, args.d_steps, args.g_steps,
            args.print_interval) == (100, 64, 2e-4, 0.1, 1, 1, 100)
    assert args.dropout_p == 0 and args.sample_dropout
    assert args.data is None and not args.download
    gan = s5.make_gan(args)
    for optimizer in (gan.d_optimizer, gan.g_optimizer):
        assert (float(optimizer.learning_rate), optimizer.beta_1, optimizer.beta_2,
                optimizer.epsilon) == (pytest.approx(2e-4), 0.5, 0.999, 1e-8)
    assert not s5.build_parser().parse_args(["--no-sample-dropout"]).sample_dropout


def test_initialisation_matches_pytorch_linear():
    """nn.Linear: weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)), std bound/sqrt(3)."""
    s5.keras.utils.set_random_seed(0)
    gan = make()
    for model in (gan.G, gan.D):
        for layer in model.layers:
            if not hasattr(layer, "kernel"):
                continue
            kernel, bias = np.asarray(layer.kernel), np.asarray(layer.bias)
            bound = 1 / math.sqrt(kernel.shape[0])
            assert np.abs(kernel).max() <= bound and np.abs(bias).max() <= bound
            assert np.all(bias != 0)  # not Keras's zero biases
            if bias.size >= 256:
                assert np.abs(bias).max() > 0.9 * bound
                assert bias.std() == pytest.approx(bound / math.sqrt(3), rel=0.15)
            if kernel.size > 10000:
                assert kernel.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
                assert abs(kernel.mean()) < 0.02 * bound
                assert np.abs(kernel).max() > 0.99 * bound


# -- one batch of fit ----------------------------------------------------------------------

def test_a_d_step_changes_only_d_and_a_g_step_only_g():
    gan = make()
    x, z = batch()
    g, d = weights(gan.G), weights(gan.D)
    tf.function(gan.train_d)(x, z)
    assert changed(d, gan.D) and not changed(g, gan.G)
    d = weights(gan.D)
    tf.function(gan.train_g)(z)
    assert changed(g, gan.G) and not changed(d, gan.D)


def test_smoothed_targets_on_a_discriminator_with_a_known_output():
    """D's last layer set to output p = 0.7 whatever it sees: the losses are then the BCE of
    the targets 0.9 (real, and G's step) and 0 (fake, the post's zeros(B, 0) fixed)."""
    gan = make()
    p = 0.7
    fc3 = gan.D.get_layer("fc3")
    fc3.kernel.assign(np.zeros((256, 1)))
    fc3.bias.assign([math.log(p / (1 - p))])
    x, z = batch()
    d_real_error, d_fake_error = (float(v) for v in tf.function(gan.train_d)(x, z))
    fc3.kernel.assign(np.zeros((256, 1)))
    fc3.bias.assign([math.log(p / (1 - p))])
    g_error = float(tf.function(gan.train_g)(z))
    smoothed = -(0.9 * math.log(p) + 0.1 * math.log(1 - p))
    assert d_real_error == pytest.approx(smoothed, rel=1e-5)
    assert g_error == pytest.approx(smoothed, rel=1e-5)
    assert d_fake_error == pytest.approx(-math.log(1 - p), rel=1e-5)
    decision = tf.zeros((64, 1))
    np.testing.assert_allclose(gan.target(decision), np.full((64, 1), 0.9))
    no_smoothing = make("--smooth", "0")
    np.testing.assert_allclose(no_smoothing.target(decision), np.ones((64, 1)))


@pytest.mark.parametrize("d_steps, g_steps", [(1, 1), (2, 3)])
def test_the_g_steps_reuse_the_d_steps_noise(d_steps, g_steps):
    gan = make("--d-steps", str(d_steps), "--g-steps", str(g_steps))
    seen = {"d": [], "g": []}
    train_d, train_g = gan.train_d, gan.train_g
    gan.train_d = lambda x, z: seen["d"].append(z) or train_d(x, z)
    gan.train_g = lambda z: seen["g"].append(z) or train_g(z)
    sums = gan.train_step(*batch()).numpy()  # traced: the recorded z are graph tensors
    assert len(seen["d"]) == d_steps and len(seen["g"]) == g_steps
    assert all(z is seen["d"][0] for z in seen["d"] + seen["g"])  # the same d_fake_input
    assert sums.shape == (3,) and np.all(sums > 0)


def test_no_dropout_by_default():
    """As the post's F.dropout on PyTorch 0.2: no random state, two GANs with the same
    weights train identically, and G in training mode is G in inference mode."""
    a, b = make(), make()
    assert s5.dropout_states(a.G) == s5.dropout_states(a.D) == []
    for source, target in [(a.G, b.G), (a.D, b.D)]:
        target.set_weights(source.get_weights())
    x, z = batch()
    np.testing.assert_array_equal(a.train_step(x, z), b.train_step(x, z))
    np.testing.assert_array_equal(a.G(z, training=True), a.G(z, training=False))


@pytest.mark.slow  # CI runs the slow suite too
def test_dropout_flag_makes_it_active_in_training():
    """With --dropout 0.2: two GANs with the same weights but other dropout states train
    differently; with the same states too, identically."""
    a, b = make("--dropout", "0.2"), make("--dropout", "0.2")
    for source, target in [(a.G, b.G), (a.D, b.D)]:
        target.set_weights(source.get_weights())
    x, z = batch()
    assert not np.allclose(a.train_step(x, z), b.train_step(x, z))
    c, d = make("--dropout", "0.2"), make("--dropout", "0.2")
    for source, target in [(c.G, d.G), (c.D, d.D)]:
        target.set_weights(source.get_weights())
        for mine, theirs in zip(s5.dropout_states(source), s5.dropout_states(target)):
            theirs.assign(mine)
    np.testing.assert_array_equal(c.train_step(x, z), d.train_step(x, z))


def test_without_dropout_sampling_is_deterministic():
    gan = make()
    z = s5.noise(np.random.default_rng(0), 25)
    first = gan.sampler(z, np.random.default_rng(1))
    np.testing.assert_array_equal(first, gan.sampler(z, np.random.default_rng(2)))
    gan.sample_dropout = False
    np.testing.assert_array_equal(first, gan.sampler(z, np.random.default_rng(3)))


def test_with_dropout_sampling_keeps_it_unless_no_sample_dropout():
    """--dropout 0.2: F.dropout ignores eval(), so sampling drops units too by default."""
    gan = make("--dropout", "0.2")
    z = s5.noise(np.random.default_rng(0), 25)
    states = [s.numpy().copy() for s in s5.dropout_states(gan.G)]
    rng = np.random.default_rng(1)
    first, second = gan.sampler(z, rng), gan.sampler(z, rng)
    assert first.shape == (25, 784) and np.abs(first).max() <= 1
    assert np.abs(first - second).max() > 1e-3  # the same noise, other dropout masks
    np.testing.assert_array_equal(first, gan.sampler(z, np.random.default_rng(1)))
    # sampling leaves the training stream's dropout state as it was
    for state, before in zip(s5.dropout_states(gan.G), states):
        np.testing.assert_array_equal(state.numpy(), before)
    gan.sample_dropout = False
    off = gan.sampler(z, np.random.default_rng(1))
    np.testing.assert_array_equal(off, gan.sampler(z, np.random.default_rng(2)))
    np.testing.assert_allclose(off, gan.G(z, training=False), atol=1e-6)


def test_gen_batch_gives_shuffled_full_batches_in_minus_one_to_one():
    real_x = np.arange(150, dtype=np.uint8).repeat(784).reshape(150, 28, 28)
    batches = list(s5.gen_batch(real_x, 64, np.random.default_rng(0)))
    assert len(batches) == 150 // 64 and all(b.shape == (64, 784) for b in batches)
    seen = np.concatenate([b[:, 0] for b in batches])
    assert len(np.unique(seen)) == 128  # no image twice in an epoch
    assert seen.min() >= -1 and seen.max() <= 1
    np.testing.assert_allclose(np.sort(seen)[:2], np.array([0, 1]) / 127.5 - 1, atol=2e-2)
    assert not np.array_equal(seen, np.sort(seen))  # shuffled
    again = np.concatenate([b[:, 0] for b in s5.gen_batch(real_x, 64,
                                                          np.random.default_rng(1))])
    assert not np.array_equal(seen, again)  # another epoch, another order


def test_subplot_grid_is_the_posts_figure(tmp_path):
    grid = SubplotGrid(5, 5, figsize=(7, 7))
    assert len(grid.figure.axes) == 25
    assert all(not ax.xaxis.get_visible() and not ax.yaxis.get_visible()
               for ax in grid.figure.axes)
    assert grid.images[0].get_cmap().name == "Greys_r"
    samples = np.random.default_rng(0).uniform(-1, 1, (25, 784))
    grid.save(tmp_path / "a.png", samples)
    assert Image.open(tmp_path / "a.png").size == (700, 700)
    with pytest.raises(ValueError, match="needs 25"):
        grid.save(tmp_path / "b.png", samples[:16])


# -- runs ----------------------------------------------------------------------------------

SMALL = ["--batch-size", "100", "--print-interval", "10", "--metric-samples", "0"]


def train(out, data, *flags):
    return s5.main(["--data", str(data), "--out", str(out), *SMALL, *map(str, flags)])


def test_script_end_to_end(tmp_path, synthetic, classifier, script):
    result = script("mnist_gan_keras.py", "--data", synthetic[1], "--epochs", "10",
                    "--batch-size", "100", "--print-interval", "10", "--metric-samples",
                    "300", "--seed", "3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = tmp_path / "runs" / "mnist_gan_keras"
    assert_only_run_files(out)  # --overwrite would remove every file of the run
    lines = result.stdout.splitlines()
    assert lines[0] == "Devices: CPU"
    printed = [LINE.match(line) for line in lines if LINE.match(line)]
    assert [(m[1], m[2], m[3], m[4]) for m in printed[:4]] == [
        ("0", "10", "9", "40"), ("0", "10", "19", "40"), ("0", "10", "29", "40"),
        ("0", "10", "39", "40")]
    assert len(printed) == 40
    assert "Training the MNIST classifier" not in result.stdout  # cached by the fixture
    assert "Quality (300 samples)" in result.stdout
    log = read_rows(out / "losses.csv")
    assert len(log) == 40 and list(log[0]) == s5.LOSS_COLUMNS
    assert [float(log[0][k]) for k in ("d_real_error", "d_fake_error", "g_error")] == [
        float(v) for v in printed[0].groups()[4:]]
    assert [int(r["iteration"]) for r in log[:5]] == [10, 20, 30, 40, 50]
    frames = sorted(p.name for p in (out / "samples").iterdir())
    assert frames == ["epoch_%03d.png" % e for e in range(10)]
    for name in frames[:1] + ["../losses.png"]:
        assert (out / "samples" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert Image.open(out / "samples" / frames[0]).size == (700, 700)
    assert (out / "evolution.gif").read_bytes()[:6] == b"GIF89a"
    assert Image.open(out / "evolution.gif").n_frames == 10
    assert sorted(p.name for p in (out / "models").iterdir()) == [
        "discriminator_epoch_009.keras", "generator_epoch_009.keras"]
    assert (out / "checkpoints" / "ckpt-10.index").is_file()
    config = json.loads((out / "config.json").read_text())
    assert config["trainable_parameters"] == PARAMETERS
    assert (config["epochs"], config["batch_size"], config["betas"], config["smooth"],
            config["dropout_p"], config["sample_dropout"]) == (10, 100, [0.5, 0.999], 0.1,
                                                               0.0, True)
    assert config["data_source"]["checksum"] == synthetic[0].checksum
    assert config["data_source"]["batches_per_epoch"] == 40
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("frechet_distance", "inception_score", "modes_covered", "class_histogram",
                "train_seconds", "seconds_per_epoch"):
        assert key in metrics
    assert metrics["epochs"] == 10 and metrics["samples"] == 300 and metrics["sample_dropout"]

    # --evaluate: the run's seed and sampling, the same numbers as at the end of training,
    # from the latest checkpoint and from the last saved generator (the same weights)
    for target, name in [(out, "evaluation-ckpt-10.json"),
                         (out / "models" / "generator_epoch_009.keras",
                          "evaluation-generator_epoch_009.json")]:
        assert s5.main(["--evaluate", str(target), "--metric-samples", "300"]) == 0
        saved = json.loads((out / name).read_text())
        assert saved["frechet_distance"] == pytest.approx(metrics["frechet_distance"],
                                                          rel=1e-4)
    # without dropout (the default) the two sampling modes draw the same images
    assert s5.main(["--evaluate", str(out), "--metric-samples", "300",
                    "--no-sample-dropout"]) == 0
    without = json.loads((out / "evaluation-ckpt-10-no-sample-dropout.json").read_text())
    assert not without["sample_dropout"]
    assert without["frechet_distance"] == pytest.approx(metrics["frechet_distance"], rel=1e-4)


def test_resume_gives_the_same_run_as_a_straight_one(tmp_path, synthetic):
    data = synthetic[1]
    flags = ["--deterministic", "--seed", "5"]
    assert train(tmp_path / "straight", data, "--epochs", "4", *flags) == 0
    assert train(tmp_path / "split", data, "--epochs", "2", *flags) == 0
    assert s5.main(["--out", str(tmp_path / "split"), "--resume", "--epochs", "4"]) == 0
    straight, split = tmp_path / "straight", tmp_path / "split"
    assert (straight / "losses.csv").read_bytes() == (split / "losses.csv").read_bytes()
    assert [int(r["epoch"]) for r in read_rows(split / "losses.csv")] == [0] * 4 + [1] * 4 + \
        [2] * 4 + [3] * 4
    for epoch in range(4):  # the figures too: sampling never touches the training stream
        name = "samples/epoch_%03d.png" % epoch
        assert (straight / name).read_bytes() == (split / name).read_bytes()
    config = json.loads((split / "config.json").read_text())
    assert config["epochs"] == 4 and config["seed"] == 5 and config["batch_size"] == 100
    assert json.loads((split / "metrics.json").read_text())["epochs_this_session"] == 2


@pytest.mark.slow  # CI runs the slow suite too
def test_ctrl_c_finishes_the_epoch_and_resume_continues(tmp_path, synthetic, monkeypatch):
    class Interrupted(s5.StopRequest):
        def __enter__(self):
            self.requested = True  # as if Ctrl-C came during the first epoch
            return self

    monkeypatch.setattr(s5, "StopRequest", Interrupted)
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        train(out, synthetic[1], "--epochs", "3")
    assert sorted(p.name for p in (out / "checkpoints").glob("*.index")) == ["ckpt-1.index"]
    assert {r["epoch"] for r in read_rows(out / "losses.csv")} == {"0"}
    monkeypatch.undo()
    assert s5.main(["--out", str(out), "--resume"]) == 0
    assert [r["epoch"] for r in read_rows(out / "losses.csv")] == ["0"] * 4 + ["1"] * 4 + ["2"] * 4


def test_resume_refuses_other_flags_and_damaged_checkpoints(tmp_path, synthetic):
    out = tmp_path / "run"
    assert train(out, synthetic[1], "--epochs", "2") == 0
    with pytest.raises(s5.UsageError, match="--batch-size 64 differs from the run's 100"):
        s5.main(["--out", str(out), "--resume", "--batch-size", "64", "--epochs", "3"])
    with pytest.raises(s5.UsageError, match="--no-sample-dropout|--sample-dropout"):
        s5.main(["--out", str(out), "--resume", "--no-sample-dropout", "--epochs", "3"])
    with pytest.raises(s5.UsageError, match="--dropout 0.2 differs from the run's 0.0"):
        s5.main(["--out", str(out), "--resume", "--dropout", "0.2", "--epochs", "3"])
    with pytest.raises(s5.UsageError, match="past --epochs 1"):
        s5.main(["--out", str(out), "--resume", "--epochs", "1"])
    with pytest.raises(s5.UsageError, match="choose one"):
        s5.main(["--out", str(out), "--resume", "--overwrite"])
    with pytest.raises(s5.UsageError, match="no run to resume"):
        s5.main(["--out", str(tmp_path / "empty"), "--resume"])
    damaged = tmp_path / "damaged"
    shutil.copytree(out, damaged)
    for path in (damaged / "checkpoints").glob("ckpt-2.data-*"):
        path.write_bytes(path.read_bytes()[:1000])
    config = (damaged / "config.json").read_bytes()
    with pytest.raises(s5.UsageError, match="cannot read the checkpoint .*ckpt-2"):
        s5.main(["--out", str(damaged), "--resume", "--epochs", "3"])
    assert (damaged / "config.json").read_bytes() == config
    with pytest.raises(s5.UsageError, match="no checkpoint"):
        s5.main(["--evaluate", str(tmp_path / "empty")])
    with pytest.raises(s5.UsageError, match="--evaluate: cannot read checkpoint .*ckpt-2"):
        s5.main(["--evaluate", str(damaged)])


@pytest.mark.slow  # 13 s; CI runs the slow suite too
def test_evaluate_builds_the_runs_dropout(tmp_path, synthetic, classifier):
    """--evaluate of a --dropout 0.2 run restores its checkpoint (Dropout layers with random
    state) and samples with its dropout, as at the end of training."""
    out = tmp_path / "run"
    assert train(out, synthetic[1], "--epochs", "1", "--dropout", "0.2") == 0
    assert s5.main(["--evaluate", str(out), "--metric-samples", "300"]) == 0
    assert s5.main(["--evaluate", str(out), "--metric-samples", "300",
                    "--no-sample-dropout"]) == 0
    drop = json.loads((out / "evaluation-ckpt-1.json").read_text())
    keep = json.loads((out / "evaluation-ckpt-1-no-sample-dropout.json").read_text())
    assert drop["frechet_distance"] != pytest.approx(keep["frechet_distance"], rel=1e-4)


def test_evaluate_refuses_a_discriminator(tmp_path):
    path = tmp_path / "models" / "discriminator_epoch_009.keras"
    path.parent.mkdir()
    make().D.save(path)
    with pytest.raises(s5.UsageError, match="not a generator of this program"):
        s5.main(["--evaluate", str(path)])


# -- bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize("flags, message", [
    (["--epochs", "0"], "--epochs"), (["--smooth", "1"], "[0, 1)"),
    (["--smooth", "-0.1"], "[0, 1)"), (["--batch-size", "x"], "--batch-size"),
    (["--lr", "0"], "--lr"), (["--d-steps", "0"], "--d-steps"),
    (["--data", "x.npz", "--download"], "not allowed with"), (["--sample-dropout"], ""),
    (["--dropout", "1"], "[0, 1)")])
def test_bad_flags_exit_2_with_one_line(flags, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        s5.main(flags)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1 and message in err


def test_missing_or_too_small_data_is_one_line_and_writes_nothing(tmp_path, monkeypatch,
                                                                   capsys, synthetic):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty_keras"))
    out = tmp_path / "run"
    assert run("keras_models.mnist_gan", ["--out", str(out), "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "MNIST not found" in err and "--download" in err
    assert not out.exists()
    assert run("keras_models.mnist_gan", ["--data", str(synthetic[1]), "--out", str(out),
                                          "--batch-size", "5000"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "larger than the training set" in err
    assert not out.exists()


# -- convergence (slow) --------------------------------------------------------------------

@pytest.mark.slow
def test_twenty_epochs_learn_most_digits(tmp_path, monkeypatch):
    """20 of the 100 default epochs (no dropout) on 20,000 synthetic digits (about 2 minutes
    with the classifier's training on a free CPU). Measured: Fréchet distance 106.9,
    Inception Score 4.25, 9 of 10 digits (a full 100-epoch run: 34.0, 6.55, 9 of 10;
    README)."""
    from gantools.mnist import write_npz
    from synthetic_mnist import synthetic_mnist
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    data = synthetic_mnist(20000, 2000, seed=11)
    write_npz(tmp_path / "digits.npz", data.x_train, data.y_train, data.x_test, data.y_test)
    out = tmp_path / "run"
    assert s5.main(["--data", str(tmp_path / "digits.npz"), "--out", str(out),
                    "--epochs", "20", "--seed", "0"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["modes_covered"] >= 8 and metrics["inception_score"] > 3.5
    assert metrics["frechet_distance"] < 150
