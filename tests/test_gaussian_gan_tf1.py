"""The book's 1-D Gaussian GAN (S1): graph, schedule, pretraining copy, k, runs, resume and
sweeps."""
import csv
import json
import re
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from gantools.run import runner
from gantools.run.cli import UsageError
from tf1_compat import gaussian_gan as s1
from tf1_compat import gaussian_gan_noisy as s1n
from tf1_compat import gaussian_gan_cli as s1_cli
from conftest import SCRIPTS, assert_only_run_files


def make(*flags, seed=0):
    """The GAN of the module the flags run (gaussian_gan_noisy with --instance-noise)."""
    program = s1_cli.GaussianGAN()
    args = runner.build_parser(program).parse_args(list(flags))
    program.check_args(None, args)
    module = runner.port_module(program.loop_for(args, s1_cli.PORT + ":main").split(":")[0])
    return module.make_gan(args, seed)


def small_run(tmp_path, name, *flags):
    out = tmp_path / name
    code = s1_cli.main(["--out", str(out), "--steps", "30", "--pretrain-steps", "20",
                    "--plot-every", "0", *flags])
    assert code == 0
    return out


# -- the graph -----------------------------------------------------------------------------

def test_variable_shapes_and_parameter_counts():
    gan = make()
    shapes = lambda vs: [v.get_shape().as_list() for v in vs]
    assert shapes(gan.g_params) == [[1, 4], [4], [4, 1], [1]]
    assert shapes(gan.d_params) == [[1, 8], [8], [8, 8], [8], [8, 8], [8], [8, 1], [1]]
    assert shapes(gan.d_pre_params) == shapes(gan.d_params)
    assert [v.op.name for v in gan.g_params][0] == "Generator/g0/w"
    assert [v.op.name for v in gan.d_params][-1] == "Discriminator/d3/b"
    assert gan.trainable_parameters() == {"generator": 13, "discriminator": 169}


def test_discriminator_shares_variables_between_real_and_generated_inputs():
    gan = make()
    with gan.graph.as_default():
        assert len(s1.tf.trainable_variables("Discriminator")) == 8


@pytest.mark.parametrize("step, lr", [
    (0, 0.03), (149, 0.03), (150, 0.0285), (299, 0.0285), (300, 0.027075),
    (999, 0.03 * 0.95 ** 6), (1199, 0.03 * 0.95 ** 7),
])
def test_learning_rate_schedule_is_staircase(step, lr):
    gan = make()
    with gan.session() as session:
        session.run(gan.init)
        for counter, rate in [(gan.pre_step, gan.pre_lr), (gan.step_d, gan.lr_d),
                              (gan.step_g, gan.lr_g)]:
            session.run(counter.assign(step))
            assert session.run(rate) == pytest.approx(lr, rel=1e-6)


def test_each_optimizer_has_its_own_step_counter():
    gan = make("--pretrain-steps", "7", "--steps", "3")
    with gan.session() as session:
        session.run(gan.init)
        gan._pretrain(session)
        assert session.run([gan.pre_step, gan.step_d, gan.step_g]) == [7, 0, 0]


def test_pretrained_weights_are_copied_into_the_discriminator():
    gan = make("--pretrain-steps", "50")
    with gan.session() as session:
        session.run(gan.init)
        before = session.run(gan.d_params)
        gan._pretrain(session)
        pre = session.run(gan.d_pre_params)
        assert not np.allclose(before[0], pre[0])
        gan._copy_pretrained(session)
        for d, p in zip(session.run(gan.d_params), pre):
            np.testing.assert_array_equal(d, p)


def test_pretraining_fits_the_data_density():
    gan = make("--pretrain-steps", "1000")
    with gan.session() as session:
        session.run(gan.init)
        first = session.run(gan.pre_loss, {
            gan.pre_input: np.full((12, 1), 3.0), gan.pre_labels: np.full((12, 1), 0.798)})
        assert gan._pretrain(session) < 0.05 and first > 0.01


@pytest.mark.parametrize("k", [1, 2])
def test_k_discriminator_updates_per_iteration(k):
    gan = make("--k", str(k), "--steps", "4", "--pretrain-steps", "0")
    counts = []
    final_metrics = gan._final_metrics
    gan._final_metrics = lambda session: counts.append(
        session.run([gan.step_d, gan.step_g])) or final_metrics(session)
    gan.train(runner.detached())  # the program's loop, without a run folder
    assert counts == [[4 * k, 4]]


