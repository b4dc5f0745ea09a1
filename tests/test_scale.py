"""Device options and strategies of S2 and S3 (gantools.faces.scale): XLA, mixed precision,
MirroredStrategy on two logical CPU devices, multi-worker on loopback. No timing asserted."""
import argparse
import csv
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import ROOT, SCRIPTS, make_faces, run_script
from gantools.run.cli import UsageError
from gantools.faces.scale import Replicas, non_chief_index, set_precision, worker_out
from keras_models import dcgan as s2, dcgan_cli as s2_cli, wgan as s3, wgan_cli as s3_cli
from keras_models.dcgan_scale import ScaledDCGAN
from keras_models.wgan_scale import ScaledWGAN

REAL = tf.random.stateless_uniform((4, 96, 96, 3), (5, 6), -1, 1)


def dcgan(**kwargs):
    """S2 with these device options (keras_models/dcgan_scale.py); without any, the
    faithful program."""
    keras.utils.set_random_seed(0)
    args = argparse.Namespace(lr=s2.lr, beta1=s2.beta1)
    return s2.make_gan(args, 0, Replicas(**kwargs))


# a small S3's flags
WGAN_ARGS = argparse.Namespace(nz=s3.nz, ngf=64, ndf=8, batch_size=4, lr_d=s3.lrD, lr_g=s3.lrG,
                               clamp_lower=-0.01, clamp_upper=0.01, n_critic=2,
                               rmsprop_epsilon=1e-8)


def wgan(**kwargs):
    """A small S3 with these device options (keras_models/wgan_scale.py); without any, the
    faithful program."""
    keras.utils.set_random_seed(0)
    return s3.make_gan(WGAN_ARGS, 0, Replicas(**kwargs))


@pytest.fixture
def mixed_policy():
    set_precision(True)
    yield
    set_precision(False)


def test_the_faithful_programs_run_unless_a_device_option_is_set():
    """The device options are overrides (dcgan_scale.py, wgan_scale.py); the faithful DCGAN
    and WGAN have none."""
    faithful = dcgan()
    assert type(faithful) is s2.DCGAN and not hasattr(faithful, "replicas")
    for option in ("jit_compile", "mixed_precision"):
        assert isinstance(dcgan(**{option: True}), ScaledDCGAN)
    assert isinstance(dcgan(strategy=tf.distribute.OneDeviceStrategy("/cpu:0")), ScaledDCGAN)
    faithful = wgan()
    assert type(faithful) is s3.WGAN and not hasattr(faithful, "replicas")
    assert isinstance(wgan(jit_compile=True), ScaledWGAN)


@pytest.mark.slow  # 12 s; CI runs the slow suite too
def test_mixed_precision_steps_run_and_stay_finite(mixed_policy):
    gan = dcgan(mixed_precision=True)
    assert gan.generate.get_layer("convtrans2").compute_dtype == "float16"
    assert gan.generate.get_layer("convtrans2").kernel.dtype == "float32"
    assert gan.discriminator.output.dtype == "float32"   # the BCE sees float32
    assert isinstance(gan.optimizer_D, keras.optimizers.LossScaleOptimizer)
    for _ in range(3):
        losses = gan.train_step(REAL).numpy()
        assert losses.dtype == np.float32 and np.all(np.isfinite(losses))
    assert all(np.all(np.isfinite(v.numpy())) for v in gan.generate.weights)
    critic = wgan(mixed_precision=True)
    assert critic.netD.output.dtype == "float32"
    for _ in range(3):
        assert np.all(np.isfinite(critic.train_step([REAL, REAL]).numpy()))
    assert all(np.all(np.abs(v.numpy()) <= 0.01) for v in critic.netD.trainable_variables)
    assert all(np.all(np.isfinite(v.numpy())) for v in critic.netG.weights)


@pytest.mark.slow  # 28 s for both; CI runs the slow suite too
@pytest.mark.parametrize("make,batches", [(dcgan, REAL), (wgan, [REAL, REAL])],
                         ids=["dcgan", "wgan"])
