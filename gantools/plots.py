"""Figures every program saves: distribution frames, curve panels, loss curves, grids of
generated digits (`DigitGrid`, wiseodd's 4x4 `plot`; `SubplotGrid`, the blog's 5x5
`show_sample_img`), image grids and `evolution.gif`.

Figures are drawn with matplotlib's object-oriented API on the Agg canvas: nothing is ever
shown, no pyplot state is kept, and one figure is reused for all frames of a run, which keeps
plotting cheap next to training.
"""
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox
from PIL import Image


class DistributionPlot:
    """Real and generated densities drawn over one x axis; `save` redraws and writes a PNG."""

    def __init__(self, x, title, xlabel, ylabel, labels=("Real Data", "Generated Data"),
                 ylim=(0, 1)):
        self.figure = Figure()
        FigureCanvasAgg(self.figure)
        ax = self.figure.subplots()
        ax.set_ylim(*ylim)
        self.lines = [ax.plot(x, np.zeros_like(x), label=label)[0] for label in labels]
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend()
        self.caption = ax.text(0.02, 0.96, "", transform=ax.transAxes, va="top", color="0.4")

    def save(self, path, *densities, caption=""):
        for line, density in zip(self.lines, densities):
            line.set_ydata(density)
        self.caption.set_text(caption)
        self.figure.savefig(path)


class HistogramPlot:
    """A histogram of generated values over the target density; `save` redraws the bars."""

    def __init__(self, x_range, density, title, xlabel="value", ylabel="density",
                 bins=100, ylim=None):
        self.figure = Figure()
        FigureCanvasAgg(self.figure)
        self.ax = self.figure.subplots()
        self.bins = bins
        self.x_range, self.ylim = x_range, ylim
        x = np.linspace(*x_range, 400)
        self.ax.plot(x, density(x), color="C1", label="target density")
        self.ax.set_title(title)
        self.ax.set_xlabel(xlabel)
        self.ax.set_ylabel(ylabel)
        self.bars = None
        self.caption = self.ax.text(0.02, 0.96, "", transform=self.ax.transAxes, va="top",
                                    color="0.4")

    def save(self, path, samples, caption=""):
        """Draw the histogram of `samples` and save the figure. Non-finite samples (a
        diverged G: NaN or infinity) are left out and counted in the caption: matplotlib
        cannot bin them."""
        if self.bars is not None:
            self.bars.remove()
        samples = np.ravel(np.asarray(samples, dtype=np.float64))
        finite = samples[np.isfinite(samples)]
        if len(finite) < len(samples):
            left_out = f"{len(samples) - len(finite)} of {len(samples)} values not finite"
            caption = f"{caption}; {left_out}" if caption else left_out
        *_, self.bars = self.ax.hist(finite, bins=self.bins, density=len(finite) > 0,
                                     range=None if len(finite) else self.x_range,
                                     color="C0", alpha=0.7, label="generated")
        self.ax.set_xlim(*self.x_range)
        if self.ylim:
            self.ax.set_ylim(*self.ylim)
        self.ax.legend(loc="upper right")
        self.caption.set_text(caption)
        self.figure.savefig(path)


def _draw_curves(ax, x, curves, title):
    """One line per row of `curves`, labelled 0, 1, ... as pandas' DataFrame(curves.T).plot()."""
    for i, curve in enumerate(curves):
        ax.plot(x, curve, label=str(i))
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize="small")


def plot_curves(panels, path, ylim=None):
    """Panels side by side, each (title, x, curves) with one line per row; writes a PNG."""
    figure = Figure(figsize=(5 * len(panels), 4), layout="constrained")
    FigureCanvasAgg(figure)
    for ax, (title, x, curves) in zip(np.atleast_1d(figure.subplots(1, len(panels))), panels):
        _draw_curves(ax, x, curves, title)
        if ylim is not None:
            ax.set_ylim(*ylim)
    figure.savefig(path)


class CurvePlot:
    """Frames of a few curves over fixed axes (for evolution.gif); `save` writes a PNG."""

    def __init__(self, x, n_curves, title, ylim):
        self.figure = Figure()
        FigureCanvasAgg(self.figure)
        ax = self.figure.subplots()
        _draw_curves(ax, x, np.zeros((n_curves, len(x))), title)
        ax.set_ylim(*ylim)
        self.lines = ax.get_lines()
        self.caption = ax.text(0.02, 0.96, "", transform=ax.transAxes, va="top", color="0.4")

    def save(self, path, curves, caption=""):
        for line, curve in zip(self.lines, curves):
            line.set_ydata(curve)
        self.caption.set_text(caption)
        self.figure.savefig(path)


