"""What the two anime-face programs (S2 DCGAN, S3 WGAN) share besides their models.

- `FaceProgram`: a gantools.run.runner.Program whose data is a folder of face images
  (`images`), whose devices come from `scale`, and whose `--evaluate` (the runner's)
  measures the SWD of a checkpoint against --data (the run's own settings, its config.json,
  but --data and `free`).
- `images`: the faces as a tf.data pipeline; `scale`: the device flags."""
from gantools.run import runner
from gantools.faces import scale
from gantools.faces.images import ImageFolder


class FaceProgram(runner.Program):
    """A face program sets `image_size`; its port's loop gives run.start its `measure`."""
    image_size = None
    # flags a resumed run may change, and --evaluate's own besides --data: not the numbers
    free = ("swd_images", "cache", "jit_compile", "strategy", "devices")
    evaluation = "the sliced Wasserstein distance (x 1e3) to --data"
    evaluation_flags = ("data",)

    def out_folder(self, args):
        return scale.worker_out(args)  # a worker's own copy of a multi-worker run

    def setup(self, args):
        self.replicas = scale.setup(args)  # before TensorFlow initialises its devices

    def load_data(self, args):
        return ImageFolder(args.data, self.image_size, limit=args.size_per_dataset,
                           cache=args.cache)
