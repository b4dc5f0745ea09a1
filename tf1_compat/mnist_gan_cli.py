"""The command line of S6 (scripts/mnist_gan_tf1.py): its flags, with the code's settings as
defaults (the shared ones: tf1_compat/mnist_cli.py). The program itself, wiseodd's
gan_tensorflow.py, is tf1_compat/mnist_gan.py, imported once the flags are parsed."""
from gantools.run.cli import constants_of
from tf1_compat import mnist_cli
from tf1_compat.mnist_cli import MnistProgram

PORT = "tf1_compat.mnist_gan"
code = constants_of(PORT)  # the code's settings, read from the port without running it


class GANProgram(MnistProgram):
    script = 'mnist_gan_tf1'
    description = ("The vanilla MLP GAN on MNIST (wiseodd's gan_tensorflow.py, the start of the "
                   "WGAN/CGAN post) in TensorFlow graph mode. Saves a 4x4 grid of samples every "
                   "1000 iterations, evolution.gif, losses and quality metrics into --out.")
    port, gan = PORT, 'GAN'
    # lr: AdamOptimizer()'s default
    batch_size, learning_rate, log_every = code.mb_size, 1e-3, 1000

    def add_program_arguments(self, group):
        group.add_argument('--loss', choices=('logits', 'log'), default=code.GAN.loss,
                           help="logits: the code's sigmoid cross-entropy on D's logits; log: "
                                "the post's -mean(log D_real + log(1 - D_fake)), "
                                "-mean(log D_fake) on D's probabilities (the same objective; "
                                "infinite once D saturates)")


def main(argv=None):
    return mnist_cli.main(GANProgram(), argv)