def test_jit_compile_gives_the_same_step(make, batches):
    plain, xla = make(), make(jit_compile=True)
    np.testing.assert_allclose(xla.train_step(batches).numpy(),
                               plain.train_step(batches).numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.slow  # 40 s (a fresh process, full-size DCGAN); CI runs the slow suite too
def test_mirrored_on_two_cpu_devices_matches_the_default_strategy():
    """One step of each with a global batch of 8 on one and on two replicas.

    WGAN (RMSprop, clipping) agrees to 1e-4 in every weight. DCGAN is compared with plain
    SGD in place of Adam (tests/mirrored_equivalence.py says why): each variable's change,
    BatchNorm statistics included, must agree within 10 % of its size (L2 norms). A wrong
    step changes some variable's update by a fraction of order 1: a replica's gradient
    counted twice, a gradient not all-reduced (half the batch's), BatchNorm statistics of one
    replica's rows (the mutations in test_mirrored_check_catches_a_wrong_step give 1.0-1.4).
    Float32 summation order alone changes G's updates by about 1 %: BatchNorm's backward
    pass subtracts nearly equal means, badly conditioned at the original's N(0, 0.01)
    initial weights, and the two strategies use different BatchNorm kernels."""
    found = mirrored_equivalence()
    assert found["replicas"] == 2
    for name in ("dcgan", "wgan"):
        assert found[name]["losses"] < 1e-4
        assert found[name]["changed"] > 1e-6   # the step did change the weights
    assert found["wgan"]["weights"] < 1e-4     # clipping included
    assert found["dcgan"]["relative_change_difference"] < 0.1


def mirrored_equivalence(*flags):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, str(ROOT / "tests" / "mirrored_equivalence.py"),
                             *flags], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.slow  # 40 s: the mutations of the check above
@pytest.mark.parametrize("mutation", ["unsynchronised-batchnorm", "double-weight"])
def test_mirrored_check_catches_a_wrong_step(mutation):
    found = mirrored_equivalence("--mutation", mutation)
    assert found["dcgan"]["relative_change_difference"] > 0.5


@pytest.mark.parametrize("module", [s2_cli, s3_cli], ids=["dcgan", "wgan"])
def test_bad_device_flags_are_refused(module, tmp_path, monkeypatch):
    faces = make_faces(tmp_path / "faces", n=2)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TF_CONFIG", raising=False)
    for flags, message in [(["--strategy", "multi-worker"], "needs the TF_CONFIG"),
                           (["--devices", "CPU:0"], "only used with --strategy mirrored")]:
        with pytest.raises(UsageError, match=message):
            module.main(["--data", str(faces), *flags])
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(UsageError, match="TF_CONFIG must be JSON"):
        module.main(["--data", str(faces), "--strategy", "multi-worker"])
    with pytest.raises(SystemExit) as exit:
        module.main(["--data", str(faces), "--jit-compile", "maybe"])
    assert exit.value.code == 2
    assert not (tmp_path / "runs").exists()


def test_the_chief_writes_the_run_and_every_other_worker_its_own_copy(monkeypatch):
    assert non_chief_index("worker", 0, {"worker": ["a", "b"]}) is None   # the chief
    assert non_chief_index("worker", 1, {"worker": ["a", "b"]}) == 1
    assert non_chief_index("worker", 0, {"chief": ["c"], "worker": ["a"]}) == 0
    assert non_chief_index("chief", 0, {"chief": ["c"], "worker": ["a"]}) is None
    assert non_chief_index(None, None, {}) is None                        # no cluster
    cluster = {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}
    for index, out in [(0, "runs/x"), (1, "runs/x.worker1")]:
        monkeypatch.setenv("TF_CONFIG", json.dumps(
            {"cluster": cluster, "task": {"type": "worker", "index": index}}))
        args = argparse.Namespace(out=Path("runs/x"), strategy="multi-worker", devices=None)
        assert worker_out(args) == Path(out)
        args = argparse.Namespace(out=Path("runs/x"), strategy="default", devices=None)
        assert worker_out(args) == Path("runs/x")  # TF_CONFIG alone makes no worker


