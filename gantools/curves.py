"""Metrics for generated curves (rows of values on a common x grid) against real ones.

- `fit_sines`: least-squares fit of every row with mean + amplitude * sin(offset + frequency * x).
- `mean_pairwise_distance`: how different the rows of a set are from one another (diversity).
- `rolling_mean`: a trailing moving average along each row, as pandas' `rolling(n).mean()`.
- `sine_curve_metrics`: whether generated curves are sines of a data family (fit residual,
  fitted frequencies against the family's uniform range, amplitude and mean errors) and
  whether they collapsed onto one curve (diversity against the real curves').
"""
import numpy as np
from scipy.spatial.distance import pdist

from gantools.metrics import wasserstein1

COLLAPSE_RATIO = 0.5  # "collapsed": generated diversity below half the real curves'


def _design(frequencies, x):
    """Columns sin(f x), cos(f x), 1 for each frequency: shape (F, X, 3)."""
    fx = np.outer(frequencies, x)
    return np.stack([np.sin(fx), np.cos(fx), np.ones_like(fx)], axis=-1)


def _linear_fit(curves, x, frequencies):
    """For each row at its own frequency, the least-squares a, b, c of
    a sin(fx) + b cos(fx) + c (linear once f is fixed) and the squared error."""
    A = _design(frequencies, x)                                   # (N, X, 3)
    At_y = np.einsum("nxk,nx->nk", A, curves)[..., None]
    coef = np.linalg.solve(A.transpose(0, 2, 1) @ A, At_y)[..., 0]
    residual = np.einsum("nxk,nk->nx", A, coef) - curves
    return coef, np.sum(residual ** 2, axis=1)


def _grid_search(curves, x, grid):
    """For each row, the grid frequency with the least squared error (all rows at once)."""
    A = _design(grid, x)                                          # (F, X, 3)
    At_y = np.einsum("fxk,nx->fnk", A, curves)
    coef = np.einsum("fkl,fnl->fnk", np.linalg.inv(A.transpose(0, 2, 1) @ A), At_y)
    sse = np.sum(curves ** 2, axis=1) - np.sum(At_y * coef, axis=2)  # (F, N)
    return grid[np.argmin(sse, axis=0)]


def fit_sines(curves, x, frequency_range=(0.25, 4.0), grid_step=0.01, iterations=50):
    """Fit y = mean + amplitude * sin(offset + frequency * x) to each row of `curves`.

    Least squares over all four parameters: for a fixed frequency the model is linear
    (a sin + b cos + c), so the error is a function of the frequency alone. A grid over
    `frequency_range` finds each row's best neighbourhood, then a golden-section search
    within one grid step either side pins the frequency down. Returns a dict of arrays,
    one value per row: offset (in [0, 2 pi)), frequency, amplitude (>= 0), mean, rmse
    (root mean squared residual).
    """
    curves = np.atleast_2d(np.asarray(curves, dtype=float))
    x = np.asarray(x, dtype=float)
    low, high = frequency_range
    best = _grid_search(curves, x, np.linspace(low, high,
                                               int(round((high - low) / grid_step)) + 1))
    left, right = np.maximum(best - grid_step, low), np.minimum(best + grid_step, high)
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(iterations):  # shrinks the bracket by 0.618 each time
        inner_left, inner_right = right - ratio * (right - left), left + ratio * (right - left)
        go_left = _linear_fit(curves, x, inner_left)[1] < _linear_fit(curves, x, inner_right)[1]
        right = np.where(go_left, inner_right, right)
        left = np.where(go_left, left, inner_left)
    frequency = (left + right) / 2
    coef, sse = _linear_fit(curves, x, frequency)
    a, b, c = coef.T
    # a sin(fx) + b cos(fx) = A sin(fx + phi) with A cos(phi) = a, A sin(phi) = b
    return {
        "offset": np.arctan2(b, a) % (2 * np.pi),
        "frequency": frequency,
        "amplitude": np.hypot(a, b),
        "mean": c,
        "rmse": np.sqrt(sse / len(x)),
    }


def mean_pairwise_distance(curves):
    """Mean over all pairs of rows of their root-mean-square difference (0: all the same)."""
    curves = np.asarray(curves, dtype=float)
    return float(np.mean(pdist(curves)) / np.sqrt(curves.shape[1]))


def rolling_mean(curves, window):
    """Trailing mean over `window` points along each row; row i's value j averages points
    j .. j + window - 1 (pandas' rolling(window).mean() without its leading NaNs)."""
    cumulative = np.cumsum(np.pad(np.asarray(curves, dtype=float), [(0, 0), (1, 0)]), axis=1)
    return (cumulative[:, window:] - cumulative[:, :-window]) / window


def sine_curve_metrics(generated, real, x, frequency_range, amplitude, mean,
                       fit_range=(0.25, 4.0)):
    """How well `generated` curves match a family of sines, and whether they collapsed.

    The family: mean + amplitude * sin(offset + f * x), f uniform on `frequency_range`.
    Sine fits search frequencies in `fit_range` (wider, so a generator off the family's
    range still shows where it is). Diversity is `mean_pairwise_distance`, for the
    generated and the `real` curves.
    """
    fit = fit_sines(generated, x, fit_range)
    real_fit = fit_sines(real, x, fit_range)
    low, high = frequency_range
    uniform = low + (high - low) * (np.arange(10000) + 0.5) / 10000  # U(low, high) quantiles
    diversity = mean_pairwise_distance(generated)
    real_diversity = mean_pairwise_distance(real)
    ratio = diversity / real_diversity if real_diversity > 0 else float("nan")
    percentile = lambda q: float(np.percentile(fit["frequency"], q))
    return {
        "curves": len(fit["rmse"]),
        "fit_rmse_median": float(np.median(fit["rmse"])),
        "fit_rmse_mean": float(np.mean(fit["rmse"])),
        "real_fit_rmse_median": float(np.median(real_fit["rmse"])),
        "frequency_w1": wasserstein1(fit["frequency"], uniform),
        "frequency_p05": percentile(5),
        "frequency_median": percentile(50),
        "frequency_p95": percentile(95),
        "amplitude_median": float(np.median(fit["amplitude"])),
        "amplitude_error": float(np.mean(np.abs(fit["amplitude"] - amplitude))),
        "mean_error": float(np.mean(np.abs(fit["mean"] - mean))),
        "diversity": diversity,
        "real_diversity": real_diversity,
        "diversity_ratio": float(ratio),
        "collapsed": bool(ratio < COLLAPSE_RATIO),
    }
