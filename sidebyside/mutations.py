"""Plausible one-line bugs in each port, and whether its side-by-side comparison notices them.

Each `Mutation` is a change a user could make to a port (equivalent ones, which compute the
same numbers, are left out: S1's unsorted data, which D sees point by point; Keras 3's
binary cross-entropy in S9, which differs from Keras 2.0's only once D saturates): a hyper-parameter (the harness's
`port_overrides`) or a line of code (`patch`: a context manager that replaces a function,
a method or a module constant of the port for the run). `try_mutation` runs the program's
comparison with it and says which checks failed and by how much (the largest difference
over its tolerance), or which error the comparison stopped with (a changed number of draws,
a port that no longer runs). `tests/test_mutations.py` asserts that every one is noticed;

    python -m sidebyside.mutations [S4 ...]

prints the table of docs/side-by-side.md.
"""
import argparse
import contextlib
import dataclasses
import sys
import warnings
from unittest import mock

import numpy as np


@dataclasses.dataclass
class Mutation:
    program: str
    name: str                    # what changed, as the port's code would read
    overrides: dict = None       # port_overrides
    patch: object = None         # () -> context manager changing the port's code
    run: dict = dataclasses.field(default_factory=dict)  # the comparison's arguments


def patch_init(cls, after):
    """`cls.__init__` followed by `after(self)`: a change made once the port is built."""
    init = cls.__init__

    def mutated(self, *args, **kwargs):
        init(self, *args, **kwargs)
        after(self)
    return mock.patch.object(cls, "__init__", mutated)


# -- the ports' code changes --------------------------------------------------------------

def s1_no_copy_of_d_pre():
    from tf1_compat import gaussian_gan as port
    return mock.patch.object(port.GAN, "_copy_pretrained", lambda self, session: None)


def s1_gaussian_jitter():
    from tf1_compat import gaussian_gan as port
    return mock.patch.object(
        port.GeneratorDistribution, "sample",
        lambda self, N: np.linspace(-self.range, self.range, N)
        + self.rng.standard_normal(N) * 0.01)


def s2_optimizer_g(change):
    from keras_models import dcgan as port
    return patch_init(port.DCGAN, lambda self: change(self.optimizer_G))


def s2_skip_g_update():
    def skip(optimizer):
        optimizer.apply_gradients = lambda grads_and_vars: None
    return s2_optimizer_g(skip)


def s2_negate_g_gradients():
    def negate(optimizer):
        apply = optimizer.apply_gradients
        optimizer.apply_gradients = lambda pairs: apply([(-g, v) for g, v in pairs])
    return s2_optimizer_g(negate)


def s2_g_rate():
    def rate(optimizer):
        optimizer.learning_rate = 1.1e-4
    return s2_optimizer_g(rate)


def s2_g_beta_1():
    def beta(optimizer):
        optimizer.beta_1 = 0.6
    return s2_optimizer_g(beta)


def s4_normal_noise():
    from keras_models import gaussian_gan as port
    return mock.patch.object(port, "get_generator_input_sampler",
                             lambda rng: lambda m, n: rng.normal((m, n)))


def s4_constant(name, value):
    from keras_models import gaussian_gan as port
    return mock.patch.object(port, name, value)


def s5_unit_range():
    from gantools.mnist import images
    from keras_models import mnist_gan as port
    return mock.patch.object(port, "images",
                             lambda x, value_range=None, **kw: images(x, (0.0, 1.0), **kw))


def tf1_unit_noise(module, name):
    import importlib
    port = importlib.import_module(f"tf1_compat.{module}")
    return mock.patch.object(port, name, lambda m, n, rng: rng.uniform(0., 1., size=[m, n]))


def s6_scaled_to_plus_minus_one():
    from gantools.mnist import images
    from gantools.mnist import graph
    return mock.patch.object(graph, "images",
                             lambda x, value_range=None, **kw: images(x, (-1.0, 1.0), **kw))


def s8_shifted_labels():
    from tf1_compat import mnist_cgan as port
    one_hot = port.one_hot
    return mock.patch.object(port, "one_hot", lambda y, depth: one_hot((y + 1) % depth, depth))


