"""The command line of S5 (scripts/mnist_gan_keras.py): its flags, with the post's settings
(SPEC's where it is silent) as defaults, the data, and what it prints at the end. The
program itself, the post's code and its fit, is keras_models/mnist_gan.py, imported once
the flags are parsed (so that --help and a bad flag answer without waiting for
TensorFlow)."""

from gantools.run import runner
from gantools.run.cli import (BCE_CHOICES, BCE_HELP, UsageError, constants_of, fraction,
                          non_negative_int, positive_float, positive_int)
from gantools.mnist import add_data_arguments, load_mnist

PORT = "keras_models.mnist_gan"
post = constants_of(PORT)  # the post's settings, read from the port without running it


class MnistGAN(runner.Program):
    script = 'mnist_gan_keras'
    description = ("The blog's MNIST MLP GAN (seed 002, jiweibo's lost PyTorch 0.2 code) in "
                   "Keras 3. Saves a 5x5 figure of samples every epoch, the models every 10 "
                   "epochs, evolution.gif, losses and quality metrics into --out.")
    unit, total_flag = 'batch', 'epochs'
    loss_columns = ('epoch', 'batch', 'iteration', 'd_real_error', 'd_fake_error', 'g_error')
    free = ('metric_samples', 'gif_frames', 'download')
    evaluation = 'the MNIST quality metrics (--metric-samples samples, 10,000 if 0)'
    evaluation_flags = ('data', 'sample_dropout')

    def evaluation_name(self, args):
        return '' if args.sample_dropout else '-no-sample-dropout'

    def add_arguments(self, parser):
        add_data_arguments(parser)
        group = parser.add_argument_group("the post's settings (SPEC's where it is silent)")
        for flag, kind, default, text in [
                ('--epochs', positive_int, post.num_epoch, 'num_epoch'),
                ('--batch-size', positive_int, post.batch_size,
                 'real images and noise vectors per batch'),
                ('--lr', positive_float, post.d_lr,
                 'Adam learning rate of both nets (d_lr, g_lr)'),
                ('--smooth', fraction, post.smooth, 'the real target of D and G is 1 - smooth'),
                ('--d-steps', positive_int, post.d_steps, 'D updates per batch'),
                ('--g-steps', positive_int, post.g_steps,
                 'G updates per batch, on the same noise'),
                ('--print-interval', positive_int, post.print_interval,
                 'print the mean losses (a losses.csv row) every this many batches'),
                ('--dropout', fraction, post.dropout_p,
                 "rate of the Dropout layers; 0: none, as the post's F.dropout computed on "
                 "PyTorch 0.2; %s: the dropout the post wrote" % post.post_dropout_p)]:
            group.add_argument(flag, type=kind, default=default, help=text)
        group.add_argument('--bce', choices=BCE_CHOICES, default='era', help=BCE_HELP)
        group.add_argument('--no-sample-dropout', dest='sample_dropout', action='store_false',
                           help='with --dropout: sample figures and metrics without it')
        added = parser.add_argument_group('metrics')
        added.add_argument('--metric-samples', type=non_negative_int, default=10_000,
                           help='generated images scored at the end (0: no metrics)')
        added.add_argument('--gif-frames', type=non_negative_int, default=100,
                           help='at most this many epoch figures in evolution.gif (0: all)')

    def load_data(self, args):
        mnist = load_mnist(args.data, args.download)
        if len(mnist.x_train) < args.batch_size:
            raise UsageError(f'--batch-size {args.batch_size} is larger than the training '
                             f'set ({len(mnist.x_train)} images in {mnist.source})')
        return mnist

    def summary(self, metrics, args):  # the end of a run, or an --evaluate
        from gantools.mnist.metrics import summary
        return summary(metrics) if 'frechet_distance' in metrics else ''


def main(argv=None):
    return runner.main(MnistGAN(), argv, PORT + ":fit")
