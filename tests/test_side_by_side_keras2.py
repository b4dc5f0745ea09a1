"""S3 and S9 beside their originals in Keras 2 (tf_keras): the reference renditions
(originals/anime_wgan_keras2.py, originals/sine_gan_keras2.py) and the side-by-side runs
(sidebyside/s3.py, s9.py)."""
import numpy as np
import pytest

pytest.importorskip("tf_keras")

import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402

from conftest import make_faces  # noqa: E402
from gantools.keras2_compat import keras2_binary_crossentropy  # noqa: E402
from originals import anime_wgan_keras2 as wgan_keras2  # noqa: E402
from originals import sine_gan_keras2 as sine_keras2  # noqa: E402
from sidebyside import s3, s9  # noqa: E402


# -- S9: the post's code in Keras 2 ------------------------------------------------------------

@pytest.fixture
def sine_models():
    tf_keras.utils.set_random_seed(0)
    return sine_keras2.build_models()


def test_s9_reference_models_are_the_posts(sine_models):
    GAN, G, D = sine_models
    count = lambda weights: sum(int(np.prod(w.shape)) for w in weights)
    assert count(G.trainable_weights) == 12250 and D.count_params() == 115452  # D frozen now
    assert count(GAN.trainable_weights) == 12250 and GAN.count_params() == 127702
    assert GAN.optimizer is G.optimizer
    assert isinstance(D.optimizer, tf_keras.optimizers.legacy.Adam)
    assert D.optimizer.epsilon == 1e-8  # Keras 2.0's; the legacy class's default is 1e-7
    assert isinstance(G.optimizer, tf_keras.optimizers.legacy.SGD)


def test_s9_reference_loss_is_keras_2_0s_and_the_ports():
    rng = np.random.default_rng(0)
    logits = np.concatenate([rng.normal(0, 4, (64, 2)), [[30, -30], [-17, 17]]])
    targets = np.eye(2)[np.r_[rng.integers(0, 2, 64), 1, 0]]  # the last two: wrong
    p = tf.sigmoid(tf.constant(logits, tf.float32))
    y = tf.constant(targets, tf.float32)
    np.testing.assert_array_equal(sine_keras2.binary_crossentropy(y, p),
                                  keras2_binary_crossentropy(y, p))
    assert float(sine_keras2.binary_crossentropy(y, p)[-2]) == pytest.approx(16.03, abs=0.01)


def test_s9_reference_trainable_is_captured_at_compile_time(sine_models):
    """Keras 2.0's contract, kept by tf_keras: D's own step trains D (compiled trainable),
    the chained step only G (compiled with D frozen), whatever set_trainability says."""
    GAN, G, D = sine_models
    rng = np.random.default_rng(1)
    snapshot = lambda model: [w.copy() for w in model.get_weights()]
    changed = lambda before, model: [not np.array_equal(a, b)
                                     for a, b in zip(before, model.get_weights())]
    g, d = snapshot(G), snapshot(D)
    X, y = sine_keras2.sample_data_and_gen(G, n_samples=32, rng=rng)
    sine_keras2.set_trainability(D, False)  # frozen now, but compiled trainable
    D.train_on_batch(X, y)
    assert all(changed(d, D)) and not any(changed(g, G))
    g, d = snapshot(G), snapshot(D)
    X, y = sine_keras2.sample_noise(G, n_samples=32, rng=rng)
    sine_keras2.set_trainability(D, True)   # trainable now, but frozen in the chain
    GAN.train_on_batch(X, y)
    assert all(changed(g, G)) and not any(changed(d, D))


def test_s9_port_and_keras2_agree_for_20_epochs():
    result = s9.run(steps=20, seed=0, n_samples=256)
    assert result.program == "S9" and result.port_losses.shape == (20, 2)
    assert np.all(np.isfinite(result.port_losses))
    assert len(result.weight_deltas) == 10  # G's and D's kernels and biases
    assert result.agrees, result.summary()
    assert result.max_abs_loss_delta <= s9.LOSS_TOLERANCE
    # the losses move: D learns (0.7 -> ~0.02), G's loss grows (0.7 -> ~4)
    assert result.port_losses[-1, 0] < 0.1 and result.port_losses[-1, 1] > 2
    assert result.port_step_ms > 0 and result.original_step_ms > 0


@pytest.mark.slow  # a mutation check: the comparison notices a changed port; CI runs it
def test_s9_side_by_side_notices_keras_3s_adam_epsilon():
    result = s9.run(steps=5, seed=0, n_samples=256, port_overrides={"adam_epsilon": 1e-7})
    assert not result.agrees
    assert result.max_abs_weight_delta > 100 * s9.WEIGHT_TOLERANCE


def test_s9_unknown_override_is_refused():
    with pytest.raises(ValueError, match="unknown"):
        s9.run(steps=1, n_samples=8, port_overrides={"lr": 1e-3})


# -- S3: the script's code in Keras 2 ----------------------------------------------------------

def trainable_values(wgan, model):
    with wgan.context():
        return wgan.session.run(model.trainable_weights)


def test_s3_reference_parameter_counts_are_the_originals():
    wgan = wgan_keras2.WGANKeras2()
    with wgan.context():
        count = lambda model: sum(int(np.prod(w.shape)) for w in model.trainable_weights)
        assert count(wgan.netG) == 12067712 and count(wgan.netD) == 11157248
    assert tf.executing_eagerly()  # its graph mode stays inside its own graph