def test_instance_noise_anneals_linearly_to_zero():
    gan = make("--instance-noise", "2", "--steps", "1000", "--instance-noise-anneal", "0.8")
    assert [gan._noise_std(s) for s in (0, 400, 800, 999)] == pytest.approx([2, 1, 0, 0])
    assert make()._noise_std(0) == 0.0 and make()._noise_feed(0) == {}
    assert type(gan) is s1n.NoisyGAN and type(make()) is s1.GAN  # the book's class, unchanged
    # off by default: the graph holds only the book's random ops (the initialisers)
    normals = lambda g: sum(op.type == "RandomStandardNormal" for op in g.get_operations())
    assert normals(gan.graph) == normals(make().graph) + 2 == 10 + 2  # 10 weight matrices


def test_book_sampling_leaves_the_last_points_at_zero():
    gan, book = make(), make("--book-sampling")
    for g in (gan, book):
        with g.session() as session:
            session.run(g.init)
            g.pd, g.pg = g._samples(session)
    bins = np.linspace(-8, 8, 100)
    zero_bin = np.searchsorted(bins, 0) - 1
    widths = np.diff(bins)
    assert (book.pg - gan.pg)[zero_bin] * widths[zero_bin] * 10000 == pytest.approx(4, abs=0.6)


# -- whole runs ----------------------------------------------------------------------------

def test_same_seed_gives_the_same_losses(tmp_path):
    a = small_run(tmp_path, "a", "--deterministic", "--seed", "3")
    b = small_run(tmp_path, "b", "--deterministic", "--seed", "3")
    c = small_run(tmp_path, "c", "--deterministic", "--seed", "4")
    assert (a / "losses.csv").read_bytes() == (b / "losses.csv").read_bytes()
    assert (a / "losses.csv").read_bytes() != (c / "losses.csv").read_bytes()
    assert (a / "metrics.json").read_text() != ""


def test_plotting_does_not_change_training(tmp_path):
    plain = small_run(tmp_path, "plain")
    plotted = small_run(tmp_path, "plotted", "--plot-every", "10")
    assert (plain / "losses.csv").read_bytes() == (plotted / "losses.csv").read_bytes()