@pytest.mark.slow  # CI runs the slow suite too
def test_multi_worker_without_tf_config_is_one_line_exit_2(tmp_path):
    faces = make_faces(tmp_path / "faces", n=2)
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    result = subprocess.run([sys.executable, str(SCRIPTS / "dcgan_anime.py"), "--data",
                             str(faces), "--strategy", "multi-worker"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith("dcgan_anime.py: error: --strategy multi-worker needs")
    assert len(result.stderr.splitlines()) == 1


WGAN_SMALL = ["--ngf", "64", "--ndf", "8", "--n-critic", "2", "--batch-size", "4",
              "--save-every", "2", "--swd-images", "4"]


@pytest.mark.slow  # 20 s; CI runs the slow suite too
def test_wgan_script_mirrored_on_two_logical_cpus(tmp_path):
    """The whole program under --strategy mirrored; the start-up line and config.json."""
    faces = make_faces(tmp_path / "faces", n=6)
    result = run_script("wgan_anime.py", "--data", faces, *WGAN_SMALL, "--steps", "2",
                        "--strategy", "mirrored", "--devices", "CPU:0,CPU:1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Strategy: MirroredStrategy (2 replicas" in result.stdout
    assert "XLA jit_compile: off; mixed precision: off" in result.stdout
    config = json.loads((tmp_path / "runs" / "wgan_anime" / "config.json").read_text())
    scale = config["devices_and_scale"]
    assert scale["strategy"] == "MirroredStrategy" and scale["replicas"] == 2
    assert scale["jit_compile"] is False and config["flags"]["mixed_precision"] is False
    assert (tmp_path / "runs" / "wgan_anime" / "samples" / "step_000001.png").is_file()


def free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def run_workers(tmp_path, faces, *flags):
    """Two workers on loopback ports (TF_CONFIG), each in its own folder; their stdouts."""
    cluster = {"worker": ["127.0.0.1:%d" % port for port in free_ports(2)]}
    workers = []
    for index in range(2):
        env = dict(os.environ, TF_CONFIG=json.dumps(
            {"cluster": cluster, "task": {"type": "worker", "index": index}}))
        env.pop("TF_CPP_MIN_LOG_LEVEL", None)
        cwd = tmp_path / ("worker%d" % index)
        cwd.mkdir(exist_ok=True)
        workers.append(subprocess.Popen(
            [sys.executable, str(SCRIPTS / "wgan_anime.py"), "--data", str(faces),
             *WGAN_SMALL, "--strategy", "multi-worker", *flags],
            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = []
    try:
        for process in workers:
            stdout, stderr = process.communicate(timeout=240)
            assert process.returncode == 0, stderr[-3000:]
            outputs.append(stdout)
    finally:
        for process in workers:
            if process.poll() is None:
                process.kill()
    return outputs


def step_lines(stdout):
    return [line.split(" [ETA")[0] for line in stdout.splitlines() if line.startswith("[")]


@pytest.mark.slow  # 60 s (two worker processes, twice); CI runs the slow suite too
def test_multi_worker_on_two_local_processes_and_resume(tmp_path):
    """Two workers train 3 WGAN steps, then resume to 5: the chief (worker 0) writes --out,
    worker 1 its own copy beside it; both report the same losses, and resuming continues
    from the checkpoint each has."""
    faces = make_faces(tmp_path / "faces", n=6)
    outputs = run_workers(tmp_path, faces, "--steps", "3")
    for stdout in outputs:
        assert "Strategy: MultiWorkerMirroredStrategy (2 replicas" in stdout
    losses = [step_lines(out) for out in outputs]
    assert len(losses[0]) == 3 and losses[0] == losses[1]
    chief_run = tmp_path / "worker0" / "runs" / "wgan_anime"
    worker_run = tmp_path / "worker1" / "runs" / "wgan_anime.worker1"
    assert (chief_run / "config.json").is_file() and (chief_run / "checkpoints").is_dir()
    assert not (tmp_path / "worker1" / "runs" / "wgan_anime").exists()
    assert (worker_run / "checkpoints").is_dir()
    assert "copy (for --resume) is in" in outputs[1]

    resumed = run_workers(tmp_path, faces, "--steps", "5", "--resume")
    losses = [step_lines(out) for out in resumed]
    assert [line.split("]")[0] for line in losses[0]] == ["[3", "[4"]
    assert losses[0] == losses[1]
    with open(chief_run / "losses.csv", newline="") as f:
        assert [row["step"] for row in csv.DictReader(f)] == ["0", "1", "2", "3", "4"]


def load_bench():
    import importlib.util
    spec = importlib.util.spec_from_file_location("train_step", ROOT / "bench" / "train_step.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # CI runs the slow suite too
def test_benchmark_flop_count_and_torch_model():
    bench = load_bench()
    gan = dcgan()
    # 2 x multiply-adds: transposed convolutions count input pixels, convolutions output ones
    g = 2 * (1 * 36 * 100 * 512 + 36 * 16 * 512 * 256 + 144 * 16 * 256 * 128
             + 576 * 16 * 128 * 64 + 2304 * 16 * 64 * 3)
    d = 2 * (2304 * 16 * 3 * 64 + 576 * 16 * 64 * 128 + 144 * 16 * 128 * 256
             + 36 * 16 * 256 * 512 + 1 * 25 * 512)
    assert bench.forward_flops(gan.generate) == g
    assert bench.forward_flops(gan.discriminator) == d
    assert bench.update_flops(g, d) == (g + 6 * d, 3 * g + 2 * d)
    timed = bench.torch_dcgan(2, repeats=1)   # the original, in a process of its own
    if timed is None:
        pytest.skip("PyTorch not installed (optional extra .[bench])")
    seconds, losses, counts = timed
    assert seconds > 0 and np.all(np.isfinite(losses))
    assert counts == (4600704, 2770176)
    assert "torch" not in sys.modules
