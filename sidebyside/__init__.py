"""Each port beside its original: the same initial weights, data batches and noise, K steps.

One module per program (`s1` ... `s9`), each with

    run(steps=20, seed=0, data_mnist=None, data_faces=None, port_overrides=None) -> SideBySide

which builds the port and the reference rendition (`originals.<module>`), copies the port's
initial weights into the reference, feeds both the same batches and the same noise for
`steps` training iterations (D and G updates both), and returns the per-step losses of each,
the largest difference of every weight after the last step and the time per step of each.
`port_overrides` changes a hyper-parameter of the port only (e.g. {"lr": 2e-4}), to show that
the comparison notices. Without `data_mnist` / `data_faces` a program that reads a dataset uses
a small synthetic set of the right shape (`synthetic_mnist`, `synthetic_faces`).
"""
import dataclasses
import importlib
import os
import time

import numpy as np

from gantools.run import programs

# id -> (module of this package, the original it runs), from the one list of programs
PROGRAMS = {id: (id.lower(), p.original) for id, p in programs.PROGRAMS.items()}


# Where a port's default departs from what its seed's code computes, the seed's computation
# behind a flag of the port; `run(..., as_posted=True)` runs it on both sides (the rendition as
# the seed wrote it). Elsewhere the default is the seed's computation (S4, S5: PyTorch 0.2's
# BCE; S1, S3, S9: the code as printed).
POSTED = {
    "S2": "the seed's scaling img - 127.5/127.5 = img - 1 (the port's --scaling posted)",
    "S6": "the post's log loss -mean(log D_real + log(1 - D_fake)) (the port's --loss log)",
    "S7": "clip_D in the same sess.run as the update, as coded (--clip-order same-run)",
    "S8": "the post's PS loss, D's probabilities as logits= (the port's --loss ps)",
}

EXTRA_HINT = 'install the optional extra: pip install -e ".[originals]"'


class MissingExtra(ImportError):
    """A framework the reference needs (torch, tf_keras) is not installed."""


def require(module_name):
    """Import `module_name` or raise MissingExtra naming the extra to install."""
    try:
        return importlib.import_module(module_name)
    except ImportError:
        raise MissingExtra(f"the reference rendition needs {module_name.split('.')[0]}; "
                           f"{EXTRA_HINT}") from None


@dataclasses.dataclass
class SideBySide:
    """What one side-by-side run measured."""
    program: str                  # "S1" ... "S9"
    steps: int                    # training iterations run by each
    loss_names: list              # the columns of the loss arrays
    port_losses: np.ndarray       # (steps, len(loss_names))
    original_losses: np.ndarray   # (steps, len(loss_names))
    weight_deltas: dict           # weight name -> max |port - original| after the last step
    port_step_ms: float
    original_step_ms: float
    loss_tolerance: float         # the agreement asserted by the tests, and why
    weight_tolerance: float
    tolerance_reason: str
    notes: list = dataclasses.field(default_factory=list)  # deliberate differences handled
    # S2, compared step by step: per network, the largest relative gap between the two
    # sides' updates of a step (|port's - original's| / |original's|), and its tolerance
    update_gaps: dict = None
    update_tolerance: float = None
    parted: int = None            # S2: weights parted by more than lr / 2 at a step, at most
    pretrain_losses: tuple = None  # S9: (port, original) loss of the pretraining epoch

    @property
    def max_abs_loss_delta(self):
        """The largest difference of a loss at a step (the pretraining's loss included)."""
        pretrain = (abs(self.pretrain_losses[0] - self.pretrain_losses[1])
                    if self.pretrain_losses else 0.0)
        return float(max(np.max(np.abs(np.asarray(self.port_losses, np.float64)
                                       - np.asarray(self.original_losses, np.float64))),
                         pretrain))

    @property
    def max_abs_weight_delta(self):
        return float(max(self.weight_deltas.values()))

    @property
    def agrees(self):
        updates = (self.update_gaps is None
                   or max(self.update_gaps.values()) <= self.update_tolerance)
        return (self.max_abs_loss_delta <= self.loss_tolerance
                and self.max_abs_weight_delta <= self.weight_tolerance and updates)

    def summary(self):
        """The JSON object of compare_original.py --json."""
        return {"program": self.program, "steps": self.steps,
                "max_abs_loss_delta": self.max_abs_loss_delta,
                "max_abs_weight_delta": self.max_abs_weight_delta,
                "port_step_ms": self.port_step_ms, "original_step_ms": self.original_step_ms,
                "loss_tolerance": self.loss_tolerance,
                "weight_tolerance": self.weight_tolerance, "agrees": self.agrees,
                "loss_names": list(self.loss_names),
                "port_losses": np.asarray(self.port_losses).tolist(),
                "original_losses": np.asarray(self.original_losses).tolist(),
                "weight_deltas": {k: float(v) for k, v in self.weight_deltas.items()},
                "update_gaps": self.update_gaps, "update_tolerance": self.update_tolerance,
                "parted": self.parted,
                "pretrain_losses": list(self.pretrain_losses) if self.pretrain_losses else None,
                "notes": list(self.notes)}


