"""Device options and tf.distribute strategies for the image GANs (S2, S3).

The flags `add_device_arguments` adds:
- `--jit-compile {auto,on,off}`: compile the training step's arithmetic with XLA. `auto` is
  off on a CPU-only machine (measured on the project's 2-core CPU: XLA made the DCGAN step
  slower, see the README's benchmark) and on where TensorFlow sees a GPU. The random noise is
  drawn outside the compiled part, so XLA changes the arithmetic only, never the noise.
- `--mixed-precision`: Keras's `mixed_float16` policy (float16 computation, float32
  weights); each optimiser is wrapped in a `LossScaleOptimizer` (dynamic loss scaling), and
  the models' output layers and the losses stay float32.
- `--strategy {default,mirrored,multi-worker}` and `--devices` (mirrored only):
  `tf.distribute.MirroredStrategy` over all local GPUs (or the devices named) or
  `MultiWorkerMirroredStrategy` configured by the `TF_CONFIG` environment variable. The
  batch size stays the global batch (split among the replicas), learning rates are
  unchanged, BatchNorm statistics are synchronised across replicas; the chief writes the
  run's files and every other worker keeps its own copy next to them, for --resume
  (`worker_out`, a Program's `out_folder`).

`Replicas` holds what the training steps need to run the same arithmetic under any strategy:
the global noise is drawn once (on every worker from the same seeded stream) and each
replica takes its rows; each replica's loss is weighted by its share of the global batch,
so the all-reduced (summed) gradients are the default strategy's gradients.
"""
import json
import os
from pathlib import Path

from gantools.run.cli import UsageError

JIT_CHOICES = ("auto", "on", "off")
STRATEGY_CHOICES = ("default", "mirrored", "multi-worker")


def add_device_arguments(parser):
    group = parser.add_argument_group("devices and scale")
    group.add_argument("--jit-compile", choices=JIT_CHOICES, default="auto",
                       help="compile the training step with XLA: auto = on where a GPU is "
                            "visible, off on CPU (slower there, see the README)")
    group.add_argument("--mixed-precision", action="store_true",
                       help="float16 computation with float32 weights (Keras mixed_float16) "
                            "and dynamic loss scaling; losses and clipping stay float32")
    group.add_argument("--strategy", choices=STRATEGY_CHOICES, default="default",
                       help="tf.distribute strategy: mirrored = all local GPUs (or --devices), "
                            "multi-worker = the machines listed in TF_CONFIG; --batch-size "
                            "stays the global batch")
    group.add_argument("--devices", type=str, default=None,
                       help="comma-separated devices for --strategy mirrored, e.g. "
                            "GPU:0,GPU:1 (default all GPUs, else the CPU)")
    return group


def check_device_flags(args):
    """One-line UsageErrors for inconsistent flags, before TensorFlow starts its devices."""
    if args.devices and args.strategy != "mirrored":
        raise UsageError("--devices is only used with --strategy mirrored")
    if args.strategy == "multi-worker":
        text = os.environ.get("TF_CONFIG")
        if not text:
            raise UsageError("--strategy multi-worker needs the TF_CONFIG environment "
                             "variable (cluster and task; see the README)")
        try:
            config = json.loads(text)
            config["cluster"], config["task"]["type"], config["task"]["index"]
        except (ValueError, KeyError, TypeError):
            raise UsageError("--strategy multi-worker: TF_CONFIG must be JSON with 'cluster' "
                             "and 'task' {'type', 'index'}") from None


def resolve_jit(choice):
    """--jit-compile as a bool: auto = on with a GPU, off on CPU."""
    if choice == "auto":
        import tensorflow as tf
        return bool(tf.config.list_physical_devices("GPU"))
    return choice == "on"


