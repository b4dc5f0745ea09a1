"""The blog's DCGAN on anime faces in Keras 3 (S2)."""
import json
import os
import signal

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from conftest import assert_only_run_files, make_faces, read_rows
from gantools.run import launch, runner
from gantools import training
from gantools.run.cli import UsageError
from keras_models import dcgan as s2
from keras_models import dcgan_extras as s2x
from keras_models import dcgan_cli as s2_cli


@pytest.fixture(scope="module")
def gan():
    s2.keras.utils.set_random_seed(0)
    return s2.DCGAN(seed=0)


# -- the networks --------------------------------------------------------------------------

def test_parameter_counts(gan):
    assert s2x.trainable_parameters(gan) == {"generator": 4600704, "discriminator": 2770176}


def output_shapes(model):
    return [(layer.name, tuple(layer.output.shape[1:])) for layer in model.layers[1:]]


def test_generator_layers_and_output_sizes(gan):
    assert output_shapes(gan.generate) == [
        ("reshape", (1, 1, 100)),
        ("convtrans1", (6, 6, 512)), ("convtrans1_bn", (6, 6, 512)),
        ("convtrans1_relu", (6, 6, 512)),
        ("convtrans2", (12, 12, 256)), ("convtrans2_bn", (12, 12, 256)),
        ("convtrans2_relu", (12, 12, 256)),
        ("convtrans3", (24, 24, 128)), ("convtrans3_bn", (24, 24, 128)),
        ("convtrans3_relu", (24, 24, 128)),
        ("convtrans4", (48, 48, 64)), ("convtrans4_bn", (48, 48, 64)),
        ("convtrans4_relu", (48, 48, 64)),
        ("convtrans5", (96, 96, 3)), ("convtrans5_tanh", (96, 96, 3))]


def test_discriminator_layers_and_output_sizes(gan):
    assert output_shapes(gan.discriminator) == [
        ("conv1", (48, 48, 64)), ("conv1_lrelu", (48, 48, 64)),
        ("conv2", (24, 24, 128)), ("conv2_bn", (24, 24, 128)), ("conv2_lrelu", (24, 24, 128)),
        ("conv3", (12, 12, 256)), ("conv3_bn", (12, 12, 256)), ("conv3_lrelu", (12, 12, 256)),
        ("conv4", (6, 6, 512)), ("conv4_bn", (6, 6, 512)), ("conv4_lrelu", (6, 6, 512)),
        ("conv5", (1, 1, 1)), ("conv5_sigmoid", (1, 1, 1)), ("squeeze", (1,))]
    assert all(not getattr(layer, "use_bias", False) for layer in gan.discriminator.layers)
    assert all(not getattr(layer, "use_bias", False) for layer in gan.generate.layers)
    for model in (gan.generate, gan.discriminator):
        for layer in model.layers:
            if "lrelu" in layer.name:
                assert layer.negative_slope == pytest.approx(0.2)


def torch_conv_transpose2d(x, weight, stride, padding):
    """PyTorch's ConvTranspose2d (NCHW, weight (in, out, k, k)) by its definition."""
    n, _, height, width = x.shape
    k = weight.shape[2]
    full = np.zeros((n, weight.shape[1], (height - 1) * stride + k, (width - 1) * stride + k))
    for i in range(height):
        for j in range(width):
            full[:, :, i * stride:i * stride + k, j * stride:j * stride + k] += np.einsum(
                "nc,cokl->nokl", x[:, :, i, j], weight)
    return full[:, :, padding:full.shape[2] - padding, padding:full.shape[3] - padding]


