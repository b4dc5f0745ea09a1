"""Training-step and input-pipeline speed of S2 (DCGAN) and S3 (WGAN) on the current device.

For each model and batch size: one warm-up step (tracing, XLA compilation), then `--repeats`
timed steps on random images (no data pipeline, no files); the median is reported (DCGAN's
with `--compare-torch`: from the blocks that alternate with PyTorch's, below). A DCGAN
step is one D and one G update on a batch (images/s counts that batch); a WGAN step is
5 critic updates (5 real batches) and one generator update (images/s counts the 5 real
batches). GFLOP/s is the step's floating-point operations, counted from the layer shapes,
over the median time: 2 per multiply-add of every convolution and transposed convolution
(BatchNorm, activations and the optimisers are not counted); a backward pass counts twice
the forward one for the network being trained (gradients of the weights and of the inputs)
and once for the network the gradient only passes through; the port's DCGAN step runs G
forward once for both updates (the original twice).

The input pipeline (gantools.faces.images.ImageFolder, decoded images cached in memory, the
shuffled epoch, and for WGAN the random rotation) is timed on synthetic 96x96 JPEGs written
to a temporary folder; its images/s is compared with what the step consumes.

`--compare-torch` also times the original DCGAN in PyTorch (`originals/anime_dcgan_torch.py`:
FangYang970206/Anime_GAN `DCGAN/model.py` and the batch of `main.py`, eager, with PyTorch
0.4's Adam and BCELoss; same parameter counts as the port), in a child process of its own
on as many threads as the machine has cores (`--torch-threads`), started once per batch
size: its start-up and warm-up batch are not timed. The two alternate: after a warm-up step
on each side, `--repeats` times a block of `--block` Keras steps, then a block of as many
PyTorch steps (A B A B ...; the side not timed waits idle). Each block gives its median
time per step, each pair the ratio keras / torch. Reported: keras_vs_torch, the median of
these ratios and their spread (smallest and largest; for 4 or more pairs also the 25th and
75th percentile in the JSON); step_ms and torch_step_ms, the medians of each side's block
medians, and speedup_vs_torch = torch_step_ms / step_ms; the JSON also holds every block's
step times and the load average before and after. A spread that includes 1 means the two
could not be told apart on this machine at that load. Other jobs on the machine slow
PyTorch's step on all cores by several times (its threads wait for each other; batch 4 at
load 2.5 on 2 cores: 1.0-4.1 s per step on 2 threads, 0.5-0.7 s on 1), much more than
TensorFlow's; compare at a low load, or also with `--torch-threads 1`. PyTorch is an
optional extra (`pip install -e .[bench]`); without it the comparison is skipped with a note.

    python bench/train_step.py [--batch-sizes 16 64] [--repeats 3] [--models dcgan wgan]
                               [--jit-compile auto|on|off] [--mixed-precision]
                               [--compare-torch [--block 3] [--torch-threads N]]
                               [--json FILE]
"""
import argparse
import contextlib
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from gantools.run.launch import quiet_tensorflow  # noqa: E402

PIPELINE_IMAGES = 512


def median_seconds(run, repeats):
    run()  # warm-up: tracing, compilation
    return statistics.median(timed_steps(run)(repeats))


def timed_steps(run):
    """k -> the seconds of each of k calls of `run`."""
    def steps(k):
        times = []
        for _ in range(k):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        return times
    return steps


def bench_module(name):
    """bench/<name>.py as a module (bench/ is a folder of scripts, not a package)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".py")
    spec = importlib.util.spec_from_file_location("bench_" + name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ##### FLOPs from the layer shapes

def forward_flops(model):
    """2 x multiply-adds of the model's convolutions and transposed convolutions, per image."""
    from keras import layers
    total = 0
    for layer in model.layers:
        if isinstance(layer, layers.Conv2DTranspose):
            _, h, w, cin = layer.input.shape
            k = layer.kernel_size
            total += 2 * h * w * k[0] * k[1] * cin * layer.filters
        elif isinstance(layer, layers.Conv2D):
            _, h, w, cout = layer.output.shape
            k = layer.kernel_size
            total += 2 * h * w * k[0] * k[1] * layer.input.shape[-1] * cout
    return total


def update_flops(f_g, f_d):
    """Per image: (critic/discriminator update, generator update) of a GAN step."""
    d_update = f_g + 2 * f_d + 2 * (2 * f_d)   # G(z); D on real and fake; D backward twice
    g_update = f_g + f_d + f_d + 2 * f_g       # G(z), D(G(z)); back through D, then G
    return d_update, g_update


# ##### The steps

