"""The command line of S3 (scripts/wgan_anime.py): its flags, with wgan_keras.py's settings
as defaults, and what it prints at the end. The program itself, the original script, is
keras_models/wgan.py, imported once the flags are parsed (so that --help and a bad flag
answer without waiting for TensorFlow)."""
from gantools.run import runner
from gantools.faces import scale
from gantools.run.cli import constants_of, finite_float, positive_float, positive_int
from gantools.faces import FaceProgram
from gantools.faces.images import CACHE_CHOICES
from gantools.training import describe_swd

PORT = "keras_models.wgan"
wgan_keras = constants_of(PORT)  # the script's settings, read from the port without running it


class WGANAnime(FaceProgram):
    script = "wgan_anime"
    description = ("The blog's WGAN (seed 001, FangYang970206/Anime_GAN WGAN_keras, weight "
                   "clipping and RMSprop) in Keras 3: 96x96 anime faces.")
    loss_columns = ("step", "loss_d", "loss_g", "loss_d_real", "loss_d_fake", "swd")
    image_size = wgan_keras.imageSize

    def add_arguments(self, parser):
        group = parser.add_argument_group("the original's settings (wgan_keras.py)")
        add = group.add_argument
        add("--data", default="faces", help="folder of face images (every JPEG/PNG below it)")
        add("--steps", type=positive_int, default=100000, help="generator steps")
        add("--batch-size", type=positive_int, default=wgan_keras.batchSize,
            help="images per batch")
        add("--lr-d", type=positive_float, default=wgan_keras.lrD, help="critic RMSprop lr")
        add("--lr-g", type=positive_float, default=wgan_keras.lrG, help="generator RMSprop lr")
        add("--n-critic", type=positive_int, default=5, help="critic updates per step")
        add("--clamp-lower", type=finite_float, default=wgan_keras.clamp_lower,
            help="critic weights are clipped to [lower, upper]")
        add("--clamp-upper", type=finite_float, default=wgan_keras.clamp_upper,
            help="the upper bound of the clipping (--clamp-lower: the lower)")
        add("--nz", type=positive_int, default=wgan_keras.nz, help="noise size")
        add("--ngf", type=positive_int, default=wgan_keras.ngf,
            help="channels of G's first layer (halved four times; a multiple of 16)")
        add("--ndf", type=positive_int, default=wgan_keras.ndf,
            help="channels of D's first layer (doubled four times)")
        add("--rotation-range", type=finite_float, default=20,
            help="random rotation of the real images, in degrees (0: none)")
        add("--save-every", type=positive_int, default=1000,
            help="steps between grids, saved models and checkpoints")
        add("--rmsprop-epsilon", type=positive_float, default=1e-8,
            help="RMSprop epsilon, added to sqrt(a) as Keras 2 did")
        group = parser.add_argument_group("added")
        add = group.add_argument
        add("--size-per-dataset", type=positive_int, help="use only the first N images")
        add("--swd-images", type=positive_int, default=1024,
            help="generated and real images for the sliced Wasserstein distance")
        add("--cache", choices=CACHE_CHOICES, default="auto",
            help="keep the decoded images in memory: auto = if they take < 1/4 of the RAM")
        add("--bytescale-grids", action="store_true",
            help="stretch each grid to its own min-max, as scipy.misc.imsave did")
        scale.add_device_arguments(parser)

    def check_args(self, parser, args):
        if args.ngf % 16:
            parser.error(f"--ngf {args.ngf} must be a multiple of 16 (G halves it 4 times)")
        if args.clamp_lower >= args.clamp_upper:
            parser.error(f"--clamp-lower {args.clamp_lower} must be below --clamp-upper "
                         f"{args.clamp_upper}")
        if not 0 <= args.rotation_range <= 180:
            parser.error(f"--rotation-range {args.rotation_range} must be 0-180 degrees")
        super().check_args(parser, args)  # --evaluate

    def summary(self, metrics, args):  # the loop prints its SWD itself; an --evaluate's here
        note = scale.worker_note(self.replicas, args.out)
        return "\n".join(([describe_swd(metrics["swd_x1e3"])] if "checkpoint" in metrics
                          else []) + ([note] if note else []))


def main(argv=None):
    return runner.main(WGANAnime(), argv, PORT + ":main")
