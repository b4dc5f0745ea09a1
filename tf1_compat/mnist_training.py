"""What the three MNIST programs of the WGAN/CGAN post (S6, S7, S8) share, written once.

The programs themselves (`mnist_gan.py`, `mnist_wgan.py`, `mnist_cgan.py`) hold what the
post and wiseodd's code show: xavier_init, sample_Z, the two nets, the losses, the solvers
and the body of the training loop. This module is everything around that body:

- `GraphGAN`: the base class. A subclass builds its graph in `_create_model` (inside its own
  `tf.Graph`, seeded), and implements `train_step` (one iteration of the original loop),
  `print_losses` (the original's console lines) and `sample`. The base adds two
  non-trainable int64 variables, `iteration` and `data_position`, and a
  `tf.compat.v1.train.Saver`, so that a checkpoint holds the weights, the optimisers' slots
  and where the run is.
- `build_parser`: the flags every MNIST program has (`--data`, `--download`, `--steps`,
  `--batch-size`, `--lr`, `--log-every`, `--sample-every`, `--checkpoint-every`,
  `--resume`, `--evaluate`, ...).
- `main`: load MNIST, train with a progress bar, the original's 4x4 grids every
  `--sample-every` iterations (`samples/000.png`, `001.png`, ...), a row of losses.csv per
  logged iteration, checkpoints, then evolution.gif, losses.png and metrics.json; or, with
  `--evaluate CHECKPOINT`, only the metrics of a saved generator.

Resuming. Every random draw of the training loop comes from a NumPy generator derived from
(seed, stream, index): the data order of each epoch from (seed, 0, epoch) and the noise of
iteration `it` from (seed, 1, it); the grids use (seed, 2, it) and the final metrics
(seed, 3, 0), so plotting never changes training. A checkpoint stores the iteration and the
number of training examples handed out, so `--resume` rebuilds exactly the same streams: with
`--deterministic`, N iterations straight and N/2 + resume + N/2 give identical losses.
Checkpoints are written every `--checkpoint-every` iterations, at the end and on Ctrl-C
(after the iteration in progress); the last `KEEP_CHECKPOINTS` are kept. TensorFlow writes a
checkpoint's files under temporary names and renames them, and updates the `checkpoint` index
file atomically afterwards, so `--resume` never sees a half-written checkpoint. losses.csv is
flushed before each checkpoint; on resume its rows from the checkpoint's iteration on, and
sample grids made after it, are dropped and made again.

`--resume` alone continues the run in `--out` with the flags it was started with (read from
its config.json); a flag given again must have the same value, except `--steps` (the new
total), `--checkpoint-every`, `--metric-samples`, `--gif-frames` and `--deterministic`.
"""
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow.compat.v1 as tf

from gantools.cli import (ArgumentParser, UsageError, add_run_arguments, first_line,
                          non_negative_int, positive_float, positive_int)
from gantools.mnist import (GRID_STREAM, METRICS_STREAM, NOISE_STREAM, Batches,
                            add_data_arguments, images, load_mnist, stream_rng)
from gantools.resume import (apply_previous_flags, check_training_set,
                             checked_checkpoint_value, evaluation_config, given_flags,
                             latest_checkpoint, read_config)
from gantools.rundir import LossLog, read_losses, start_run, write_json


# -- wiseodd's helpers, the same in all three programs -------------------------------------

def xavier_init(size):
    in_dim = size[0]
    xavier_stddev = 1. / tf.sqrt(in_dim / 2.)
    return tf.random_normal(shape=size, stddev=xavier_stddev)


def sample_Z(m, n, rng):
    return rng.uniform(-1., 1., size=[m, n])


KEEP_CHECKPOINTS = 3
GRID_SIZE = 16  # the originals' 4x4 grid
# Flags that may differ between a run and its --resume; every other flag must match.
FREE_ON_RESUME = {"steps", "checkpoint_every", "metric_samples", "gif_frames", "deterministic"}
# Flags that are not hyper-parameters of the run (never compared, never taken from config).
NOT_RECORDED = {"out", "overwrite", "resume", "evaluate", "verbose", "download"}