def port_gan(port, program, replicas, *flags):
    """The port's GAN as its script builds it from its default flags and `flags`
    (`make_gan`: the faithful class, or its override for the device options)."""
    from gantools.run import runner
    args = runner.build_parser(program).parse_args([str(flag) for flag in flags])
    return port.make_gan(args, 0, replicas)


def keras_dcgan(batch, replicas):
    import tensorflow as tf
    from keras_models import dcgan
    from keras_models.dcgan_cli import DCGANAnime
    gan = port_gan(dcgan, DCGANAnime(), replicas)
    images = tf.random.uniform((batch, 96, 96, 3), -1, 1)
    f_g = forward_flops(gan.generate)
    d, g = update_flops(f_g, forward_flops(gan.discriminator))
    # one pass of G serves both updates (DCGAN.updates)
    return (lambda: gan.train_step(images).numpy()), batch, batch * (d + g - f_g)


def keras_wgan(batch, replicas):
    import tensorflow as tf
    from keras_models import wgan
    from keras_models.wgan_cli import WGANAnime
    gan = port_gan(wgan, WGANAnime(), replicas, "--batch-size", batch)
    images = [tf.random.uniform((batch, 96, 96, 3), -1, 1) for _ in range(gan.n_critic)]
    d, g = update_flops(forward_flops(gan.netG), forward_flops(gan.netD))
    return ((lambda: gan.train_step(images).numpy()), batch * gan.n_critic,
            batch * (gan.n_critic * d + g))


def torch_dcgan(batch, repeats):
    """(median seconds, losses, (G, D) parameter counts) of `repeats` batches of the original
    DCGAN (`originals/anime_dcgan_torch.py`: model.py and main.py's batch, eager, PyTorch 0.4's
    Adam and BCELoss) on random images, timed in a process of its own (PyTorch and TensorFlow
    never share one) with as many threads as this machine has cores, all in one call after
    one untimed batch; None without PyTorch. (--compare-torch uses `torch_dcgan_blocks`.)"""
    from sidebyside import MissingExtra
    from sidebyside._torch import original
    try:
        with original() as child:
            answer = child.call("s2_time", batch=batch, repeats=repeats,
                                threads=os.cpu_count())
    except MissingExtra:
        return None
    counts = (int(answer["G.count"]), int(answer["D.count"]))
    return statistics.median(answer["seconds"]), answer["losses"], counts


@contextlib.contextmanager
def torch_dcgan_blocks(batch, threads=None, warmup=1):
    """The original DCGAN of `torch_dcgan` in one child process for all its blocks, on
    `threads` threads (default: the machine's cores), built and warmed up (`warmup` untimed
    batches) as it starts: yields (block, (G, D) parameter counts), where block(k) runs k
    more batches and returns their seconds. MissingExtra without PyTorch."""
    from sidebyside._torch import original
    with original() as child:
        started = child.call("s2_bench_start", batch=batch, warmup=warmup,
                             threads=threads or os.cpu_count())
        counts = (int(started["G.count"]), int(started["D.count"]))
        yield (lambda k: child.call("s2_bench_block", steps=k)["seconds"].tolist()), counts


def compare_torch(step, batch, repeats, block, threads=None):
    """Keras `step` (not yet run) against the original's on `threads` threads, in alternating
    blocks (the module docstring): the row's fields."""
    helpers = bench_module("side_by_side")
    threads = threads or os.cpu_count()
    load_before = os.getloadavg()[0]
    with torch_dcgan_blocks(batch, threads) as (torch_block, counts):
        step()  # Keras' warm-up (tracing), right before its first block
        pairs = helpers.alternate_blocks(timed_steps(step), torch_block, repeats, block)
    keras_ms = [statistics.median(k) * 1e3 for k, _ in pairs]
    torch_ms = [statistics.median(t) * 1e3 for _, t in pairs]
    spread = helpers.ratio_spread(keras_ms, torch_ms)
    keras_median = spread.pop("numerator_median")
    torch_median = spread.pop("denominator_median")
    return dict(step_seconds=keras_median / 1e3, torch_step_ms=round(torch_median, 1),
                speedup_vs_torch=round(torch_median / keras_median, 2), keras_vs_torch=spread,
                block_steps=block, torch_threads=threads, torch_params=list(counts),
                blocks=[dict(keras_ms=[round(s * 1e3, 2) for s in k],
                             torch_ms=[round(s * 1e3, 2) for s in t]) for k, t in pairs],
                load_before=load_before, load_after=os.getloadavg()[0])


# ##### The input pipeline