def make_strategy(args):
    """The tf.distribute strategy of --strategy (create it before any other TensorFlow op)."""
    import tensorflow as tf
    if args.strategy == "mirrored":
        devices = [d.strip() for d in args.devices.split(",")] if args.devices else None
        split_cpu(devices or [])
        try:
            return tf.distribute.MirroredStrategy(devices)
        except (ValueError, RuntimeError) as error:
            raise UsageError(f"--strategy mirrored --devices {args.devices}: {error}") from None
    if args.strategy == "multi-worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def split_cpu(devices):
    """Devices named CPU:1, CPU:2, ... on a machine with one CPU device: split the CPU into
    that many logical devices (to try --strategy mirrored without GPUs, as the tests do)."""
    import re
    import tensorflow as tf
    indices = [int(m.group(1)) for d in devices
               for m in [re.fullmatch(r"(?:/?device:)?/?cpu:(\d+)", d.strip(), re.I)] if m]
    cpus = tf.config.list_physical_devices("CPU")
    if indices and max(indices) > 0 and len(cpus) == 1:
        tf.config.set_logical_device_configuration(
            cpus[0], [tf.config.LogicalDeviceConfiguration()] * (max(indices) + 1))


def set_precision(mixed):
    import keras
    keras.mixed_precision.set_global_policy("mixed_float16" if mixed else "float32")


def wrap_optimizer(optimizer, mixed):
    """Dynamic loss scaling for float16 gradients (the optimizer unchanged otherwise)."""
    import keras
    return keras.optimizers.LossScaleOptimizer(optimizer) if mixed else optimizer


def non_chief_index(task_type, task_id, cluster):
    """The task index of a non-chief worker; None for the chief (the 'chief' task, or worker 0
    of a cluster without one) and outside a cluster."""
    if not task_type or task_type == "chief" or (
            task_type == "worker" and task_id == 0 and "chief" not in cluster):
        return None
    return task_id