@contextlib.contextmanager
def s9_pretrain_without_trainability():
    """The port's `pretrain` without its `set_trainability(D, True)` (make_gan left D frozen)."""
    from keras_models import sine_gan as port
    pretrain, set_trainability = port.pretrain, port.set_trainability

    def mutated(*args, **kwargs):
        with mock.patch.object(port, "set_trainability", lambda model, trainable=False: None), \
                warnings.catch_warnings():
            # Keras says D has no trainable weights: the mutation's very effect
            warnings.filterwarnings("ignore", "The model does not have any trainable weights")
            return pretrain(*args, **kwargs)
    with mock.patch.object(port, "pretrain", mutated):
        yield
    assert port.set_trainability is set_trainability


S3_SMALL = dict(steps=3, n_critic=2)
S9_SMALL = dict(steps=5, n_samples=256)

MUTATIONS = [
    Mutation("S1", "two D updates per G update (k = 2) instead of one", overrides={"k": 2}),
    Mutation("S1", "D_pre's weights not copied into D after pretraining",
             patch=s1_no_copy_of_d_pre),
    Mutation("S1", "G's input jittered by N(0, 0.01) instead of U(0, 0.01)",
             patch=s1_gaussian_jitter),
    Mutation("S1", "learning rate 0.0285 (the first decayed value) instead of 0.03",
             overrides={"learning_rate": 0.0285}),
    Mutation("S2", "G's optimizer step deleted", patch=s2_skip_g_update, run=dict(steps=2)),
    Mutation("S2", "G's gradients negated", patch=s2_negate_g_gradients, run=dict(steps=2)),
    Mutation("S2", "G's learning rate 1.1e-4 (D's 1e-4)", patch=s2_g_rate, run=dict(steps=2)),
    Mutation("S2", "G's Adam beta_1 0.6 (D's 0.5)", patch=s2_g_beta_1, run=dict(steps=3)),
    Mutation("S2", "both learning rates 1.1e-4", overrides={"lr": 1.1e-4}, run=dict(steps=2)),
    Mutation("S3", "D's learning rate 1e-4 (the script: 5e-5)", overrides={"lrD": 1e-4},
             run=S3_SMALL),
    Mutation("S3", "clamp at 0.02 instead of 0.01", overrides={"clamp": (-0.02, 0.02)},
             run=S3_SMALL),
    Mutation("S3", "RMSprop's epsilon Keras 3's 1e-7 (Keras 2: 1e-8)",
             overrides={"rmsprop_epsilon": 1e-7}, run=S3_SMALL),
    Mutation("S4", "G's input drawn from N(0, 1) instead of U[0, 1)", patch=s4_normal_noise),
    Mutation("S4", "learning rate 2.2e-4 (2e-4 + 10%)", overrides={"lr": 2.2e-4}),
    Mutation("S4", "the real target 1 (the post smooths it to 0.95)",
             patch=lambda: s4_constant("real_target", 1.0)),
    Mutation("S4", "the data's stddev 1.0 instead of 1.25",
             patch=lambda: s4_constant("data_stddev", 1.0)),
    Mutation("S5", "batches scaled to [0, 1] instead of [-1, 1]", patch=s5_unit_range),
    Mutation("S5", "learning rate 2.2e-4 (2e-4 + 10%)", overrides={"lr": 2.2e-4}),
    Mutation("S5", "label smoothing 0.2 instead of 0.1", overrides={"smooth": 0.2}),
    Mutation("S5", "dropout 0.2 (PyTorch 0.2's F.dropout did nothing)",
             overrides={"dropout": 0.2}),
    Mutation("S6", "the noise U(0, 1) instead of U(-1, 1)",
             patch=lambda: tf1_unit_noise("mnist_gan", "sample_Z")),
    Mutation("S6", "images scaled to [-1, 1] instead of [0, 1]",
             patch=s6_scaled_to_plus_minus_one),
    Mutation("S6", "Adam's learning rate 2e-3 (TensorFlow's default: 1e-3)",
             overrides={"learning_rate": 2e-3}),
    Mutation("S6", "batches of 64 instead of 128", overrides={"batch_size": 64}),
    Mutation("S7", "the noise U(0, 1) instead of U(-1, 1)",
             patch=lambda: tf1_unit_noise("mnist_wgan", "sample_z")),
    Mutation("S7", "RMSProp's learning rate 1e-4 (the repository's) instead of 5e-5",
             overrides={"learning_rate": 1e-4}),
    Mutation("S7", "4 critic updates per G update instead of 5", overrides={"n_critic": 4}),
    Mutation("S7", "the critic clipped at 0.02 instead of 0.01", overrides={"clip": 0.02}),
    Mutation("S8", "labels one-hot at the next digit ((y + 1) % 10)", patch=s8_shifted_labels),
    Mutation("S8", "the noise U(0, 1) instead of U(-1, 1)",
             patch=lambda: tf1_unit_noise("mnist_cgan", "sample_Z")),
    Mutation("S8", "Adam's learning rate 2e-3 (TensorFlow's default: 1e-3)",
             overrides={"learning_rate": 2e-3}),
    Mutation("S8", "batches of 128 instead of 64", overrides={"batch_size": 128}),
    Mutation("S9", "pretrain without set_trainability(D, True)",
             patch=s9_pretrain_without_trainability, run=S9_SMALL),
    Mutation("S9", "D's Adam epsilon Keras 3's 1e-7 (Keras 2: 1e-8)",
             overrides={"adam_epsilon": 1e-7}, run=S9_SMALL),
    Mutation("S9", "D's learning rate 2e-3 instead of 1e-3",
             overrides={"lr_discriminator": 2e-3}, run=S9_SMALL),
    Mutation("S9", "G's learning rate 2e-3 instead of 1e-3",
             overrides={"lr_generator": 2e-3}, run=S9_SMALL),
]