@dataclass
class Settings:
    """A program's defaults: the original's values."""
    script: str
    description: str
    batch_size: int
    learning_rate: float
    log_every: int
    sample_before_step: bool  # S6, S8 sample before the iteration's updates, S7 after
    sample_every: int = 1000
    steps: int = 1_000_000


class GraphGAN:
    """One MNIST GAN in its own graph; subclasses write `_create_model` as the post does."""

    conditional = False  # the CGAN feeds labels
    options = ()  # extra constructor arguments a subclass takes from the flags

    def __init__(self, mb_size, learning_rate, seed=None, **options):
        self.mb_size = mb_size
        self.learning_rate = learning_rate
        for name, value in options.items():
            setattr(self, name, value)
        self.graph = tf.Graph()
        with self.graph.as_default():
            if seed is not None:
                tf.set_random_seed(seed)
            self._create_model()
            self._create_bookkeeping()

    def _create_model(self):
        raise NotImplementedError

    def _create_bookkeeping(self):
        with tf.variable_scope("run"):
            self.iteration = tf.Variable(0, dtype=tf.int64, trainable=False, name="iteration")
            self.data_position = tf.Variable(0, dtype=tf.int64, trainable=False,
                                             name="data_position")
            self._state = tf.placeholder(tf.int64, shape=[2])
            self._set_state = tf.group(self.iteration.assign(self._state[0]),
                                       self.data_position.assign(self._state[1]))
        self.init = tf.global_variables_initializer()
        self.saver = tf.train.Saver(max_to_keep=KEEP_CHECKPOINTS, save_relative_paths=True)

    def trainable_parameters(self):
        count = lambda variables: int(sum(np.prod(v.get_shape().as_list()) for v in variables))
        return {"generator": count(self.theta_G), "discriminator": count(self.theta_D)}

    def session(self):
        return tf.Session(graph=self.graph)

    def save(self, session, checkpoint_dir, iteration, data_position):
        session.run(self._set_state, {self._state: [iteration, data_position]})
        self.saver.save(session, str(Path(checkpoint_dir) / "ckpt"), global_step=iteration,
                        write_meta_graph=False)

    def restore(self, session, checkpoint):
        """Load a checkpoint; return (iteration, data_position).

        Raises UsageError if the checkpoint does not hold this graph's variables with the
        same shapes (resource variables would otherwise take a wrong shape silently)."""
        shapes = tf.train.load_checkpoint(str(checkpoint)).get_variable_to_shape_map()
        with self.graph.as_default():
            for variable in tf.global_variables():
                name, shape = variable.op.name, variable.get_shape().as_list()
                if shapes.get(name) != shape:
                    found = "missing" if name not in shapes else f"shape {shapes[name]}"
                    raise UsageError(f"{checkpoint} is not a checkpoint of this program "
                                     f"({name}: expected shape {shape}, {found})")
        self.saver.restore(session, str(checkpoint))
        return tuple(int(v) for v in session.run([self.iteration, self.data_position]))

    # What a subclass implements besides _create_model:
    def train_step(self, session, mnist, rng):
        """One iteration of the original loop; returns (D_loss_curr, G_loss_curr)."""
        raise NotImplementedError

    def print_losses(self, it, D_loss_curr, G_loss_curr):
        raise NotImplementedError

    def sample(self, session, n, rng, labels=None):
        """n generated images in [0, 1] (n x 784); a conditional GAN takes digit labels."""
        raise NotImplementedError

    def grid_labels(self):
        """Labels of the 4x4 grids (the CGAN's requested digit), or None."""
        return None

    def save_final_figures(self, session, run_dir, rng):
        """Figures besides the grids, written once at the end (the CGAN's digit rows)."""


# -- flags ---------------------------------------------------------------------------------