def plot_losses(losses, path, columns, x="step", title="Training loss", xlabel="step",
                ylabel="loss", logy=False, colors=None):
    """Loss curves from read_losses() output; `columns` maps column name -> label and
    `colors`, if given, column name -> matplotlib colour."""
    figure = Figure()
    FigureCanvasAgg(figure)
    ax = figure.subplots()
    for column, label in columns.items():
        ax.plot(losses[x], losses[column], label=label, linewidth=0.8,
                color=(colors or {}).get(column))
    if logy:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
    figure.savefig(path)


def write_gif(frame_paths, path, duration_ms=500):
    """Animated GIF of PNG frames, in the order given, looping forever."""
    frames = [Image.open(p).convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE)
              for p in frame_paths]
    if not frames:
        raise ValueError("write_gif needs at least one frame")
    frames[0].save(Path(path), save_all=True, append_images=frames[1:], duration=duration_ms,
                   loop=0)


class _ImageGrid:
    """rows x cols images of 28x28 in one reused figure; `save(path, samples)` redraws them,
    each scaled to its own minimum and maximum (imshow's default), and writes a PNG.

    A subclass sets `figure`, `rows`, `cols`, `images` (one AxesImage per cell, row by
    row) and `bbox` (the saved area; None for the whole figure)."""

    bbox = None

    def save(self, path, samples):
        samples = np.asarray(samples).reshape(-1, 28, 28)
        if len(samples) != len(self.images):
            raise ValueError(f"a {self.rows}x{self.cols} grid needs {len(self.images)} samples, "
                             f"got {len(samples)}")
        for image, sample in zip(self.images, samples):
            image.set_data(sample)
            image.autoscale()
        self.figure.savefig(path, bbox_inches=self.bbox)


class DigitGrid(_ImageGrid):
    """The originals' `plot(samples)`: a rows x cols GridSpec of 28x28 images in 'Greys_r'.

    As wiseodd's helper: one inch of figure per cell (figsize (4, 4) for the 4x4 grid), a
    GridSpec with wspace and hspace 0.05 and the default subplot margins, square cells
    (`set_aspect('equal')`), no axes, each image scaled to its own minimum and maximum
    (imshow's default), saved with bbox_inches='tight'.

    The cells are placed where the GridSpec puts its subplots, but drawn as images in one
    invisible full-figure Axes instead of one Axes per cell: the same pixels (checked
    against the one-Axes-per-cell version at 100 dpi), several
    times faster to create and save (a 10x10 grid of Axes takes seconds). One figure is
    reused for every grid of a run.
    """

    def __init__(self, rows=4, cols=4):
        from matplotlib.gridspec import GridSpec
        self.rows, self.cols = rows, cols
        self.figure = Figure(figsize=(cols, rows))
        FigureCanvasAgg(self.figure)
        gs = GridSpec(rows, cols, figure=self.figure, wspace=0.05, hspace=0.05)
        bottoms, tops, lefts, rights = gs.get_grid_positions(self.figure)
        width, height = self.figure.get_size_inches()
        ax = self.figure.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, width)
        ax.set_ylim(0, height)
        ax.axis("off")
        self.images = []
        corners = []
        for row in range(rows):
            for col in range(cols):
                # the cell in inches, shrunk to a centred square as set_aspect('equal') does
                left, right = lefts[col] * width, rights[col] * width
                bottom, top = bottoms[row] * height, tops[row] * height
                side = min(right - left, top - bottom)
                x0 = (left + right - side) / 2
                y0 = (bottom + top - side) / 2
                self.images.append(ax.imshow(np.zeros((28, 28)), cmap="Greys_r",
                                             extent=(x0, x0 + side, y0, y0 + side)))
                corners += [(x0, y0), (x0 + side, y0 + side)]
        # bbox_inches='tight' of the cells: their union plus the default 0.1 inch padding
        (x_min, y_min), (x_max, y_max) = np.min(corners, axis=0), np.max(corners, axis=0)
        self.bbox = Bbox.from_extents(x_min - 0.1, y_min - 0.1, x_max + 0.1, y_max + 0.1)