def run(program, steps=20, as_posted=False, **kwargs):
    """The side-by-side run of program "S1" ... "S9"; `as_posted`: the seed's computation on
    both sides where the default departs from it (POSTED), else the default."""
    module = importlib.import_module(f"{__name__}.{program.lower()}")  # sidebyside/s<N>.py
    if as_posted and program in POSTED:
        kwargs["as_posted"] = True
    return module.run(steps=steps, **kwargs)


def weight_deltas(port, original):
    """{name: max |a - b|} for two dicts of arrays with the same names and shapes."""
    assert port.keys() == original.keys(), (sorted(port), sorted(original))
    return {name: float(np.max(np.abs(np.asarray(port[name], np.float64)
                                      - np.asarray(original[name], np.float64))))
            for name in port}


def twin_generator(rng):
    """A new tf.random.Generator at `rng`'s state (same algorithm), drawing what it draws: the
    harness draws a port's in-step noise (S2, S3, S4) from it, to give the original. Made
    from the state's value: given the variable, from_state would share it."""
    import tensorflow as tf
    return tf.random.Generator.from_state(rng.state.numpy(), rng.algorithm)


def same_state(a, b):
    """Whether two tf.random.Generators are at the same state (consumed the same draws)."""
    return bool(np.array_equal(a.state.numpy(), b.state.numpy()))


class StepTimer:
    """Milliseconds per step of a loop: `with timer: step()` around each step; `ms` is the
    median, so the first step's tracing or warm-up does not count."""

    def __init__(self):
        self.times = []

    def __enter__(self):
        self._start = time.perf_counter()

    def __exit__(self, *exc):
        self.times.append(time.perf_counter() - self._start)

    @classmethod
    def of(cls, seconds):
        """A timer holding these per-step times (a detached run's `unit_seconds`)."""
        timer = cls()
        timer.times = list(seconds)
        return timer

    @property
    def ms(self):
        return float(np.median(self.times) * 1e3) if self.times else float("nan")


def synthetic_mnist(n=640, seed=0):
    """(images uint8 (n, 28, 28), labels uint8 (n,)): blurred strokes, MNIST's shape and range."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    y, x = np.mgrid[0:28, 0:28]
    images = np.zeros((n, 28, 28), np.float64)
    for i, label in enumerate(labels):
        angle = np.pi * label / 10 + rng.normal(0, 0.1)
        offset = rng.normal(0, 1.5, 2)
        distance = np.abs((x - 14 - offset[0]) * np.sin(angle)
                          - (y - 14 - offset[1]) * np.cos(angle))
        images[i] = np.exp(-distance ** 2 / 3) * (np.hypot(x - 14, y - 14) < 10)
    return (images * 255).round().astype(np.uint8), labels


def synthetic_faces(n=128, seed=0):
    """uint8 (n, 96, 96, 3): colour gradients with noise, the anime faces' shape and range."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:96, 0:96]
    images = np.empty((n, 96, 96, 3))
    for i in range(n):
        base = rng.uniform(0, 255, 3)
        images[i] = base + np.stack([x, y, x + y], -1) * rng.uniform(-1, 1, 3)
    images += rng.normal(0, 20, images.shape)
    return np.clip(images, 0, 255).round().astype(np.uint8)


def load_faces(data_faces, seed, n):
    """uint8 (N, 96, 96, 3): `data_faces` itself (an array), or the first n readable images
    of a folder in natural order (decoded and resized by the port's `gantools.faces.images`), or
    `synthetic_faces(seed=seed)` when None."""
    if data_faces is None:
        return synthetic_faces(seed=seed)
    if not isinstance(data_faces, (str, os.PathLike)):
        return np.asarray(data_faces)
    import tensorflow as tf
    from gantools.faces.images import list_images, load_image
    faces = []
    for path in list_images(data_faces)[0]:
        try:
            faces.append(load_image(str(path)).numpy())
        except tf.errors.InvalidArgumentError:  # unreadable: skipped, as the port does
            continue
        if len(faces) == n:
            break
    if not faces:
        raise ValueError(f"no readable image in {data_faces}")
    return np.stack(faces)
