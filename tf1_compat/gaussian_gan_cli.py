"""The command line of S1 (scripts/gaussian_gan_tf1.py): its flags, with the book's settings
as defaults, and what it prints at the end. The program itself, the book's code and its
main(), is tf1_compat/gaussian_gan.py, imported once the flags are parsed (so that --help
and a bad flag answer without waiting for TensorFlow)."""
from gantools.run import runner
from gantools.run.cli import (constants_of, finite_float, non_negative_float, non_negative_int,
                          positive_float, positive_int, unit_interval)

PORT = "tf1_compat.gaussian_gan"
CONVERGED_W1 = constants_of(PORT).CONVERGED_W1


class GaussianGAN(runner.Program):
    script = 'gaussian_gan_tf1'
    description = ("The book's 1-D Gaussian GAN (section 3.4) in TensorFlow graph mode: "
                   "pretrains D_pre, trains G to match N(3, 0.5) and saves Figures 3-12 to "
                   "3-14, evolution.gif, losses and metrics into --out.")
    loss_columns = ('step', 'loss_d', 'loss_g', 'lr_d', 'lr_g', 'instance_noise')
    default_seed = 4  # one of the seeds on which the printed code reproduces Figure 3-14
    has_sweep = True
    variants = {'stable': "--instance-noise 2 unless given: noise on D's inputs, annealed "
                          "(converges on 20 of 20 seeds)"}
    STABLE_NOISE = 2.0

    def add_arguments(self, parser):
        book = parser.add_argument_group("the book's settings")
        book.add_argument('--steps', type=positive_int, default=1200, help='training steps')
        book.add_argument('--batch-size', type=positive_int, default=12, help='batch size')
        book.add_argument('--log-every', type=positive_int, default=10,
                          help="print 'step:loss_d<TAB>loss_g' every this many steps")
        book.add_argument('--hidden-size', type=positive_int, default=4,
                          help='mlp_hidden_size (D layers are twice as wide)')
        book.add_argument('--lr', '--learning-rate', dest='learning_rate', default=0.03,
                          type=positive_float, help='initial rate of all three optimizers')
        book.add_argument('--pretrain-steps', type=non_negative_int, default=1000,
                          help='D_pre pretraining steps')
        book.add_argument('--decay', type=unit_interval, default=0.95, help='lr decay factor')
        book.add_argument('--decay-steps', type=positive_int, default=150,
                          help='steps per decay (staircase)')
        book.add_argument('--mu', type=finite_float, default=3.0, help='mean of the data')
        book.add_argument('--sigma', type=positive_float, default=0.5, help='std of the data')
        book.add_argument('--range', type=positive_float, default=8.0,
                          help="generator input range and the plots' x range")
        book.add_argument('--plot-every', type=non_negative_int, default=100,
                          help='save a frame every this many steps (and the last); 0: none')
        book.add_argument('--k', type=positive_int, default=1,
                          help='discriminator updates per iteration (pseudo-code 3-2)')
        changes = parser.add_argument_group('opt-in changes (off by default)')
        changes.add_argument('--instance-noise', type=non_negative_float, default=0.0,
                             metavar='STD', help="std of Gaussian noise on D's inputs (try 2)")
        changes.add_argument('--instance-noise-anneal', type=unit_interval, default=0.8,
                             metavar='FRACTION',
                             help='fraction of the steps at which the noise reaches 0')
        changes.add_argument('--book-sampling', action='store_true',
                             help="keep the book's quirk of generating 9996 of 10000 plot "
                                  "points")
        parser.add_argument('--checkpoint-every', type=non_negative_int, default=100,
                            help='write a checkpoint every this many steps (0: only at the '
                                 'end and on Ctrl-C)')

    def check_args(self, parser, args):
        if args.variant == 'stable' and not args.instance_noise:
            args.instance_noise = self.STABLE_NOISE

    def loop_for(self, args, loop):  # --instance-noise (set by --variant stable): NoisyGAN
        return runner.module_variant(loop, 'noisy') if args.instance_noise else loop

    def summary(self, metrics, args):
        return ('Generated mean {gen_mean:.3f} std {gen_std:.3f} (data {mu} / {sigma}); '
                'JS {js_divergence:.4f}, W1 {wasserstein1:.4f}: {verdict}').format(
                    mu=args.mu, sigma=args.sigma, **metrics,
                    verdict='converged' if metrics['converged'] else 'did not converge')

    def sweep_summary(self, per_seed):
        return {'converged': sum(run['converged'] for run in per_seed),
                'criterion': 'wasserstein1 < {}'.format(CONVERGED_W1)}


def main(argv=None):
    return runner.main(GaussianGAN(), argv, PORT + ":main")
