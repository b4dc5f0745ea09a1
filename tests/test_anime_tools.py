"""Shared pieces of the anime-face programs: SWD, PyTorch's BCE, checkpoints, progress."""
import io
import json

import numpy as np
import pytest
import tensorflow as tf
from scipy import ndimage

from gantools.run.cli import UsageError
from gantools.torch_compat import torch_bce
from gantools.metrics import (laplacian_pyramid, pyramid_down, pyramid_up,
                              sliced_wasserstein_distance, swd_resolutions)
from gantools.training import Progress, run_without_side_effects


# -- sliced Wasserstein distance -----------------------------------------------------------

def smooth_images(n, seed, scale=3.0):
    """Random smooth colour fields, roughly in [-1, 1]."""
    noise = np.random.default_rng(seed).standard_normal((n, 96, 96, 3)).astype(np.float32)
    return ndimage.gaussian_filter(noise, (0, scale, scale, 0)) * 2 * scale


def test_laplacian_pyramid_levels_and_exact_reconstruction():
    images = smooth_images(4, 0)
    pyramid = laplacian_pyramid(images, 3)
    assert [level.shape[1] for level in pyramid] == [96, 48, 24] == swd_resolutions(96)
    rebuilt = pyramid[-1]
    for level in pyramid[-2::-1]:
        rebuilt = pyramid_up(rebuilt) + level
    np.testing.assert_allclose(rebuilt, images, atol=1e-5)
    flat = np.full((1, 8, 8, 3), 0.5, np.float32)  # a flat image has no band-pass content
    np.testing.assert_allclose(pyramid_down(flat), 0.5, atol=1e-6)
    np.testing.assert_allclose(laplacian_pyramid(flat, 2)[0], 0, atol=1e-6)


def test_swd_is_zero_for_identical_sets_and_grows_with_the_difference():
    def swd(a, b, seed=0):  # fewer patches and directions than the default: a quicker test
        return sliced_wasserstein_distance(a, b, seed=seed, patches_per_image=64,
                                           directions=64)
    a, b = smooth_images(48, 1), smooth_images(48, 2)
    same = swd(a, a)
    assert set(same) == {"96", "48", "24", "avg"} and all(v == 0 for v in same.values())
    baseline = swd(a, b)  # the same distribution, other draws
    noise = np.random.default_rng(3).standard_normal(b.shape).astype(np.float32)
    shifted = [swd(a, b + s * noise)["avg"] for s in (0.1, 0.3, 1.0)]
    assert 0 < baseline["avg"] < shifted[0] < shifted[1] < shifted[2]
    assert shifted[2] > 2 * baseline["avg"]
    assert swd(a, noise)["avg"] > 2 * baseline["avg"]  # white noise against smooth fields
    # each set is normalised by its own statistics, as in Karras et al.: brightness is ignored
    assert swd(a, b + 0.5)["avg"] == pytest.approx(baseline["avg"], rel=1e-3)
    assert swd(a, b, seed=1)["avg"] != baseline["avg"]
    with pytest.raises(ValueError, match="same shape"):
        sliced_wasserstein_distance(a, b[:10])


# -- PyTorch's BCELoss ---------------------------------------------------------------------

def test_torch_bce_forward_and_backward_follow_pytorch():
    p = tf.Variable([0.2, 0.7, 0.999])
    t = tf.constant([0.0, 1.0, 1.0])
    with tf.GradientTape() as tape:
        loss = torch_bce(p, t)
    expected = -np.mean([np.log(0.8), np.log(0.7), np.log(0.999)])
    assert float(loss) == pytest.approx(expected, rel=1e-6)
    np.testing.assert_allclose(tape.gradient(loss, p), (p.numpy() - t.numpy()) /
                               (p.numpy() * (1 - p.numpy())) / 3, rtol=1e-5)
    # saturated: log clamped at -100; the gradient through a sigmoid keeps flowing until
    # p (1 - p) < 1e-12, where Keras's clipped BCE stops at 1e-7
    assert float(torch_bce(tf.constant([0.0]), 1.0)) == pytest.approx(100.0)
    assert float(torch_bce(tf.constant([1.0]), 1.0)) == 0.0
    for logit, flows in [(-20.0, True), (-26.0, True), (-29.0, False)]:
        z = tf.Variable([logit])
        with tf.GradientTape() as tape:
            loss = torch_bce(tf.sigmoid(z), 1.0)
        gradient = float(tape.gradient(loss, z)[0])
        assert (gradient == pytest.approx(-1.0, rel=1e-3)) == flows, (logit, gradient)
        with tf.GradientTape() as tape:
            keras_loss = tf.keras.losses.binary_crossentropy(tf.ones((1, 1)),
                                                             tf.reshape(tf.sigmoid(z), (1, 1)))
        assert float(tape.gradient(keras_loss, z)[0]) == 0.0  # clipped at 1e-7


# -- progress, side-effect-free sampling ------------------------

def test_progress_shows_the_description_when_not_on_a_terminal():
    stream, out = io.StringIO(), io.StringIO()
    bar = Progress(100, stream=stream, out=out, line_seconds=0)
    for i in range(25):
        bar.update(4 * (i + 1), "D:0.5, G:1.5")
    lines = out.getvalue().splitlines()
    assert stream.getvalue() == "" and len(lines) == 25
    assert lines[-1].startswith("progress: D:0.5, G:1.5  100/100 100.0%")


def test_sampling_in_training_mode_leaves_moving_averages_alone():
    import keras
    model = keras.Sequential([keras.Input((4,)), keras.layers.BatchNormalization()])
    x = np.random.default_rng(0).normal(3, 2, (10, 4)).astype(np.float32)
    before = [v.numpy().copy() for v in model.non_trainable_variables]
    out = run_without_side_effects(model, x, batch_size=5)
    assert out.shape == (10, 4) and abs(out[:5].mean()) < 1e-3  # batch statistics
    for a, b in zip(before, model.non_trainable_variables):
        np.testing.assert_array_equal(a, b.numpy())
