"""Distances between one-dimensional sample sets (generated against real).

- `density_histogram`: `np.histogram(..., density=True)` as the originals plot it, but zeros
  instead of NaN when no sample falls inside the bins (a generator that drifted away).
- `js_divergence`: Jensen-Shannon divergence, base 2 (0 = same histogram, 1 = disjoint), of the
  two histograms on the originals' bins (`num_bins` edges over [-range, range], or over
  (low, high) when `value_range` is a pair) with one extra bin each side for the samples
  outside, so a drifted generator scores 1, not NaN.
- `wasserstein1`: the earth mover's distance between the sample sets (scipy.stats).
"""
import numpy as np
from scipy.spatial.distance import jensenshannon
from scipy.stats import wasserstein_distance


def density_histogram(samples, bins):
    counts, _ = np.histogram(samples, bins=bins)
    total = counts.sum()
    if total == 0:
        return np.zeros(len(bins) - 1)
    return counts / (total * np.diff(bins))


def _mass(samples, bins):
    """Probability mass in each bin, plus underflow and overflow bins."""
    edges = np.concatenate([[-np.inf], bins, [np.inf]])
    counts, _ = np.histogram(np.asarray(samples, dtype=float).ravel(), bins=edges)
    return counts / max(counts.sum(), 1)


def js_divergence(generated, real, value_range, num_bins=100):
    low, high = value_range if np.ndim(value_range) else (-value_range, value_range)
    bins = np.linspace(low, high, num_bins)
    return float(jensenshannon(_mass(generated, bins), _mass(real, bins), base=2) ** 2)


def wasserstein1(generated, real):
    return float(wasserstein_distance(np.ravel(generated), np.ravel(real)))


def distribution_metrics(generated, real, value_range, num_bins=100):
    """The 1-D metrics every Gaussian program reports in metrics.json."""
    generated = np.ravel(generated)
    return {
        "gen_mean": float(np.mean(generated)),
        "gen_std": float(np.std(generated)),
        "real_mean": float(np.mean(real)),
        "real_std": float(np.std(real)),
        "js_divergence": js_divergence(generated, real, value_range, num_bins),
        "wasserstein1": wasserstein1(generated, real),
    }
