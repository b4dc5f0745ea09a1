"""Entry points of the training scripts, and TensorFlow's start-up noise kept out of them.

TensorFlow 2.19+ writes several C++ log lines while it is imported and when it first looks
for GPUs (oneDNN notices, "Could not find cuda drivers", "failed call to cuInit" on a machine
without a GPU, "WARNING: All log messages before absl::InitializeLog() ..."). They are
written before absl logging is initialised, so `TF_CPP_MIN_LOG_LEVEL` does not hide them
(tensorflow/tensorflow#100442). `quiet_tensorflow()` therefore captures file descriptor 2
while TensorFlow is imported and its devices are listed, drops only the lines matched by
`STARTUP_NOISE`, and passes everything else through. It also drops the deprecation notices
that `tf.compat.v1` prints: the graph-mode programs use that API on purpose. `--verbose`
turns all of this off.

`quiet_runtime_noise()` does the same around a later piece of a run that writes a known
harmless C++ line (`RUNTIME_NOISE`): TensorFlow 2.21 logs "NodeDef mentions attribute
use_unbounded_threadpool which is not in the op definition" (an E-level line) when op
determinism (`--deterministic`) makes it rewrite the parallel map of Keras' `fit` input
pipeline into a plain map (the node is checked against MapDataset's definition, which has
no such attribute); TensorFlow ignores the attribute. It also drops the W-level line with
which a Saver's write op reports a full disk, which the program then reports in one line of
its own (exit code 1). `quiet_retracing_notices()` hides
TensorFlow's "triggered tf.function retracing" warning in programs that build fresh models
for every seed of a sweep: their first traces are counted as retracing.
"""
import contextlib
import importlib
import logging
import os
import re
import sys
import tempfile

from gantools.run.cli import Failure, UsageError, first_line

STARTUP_NOISE = re.compile(
    r"All log messages before absl::InitializeLog\(\) is called"
    r"|^[IW]\d{4} .*(port\.cc|cudart_stub\.cc|cpu_feature_guard\.cc|cpu_utils\.cc"
    r"|gpu_device\.cc|cuda_executor\.cc|TF-TRT Warning)"
    r"|^E\d{4} .*(failed call to cuInit|Unable to register cu(DNN|FFT|BLAS) factory)"
    r"|^To enable the following instructions:.*rebuild TensorFlow"
)

RUNTIME_NOISE = re.compile(
    r"^E\d{4} .*node_def_util\.cc.*NodeDef mentions attribute use_unbounded_threadpool"
    r" which is not in the op definition: Op<name=MapDataset;"
    r"|^W\d{4} .*op_kernel\.cc.*OP_REQUIRES failed at save_restore_v2_ops\.cc.*"
    r"(File too large|No space left on device|Disk quota exceeded)"
    # a truncated JPEG: the face reader skips it and names it in a line of its own
    r"|^E\d{4} .*jpeg_mem\.cc.*Premature end of JPEG data"
    r"|^W\d{4} .*local_rendezvous\.cc.*aborting with status: INVALID_ARGUMENT: "
    r"jpeg::Uncompress failed"
    # a full disk under a graph-mode Saver (a real one, not a file-size limit)
    r"|^W\d{4} .*local_rendezvous\.cc.*aborting with status: RESOURCE_EXHAUSTED"
    r"|^\s*\[\[\{\{node save/SaveV2\}\}\]\]"
    r"|^Hint: If you want to see a list of allocated tensors when OOM happens"
    r"|^\s*$"  # the blank line that ends that message
)


class _DropDeprecations(logging.Filter):
    """Hide TensorFlow's 'is deprecated' notices; keep every other warning."""

    def filter(self, record):
        return "deprecat" not in record.getMessage().lower()


