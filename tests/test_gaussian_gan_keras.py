"""The blog's 1-D N(4, 1.25) GAN in Keras 3 (S4)."""
import json
import math
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from scipy import stats

from gantools.run import runner
from gantools.torch_compat import torch_linear
from gantools.run.cli import UsageError
from gantools.run.rundir import file_checksum, seed_everything
from gantools.schedules import LateDecay
from keras_models import gaussian_gan as s4
from keras_models import gaussian_gan_extras as s4x
from keras_models import gaussian_gan_stable as s4s
from keras_models import gaussian_gan_cli as s4_cli
from conftest import SCRIPTS, assert_only_run_files


def make(preprocess="variances", seed=0):
    seed_everything(seed)
    return s4.GAN(seed=seed, preprocess=preprocess)


def weights(model):
    return [w.copy() for w in model.get_weights()]


def changed(before, model):
    return any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


# -- models --------------------------------------------------------------------------------

@pytest.mark.parametrize("preprocess, d_params", [
    ("variances", 12651), ("diffs", 12651), ("raw", 7651), ("moments", 2851)])
def test_parameter_counts(preprocess, d_params):
    gan = make(preprocess)
    assert (gan.G.count_params(), gan.D.count_params()) == (2701, d_params)


def test_layers_and_activations_follow_the_post():
    gan = make()
    assert [(l.name, l.units, l.activation.__name__) for l in gan.G.layers[1:]] == [
        ("fc1", 50, "elu"), ("fc2", 50, "sigmoid"), ("fc3", 1, "linear")]
    assert [(l.name, l.units, l.activation.__name__) for l in gan.D.layers[1:]] == [
        ("fc1", 50, "elu"), ("fc2", 50, "elu"), ("fc3", 1, "sigmoid")]
    assert gan.D.input_shape == (None, 200)


def test_initialisation_matches_pytorch_linear():
    """nn.Linear: weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)), std bound/sqrt(3)."""
    s4.keras.utils.set_random_seed(0)
    layer = torch_linear(200, 2000)
    layer.build((None, 200))
    bound = 1 / math.sqrt(200)
    kernel, bias = (np.asarray(v) for v in layer.weights)
    assert np.abs(kernel).max() <= bound and np.abs(kernel).max() > 0.99 * bound
    assert kernel.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)
    assert abs(kernel.mean()) < 0.01 * bound
    assert np.abs(bias).max() <= bound and bias.std() == pytest.approx(bound / math.sqrt(3),
                                                                        rel=0.05)
    gan = make()
    for model in (gan.G, gan.D):
        for layer in model.layers[1:]:
            limit = 1 / math.sqrt(layer.kernel.shape[0])
            assert np.abs(np.asarray(layer.kernel)).max() <= limit
            assert np.abs(np.asarray(layer.bias)).max() <= limit
            assert np.abs(np.asarray(layer.bias)).max() > 0  # not Keras's zero biases


# -- preprocessing -------------------------------------------------------------------------

def test_data_and_variances_and_diffs_on_known_input():
    data = tf.constant([[1.0, 2.0, 6.0]])  # mean 3
    np.testing.assert_allclose(s4.decorate_with_diffs(data, 2.0), [[1, 2, 6, 4, 1, 9]])
    np.testing.assert_allclose(s4.decorate_with_diffs(data, 1.0), [[1, 2, 6, -2, -1, 3]])
    preprocess, d_input_func = s4.PREPROCESS["raw"]
    np.testing.assert_allclose(preprocess(data), data)
    assert d_input_func(100) == 100 and s4.PREPROCESS["variances"][1](100) == 200


def test_the_mean_in_data_and_variances_carries_no_gradient():
    data = tf.Variable([[1.0, 2.0, 6.0]])
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(s4.decorate_with_diffs(data, 2.0))
    # d/dx_i of x_i + (x_i - m)^2 with m held constant: 1 + 2 (x_i - m)
    np.testing.assert_allclose(tape.gradient(total, data), [[1 - 4, 1 - 2, 1 + 6]])


def test_four_moments_on_known_input():
    x = np.random.default_rng(0).gamma(2.0, size=(1, 100)).astype(np.float32)
    expected = [x.mean(), x.std(), stats.skew(x[0]), stats.kurtosis(x[0])]
    np.testing.assert_allclose(s4.get_moments(tf.constant(x))[0], expected, rtol=1e-4)