def is_chief(strategy):
    """True where files are written: always, except on the non-chief workers of a cluster."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    return non_chief_index(resolver.task_type, resolver.task_id,
                           resolver.cluster_spec().as_dict()) is None


def worker_out(args):
    """The run folder of this process: `--out`, or on a non-chief worker of `--strategy
    multi-worker` `<--out>.worker<index>` (a Program's `out_folder`): every worker saves (tf.distribute's convention), the chief's
    files are the run's, and each other worker keeps its own copy, which it resumes from, so
    --resume works whether or not the machines share a file system. Reads only the flags and
    TF_CONFIG (no TensorFlow), so it can run before anything else."""
    if args.strategy != "multi-worker":
        return args.out
    check_device_flags(args)
    config = json.loads(os.environ["TF_CONFIG"])
    index = non_chief_index(config["task"]["type"], int(config["task"]["index"]),
                            config["cluster"])
    return args.out if index is None else Path(f"{Path(args.out).expanduser()}.worker{index}")


def worker_note(replicas, run_dir):
    """For a run's last lines: where a non-chief worker's copy of the run is ('' on the
    chief)."""
    if replicas.chief:
        return ""
    return (f"Worker {replicas.worker} finished; the chief writes the run's files. This "
            f"worker's copy (for --resume) is in {run_dir}")


class Replicas:
    """The strategy of a run and the helpers its training steps use (see module doc)."""

    def __init__(self, strategy=None, jit_compile=False, mixed_precision=False):
        import tensorflow as tf
        self.strategy = strategy or tf.distribute.get_strategy()
        self.jit_compile = jit_compile
        self.mixed_precision = mixed_precision
        self.distributed = strategy is not None
        # a non-chief worker's index (None on the chief): it keeps its own copy of the run
        # (worker_out)
        self.worker = None if is_chief(self.strategy) else self.strategy.cluster_resolver.task_id

    @property
    def chief(self):
        """True where the run's files are written."""
        return self.worker is None

    @property
    def plain(self):
        """True with no device option: the default strategy, no XLA, float32."""
        return not (self.distributed or self.jit_compile or self.mixed_precision)

    @property
    def count(self):
        return self.strategy.num_replicas_in_sync

    def run(self, fn, args=()):
        """fn(*args) on every replica (args are global tensors, or distributed values);
        a plain call under the default strategy."""
        if not self.distributed:
            return fn(*args)
        return self.strategy.run(fn, args=args)

    def sum(self, per_replica):
        """The replicas' values of `run` summed; the value itself under the default
        strategy (where `run` was a plain call)."""
        if not self.distributed:
            return per_replica
        import tensorflow as tf
        return self.strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    def split(self, batch):
        """A global batch (from every worker's identical input pipeline) as per-replica
        values, consecutive rows per replica in replica order (np.array_split's sizes);
        the batch itself under the default strategy."""
        if not self.distributed:
            return batch
        import numpy as np
        n = int(batch.shape[0])
        bounds = np.cumsum([0] + [len(part) for part in np.array_split(np.arange(n), self.count)])
        return self.strategy.experimental_distribute_values_from_function(
            lambda ctx: batch[int(bounds[ctx.replica_id_in_sync_group]):
                              int(bounds[ctx.replica_id_in_sync_group + 1])])

    def shard(self, batch, local_size):
        """This replica's rows of a global tensor: the rows after those of the replicas
        before it, `local_size` rows (call in replica context); the tensor itself under the
        default strategy."""
        if not self.distributed:
            return batch
        import tensorflow as tf
        ctx = tf.distribute.get_replica_context()
        sizes = ctx.all_gather(tf.reshape(local_size, [1]), axis=0)
        start = tf.reduce_sum(sizes[:ctx.replica_id_in_sync_group])
        return batch[start:start + local_size]

    @staticmethod
    def weight(local_size):
        """This replica's share of the global batch (the weights sum to 1)."""
        import tensorflow as tf
        ctx = tf.distribute.get_replica_context()
        local = tf.cast(local_size, tf.float32)
        return local / ctx.all_reduce(tf.distribute.ReduceOp.SUM, local)

    def weighted(self, mean, output):
        """A replica's `mean` over the rows of `output`, weighted by their share of the
        global rows, so that the replicas' sum is the global mean (unchanged without a
        strategy)."""
        if not self.distributed:
            return mean
        import tensorflow as tf
        return mean * self.weight(tf.shape(output)[0])

    def even_shard(self, batch):
        """This replica's rows of a global tensor: replica i of n takes rows
        [i N / n, (i + 1) N / n) (call in replica context); the tensor itself under the
        default strategy."""
        if not self.distributed:
            return batch
        import tensorflow as tf
        ctx = tf.distribute.get_replica_context()
        n, i = ctx.num_replicas_in_sync, ctx.replica_id_in_sync_group
        total = tf.shape(batch)[0]
        return batch[i * total // n:(i + 1) * total // n]

    def describe(self):
        """For the start-up line and config.json."""
        import tensorflow as tf
        name = "default"
        if isinstance(self.strategy, tf.distribute.MultiWorkerMirroredStrategy):
            name = "MultiWorkerMirroredStrategy"  # its class is CollectiveAllReduceStrategy
        elif self.distributed:
            name = type(self.strategy).__name__
        return {"strategy": name,
                "replicas": self.count,
                "replica_devices": list(self.strategy.extended.worker_devices)
                if self.distributed else [],
                "jit_compile": self.jit_compile, "mixed_precision": self.mixed_precision}


class ScaledStep:
    """Mixed into S2's and S3's device overrides (dcgan_scale.py, wgan_scale.py): the
    program's `step` on the loss scaled by the optimiser (a LossScaleOptimizer's scale under
    --mixed-precision, which apply_gradients undoes; the loss itself otherwise)."""

    def step(self, optimizer, model, tape, loss):
        with tape:
            scaled = optimizer.scale_loss(loss)
        super().step(optimizer, model, tape, scaled)


def setup(args):
    """From parsed flags: check them, create the strategy and the precision policy; the
    Replicas of the run. Call before anything else touches TensorFlow's devices."""
    check_device_flags(args)
    strategy = make_strategy(args) if args.strategy != "default" else None
    set_precision(args.mixed_precision)
    return Replicas(strategy, resolve_jit(args.jit_compile), args.mixed_precision)


def startup_line(replicas):
    info = replicas.describe()
    devices = ", ".join(info["replica_devices"]) or "one device"
    return ("Strategy: {} ({} replica{}: {}); XLA jit_compile: {}; mixed precision: {}".format(
        info["strategy"], info["replicas"], "" if info["replicas"] == 1 else "s", devices,
        "on" if info["jit_compile"] else "off",
        "mixed_float16" if info["mixed_precision"] else "off (float32)"))