def torch_conv2d(x, weight, stride, padding):
    """PyTorch's Conv2d (NCHW, weight (out, in, k, k)), a cross-correlation."""
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    k = weight.shape[2]
    out_h, out_w = (x.shape[2] - k) // stride + 1, (x.shape[3] - k) // stride + 1
    out = np.zeros((x.shape[0], weight.shape[0], out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            patch = x[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
            out[:, :, i, j] = np.einsum("nckl,ockl->no", patch, weight)
    return out


def nchw(x):
    return np.transpose(np.asarray(x), (0, 3, 1, 2))


@pytest.mark.parametrize("block, in_size, padding", [("convtrans1", 1, 0), ("convtrans4", 5, 1),
                                                     ("convtrans5", 6, 1)])
def test_transposed_convolutions_compute_what_pytorch_computes(gan, block, in_size, padding):
    layer = gan.generate.get_layer(block)
    x = np.random.default_rng(0).standard_normal(
        (2, in_size, in_size, layer.kernel.shape[3])).astype(np.float32)
    y = layer(x)
    torch_weight = np.transpose(np.asarray(layer.kernel), (3, 2, 0, 1))  # (in, out, k, k)
    expected = torch_conv_transpose2d(nchw(x), torch_weight, 2, padding)
    np.testing.assert_allclose(nchw(y), expected, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("block, in_size, padding", [("conv1", 12, 1), ("conv2", 8, 1),
                                                     ("conv5", 6, 0)])
def test_convolutions_compute_what_pytorch_computes(gan, block, in_size, padding):
    layer = gan.discriminator.get_layer(block)
    x = np.random.default_rng(1).standard_normal(
        (2, in_size, in_size, layer.kernel.shape[2])).astype(np.float32)
    y = layer(x)
    torch_weight = np.transpose(np.asarray(layer.kernel), (3, 2, 0, 1))  # (out, in, k, k)
    np.testing.assert_allclose(nchw(y), torch_conv2d(nchw(x), torch_weight, 2, padding),
                               rtol=1e-4, atol=1e-6)


def test_weight_init_and_pytorch_batchnorm_settings(gan):
    kernels = np.concatenate([np.ravel(layer.kernel) for model in (gan.generate,
                                                                   gan.discriminator)
                              for layer in model.layers if hasattr(layer, "kernel")])
    assert abs(kernels.mean()) < 1e-4 and kernels.std() == pytest.approx(0.01, rel=0.01)
    norms = [layer for model in (gan.generate, gan.discriminator) for layer in model.layers
             if "_bn" in layer.name]
    assert len(norms) == 7
    gammas = np.concatenate([np.ravel(layer.gamma) for layer in norms])
    assert gammas.mean() == pytest.approx(1.0, abs=1e-3) and gammas.std() == pytest.approx(
        0.01, rel=0.1)
    assert all(np.all(np.asarray(layer.beta) == 0) for layer in norms)
    assert all(layer.epsilon == 1e-5 for layer in norms)
    assert [layer.momentum for layer in norms] == [0.9 ** 2] * 4 + [0.9] * 3  # G's: see below


def torch_batch_norm(x, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5):
    """PyTorch's BatchNorm2d in training mode (NHWC here): output and updated running stats."""
    n = x.size // x.shape[-1]
    mean, var = x.mean((0, 1, 2)), x.var((0, 1, 2))
    y = (x - mean) / np.sqrt(var + eps) * gamma + beta
    return (y, (1 - momentum) * running_mean + momentum * mean,
            (1 - momentum) * running_var + momentum * var * n / (n - 1))


@pytest.mark.parametrize("synchronized", [False, True], ids=["fused", "all-reduced"])
@pytest.mark.parametrize("jit_compile", [False, True], ids=["eager", "xla"])
def test_batch_norm_computes_what_pytorch_computes(synchronized, jit_compile):
    """Training mode: PyTorch's output and running statistics (unbiased running variance);
    gradients as Keras's own BatchNormalization; inference mode uses the running stats."""
    x = tf.constant(np.random.default_rng(2).normal(3.0, 2.0, (4, 3, 3, 5)), tf.float32)
    ours = s2.batch_norm("bn", synchronized)
    keras_bn = s2.layers.BatchNormalization(momentum=0.9, epsilon=1e-5)
    for layer in (ours, keras_bn):
        layer.build(x.shape)
    keras_bn.set_weights(ours.get_weights())
    gamma, beta = np.asarray(ours.gamma), np.asarray(ours.beta)

    @tf.function(jit_compile=jit_compile)
    def forward_and_gradients(layer):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
            loss = tf.reduce_sum(y * tf.range(1.0, 6.0) * tf.sin(x))
        return y, tape.gradient(loss, [x, layer.gamma, layer.beta])

    y, grads = forward_and_gradients(ours)
    expected, mean, var = torch_batch_norm(x.numpy().astype(np.float64), gamma, beta,
                                           np.zeros(5), np.ones(5))
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours.moving_mean, mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.moving_variance, var, rtol=1e-5)
    _, keras_grads = forward_and_gradients(keras_bn)
    for a, b in zip(grads, keras_grads):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
    assert not np.allclose(keras_bn.moving_variance, var, rtol=1e-3)  # Keras: the biased one
    inference = (x.numpy() - mean) / np.sqrt(var + 1e-5) * gamma + beta
    np.testing.assert_allclose(ours(x, training=False), inference, rtol=1e-5, atol=1e-5)
    ours.trainable = False  # frozen, as Keras's: the averages, which stay as they are
    np.testing.assert_allclose(ours(x, training=True), inference, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours.moving_variance, var, rtol=1e-5)


class DOnly(s2.DCGAN):
    """The port's batch with G's optimizer step left out."""

    def step(self, optimizer, model, tape, loss):
        if model is self.discriminator:
            super().step(optimizer, model, tape, loss)


def test_d_step_changes_only_d_and_g_step_only_g():
    """D's step alone (one GAN) against D's step then G's step (`updates`, a twin GAN with
    the same weights and noise): G's step leaves D's weights as D's step left them."""
    d_only, both = DOnly(seed=0), s2.DCGAN(seed=0)
    for model in ("generate", "discriminator"):
        getattr(both, model).set_weights(getattr(d_only, model).get_weights())
    real = tf.random.uniform((2, 96, 96, 3), -1, 1)
    noise = tf.random.normal((2, 100))
    g, d = d_only.generate.trainable_variables, d_only.discriminator.trainable_variables
    g0, d0 = [v.numpy() for v in g], [v.numpy() for v in d]
    tf.function(d_only.updates)(real, noise)
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(g0, g))
    assert all(not np.array_equal(a, v.numpy()) for a, v in zip(d0, d))
    tf.function(both.updates)(real, noise)  # D's step, then G's
    assert all(not np.array_equal(a, v.numpy())
               for a, v in zip(g0, both.generate.trainable_variables))
    for a, v in zip(d, both.discriminator.trainable_variables):
        np.testing.assert_array_equal(v.numpy(), a.numpy())


def main_py_step(gan, real_data, noise):
    """main.py's batch as written: generate(noise) for D's step, and again for G's."""
    fake_data = gan.generate(noise, training=True)
    with tf.GradientTape() as tape:
        loss_D = (gan.criterion(gan.discriminator(real_data, training=True), 1.0)
                  + gan.criterion(gan.discriminator(fake_data, training=True), 0.0))
    gan.step(gan.optimizer_D, gan.discriminator, tape, loss_D)
    with tf.GradientTape() as tape:
        fake_data = gan.generate(noise, training=True)
        loss_G = gan.criterion(gan.discriminator(fake_data, training=True), 1.0)
    gan.step(gan.optimizer_G, gan.generate, tape, loss_G)


@pytest.mark.slow  # 8 s; the side-by-side test runs main.py's two passes beside the port too
def test_one_generator_pass_gives_main_py_step():
    """Two batches: the same weights and running statistics as main.py's two G passes with
    PyTorch's momentum (the port: one pass, momentum 0.9 ** 2)."""
    ours, reference = (s2.DCGAN(seed=0) for _ in range(2))
    reference.generate.set_weights(ours.generate.get_weights())
    reference.discriminator.set_weights(ours.discriminator.get_weights())
    norms = [layer for layer in reference.generate.layers if "_bn" in layer.name]
    assert len(norms) == 4 and all(layer.momentum == pytest.approx(0.81) for layer in norms)
    for layer in norms:
        layer.momentum = 0.9  # PyTorch's 0.1
    step = tf.function(main_py_step)
    for i in range(2):
        real = tf.random.stateless_uniform((4, 96, 96, 3), (i, 0), -1, 1)
        noise = tf.random.stateless_normal((4, 100), (i, 1))
        tf.function(ours.updates)(real, noise)
        step(reference, real, noise)
    for a, b in zip(ours.generate.weights + ours.discriminator.weights,
                    reference.generate.weights + reference.discriminator.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-7, err_msg=a.path)


# -- the program ---------------------------------------------------------------------------

DROP = ["seconds"]  # the only column that differs between identical runs
FLAGS = ["--epochs", "3", "--batch-size", "2", "--save-every", "2", "--swd-images", "4",
         "--deterministic"]


def parse(flags):
    return runner.build_parser(s2_cli.DCGANAnime()).parse_args(flags)


def checkpoint_values(run_dir):
    """Every tensor of the run's newest checkpoint, by name; and its checkpoint.json."""
    folder = sorted((run_dir / "checkpoints").glob("batch_*"))[-1]
    reader = tf.train.load_checkpoint(str(folder / "state"))
    values = {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()
              if "OBJECT_GRAPH" not in name}
    return values, json.loads((folder / "checkpoint.json").read_text())


@pytest.fixture(scope="module")
def straight_run(tmp_path_factory, small_faces):
    """The script as a user runs it, in a fresh process: 3 epochs of 3 batches."""
    from conftest import run_script
    cwd = tmp_path_factory.mktemp("straight")
    result = run_script("dcgan_anime.py", "--data", small_faces, *FLAGS, cwd=cwd)
    return result, cwd / "runs" / "dcgan_anime"


def test_script_end_to_end(straight_run):
    result, out = straight_run
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert_only_run_files(out)  # --overwrite would remove every file of the run
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Reading 6 JPEG/PNG images below ")
    assert lines[1].startswith("Skipped 1 unreadable files")
    assert lines[2] == "Devices: CPU" and lines[3].startswith("Strategy: default (1 replica")
    assert [line for line in lines if line.startswith("Main epoch")] == [
        "Main epoch0:", "Main epoch1:", "Main epoch2:"]
    assert any(line.startswith("progress: D:") and ", G:" in line and " 9/9 " in line
               for line in lines)  # tqdm's description, over the run's 3 x 3 batches
    assert lines[-1] == "Wrote runs/dcgan_anime" and lines[-2].startswith("SWD x1e3 ")
    for name in ["losses.png", "samples/epoch_000.png", "samples/epoch_002.png"]:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert Image.open(out / "samples" / "epoch_000.png").size == (768, 768)
    assert (out / "evolution.gif").read_bytes()[:6] == b"GIF89a"
    assert Image.open(out / "evolution.gif").n_frames == 2
    assert (out / "generate.weights.h5").exists() and (out / "discriminator.weights.h5").exists()
    # checkpoints: at the start, after the epochs that save (0 and the last), the last 3 kept
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == [
        "batch_00000000", "batch_00000003", "batch_00000009"]
    rows = read_rows(out / "losses.csv", DROP)
    assert [row["epoch"] for row in rows] == ["0", "1", "2"]
    assert rows[0]["swd"] and not rows[1]["swd"] and rows[2]["swd"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == 3 and metrics["swd_x1e3"]["images"] == 4
    assert set(metrics["swd_x1e3"]) == {"96", "48", "24", "avg", "images"}
    assert metrics["final_loss_d"] == float(rows[-1]["loss_d"])
    assert metrics["seconds_per_batch"] > 0 and metrics["train_seconds"] > 0
    config = json.loads((out / "config.json").read_text())
    assert config["program"] == "dcgan_anime" and len(config["data_checksum"]) == 16
    assert config["trainable_parameters"] == {"generator": 4600704, "discriminator": 2770176}
    assert config["flags"]["lr"] == 1e-4 and config["betas"] == [0.5, 0.999]
    assert config["dataset"]["images"] == 5 and config["dataset"]["unreadable"] == 1
    assert config["flags"]["size_per_dataset"] == 30000  # the original's default (fewer here)
    assert "evaluate" not in config["flags"]


def test_size_per_dataset_is_the_originals_30000_and_all_a_flag_value_away(tmp_path):
    assert parse([]).size_per_dataset == 30000
    assert parse(["--size-per-dataset", "all"]).size_per_dataset is None
    assert parse(["--size-per-dataset", "3"]).size_per_dataset == 3
    root = make_faces(tmp_path / "faces", n=6, corrupt=False)
    for flags, images in [(["--size-per-dataset", "4"], 4), (["--size-per-dataset", "all"], 6),
                          ([], 6)]:
        assert len(s2_cli.DCGANAnime().load_data(parse(["--data", str(root), *flags]))) == images


def test_a_unit_is_a_batch_a_row_an_epoch_and_checkpoints_follow_the_saves():
    args = parse(["--epochs", "45", "--save-every", "20"])
    due = [done for done in range(1, 136) if s2x.checkpoint_due(done, 3, args)]
    assert due == [3, 63, 123, 135]  # after epochs 0, 20, 40 and the last (44)


def interrupt_after(monkeypatch, batches):
    """Send this process a real SIGINT while the runner reports the given batch."""
    seen = {"n": 0}
    original = training.Progress.update

    def update(self, done, description=""):
        seen["n"] += 1
        if seen["n"] == batches:
            os.kill(os.getpid(), signal.SIGINT)
        return original(self, done, description)
    monkeypatch.setattr(training.Progress, "update", update)


@pytest.mark.slow  # CI runs it; the default suite tries resume on S9 (test_contract.py)
def test_interrupted_and_resumed_run_ends_like_the_uninterrupted_one(
        tmp_path, small_faces, straight_run, monkeypatch, capsys):
    out = tmp_path / "run"
    flags = ["--data", str(small_faces), "--out", str(out), *FLAGS]
    interrupt_after(monkeypatch, 5)  # inside epoch 1, after its second batch
    with pytest.raises(KeyboardInterrupt):
        s2_cli.main(flags)
    assert "Interrupted: checkpoint saved after batch 5; continue with --resume" in \
        capsys.readouterr().out
    monkeypatch.undo()
    with (out / "losses.csv").open("a") as f:
        f.write("1,9,9,9,9,,1\n")  # a row written after the checkpoint, before a kill
    with pytest.raises(UsageError, match="--batch-size 4 differs from the run's 2"):
        s2_cli.main(flags[:-1] + ["--batch-size", "4", "--resume"])
    assert s2_cli.main(flags + ["--resume"]) == 0
    printed = capsys.readouterr().out
    assert "Resuming " in printed and "after batch 5 of 9" in printed
    assert "Main epoch1:" in printed and "Main epoch0:" not in printed
    _, straight = straight_run
    assert read_rows(out / "losses.csv", DROP) == read_rows(straight / "losses.csv", DROP)
    (expected, expected_state), (actual, state) = (checkpoint_values(straight),
                                                   checkpoint_values(out))
    assert state["units_done"] == expected_state["units_done"] == 9
    assert expected.keys() == actual.keys() and len(actual) > 40
    for name in expected:
        np.testing.assert_array_equal(actual[name], expected[name], err_msg=name)
    metrics = json.loads((out / "metrics.json").read_text())
    timings = ("train_seconds", "seconds_per_batch")
    assert {k: v for k, v in metrics.items() if k not in timings} == {
        k: v for k, v in json.loads((straight / "metrics.json").read_text()).items()
        if k not in timings}
    with pytest.raises(UsageError, match="already trained 9 batch"):
        s2_cli.main(flags + ["--resume"])
    # --evaluate recomputes the metric of the newest checkpoint: the same as at the end
    assert s2_cli.main(["--evaluate", "--out", str(out), "--data", str(small_faces),
                        "--swd-images", "4"]) == 0
    after = json.loads((out / "metrics.json").read_text())
    evaluated = after.pop("evaluations")["batch_00000009"]
    assert after == json.loads(json.dumps(metrics))  # the final metrics stay as they were
    assert evaluated["swd_x1e3"] == metrics["swd_x1e3"] and evaluated["batches_trained"] == 9
    assert evaluated["checkpoint"] == "batch_00000009" and "data_checksum" not in evaluated


@pytest.mark.parametrize("flags, message", [
    (["--epochs", "0"], "--epochs: '0' must be a positive integer"),
    (["--beta1", "1"], "--beta1: '1' must be a number in [0, 1)"),
    (["--lr", "nan"], "--lr: 'nan' must be a finite number"),
    (["--size-per-dataset", "0"], "--size-per-dataset: '0' must be a positive integer"),
    (["--cache", "disk"], "--cache: invalid choice"),
    (["--data", "nowhere"], "--data nowhere does not exist; expected a folder of JPEG/PNG "
                            "face images, the anime faces of Hung-yi Lee's"),
    (["--resume"], "--resume: runs/dcgan_anime holds no run to resume"),
    (["--evaluate"], "--evaluate: runs/dcgan_anime holds no run (no config.json)"),
    (["--evaluate", "--overwrite"], "--evaluate cannot be combined with --resume, "
                                    "--overwrite, --sample or --sweep"),
])
def test_bad_flags_and_data_exit_2_with_one_line(flags, message, tmp_path, monkeypatch,
                                                 capsys):
    monkeypatch.chdir(tmp_path)
    make_faces(tmp_path / "faces", n=2)
    try:
        code = launch.run("keras_models.dcgan_cli", flags)
    except SystemExit as exit_info:  # argparse's own errors
        code = exit_info.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "runs" / "dcgan_anime" / "config.json").exists()
