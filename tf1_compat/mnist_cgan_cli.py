"""The command line of S8 (scripts/mnist_cgan_tf1.py): its flags, with the code's settings as
defaults (the shared ones: tf1_compat/mnist_cli.py). The program itself, wiseodd's
cgan_tensorflow.py, is tf1_compat/mnist_cgan.py, imported once the flags are parsed."""
from gantools.run.cli import constants_of, digit_label
from tf1_compat import mnist_cli
from tf1_compat.mnist_cli import MnistProgram

PORT = "tf1_compat.mnist_cgan"
code = constants_of(PORT)  # the code's settings, read from the port without running it


class CGANProgram(MnistProgram):
    script = 'mnist_cgan_tf1'
    description = ("The conditional MLP GAN on MNIST of the WGAN/CGAN post (wiseodd's "
                   "cgan_tensorflow.py) in TensorFlow graph mode. Saves a 4x4 grid of samples of "
                   "--digit every 1000 iterations, a 10x10 grid of all digits at the end, "
                   "evolution.gif, losses and quality metrics into --out.")
    port, gan = PORT, 'CGAN'
    # lr: AdamOptimizer()'s default
    batch_size, learning_rate, log_every = code.mb_size, 1e-3, 1000

    def add_program_arguments(self, group):
        group.add_argument('--digit', type=digit_label, default=code.CGAN.digit,
                           help='the digit of the 4x4 sample grids (y_sample[:, 7] = 1)')
        group.add_argument('--loss', choices=('logits', 'ps'), default=code.CGAN.loss,
                           help="logits: the code's sigmoid cross-entropy on D's logits; ps: "
                                "the post's \"PS\" loss as written, D's probabilities passed as "
                                "logits= (a slip: the sigmoid is applied twice, so D's loss "
                                "on fakes never goes below log 2)")


def main(argv=None):
    return mnist_cli.main(CGANProgram(), argv)
