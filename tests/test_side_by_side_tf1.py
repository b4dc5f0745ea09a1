"""The graph-mode ports (S1, S6, S7, S8) beside their originals (`originals/`): the same
initial weights, batches and noise give the same losses and weights, a changed
hyper-parameter of the port shows, and the originals run as their documents have them.

These need only TensorFlow, so they always run; they go through the same interface as the
side-by-side tests that need the optional extra (`sidebyside.run`, skipped on
MissingExtra)."""
import numpy as np
import pytest
import tensorflow as tf

import sidebyside as sbs


def side_by_side(program, **kwargs):
    try:
        return sbs.run(program, **kwargs)
    except sbs.MissingExtra as error:  # never for these four: TensorFlow only
        pytest.skip(str(error))


def assert_agrees(result, program, steps):
    assert result.program == program and result.steps == steps
    assert result.port_losses.shape == result.original_losses.shape == (steps, 2)
    assert np.all(np.isfinite(result.port_losses))
    assert result.agrees, (result.max_abs_loss_delta, result.max_abs_weight_delta,
                           result.notes)
    assert result.port_step_ms > 0 and result.original_step_ms > 0
    summary = result.summary()
    assert summary["agrees"] and summary["program"] == program


# -- S1: the book's code ---------------------------------------------------------------------

def test_s1_port_computes_what_the_book_computes():
    """Pretraining and training both cross the 150-step staircase of the learning rate."""
    result = side_by_side("S1", steps=160, seed=3, pretrain_steps=200)
    assert_agrees(result, "S1", 160)
    assert result.max_abs_loss_delta == 0 and result.max_abs_weight_delta == 0  # measured
    assert len(result.weight_deltas) == 20  # D_pre 8, Generator 4, Discriminator 8
    assert {name.split("/")[0] for name in result.weight_deltas} == {
        "D_pre", "Generator", "Discriminator"}
    notes = " ".join(result.notes)
    assert "made the same draws" in notes
    assert "port [200, 160, 160], book [200, 160, 160]" in notes
    assert "largest pretraining loss difference 0" in notes


def test_the_book_code_runs_as_printed(monkeypatch, capsys):
    """`train` as printed (1000 pretraining steps, the 9996-point plots) under compat.v1,
    in a graph of its own: importing the module leaves eager execution on."""
    from originals import book_gaussian_gan as book
    assert tf.executing_eagerly()
    shown = []
    monkeypatch.setattr(book.plt, "show", lambda: shown.append(book.plt.gcf()))
    with tf.Graph().as_default():
        model = book.GAN(book.DataDistribution(), book.GeneratorDistribution(range=8), 2, 12,
                         10)
        assert (model.data.mu, model.data.sigma, model.gen.range) == (3, 0.5, 8)
        model.train()
    out = capsys.readouterr().out
    assert out.startswith("0:") and "\t" in out
    assert len(shown) == 2  # steps 0 and 1 (the last)
    book.plt.close("all")
    assert tf.executing_eagerly()
    # the book's counters are trainable ints: D_pre's is in the list copied into D
    assert len(model.d_pre_params) == 9 and len(model.d_params) == 8


# -- S6, S7, S8: wiseodd's MNIST programs ----------------------------------------------------

@pytest.mark.parametrize("program", ["S6", "S7", "S8"])
def test_mnist_ports_compute_what_the_originals_compute(program):
    before = np.random.get_state()
    result = side_by_side(program, steps=20, seed=1)
    assert_agrees(result, program, 20)
    assert result.max_abs_loss_delta == 0 and result.max_abs_weight_delta == 0  # measured
    assert sorted(result.weight_deltas) == ["D_W1", "D_W2", "D_b1", "D_b2",
                                            "G_W1", "G_W2", "G_b1", "G_b2"]
    notes = " ".join(result.notes)
    assert "made the same draws" in notes and "the same batches" in notes
    after = np.random.get_state()  # the global RNG is put back
    assert np.array_equal(before[1], after[1]) and before[2:] == after[2:]
    assert tf.executing_eagerly()


@pytest.mark.parametrize("program, flag", [("S6", "'loss': 'log'"), ("S8", "'loss': 'ps'"),
                                           ("S7", "'clip_order': 'same-run'")])
