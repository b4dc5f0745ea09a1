"""Figures every program saves: distribution frames, loss curves, image grids and
`evolution.gif`.

Figures are drawn with matplotlib's object-oriented API on the Agg canvas: nothing is ever
shown, no pyplot state is kept, and one figure is reused for all frames of a run, which keeps
plotting cheap next to training.
"""
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
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
        if self.bars is not None:
            self.bars.remove()
        *_, self.bars = self.ax.hist(np.ravel(samples), bins=self.bins, density=True,
                                     color="C0", alpha=0.7, label="generated")
        self.ax.set_xlim(*self.x_range)
        if self.ylim:
            self.ax.set_ylim(*self.ylim)
        self.ax.legend(loc="upper right")
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
