"""The command line of S2 (scripts/dcgan_anime.py): its flags, with main.py's settings as
defaults, and what it prints at the end. The program itself, the original's model.py,
AnimeDataset.py, utils.py and main.py, is keras_models/dcgan.py, imported once the flags are
parsed (so that --help and a bad flag answer without waiting for TensorFlow)."""
from gantools.run import runner
from gantools.faces import scale
from gantools.run.cli import constants_of, fraction, positive_float, positive_int
from gantools.faces import FaceProgram
from gantools.faces.images import CACHE_CHOICES, SCALINGS
from gantools.training import describe_swd

PORT = "keras_models.dcgan"
main_py = constants_of(PORT)  # main.py's settings, read from the port without running it


def count_or_all(text):
    """--size-per-dataset: a positive number of images, or 'all' (None: no limit)."""
    return None if text == "all" else positive_int(text)


class DCGANAnime(FaceProgram):
    script = "dcgan_anime"
    description = ("The blog's DCGAN (seed 001, FangYang970206/Anime_GAN, PyTorch) in Keras "
                   "3: 96x96 anime faces from 100 N(0, 1) values.")
    unit, total_flag, image_size = "batch", "epochs", main_py.IMAGE_SIZE
    loss_columns = ("epoch", "loss_d", "loss_g", "loss_d_mean", "loss_g_mean", "swd",
                    "seconds")

    def add_arguments(self, parser):
        original = parser.add_argument_group("the original's settings (main.py)").add_argument
        original("--data", "--dataset", default="faces", help="folder of JPEG/PNG faces")
        original("--lr", type=positive_float, default=main_py.lr, help="Adam's, of both networks")
        original("--beta1", type=fraction, default=main_py.beta1, help="Adam's (beta2 is 0.999)")
        original("--batch-size", type=positive_int, default=main_py.batch_size,
                help="images per batch (DataLoader's batch_size)")
        original("--epochs", type=positive_int, default=main_py.epochs,
                 help="passes over the data")
        original("--size-per-dataset", type=count_or_all, default=main_py.size_per_dataset,
                metavar="N|all", help="the first N images in natural order, as the original "
                                      "read faces/0.jpg ... faces/N-1.jpg; all: every one")
        original("--save-every", type=positive_int, default=main_py.save_every,
                help="epochs between grids, saved models and checkpoints")
        original("--scaling", choices=sorted(SCALINGS), default="unit",
                help="unit: (img - 127.5) / 127.5, in [-1, 1] (the author's later fix, SPEC's "
                     "choice); posted: img - 127.5/127.5 = img - 1, in [-1, 254], as the "
                     "post's code computes (its 500-epoch grid came from it)")
        added = parser.add_argument_group("added").add_argument
        added("--swd-images", type=positive_int, default=main_py.swd_images,
              help="generated and real images for the sliced Wasserstein distance")
        added("--cache", choices=CACHE_CHOICES, default="auto",
              help="keep the decoded images in memory (auto: if under 1/4 of the RAM)")
        added("--sample-bn", choices=["batch", "moving"], default="batch",
              help="BatchNorm statistics of G's samples: batch (the original's) or moving")
        added("--bytescale-grids", action="store_true",
              help="stretch each grid to its own min-max, as scipy.misc.imsave did")
        scale.add_device_arguments(parser)

    def summary(self, metrics, args):  # the end of a run (epochs) or an --evaluate
        note = scale.worker_note(self.replicas, args.out)
        return "{} after {} epochs".format(describe_swd(metrics["swd_x1e3"]), metrics.get(
            "epochs", "its")) + ("\n" + note if note else "")


def main(argv=None):
    return runner.main(DCGANAnime(), argv, PORT + ":main")