def build_parser(settings, add_program_arguments=None):
    parser = ArgumentParser(prog=settings.script + ".py", description=settings.description,
                            allow_abbrev=False)
    add_data_arguments(parser).add_argument(
        "--validation-size", type=non_negative_int, default=5000,
        help="the first this many training images are held out, as TF 1's read_data_sets "
             "did (55,000 images remain); 0 trains on all of them")
    original = parser.add_argument_group("the original's settings")
    original.add_argument("--steps", type=positive_int, default=settings.steps,
                          help="total training iterations (with --resume: still the total)")
    original.add_argument("--batch-size", type=positive_int, default=settings.batch_size,
                          help="mb_size")
    original.add_argument("--lr", "--learning-rate", dest="learning_rate",
                          type=positive_float, default=settings.learning_rate,
                          help="learning rate of both solvers")
    original.add_argument("--log-every", type=positive_int, default=settings.log_every,
                          help="print the losses and write a losses.csv row every this many "
                               "iterations")
    original.add_argument("--sample-every", type=non_negative_int,
                          default=settings.sample_every,
                          help="save a 4x4 grid of samples every this many iterations "
                               "(samples/NNN.png); 0: none")
    if add_program_arguments is not None:
        add_program_arguments(original)
    run = parser.add_argument_group("long runs and metrics")
    run.add_argument("--checkpoint-every", type=positive_int, default=10_000,
                     help="write a checkpoint every this many iterations (also at the end "
                          "and on Ctrl-C); the last %d are kept" % KEEP_CHECKPOINTS)
    run.add_argument("--resume", action="store_true",
                     help="continue the run in --out from its latest checkpoint, with the "
                          "flags it was started with")
    run.add_argument("--evaluate", type=Path, metavar="CHECKPOINT",
                     help="only compute the quality metrics of a saved generator (a "
                          "checkpoint prefix such as runs/x/checkpoints/ckpt-5000, or a run "
                          "or checkpoints folder for its latest checkpoint)")
    run.add_argument("--metric-samples", type=non_negative_int, default=10_000,
                     help="generated images scored by the MNIST classifier at the end; "
                          "0: no quality metrics")
    run.add_argument("--gif-frames", type=non_negative_int, default=100,
                     help="evolution.gif shows at most this many of the grids, evenly "
                          "spaced (0: all)")
    add_run_arguments(parser, settings.script)
    return parser


def hyperparameters(args, gan_class):
    keys = ["steps", "batch_size", "learning_rate", "log_every", "sample_every",
            "checkpoint_every", "validation_size", "metric_samples", "gif_frames",
            *gan_class.options]
    hparams = {key: getattr(args, key) for key in keys}
    hparams["data"] = str(Path(args.data).expanduser().resolve()) if args.data else None
    return hparams


# -- training ------------------------------------------------------------------------------

def _make_gan(gan_class, args):
    options = {name: getattr(args, name) for name in gan_class.options}
    return gan_class(args.batch_size, args.learning_rate, seed=args.seed, **options)


def _training_set(mnist, args):
    if args.validation_size >= len(mnist.x_train):
        raise UsageError(f"--validation-size {args.validation_size} leaves no training image "
                         f"({mnist.source} has {len(mnist.x_train)})")
    x = mnist.x_train[args.validation_size:]
    y = mnist.y_train[args.validation_size:]
    return images(x), y


