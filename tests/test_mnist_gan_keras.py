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
from gantools.run import runner
from gantools import training
from gantools.run.cli import UsageError
from gantools.run.launch import run
from keras_models import mnist_gan as s5
from keras_models import mnist_gan_extras as s5x
from keras_models import mnist_gan_cli as s5_cli

PARAMETERS = {"generator": 293136, "discriminator": 267009}
LINE = re.compile(r"^(\d+)/(\d+)--(\d+)/(\d+): D: (\S+)/(\S+) G: (\S+)$")


def make(**options):
    return s5.GAN(**options)


def count(model):
    return int(sum(np.prod(v.shape) for v in model.trainable_variables))


def weights(model):
    return [w.copy() for w in model.get_weights()]


def changed(before, model):
    return any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def batch(n=64, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (n, 784)).astype(np.float32), s5.noise(rng, n)


def parse(*flags):
    return runner.build_parser(s5_cli.MnistGAN()).parse_args(list(flags))


# -- models --------------------------------------------------------------------------------

@pytest.mark.parametrize("p", [0.0, 0.2])
def test_parameter_counts_and_layers(p):
    """The Dropout layers stand where the post calls F.dropout, with rate 0 (the identity,
    as F.dropout on PyTorch 0.2) unless --dropout is given."""
    gan = make(dropout=p)
    assert {"generator": count(gan.G), "discriminator": count(gan.D)} == PARAMETERS
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
    args = parse()
    assert (args.epochs, args.batch_size, args.lr, args.smooth, args.d_steps, args.g_steps,
            args.print_interval) == (100, 64, 2e-4, 0.1, 1, 1, 100)
    assert args.dropout == 0 and args.sample_dropout
    assert args.data is None and not args.download
    gan = make(lr=args.lr)
    for optimizer in (gan.d_optimizer, gan.g_optimizer):
        assert (float(optimizer.learning_rate), optimizer.beta_1, optimizer.beta_2,
                optimizer.epsilon) == (pytest.approx(2e-4), 0.5, 0.999, 1e-8)
    assert not parse("--no-sample-dropout").sample_dropout


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

def test_smoothed_targets_and_which_net_each_step_changes():
    """D's last layer set to output p = 0.7 whatever it sees: the losses are then the BCE of
    the targets 0.9 (real, and G's step) and 0 (fake, the post's zeros(B, 0) fixed). A D
    step changes D and not G, a G step not D (and G: see the next test)."""
    p = 0.7
    x, z = batch()

    def errors(trained, kept, **steps):
        gan = make(**steps)
        fc3 = gan.D.get_layer("fc3")
        fc3.kernel.assign(np.zeros((256, 1)))
        fc3.bias.assign([math.log(p / (1 - p))])
        before = {"G": weights(gan.G), "D": weights(gan.D)}
        sums = gan.train_batch(x, z).numpy()
        assert trained == "G" or changed(before["D"], gan.D)  # (G sees no gradient here)
        assert not changed(before[kept], getattr(gan, kept))
        return sums

    d_real_error, d_fake_error, nothing = errors("D", "G", d_steps=1, g_steps=0)
    g_error = errors("G", "D", d_steps=0, g_steps=1)[2]
    smoothed = -(0.9 * math.log(p) + 0.1 * math.log(1 - p))
    assert d_real_error == pytest.approx(smoothed, rel=1e-5) and nothing == 0
    assert g_error == pytest.approx(smoothed, rel=1e-5)
    assert d_fake_error == pytest.approx(-math.log(1 - p), rel=1e-5)
    decision = tf.zeros((64, 1))
    np.testing.assert_allclose(make().target(decision), np.full((64, 1), 0.9))
    np.testing.assert_allclose(make(smooth=0).target(decision), np.ones((64, 1)))


class Recording:
    """A model that records what it is called on (graph tensors, inside train_batch)."""

    def __init__(self, model):
        self.model, self.inputs = model, []

    def __call__(self, x, **kwargs):
        self.inputs.append(x)
        return self.model(x, **kwargs)

    def __getattr__(self, name):
        return getattr(self.model, name)


