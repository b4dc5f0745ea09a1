"""Command-line conventions shared by every training script.

A bad flag value, a missing dataset or an unwritable output folder is reported as one line,
`<prog>: error: <what is wrong>`, with exit code 2 and no traceback (`UsageError`); a full
disk or a missing optional package the same way with exit code 1 (`Failure`).
"""
import argparse
import ast
import importlib.util
import math
from pathlib import Path
from types import SimpleNamespace


class UsageError(Exception):
    """Bad user input found after parsing (files, folders): one error line, exit code 2."""


class Failure(Exception):
    """A failure of the environment, not of the input: one error line, exit code 1."""


class DiskFull(Failure):
    """The disk (or a file-size limit) stopped a write."""


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Every flag's help ends with its default, except where there is none to show (an
    off switch, a flag without a default) or the help already says it."""

    def _get_help_string(self, action):
        text = action.help or ""
        if action.default in (None, False, argparse.SUPPRESS) or "%(default)" in text:
            return text
        return super()._get_help_string(action)


class ArgumentParser(argparse.ArgumentParser):
    """argparse with a one-line error message (no usage dump) and exit code 2, every
    default in --help, and no abbreviated flags (`--epoch` is not taken as `--epochs`)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")

    def parse_args(self, args=None, namespace=None):
        parsed = super().parse_args(args, namespace)
        # A sweep writes to its own default folder (see add_sweep_argument).
        if getattr(parsed, "sweep", None) and parsed.out == self.get_default("out"):
            parsed.out = self.get_default("sweep_out")
        return parsed


def _number(kind, test, requirement):
    """A flag type: `kind(text)`, finite, and passing `test`."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a valid {kind.__name__}") from None
        if kind is float and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text!r} must be a finite number")
        if not test(value):
            raise argparse.ArgumentTypeError(f"{text!r} must be {requirement}")
        return value
    parse.__name__ = requirement  # argparse names the type in some messages
    return parse


positive_int = _number(int, lambda v: v > 0, "a positive integer")
non_negative_int = _number(int, lambda v: v >= 0, "an integer >= 0")
positive_float = _number(float, lambda v: v > 0, "a positive number")
non_negative_float = _number(float, lambda v: v >= 0, "a number >= 0")
unit_interval = _number(float, lambda v: 0 < v <= 1, "a number in (0, 1]")
digit_label = _number(int, lambda v: 0 <= v <= 9, "a digit 0-9")
fraction = _number(float, lambda v: 0 <= v < 1, "a number in [0, 1)")
finite_float = _number(float, lambda v: True, "a finite number")
# NumPy's and TensorFlow's seeds are 32-bit: a larger one would end in their traceback
seed_value = _number(int, lambda v: 0 <= v < 2 ** 32, "an integer from 0 to 4294967295")


def add_run_arguments(parser, script_name):
    """The flags every script shares: output folder, seed, determinism and verbosity."""
    group = parser.add_argument_group("run")
    group.add_argument("--out", type=Path, default=Path("runs") / script_name,
                       help="run folder for every file this run writes")
    group.add_argument("--overwrite", action="store_true",
                       help="replace an earlier run in --out instead of refusing")
    group.add_argument("--seed", type=seed_value, default=0,
                       help="seed for Python, NumPy and TensorFlow (0 to 2**32 - 1)")
    group.add_argument("--deterministic", action="store_true",
                       help="enable TensorFlow op determinism (same seed, same numbers)")
    group.add_argument("--verbose", action="store_true",
                       help="show TensorFlow's own start-up logs and deprecation warnings")
    return group


def add_sweep_argument(parser, script_name):
    """--sweep N: train seeds 0..N-1 and write sweep.json, by default into runs/<script>_sweep."""
    sweep_out = Path("runs") / f"{script_name}_sweep"
    parser.add_argument("--sweep", type=positive_int, metavar="N",
                        help="train seeds 0..N-1 without figures and write sweep.json "
                             f"(default --out {sweep_out})")
    parser.set_defaults(sweep_out=sweep_out)


# --bce of the PyTorch ports (S4, S5): gantools.torch_compat.criterion
BCE_CHOICES = ('era', 'logits')
BCE_HELP = ("the binary cross-entropy: era, PyTorch 0.2's BCELoss on D's probability "
            "(log(p + 1e-12), as the post ran it); logits, Keras's, exact from D's logit "
            "(the same until D saturates; there the post's loss stops at 27.6 and its "
            "gradient vanishes)")


def first_line(error):
    """The first line of an exception's message (or its type's name), for one-line errors."""
    lines = str(getattr(error, "message", error)).strip().splitlines()
    if lines and lines[0] == "Graph execution error:":  # TensorFlow: the failing op's line
        for before, line in zip(lines, lines[1:]):
            if line.lstrip().startswith("[[{{node"):
                return before.strip()
    return lines[0] if lines else type(error).__name__


def constants_of(module_name):
    """The top-level constants of a module (`name = <literal>`, as an original's settings
    block: `num_epochs = 30000`; a class's as `constants_of(m).GAN.loss`), read from its
    source without running it: a program's flags take their defaults from its port without
    importing TensorFlow, so that --help and a bad flag answer at once."""
    source = Path(importlib.util.find_spec(module_name).origin).read_text()
    return _literals(ast.parse(source).body)


def _literals(body):
    """constants_of's namespace of one module or class body (a class's as a namespace)."""
    found = {}
    for node in body:
        if isinstance(node, ast.ClassDef):
            found[node.name] = _literals(node.body)
        if not isinstance(node, ast.Assign):
            continue
        try:
            value = ast.literal_eval(node.value)
        except ValueError:
            continue  # not a literal: computed, or a function
        for target in node.targets:  # `a = b = 1`, `a, b = 1, 2`
            if isinstance(target, ast.Name):
                found[target.id] = value
            elif isinstance(target, ast.Tuple) and isinstance(value, tuple) \
                    and len(value) == len(target.elts):
                found.update((n.id, v) for n, v in zip(target.elts, value)
                             if isinstance(n, ast.Name))
    return SimpleNamespace(**found)