def test_s3_reference_clamps_every_critic_weight_after_each_update():
    tf_keras.utils.set_random_seed(0)
    wgan = wgan_keras2.WGANKeras2(ngf=64, ndf=8)
    rng = np.random.default_rng(0)
    real = rng.uniform(-1, 1, (2, 96, 96, 3))
    before = trainable_values(wgan, wgan.netG)
    errD_real, errD_fake = wgan.netD_train([real, rng.normal(size=(2, 100))])
    assert np.isfinite(errD_real) and np.isfinite(errD_fake)
    assert any(np.abs(w).max() > 0.01 for w in trainable_values(wgan, wgan.netD))
    wgan.netD_clamp([])
    values = trainable_values(wgan, wgan.netD)
    assert all(np.abs(w).max() <= 0.01 for w in values)
    with wgan.context():
        gammas = [layer.gamma for layer in wgan.netD.layers if hasattr(layer, "gamma")]
        assert len(gammas) == 4
        assert all(np.all(g == np.float32(0.01)) for g in wgan.session.run(gammas))
    for a, b in zip(before, trainable_values(wgan, wgan.netG)):  # the critic step leaves G
        np.testing.assert_array_equal(a, b)


def test_s3_reference_rmsprop_is_keras_2_1_2s():
    """tf_keras's legacy RMSprop without momentum: epsilon outside the square root, the
    accumulator from zero (Keras 2.1.2's update), given epsilon 1e-8."""
    v = tf.Variable([1.0, 1.0])
    g = tf.constant([1e-5, -2e-3])
    tf_keras.optimizers.legacy.RMSprop(learning_rate=5e-5, epsilon=1e-8).apply_gradients(
        [(g, v)])
    a = 0.1 * g.numpy() ** 2
    np.testing.assert_allclose(v.numpy(), 1 - 5e-5 * g.numpy() / (np.sqrt(a) + 1e-8),
                               rtol=1e-6)


@pytest.mark.slow  # CI runs the slow suite too
@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")  # tf_keras'
def test_s3_reference_main_runs_the_script(tmp_path):
    make_faces(tmp_path / "faces", n=6)  # flow_from_directory reads the sub-folder's
    rows = wgan_keras2.main(data=str(tmp_path / "faces"), steps=2, ngf=64, ndf=8,
                            batch_size=2, n_critic=1, out=str(tmp_path))
    assert len(rows) == 2 and np.all(np.isfinite(rows))
    assert (tmp_path / "discriminator.h5").exists() and (tmp_path / "generate.h5").exists()
    from PIL import Image
    grid = Image.open(tmp_path / "saved" / "img" / "0.png")
    assert grid.size == (768, 768)
    assert np.asarray(grid).min() == 0 and np.asarray(grid).max() == 255  # bytescaled


@pytest.mark.parametrize("steps", [5, pytest.param(20, marks=pytest.mark.slow)])
def test_s3_port_and_keras2_agree(steps):  # 5 steps in the default suite, 20 in the slow
    import keras
    result = s3.run(steps=steps, seed=0, n_critic=2)  # float64 on both sides
    # ... only while the models were built: Keras 3's policy and tf_keras's floatx are back
    assert keras.config.dtype_policy().name == keras.config.floatx() == "float32"
    assert keras.layers.Dense(1).dtype_policy.name == "float32"
    assert tf_keras.backend.floatx() == "float32"
    assert result.program == "S3" and result.port_losses.shape == (steps, 4)
    assert len(result.weight_deltas) == 28  # 14 trainable tensors in each network
    assert result.agrees, result.summary()
    np.testing.assert_allclose(result.port_losses[:, 0],
                               result.port_losses[:, 2] - result.port_losses[:, 3])
    assert np.abs(result.port_losses).max() > 1e-4  # not trivially zero


@pytest.mark.slow  # a mutation check: the comparison notices a changed port; CI runs it
def test_s3_side_by_side_notices_a_changed_learning_rate():
    result = s3.run(steps=3, seed=0, n_critic=2, port_overrides={"lrD": 1e-4})
    assert not result.agrees
    assert result.max_abs_weight_delta > 100 * result.weight_tolerance


@pytest.mark.slow  # CI runs the slow suite too
def test_s3_side_by_side_reads_a_face_folder(tmp_path):
    """compare_original.py --data-faces DIR: the readable images, in natural order."""
    folder = make_faces(tmp_path / "faces", n=5)  # and a corrupt .jpg, skipped
    faces = s3.load_faces(folder, seed=0, n=100)
    assert faces.shape == (5, 96, 96, 3) and faces.dtype == np.uint8
    result = s3.run(steps=2, n_critic=1, batch_size=2, data_faces=folder)
    assert result.agrees, result.summary()


@pytest.mark.slow  # about 2 minutes on 2 cores: the original's widths (CI runs it)
def test_s3_in_float32_at_the_originals_widths_and_critic_count():
    """The float64 comparison runs small widths; this one runs the port's own precision at
    ngf 1024, ndf 64, batch 64 and 5 critic updates for one generator step. The bound, argued
    from the first step: RMSprop (Keras 2's, rho 0.9, mean squares from 0) first moves a weight
    by lr / sqrt(1 - rho) = 1.6e-4 whatever its gradient, so a gradient within float32
    rounding of zero whose sign the two frameworks round apart parts its weight by at most
    twice that per critic update: 5 x 3.2e-4 = 1.6e-3 after the step (measured: 3 steps,
    9.6e-6 in the losses and 8.9e-4 in the weights)."""
    result = s3.run(steps=1, ngf=1024, ndf=64, batch_size=64, n_critic=5, dtype="float32")
    assert result.agrees, (result.max_abs_loss_delta, result.max_abs_weight_delta)
    bound = 5 * 2 * 5e-5 / np.sqrt(1 - 0.9)
    assert result.max_abs_weight_delta <= bound
    assert result.max_abs_loss_delta <= 1e-4