def test_the_g_steps_reuse_the_d_steps_noise(d_steps=2, g_steps=3):
    gan = make(d_steps=d_steps, g_steps=g_steps)
    gan.G = Recording(gan.G)
    before = weights(gan.G)
    sums = gan.train_batch(*batch()).numpy()  # traced: the recorded inputs are graph tensors
    assert len(gan.G.inputs) == d_steps + g_steps  # G's output for D, then G's steps
    assert all(z is gan.G.inputs[0] for z in gan.G.inputs)  # the same d_fake_input
    assert sums.shape == (3,) and np.all(sums > 0) and changed(before, gan.G)


def test_no_dropout_by_default():
    """As the post's F.dropout on PyTorch 0.2: no random state, two GANs with the same
    weights train identically, and G in training mode is G in inference mode."""
    a, b = make(), make()
    assert s5.dropout_states(a.G) == s5.dropout_states(a.D) == []
    for source, target in [(a.G, b.G), (a.D, b.D)]:
        target.set_weights(source.get_weights())
    x, z = batch()
    np.testing.assert_array_equal(a.train_batch(x, z), b.train_batch(x, z))
    np.testing.assert_array_equal(a.G(z, training=True), a.G(z, training=False))


@pytest.mark.slow  # CI runs the slow suite too
def test_dropout_flag_makes_it_active_in_training():
    """With --dropout 0.2: two GANs with the same weights but other dropout states train
    differently; with the same states too, identically."""
    a, b = make(dropout=0.2), make(dropout=0.2)
    for source, target in [(a.G, b.G), (a.D, b.D)]:
        target.set_weights(source.get_weights())
    x, z = batch()
    assert not np.allclose(a.train_batch(x, z), b.train_batch(x, z))
    c, d = make(dropout=0.2), make(dropout=0.2)
    for source, target in [(c.G, d.G), (c.D, d.D)]:
        target.set_weights(source.get_weights())
        for mine, theirs in zip(s5.dropout_states(source), s5.dropout_states(target)):
            theirs.assign(mine)
    np.testing.assert_array_equal(c.train_batch(x, z), d.train_batch(x, z))


def test_without_dropout_sampling_is_deterministic():
    gan = make()
    z = s5.noise(np.random.default_rng(0), 25)
    first = gan.sampler(z, np.random.default_rng(1))
    np.testing.assert_array_equal(first, gan.sampler(z, np.random.default_rng(2)))
    gan.sample_dropout = False
    np.testing.assert_array_equal(first, gan.sampler(z, np.random.default_rng(3)))


def test_with_dropout_sampling_keeps_it_unless_no_sample_dropout():
    """--dropout 0.2: F.dropout ignores eval(), so sampling drops units too by default."""
    gan = make(dropout=0.2)
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


def test_show_sample_img_is_the_posts_figure(tmp_path):
    samples = np.random.default_rng(0).uniform(-1, 1, (25, 784))
    grid = s5.show_sample_img(samples, tmp_path / "a.png")
    assert len(grid.figure.axes) == 25
    assert all(not ax.xaxis.get_visible() and not ax.yaxis.get_visible()
               for ax in grid.figure.axes)
    assert grid.images[0].get_cmap().name == "Greys_r"
    assert Image.open(tmp_path / "a.png").size == (700, 700)
    assert s5.show_sample_img(samples, tmp_path / "b.png", grid) is grid  # reused
    with pytest.raises(ValueError, match="needs 25"):
        s5.show_sample_img(samples[:16], tmp_path / "c.png", grid)


def test_tanh_to_pixels_maps_minus_one_to_one_onto_zero_to_one():
    np.testing.assert_allclose(s5x.tanh_to_pixels([[-1.0, 0.0, 1.0]]), [[0.0, 0.5, 1.0]])


# -- runs ----------------------------------------------------------------------------------

SMALL = ["--batch-size", "100", "--print-interval", "10", "--metric-samples", "0"]


@pytest.fixture(scope="module")
def small(synthetic, tmp_path_factory):
    """The first 1000 training images of the synthetic set: 10 batches of 100 an epoch."""
    from gantools.mnist import write_npz
    data = synthetic[0]
    path = tmp_path_factory.mktemp("small") / "mnist.npz"
    write_npz(path, data.x_train[:1000], data.y_train[:1000], data.x_test[:200],
              data.y_test[:200])
    return path


def train(out, data, *flags):
    return s5_cli.main(["--data", str(data), "--out", str(out), *SMALL, *map(str, flags)])


