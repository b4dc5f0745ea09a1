"""What the side-by-side runs of the graph-mode programs (S1, S6, S7, S8) share.

Port and original each live in a `tf.Graph` of their own with their own `Session`, so both fit
in one process without `tf.compat.v1.disable_eager_execution()`.

The same draws for both. The originals draw from NumPy's unseeded global RNG (`np.random`);
the ports draw from a generator object passed to them. `global_numpy_rng(seed)` seeds the
global RNG for the original (and puts its state back afterwards), and the port gets
`np.random.RandomState(seed)`: the global functions are methods of one `RandomState`, so two
programs that make the same calls in the same order get the same arrays, the same noise fed to
the same placeholders. `same_rng_state` then checks that both consumed exactly the same draws.
The MNIST batches: both sides get the same uint8 images and labels and make their batches
with their own reader, the port with `gantools.mnist.Batches` on its `images()`, the original
with TF 1's `DataSet` (`originals/input_data.py`, one-hot labels, its own scaling). The order
of each epoch is the harness's (`Orders`): the port's reader gets it as its epoch order, the
original's in place of the `numpy.random.shuffle` its `next_batch` calls, so that the
original's global RNG draws only the noise, as the port's RandomState does.
"""
import contextlib
import types
from pathlib import Path

import numpy as np
import tensorflow.compat.v1 as tf

from gantools.mnist import Mnist, load_mnist
from gantools.mnist import graph as mnist_graph
from originals import input_data
from sidebyside import SideBySide, StepTimer, synthetic_mnist, weight_deltas


@contextlib.contextmanager
def global_numpy_rng(seed, orders=None):
    """np.random seeded with `seed` inside the block; its previous state restored after.
    With `orders`, np.random.shuffle gives TF 1's `next_batch` the harness's epoch orders
    instead of drawing (see `Orders.shuffle`)."""
    saved, shuffle = np.random.get_state(), np.random.shuffle
    np.random.seed(seed)
    if orders is not None:
        np.random.shuffle = orders.shuffle
    try:
        yield
    finally:
        np.random.set_state(saved)
        np.random.shuffle = shuffle


class Orders:
    """The order of each epoch's examples, drawn by the harness (`absolute(epoch)`, which the
    port's `Batches` takes as its epoch order). TF 1's `next_batch` shuffles its current
    arrangement in place at every epoch: `shuffle(perm)` hands it the permutation of the
    current arrangement that gives the next epoch's order."""

    def __init__(self, n, seed):
        self.n, self.rng, self.orders = n, np.random.default_rng([seed, 2]), []
        self.current, self.epoch = np.arange(n), 0

    def absolute(self, epoch):
        while len(self.orders) <= epoch:
            self.orders.append(self.rng.permutation(self.n))
        return self.orders[epoch]

    def shuffle(self, perm):
        assert len(perm) == self.n
        target = self.absolute(self.epoch)
        position = np.empty(self.n, int)
        position[self.current] = np.arange(self.n)
        perm[:] = position[target]   # current[perm] == target
        self.current, self.epoch = target, self.epoch + 1


def rng_state(rng=None):
    """The state of a RandomState (key, position, cached Gaussian), or of the global one when
    `rng` is None."""
    state = rng.get_state() if rng is not None else np.random.get_state()
    return state[1].copy(), state[2], state[3], state[4]


def same_rng_state(a, b):
    """Whether two `rng_state`s are the same point of the same stream."""
    return np.array_equal(a[0], b[0]) and tuple(a[1:]) == tuple(b[1:])


def copy_variables(src_session, src_vars, dst_session, dst_vars):
    """Give every variable of dst_vars the value of the same-position variable of src_vars."""
    values = src_session.run(list(src_vars))
    graph = dst_vars[0].graph
    with graph.as_default():
        feeds, assigns = {}, []
        for variable, value in zip(dst_vars, values):
            assert variable.get_shape().as_list() == list(value.shape), variable.op.name
            holder = tf.placeholder(variable.dtype.base_dtype, value.shape)
            feeds[holder] = value
            assigns.append(variable.assign(holder))
    dst_session.run(assigns, feeds)
    check = dst_session.run(list(dst_vars))
    assert all(np.array_equal(a, b) for a, b in zip(check, values))