def main(gan_class, settings, argv=None, add_program_arguments=None):
    parser = build_parser(settings, add_program_arguments)
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    if args.evaluate is not None:
        return evaluate(gan_class, args, given_flags(parser, argv))
    if args.resume and args.overwrite:
        raise UsageError("--resume continues the run in --out and --overwrite replaces it: "
                         "choose one")
    checkpoint = previous = None
    if args.resume:
        previous = read_config(args.out)
        apply_previous_flags(args, given_flags(parser, argv), previous, FREE_ON_RESUME,
                             NOT_RECORDED, {"learning_rate": "--lr"})
        checkpoint = latest_checkpoint(Path(args.out) / "checkpoints")
        if checkpoint is None:
            raise UsageError(f"--resume: {args.out} holds no checkpoint to resume from")
        done = checked_checkpoint_value(checkpoint, "run/iteration")
        if done > args.steps:
            raise UsageError(f"--resume: the checkpoint is at iteration {done}, past "
                             f"--steps {args.steps}")
    mnist = load_mnist(args.data, args.download)
    if previous is not None:
        check_training_set(previous, mnist)
    train_x, train_y = _training_set(mnist, args)
    gan = _make_gan(gan_class, args)
    hparams = hyperparameters(args, gan_class)
    hparams["data_source"] = dict(mnist.describe(), training_images_used=len(train_x))
    run_dir = start_run(args, hparams, gan.trainable_parameters(), resume=args.resume)
    return Trainer(gan, settings, args, run_dir, mnist, train_x, train_y).run(checkpoint)