def evaluate(out, *flags, checkpoint=None):
    """--evaluate [CHECKPOINT] of the run in `out`: its exit code."""
    return s5_cli.main(["--out", str(out), "--evaluate", *([str(checkpoint)] if checkpoint
                                                           else []), *map(str, flags)])


def test_script_end_to_end(tmp_path, synthetic, classifier, script):
    result = script("mnist_gan_keras.py", "--data", synthetic[1], "--epochs", "2",
                    "--batch-size", "100", "--print-interval", "10", "--metric-samples",
                    "300", "--seed", "3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = tmp_path / "runs" / "mnist_gan_keras"
    assert_only_run_files(out)  # --overwrite would remove every file of the run
    lines = result.stdout.splitlines()
    assert lines[0] == "Devices: CPU" and lines[-1] == "Wrote runs/mnist_gan_keras"
    printed = [LINE.match(line) for line in lines if LINE.match(line)]
    assert [(m[1], m[2], m[3], m[4]) for m in printed[:5]] == [
        ("0", "2", "9", "40"), ("0", "2", "19", "40"), ("0", "2", "29", "40"),
        ("0", "2", "39", "40"), ("1", "2", "9", "40")]
    assert len(printed) == 8
    assert "Training the MNIST classifier" not in result.stdout  # cached by the fixture
    assert "Quality (300 samples)" in result.stdout
    log = read_rows(out / "losses.csv")
    assert len(log) == 8 and tuple(log[0]) == s5_cli.MnistGAN.loss_columns
    assert [float(log[0][k]) for k in ("d_real_error", "d_fake_error", "g_error")] == [
        float(v) for v in printed[0].groups()[4:]]
    assert [int(r["iteration"]) for r in log[:5]] == [10, 20, 30, 40, 50]
    frames = sorted(p.name for p in (out / "samples").iterdir())
    assert frames == ["epoch_000.png", "epoch_001.png"]
    for name in frames[:1] + ["../losses.png"]:
        assert (out / "samples" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert Image.open(out / "samples" / frames[0]).size == (700, 700)
    assert (out / "evolution.gif").read_bytes()[:6] == b"GIF89a"
    assert Image.open(out / "evolution.gif").n_frames == 2
    assert not (out / "models").exists()  # save_model: every 10 epochs
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == [
        "batch_00000000", "batch_00000040", "batch_00000080"]  # every epoch
    config = json.loads((out / "config.json").read_text())
    assert config["program"] == "mnist_gan_keras"
    assert config["trainable_parameters"] == PARAMETERS
    flags = config["flags"]
    assert (flags["epochs"], flags["batch_size"], flags["smooth"], flags["dropout"],
            flags["sample_dropout"], flags["seed"]) == (2, 100, 0.1, 0.0, True, 3)
    assert config["betas"] == [0.5, 0.999] and config["adam_epsilon"] == 1e-8
    assert config["data_checksum"] == synthetic[0].checksum
    assert config["data_source"]["batches_per_epoch"] == 40
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("frechet_distance", "inception_score", "modes_covered", "class_histogram",
                "train_seconds"):
        assert key in metrics
    assert metrics["epochs"] == 2 and metrics["samples"] == 300 and metrics["sample_dropout"]

    # --evaluate: the run's seed and sampling, the same numbers as at the end of training,
    # into metrics.json beside the training's metrics; one checkpoint folder: its own
    assert evaluate(out, "--metric-samples", "300") == 0
    assert evaluate(out, "--metric-samples", "300",
                    checkpoint=out / "checkpoints" / "batch_00000040") == 0
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["frechet_distance"] == metrics["frechet_distance"]  # kept
    latest, first = saved["evaluations"]["batch_00000080"], saved["evaluations"][
        "batch_00000040"]
    assert latest["frechet_distance"] == pytest.approx(metrics["frechet_distance"], rel=1e-4)
    assert (latest["batches_trained"], first["batches_trained"]) == (80, 40)
    # without dropout (the default) the two sampling modes draw the same images
    assert evaluate(out, "--metric-samples", "300", "--no-sample-dropout") == 0
    without = json.loads((out / "metrics.json").read_text())["evaluations"][
        "batch_00000080-no-sample-dropout"]
    assert not without["sample_dropout"]
    assert without["frechet_distance"] == pytest.approx(metrics["frechet_distance"], rel=1e-4)
    assert_only_run_files(out)


class CtrlC(training.StopRequest):
    def __enter__(self):
        self.requested = True  # as if Ctrl-C came during the first batch
        return self


def test_ctrl_c_and_resume_give_the_same_run_as_a_straight_one(tmp_path, small,
                                                                monkeypatch):
    """A 1-epoch run stopped by Ctrl-C after its first batch (a checkpoint mid-epoch: the
    loss sums and the noise generator's state), resumed to 2 epochs: the losses, figures
    and metrics of a straight 2-epoch run."""
    flags = ["--deterministic", "--seed", "5", "--print-interval", "3"]
    straight, split = tmp_path / "straight", tmp_path / "split"
    assert train(straight, small, "--epochs", "2", *flags) == 0
    monkeypatch.setattr(training, "StopRequest", CtrlC)
    with pytest.raises(KeyboardInterrupt):
        train(split, small, "--epochs", "1", *flags)
    monkeypatch.undo()
    assert sorted(p.name for p in (split / "checkpoints").iterdir()) == [
        "batch_00000000", "batch_00000001"]
    state = json.loads((split / "checkpoints" / "batch_00000001" / "checkpoint.json")
                       .read_text())
    assert state["units_done"] == 1 and state["loss_rows"] == 0
    assert state["noise_rng"]["bit_generator"] == "PCG64" and state["loss_sums"][0] > 0
    with (split / "losses.csv").open("a") as f:
        f.write("0,2,3,1,1,1\n")  # a row written after the checkpoint, before a crash
    assert s5_cli.main(["--out", str(split), "--resume", "--epochs", "2"]) == 0
    assert (straight / "losses.csv").read_bytes() == (split / "losses.csv").read_bytes()
    assert [int(r["epoch"]) for r in read_rows(split / "losses.csv")] == [0, 0, 0, 1, 1, 1]
    for epoch in range(2):  # the figures too: sampling never touches the training stream
        name = "samples/epoch_%03d.png" % epoch
        assert (straight / name).read_bytes() == (split / name).read_bytes()
    without_time = lambda path: {k: v for k, v in json.loads(path.read_text()).items()
                                 if k != "train_seconds"}
    assert without_time(straight / "metrics.json") == without_time(split / "metrics.json")
    config = json.loads((split / "config.json").read_text())
    assert config["flags"]["epochs"] == 2 and config["flags"]["seed"] == 5
    assert config["flags"]["batch_size"] == 100 and len(config["resumed"]) == 1


@pytest.mark.slow  # CI runs the slow suite too
def test_a_damaged_newest_checkpoint_is_skipped_for_the_one_before(tmp_path, small,
                                                                   capsys):
    flags = ["--deterministic", "--print-interval", "3"]
    straight, damaged = tmp_path / "straight", tmp_path / "damaged"
    assert train(straight, small, "--epochs", "2", *flags) == 0
    shutil.copytree(straight, damaged)
    (damaged / "metrics.json").unlink()  # as if killed before the end
    for path in (damaged / "checkpoints" / "batch_00000020").glob("state.data-*"):
        path.write_bytes(path.read_bytes()[:1000])
    capsys.readouterr()
    assert s5_cli.main(["--out", str(damaged), "--resume"]) == 0
    out = capsys.readouterr().out
    assert "Skipping the damaged checkpoint" in out and "after batch 10 of 20" in out
    assert (damaged / "losses.csv").read_bytes() == (straight / "losses.csv").read_bytes()


def test_resume_refusals_and_saved_models(tmp_path, synthetic, classifier, monkeypatch,
                                          capsys):
    monkeypatch.setattr(s5, "save_every", 1)  # save_model after every epoch, not every 10
    out = tmp_path / "run"
    assert train(out, synthetic[1], "--epochs", "1", "--deterministic",
                 "--metric-samples", "300") == 0
    for flags, message in [(["--batch-size", "64"], "--batch-size 64 differs from the "
                                                    "run's 100"),
                           (["--no-sample-dropout"], "--no-sample-dropout False differs"),
                           (["--dropout", "0.2"], "--dropout 0.2 differs from the run's 0.0"),
                           (["--epochs", "1"], "has already trained 40 batch")]:
        with pytest.raises(UsageError, match=message):
            s5_cli.main(["--out", str(out), "--resume", *flags])
    with pytest.raises(UsageError, match="no run to resume"):
        s5_cli.main(["--out", str(tmp_path / "empty"), "--resume"])
    with pytest.raises(SystemExit):
        s5_cli.main(["--out", str(out), "--resume", "--overwrite"])
    assert "cannot be combined" in capsys.readouterr().err
    # --evaluate reads checkpoints only (save_model's files load with keras.saving)
    assert sorted(p.name for p in (out / "models").iterdir()) == [
        "discriminator_epoch_000.keras", "generator_epoch_000.keras"]
    with pytest.raises(UsageError, match="--evaluate: .*generator_epoch_000.keras is not one "
                                         "of the checkpoints in"):
        evaluate(out, checkpoint=out / "models" / "generator_epoch_000.keras")
    with pytest.raises(UsageError, match="--evaluate: .*empty holds no run"):
        evaluate(tmp_path / "empty")
    with pytest.raises(UsageError, match="--evaluate: --dropout 0.2 differs from the run's"):
        evaluate(out, "--dropout", "0.2")


@pytest.mark.slow  # 13 s; CI runs the slow suite too
def test_evaluate_builds_the_runs_dropout(tmp_path, synthetic, classifier):
    """--evaluate of a --dropout 0.2 run restores its checkpoint (Dropout layers with random
    state) and samples with its dropout, as at the end of training."""
    out = tmp_path / "run"
    assert train(out, synthetic[1], "--epochs", "1", "--dropout", "0.2") == 0
    assert evaluate(out, "--metric-samples", "300") == 0
    assert evaluate(out, "--metric-samples", "300", "--no-sample-dropout") == 0
    evaluations = json.loads((out / "metrics.json").read_text())["evaluations"]
    drop = evaluations["batch_00000040"]
    keep = evaluations["batch_00000040-no-sample-dropout"]
    assert drop["frechet_distance"] != pytest.approx(keep["frechet_distance"], rel=1e-4)


# -- bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize("flags, message", [
    (["--epochs", "0"], "--epochs"), (["--smooth", "1"], "[0, 1)"),
    (["--smooth", "-0.1"], "[0, 1)"), (["--batch-size", "x"], "--batch-size"),
    (["--lr", "0"], "--lr"), (["--lr", "nan"], "finite"), (["--d-steps", "0"], "--d-steps"),
    (["--data", "x.npz", "--download"], "not allowed with"), (["--sample-dropout"], ""),
    (["--dropout", "1"], "[0, 1)")])
