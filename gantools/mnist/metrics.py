"""Numbers for generated MNIST digits (programs S5-S8): the post's complaint that GAN losses
say nothing about quality, answered with a digit classifier.

- `DigitClassifier`: a small convolutional network (two 3x3 convolutions with max pooling, a
  dense layer of 128 features, softmax over the 10 digits), trained on the user's MNIST
  training set on first use and saved in the Keras cache folder under the training set's
  checksum (`$KERAS_HOME/models/gantools_mnist_classifier-v1-<checksum>.keras`, with a `.json`
  beside it holding its test accuracy). Later runs load it. On real MNIST it is meant to reach
  at least 98.5% test accuracy (`tests/test_mnist_metrics.py::test_real_mnist_accuracy`, a
  slow test that runs only where real MNIST is present).
- `frechet_distance`: the Fréchet distance between Gaussians fitted to the classifier's
  128 features of two image sets (FID's formula, in this classifier's feature space rather
  than Inception's): 0 for the same distribution.
- `inception_score`: exp(E_x KL(p(y|x) || p(y))) with the classifier's p(y|x), mean and std
  over 10 splits: 1 for a single confidently predicted class, up to 10 for confident and
  evenly spread digits.
- `class_histogram`, `modes_covered`, `kl_to_uniform`: the fraction of samples given to each
  digit, how many digits get at least `MODE_SHARE` (1%, a tenth of a uniform share), and the
  KL divergence of the histogram from uniform (0 = every digit equally often; ln 10 = 2.30
  when one digit takes all).
- `quality_metrics`: all of the above for N generated images against the MNIST test set, and
  for a conditional generator (S8) the fraction classified as the requested digit;
  `score` does it with the cached classifier of an `Mnist`, `report_evaluation` prints and
  saves the result of `--evaluate`.

Keras (eager) is imported only when a classifier is built or loaded.
"""
import json
import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from gantools.mnist import images, keras_cache_dir
from gantools.run.rundir import write_json

CLASSIFIER_VERSION = "v1"  # change when the architecture or training changes
EPOCHS = 3
BATCH_SIZE = 128
MODE_SHARE = 0.01
FEATURES = "features"


def classifier_path(checksum, cache_dir=None):
    folder = Path(cache_dir) if cache_dir is not None else keras_cache_dir() / "models"
    return folder / f"gantools_mnist_classifier-{CLASSIFIER_VERSION}-{checksum}.keras"


def _as_batch(images):
    """Images in [0, 1], any of N x 784, N x 28 x 28, N x 28 x 28 x 1 -> N x 28 x 28 x 1."""
    return np.asarray(images, np.float32).reshape(-1, 28, 28, 1)


