"""The Keras sine-curve GAN (S9): models, the frozen discriminator, data, metric, runs."""
import argparse
import csv
import json
import sys
import warnings

import numpy as np
import pytest
from PIL import Image

import keras
import tensorflow as tf
from gantools.curves import fit_sines, mean_pairwise_distance, sine_curve_metrics
from gantools.run.cli import DiskFull, UsageError
from gantools.keras2_compat import keras2_binary_crossentropy
from gantools.training import trainable_counts
from gantools.run.rundir import seed_everything
from keras_models import sine_gan as s9
from keras_models import sine_gan_extras as s9x
from keras_models import sine_gan_stable as s9s
from keras_models import sine_gan_cli as s9_cli
from conftest import assert_only_run_files

SMALL = ["--n-samples", "64", "--v-freq", "2"]


@pytest.fixture
def models():
    seed_everything(0)
    return s9.build_models(10)


def weights(model):
    return [w.numpy().copy() for w in model.weights]


def changed(before, model):
    return [not np.array_equal(b, w.numpy()) for b, w in zip(before, model.weights)]


def d_step(G, D, rng, n=64):
    X, y = s9.sample_data_and_gen(G, n_samples=n, rng=rng)
    s9.set_trainability(D, True)
    return D.train_on_batch(X, y)


def chained_step(GAN, G, D, rng, n=64):
    X, y = s9.sample_noise(G, n_samples=n, rng=rng)
    s9.set_trainability(D, False)
    return GAN.train_on_batch(X, y)


# -- the models ------------------------------------------------------------------------------

def test_parameter_counts(models):
    GAN, G, D = models
    assert s9x.trainable_parameters(G, D) == {"generator": 12250, "discriminator": 115452}
    assert trainable_counts(gan=GAN) == {"gan": 12250}  # D frozen by make_gan
    assert GAN.count_params() == 127702
    assert [w.shape for w in G.weights] == [(10, 200), (200,), (200, 50), (50,)]
    assert [w.shape for w in D.weights] == [(5, 1, 50), (50,), (2300, 50), (50,), (50, 2), (2,)]
    assert D.layers[-1].activation.__name__ == "sigmoid" and D.output.shape == (None, 2)
    assert G.output.shape == (None, 50) and G.layers[-1].activation.__name__ == "tanh"


def test_chained_model_shares_the_very_same_layers(models):
    GAN, G, D = models
    assert GAN.layers[1] is G and GAN.layers[2] is D
    assert all(a is b for a, b in zip(GAN.weights, G.weights + D.weights))
    assert GAN.optimizer is G.optimizer
    assert isinstance(G.optimizer, keras.optimizers.SGD)
    assert isinstance(D.optimizer, keras.optimizers.Adam)
    assert float(G.optimizer.learning_rate) == pytest.approx(1e-3)
    assert float(D.optimizer.learning_rate) == pytest.approx(1e-3)


def test_keras_2_0_adam_epsilon_and_binary_crossentropy(models):
    """Keras 2.0's defaults where Keras 3 changed them (the module docstring)."""
    GAN, G, D = models
    assert D.optimizer.epsilon == 1e-8  # Keras 3's default: 1e-7
    assert G.loss is GAN.loss is D.loss is s9.binary_crossentropy
    assert s9.binary_crossentropy is keras2_binary_crossentropy
    assert s9x.hyper_parameters(argparse.Namespace())["adam_epsilon"] == 1e-8


def test_the_command_line_knows_the_ports_curve_length():
    assert s9_cli.CURVE_VALUES == len(s9.X_VALS)


