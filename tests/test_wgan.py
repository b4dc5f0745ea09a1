"""The blog's WGAN on anime faces in Keras 3 (S3)."""
import json
import os
import signal

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from conftest import assert_only_run_files, make_faces, read_rows, run_script
from gantools.run import launch
from gantools.run.cli import UsageError
from gantools.faces.images import ImageFolder
from gantools.keras2_compat import Keras2RMSprop
from keras_models import wgan as s3
from keras_models import wgan_extras as s3x
from keras_models import wgan_cli as s3_cli

SMALL = ["--ngf", "64", "--ndf", "8"]  # the original's width knobs, for quick runs


@pytest.fixture(scope="module")
def full():
    s3.keras.utils.set_random_seed(0)
    return s3.WGAN(seed=0)


def small_wgan(**kwargs):
    s3.keras.utils.set_random_seed(0)
    return s3.WGAN(seed=0, ngf=64, ndf=8, batch_size=2, **kwargs)


# -- the networks --------------------------------------------------------------------------

def test_parameter_counts(full):
    assert s3x.trainable_parameters(full) == {"generator": 12067712, "discriminator": 11157248}


def layer_outputs(model):
    return [(type(layer).__name__, tuple(layer.output.shape[1:])) for layer in model.layers[1:]]


def test_critic_layers_and_output_sizes(full):
    expected = [("ZeroPadding2D", (98, 98, 3)), ("Conv2D", (48, 48, 64)),
                ("LeakyReLU", (48, 48, 64))]
    size, channels = 48, 64
    for _ in range(4):
        expected += [("ZeroPadding2D", (size + 2, size + 2, channels)),
                     ("Conv2D", (size // 2, size // 2, channels * 2)),
                     ("TrainingBatchNorm", (size // 2, size // 2, channels * 2)),
                     ("LeakyReLU", (size // 2, size // 2, channels * 2))]
        size, channels = size // 2, channels * 2
    expected += [("Conv2D", (1, 1, 1)), ("Flatten", (1,))]
    assert layer_outputs(full.netD) == expected
    assert full.netD.output.shape[1:] == (1,)  # a linear critic: no sigmoid


def test_generator_layers_and_output_sizes(full):
    expected = [("Reshape", (1, 1, 100)), ("Conv2DTranspose", (3, 3, 1024))]
    for size, channels in [(6, 512), (12, 256), (24, 128), (48, 64)]:
        expected += [("Conv2DTranspose", (size + 2, size + 2, channels)),  # (in - 1) 2 + 4
                     ("Cropping2D", (size, size, channels)),
                     ("TrainingBatchNorm", (size, size, channels)),
                     ("Activation", (size, size, channels))]
    expected += [("Conv2DTranspose", (98, 98, 3)), ("Cropping2D", (96, 96, 3)),
                 ("Activation", (96, 96, 3))]
    assert layer_outputs(full.netG) == expected


def test_initialisers_and_batchnorm_settings(full):
    for model in (full.netD, full.netG):
        kernels = np.concatenate([np.ravel(layer.kernel) for layer in model.layers
                                  if hasattr(layer, "kernel")])
        assert kernels.std() == pytest.approx(0.02, rel=0.01)
        assert all(not getattr(layer, "use_bias", False) for layer in model.layers)
        norms = [layer for layer in model.layers if isinstance(layer, s3.TrainingBatchNorm)]
        assert len(norms) == 4 and all(layer.epsilon == 1.01e-5 for layer in norms)
        gammas = np.concatenate([np.ravel(layer.gamma) for layer in norms])
        assert gammas.mean() == pytest.approx(1, abs=2e-3)
        assert gammas.std() == pytest.approx(0.02, rel=0.1)


def test_batchnorm_always_uses_the_batch_statistics(full):
    layer = s3.TrainingBatchNorm(epsilon=1.01e-5)
    x = np.random.default_rng(0).normal(5, 3, (8, 4, 4, 2)).astype(np.float32)
    layer.build(x.shape)
    layer.moving_mean.assign([100.0, -100.0])  # would dominate an inference-mode output
    for training in (None, False, True):
        out = np.asarray(layer(x, training=training))
        assert abs(out.mean()) < 1e-4 and out.std() == pytest.approx(1, rel=1e-3)
    # the whole generator: training=False and predict() give the training-mode output
    z = np.random.default_rng(1).normal(size=(4, 100)).astype(np.float32)
    in_training = np.asarray(full.netG(z, training=True))
    np.testing.assert_allclose(np.asarray(full.netG(z, training=False)), in_training,
                               atol=1e-5)
    np.testing.assert_allclose(full.netG.predict(z, verbose=0), in_training, atol=1e-5)


def test_keras2_rmsprop_puts_epsilon_outside_the_square_root():
    v = tf.Variable([1.0, 1.0])
    optimizer = Keras2RMSprop(learning_rate=5e-5)
    g = tf.constant([1e-5, -2e-3])
    optimizer.apply_gradients([(g, v)])
    a = 0.1 * g.numpy() ** 2
    np.testing.assert_allclose(v.numpy(), 1 - 5e-5 * g.numpy() / (np.sqrt(a) + 1e-8),
                               rtol=1e-6)
    assert v.numpy()[0] < 1 - 1.5e-4  # ~ lr / sqrt(0.1): Keras 3's RMSprop moves 100x less
    keras3 = tf.Variable([1.0])
    s3.keras.optimizers.RMSprop(5e-5).apply_gradients([(g[:1], keras3)])
    assert 1 - keras3.numpy()[0] < 1e-5


# -- training ------------------------------------------------------------------------------

def critic_weights_in_range(gan):
    return all(np.all(np.abs(v.numpy()) <= 0.01) for v in gan.netD.trainable_variables)


def test_every_critic_weight_is_clipped_after_every_critic_update():
    gan = small_wgan()
    assert not critic_weights_in_range(gan)  # N(0, 0.02) kernels and gamma ~ 1
    netD_train, netD_clamp = tf.function(gan.netD_train), tf.function(gan.netD_clamp)
    real = tf.random.uniform((2, 96, 96, 3), -1, 1)
    g_before = [v.numpy() for v in gan.netG.trainable_variables]
    for update in range(3):
        d_before = [v.numpy() for v in gan.netD.trainable_variables]
        netD_train(real)
        assert any(not np.array_equal(a, v.numpy())
                   for a, v in zip(d_before, gan.netD.trainable_variables))
        netD_clamp()
        assert critic_weights_in_range(gan)
        if update == 0:  # BatchNorm's gamma ~ 1 is clipped to 0.01, as in the original
            assert all(np.all(layer.gamma.numpy() == np.float32(0.01))
                       for layer in gan.netD.layers if isinstance(layer, s3.TrainingBatchNorm))
    for a, v in zip(g_before, gan.netG.trainable_variables):  # the critic step leaves G alone
        np.testing.assert_array_equal(a, v.numpy())


def test_a_step_is_n_critic_clipped_critic_updates_then_one_generator_update():
    gan = small_wgan(n_critic=3)
    reals = [tf.random.uniform((2, 96, 96, 3), -1, 1) for _ in range(3)]
    d_before = [v.numpy() for v in gan.netD.trainable_variables]
    values = gan.train_step(reals).numpy()
    assert values.shape == (4,) and np.all(np.isfinite(values))
    errD, errG, errD_real, errD_fake = values
    assert errD == pytest.approx(errD_real - errD_fake, abs=1e-7)
    drawn = tf.random.Generator.from_seed(gan.seed)  # n_critic critic noises, then G's
    for _ in range(3 + 1):
        drawn.normal((gan.batch_size, gan.nz))
    np.testing.assert_array_equal(gan.rng.state.numpy(), drawn.state.numpy())
    assert critic_weights_in_range(gan)
    d_after = [v.numpy() for v in gan.netD.trainable_variables]
    netG_train = tf.function(gan.netG_train)
    g_before = [v.numpy() for v in gan.netG.trainable_variables]
    netG_train()
    assert any(not np.array_equal(a, v.numpy())
               for a, v in zip(g_before, gan.netG.trainable_variables))
    for a, v in zip(d_after, gan.netD.trainable_variables):  # the G step leaves D alone
        np.testing.assert_array_equal(a, v.numpy())
    assert not all(np.array_equal(a, b) for a, b in zip(d_before, d_after))


# -- the program ---------------------------------------------------------------------------

FLAGS = [*SMALL, "--steps", "4", "--batch-size", "2", "--n-critic", "2", "--save-every", "3",
         "--swd-images", "4", "--deterministic"]


@pytest.fixture(scope="module")
def straight_run(tmp_path_factory, small_faces):
    """The script in a fresh process: 4 steps of 2 critic batches (3 batches per epoch)."""
    cwd = tmp_path_factory.mktemp("straight")
    result = run_script("wgan_anime.py", "--data", small_faces, *FLAGS, cwd=cwd)
    return result, cwd / "runs" / "wgan_anime"


def checkpoint_values(folder):
    """Every tensor of the checkpoint in `folder` (a checkpoints/step_NNNNNNNN folder)."""
    reader = tf.train.load_checkpoint(str(folder / "state"))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()
            if "OBJECT_GRAPH" not in name}


def test_script_end_to_end(straight_run):
    result, out = straight_run
    assert_only_run_files(out)  # --overwrite would remove every file of the run
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert "Devices: CPU" in lines and lines[-1] == "Wrote runs/wgan_anime"
    assert any('Model: "DCGAN_D"' in line for line in lines)
    steps = [line for line in lines if line.startswith("[")]
    assert len(steps) == 4 and steps[0].startswith("[0] Loss_D: ")
    assert " Loss_G: " in steps[0] and " Loss_D_real: " in steps[0] and \
        " Loss_D_fake " in steps[0]
    for name in ["losses.png", "samples/step_000000.png", "samples/step_000003.png"]:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert Image.open(out / "samples" / "step_000003.png").size == (768, 768)
    assert (out / "evolution.gif").read_bytes()[:6] == b"GIF89a"
    assert Image.open(out / "evolution.gif").n_frames == 2
    assert (out / "generate.weights.h5").exists() and (out / "discriminator.weights.h5").exists()
    # checkpoints after the steps that save (0 and the last) and before the first step
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == [
        "step_00000000", "step_00000001", "step_00000004"]
    rows = read_rows(out / "losses.csv")
    assert [row["step"] for row in rows] == ["0", "1", "2", "3"]
    assert [bool(row["swd"]) for row in rows] == [True, False, False, True]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps"] == 4 and set(metrics["swd_x1e3"]) == {"96", "48", "24", "avg",
                                                                  "images"}
    assert metrics["final_loss_d"] == float(rows[-1]["loss_d"])
    assert round(metrics["swd_x1e3"]["avg"], 4) == float(rows[-1]["swd"])
    config = json.loads((out / "config.json").read_text())
    flags = config["flags"]
    assert flags["lr_d"] == flags["lr_g"] == 5e-5 and flags["n_critic"] == 2
    assert [flags["clamp_lower"], flags["clamp_upper"]] == [-0.01, 0.01]
    assert flags["rmsprop_epsilon"] == 1e-8 and flags["rotation_range"] == 20
    assert config["program"] == "wgan_anime" and config["rmsprop_rho"] == 0.9
    assert config["dataset"]["images"] == 5 and len(config["data_checksum"]) == 16
    assert config["devices_and_scale"]["strategy"] == "default"


@pytest.mark.slow  # CI runs it; the default suite tries resume on S9 (test_contract.py)
def test_interrupted_and_resumed_run_ends_like_the_uninterrupted_one(
        tmp_path, small_faces, straight_run, monkeypatch, capsys):
    """A real SIGINT during step 1: a checkpoint after it, --resume continues to the same
    losses, checkpoint and metrics; --evaluate of the run gives the run's final SWD."""
    out = tmp_path / "run"
    flags = ["--data", str(small_faces), "--out", str(out), *FLAGS]
    stream = ImageFolder.stream

    def interrupted(self, *args, **kwargs):  # the loop takes n_critic (2) batches a step
        for i, batch in enumerate(stream(self, *args, **kwargs)):
            if i == 2:  # step 1's first
                os.kill(os.getpid(), signal.SIGINT)
            yield batch
    monkeypatch.setattr(ImageFolder, "stream", interrupted)
    with pytest.raises(KeyboardInterrupt):
        s3_cli.main(flags)
    assert "checkpoint saved after step 2" in capsys.readouterr().out
    monkeypatch.undo()
    with open(out / "losses.csv", "a") as f:
        f.write("2,9,9,9,9,\n")  # a row written after the last checkpoint, before a crash
    assert s3_cli.main(flags + ["--resume"]) == 0
    assert "Resuming" in capsys.readouterr().out
    _, straight = straight_run
    assert (out / "losses.csv").read_bytes() == (straight / "losses.csv").read_bytes()
    expected = checkpoint_values(straight / "checkpoints" / "step_00000004")
    actual = checkpoint_values(out / "checkpoints" / "step_00000004")
    assert expected.keys() == actual.keys() and len(actual) > 40
    for name in expected:
        np.testing.assert_array_equal(actual[name], expected[name], err_msg=name)
    metrics = json.loads((straight / "metrics.json").read_text())
    resumed = json.loads((out / "metrics.json").read_text())
    assert {k: v for k, v in resumed.items() if k != "train_seconds"} == \
        {k: v for k, v in metrics.items() if k != "train_seconds"}

    with pytest.raises(UsageError, match="--ngf 32 differs from the run's 64"):
        s3_cli.main(flags + ["--resume", "--ngf", "32"])
    assert s3_cli.main(["--evaluate", "--out", str(out), "--data", str(small_faces),
                        "--swd-images", "4"]) == 0
    assert "step_00000004 (step 4)" in capsys.readouterr().out
    evaluated = json.loads((out / "metrics.json").read_text())["evaluations"]["step_00000004"]
    assert evaluated["steps_trained"] == 4 and evaluated["swd_x1e3"] == metrics["swd_x1e3"]


@pytest.mark.parametrize("flags, message", [
    (["--steps", "-3"], "--steps: '-3' must be a positive integer"),
    (["--ngf", "100"], "--ngf 100 must be a multiple of 16"),
    (["--clamp-lower", "0.1"], "--clamp-lower 0.1 must be below --clamp-upper 0.01"),
    (["--clamp-upper", "inf"], "--clamp-upper: 'inf' must be a finite number"),
    (["--data", "nowhere"], "--data nowhere does not exist; expected a folder of JPEG/PNG "
                            "face images"),
    (["--evaluate", "--out", "nothing"], "--evaluate: nothing holds no run (no config.json)"),
    (["--evaluate", "--overwrite"], "--evaluate cannot be combined with --resume, "
                                    "--overwrite, --sample or --sweep"),
])
def test_bad_flags_and_data_exit_2_with_one_line(flags, message, tmp_path, monkeypatch,
                                                 capsys):
    monkeypatch.chdir(tmp_path)
    try:
        code = launch.run("keras_models.wgan_cli", flags)
    except SystemExit as exit_info:  # argparse's own errors
        code = exit_info.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "runs").exists()


@pytest.mark.slow
def test_full_size_script_runs_two_steps(tmp_path):
    make_faces(tmp_path / "faces", n=6)
    result = run_script("wgan_anime.py", "--steps", "2", "--batch-size", "2", "--save-every",
                        "1", "--swd-images", "8", cwd=tmp_path, timeout=900)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    config = json.loads((tmp_path / "runs" / "wgan_anime" / "config.json").read_text())
    assert config["trainable_parameters"] == {"generator": 12067712,
                                              "discriminator": 11157248}