class SubplotGrid(_ImageGrid):
    """The blog's `show_sample_img` (seed 002): `plt.subplots(figsize=(7, 7), nrows=5,
    ncols=5, sharex=True, sharey=True)`, each Axes' x and y axis hidden (the frames stay,
    as `ax.xaxis.set_visible(False)` leaves them), `imshow(img.reshape((28, 28)),
    cmap='Greys_r')` in every cell; matplotlib's default margins and spacing, saved whole
    at the figure's size (700 x 700 pixels at 100 dpi). One Axes per cell, as the
    original: 25 are quick to draw, and the figure is reused for every epoch."""

    def __init__(self, rows=5, cols=5, figsize=(7, 7)):
        self.rows, self.cols = rows, cols
        self.figure = Figure(figsize=figsize)
        FigureCanvasAgg(self.figure)
        self.images = []
        for ax in self.figure.subplots(rows, cols, sharex=True, sharey=True).flat:
            ax.xaxis.set_visible(False)
            ax.yaxis.set_visible(False)
            self.images.append(ax.imshow(np.zeros((28, 28)), cmap="Greys_r"))


def evenly_spaced(items, limit):
    """At most `limit` items, evenly spaced, always keeping the first and the last."""
    items = list(items)
    if limit <= 0 or len(items) <= limit:
        return items
    keep = np.unique(np.linspace(0, len(items) - 1, limit).round().astype(int))
    return [items[i] for i in keep]


def image_grid(images, rows=8, cols=8, bytescale=False):
    """An (rows*H, cols*W, 3) uint8 grid of `images` (N, H, W, 3) in [-1, 1].

    Cell (row j, column k) holds image k + cols*j, as the originals' display_grid. By default
    pixels are (img + 1) / 2 scaled to [0, 255] and clipped. With `bytescale`, the grid is
    instead stretched to its own minimum and maximum, as the originals' `scipy.misc.imsave`
    of a float array did (bytescale: (x - min) * 255 / (max - min), rounded half up).
    """
    images = np.asarray(images, dtype=np.float32)
    n, height, width, channels = images.shape
    if n < rows * cols:
        raise ValueError(f"a {rows}x{cols} grid needs {rows * cols} images, got {n}")
    grid = (images[:rows * cols].reshape(rows, cols, height, width, channels)
            .transpose(0, 2, 1, 3, 4).reshape(rows * height, cols * width, channels))
    if bytescale:
        low, high = float(grid.min()), float(grid.max())
        scaled = (grid - low) * (255.0 / (high - low)) if high > low else grid * 0
        return (np.clip(scaled, 0, 255) + 0.5).astype(np.uint8)
    return np.round(np.clip((grid + 1) / 2, 0, 1) * 255).astype(np.uint8)


def write_image_grid(images, path, rows=8, cols=8, bytescale=False):
    """Save image_grid() as a PNG (768x768 for 64 images of 96x96), through a temporary file."""
    path = Path(path)
    tmp = path.with_name(path.stem + ".tmp" + path.suffix)
    Image.fromarray(image_grid(images, rows, cols, bytescale), "RGB").save(tmp)
    tmp.replace(path)


def write_samples(samples, path, limit=100):
    """The figure of `--sample`'s array (gantools.run.runner): images (N, H, W) or (N, H, W, 3)
    in [0, 1] as a grid of the first `limit` (ten to a row when N is a multiple of ten, so a
    conditional generator's digits 0-9 form columns), one value per sample (N,) or (N, 1) as
    a histogram, curves (N, L) as at most ten curves. Returns the path written."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim >= 3:
        images = samples[:limit]
        if images.ndim == 3:
            images = np.repeat(images[..., None], 3, axis=-1)
        n = len(images)
        cols = 10 if n % 10 == 0 else int(np.ceil(np.sqrt(n)))
        rows = int(np.ceil(n / cols))
        padded = np.zeros((rows * cols, *images.shape[1:]), np.float32)
        padded[:n] = images
        write_image_grid(padded * 2 - 1, path, rows, cols)  # image_grid takes [-1, 1]
        return Path(path)
    figure = Figure(layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.subplots()
    if samples.ndim == 1 or samples.shape[1] == 1:
        ax.hist(samples.ravel()[np.isfinite(samples.ravel())], bins=100)
        ax.set_title(f"{len(samples)} generated values")
        ax.set_xlabel("value")
    else:
        _draw_curves(ax, np.arange(samples.shape[1]), samples[:10],
                     f"{min(len(samples), 10)} of {len(samples)} generated curves")
    figure.savefig(path)
    return Path(path)