# -- training ------------------------------------------------------------------------------

def test_a_d_step_changes_only_d_and_a_g_step_only_g():
    gan = make()
    g, d = weights(gan.G), weights(gan.D)
    tf.function(gan.train_d)()
    assert changed(d, gan.D) and not changed(g, gan.G)
    d = weights(gan.D)
    tf.function(gan.train_g)()
    assert changed(g, gan.G) and not changed(d, gan.D)


def test_smoothed_real_target_bounds_the_real_loss_from_below():
    """With target 0.95, BCE cannot go below its entropy H(0.95) = 0.1985; with 1 it could."""
    entropy = -(0.95 * math.log(0.95) + 0.05 * math.log(0.05))
    gan = make()
    real_errors = [gan.train_epoch().numpy()[0] for _ in range(200)]
    assert min(real_errors) >= entropy - 1e-4
    assert min(real_errors) < entropy + 0.01  # D did learn: its real output reached ~0.95
    assert float(gan.criterion(gan.real, tf.constant([[0.95]]))) == pytest.approx(entropy, rel=1e-5)
    assert float(gan.criterion(gan.fake, tf.constant([[0.0]]))) < 1e-6


# -- runs ----------------------------------------------------------------------------------

def small_run(tmp_path, name, *flags, epochs=20):
    out = tmp_path / name
    assert s4_cli.main(["--out", str(out), "--epochs", str(epochs), "--print-interval", "10",
                    "--deterministic", *flags]) == 0
    return out


def metrics_of(out):
    metrics = json.loads((out / "metrics.json").read_text())
    metrics.pop("train_seconds")
    return metrics


STRAIGHT = ["--seed", "3", "--d-steps", "2"]


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """An uninterrupted run of 20 epochs (seed 3, two D steps per epoch); tests only read it."""
    return small_run(tmp_path_factory.mktemp("s4"), "straight", *STRAIGHT)


def test_the_checkpoint_holds_weights_both_adams_and_the_random_stream(straight, tmp_path):
    """...and a --resume that changes a flag of the run is refused, writing nothing."""
    assert sorted(p.name for p in (straight / "checkpoints").iterdir()) == [
        "epoch_00000001", "epoch_00000011", "epoch_00000020"]  # the last 3, after epochs
    # 0 and 10 (printed: the post's saves) and at the end
    folder = straight / "checkpoints" / "epoch_00000020"
    assert sorted(p.name for p in folder.iterdir()) == [
        "checkpoint.json", "losses.csv", "state.data-00000-of-00001", "state.index"]
    state = json.loads((folder / "checkpoint.json").read_text())
    assert state["units_done"] == 20 and state["loss_rows"] == 20
    reader = tf.train.load_checkpoint(str(folder / "state"))
    names = list(reader.get_variable_to_shape_map())
    for part in ["rng/", "d_optimizer/_iterations", "g_optimizer/_iterations",
                 "d_optimizer/_variables", "g_optimizer/_variables"]:  # Adam's m and v
        assert any(name.startswith(part) for name in names), part
    args = runner.build_parser(s4_cli.GaussianGAN()).parse_args(STRAIGHT)
    seed_everything(3)
    gan = s4.make_gan(args, 3)
    fresh = gan.rng.state.numpy(), weights(gan.G), weights(gan.D)
    snapshot = s4.keras.models.clone_model(gan.G)
    checkpoint = s4x.checkpoint_of(gan, snapshot, s4.tf.Variable(-1, dtype=s4.tf.int64))
    checkpoint.read(str(folder / "state")).assert_consumed()  # every value has its variable
    assert int(gan.d_optimizer.iterations) == 40 and int(gan.g_optimizer.iterations) == 20
    [rng_state] = [reader.get_tensor(n) for n in names if n.startswith("rng/")]
    assert np.array_equal(gan.rng.state.numpy(), rng_state)
    assert not np.array_equal(fresh[0], rng_state)
    assert changed(fresh[1], gan.G) and changed(fresh[2], gan.D)
    saved = make()  # the weights the run saved with its last print (the post's g.pkl, d.pkl)
    saved.G.load_weights(straight / "g.weights.h5")
    saved.D.load_weights(straight / "d.weights.h5")
    assert not changed(weights(saved.G), gan.G) and not changed(weights(saved.D), gan.D)
    before = {p: p.read_bytes() for p in straight.rglob("*") if p.is_file()}
    for flags, message in [(["--d-steps", "3"], "--d-steps 3 differs from the run's 2"),
                           (["--lr", "0.5"], "--lr 0.5 differs from the run's 0.0002"),
                           (["--seed", "4"], "--seed 4 differs from the run's 3")]:
        with pytest.raises(UsageError, match=message):
            s4_cli.main(["--out", str(straight), "--epochs", "30", "--resume", *flags])
        assert {p: p.read_bytes() for p in straight.rglob("*") if p.is_file()} == before
    with pytest.raises(UsageError, match="no run to resume"):
        s4_cli.main(["--out", str(tmp_path / "empty"), "--resume"])


