"""The command line of S4 (scripts/gaussian_gan_keras.py): its flags, with the post's
settings as defaults, and what it prints at the end. The program itself, the post's code
and its loop, is keras_models/gaussian_gan.py, imported once the flags are parsed (so that
--help and a bad flag answer without waiting for TensorFlow)."""
import numpy as np

from gantools.run import runner
from gantools.run.cli import BCE_CHOICES, BCE_HELP, constants_of, positive_float, positive_int

PORT = "keras_models.gaussian_gan"
post = constants_of(PORT)  # the post's settings, read from the port without running it
extras = constants_of(PORT + "_extras")
PREPROCESS_CHOICES = ('diffs', 'moments', 'raw', 'variances')  # the port's PREPROCESS


class GaussianGAN(runner.Program):
    script = 'gaussian_gan_keras'
    description = ("The blog's 1-D GAN (seed 002, devnag's PyTorch code) in Keras 3: G learns "
                   "N(4, 1.25) from U[0,1) noise; D judges sets of 100 samples.")
    unit, total_flag, loss_columns = 'epoch', 'epochs', post.LOSS_COLUMNS
    default_seed = 7  # a typical converged seed (7 of seeds 0-11 converge; README)
    has_sweep = True
    variants = {'stable': "D sees each set sorted, gradient penalties (weight 10) on D at the "
                          "real and the generated sets, both learning rates decayed "
                          "(cosine) from half-way through --epochs to 0 at the end, and "
                          "Keras's BCE from D's logit (--bce logits)"}

    def add_arguments(self, parser):
        group = parser.add_argument_group("the post's settings")
        group.add_argument('--epochs', type=positive_int, default=post.num_epochs,
                           help='epochs of d_steps D steps and g_steps G steps')
        group.add_argument('--print-interval', type=positive_int, default=post.print_interval,
                           help='print, save the weights, draw a frame and checkpoint this '
                                'often')
        group.add_argument('--lr', type=positive_float, default=post.d_learning_rate,
                           help='Adam learning rate of both nets')
        group.add_argument('--d-steps', type=positive_int, default=post.d_steps,
                           help='D updates per epoch (d_steps)')
        group.add_argument('--g-steps', type=positive_int, default=post.g_steps,
                           help='G updates per epoch, after the D updates (g_steps)')
        group.add_argument('--preprocess', choices=PREPROCESS_CHOICES, default='variances',
                           help="what D sees of a set; the post's: data and variances")
        group.add_argument('--bce', choices=BCE_CHOICES, default='era', help=BCE_HELP)
        group.add_argument('--eval-samples', type=positive_int, default=1000,
                           help='generated values in histogram.png, the frames and '
                                'metrics.json (a sweep measures %d)' % extras.SWEEP_EVAL_SAMPLES)

    def summary(self, metrics, args):
        return ('Generated mean {gen_mean:.3f} std {gen_std:.3f} (target 4 / 1.25; the post '
                'reports 3.5 / 1.15), skew {skew:.2f}, excess kurtosis {excess_kurtosis:.2f}, '
                'W1 {wasserstein1:.3f}, JS {js_divergence:.3f}').format(**metrics)

    def sweep_summary(self, per_seed):
        keys = ['gen_mean', 'gen_std', 'wasserstein1', 'skew', 'excess_kurtosis',
                'max_abs_mean_error_last_10pct', 'post_snapshot_gen_mean',
                'post_snapshot_gen_std']
        return {'converged': sum(r['converged'] for r in per_seed),
                'criterion': '|mean - 4| < 0.5 on %d generated values' % extras.SWEEP_EVAL_SAMPLES,
                'mean_and_std_over_seeds': {k: [float(np.mean([r[k] for r in per_seed])),
                                                float(np.std([r[k] for r in per_seed]))]
                                            for k in keys}}


def main(argv=None):
    return runner.main(GaussianGAN(), argv, PORT + ":train")
