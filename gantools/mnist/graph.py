"""The services of the graph-mode MNIST programs of the WGAN/CGAN post (S6, S7, S8), which
call them around wiseodd's code: `GraphGAN` (one model in a seeded `tf.Graph` of its own,
with the `tf.compat.v1.train.Saver` of its checkpoints; a port's `GAN` subclasses it and
writes `_create_model` and `train_step` as the post does) and `Loop` (what the three loops
call around their body: the session, the data, the 4x4 grids `samples/NNN.png` with the
original's counter i, each iteration's noise, the checkpoint, the final figures and metrics,
and the metrics of a checkpoint, `--evaluate`: the runner's, `Loop.quality`).

Every random draw comes from a NumPy generator derived from (seed, stream, index)
(`gantools.mnist.stream_rng`): each epoch's data order, each iteration's noise, each grid's
and the metrics' noise. So a checkpoint (the graph's variables, optimiser slots included;
the iteration, the data position and the grid counter) resumes to the same numbers.
"""
from pathlib import Path

import numpy as np
import tensorflow.compat.v1 as tf

from gantools.run.launch import quiet_runtime_noise
from gantools.mnist import GRID_STREAM, METRICS_STREAM, NOISE_STREAM, Batches, images, stream_rng
from gantools.run.rundir import read_losses


GRID_SIZE = 16  # the originals' 4x4 grid


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
            self.init = tf.global_variables_initializer()
            self.saver = tf.train.Saver(max_to_keep=None)  # the runner keeps the last few

    def _create_model(self):
        raise NotImplementedError

    def trainable_parameters(self):
        count = lambda variables: int(sum(np.prod(v.get_shape().as_list()) for v in variables))
        return {"generator": count(self.theta_G), "discriminator": count(self.theta_D)}

    def session(self):
        return tf.Session(graph=self.graph)

    def save(self, sess, folder):
        """Every variable of the graph (weights, optimiser slots) into folder/model.*."""
        with self.graph.as_default():  # a graph-mode Saver outside: "executing eagerly"
            self.saver.save(sess, str(Path(folder) / "model"), write_meta_graph=False,
                            write_state=False)

    def restore(self, sess, folder):
        """Load `save`'s files; a ValueError if they do not hold this graph's variables with
        the same shapes (a resource variable would take another shape silently)."""
        prefix = str(Path(folder) / "model")
        shapes = tf.train.load_checkpoint(prefix).get_variable_to_shape_map()
        for variable in self.graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES):
            name, shape = variable.op.name, variable.get_shape().as_list()
            if shapes.get(name) != shape:
                found = "missing" if name not in shapes else f"shape {shapes[name]}"
                raise ValueError(f"not a checkpoint of this program ({name}: expected shape "
                                 f"{shape}, {found})")
        with self.graph.as_default():
            self.saver.restore(sess, prefix)

    # What a subclass implements besides _create_model:
    def train_step(self, sess, mnist, rng):
        """The original loop's updates; returns (D_loss_curr, G_loss_curr)."""
        raise NotImplementedError

    def sample(self, sess, n, rng, labels=None):
        """n generated images in [0, 1] (n x 784); a conditional GAN takes digit labels."""
        raise NotImplementedError

    def grid_labels(self):
        """Labels of the 4x4 grids (the CGAN's requested digit), or None."""
        return None

    def save_final_figures(self, sess, run_dir, rng):
        """Figures besides the grids, written once at the end (the CGAN's digit rows)."""


