"""The MNIST quality metrics on known cases, the cached classifier, and the digit grids."""
import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gantools.mnist import metrics as mm
from gantools.mnist import images, keras_cache_dir
from gantools.plots import DigitGrid, evenly_spaced


# -- the formulas --------------------------------------------------------------------------

def test_frechet_distance_of_known_gaussians():
    rng = np.random.default_rng(0)
    a = rng.normal(0, 1, (20000, 3))
    assert mm.frechet_distance(a, a) == pytest.approx(0, abs=1e-9)
    # N(0, I) against N(m, 4 I): |m|^2 + 3 (1 + 4 - 2 * 2) = |m|^2 + 3
    b = rng.normal(0, 2, (20000, 3)) + np.array([1.0, 2.0, 0.0])
    assert mm.frechet_distance(a, b) == pytest.approx(5 + 3, rel=0.03)
    # singular covariances (dead features, a collapsed generator) stay finite
    constant = np.zeros((500, 3))
    assert mm.frechet_distance(constant, a) == pytest.approx(3.0, rel=0.03)


def test_inception_score_bounds():
    confident_uniform = np.eye(10)[np.arange(1000) % 10]
    assert mm.inception_score(confident_uniform)[0] == pytest.approx(10, rel=1e-6)
    one_class = np.eye(10)[np.zeros(1000, int)]
    assert mm.inception_score(one_class)[0] == pytest.approx(1, rel=1e-6)
    unsure = np.full((1000, 10), 0.1)
    assert mm.inception_score(unsure)[0] == pytest.approx(1, rel=1e-6)


def test_histogram_coverage_and_kl():
    probabilities = np.eye(10)[np.arange(1000) % 10]
    histogram = mm.class_histogram(probabilities)
    assert list(histogram) == [0.1] * 10 and mm.kl_to_uniform(histogram) == pytest.approx(0)
    collapsed = mm.class_histogram(np.eye(10)[np.full(1000, 3)])
    assert mm.kl_to_uniform(collapsed) == pytest.approx(np.log(10))


# -- with the classifier (trained once on the synthetic digits) -----------------------------

def test_classifier_is_cached_under_the_training_checksum(classifier, synthetic, keras_home):
    path = Path(classifier.info["path"])
    assert path.parent == keras_home / "models" == keras_cache_dir() / "models"
    assert synthetic[0].checksum in path.name and path.is_file()
    info = json.loads(path.with_suffix(".json").read_text())
    assert info["test_accuracy"] == classifier.test_accuracy > 0.9
    mtime = os.stat(path).st_mtime_ns
    from gantools.mnist import load_mnist
    again = mm.load_or_train_classifier(load_mnist(synthetic[1]), verbose=False)
    assert os.stat(path).st_mtime_ns == mtime  # loaded, not trained again
    x = images(synthetic[0].x_test[:50])
    np.testing.assert_allclose(again.predict(x)[1], classifier.predict(x)[1], atol=1e-5)


def test_real_images_score_well_and_a_constant_image_badly(classifier, synthetic):
    data = synthetic[0]
    test = images(data.x_test)
    real = mm.quality_metrics(images(data.x_train[:1000]), classifier, test)
    constant = mm.quality_metrics(np.full((1000, 784), 0.5, np.float32), classifier, test)
    assert real["modes_covered"] == 10 and real["kl_to_uniform"] < 0.05
    assert real["inception_score"] > 6  # synthetic digits, a briefly trained classifier
    assert constant["modes_covered"] == 1
    assert constant["kl_to_uniform"] == pytest.approx(np.log(10))
    assert constant["inception_score"] == pytest.approx(1, abs=1e-6)
    assert real["frechet_distance"] < 0.05 * constant["frechet_distance"]
    halves = mm.frechet_distance(classifier.predict(test[:500])[0],
                                 classifier.predict(test[500:])[0])
    assert halves < 0.05 * constant["frechet_distance"]
    assert real["classifier_test_accuracy"] == classifier.test_accuracy
    assert "label_accuracy" not in real
    line = mm.summary(real)
    assert "Frechet distance" in line and "10/10 digits" in line


def test_label_accuracy_for_a_conditional_generator(classifier, synthetic):
    data = synthetic[0]
    x, y = images(data.x_test[:500]), data.y_test[:500]
    right = mm.quality_metrics(x, classifier, x, requested_labels=y)
    wrong = mm.quality_metrics(x, classifier, x, requested_labels=(y + 1) % 10)
    assert right["label_accuracy"] > 0.9 and wrong["label_accuracy"] < 0.1
    assert len(right["label_accuracy_per_digit"]) == 10
    assert "requested digit" in mm.summary(right)


@pytest.mark.slow
def test_real_mnist_accuracy(tmp_path, monkeypatch):
    """The classifier's promise on real MNIST: >= 98.5% test accuracy. Runs only where
    the user's Keras cache holds the real mnist.npz (the tests never download it)."""
    from conftest import USER_KERAS_HOME
    from gantools.mnist import default_npz_path, load_mnist
    if USER_KERAS_HOME is None:
        monkeypatch.delenv("KERAS_HOME", raising=False)
    else:
        monkeypatch.setenv("KERAS_HOME", USER_KERAS_HOME)
    if not default_npz_path().is_file():
        pytest.skip(f"real MNIST not present at {default_npz_path()}")
    data = load_mnist()
    assert len(data.x_train) == 60000 and len(data.x_test) == 10000
    classifier = mm.load_or_train_classifier(data, cache_dir=tmp_path, verbose=False)
    assert classifier.test_accuracy >= 0.985
    test = images(data.x_test)
    real = mm.quality_metrics(images(data.x_train[:10000]), classifier, test)
    assert real["modes_covered"] == 10 and real["inception_score"] > 9


# -- the grids -----------------------------------------------------------------------------

def test_digit_grid_layout_and_reuse(tmp_path, synthetic):
    grid = DigitGrid(4, 4)
    x = images(synthetic[0].x_train[:32])
    grid.save(tmp_path / "a.png", x[:16])
    grid.save(tmp_path / "b.png", x[16:])
    a, b = Image.open(tmp_path / "a.png"), Image.open(tmp_path / "b.png")
    assert a.size == b.size and 250 < a.size[0] < 350  # 4 inches at 100 dpi, cropped tight
    assert np.asarray(a).tobytes() != np.asarray(b).tobytes()
    with pytest.raises(ValueError, match="needs 16"):
        grid.save(tmp_path / "c.png", x[:15])
    DigitGrid(10, 10).save(tmp_path / "d.png", images(synthetic[0].x_train[:100]))
    assert Image.open(tmp_path / "d.png").size[0] > 2 * a.size[0]


def test_evenly_spaced_keeps_first_and_last():
    assert evenly_spaced(range(5), 10) == [0, 1, 2, 3, 4]
    picked = evenly_spaced(range(1000), 100)
    assert len(picked) == 100 and picked[0] == 0 and picked[-1] == 999
    assert evenly_spaced(range(7), 0) == list(range(7))
