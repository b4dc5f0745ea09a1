"""Metrics for generated curves (rows of values on a common x grid) against real ones.

- `fit_sines`: least-squares fit of every row with mean + amplitude * sin(offset + frequency * x).
- `mean_pairwise_distance`: how different the rows of a set are from one another (diversity).
- `rolling_mean`: a trailing moving average along each row, as pandas' `rolling(n).mean()`.
- `sine_curve_metrics`: whether generated curves are sines of a data family (fit residual,
  fitted frequencies against the family's uniform range, amplitude and mean errors) and
  whether they collapsed onto one curve (diversity against the real curves').
"""
import numpy as np
from scipy.optimize import least_squares
from scipy.spatial.distance import pdist

from gantools.metrics import wasserstein1

COLLAPSE_RATIO = 0.5  # "collapsed": generated diversity below half the real curves'


def _grid_fit(curves, x, frequencies):
    """For each row, the grid frequency with the least squared error and its linear fit.

    At a fixed frequency f the model a*sin(fx) + b*cos(fx) + c is linear, so every grid
    frequency is one small least-squares solve for all rows at once.
    """
    A = np.stack([np.sin(np.outer(frequencies, x)), np.cos(np.outer(frequencies, x)),
                  np.ones((len(frequencies), len(x)))], axis=-1)        # (F, X, 3)
    At_y = np.einsum("fxk,nx->fnk", A, curves)                          # (F, N, 3)
    coef = np.einsum("fkl,fnl->fnk", np.linalg.inv(np.einsum("fxk,fxl->fkl", A, A)), At_y)
    sse = np.sum(curves ** 2, axis=1) - np.sum(At_y * coef, axis=2)     # (F, N)
    best = np.argmin(sse, axis=0)
    return frequencies[best], coef[best, np.arange(len(curves))]


def fit_sines(curves, x, frequency_range=(0.25, 4.0), grid_step=0.01):
    """Fit y = mean + amplitude * sin(offset + frequency * x) to each row of `curves`.

    A grid search over `frequency_range` (solving the linear part exactly) gives the start,
    then `scipy.optimize.least_squares` refines all four parameters, frequency kept in the
    range. Returns a dict of arrays, one value per row: offset (in [0, 2 pi)), frequency,
    amplitude (>= 0), mean, rmse (root mean squared residual).
    """
    curves = np.atleast_2d(np.asarray(curves, dtype=float))
    x = np.asarray(x, dtype=float)
    low, high = frequency_range
    grid = np.linspace(low, high, int(round((high - low) / grid_step)) + 1)
    frequencies, coef = _grid_fit(curves, x, grid)
    out = {key: np.empty(len(curves)) for key in
           ("offset", "frequency", "amplitude", "mean", "rmse")}
    bounds = ([-np.inf, low, -np.inf, -np.inf], [np.inf, high, np.inf, np.inf])
    for i, (y, f, (a, b, c)) in enumerate(zip(curves, frequencies, coef)):
        # a sin(fx) + b cos(fx) = A sin(fx + phi) with A cos(phi) = a, A sin(phi) = b
        start = [np.arctan2(b, a), f, np.hypot(a, b), c]
        fit = least_squares(
            lambda p: p[3] + p[2] * np.sin(p[0] + p[1] * x) - y, start, bounds=bounds)
        offset, frequency, amplitude, mean = fit.x
        if amplitude < 0:  # -A sin(t) = A sin(t + pi)
            offset, amplitude = offset + np.pi, -amplitude
        out["offset"][i] = offset % (2 * np.pi)
        out["frequency"][i] = frequency
        out["amplitude"][i] = amplitude
        out["mean"][i] = mean
        out["rmse"][i] = np.sqrt(np.mean(fit.fun ** 2))
    return out


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