def build_classifier(seed=0):
    import keras
    from keras import layers
    init = lambda i: keras.initializers.GlorotUniform(seed=seed + i)
    inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(32, 3, activation="relu", kernel_initializer=init(0))(inputs)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(64, 3, activation="relu", kernel_initializer=init(1))(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu", kernel_initializer=init(2), name=FEATURES)(x)
    x = layers.Dropout(0.3, seed=seed)(x)
    outputs = layers.Dense(10, activation="softmax", kernel_initializer=init(3))(x)
    return keras.Model(inputs, outputs, name="mnist_classifier")


class DigitClassifier:
    """A trained classifier: `predict(images)` -> (128 features, 10 probabilities) per image."""

    def __init__(self, model, info):
        import keras
        self.model = model
        self.info = info  # test_accuracy, checksum, epochs, path
        self._both = keras.Model(model.inputs,
                                 [model.get_layer(FEATURES).output, model.outputs[0]])

    @property
    def test_accuracy(self):
        return self.info["test_accuracy"]

    def predict(self, images, batch_size=1000):
        x = _as_batch(images)
        features, probabilities = [], []
        for start in range(0, len(x), batch_size):  # no tf.data pipeline: see train_classifier
            f, p = self._both.predict_on_batch(x[start:start + batch_size])
            features.append(f)
            probabilities.append(p)
        return (np.concatenate(features).astype(np.float64),
                np.concatenate(probabilities).astype(np.float64))

    def accuracy(self, images, labels):
        _, probabilities = self.predict(images)
        return float(np.mean(probabilities.argmax(axis=1) == np.asarray(labels)))


def train_classifier(mnist, epochs=EPOCHS, seed=0, verbose=True):
    """Fit the classifier on mnist's training set; its accuracy on the test set goes in info.

    The batches are fed with `train_on_batch` from a seeded NumPy shuffle rather than by
    `fit`, whose tf.data pipeline makes TensorFlow log C++ errors about a MapDataset
    attribute when op determinism is on (`--deterministic`).
    """
    import keras
    keras.utils.set_random_seed(seed)
    model = build_classifier(seed)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = _as_batch(mnist.x_train / np.float32(255))
    y = mnist.y_train.astype(np.int64)
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        began = time.perf_counter()
        order = rng.permutation(len(x))
        totals = np.zeros(2)
        for start in range(0, len(x), BATCH_SIZE):
            batch = order[start:start + BATCH_SIZE]
            # per-batch loss and accuracy (train_on_batch resets the metrics each call)
            totals += np.array(model.train_on_batch(x[batch], y[batch])) * len(batch)
        if verbose:
            loss, accuracy = totals / len(x)
            print(f"Epoch {epoch + 1}/{epochs}: mean loss {loss:.4f}, training accuracy "
                  f"{accuracy:.4f} ({time.perf_counter() - began:.0f} s)", flush=True)
    classifier = DigitClassifier(model, {"checksum": mnist.checksum, "epochs": epochs,
                                         "train_images": len(mnist.x_train)})
    classifier.info["test_accuracy"] = classifier.accuracy(mnist.x_test / np.float32(255),
                                                           mnist.y_test)
    return classifier


def load_or_train_classifier(mnist, cache_dir=None, epochs=EPOCHS, verbose=True):
    """The cached classifier for this training set, trained and saved on first use."""
    import keras
    path = classifier_path(mnist.checksum, cache_dir)
    info_path = path.with_suffix(".json")
    if path.is_file() and info_path.is_file():
        try:
            info = json.loads(info_path.read_text())
            classifier = DigitClassifier(keras.saving.load_model(path), info)
            classifier.info["path"] = str(path)
            return classifier
        except Exception as error:  # a damaged cache file: train a new one
            if verbose:
                print(f"Cached classifier {path} is unreadable ({type(error).__name__}); "
                      f"training a new one")
    if verbose:
        print(f"Training the MNIST classifier for the quality metrics ({epochs} epochs on "
              f"{len(mnist.x_train)} images; first use only, cached in {path.parent})",
              flush=True)
    classifier = train_classifier(mnist, epochs, verbose=verbose)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=".keras", dir=path.parent)
        os.close(fd)
        with warnings.catch_warnings():
            # Keras converts TensorFlow variables with np.array(x), and TensorFlow's
            # __array__ lacks NumPy 2's `copy` keyword: a DeprecationWarning inside Keras
            # on every save (keras-team/keras#21288), nothing this code can change.
            warnings.filterwarnings("ignore", message=r"__array__ implementation doesn't "
                                    r"accept a copy keyword", category=DeprecationWarning)
            classifier.model.save(tmp)
        os.replace(tmp, path)
        info_tmp = info_path.with_name(info_path.name + ".tmp")
        info_tmp.write_text(json.dumps(classifier.info, indent=2) + "\n")
        os.replace(info_tmp, info_path)
        classifier.info["path"] = str(path)
    except OSError as error:
        print(f"Could not cache the classifier in {path.parent} ({error.strerror or error}); "
              f"it will be trained again next time")
    if verbose:
        print(f"Classifier test accuracy: {classifier.test_accuracy:.4f}", flush=True)
    return classifier


# -- the metrics ---------------------------------------------------------------------------