def pipeline_throughput(batch, rotation, repeats, folder):
    """Images per second delivered by ImageFolder's epoch (cached, shuffled, rotated)."""
    def run():
        for _ in folder.epoch(batch, 0, run.epoch, rotation=rotation):
            pass
        run.epoch += 1
    run.epoch = 0
    return len(folder) / median_seconds(run, repeats)


def synthetic_folder(root, n):
    import numpy as np
    from PIL import Image
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (96, 96, 3), dtype=np.uint8)).save(
            os.path.join(root, "%d.jpg" % i))
    return root


# ##### The table

def markdown(rows):
    columns = ["model", "batch_size", "step_ms", "images_per_s", "gflops_per_s",
               "pipeline_images_per_s", "pipeline_vs_step", "torch_step_ms",
               "speedup_vs_torch", "keras_vs_torch"]
    shown = [c for c in columns if any(c in row for row in rows)]
    compared = [row for row in rows if "keras_vs_torch" in row]
    titles = {"keras_vs_torch": "keras / torch (median, min-max over {} block pairs)".format(
        len(compared[0]["keras_vs_torch"]["ratios"]) if compared else "")}
    helpers = bench_module("side_by_side") if compared else None

    def cell(row, column):
        if column == "keras_vs_torch" and column in row:
            return helpers.spread_text(row[column])
        return str(row.get(column, ""))
    lines = ["| " + " | ".join(titles.get(c, c) for c in shown) + " |",
             "|" + "---|" * len(shown)]
    for row in rows:
        lines.append("| " + " | ".join(cell(row, c) for c in shown) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed runs (median); with --compare-torch, Keras/PyTorch "
                             "block pairs")
    parser.add_argument("--models", nargs="+", choices=["dcgan", "wgan"],
                        default=["dcgan", "wgan"])
    parser.add_argument("--jit-compile", choices=["auto", "on", "off"], default="auto")
    parser.add_argument("--mixed-precision", action="store_true")
    parser.add_argument("--compare-torch", action="store_true",
                        help="also time the original DCGAN step in PyTorch (eager), "
                             "alternating blocks with the Keras step")
    parser.add_argument("--block", type=int, default=3,
                        help="steps per timed block with --compare-torch")
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="PyTorch's threads with --compare-torch (default: the cores)")
    parser.add_argument("--json", type=str, help="write the measurements to this file")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.block < 1:
        parser.error("--repeats and --block must be at least 1")
    quiet_tensorflow()
    import keras
    from gantools.faces.images import ImageFolder
    from gantools.run.rundir import devices
    from gantools.faces.scale import Replicas, resolve_jit, set_precision, startup_line
    set_precision(args.mixed_precision)
    replicas = Replicas(jit_compile=resolve_jit(args.jit_compile),
                        mixed_precision=args.mixed_precision)
    print("Devices: {}; {}".format(", ".join(devices()), startup_line(replicas)))
    print("load average before: %.2f %.2f %.2f" % os.getloadavg(), flush=True)
    from sidebyside._child import available
    if args.compare_torch and not available("torch"):
        print("--compare-torch: PyTorch is not installed (pip install -e .[bench]); "
              "comparison skipped", flush=True)
        args.compare_torch = False
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = ImageFolder(synthetic_folder(tmp, PIPELINE_IMAGES), cache="memory",
                             log=lambda *a, **k: None)
        for model in args.models:
            for batch in args.batch_sizes:
                keras.utils.set_random_seed(0)
                make = keras_dcgan if model == "dcgan" else keras_wgan
                step, images, flops = make(batch, replicas)
                compared = None
                if args.compare_torch and model == "dcgan":
                    compared = compare_torch(step, batch, args.repeats, args.block,
                                             args.torch_threads)
                    seconds = compared.pop("step_seconds")
                else:
                    seconds = median_seconds(step, args.repeats)
                pipeline = pipeline_throughput(batch, 20.0 if model == "wgan" else 0.0,
                                               args.repeats, folder)
                row = dict(model=model, batch_size=batch, step_ms=round(seconds * 1e3, 1),
                           images_per_s=round(images / seconds, 1),
                           gflops_per_s=round(flops / seconds / 1e9, 1),
                           pipeline_images_per_s=round(pipeline, 1),
                           pipeline_vs_step=round(pipeline * seconds / images, 1),
                           jit_compile=replicas.jit_compile,
                           mixed_precision=args.mixed_precision, devices=devices())
                if compared:
                    row.update(compared)
                rows.append(row)
                print(json.dumps({k: v for k, v in row.items() if k != "blocks"}),
                      flush=True)
    print("load average after: %.2f %.2f %.2f" % os.getloadavg())
    print()
    print(markdown(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
