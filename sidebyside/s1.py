"""S1 beside its original: `tf1_compat/gaussian_gan.py` and the book's code as printed
(`originals/book_gaussian_gan.py`), both `tf.compat.v1` graphs, each in its own graph and
session.

The port's initial weights (D_pre, Generator, Discriminator) are copied into the book's
graph. Then both run the book's `train`: D_pre pretraining (`pretrain_steps`, 1000 as the book
by default, shorter for quick checks: the same for both), the copy of D_pre into the
Discriminator, and `steps` iterations of one D update and one G update. The book's statements
are run here one by one on the book's graph (its `train` hard-codes 1000 pretraining steps and
keeps no weights), with its draws from `np.random` seeded with `seed`; the port runs its own
loop (`GAN.train`, on a detached run) with `np.random.RandomState(seed)` as
its generator, so both draw the same batches and noise in the same order.

Not compared: the figures (the book shows 13 with `plt.show()`; the port saves them, from
draws of its own), and hence the book's 9996-of-10000 plot points.
"""
import numpy as np
import tensorflow.compat.v1 as tf
from scipy.stats import norm

from originals import book_gaussian_gan as book
from sidebyside import SideBySide, StepTimer, weight_deltas
from sidebyside._tf1 import (copy_variables, global_numpy_rng, rng_state,
                                         same_rng_state, split_overrides, values_by_name)
from gantools.run import runner
from tf1_compat import gaussian_gan as port_module

PRETRAIN_STEPS = 1000  # the book's num_pretrain_steps
BATCH_SIZE = 12
RANGE = 8
LOG_EVERY = 10

# What port_overrides may change: the port's GAN arguments, and its data and noise.
PORT_ARGUMENTS = {"learning_rate", "mlp_hidden_size", "decay", "num_decay_steps", "k",
                  "instance_noise", "instance_noise_anneal", "batch_size", "mu", "sigma",
                  "range"}

LOSS_TOLERANCE = 1e-5
WEIGHT_TOLERANCE = 1e-5
TOLERANCE_REASON = (
    "the original runs in the same TensorFlow, in the same process, as the same float32 ops "
    "on the same shapes and inputs in the same order (matmul, tanh, sigmoid, log, plain "
    "gradient descent with the same staircase schedule): the same kernels give bitwise the "
    "same numbers (measured 0); 1e-5 only leaves room for float32 rounding, and plain SGD "
    "does not amplify rounding. A changed learning rate (0.0285, the first decayed value) or "
    "data mean (3.1) moves the weights apart by 1e-2 within 20 steps.")


def _build_port(steps, seed, overrides, rng):
    data = {k: overrides.pop(k) for k in ("mu", "sigma") if k in overrides}
    gen_range = overrides.pop("range", RANGE)
    batch_size = overrides.pop("batch_size", BATCH_SIZE)
    return port_module.GAN(
        port_module.DataDistribution(rng=rng, **data),
        port_module.GeneratorDistribution(gen_range, rng=rng),
        steps, batch_size, LOG_EVERY, num_pretrain_steps=1, seed=seed, **overrides)


def _run_book(ref, session, steps, pretrain_steps, seed):
    """The statements of the book's `train`, pretraining shortened to `pretrain_steps`, no
    plots; returns (pretraining losses, GAN losses, timer, RNG state after)."""
    pre_losses, losses, timer = [], [], StepTimer()
    with global_numpy_rng(seed):
        # pretraining discriminator
        for step in range(pretrain_steps):
            d = (np.random.random(ref.batch_size) - 0.5) * 10.0
            labels = norm.pdf(d, loc=ref.data.mu, scale=ref.data.sigma)
            pretrain_loss, _ = session.run([ref.pre_loss, ref.pre_opt], {
                ref.pre_input: np.reshape(d, (ref.batch_size, 1)),
                ref.pre_labels: np.reshape(labels, (ref.batch_size, 1))
            })
            pre_losses.append(pretrain_loss)
        ref.weightsD = session.run(ref.d_pre_params)

        for i, v in enumerate(ref.d_params):
            session.run(v.assign(ref.weightsD[i]))

        for step in range(ref.num_steps):
            with timer:
                # update discriminator
                x = ref.data.sample(ref.batch_size)
                z = ref.gen.sample(ref.batch_size)
                loss_d, _ = session.run([ref.loss_d, ref.opt_d], {
                    ref.x: np.reshape(x, (ref.batch_size, 1)),
                    ref.z: np.reshape(z, (ref.batch_size, 1))
                })

                # update generator
                z = ref.gen.sample(ref.batch_size)
                loss_g, _ = session.run([ref.loss_g, ref.opt_g], {
                    ref.z: np.reshape(z, (ref.batch_size, 1))
                })
            losses.append((loss_d, loss_g))
        state = rng_state()
    return pre_losses, losses, timer, state