@contextlib.contextmanager
def _filtered_stderr(pattern):
    """Capture file descriptor 2 and re-emit the lines that do not match `pattern`."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            for line in captured.read().decode(errors="replace").splitlines(keepends=True):
                if not pattern.search(line):
                    sys.stderr.write(line)
            sys.stderr.flush()


def quiet_tensorflow(verbose=False):
    """Import TensorFlow and list its devices with the start-up noise filtered out."""
    if verbose:
        import tensorflow as tf
        tf.config.list_physical_devices()
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")  # C++ INFO lines after start-up
    with _filtered_stderr(STARTUP_NOISE):
        import tensorflow as tf
        tf.config.list_physical_devices()  # first CUDA probe happens here, inside the filter
    logger = tf.get_logger()
    if not any(isinstance(f, _DropDeprecations) for f in logger.filters):
        logger.addFilter(_DropDeprecations())


class _DropRetracing(logging.Filter):
    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


def quiet_retracing_notices(verbose=False):
    """Hide tf.function's retracing warning from here on (not with verbose)."""
    import tensorflow as tf
    logger = tf.get_logger()
    if not verbose and not any(isinstance(f, _DropRetracing) for f in logger.filters):
        logger.addFilter(_DropRetracing())


@contextlib.contextmanager
def quiet_runtime_noise(verbose=False):
    """Drop the `RUNTIME_NOISE` lines written to stderr inside the block (not with verbose)."""
    if verbose:
        yield
        return
    with _filtered_stderr(RUNTIME_NOISE):
        yield


class QuietWhenClosed:
    """sys.stdout that goes quiet when its reader has gone (`script | head -1`): the run
    carries on to its end, writing every file, with nothing more printed, instead of
    stopping half-way in a BrokenPipeError traceback."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._silence()
            return len(text)

    def flush(self):
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._silence()

    def _silence(self):
        """Point the file descriptor at /dev/null: later writes, and the flush at exit, land
        there."""
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self._stream.fileno())
        os.close(devnull)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def run(module_name, argv=None, tensorflow=True):
    """Run `module_name.main(argv)` the way every script does; return the exit code.
    `tensorflow`: import it (quietly) first; the nine programs' own modules import it once
    their flags are parsed (gantools.run.runner.main), reproduce-gans never."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not isinstance(sys.stdout, QuietWhenClosed):
        sys.stdout = QuietWhenClosed(sys.stdout)
    if tensorflow:
        quiet_tensorflow(verbose="--verbose" in argv)
    module = importlib.import_module(module_name)
    try:
        return module.main(argv) or 0
    except (UsageError, Failure) as error:  # bad input: 2; the environment: 1
        prog = os.path.basename(sys.argv[0]) or module_name
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2 if isinstance(error, UsageError) else 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # the machine's memory: one line too, exit 1
        if not out_of_memory(error):
            raise
        prog = os.path.basename(sys.argv[0]) or module_name
        print(f"{prog}: error: out of memory ({first_line(error)}); choose smaller sizes "
              f"(batch size, samples, widths)", file=sys.stderr)
        return 1


def out_of_memory(error):
    """A MemoryError (NumPy's too) or TensorFlow's ResourceExhaustedError (an allocation
    that failed; a full disk under a Saver is reported before, as a DiskFull)."""
    return isinstance(error, MemoryError) or type(error).__name__ == "ResourceExhaustedError"


# The console scripts (setup.cfg [options.entry_points]) and scripts/*.py.
def program():
    """One of the nine programs (gantools.run.programs), named by the command that runs it:
    `scripts/<script>.py` or the console command `<script with dashes>`."""
    from gantools.run.programs import by_script
    found = by_script(os.path.basename(sys.argv[0]))
    if found is None:
        print(f"{sys.argv[0]}: error: not the name of one of the nine programs",
              file=sys.stderr)
        return 1
    return run(found.command, tensorflow=False)


def compare_original():
    from gantools.run.programs import TOOLS
    return run(TOOLS["compare-original"])


def reproduce():
    from gantools.run.programs import TOOLS
    return run(TOOLS["reproduce-gans"], tensorflow=False)