@dataclasses.dataclass
class Outcome:
    noticed: bool
    detected_by: str             # the checks that failed, or the error that stopped it
    ratio: float                 # the largest difference over its tolerance (nan: an error)


def try_mutation(mutation):
    """Run the program's comparison with the mutation; what noticed it."""
    import sidebyside
    patch = mutation.patch() if mutation.patch else contextlib.nullcontext()
    try:
        with patch:
            result = sidebyside.run(mutation.program, port_overrides=mutation.overrides,
                                    **mutation.run)
    except sidebyside.MissingExtra:
        raise  # not the port's doing
    except Exception as error:  # a stopped comparison is a noticed mutation
        message = " ".join(str(error).split())[:80]
        return Outcome(True, f"error: {type(error).__name__}: {message}", float("nan"))
    checks = [("losses", result.max_abs_loss_delta, result.loss_tolerance),
              ("weights", result.max_abs_weight_delta, result.weight_tolerance)]
    if result.update_gaps is not None:
        checks.append(("updates", max(result.update_gaps.values()), result.update_tolerance))
    failed = [(name, delta / tolerance) for name, delta, tolerance in checks
              if delta > tolerance]
    ratio = max(delta / tolerance for _, delta, tolerance in checks)
    return Outcome(not result.agrees,
                   ", ".join(f"{name} ({r:.3g}x)" for name, r in failed) or "nothing", ratio)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sidebyside.mutations",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("programs", nargs="*", help="S1 ... S9 (default: all)")
    args = parser.parse_args(argv)
    from gantools.run.launch import quiet_tensorflow
    quiet_tensorflow()
    print("| program | mutation | detected by (difference / tolerance) |")
    print("|---|---|---|")
    missed = 0
    from sidebyside._torch import kept
    with kept():  # one PyTorch process for the rows of S2, S4 and S5, if any
        for mutation in MUTATIONS:
            if args.programs and mutation.program not in args.programs:
                continue
            outcome = try_mutation(mutation)
            missed += not outcome.noticed
            print(f"| {mutation.program} | {mutation.name} | "
                  f"{outcome.detected_by if outcome.noticed else 'NOT NOTICED'} |",
                  flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
