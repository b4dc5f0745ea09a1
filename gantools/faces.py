"""What the two anime-face programs (S2 DCGAN, S3 WGAN) share besides their models.

- `FaceProgram`: a gantools.runner.Program whose data is a folder of face images
  (gantools.images), whose devices come from gantools.scale, and which has `--evaluate`.
- `evaluate`: `--evaluate`, the sliced Wasserstein distance of the newest checkpoint of the
  run in --out against --data, with the run's own settings (its config.json) except the
  evaluation's own flags (--data and `free`), added to the run's metrics.json; one line
  printed.
"""
from pathlib import Path

from gantools import rundir, runner, scale
from gantools.cli import UsageError, first_line
from gantools.images import ImageFolder, printable
from gantools.training import describe_swd

class FaceProgram(runner.Program):
    """A face program sets `image_size` and names its `port`, a module with
    `make_gan(args, seed, replicas)` (its models, with a `checkpoint`), `measure(gan, args,
    data, seed)` (the SWD x 1e3 of generated against real images) and `trained(gan)` (how far
    its restored models trained: a count and its unit)."""
    image_size = None
    port = None
    # flags a resumed run may change, and --evaluate's own besides --data: not the numbers
    free = ("swd_images", "cache", "jit_compile", "strategy", "devices")

    def out_folder(self, args):
        return scale.worker_out(args)  # a worker's own copy of a multi-worker run

    def setup(self, args):
        self.replicas = scale.setup(args)  # before TensorFlow initialises its devices

    def load_data(self, args):
        return ImageFolder(args.data, self.image_size, limit=args.size_per_dataset,
                           cache=args.cache)

    def check_args(self, parser, args):
        if getattr(args, "evaluate", False):  # instead of a run, as --help
            if args.resume or args.overwrite:
                parser.error("--evaluate cannot be combined with --resume or --overwrite")
            evaluate(self, args)
            parser.exit(0)


def evaluate(program, args):
    out = args.out = Path(args.out).expanduser()
    if not (out / "config.json").is_file():
        raise UsageError(f"--evaluate: {out} holds no run (no config.json)")
    config = runner.read_config(out)
    if config.get("program") != program.script or not isinstance(config.get("flags"), dict):
        raise UsageError(f"--evaluate: {out} holds no run of this version of "
                         f"{program.script}.py")
    for dest, value in config["flags"].items():
        if dest not in ("data", *program.free) and hasattr(args, dest):
            setattr(args, dest, value)
    program.setup(args)
    data = program.load_data(args)
    port = runner.port_module(program.port, args.verbose)
    rundir.seed_everything(args.seed)
    print(scale.startup_line(program.replicas), flush=True)
    gan = port.make_gan(args, args.seed, program.replicas)
    folder, state = runner.checkpoints(out, program).latest(flag="--evaluate")
    try:
        gan.checkpoint.read(str(folder / "state")).assert_consumed()
    except Exception as error:  # whatever a damaged file raises: one line
        raise UsageError(f"--evaluate: cannot read the checkpoint {folder} "
                         f"({first_line(error)})") from None
    (done, unit), distance = port.trained(gan), port.measure(gan, args, data, args.seed)
    rundir.update_json(out / "metrics.json", swd_x1e3=distance,
                       evaluated_checkpoint=str(folder), **{f"evaluated_{unit}": done},
                       evaluated_data=printable(data.root))
    print(f"{describe_swd(distance)} after {done} {unit} ({folder}), against "
          f"{printable(data.root)}", flush=True)