@pytest.mark.slow  # the test after it checks the same and more
def test_resume_continues_exactly(straight, tmp_path):
    """The run's flags given again are accepted, and --print-interval may change."""
    half = small_run(tmp_path, "half", *STRAIGHT, epochs=10)
    assert s4_cli.main(["--out", str(half), "--epochs", "20", "--print-interval", "5",
                    "--deterministic", *STRAIGHT, "--resume"]) == 0
    assert (half / "losses.csv").read_text() == (straight / "losses.csv").read_text()
    # the post's g.pkl snapshot follows the print interval, which this resume changed
    same = lambda metrics: {k: v for k, v in metrics.items() if "post_snapshot" not in k}
    assert same(metrics_of(half)) == same(metrics_of(straight))
    assert metrics_of(half)["post_snapshot_epoch"] == 15  # 20 and 10 before it: 10


def test_resume_takes_the_run_s_own_settings_and_its_newest_intact_checkpoint(straight,
                                                                           tmp_path, capsys):
    """--resume alone continues with the run's seed and flags (its config.json), as the
    README shows, records a new --epochs, skips a damaged newest checkpoint (one line) and
    cuts losses.csv back to the checkpoint it resumes from: the numbers of a straight run."""
    half = small_run(tmp_path, "half", *STRAIGHT, epochs=12)
    (half / "metrics.json").unlink()  # as if killed before the end
    (half / "checkpoints" / "epoch_00000012" / "state.data-00000-of-00001").write_bytes(b"x")
    with (half / "losses.csv").open("a") as f:
        f.write("12,9,9,9,9,9,9,9\n")  # a row written after the last checkpoint, then a kill
    capsys.readouterr()
    assert s4_cli.main(["--out", str(half), "--epochs", "20", "--resume"]) == 0
    out = capsys.readouterr().out
    assert "Skipping the damaged checkpoint" in out and "after epoch 11 of 20" in out
    assert (half / "losses.csv").read_text() == (straight / "losses.csv").read_text()
    assert metrics_of(half) == metrics_of(straight)
    config = json.loads((half / "config.json").read_text())
    assert config["flags"]["seed"] == 3 and config["flags"]["d_steps"] == 2
    assert config["flags"]["epochs"] == 20 and len(config["resumed"]) == 1
    with pytest.raises(UsageError, match="has already trained 20 epoch"):
        s4_cli.main(["--out", str(half), "--resume"])
    # garbage that its checkpoint.json vouches for: TensorFlow cannot read it, one line
    folder = half / "checkpoints" / "epoch_00000020"
    (folder / "state.data-00000-of-00001").write_bytes(b"garbage")
    state = json.loads((folder / "checkpoint.json").read_text())
    state["files"]["state.data-00000-of-00001"] = file_checksum(
        folder / "state.data-00000-of-00001")
    (folder / "checkpoint.json").write_text(json.dumps(state))
    with pytest.raises(UsageError, match="--resume: cannot read the checkpoint .*epoch_00000020"):
        s4_cli.main(["--out", str(half), "--epochs", "30", "--resume"])
    assert (half / "losses.csv").read_text() == (straight / "losses.csv").read_text()