class Loop:
    """What wiseodd's three loops share around their body: the session (variables
    initialised), the data (`mnist.next_batch`), the grid counter `i` and its 4x4 grids,
    each iteration's noise, the checkpoint (`attach`), and the end (`finish`: the figures
    and metrics)."""

    def __init__(self, args, seed, data, gan_class):
        self.args, self.seed, self.data = args, seed, data
        options = {name: getattr(args, name) for name in gan_class.options}
        self.g = gan_class(args.batch_size, args.learning_rate, seed=seed, **options)
        self.sess = self.g.session()
        held_out = args.validation_size
        self.mnist = Batches(images(data.x_train[held_out:]), data.y_train[held_out:], seed)
        self.i = 0  # the original's grid counter
        self._iteration, self.run, self.run_dir, self.grid = 0, None, None, None

    @property
    def iteration(self):
        """Iterations trained: the run's (or, restored without a run, the checkpoint's)."""
        return self.run.done if self.run is not None else self._iteration

    def attach(self, run):
        """The run's checkpoint (the graph's variables, where the loop is); a new run's
        variables initialised."""
        self.run = run
        resumed = run.start(self.args.steps, save=self.save, restore=self.restore,
                            state=self.state, parameters=self.g.trainable_parameters(),
                            config={"data_source": dict(
                                self.data.describe(),
                                training_images_used=len(self.mnist.images))},
                            generate=lambda n, seed: self.generate(n, seed)[0].reshape(
                                n, 28, 28),
                            measure=self.quality)
        if resumed is None:
            self.sess.run(self.g.init)
        self.run, self.run_dir, self.script = run, run.run_dir, run.program.script
        return resumed

    def noise(self, it):
        """The NumPy generator of iteration `it`'s noise (sample_Z's np.random)."""
        return stream_rng(self.seed, NOISE_STREAM, it)

    def plot(self, it):
        """samples/NNN.png, NNN the counter i: 16 samples from the grids' own noise."""
        from gantools.plots import DigitGrid
        if self.run_dir is None:
            return
        if self.grid is None:
            self.grid = DigitGrid(4, 4)
        samples = self.g.sample(self.sess, GRID_SIZE, stream_rng(self.seed, GRID_STREAM, it),
                                self.g.grid_labels())
        (self.run_dir / "samples").mkdir(exist_ok=True)
        self.grid.save(self.run_dir / "samples" / "{}.png".format(str(self.i).zfill(3)),
                       samples)
        self.i += 1

    # The checkpoint: the graph's variables (Saver), and where the loop is.
    def state(self):
        return {"iteration": self.iteration, "data_position": self.mnist.position,
                "grids": self.i}

    def save(self, folder):
        with quiet_runtime_noise(self.args.verbose):  # a full disk: the runner's line only
            self.g.save(self.sess, folder)

    def restore(self, folder, state):
        self.g.restore(self.sess, folder)
        self._iteration, self.i = int(state["iteration"]), int(state["grids"])
        self.mnist.position = int(state["data_position"])

    def generate(self, n, seed=None):
        """n samples for the metrics (and the requested labels: the CGAN's cycle 0-9);
        `seed`: another draw, for --sample."""
        labels = np.arange(n) % 10 if self.g.conditional else None
        rng = stream_rng(self.seed if seed is None else seed, METRICS_STREAM, 0)
        return self.g.sample(self.sess, n, rng, labels), labels

    def quality(self):
        """The MNIST quality metrics of --metric-samples samples (10,000 if 0: --evaluate)."""
        from gantools.mnist import metrics as mnist_metrics
        samples, labels = self.generate(self.args.metric_samples or 10_000)
        return mnist_metrics.score(samples, self.data, labels)

    def finish(self):
        """The metrics; with files, the final figures (evolution.gif, losses.png)."""
        metrics = {"iterations": self.iteration}
        if self.args.metric_samples:
            metrics.update(self.quality())
        if self.run_dir is not None:
            self.g.save_final_figures(self.sess, self.run_dir,
                                      stream_rng(self.seed, GRID_STREAM, self.args.steps))
            self.save_figures()
        self.sess.close()
        return metrics

    def save_figures(self):
        """evolution.gif of the grids 0..i-1 (later ones, left by an interrupted longer
        attempt, are deleted) and losses.png."""
        from gantools.plots import evenly_spaced, plot_losses, write_gif
        for path in (self.run_dir / "samples").glob("*.png"):
            if path.stem.isdigit() and int(path.stem) >= self.i:
                path.unlink()
        grids = [self.run_dir / "samples" / "{}.png".format(str(i).zfill(3))
                 for i in range(self.i)]
        if grids:
            write_gif(evenly_spaced(grids, self.args.gif_frames),
                      self.run_dir / "evolution.gif")
        losses = read_losses(self.run_dir / "losses.csv")
        if losses:
            plot_losses(losses, self.run_dir / "losses.png",
                        {"D_loss": "D loss", "G_loss": "G loss"}, xlabel="iteration",
                        title=f"{self.script}: losses every {self.args.log_every} "
                              f"iterations")
