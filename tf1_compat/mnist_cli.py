"""The command line that the three MNIST programs of the WGAN/CGAN post (S6, S7, S8) share:
`MnistProgram`, the flags each configures in a subclass (tf1_compat/mnist_gan_cli.py,
mnist_wgan_cli.py, mnist_cgan_cli.py), with the data and the summary, and `main`. The
ports are imported once the flags are parsed (so that --help and a bad flag answer without
waiting for TensorFlow)."""
from pathlib import Path

from gantools.run import runner
from gantools.run.cli import UsageError, non_negative_int, positive_float, positive_int
from gantools.mnist import add_data_arguments, load_mnist


class MnistProgram(runner.Program):
    """The flags of S6, S7 or S8; each program's subclass names its `port` (whose
    `train(run)` is its loop) and the port's GAN class, and sets the original's values."""
    unit, total_flag, loss_columns = "step", "steps", ("step", "D_loss", "G_loss")
    # Free on --resume besides the runner's (--steps, --log-every, --sample-every, ...):
    # none changes training. --download is not a setting of the run.
    free = ("metric_samples", "gif_frames", "download")
    evaluation = "the MNIST quality metrics (--metric-samples samples, 10,000 if 0)"
    evaluation_flags = ("data",)
    port = gan = None  # the port's module and the name of its GraphGAN
    batch_size = learning_rate = log_every = None  # the original's values
    sample_every, steps = 1000, 1_000_000

    def add_program_arguments(self, group):
        """The program's own flags (S7's --n-critic, --clip; S8's --digit)."""

    def add_arguments(self, parser):
        add_data_arguments(parser).add_argument(
            "--validation-size", type=non_negative_int, default=5000,
            help="the first this many training images are held out, as TF 1's "
                 "read_data_sets did (55,000 images remain); 0 trains on all of them")
        original = parser.add_argument_group("the original's settings")
        original.add_argument("--steps", type=positive_int, default=self.steps,
                              help="total training iterations (with --resume: still the total)")
        original.add_argument("--batch-size", type=positive_int, default=self.batch_size,
                              help="mb_size")
        original.add_argument("--lr", "--learning-rate", dest="learning_rate",
                              type=positive_float, default=self.learning_rate,
                              help="learning rate of both solvers")
        original.add_argument("--log-every", type=positive_int, default=self.log_every,
                              help="print the losses and write a losses.csv row every this "
                                   "many iterations")
        original.add_argument("--sample-every", type=non_negative_int, default=self.sample_every,
                              help="save a 4x4 grid of samples every this many iterations "
                                   "(samples/NNN.png); 0: none")
        self.add_program_arguments(original)
        added = parser.add_argument_group("checkpoints and metrics")
        added.add_argument("--checkpoint-every", type=positive_int, default=10_000,
                           help="write a checkpoint every this many iterations (also at the "
                                "end and on Ctrl-C); the last %d are kept" % runner.KEEP)
        added.add_argument("--metric-samples", type=non_negative_int, default=10_000,
                           help="generated images scored by the MNIST classifier at the end; "
                                "0: no quality metrics")
        added.add_argument("--gif-frames", type=non_negative_int, default=100,
                           help="evolution.gif shows at most this many of the grids, evenly "
                                "spaced (0: all)")

    def check_args(self, parser, args):
        if args.data is not None:  # config.json's path then works from any folder
            args.data = Path(args.data).expanduser().resolve()

    def load_data(self, args):
        mnist = load_mnist(args.data, args.download)
        if args.validation_size >= len(mnist.x_train):
            raise UsageError(f"--validation-size {args.validation_size} leaves no training "
                             f"image ({mnist.source} has {len(mnist.x_train)})")
        return mnist

    def summary(self, metrics, args):
        from gantools.mnist import metrics as mnist_metrics
        return mnist_metrics.summary(metrics) if "frechet_distance" in metrics else ""


def main(program, argv=None):
    """runner.main(program, argv) with its port's `train`."""
    return runner.main(program, argv, program.port + ":train")