def values_by_name(session, names, variables):
    """{name: value} of `variables`, named by `names` (the port's names for both sides)."""
    return dict(zip(names, session.run(list(variables))))


def split_overrides(port_overrides, known):
    """Port constructor overrides, with 'lr' and 'learning_rate' both meaning the learning
    rate; raises on a key the port does not take."""
    overrides = dict(port_overrides or {})
    if "lr" in overrides:
        overrides["learning_rate"] = overrides.pop("lr")
    unknown = set(overrides) - set(known)
    if unknown:
        raise ValueError(f"port_overrides: unknown {sorted(unknown)}; known: {sorted(known)}")
    return overrides


def mnist_arrays(data_mnist=None, n_synthetic=640, seed=0):
    """(images uint8 (N, 28, 28), labels uint8 (N,)) for the graph-mode programs.
    `data_mnist`: None (the synthetic set), a path to an mnist.npz or IDX folder (read
    with `gantools.mnist.load_mnist`; the training images after the first 5,000, as
    `read_data_sets` kept them), a `gantools.mnist.Mnist`, or a pair (uint8 images, labels)."""
    if data_mnist is None:
        x, y = synthetic_mnist(n_synthetic, seed)
    elif isinstance(data_mnist, (str, Path)):
        data = load_mnist(data_mnist)
        held_out = 5000 if len(data.x_train) > 5000 else 0
        x, y = data.x_train[held_out:], data.y_train[held_out:]
    elif isinstance(data_mnist, Mnist):
        x, y = data_mnist.x_train, data_mnist.y_train
    else:
        x, y = data_mnist
    return np.asarray(x), np.asarray(y)


def mnist_side_by_side(port_class, settings, reference, steps, seed, data_mnist,
                       port_overrides, variants=None, inspect=None, graph_options=None,
                       original_first=True):
    """Run an MNIST port (a `gantools.mnist.graph.GraphGAN`) and its original side by
    side for `steps` iterations, from the port's initial weights, on the same batches and
    noise. Returns a dict: what the port measured, and under "original" one entry per
    variant of the original's loop body.

    `settings`: the port's defaults (its `mnist_cli.MnistProgram` subclass: `batch_size`,
    `learning_rate`). `reference`: the original's module (`build_graph`, `train_iteration`).
    `variants`:
    {name: train_iteration(session, g, mnist)} (default {"code": reference.train_iteration});
    each runs on a fresh copy of the original's graph. `inspect(session, g)`, when given, is
    called after every iteration of the original (outside the timing); its results are kept
    under the variant's "inspected". `graph_options`: arguments of the original's
    `build_graph` (its posted_loss). `original_first`: which side runs (and is timed) first,
    for benchmarks that alternate it."""
    known = {"learning_rate", "mb_size", "batch_size", *port_class.options}
    overrides = split_overrides(port_overrides, known)
    if "batch_size" in overrides:
        overrides["mb_size"] = overrides.pop("batch_size")
    arguments = dict(mb_size=settings.batch_size, learning_rate=settings.learning_rate)
    arguments.update(overrides)
    port = port_class(seed=seed, **arguments)
    x, labels = mnist_arrays(data_mnist, seed=seed)
    port_vars = port.theta_D + port.theta_G
    names = [v.op.name for v in port_vars]

    def run_originals(source):  # each from the port's initial weights in `source`
        return {name: _run_original(reference, iteration, source, port_vars, names, x, labels,
                                    steps, seed, inspect, graph_options or {})
                for name, iteration in (variants or {
                    "code": reference.train_iteration}).items()}

    port_session = port.session()
    try:
        port_session.run(port.init)
        port_slots = _slot_values(port.graph, port_session)
        if original_first:
            originals = run_originals(port_session)
        # the port's reader and scaling, as its program builds them
        port_batches = mnist_graph.Batches(mnist_graph.images(x), labels, seed)  # Loop's reader
        port_batches._order = Orders(len(x), seed).absolute  # the harness's epoch orders
        port_rng = np.random.RandomState(seed)
        port_losses, port_timer = [], StepTimer()
        with port.graph.as_default():
            for _ in range(steps):
                with port_timer:
                    port_losses.append(port.train_step(port_session, port_batches, port_rng))
        port_state = rng_state(port_rng)
        port_weights = values_by_name(port_session, names, port_vars)
        if not original_first:  # a new session of the seeded graph: the same initial values
            with tf.Session(graph=port.graph) as initial:
                initial.run(port.init)
                originals = run_originals(initial)
    finally:
        port_session.close()
    for original in originals.values():
        original["same_draws"] = same_rng_state(port_state, original.pop("rng_state"))
        original["same_batches"] = original["examples"] == port_batches.position
    return dict(
        loss_names=["D_loss", "G_loss"], port_losses=np.asarray(port_losses, np.float64),
        port_weights=port_weights, port_step_ms=port_timer.ms, port_slots=port_slots,
        examples=port_batches.position, overrides=overrides, original=originals,
        data="synthetic ({} images)".format(len(x)) if data_mnist is None
        else "{} images of {}".format(len(x), data_mnist))