def test_the_posts_own_computation_runs_on_both_sides(program, flag):
    """as_posted: the port's flag for the seed's computation beside the rendition run as the
    seed wrote it (S6's log loss, S8's PS loss, S7's clip in the same run)."""
    result = side_by_side(program, steps=5, seed=1, as_posted=True)
    assert_agrees(result, program, 5)
    assert flag in " ".join(result.notes)
    if program == "S8":  # probabilities as logits: other losses than the code's
        default = side_by_side(program, steps=5, seed=1)
        assert np.abs(result.port_losses - default.port_losses).max() > 0.1


def test_s6_log_loss_flag_builds_the_posts_log_form():
    from tf1_compat import mnist_gan
    ops = lambda gan: {op.type for op in gan.graph.get_operations()}
    posted, code = mnist_gan.GAN(128, 1e-3, loss="log"), mnist_gan.GAN(128, 1e-3)
    assert "Log" in ops(posted) and "Log1p" not in ops(posted)
    assert "Log1p" in ops(code) and "Log" not in ops(code)  # log(1 + exp(-|x|)) on logits


def test_s7_original_as_coded_clips_before_the_update():
    """The code fetches [D_solver, D_loss, clip_D] in one run: TensorFlow 2.21 clips first
    (in our runs), so the critic is left outside the clip range by up to one update. The
    port clips after the update; the default comparison gives the original the port's order
    (exact), this one compares with the code's order."""
    result = side_by_side("S7", steps=10, clip_order="same_run")
    assert_agrees(result, "S7", 10)
    assert 0 < result.max_abs_weight_delta <= 5 * 5e-5  # about one RMSProp step
    notes = " ".join(result.notes)
    assert "of 10 iterations its critic was left outside" in notes  # measured: 10 of 10
    assert "accumulators start at ones: port True, original True" in notes
    with pytest.raises(ValueError, match="clip_order"):
        side_by_side("S7", steps=1, clip_order="before")


@pytest.mark.slow  # CI runs the slow suite too
def test_mnist_side_by_side_reads_a_users_file(tmp_path):
    from gantools.mnist import write_npz
    x, y = sbs.synthetic_mnist(300, seed=4)
    path = tmp_path / "mnist.npz"
    write_npz(path, x, y, x[:10], y[:10])
    result = side_by_side("S8", steps=3, data_mnist=path)
    assert_agrees(result, "S8", 3)
    assert f"300 images of {path}" in " ".join(result.notes)


def test_unknown_port_override_is_an_error():
    with pytest.raises(ValueError, match="unknown"):
        side_by_side("S6", steps=1, port_overrides={"momentum": 0.5})
    with pytest.raises(ValueError, match="unknown"):
        side_by_side("S1", steps=1, pretrain_steps=0, port_overrides={"momentum": 0.5})


@pytest.mark.slow  # CI runs the slow suite too
@pytest.mark.parametrize("name, first_line", [
    ("wiseodd_gan", "Iter: 0"), ("wiseodd_wgan", "Iter: 0; D loss: "),
    ("wiseodd_cgan", "Iter: 0")])
def test_wiseodd_programs_run_their_loop(tmp_path, capsys, name, first_line):
    """The originals' own loops (sampling, plots, prints) on a small synthetic MNIST."""
    import importlib
    from gantools.mnist import write_npz
    module = importlib.import_module(f"originals.{name}")
    x, y = sbs.synthetic_mnist(200, seed=5)
    write_npz(tmp_path / "mnist.npz", x, y, x[:10], y[:10])
    from originals import input_data  # TF 1's reader, as the code's read_data_sets
    mnist = input_data.read_data_sets(str(tmp_path), one_hot=True, validation_size=0)
    assert mnist.train.images.shape == (200, 784) and mnist.train.labels.shape == (200, 10)
    sess, g = module.main(mnist, iterations=2, out=str(tmp_path / "out"))
    sess.close()
    assert capsys.readouterr().out.startswith(first_line)
    assert (tmp_path / "out" / "000.png").read_bytes()[:4] == b"\x89PNG"
    consumed = mnist.train.epochs_completed * 200 + mnist.train._index_in_epoch
    assert consumed == module.mb_size * (10 if name == "wiseodd_wgan" else 2)
    assert tf.executing_eagerly()