class _KeptOpen:
    """The harness's session for the port's `train`, which opens and closes its own: kept
    open after `train` returns, so that its weights can be read."""

    def __init__(self, session):
        self.session = session

    def __enter__(self):  # what entering a tf.Session does, without closing it at the end
        self._contexts = [self.session.graph.as_default(), self.session.as_default()]
        for context in self._contexts:
            context.__enter__()
        return self.session

    def __exit__(self, *exc):
        for context in reversed(self._contexts):
            context.__exit__(*exc)


def _run_port(port, session, steps, pretrain_steps):
    """The port's own loop, `GAN.train`, on a detached run (no files): D_pre pretraining
    of `pretrain_steps`, the copy, `steps` iterations."""
    port.num_pretrain_steps = pretrain_steps
    port.session = lambda: _KeptOpen(session)
    run = runner.detached(seed=0)
    port.train(run)
    losses = [(row["loss_d"], row["loss_g"]) for row in run.history]
    return port.pretrain_losses, losses, StepTimer.of(run.unit_seconds)


def run(steps=20, seed=0, data_mnist=None, data_faces=None, port_overrides=None,
        pretrain_steps=PRETRAIN_STEPS, original_first=True):
    """The side-by-side run of S1 (see the module docstring); `pretrain_steps` D_pre steps
    for both (the book: 1000), then `steps` GAN iterations; `original_first`: which side
    runs (and is timed) first."""
    overrides = split_overrides(port_overrides, PORT_ARGUMENTS)
    port_rng = np.random.RandomState(seed)
    port = _build_port(steps, seed, dict(overrides), port_rng)

    ref_graph = tf.Graph()
    with ref_graph.as_default():
        ref = book.GAN(book.DataDistribution(), book.GeneratorDistribution(range=RANGE),
                       steps, BATCH_SIZE, LOG_EVERY)
        ref_init = tf.global_variables_initializer()
        ref_by_name = {v.op.name: v for v in tf.global_variables()}
    port_vars = port.d_pre_params + port.g_params + port.d_params
    names = [v.op.name for v in port_vars]
    ref_vars = [ref_by_name[name] for name in names]
    counters = {"pretraining": (port.pre_step, "D_pre/Variable"),
                "D": (port.step_d, "Variable"), "G": (port.step_g, "Variable_1")}

    # Two sessions side by side, neither entered with `with` (a session entered makes its
    # graph the default one, and the other program's ops would be built into it).
    port_session, ref_session = port.session(), tf.Session(graph=ref_graph)
    try:
        # The port's train() initialises its variables; a new session of its seeded graph
        # draws the same initial values again, so they are copied from a first one.
        with tf.Session(graph=port.graph) as first:
            first.run(port.init)
            ref_session.run(ref_init)
            copy_variables(first, port_vars, ref_session, ref_vars)

        def book_side():
            with ref_graph.as_default():
                return _run_book(ref, ref_session, steps, pretrain_steps, seed)
        if original_first:
            ref_pre, ref_losses, ref_timer, ref_state = book_side()
        port_pre, port_losses, port_timer = _run_port(port, port_session, steps,
                                                      pretrain_steps)
        port_state = rng_state(port_rng)
        if not original_first:
            ref_pre, ref_losses, ref_timer, ref_state = book_side()

        port_weights = values_by_name(port_session, names, port_vars)
        ref_weights = values_by_name(ref_session, names, ref_vars)
        port_counts = port_session.run([c[0] for c in counters.values()])
        ref_counts = ref_session.run([ref_by_name[c[1]] for c in counters.values()])
    finally:
        port_session.close()
        ref_session.close()

    pre_delta = (float(np.max(np.abs(np.subtract(port_pre, ref_pre, dtype=np.float64))))
                 if pretrain_steps else 0.0)
    same_draws = same_rng_state(port_state, ref_state)
    notes = [
        f"D_pre pretraining: {pretrain_steps} steps for both (the book: {PRETRAIN_STEPS}); "
        f"largest pretraining loss difference {pre_delta:.3g}; the D_pre and Discriminator "
        f"weights are among the compared weights",
        "draws: the book's np.random seeded with {} and the port's RandomState({}) {} "
        "(compared RNG states after the run)".format(
            seed, seed, "made the same draws" if same_draws else "DIFFER"),
        "step counters (pretraining, D, G): port {}, book {} (the book's tf.Variable(0) is "
        "trainable but gets no gradient; the port's is non-trainable)".format(
            [int(c) for c in port_counts], [int(c) for c in ref_counts]),
        "not compared: the figures (the book shows them, the port saves them from draws of "
        "its own, so plotting does not change its training)",
    ]
    if overrides:
        notes.append(f"port_overrides: {overrides}")
    return SideBySide(
        program="S1", steps=steps, loss_names=["loss_d", "loss_g"],
        port_losses=np.asarray(port_losses, np.float64),
        original_losses=np.asarray(ref_losses, np.float64),
        weight_deltas=weight_deltas(port_weights, ref_weights),
        port_step_ms=port_timer.ms, original_step_ms=ref_timer.ms,
        loss_tolerance=LOSS_TOLERANCE, weight_tolerance=WEIGHT_TOLERANCE,
        tolerance_reason=TOLERANCE_REASON, notes=notes)