def _run_original(reference, iteration, port_session, port_vars, names, x, labels,
                  steps, seed, inspect, graph_options):
    g = reference.build_graph(**graph_options)
    ref_vars = g.theta_D + g.theta_G
    # read_data_sets(..., one_hot=True)'s training set: TF 1's DataSet on the same images
    mnist = types.SimpleNamespace(train=input_data.DataSet(x, labels, one_hot=True))
    orders = Orders(len(x), seed)
    session = tf.Session(graph=g.graph)  # not entered: it would become the default graph
    try:
        session.run(g.init)
        copy_variables(port_session, port_vars, session, ref_vars)
        slots = _slot_values(g.graph, session)
        losses, timer, inspected = [], StepTimer(), []
        with g.graph.as_default(), global_numpy_rng(seed, orders):
            for _ in range(steps):
                with timer:
                    losses.append(iteration(session, g, mnist))
                if inspect is not None:
                    inspected.append(inspect(session, g))
            state = rng_state()
        weights = values_by_name(session, names, ref_vars)
    finally:
        session.close()
    return dict(losses=np.asarray(losses, np.float64), weights=weights, step_ms=timer.ms,
                slots=slots, inspected=inspected, rng_state=state,
                examples=mnist.train.epochs_completed * len(x) + mnist.train._index_in_epoch)


def _slot_values(graph, session):
    """{name: value} of every float variable an optimiser made (slots, Adam's beta powers)."""
    with graph.as_default():
        trainable = {v.op.name for v in tf.trainable_variables()}
        slots = [v for v in tf.global_variables()
                 if v.op.name not in trainable and v.dtype.base_dtype == tf.float32]
    return dict(zip([v.op.name for v in slots], session.run(slots)))


def mnist_notes(measured, variant="code"):
    """The notes every MNIST side-by-side reports, for the original's `variant`."""
    original = measured["original"][variant]
    notes = [
        "data: {}; both read {} examples, each with its own next_batch reader and scaling, "
        "on the same images in the harness's epoch orders: {}".format(
            measured["data"], measured["examples"],
            "the same batches" if original["same_batches"] else "DIFFERENT counts"),
        "noise: the original's np.random seeded with the seed and the port's RandomState "
        "with the same seed {} (compared RNG states after the run)".format(
            "made the same draws" if original["same_draws"] else "DIFFER"),
    ]
    if measured["overrides"]:
        notes.append("port_overrides: {}".format(measured["overrides"]))
    return notes


def side_by_side(program, measured, variant, tolerances, notes):
    """The SideBySide of an MNIST program, against the original's `variant`."""
    original = measured["original"][variant]
    loss_tolerance, weight_tolerance, reason = tolerances
    return SideBySide(
        program=program, steps=len(measured["port_losses"]),
        loss_names=measured["loss_names"], port_losses=measured["port_losses"],
        original_losses=original["losses"],
        weight_deltas=weight_deltas(measured["port_weights"], original["weights"]),
        port_step_ms=measured["port_step_ms"], original_step_ms=original["step_ms"],
        loss_tolerance=loss_tolerance, weight_tolerance=weight_tolerance,
        tolerance_reason=reason, notes=mnist_notes(measured, variant) + notes)
