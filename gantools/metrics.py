"""Distances between sample sets (generated against real): one-dimensional values, and images.

- `density_histogram`: `np.histogram(..., density=True)` as the originals plot it, but zeros
  instead of NaN when no sample falls inside the bins (a generator that drifted away).
- `js_divergence`: Jensen-Shannon divergence, base 2 (0 = same histogram, 1 = disjoint), of the
  two histograms on the originals' bins (`num_bins` edges over [-range, range], or over
  (low, high) when `value_range` is a pair) with one extra bin each side for the samples
  outside, so a drifted generator scores 1, not NaN.
- `wasserstein1`: the earth mover's distance between the sample sets (scipy.stats).
- `sliced_wasserstein_distance`: for two sets of RGB images, the sliced Wasserstein distance
  between 7x7 patches of their Laplacian pyramids (Karras et al. 2018, "Progressive Growing
  of GANs", section 5 and its `metrics/sliced_wasserstein.py`). See its docstring.
"""
import numpy as np
from scipy import ndimage
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
    """JS divergence (base 2) of the two sets' histograms; NaN when a set holds a value that
    is not finite (a diverged G)."""
    if not (np.all(np.isfinite(generated)) and np.all(np.isfinite(real))):
        return float("nan")
    low, high = value_range if np.ndim(value_range) else (-value_range, value_range)
    bins = np.linspace(low, high, num_bins)
    return float(jensenshannon(_mass(generated, bins), _mass(real, bins), base=2) ** 2)


def wasserstein1(generated, real):
    if not (np.all(np.isfinite(generated)) and np.all(np.isfinite(real))):
        return float("nan")  # scipy would raise or warn
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


# -- sliced Wasserstein distance between images -------------------------------------------

_BINOMIAL5 = np.array([1, 4, 6, 4, 1], np.float32) / 16  # separable 5x5 Gaussian of cv2.pyrDown


def _blur(images, gain=1.0):
    """Separable 5x5 binomial filter over the two spatial axes of NHWC images (mirror edges)."""
    kernel = _BINOMIAL5 * gain
    out = ndimage.correlate1d(images, kernel, axis=1, mode="mirror")
    return ndimage.correlate1d(out, kernel, axis=2, mode="mirror")


def pyramid_down(images):
    """Blur, then keep every second row and column (cv2.pyrDown)."""
    return _blur(images)[:, ::2, ::2]


def pyramid_up(images):
    """Insert zero rows and columns, then blur with gain 4 (cv2.pyrUp)."""
    n, h, w, c = images.shape
    up = np.zeros((n, 2 * h, 2 * w, c), images.dtype)
    up[:, ::2, ::2] = images
    return _blur(up, gain=2.0)  # 2 per axis, 4 in all


def laplacian_pyramid(images, levels):
    """[band-pass level at full resolution, ..., low-pass residual at the coarsest level]."""
    pyramid = [np.asarray(images, np.float32)]
    for _ in range(1, levels):
        pyramid.append(pyramid_down(pyramid[-1]))
        pyramid[-2] = pyramid[-2] - pyramid_up(pyramid[-1])
    return pyramid


def swd_resolutions(size, smallest=16):
    """The levels Karras et al. use: the image size halved while it is >= 16 (96: 96, 48, 24)."""
    resolutions = []
    while size >= smallest:
        resolutions.append(size)
        size //= 2
    return resolutions


def _patches(level, corners, size):
    """(N * per_image, size*size*C) descriptors at the given top-left corners."""
    n = level.shape[0]
    rows = corners[..., 0][..., None, None] + np.arange(size)[:, None]   # (n, k, size, 1)
    cols = corners[..., 1][..., None, None] + np.arange(size)[None, :]   # (n, k, 1, size)
    images = np.arange(n)[:, None, None, None]
    patches = level[images, rows, cols]                                   # (n, k, size, size, C)
    return patches.reshape(-1, size, size, level.shape[-1])


def _normalise(descriptors):
    """Zero mean and unit variance per colour channel over the whole set, then flatten."""
    descriptors = descriptors - descriptors.mean(axis=(0, 1, 2), keepdims=True)
    std = descriptors.std(axis=(0, 1, 2), keepdims=True)
    descriptors = descriptors / np.where(std > 0, std, 1)
    return descriptors.reshape(descriptors.shape[0], -1)


def _sliced_wasserstein(a, b, rng, repeats, directions):
    """Mean over random unit directions of the 1-D W1 between the projected point sets."""
    results = []
    for _ in range(repeats):
        dirs = rng.standard_normal((a.shape[1], directions)).astype(np.float32)
        dirs /= np.sqrt(np.sum(dirs ** 2, axis=0, keepdims=True))
        proj_a = np.sort(dirs.T @ a.T, axis=1)  # (direction, patch): sorts contiguous rows
        proj_b = np.sort(dirs.T @ b.T, axis=1)
        results.append(float(np.mean(np.abs(proj_a - proj_b))))
    return float(np.mean(results))


def sliced_wasserstein_distance(images_a, images_b, seed=0, patch_size=7, patches_per_image=128,
                                repeats=4, directions=128, batch=256):
    """SWD x 1e3 between two equally large sets of (N, H, W, 3) images, per pyramid level.

    Each image is split into a Laplacian pyramid (levels `swd_resolutions(H)`); from every
    level `patches_per_image` random 7x7 patches are taken; each set's patches are normalised
    per colour channel by that set's own mean and standard deviation; the distance is the
    mean, over `repeats` x `directions` random unit directions, of the 1-D Wasserstein
    distance between the two sets' projections. Returned as {'96': ..., '48': ..., '24': ...,
    'avg': ...}, each multiplied by 1e3 as Karras et al. report it.

    As in Karras et al., each set is normalised separately, so the distance ignores a change
    of overall brightness or contrast and measures the local structure of the images at each
    scale. Unlike their code, both sets use the same patch positions and the same directions
    (drawn from `seed`), so identical sets score exactly 0 and one run is reproducible.
    The images may be in any range ([-1, 1] here); only their shape matters for the scale.
    """
    a, b = np.asarray(images_a, np.float32), np.asarray(images_b, np.float32)
    if a.shape != b.shape or a.ndim != 4:
        raise ValueError(f"two image sets of the same shape (N, H, W, C) are needed, got "
                         f"{a.shape} and {b.shape}")
    n, height, width, _ = a.shape
    resolutions = swd_resolutions(min(height, width))
    rng = np.random.default_rng(seed)
    corners = [np.stack([rng.integers(0, (height >> i) - patch_size + 1, (n, patches_per_image)),
                         rng.integers(0, (width >> i) - patch_size + 1, (n, patches_per_image))],
                        axis=-1) for i in range(len(resolutions))]
    descriptors = {side: [[] for _ in resolutions] for side in "ab"}
    for side, images in (("a", a), ("b", b)):
        for start in range(0, n, batch):  # the pyramids of a few hundred images at a time
            pyramid = laplacian_pyramid(images[start:start + batch], len(resolutions))
            for i, level in enumerate(pyramid):
                descriptors[side][i].append(
                    _patches(level, corners[i][start:start + batch], patch_size))
    distances = {}
    for level_index, resolution in enumerate(resolutions):
        desc_a = _normalise(np.concatenate(descriptors["a"][level_index]))
        desc_b = _normalise(np.concatenate(descriptors["b"][level_index]))
        distances[str(resolution)] = 1e3 * _sliced_wasserstein(
            desc_a, desc_b, np.random.default_rng([seed, level_index]), repeats, directions)
    distances["avg"] = float(np.mean(list(distances.values())))
    return distances
