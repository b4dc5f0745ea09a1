"""The command line of S9 (scripts/sine_gan.py): its flags, with the post's settings as
defaults, and what it prints at the end. The program itself, the post's code and its
notebook's flow, is keras_models/sine_gan.py (--variant stable: sine_gan_stable.py),
imported once the flags are parsed (so that --help and a bad flag answer without waiting
for TensorFlow)."""
from gantools.run import rundir, runner
from gantools.run.cli import constants_of, positive_int

COLLAPSE_RATIO = constants_of("gantools.curves").COLLAPSE_RATIO  # without scipy's import time
CURVE_VALUES = 50  # the port's X_VALS: 0 to 5 by 0.1


class SineGAN(runner.Program):
    script = 'sine_gan'
    description = ("Robin Ricard's Keras sine-curve GAN (seed 004): pretrains D, trains G "
                   "through the chained model with D frozen, and saves the post's figures, "
                   "evolution.gif, losses, sine-fit metrics and the models into --out.")
    unit, total_flag, loss_columns = 'epoch', 'epochs', ('step', 'g_loss', 'd_loss')
    has_sweep = True
    variants = {'stable': "D uses the post's unused LeakyReLU(0.2) after its Dense(50) and an "
                          "R1 penalty (weight 5); G reads its first noise value as an angle "
                          "(cos, sin), has two tanh layers of 200 and a linear output; Adam 2e-4, "
                          "beta_1 0.5 for both nets, decayed (cosine) over the second half; "
                          "steps on minibatches of 250 curves"}

    def add_arguments(self, parser):
        post = parser.add_argument_group("the post's settings")
        post.add_argument('--epochs', type=positive_int, default=500,
                          help='epochs of one D step and one chained step each')
        post.add_argument('--n-samples', type=positive_int, default=10000,
                          help='real and generated curves per D step (and noise per G step)')
        post.add_argument('--noise-dim', type=positive_int, default=10,
                          help="size of the generator's U(0, 1) noise")
        post.add_argument('--batch-size', type=positive_int, default=32,
                          help="batch size of pretrain's D.fit")
        post.add_argument('--v-freq', type=positive_int, default=50,
                          help='print the losses, save a frame and a checkpoint every this '
                               'many epochs')

    def check_args(self, parser, args):
        # an epoch holds 2n curves of 50 values, n noise vectors, their labels and the
        # framework's float32 copies: about (2 x 50 x 12 + 10 x 12 + 4 x 8) bytes per curve
        per_curve = 2 * CURVE_VALUES * 12 + args.noise_dim * 12 + 32
        rundir.check_memory(args.n_samples * per_curve,
                            f"--n-samples {args.n_samples} (with --noise-dim {args.noise_dim})")

    def summary(self, metrics, args):
        return ('Pretrain loss {pretrain_loss:.4f}; generated curves: sine-fit RMSE median '
                '{fit_rmse_median:.3f}, frequencies {frequency_p05:.2f}-{frequency_p95:.2f} '
                '(5-95%; data 1-2, W1 {frequency_w1:.3f}), diversity {diversity_ratio:.2f} '
                "of the real curves'{collapse}").format(
                    **metrics, collapse=': collapsed' if metrics['collapsed'] else '')

    def sweep_summary(self, per_seed):
        return {'collapsed': sum(run['collapsed'] for run in per_seed),
                'criterion': 'diversity_ratio < {}'.format(COLLAPSE_RATIO)}


def main(argv=None):
    return runner.main(SineGAN(), argv, "keras_models.sine_gan:notebook")