def _sqrt_psd(matrix):
    """Symmetric square root of a positive semi-definite matrix (eigenvalues below 0 -> 0)."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(features_a, features_b):
    """||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)) of the two feature sets.

    Tr((S_a S_b)^(1/2)) is computed as the trace of the square root of the symmetric
    S_a^(1/2) S_b S_a^(1/2), which has the same eigenvalues and stays stable when the
    covariances are singular (dead ReLU features, a collapsed generator).
    """
    features_a = np.asarray(features_a, np.float64)
    features_b = np.asarray(features_b, np.float64)
    mu_a, mu_b = features_a.mean(axis=0), features_b.mean(axis=0)
    cov_a = np.atleast_2d(np.cov(features_a, rowvar=False))
    cov_b = np.atleast_2d(np.cov(features_b, rowvar=False))
    root_a = _sqrt_psd(cov_a)
    middle = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_covmean = np.sum(np.sqrt(np.clip(middle, 0, None)))
    value = np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_covmean
    return float(max(value, 0.0))


def inception_score(probabilities, splits=10):
    """(mean, std) over `splits` parts of exp(mean KL(p(y|x) || p(y)))."""
    probabilities = np.asarray(probabilities, np.float64)
    splits = splits if len(probabilities) >= 100 * splits else 1
    eps = 1e-12
    scores = []
    for part in np.array_split(probabilities, splits):
        marginal = part.mean(axis=0, keepdims=True)
        kl = np.sum(part * (np.log(part + eps) - np.log(marginal + eps)), axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


def class_histogram(probabilities, classes=10):
    """Fraction of the samples the classifier assigns to each digit (argmax)."""
    counts = np.bincount(np.argmax(probabilities, axis=1), minlength=classes)
    return counts / max(counts.sum(), 1)


def kl_to_uniform(histogram):
    histogram = np.asarray(histogram, np.float64)
    nonzero = histogram > 0
    return float(np.sum(histogram[nonzero] * np.log(histogram[nonzero] * len(histogram))))


def quality_metrics(generated, classifier, reference, requested_labels=None):
    """Metrics of `generated` images ([0, 1], N x 784) against `reference` real images.

    With `requested_labels` (a conditional generator), also the fraction of samples that the
    classifier puts in the requested class, overall and per digit.
    """
    features, probabilities = classifier.predict(generated)
    reference_features, reference_probabilities = classifier.predict(reference)
    histogram = class_histogram(probabilities)
    score, score_std = inception_score(probabilities)
    real_score, _ = inception_score(reference_probabilities)
    metrics = {
        "samples": int(len(generated)),
        "frechet_distance": frechet_distance(features, reference_features),
        "inception_score": score,
        "inception_score_std": score_std,
        "modes_covered": int(np.sum(histogram >= MODE_SHARE)),
        "kl_to_uniform": kl_to_uniform(histogram),
        "class_histogram": [round(float(h), 6) for h in histogram],
        "reference_images": int(len(reference)),
        "reference_inception_score": real_score,
        "classifier_test_accuracy": classifier.test_accuracy,
    }
    if requested_labels is not None:
        requested_labels = np.asarray(requested_labels)
        hits = np.argmax(probabilities, axis=1) == requested_labels
        metrics["label_accuracy"] = float(hits.mean())
        metrics["label_accuracy_per_digit"] = [
            round(float(hits[requested_labels == d].mean()), 6)
            if np.any(requested_labels == d) else None for d in range(10)]
    return metrics


def score(generated, mnist, requested_labels=None):
    """quality_metrics of `generated` ([0, 1], N x 784) against mnist's test images, with
    the classifier cached for mnist's training set (trained on first use)."""
    classifier = load_or_train_classifier(mnist)
    return quality_metrics(generated, classifier, images(mnist.x_test), requested_labels)


def report_evaluation(path, metrics):
    """--evaluate's result: the summary line, and the metrics written to `path` if the run
    folder is writable."""
    try:
        write_json(path, metrics)
    except OSError:
        path = None
    print(summary(metrics))
    if path is not None:
        print(f"Wrote {path}")


def summary(metrics):
    """One line for the console."""
    text = ("Quality ({samples} samples): Frechet distance {frechet_distance:.3f}, "
            "Inception Score {inception_score:.2f} (real test images "
            "{reference_inception_score:.2f}), {modes_covered}/10 digits, KL to uniform "
            "{kl_to_uniform:.3f}").format(**metrics)
    if "label_accuracy" in metrics:
        text += ", {:.1%} classified as the requested digit".format(metrics["label_accuracy"])
    return text
