"""The command line of S7 (scripts/mnist_wgan_tf1.py): its flags, with the code's settings as
defaults (the shared ones: tf1_compat/mnist_cli.py). The program itself, wiseodd's
wgan_tensorflow.py, is tf1_compat/mnist_wgan.py, imported once the flags are parsed."""
from gantools.run.cli import constants_of, positive_float, positive_int
from tf1_compat import mnist_cli
from tf1_compat.mnist_cli import MnistProgram

PORT = "tf1_compat.mnist_wgan"
code = constants_of(PORT)  # the code's settings, read from the port without running it


class WGANProgram(MnistProgram):
    script = 'mnist_wgan_tf1'
    description = ("The WGAN MLP on MNIST of the WGAN/CGAN post (wiseodd's wgan_tensorflow.py) "
                   "in TensorFlow graph mode: linear critic, weight clipping, 5 critic updates "
                   "per generator update, RMSProp 5e-5. Saves a 4x4 grid of samples every 1000 "
                   "iterations, evolution.gif, losses and quality metrics into --out.")
    port, gan = PORT, 'WGAN'
    batch_size, learning_rate, log_every = code.mb_size, 5e-5, 100  # lr: the post's

    def add_program_arguments(self, group):
        group.add_argument('--n-critic', type=positive_int, default=code.WGAN.n_critic,
                           help='critic updates per generator update')
        group.add_argument('--clip', type=positive_float, default=code.WGAN.clip,
                           help='critic weights and biases are clipped to [-CLIP, CLIP]')
        group.add_argument('--clip-order', choices=('after-update', 'same-run'),
                           default=code.WGAN.clip_order,
                           help="after-update: clip_D runs after each critic update (the "
                                "post's intent); same-run: clip_D in the same run as the "
                                "update with no order, as the code wrote it (TensorFlow 2.21 "
                                "clips first, so the critic leaves each step up to one update "
                                "outside the range)")


def main(argv=None):
    return mnist_cli.main(WGANProgram(), argv)
