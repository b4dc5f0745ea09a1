"""The nine programs, listed once.

Everything that names the programs reads this list: the scripts and console commands
(gantools.run.launch: `scripts/<script>.py` and `<script with dashes>` run `command.main`),
`reproduce-gans`, `compare-original` and the side-by-side harnesses (`sidebyside/s<N>.py`),
and the run-contract tests. Tests check that setup.cfg's console scripts, the files in
`scripts/`, the README's table and the docs pages agree with it.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Program:
    id: str          # S1 ... S9, as SPEC numbers them
    script: str      # scripts/<script>.py, console command <script with dashes>, runs/<script>
    module: str      # the port: the original's code and loop
    page: str        # its page under docs/
    data: str        # what --data is: "mnist", "faces", or None (the program draws its own)
    seed: str        # the seed document it ports (000 ... 004)
    title: str       # what it is, in a few words
    original: str    # the original beside which sidebyside/s<N>.py runs it
    command: str     # its command line: flags, data, summary and main(argv), importable
    #                  without TensorFlow (the port is imported once the flags are parsed)
    rendition: str   # the original as it ran, in originals/ (what the harness runs)


PROGRAMS = {p.id: p for p in [
    Program("S1", "gaussian_gan_tf1", "tf1_compat.gaussian_gan", "s1-gaussian-gan-tf1.md",
            None, "000", "the book's 1-D Gaussian GAN (TensorFlow graph mode)",
            "the book's 1-D Gaussian GAN (tf.compat.v1)", "tf1_compat.gaussian_gan_cli",
            rendition="originals.book_gaussian_gan"),
    Program("S2", "dcgan_anime", "keras_models.dcgan", "s2-dcgan-anime.md", "faces", "001",
            "the blog's DCGAN on 96x96 anime faces",
            "FangYang970206/Anime_GAN DCGAN (PyTorch)", "keras_models.dcgan_cli",
            rendition="originals.anime_dcgan_torch"),
    Program("S3", "wgan_anime", "keras_models.wgan", "s3-wgan-anime.md", "faces", "001",
            "the blog's WGAN (clipping, RMSProp) on 96x96 anime faces",
            "FangYang970206/Anime_GAN WGAN_keras (Keras 2)", "keras_models.wgan_cli",
            rendition="originals.anime_wgan_keras2"),
    Program("S4", "gaussian_gan_keras", "keras_models.gaussian_gan",
            "s4-gaussian-gan-keras.md", None, "002",
            "the blog's 1-D N(4, 1.25) GAN (PyTorch -> Keras 3)",
            "the blog's 1-D N(4, 1.25) GAN, devnag's code (PyTorch)",
            "keras_models.gaussian_gan_cli",
            rendition="originals.gaussian_gan_torch"),
    Program("S5", "mnist_gan_keras", "keras_models.mnist_gan", "s5-mnist-gan-keras.md",
            "mnist", "002", "the blog's MNIST MLP GAN (PyTorch -> Keras 3)",
            "the blog's MNIST MLP GAN (PyTorch 0.2)", "keras_models.mnist_gan_cli",
            rendition="originals.mnist_gan_torch"),
    Program("S6", "mnist_gan_tf1", "tf1_compat.mnist_gan", "s6-mnist-gan-tf1.md", "mnist",
            "003", "wiseodd's vanilla MLP GAN on MNIST (TensorFlow graph mode)",
            "wiseodd gan_tensorflow.py (tf.compat.v1)", "tf1_compat.mnist_gan_cli",
            rendition="originals.wiseodd_gan"),
    Program("S7", "mnist_wgan_tf1", "tf1_compat.mnist_wgan", "s7-mnist-wgan-tf1.md", "mnist",
            "003", "wiseodd's WGAN MLP on MNIST (TensorFlow graph mode)",
            "wiseodd wgan_tensorflow.py (tf.compat.v1)", "tf1_compat.mnist_wgan_cli",
            rendition="originals.wiseodd_wgan"),
    Program("S8", "mnist_cgan_tf1", "tf1_compat.mnist_cgan", "s8-mnist-cgan-tf1.md", "mnist",
            "003", "wiseodd's conditional MLP GAN on MNIST (TensorFlow graph mode)",
            "wiseodd cgan_tensorflow.py (tf.compat.v1)", "tf1_compat.mnist_cgan_cli",
            rendition="originals.wiseodd_cgan"),
    Program("S9", "sine_gan", "keras_models.sine_gan", "s9-sine-gan.md", None, "004",
            "Robin Ricard's Keras sine-curve GAN",
            "Robin Ricard's sine-curve GAN (Keras 2)", "keras_models.sine_gan_cli",
            rendition="originals.sine_gan_keras2"),
]}

# The project's other commands: console command -> module with main(argv)
TOOLS = {"compare-original": "sidebyside.compare", "reproduce-gans": "gantools.reproduce"}


def by_script(name):
    """The program whose script or console command is `name` (dashes or underscores, with
    or without .py), or None."""
    name = name[:-3] if name.endswith(".py") else name
    return next((p for p in PROGRAMS.values() if p.script == name.replace("-", "_")), None)


def chosen(text):
    """The ids of a comma-separated list ("S1,s4"), in its order; a ValueError naming an
    unknown one (--only of reproduce-gans and bench/gpu_check.py)."""
    names = [name.strip().upper() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in PROGRAMS]
    if unknown or not names:
        raise ValueError(f"unknown program {', '.join(unknown) or repr(text)}; choose from "
                         f"{','.join(PROGRAMS)}")
    return names

