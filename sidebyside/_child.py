"""The harness's end of `originals/serve.py`: a reference rendition in a child process.

    with Original("originals.torch_replay", needs="torch") as original:
        answer = original.call("s4_run", steps=..., **weights)   # a dict of numpy arrays

starts `python -m originals.serve MODULE FOLDER` with this interpreter (so the same venv)
and exchanges arrays with it through FOLDER/request.npz and FOLDER/response.npz, one line
on the child's stdin and stdout per call. `serving(MODULE, needs)` is such a child for a
`with` block, or, inside a `keep(MODULE, needs)` block, the one child that block started at
its first use and closes at its end: each new child imports its framework again (PyTorch:
about 4 s of CPU), and every call of the renditions starts from the arrays it is given, so
one child can answer a test module's comparisons. This process never imports the child's
framework: `needs` is checked with `importlib.util.find_spec`, which finds a package without importing
it, and a missing one raises `MissingExtra` before anything starts.
"""
import contextlib
import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from sidebyside import EXTRA_HINT, MissingExtra

ROOT = Path(__file__).resolve().parents[1]  # the checkout, so the child finds `originals`


class ChildFailed(RuntimeError):
    """The child process raised, or ended without answering."""


def available(package):
    """Whether `package` is installed, without importing it into this process."""
    return importlib.util.find_spec(package) is not None


class Original:
    def __init__(self, module, needs):
        if not available(needs):
            raise MissingExtra(f"the reference rendition needs {needs}; {EXTRA_HINT}")
        self._folder = tempfile.TemporaryDirectory(prefix="original-")
        self.folder = Path(self._folder.name)
        self._stderr = open(self.folder / "stderr.txt", "w")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT),
                                                          env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "originals.serve", module, str(self.folder)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, text=True,
            env=env, cwd=self.folder)
        self._expect("ready", f"starting {module}")

    def call(self, name, **arrays):
        """Run `name(arrays)` in the child; its answer as a dict of numpy arrays."""
        np.savez(self.folder / "request.npz", **{k: np.asarray(v) for k, v in arrays.items()})
        try:
            self.process.stdin.write(name + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            pass  # the child is gone: _expect says why
        self._expect("ok", name)
        with np.load(self.folder / "response.npz", allow_pickle=False) as response:
            return {key: response[key] for key in response.files}

    def _expect(self, word, what):
        line = self.process.stdout.readline().strip()
        if line == word:
            return
        if line.startswith("error "):
            raise ChildFailed(f"{what} in the original's process: {line[6:]}")
        self.process.wait()
        raise ChildFailed(f"{what}: the original's process ended (exit code "
                          f"{self.process.returncode}): {self.stderr_tail()}")

    def stderr_tail(self, lines=20):
        self._stderr.flush()
        text = (self.folder / "stderr.txt").read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._stderr.close()
        self._folder.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


_kept = {}  # module -> the child of the `keep` block around (None until first used)


@contextlib.contextmanager
def serving(module, needs):
    """A child serving `module` for a `with` block: the `keep` block's, else a new one."""
    if module not in _kept:
        with Original(module, needs) as child:
            yield child
        return
    if _kept[module] is None:
        _kept[module] = Original(module, needs)
    yield _kept[module]


@contextlib.contextmanager
def keep(module, needs):
    """One child for every `serving(module, needs)` block inside this one, started by the
    first of them (none if none comes) and closed at this block's end."""
    if module in _kept:  # an enclosing block keeps it already
        yield
        return
    _kept[module] = None
    try:
        yield
    finally:
        child = _kept.pop(module)
        if child is not None:
            child.close()