class Trainer:
    def __init__(self, gan, settings, args, run_dir, mnist, train_x, train_y):
        self.gan, self.settings, self.args, self.run_dir = gan, settings, args, run_dir
        self.mnist, self.train_x, self.train_y = mnist, train_x, train_y
        self.checkpoint_dir = run_dir / "checkpoints"
        self.samples_dir = run_dir / "samples"
        self.grid = None

    def run(self, checkpoint=None):
        from gantools.training import Progress, StopRequest
        args, gan = self.args, self.gan
        self.checkpoint_dir.mkdir(exist_ok=True)
        self.samples_dir.mkdir(exist_ok=True)
        with gan.session() as session:
            if checkpoint is not None:
                start, position = gan.restore(session, checkpoint)
                print(f"Resuming {self.run_dir} at iteration {start} of {args.steps}")
            else:
                session.run(gan.init)
                start, position = 0, 0
            self._drop_grids_from(start)
            batches = Batches(self.train_x, self.train_y, args.seed, position)
            log = LossLog(self.run_dir / "losses.csv", ["step", "D_loss", "G_loss"],
                          keep_until=start)
            progress = Progress(args.steps, start)
            began = time.perf_counter()
            done = start
            try:
                with StopRequest() as interrupt:
                    for it in range(start, args.steps):
                        self._iteration(session, it, batches, log, progress)
                        done = it + 1
                        progress.update(done)
                        if interrupt.requested:
                            break
                        if done % args.checkpoint_every == 0 and done < args.steps:
                            log.flush()
                            gan.save(session, self.checkpoint_dir, done, batches.position)
                    seconds = time.perf_counter() - began
                    progress.close()
                    log.flush()
                    if done > start or checkpoint is None:
                        gan.save(session, self.checkpoint_dir, done, batches.position)
                    if interrupt.requested:
                        print(f"Stopped at iteration {done}; checkpoint written. Continue "
                              f"with --resume --out {self.run_dir}", file=sys.stderr)
                        raise KeyboardInterrupt
            finally:
                progress.close()
                log.close()
            samples = self._final_samples(session)
            gan.save_final_figures(session, self.run_dir, stream_rng(args.seed, GRID_STREAM,
                                                                     args.steps))
        self._save_figures()
        metrics = {"iterations": done, "iterations_this_session": done - start,
                   "train_seconds": round(seconds, 3),
                   "seconds_per_iteration": round(seconds / max(done - start, 1), 6)}
        if samples is not None:
            from gantools import mnist_metrics
            quality = mnist_metrics.score(samples[0], self.mnist, samples[1])
            print(mnist_metrics.summary(quality))
            metrics.update(quality)
        write_json(self.run_dir / "metrics.json", metrics)
        print(f"Wrote {self.run_dir} (samples/, evolution.gif, losses.png, metrics.json)")
        return 0

    def _iteration(self, session, it, batches, log, progress):
        gan, args = self.gan, self.args
        sample_now = args.sample_every and it % args.sample_every == 0
        if sample_now and self.settings.sample_before_step:
            self._save_grid(session, it)
        D_loss_curr, G_loss_curr = gan.train_step(session, batches,
                                                  stream_rng(args.seed, NOISE_STREAM, it))
        if it % args.log_every == 0:
            progress.clear()
            gan.print_losses(it, D_loss_curr, G_loss_curr)
            sys.stdout.flush()
            log.write(step=it, D_loss=D_loss_curr, G_loss=G_loss_curr)
        if sample_now and not self.settings.sample_before_step:
            self._save_grid(session, it)

    def _save_grid(self, session, it):
        from gantools.plots import DigitGrid
        if self.grid is None:
            self.grid = DigitGrid(4, 4)
        samples = self.gan.sample(session, GRID_SIZE, stream_rng(self.args.seed, GRID_STREAM, it),
                                  self.gan.grid_labels())
        index = it // self.args.sample_every
        self.grid.save(self.samples_dir / "{}.png".format(str(index).zfill(3)), samples)

    def _drop_grids_from(self, start):
        """Grids made after the checkpoint we resume from are made again."""
        if not self.args.sample_every:
            return
        first_new = -(-start // self.args.sample_every)
        for path in self.samples_dir.glob("*.png"):
            if path.stem.isdigit() and int(path.stem) >= first_new:
                path.unlink()

    def _final_samples(self, session):
        n = self.args.metric_samples
        if not n:
            return None
        return generate(self.gan, session, n, stream_rng(self.args.seed, METRICS_STREAM, 0))

    def _save_figures(self):
        from gantools.plots import evenly_spaced, plot_losses, write_gif
        grids = sorted((p for p in self.samples_dir.glob("*.png") if p.stem.isdigit()),
                       key=lambda p: int(p.stem))
        if grids:
            write_gif(evenly_spaced(grids, self.args.gif_frames), self.run_dir / "evolution.gif")
        losses = read_losses(self.run_dir / "losses.csv")
        if losses:
            plot_losses(losses, self.run_dir / "losses.png", {"D_loss": "D loss",
                        "G_loss": "G loss"}, xlabel="iteration",
                        title=f"{self.settings.script}: losses every {self.args.log_every} "
                              f"iterations")


def generate(gan, session, n, rng):
    """n samples for the metrics: (images, requested labels or None); the CGAN's labels
    cycle through the ten digits."""
    labels = np.arange(n) % 10 if gan.conditional else None
    return gan.sample(session, n, rng, labels), labels


# -- --evaluate ----------------------------------------------------------------------------

def evaluate(gan_class, args, given=()):
    """--evaluate: the metrics of a checkpoint's generator, with the run's seed and options
    (from its config.json) unless given on the command line."""
    from gantools import mnist_metrics
    checkpoint = latest_checkpoint(args.evaluate)
    if checkpoint is None:
        raise UsageError(f"--evaluate: no checkpoint at {args.evaluate} (give a prefix such "
                         f"as runs/x/checkpoints/ckpt-5000, or a run folder)")
    run_dir = checkpoint.parent.parent
    # the metrics' noise, the CGAN's digit
    data = evaluation_config(args, run_dir, given, ("seed", *gan_class.options))
    mnist = load_mnist(data, args.download)
    gan = _make_gan(gan_class, args)
    n = args.metric_samples or 10_000
    with gan.session() as session:
        try:
            iteration, _ = gan.restore(session, checkpoint)
        except UsageError as error:
            raise UsageError(f"--evaluate: {error}") from None
        except (tf.errors.OpError, ValueError, IndexError, OSError, RuntimeError) as error:
            raise UsageError(f"--evaluate: cannot read the checkpoint {checkpoint} "
                             f"({first_line(error)})") from None
        samples, labels = generate(gan, session, n, stream_rng(args.seed, METRICS_STREAM, 0))
    print(f"Checkpoint {checkpoint} (iteration {iteration})")
    mnist_metrics.report_evaluation(
        run_dir / f"evaluation-{checkpoint.name}.json",
        dict(checkpoint=str(checkpoint), iteration=iteration,
             **mnist_metrics.score(samples, mnist, labels)))
    return 0