def test_config_and_metrics_files(tmp_path):
    out = small_run(tmp_path, "run", "--k", "2")
    config = json.loads((out / "config.json").read_text())
    flags = config["flags"]
    for key in ["steps", "batch_size", "hidden_size", "learning_rate", "pretrain_steps",
                "decay", "decay_steps", "mu", "sigma", "range", "log_every", "k", "seed",
                "checkpoint_every"]:
        assert key in flags
    assert config["program"] == "gaussian_gan_tf1"
    assert flags["k"] == 2 and flags["mu"] == 3.0 and flags["steps"] == 30
    assert config["trainable_parameters"] == {"generator": 13, "discriminator": 169}
    assert config["devices"][0] == "CPU" and "tensorflow" in config["versions"]
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ["gen_mean", "gen_std", "js_divergence", "wasserstein1", "converged",
                "pretrain_loss", "train_seconds"]:
        assert key in metrics
    with (out / "losses.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [int(r["step"]) for r in rows] == list(range(30))
    assert len((out / "pretrain_losses.csv").read_text().splitlines()) == 21


def test_sweep_writes_sweep_json(tmp_path, capsys):
    out = tmp_path / "sweep"
    assert s1_cli.main(["--sweep", "2", "--steps", "20", "--pretrain-steps", "5",
                    "--out", str(out)]) == 0
    sweep = json.loads((out / "sweep.json").read_text())
    assert sweep["runs"] == 2 and [r["seed"] for r in sweep["per_seed"]] == [0, 1]
    assert sweep["converged"] == sum(r["converged"] for r in sweep["per_seed"])
    assert sweep["flags"]["steps"] == 20 and "wasserstein1" in sweep["per_seed"][0]
    assert sweep["criterion"] == "wasserstein1 < 0.5"
    printed = capsys.readouterr().out
    assert "seed 1: Generated mean " in printed and "2 seeds (converged: " in printed
    assert not re.search(r"^\d+:", printed, re.M)  # no step lines in a sweep
    assert sorted(p.name for p in out.iterdir()) == [".classic-gans-files", ".classic-gans-run",
                                                     "config.json", "sweep.json"]


def test_script_end_to_end_writes_every_promised_file(tmp_path, script):
    result = script("gaussian_gan_tf1.py", "--steps", "120", "--pretrain-steps", "10",
                    "--plot-every", "50", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "runs" / "gaussian_gan_tf1"  # default --out, relative to the cwd
    assert_only_run_files(out)  # --overwrite would remove every file of the run
    assert result.stdout.splitlines()[0] == "Devices: CPU"
    assert "\n0:" in result.stdout and "\n110:" in result.stdout
    assert result.stdout.splitlines()[-1] == f"Wrote {out.relative_to(tmp_path)}"
    assert result.stderr == ""  # TensorFlow's start-up noise is filtered
    for name in ["fig3-12.png", "fig3-13.png", "fig3-14.png", "losses.png"]:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    assert (out / "evolution.gif").read_bytes()[:6] == b"GIF89a"
    assert Image.open(out / "evolution.gif").n_frames == 4  # steps 0, 50, 100, 119
    assert sorted(p.name for p in (out / "frames").iterdir()) == [
        "step_00000.png", "step_00050.png", "step_00100.png", "step_00119.png"]
    assert (out / "fig3-13.png").read_bytes() == (out / "frames/step_00050.png").read_bytes()
    for name in ["config.json", "metrics.json", "losses.csv", "pretrain_losses.csv"]:
        assert (out / name).stat().st_size > 0
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == [
        "step_00000000", "step_00000100", "step_00000120"]  # --checkpoint-every 100, the end
    again = script("gaussian_gan_tf1.py", "--steps", "5", cwd=tmp_path)
    assert again.returncode == 2 and "--overwrite" in again.stderr


# -- resume --------------------------------------------------------------------------------

RESUMABLE = ["--steps", "40", "--pretrain-steps", "20", "--checkpoint-every", "10",
             "--plot-every", "20", "--deterministic"]


def crash_at_step(monkeypatch, crash_step):
    """Make step `crash_step` fail before its row, as a kill there would (the rows after the
    last checkpoint are in losses.csv, the frames after it on disk)."""
    for cls in (s1.GAN, s1n.NoisyGAN):  # called by every step before its row is logged
        def crashing(gan, step, noise_std=cls.__dict__["_noise_std"]):
            if step == crash_step:
                raise RuntimeError("killed")
            return noise_std(gan, step)
        monkeypatch.setattr(cls, "_noise_std", crashing)


def same_metrics(a, b):
    read = lambda out: {k: v for k, v in json.loads((out / "metrics.json").read_text())
                        .items() if k != "train_seconds"}
    return read(a) == read(b)


@pytest.mark.parametrize("flags", [
    ["--instance-noise", "2", "--k", "2", "--seed", "0"],
    pytest.param([], marks=pytest.mark.slow),  # the book's defaults: the kill -9 test too
])
def test_resume_after_a_crash_gives_the_numbers_of_a_straight_run(tmp_path, monkeypatch,
                                                                   flags):
    """The checkpoint holds the graph's variables with the step counters, both NumPy streams
    and (replayed) the instance noise's: a crash at step 25 resumes from step 20 to the
    losses and metrics of a run never stopped (the frames draw from the evaluation stream)."""
    straight = small_run(tmp_path, "straight", *RESUMABLE, *flags)
    crash_at_step(monkeypatch, 25)
    with pytest.raises(RuntimeError, match="killed"):
        small_run(tmp_path, "crashed", *RESUMABLE, *flags)
    monkeypatch.undo()
    crashed = tmp_path / "crashed"
    assert len((crashed / "losses.csv").read_text().splitlines()) == 1 + 25
    assert s1_cli.main(["--out", str(crashed), "--resume"]) == 0
    assert (crashed / "losses.csv").read_bytes() == (straight / "losses.csv").read_bytes()
    assert same_metrics(crashed, straight)
    assert sorted(p.name for p in (crashed / "checkpoints").iterdir()) == [
        "step_00000020", "step_00000030", "step_00000040"]
    assert sorted(p.name for p in (crashed / "frames").iterdir()) == [
        f"step_{s:05d}.png" for s in (0, 20, 39)]
    model = s1.tf.train.load_checkpoint(str(crashed / "checkpoints/step_00000040/model"))
    names = model.get_variable_to_shape_map()
    assert len(names) == 8 + 8 + 4 + 3  # D_pre, D, G and the three step counters
    k = 2 if "--k" in flags else 1
    assert [model.get_tensor(n) for n in ["D_pre/Variable", "Variable", "Variable_1"]] == [
        20, 40 * k, 40]


@pytest.mark.slow  # the runner's promise (tests/test_sine_gan.py); here on Saver files
def test_a_damaged_newest_checkpoint_is_skipped_for_the_one_before(tmp_path, capsys):
    straight = small_run(tmp_path, "straight", *RESUMABLE, "--plot-every", "0")
    damaged = small_run(tmp_path, "damaged", *RESUMABLE, "--plot-every", "0", "--steps",
                        "30")
    (damaged / "metrics.json").unlink()  # as if killed just after the last checkpoint
    newest = damaged / "checkpoints" / "step_00000030" / "model.data-00000-of-00001"
    newest.write_bytes(newest.read_bytes()[:10])
    capsys.readouterr()
    assert s1_cli.main(["--out", str(damaged), "--steps", "40", "--resume"]) == 0
    out = capsys.readouterr().out
    assert "Skipping the damaged checkpoint" in out and "after step 20 of 40" in out
    assert (damaged / "losses.csv").read_bytes() == (straight / "losses.csv").read_bytes()


def test_resume_refusals(tmp_path):
    with pytest.raises(UsageError, match="no run to resume"):
        s1_cli.main(["--out", str(tmp_path / "none"), "--resume"])
    done = small_run(tmp_path, "done")
    with pytest.raises(UsageError, match="has already trained 30 steps"):
        s1_cli.main(["--out", str(done), "--resume"])
    with pytest.raises(UsageError, match="--k 2 differs from the run's 1"):
        s1_cli.main(["--out", str(done), "--steps", "40", "--resume", "--k", "2"])


@pytest.mark.slow  # three runs of the script, 25-60 s; CI runs the slow suite too
def test_kill_9_and_resume_give_the_numbers_of_a_straight_run(tmp_path, script):
    flags = ["--steps", "400", "--pretrain-steps", "100", "--checkpoint-every", "50",
             "--plot-every", "100", "--deterministic"]
    assert script("gaussian_gan_tf1.py", "--out", "straight", *flags,
                  cwd=tmp_path).returncode == 0
    killed = tmp_path / "killed"
    process = subprocess.Popen([sys.executable, str(SCRIPTS / "gaussian_gan_tf1.py"),
                                "--out", str(killed), *flags],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    losses = killed / "losses.csv"
    while process.poll() is None and not (losses.is_file() and
                                          len(losses.read_text().splitlines()) > 175):
        time.sleep(0.005)
    process.kill()
    process.wait()
    assert not (killed / "metrics.json").exists()
    result = script("gaussian_gan_tf1.py", "--out", "killed", "--resume", cwd=tmp_path)
    assert result.returncode == 0 and "Resuming" in result.stdout, result.stderr
    assert losses.read_bytes() == (tmp_path / "straight" / "losses.csv").read_bytes()
    assert same_metrics(killed, tmp_path / "straight")


@pytest.mark.parametrize("flags, message", [
    (["--steps", "0"], "--steps"),
    (["--batch-size", "-3"], "--batch-size"),
    (["--k", "two"], "--k"),
    (["--decay", "1.5"], "--decay"),
    (["--mu", "nan"], "--mu"),
    (["--sweep", "2", "--resume"], "--resume cannot be combined with --sweep"),
])
def test_bad_flags_give_one_line_and_exit_code_2(flags, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        s1_cli.main(flags)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1 and message in err


@pytest.mark.slow  # CI runs the slow suite too
def test_script_bad_flag_exit_code_and_no_traceback(tmp_path, script):
    result = script("gaussian_gan_tf1.py", "--batch-size", "-3", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "gaussian_gan_tf1.py: error: argument --batch-size: '-3' must be a positive integer"]


# -- convergence ---------------------------------------------------------------------------

@pytest.mark.slow  # 8 s of training; CI runs the slow suite too
def test_instance_noise_rescues_a_seed_where_the_book_diverges(tmp_path):
    book = small_run(tmp_path, "book", "--seed", "0", "--steps", "1200", "--pretrain-steps",
                     "1000")
    noisy = small_run(tmp_path, "noisy", "--seed", "0", "--steps", "1200",
                      "--pretrain-steps", "1000", "--instance-noise", "2")
    assert not json.loads((book / "metrics.json").read_text())["converged"]
    metrics = json.loads((noisy / "metrics.json").read_text())
    assert metrics["converged"] and abs(metrics["gen_mean"] - 3) < 0.3


@pytest.mark.slow  # 2200 steps, 11 s; CI runs the slow suite too
def test_default_seed_reproduces_figure_3_14(tmp_path):
    out = small_run(tmp_path, "default", "--steps", "1200", "--pretrain-steps", "1000",
                    "--seed", str(s1_cli.GaussianGAN.default_seed))
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["converged"] and abs(metrics["gen_std"] - 0.5) < 0.15


def sweep(tmp_path, *flags):
    out = tmp_path / "sweep"
    assert s1_cli.main(["--sweep", "20", "--out", str(out), *flags]) == 0
    return json.loads((out / "sweep.json").read_text())


@pytest.mark.slow
def test_book_code_converges_on_about_a_third_of_seeds(tmp_path):
    assert 3 <= sweep(tmp_path)["converged"] <= 9  # measured: 6 of 20


@pytest.mark.slow
def test_instance_noise_converges_on_19_of_20_seeds(tmp_path):
    assert sweep(tmp_path, "--instance-noise", "2")["converged"] >= 19  # measured: 20 of 20


def test_variant_stable_is_instance_noise_unless_given():
    program = s1_cli.GaussianGAN()
    parser = runner.build_parser(program)
    for argv, noise in [([], 0.0), (["--variant", "stable"], 2.0),
                        (["--variant", "stable", "--instance-noise", "1"], 1.0),
                        (["--instance-noise", "2"], 2.0)]:
        args = parser.parse_args(argv)
        program.check_args(parser, args)
        assert args.instance_noise == noise, argv