@pytest.mark.slow  # 26 s: a fresh process, killed twice
def test_kill_9_and_resume_give_the_numbers_of_an_uninterrupted_run(tmp_path):
    flags = ["--epochs", "1000", "--print-interval", "300", "--deterministic"]
    straight = tmp_path / "straight"
    assert s4_cli.main(["--out", str(straight), *flags]) == 0
    out = tmp_path / "killed"
    for rows in (450, 800):  # checkpoints after epochs 301 and 601 (the prints' saves)
        argv = ["--resume"] if (out / "config.json").exists() else flags
        process = subprocess.Popen([sys.executable, str(SCRIPTS / "gaussian_gan_keras.py"),
                                    "--out", str(out), *argv], stdout=subprocess.DEVNULL)
        while not (out / "losses.csv").exists() or \
                len((out / "losses.csv").read_text().splitlines()) <= rows:
            assert process.poll() is None
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert s4_cli.main(["--out", str(out), "--resume"]) == 0
    assert (out / "losses.csv").read_text() == (straight / "losses.csv").read_text()
    assert metrics_of(out) == metrics_of(straight)


def test_sweep_writes_per_seed_metrics(tmp_path):
    out = tmp_path / "sweep"
    assert s4_cli.main(["--sweep", "2", "--epochs", "5", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        ".classic-gans-files", ".classic-gans-run", "config.json", "sweep.json"]
    sweep = json.loads((out / "sweep.json").read_text())
    assert sweep["runs"] == 2 and [r["seed"] for r in sweep["per_seed"]] == [0, 1]
    assert {"gen_mean", "gen_std", "wasserstein1", "skew"} <= set(sweep["per_seed"][0])
    assert sweep["per_seed"][0]["gen_mean"] != sweep["per_seed"][1]["gen_mean"]
    assert sweep["converged"] == sum(r["converged"] for r in sweep["per_seed"])
    assert sweep["criterion"] == "|mean - 4| < 0.5 on 10000 generated values"
    assert sweep["mean_and_std_over_seeds"]["gen_mean"][0] == pytest.approx(
        np.mean([r["gen_mean"] for r in sweep["per_seed"]]))


def test_script_end_to_end(tmp_path, script):
    result = script("gaussian_gan_keras.py", "--epochs", "30", "--print-interval", "10",
                    cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = tmp_path / "runs" / "gaussian_gan_keras"
    assert_only_run_files(out)  # --overwrite would remove every file of the run
    lines = result.stdout.splitlines()
    assert lines[0] == "Devices: CPU"
    assert lines[1].startswith("0: D: ") and "(Real: [" in lines[1] and ", Fake: [" in lines[1]
    assert [line.split(":")[0] for line in lines[1:5]] == ["0", "10", "20", "29"]
    assert lines[-2].startswith("Generated mean ") and lines[-1] == \
        "Wrote runs/gaussian_gan_keras"
    for name in ["histogram.png", "losses.png"]:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert Image.open(out / "evolution.gif").n_frames == 4  # epochs 0, 10, 20, 29
    assert (out / "d.weights.h5").exists() and (out / "g.weights.h5").exists()
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == [
        "epoch_00000011", "epoch_00000021", "epoch_00000030"]  # with the prints, last 3
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"gen_mean", "gen_std", "wasserstein1", "js_divergence"} <= set(metrics)
    config = json.loads((out / "config.json").read_text())
    assert config["program"] == "gaussian_gan_keras"
    assert config["trainable_parameters"] == {"generator": 2701, "discriminator": 12651}
    assert config["flags"]["epochs"] == 30 and config["flags"]["lr"] == 2e-4
    assert config["flags"]["seed"] == 7 and config["betas"] == [0.9, 0.999]
    assert len((out / "losses.csv").read_text().splitlines()) == 31


@pytest.mark.parametrize("flags", [["--epochs", "0"], ["--preprocess", "cubes"],
                                   ["--lr", "-1"], ["--lr", "nan"], ["--eval-samples", "x"],
                                   ["--sweep", "2", "--resume"]])
def test_bad_flags_exit_2_with_one_line(flags, capsys):
    with pytest.raises(SystemExit) as exit_info:
        s4_cli.main(flags)
    assert exit_info.value.code == 2 and capsys.readouterr().err.count("\n") == 1


# -- --variant stable (issue 14): opt-in, the default above unchanged --------------------------

def gan_for(*flags, seed=0):
    """The GAN of the module the flags run (a variant's module for --variant)."""
    program = s4_cli.GaussianGAN()
    args = runner.build_parser(program).parse_args(list(flags))
    seed_everything(seed)
    module = runner.port_module(program.loop_for(args, s4_cli.PORT + ":train").split(":")[0])
    return module.make_gan(args, seed)


def test_the_preprocess_flag_offers_the_ports_preprocessings():
    assert s4_cli.PREPROCESS_CHOICES == tuple(sorted(s4.PREPROCESS))


def test_the_variant_flag_exists_and_defaults_to_the_original(capsys):
    parser = runner.build_parser(s4_cli.GaussianGAN())
    assert parser.parse_args([]).variant == "original"
    assert parser.parse_args(["--variant", "stable"]).variant == "stable"
    assert set(s4_cli.GaussianGAN.variants) == {"stable"}
    with pytest.raises(SystemExit):
        parser.parse_args(["--variant", "wgan"])
    assert "--variant" in capsys.readouterr().err


def test_the_stable_variant_adds_only_sorting_two_penalties_and_a_late_rate_decay():
    """Same layers, same initial weights, data stream and Adam settings; D sees each set
    sorted; D's loss gains 5 |grad of D's logit w.r.t. the set|^2 at the real and at the
    generated set; both rates are 2e-4 until half-way, then decay (cosine) to 0."""
    original = gan_for("--epochs", "1000")
    stable = gan_for("--epochs", "1000", "--variant", "stable")
    for a, b in [(original.G, stable.G), (original.D, stable.D)]:
        layers = lambda m: [(type(l).__name__, l.name, getattr(l, "units", None),
                             getattr(getattr(l, "activation", None), "__name__", None))
                            for l in m.layers[1:]]
        assert layers(a) == layers(b) and a.input_shape == b.input_shape
        assert not changed(weights(a), b)
    assert np.array_equal(original.rng.state.numpy(), stable.rng.state.numpy())
    assert type(original) is s4.GAN and type(stable) is s4s.StableGAN  # the post's, unchanged
    assert stable.r1 == stable.r2 == 10
    # D's view: the post's (data, variances) of the set as drawn, or of the set sorted
    real = original.d_sampler(100)
    shuffled = tf.gather(real, np.random.default_rng(0).permutation(100), axis=1)
    variances = s4.PREPROCESS['variances'][0]
    np.testing.assert_array_equal(original.preprocess(real), variances(real))
    np.testing.assert_array_equal(stable.preprocess(real), variances(tf.sort(real, axis=1)))
    np.testing.assert_allclose(stable.preprocess(shuffled), stable.preprocess(real), rtol=1e-6)
    assert not np.allclose(original.preprocess(shuffled), original.preprocess(real))
    for gan in (original, stable):
        for opt in (gan.d_optimizer, gan.g_optimizer):
            assert (opt.beta_1, opt.beta_2, opt.epsilon) == (0.9, 0.999, 1e-8)
    real = stable.d_sampler(100)
    x = stable.preprocess(real)
    np.testing.assert_allclose(tf.sigmoid(stable.d_logit(x)), stable.D(x), rtol=1e-5)
    with tf.GradientTape() as tape:  # the penalty from its definition
        tape.watch(real)
        logit = tf.math.log(stable.D(stable.preprocess(real)))
        logit -= tf.math.log(1 - stable.D(stable.preprocess(real)))
    expected = 5 * float(tf.reduce_sum(tape.gradient(logit, real) ** 2))
    assert float(stable.r1_penalty(real)) == pytest.approx(expected, rel=1e-3) and expected > 0
    fake = tf.transpose(stable.G(stable.gi_sampler(100, 1)))
    assert float(stable.penalty(fake, stable.r2)) > 0
    # the D step adds both penalties: its loss's gradient is the sum of the three parts'
    calls = []
    penalty = stable.penalty
    stable.penalty = lambda data, weight: calls.append(weight) or penalty(data, weight)
    stable.train_d()
    stable.penalty = penalty
    assert calls == [10.0, 10.0]
    for opt in (original.d_optimizer, original.g_optimizer):  # the post's: a constant rate
        assert not isinstance(opt._learning_rate, s4.keras.optimizers.schedules.
                              LearningRateSchedule)
        assert float(opt.learning_rate) == pytest.approx(2e-4)
    for opt in (stable.d_optimizer, stable.g_optimizer):
        schedule = opt._learning_rate
        assert isinstance(schedule, LateDecay)
        rates = [float(schedule(step)) for step in (0, 499, 500, 750, 1000, 2000)]
        np.testing.assert_allclose(rates, [2e-4, 2e-4, 2e-4, 1e-4, 0, 0], atol=1e-9)
    # two epochs of each from the same state (Adam's first step does not depend on beta_1):
    # the stable steps differ, G and D both move
    before = weights(stable.G), weights(stable.D)
    for _ in range(2):
        original.train_epoch(), stable.train_epoch()
    assert changed(before[0], stable.G) and changed(before[1], stable.D)
    assert changed(weights(original.G), stable.G)


def test_the_default_bce_is_pytorch_0_2_s_and_keras_s_is_opt_in():
    """--bce era (default): log(p + 1e-12) on D's probability, 27.6 for a saturated D;
    --bce logits: Keras's, from D's logit, which keeps growing (the same below saturation)."""
    era = gan_for("--epochs", "10")
    logits = gan_for("--epochs", "10", "--bce", "logits")
    saturated = tf.constant([[1.0]])
    assert float(era.criterion(era.fake, saturated)) == pytest.approx(-np.log(1e-12), rel=1e-4)
    p = tf.constant([[0.3]])
    assert float(era.criterion(era.real, p)) == pytest.approx(
        -(0.95 * np.log(0.3) + 0.05 * np.log(0.7)), rel=1e-5)
    assert float(logits.criterion(logits.real, p)) == pytest.approx(
        float(era.criterion(era.real, p)), rel=1e-5)


def test_last_tenth_errors_on_known_rows():
    assert s4x.last_tenth(30000) == 27000 and s4x.last_tenth(5) == 4
    errors = s4x.last_tenth_errors([[4.2, 1.25], [3.5, 1.0], [4.0, 1.5]])
    assert errors == pytest.approx(dict(max_abs_mean_error_last_10pct=0.5,
                                        max_abs_std_error_last_10pct=0.25))
    assert s4x.last_tenth_errors([]) == {}


def test_the_stable_variant_runs_and_records_itself(tmp_path):
    out = small_run(tmp_path, "stable", "--variant", "stable")
    config = json.loads((out / "config.json").read_text())
    assert config["flags"]["variant"] == "stable" and config["betas"] == [0.9, 0.999]
    assert config["stable"] == {"sort": True, "r1": 10.0, "r2": 10.0, "decay": [0.5, 0.0],
                                "bce": "logits"}
    losses = s4x.read_losses(out / "losses.csv")
    metrics = metrics_of(out)
    last = losses["epoch"] >= 18  # the last 10% of 20 epochs
    assert metrics["max_abs_mean_error_last_10pct"] == pytest.approx(
        np.abs(losses["fake_mean"][last] - 4).max(), abs=1e-6)
    original = small_run(tmp_path, "original")
    assert "stable" not in json.loads((original / "config.json").read_text())
    assert (original / "losses.csv").read_text() != (out / "losses.csv").read_text()


def test_metrics_hold_the_posts_own_number_from_its_last_saved_g(tmp_path):
    """The post printed the mean and std of its last g.pkl (epoch % 200 == 0: 29,800) on 1,000
    fresh draws; here epochs 0-24 with --print-interval 10: the snapshot of epoch 20, whose
    numbers differ from the final weights'."""
    out = small_run(tmp_path, "snapshot", epochs=25)
    metrics = metrics_of(out)
    assert metrics["post_snapshot_epoch"] == 20
    assert np.isfinite(metrics["post_snapshot_gen_mean"])
    assert metrics["post_snapshot_gen_std"] >= 0
    assert metrics["post_snapshot_gen_mean"] != metrics["gen_mean"]


def test_a_diverged_run_ends_with_its_files(tmp_path, capsys):
    """--lr 1e300: the weights become NaN; the run warns once and still writes histogram.png
    (the NaN values left out, counted in the caption) and a valid metrics.json."""
    out = small_run(tmp_path, "nan", "--lr", "1e300")
    assert capsys.readouterr().out.count("training has diverged") == 1
    metrics = metrics_of(out)
    assert metrics["gen_mean"] is None and metrics["wasserstein1"] is None
    assert (out / "histogram.png").stat().st_size > 0