def test_bad_flags_exit_2_with_one_line(flags, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        s5_cli.main(flags)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1 and message in err


def test_missing_or_too_small_data_is_one_line_and_writes_nothing(tmp_path, monkeypatch,
                                                                   capsys, synthetic):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty_keras"))
    out = tmp_path / "run"
    assert run("keras_models.mnist_gan_cli", ["--out", str(out), "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "MNIST not found" in err and "--download" in err
    assert not out.exists()
    assert run("keras_models.mnist_gan_cli", ["--data", str(synthetic[1]), "--out", str(out),
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
    assert s5_cli.main(["--data", str(tmp_path / "digits.npz"), "--out", str(out),
                    "--epochs", "20", "--seed", "0"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["modes_covered"] >= 8 and metrics["inception_score"] > 3.5
    assert metrics["frechet_distance"] < 150


@pytest.mark.slow
def test_a_saved_generator_loads_in_a_process_that_never_imported_the_project(tmp_path,
                                                                              small):
    """models/generator_epoch_NNN.keras with only Keras imported (the S5 page's snippet):
    no custom object is needed, and nothing of this project gets imported."""
    import subprocess
    import sys
    assert train(tmp_path / "run", small, "--epochs", "10") == 0
    code = ("import sys, keras, numpy\n"
            "G = keras.saving.load_model('run/models/generator_epoch_009.keras')\n"
            "print(G(numpy.zeros((3, 100), 'float32')).shape)\n"
            "print(sorted({m.split('.')[0] for m in sys.modules}\n"
            "             & {'gantools', 'keras_models', 'tf1_compat'}))\n")
    loaded = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300)
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert loaded.stdout.split("\n")[-3:-1] == ["(3, 784)", "[]"]