def test_keras2_binary_crossentropy_clips_where_keras_3_does_not():
    logits = tf.constant([[0.3, -2.0], [8.0, -8.0], [15.0, -15.0], [16.5, -16.5],
                          [30.0, -30.0]])
    targets = tf.constant([[1.0, 0.0]] + [[0.0, 1.0]] * 4)  # rows 1-4: confidently wrong
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(logits)
        keras2 = keras2_binary_crossentropy(targets, tf.sigmoid(logits))
        keras3 = keras.losses.binary_crossentropy(targets, logits, from_logits=True)
    keras2_grad, keras3_grad = tape.gradient(keras2, logits), tape.gradient(keras3, logits)
    # inside the clip range: the same loss and gradient (up to float32's 1 - p)
    np.testing.assert_allclose(keras2[:2], keras3[:2], rtol=1e-5)
    np.testing.assert_allclose(keras2_grad[:3], keras3_grad[:3], rtol=1e-5)
    # beyond it: p clipped to [1e-7, 1 - 2**-23] (float32), a flat loss, no gradient
    upper = np.log((1 - 2.0 ** -23) / 2.0 ** -23)
    assert float(keras2[3]) == float(keras2[4]) == pytest.approx(
        (upper - np.log(1e-7 / (1 - 1e-7))) / 2, rel=1e-5)  # ~16.03
    assert float(keras3[4]) == pytest.approx(30)
    np.testing.assert_array_equal(keras2_grad[3:], 0)
    np.testing.assert_allclose(keras3_grad[4], [0.5, -0.5])


def test_set_trainability_sets_the_model_and_every_layer(models):
    _, _, D = models
    s9.set_trainability(D, True)
    assert D.trainable and all(layer.trainable for layer in D.layers)
    assert len(D.trainable_weights) == 6
    s9.set_trainability(D, False)
    assert not D.trainable and not any(layer.trainable for layer in D.layers)
    assert D.trainable_weights == []


def test_a_d_step_changes_d_and_not_g(models):
    GAN, G, D = models
    rng = np.random.default_rng(0)
    chained_step(GAN, G, D, rng)  # the chained model is traced first: D frozen
    g, d = weights(G), weights(D)
    d_step(G, D, rng)
    assert all(changed(d, D)) and not any(changed(g, G))


def test_a_chained_step_changes_g_and_not_d(models):
    GAN, G, D = models
    rng = np.random.default_rng(0)
    d_step(G, D, rng)  # D is traced first: trainable
    g, d = weights(G), weights(D)
    chained_step(GAN, G, D, rng)
    assert all(changed(g, G)) and not any(changed(d, D))


def test_pretrain_and_train_keep_the_invariants(models):
    GAN, G, D = models
    rng = np.random.default_rng(0)
    g = weights(G)
    loss = s9.pretrain(G, D, n_samples=64, rng=rng, verbose=0)
    assert np.isfinite(loss) and not any(changed(g, G))
    d_loss, g_loss = s9.train(GAN, G, D, epochs=3, n_samples=64, rng=rng)
    assert len(d_loss) == len(g_loss) == 3 and np.isfinite(d_loss + g_loss).all()
    assert not D.trainable  # left frozen after the chained step, as in the post


def test_keras_reads_trainable_when_a_step_is_traced(models):
    """The Keras 3 behaviour the post's toggling relies on (see the module docstring)."""
    GAN, G, D = models
    rng = np.random.default_rng(0)
    d_step(G, D, rng)                 # traced with D trainable
    s9.set_trainability(D, False)
    d = weights(D)
    X, y = s9.sample_data_and_gen(G, n_samples=64, rng=rng)
    D.train_on_batch(X, y)            # same shapes: no retrace, D still learns
    assert all(changed(d, D))
    d = weights(D)
    X, y = s9.sample_data_and_gen(G, n_samples=65, rng=rng)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        D.train_on_batch(X, y)        # new shapes: retraced while frozen, nothing learns
    assert not any(changed(d, D))
    assert any("does not have any trainable weights" in str(w.message) for w in caught)


# -- data ------------------------------------------------------------------------------------

def test_sample_data_shape_range_and_family():
    rng = np.random.default_rng(1)
    X = s9.sample_data(300, rng=rng)
    assert X.shape == (300, 50) and X.min() >= 0 and X.max() <= 1
    np.testing.assert_array_equal(s9.X_VALS, np.arange(0, 5, .1))
    fit = fit_sines(X, s9.X_VALS)
    assert fit["rmse"].max() < 1e-6
    assert 1 <= fit["frequency"].min() < 1.05 and 1.95 < fit["frequency"].max() <= 2
    np.testing.assert_allclose(fit["amplitude"], .5, atol=1e-6)
    np.testing.assert_allclose(fit["mean"], .5, atol=1e-6)


def test_sample_data_and_gen_and_sample_noise_labels(models):
    _, G, _ = models
    rng = np.random.default_rng(2)
    X, y = s9.sample_data_and_gen(G, n_samples=7, rng=rng)
    assert X.shape == (14, 50) and y.shape == (14, 2)
    assert (y[:7] == [0, 1]).all() and (y[7:] == [1, 0]).all()
    assert X[:7].min() >= 0 and X[7:].min() >= -1 and X[7:].max() <= 1
    Z, t = s9.sample_noise(G, n_samples=5, rng=rng)
    assert Z.shape == (5, 10) and Z.min() >= 0 and Z.max() < 1 and (t == [0, 1]).all()


# -- the sine-fit metric ---------------------------------------------------------------------

def family_metrics(generated, real):
    return sine_curve_metrics(generated, real, s9.X_VALS, **s9x.DATA_FAMILY)


def test_fit_recovers_known_sines():
    x = s9.X_VALS
    params = [(0.3, 1.25, 0.5, 0.5), (4.0, 1.9, 0.2, -0.1), (2.0, 0.6, 1.5, 0.3)]
    curves = [m + a * np.sin(o + f * x) for o, f, a, m in params]
    fit = fit_sines(curves, x)
    for i, (o, f, a, m) in enumerate(params):
        assert fit["frequency"][i] == pytest.approx(f, abs=1e-6)
        assert fit["amplitude"][i] == pytest.approx(a, abs=1e-6)
        assert fit["mean"][i] == pytest.approx(m, abs=1e-6)
        assert np.exp(1j * fit["offset"][i]) == pytest.approx(np.exp(1j * o), abs=1e-6)
    assert fit["rmse"].max() < 1e-8


def test_real_curves_score_as_real():
    rng = np.random.default_rng(3)
    m = family_metrics(s9.sample_data(500, rng=rng), s9.sample_data(500, rng=rng))
    assert m["fit_rmse_median"] < 1e-6 and m["real_fit_rmse_median"] < 1e-6
    assert m["diversity_ratio"] == pytest.approx(1, abs=0.05) and not m["collapsed"]
    assert m["frequency_w1"] < 0.05 and m["amplitude_error"] < 1e-6 and m["mean_error"] < 1e-6
    assert 1 <= m["frequency_p05"] < 1.1 and 1.9 < m["frequency_p95"] <= 2


def test_constant_and_single_curve_sets_score_as_collapsed():
    rng = np.random.default_rng(4)
    real = s9.sample_data(500, rng=rng)
    constant = family_metrics(np.full((500, 50), 0.3), real)
    assert constant["collapsed"] and constant["diversity"] == 0
    assert constant["amplitude_error"] == pytest.approx(0.5, abs=1e-6)
    assert constant["mean_error"] == pytest.approx(0.2, abs=1e-6)
    one = family_metrics(np.repeat(s9.sample_data(1, rng=rng), 500, axis=0)
                         + rng.normal(0, 0.01, (500, 50)), real)
    assert one["collapsed"] and one["diversity_ratio"] < 0.05
    assert one["fit_rmse_median"] < 0.02  # clean sines ...
    assert one["frequency_p95"] - one["frequency_p05"] < 0.05  # ... of one frequency
    assert one["frequency_w1"] > 0.2


def test_mean_pairwise_distance_is_rms_difference():
    assert mean_pairwise_distance([np.zeros(50), np.full(50, 0.2)]) == pytest.approx(0.2)
    assert mean_pairwise_distance(np.ones((3, 50))) == 0


# -- whole runs ------------------------------------------------------------------------------

def run(tmp_path, name, *flags):
    out = tmp_path / name
    assert s9_cli.main(["--out", str(out), *SMALL, *flags]) == 0
    return out


def test_script_end_to_end_writes_every_promised_file(tmp_path, script):
    result = script("sine_gan.py", "--epochs", "4", *SMALL, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no TensorFlow or Keras noise
    out = tmp_path / "runs" / "sine_gan"
    assert_only_run_files(out)  # --overwrite would remove every file of the run
    lines = result.stdout.splitlines()
    assert lines[0] == "Devices: CPU"
    # into a pipe, pretrain's D.fit writes one line, not a redrawn bar with ANSI codes
    assert "\x1b" not in result.stdout and "\r" not in result.stdout
    assert lines[1].startswith("4/4 - ") and " - loss: " in lines[1], lines[1]
    for epoch in (2, 4):
        assert f"Epoch #{epoch}: Generative Loss: " in result.stdout
    assert "Discriminative Loss: " in result.stdout and "progress: g_loss:" in result.stdout
    assert lines[-1] == "Wrote runs/sine_gan"
    for name in ["real_curves.png", "losses.png", "generated_curves.png"]:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    assert (out / "evolution.gif").read_bytes()[:6] == b"GIF89a"
    assert Image.open(out / "evolution.gif").n_frames == 3  # epochs 0, 2, 4
    config = json.loads((out / "config.json").read_text())
    assert config["trainable_parameters"] == {"generator": 12250, "discriminator": 115452}
    assert config["program"] == "sine_gan" and config["adam_epsilon"] == 1e-8
    assert config["flags"]["epochs"] == 4 and config["flags"]["n_samples"] == 64
    assert config["flags"]["noise_dim"] == 10
    with (out / "losses.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [int(r["step"]) for r in rows] == [0, 1, 2, 3] and set(rows[0]) == {
        "step", "g_loss", "d_loss"}
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ["fit_rmse_median", "frequency_w1", "amplitude_error", "mean_error",
                "diversity_ratio", "collapsed", "pretrain_loss", "final_g_loss"]:
        assert key in metrics
    assert metrics["final_g_loss"] == pytest.approx(float(rows[-1]["g_loss"]))
    assert keras.models.load_model(out / "generator.keras").count_params() == 12250
    D = keras.models.load_model(out / "discriminator.keras")  # Keras 2.0's loss and epsilon
    assert D.loss is s9.binary_crossentropy and D.optimizer.epsilon == 1e-8
    again = script("sine_gan.py", "--epochs", "1", cwd=tmp_path)  # a run is there already
    assert again.returncode == 2 and again.stdout == ""
    assert again.stderr.splitlines() == [
        "sine_gan.py: error: runs/sine_gan already holds files; pass --overwrite to replace "
        "the run there, or choose another --out"]


@pytest.mark.slow  # the default suite resumes S9 in tests/test_contract.py (kill -9, Ctrl-C)
def test_resume_continues_exactly_where_a_run_stopped(tmp_path):
    flags = ["--deterministic", "--seed", "3"]
    straight = run(tmp_path, "straight", "--epochs", "6", *flags)
    resumed = run(tmp_path, "resumed", "--epochs", "4", *flags)
    with (resumed / "losses.csv").open("a") as f:
        f.write("4,9,9\n")  # a row written after the last checkpoint, before a crash
    assert s9_cli.main(["--out", str(resumed), "--epochs", "6", "--resume"]) == 0
    assert (resumed / "losses.csv").read_text() == (straight / "losses.csv").read_text()
    assert sorted(p.name for p in (resumed / "checkpoints").iterdir()) == [
        "epoch_00000002", "epoch_00000004", "epoch_00000006"]  # the last three
    state = json.loads((resumed / "checkpoints" / "epoch_00000006" / "checkpoint.json")
                       .read_text())
    assert state["units_done"] == 6 and state["loss_rows"] == 6
    assert json.loads((resumed / "config.json").read_text())["flags"]["epochs"] == 6
    assert sorted(p.name for p in (resumed / "frames").iterdir()) == [
        f"epoch_{e:04d}.png" for e in (0, 2, 4, 6)]
    for key in ["pretrain_loss", "final_g_loss", "fit_rmse_median", "diversity"]:
        assert json.loads((resumed / "metrics.json").read_text())[key] == \
            json.loads((straight / "metrics.json").read_text())[key]


@pytest.mark.slow  # CI runs it; the default suite stays within 5 minutes on 2 cores
def test_a_checkpoint_whose_parts_do_not_belong_together_is_never_resumed(tmp_path,
                                                                          capsys):
    """Issue 11's torn state: a generator from another run's checkpoint beside this run's
    discriminator and state. --resume skips that checkpoint, with one line, for the one
    before it, and ends with the numbers of a run that was never torn."""
    flags = ["--deterministic"]
    other = run(tmp_path, "other", "--epochs", "4", "--seed", "1")
    straight = run(tmp_path, "straight", "--epochs", "4", *flags)
    torn = run(tmp_path, "torn", "--epochs", "2", *flags)
    (torn / "metrics.json").unlink()  # as if killed before the end
    (torn / "checkpoints" / "epoch_00000002" / "generator.keras").write_bytes(
        (other / "checkpoints" / "epoch_00000004" / "generator.keras").read_bytes())
    capsys.readouterr()
    assert s9_cli.main(["--out", str(torn), "--epochs", "4", "--resume"]) == 0
    out = capsys.readouterr().out
    assert "Skipping the damaged checkpoint" in out and "generator.keras is not the file " \
        "this checkpoint wrote" in out and "after epoch 0 of 4" in out
    assert (torn / "losses.csv").read_text() == (straight / "losses.csv").read_text()


@pytest.mark.slow  # CI runs it; the default suite's contract slice writes S9 to a full disk
def test_a_failed_checkpoint_write_keeps_the_previous_one(tmp_path, monkeypatch):
    """A full disk (or a kill) while the epoch-4 checkpoint is half written: the epoch-2
    one stays whole and --resume continues from it to the same numbers as a straight run."""
    flags = ["--deterministic", "--seed", "2"]
    straight = run(tmp_path, "straight", "--epochs", "6", *flags)
    save = s9x.save_models

    def full_disk_at_epoch_4(folder, G, D):
        if folder.name.startswith(".epoch_00000004"):
            G.save(folder / "generator.keras")  # the first part is written, then:
            raise OSError(28, "No space left on device")
        save(folder, G, D)

    monkeypatch.setattr(s9x, "save_models", full_disk_at_epoch_4)
    with pytest.raises(DiskFull, match="the disk is full .*free some space and continue "
                                       "with --resume"):
        run(tmp_path, "crashed", "--epochs", "6", *flags)
    monkeypatch.undo()
    crashed = tmp_path / "crashed"
    assert sorted(p.name for p in (crashed / "checkpoints").iterdir()) == [
        "epoch_00000000", "epoch_00000002"]
    assert s9_cli.main(["--out", str(crashed), "--epochs", "6", "--resume"]) == 0
    assert (crashed / "losses.csv").read_text() == (straight / "losses.csv").read_text()


@pytest.mark.slow  # 6 s; CI runs the slow suite too
def test_a_damaged_newest_checkpoint_is_skipped_for_the_one_before(tmp_path, capsys):
    flags = ["--deterministic"]
    straight = run(tmp_path, "straight", "--epochs", "6", *flags)
    damaged = run(tmp_path, "damaged", "--epochs", "4", *flags)
    newest = damaged / "checkpoints" / "epoch_00000004" / "discriminator.keras"
    newest.write_bytes(newest.read_bytes()[:100])
    assert s9_cli.main(["--out", str(damaged), "--epochs", "6", "--resume"]) == 0
    assert "Skipping the damaged checkpoint" in capsys.readouterr().out
    assert (damaged / "losses.csv").read_text() == (straight / "losses.csv").read_text()


@pytest.mark.slow  # 11 s; CI runs the slow suite too
def test_sweep_writes_sweep_json_and_matches_single_runs(tmp_path, capsys):
    out = tmp_path / "sweep"
    assert s9_cli.main(["--sweep", "2", "--epochs", "2", "--out", str(out), "--deterministic",
                    *SMALL]) == 0
    sweep = json.loads((out / "sweep.json").read_text())
    assert sweep["runs"] == 2 and [r["seed"] for r in sweep["per_seed"]] == [0, 1]
    assert sweep["collapsed"] == sum(r["collapsed"] for r in sweep["per_seed"])
    assert sweep["flags"]["epochs"] == 2 and "frequency_w1" in sweep["per_seed"][0]
    assert "2 seeds (collapsed: " in capsys.readouterr().out
    single = run(tmp_path, "single", "--epochs", "2", "--seed", "1", "--deterministic")
    metrics = json.loads((single / "metrics.json").read_text())
    assert sweep["per_seed"][1]["final_g_loss"] == metrics["final_g_loss"]
    assert sweep["per_seed"][1]["diversity"] == metrics["diversity"]


@pytest.mark.parametrize("flags, message", [
    (["--epochs", "0"], "--epochs"),
    (["--n-samples", "-3"], "--n-samples"),
    (["--v-freq", "often"], "--v-freq"),
    (["--sweep", "2", "--resume"], "--resume cannot be combined with --sweep"),
])
def test_bad_flags_give_one_line_and_exit_code_2(flags, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        s9_cli.main(flags)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1 and message in err


def test_resume_refusals(tmp_path):
    with pytest.raises(UsageError, match="no run to resume"):
        s9_cli.main(["--out", str(tmp_path / "none"), "--resume"])
    done = run(tmp_path, "done", "--epochs", "2")
    with pytest.raises(UsageError, match="has already trained 2 epochs"):
        s9_cli.main(["--out", str(done), "--epochs", "2", "--resume"])
    with pytest.raises(UsageError, match="--n-samples 32 differs from the run's 64"):
        s9_cli.main(["--out", str(done), "--epochs", "3", "--resume", "--n-samples", "32"])


# -- --variant stable (issue 14): opt-in, the default above unchanged -------------------------

@pytest.fixture
def stable_models():
    seed_everything(0)
    return s9s.build_models(10)


def test_the_variant_flag_exists_and_defaults_to_the_original(capsys):
    from gantools.run import runner
    parser = runner.build_parser(s9_cli.SineGAN())
    assert parser.parse_args([]).variant == "original"
    assert parser.parse_args(["--variant", "stable"]).variant == "stable"
    with pytest.raises(SystemExit):
        parser.parse_args(["--variant", "wgan"])
    assert "--variant" in capsys.readouterr().err


def test_the_stable_models_are_the_posts_with_its_leak_used(models, stable_models):
    """D: the post's layers and parameters plus the LeakyReLU(0.2) that the post's `leak`
    names, and logits out. G: the angle input, a second tanh layer of 200, a linear
    output. Both nets train with Adam 2e-4, beta_1 0.5."""
    (GAN, G, D), (sGAN, sG, sD) = models, stable_models
    assert s9x.trainable_parameters(sG, sD) == {"generator": 12250 + 200 * 200 + 200,
                                               "discriminator": 115452}
    assert [w.shape for w in sD.weights] == [w.shape for w in D.weights]
    assert [w.shape for w in sG.weights] == [(10, 200), (200,), (200, 200), (200,),
                                             (200, 50), (50,)]
    kinds = lambda m: [type(layer).__name__ for layer in m.layers]
    assert kinds(sG) == ["InputLayer", "PhaseNoise"] + ["Dense", "Activation"] * 2 + ["Dense"]
    assert kinds(G) == ["InputLayer", "Dense", "Activation", "Dense"]
    assert sG.layers[-1].activation.__name__ == "linear"
    assert kinds(sD) == kinds(D)[:-1] + ["LeakyReLU", "Dense"]
    assert sD.layers[-2].negative_slope == pytest.approx(0.2)
    assert sD.layers[-1].activation.__name__ == "linear" and isinstance(sD, s9s.R1Discriminator)
    assert sD.r1 == 5 and sG.optimizer is sGAN.optimizer
    for opt in (sG.optimizer, sD.optimizer):
        assert isinstance(opt, keras.optimizers.Adam)
        assert (float(opt.learning_rate), opt.beta_1, opt.epsilon) == (
            pytest.approx(2e-4), 0.5, 1e-8)
    assert sGAN.loss.get_config()["from_logits"] and sD.loss.get_config()["from_logits"]


def test_phase_noise_reads_the_first_value_as_an_angle():
    z = np.random.default_rng(0).uniform(0, 1, (4, 10)).astype("float32")
    z[:, 0] = [0, .25, .5, 1]
    out = np.asarray(s9s.PhaseNoise()(z))
    np.testing.assert_allclose(out[:, :2], [[1, 0], [0, 1], [-1, 0], [1, 0]], atol=1e-6)
    np.testing.assert_array_equal(out[:, 2:], z[:, 2:])  # z2 gives way to the sine


def test_the_r1_penalty_matches_finite_differences(stable_models):
    """r1/2 times the mean over the real rows of |d evidence / d curve|^2, where evidence is
    D's logit for [0, 1] minus its logit for [1, 0]; generated rows add nothing."""
    GAN, G, D = stable_models
    rng = np.random.default_rng(1)
    x = tf.constant(np.concatenate([s9.sample_data(3, rng=rng), rng.uniform(0, 1, (2, 50))]),
                    tf.float32)
    real = tf.constant([1., 1., 1., 0., 0.])
    evidence = lambda x: (lambda z: z[:, 1] - z[:, 0])(D(x, training=False)).numpy()
    h = 1e-3  # D is piecewise linear: central differences are exact within a piece
    slopes = np.zeros(5)
    for j in range(50):
        step = np.zeros((5, 50), np.float32)
        step[:, j] = h
        slopes += ((evidence(x + step) - evidence(x - step)) / (2 * h)) ** 2
    penalty, logits = D.r1_penalty(x, real, training=False)
    assert float(penalty) == pytest.approx(0.5 * 5 * slopes[:3].mean(), rel=2e-2)
    assert float(penalty) > 0 and logits.shape == (5, 2)
    only_fake = D.r1_penalty(x, tf.constant([0., 0., 0., 1., 1.]), training=False)[0]
    assert float(only_fake) == pytest.approx(0.5 * 5 * slopes[3:].mean(), rel=2e-2)


def test_stable_steps_keep_the_frozen_discriminator_invariants(stable_models):
    GAN, G, D = stable_models
    rng = np.random.default_rng(0)
    chained_step(GAN, G, D, rng)
    g, d = weights(G), weights(D)
    d_step(G, D, rng)
    assert all(changed(d, D)) and not any(changed(g, G))
    g, d = weights(G), weights(D)
    chained_step(GAN, G, D, rng)
    assert all(changed(g, G)) and not any(changed(d, D))


def test_stable_epochs_step_on_minibatches_at_the_decayed_rate(stable_models, monkeypatch):
    GAN, G, D = stable_models
    calls = []
    for model, name in [(D, "D"), (GAN, "GAN")]:
        step = model.train_on_batch
        monkeypatch.setattr(model, "train_on_batch",
                            lambda X, y, step=step, name=name: calls.append(
                                (name, len(X), y[:, 1].sum())) or step(X, y))
    s9s.train_stable(GAN, G, D, epochs=1, n_samples=600, rng=np.random.default_rng(0))
    # 250 + 250 + 100 real curves, each D step with as many generated ones
    assert calls == [("D", 500, 250), ("GAN", 250, 250), ("D", 500, 250), ("GAN", 250, 250),
                     ("D", 200, 100), ("GAN", 100, 100)]
    rates = [s9s.stable_rate(epoch, 500) for epoch in (0, 249, 250, 375, 499)]
    np.testing.assert_allclose(rates, [2e-4, 2e-4, 2e-4, 1e-4, 2e-4 * .5 * (1 + np.cos(
        np.pi * 249 / 250))], rtol=1e-6, atol=1e-9)


@pytest.mark.slow  # CI runs it; the default suite stays within 5 minutes on 2 cores
def test_the_stable_variant_runs_resumes_exactly_and_records_itself(tmp_path):
    flags = ["--variant", "stable", "--deterministic", "--n-samples", "300"]
    straight = run(tmp_path, "straight", "--epochs", "3", *flags)
    resumed = run(tmp_path, "resumed", "--epochs", "2", *flags)
    assert s9_cli.main(["--out", str(resumed), "--epochs", "3", "--resume"]) == 0
    assert (resumed / "losses.csv").read_text() == (straight / "losses.csv").read_text()
    config = json.loads((straight / "config.json").read_text())
    assert config["flags"]["variant"] == "stable" and config["stable"] == json.loads(json.dumps(s9s.STABLE))
    D = keras.models.load_model(straight / "discriminator.keras")
    assert isinstance(D, s9s.R1Discriminator) and D.r1 == 5


def test_the_stable_pretrain_reports_its_loss(stable_models):
    """D's own train_step feeds fit's loss tracker, so pretrain returns D's loss (it once
    returned 0.0, the tracker left empty). Two small Adam steps from a fresh D: the loss
    stays near that of D before them (dropout aside, both near ln 2)."""
    GAN, G, D = stable_models
    X, y = s9.sample_data_and_gen(G, n_samples=48, rng=np.random.default_rng(0))
    before = float(D.test_on_batch(X, y))
    loss = s9.pretrain(G, D, n_samples=48, batch_size=48, rng=np.random.default_rng(0),
                       verbose=0)
    assert loss == pytest.approx(before, abs=0.1) and before > 0.3


# -- convergence -----------------------------------------------------------------------------

@pytest.mark.slow
def test_the_generator_collapses_early(tmp_path):
    """200 short epochs (about 40 s): the curves are not clean sines yet (median fit RMSE
    0.25 here) but already nearly one curve; the default run's numbers are in the README."""
    out = run(tmp_path, "collapse", "--epochs", "200", "--n-samples", "2000", "--v-freq", "50")
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["collapsed"] and metrics["diversity_ratio"] < 0.3


def test_more_curves_than_memory_is_one_line_before_anything_is_written(tmp_path,
                                                                         monkeypatch):
    from gantools.run import rundir
    from gantools.run.cli import UsageError
    out = tmp_path / "run"
    with pytest.raises(UsageError, match=r"--n-samples 1000000000 .* GiB of memory"):
        s9_cli.main(["--out", str(out), "--n-samples", "1000000000"])
    assert not out.exists()
    monkeypatch.setattr(rundir, "available_memory", lambda: 2 ** 20)  # 1 MiB free
    with pytest.raises(UsageError, match="--n-samples 10000 "):
        s9_cli.main(["--out", str(out), "--n-samples", "10000"])
    monkeypatch.setattr(rundir, "available_memory", lambda: None)  # cannot tell: no check
    rundir.check_memory(10 ** 15, "anything")


@pytest.mark.slow
def test_the_runs_generator_loads_in_a_process_that_never_imported_the_project(tmp_path,
                                                                              script):
    """`keras.saving.load_model("generator.keras")` with only Keras imported: no custom
    object is needed (the final file has no compile settings), and it generates curves."""
    import subprocess
    result = script("sine_gan.py", "--epochs", "2", *SMALL, "--out", "run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    code = ("import keras, numpy; G = keras.saving.load_model('run/generator.keras'); "
            "print(G.count_params(), G.predict_on_batch(numpy.zeros((3, 10))).shape)")
    loaded = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300)
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert loaded.stdout.split("\n")[-2] == "12250 (3, 50)"
