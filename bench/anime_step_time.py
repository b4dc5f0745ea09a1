"""Seconds per training step of S2 (DCGAN) and S3 (WGAN) at the original's batch size.

Times the compiled training step alone on random images (no data pipeline, no files):
one warm-up call (tracing), then `--repeats` timed calls; prints the median. A DCGAN step is
one D and one G update on a batch; a WGAN step is 5 critic updates (5 real batches) and one
generator update. Run it on an otherwise idle machine; it uses every core TensorFlow sees.

    python bench/anime_step_time.py [--batch-size 64] [--repeats 3] [--only dcgan|wgan]
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from gantools.launch import quiet_tensorflow  # noqa: E402


def timed(step, args, repeats):
    step(*args)  # tracing
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step(*args).numpy()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=["dcgan", "wgan"])
    args = parser.parse_args()
    quiet_tensorflow()
    import tensorflow as tf
    print("load average before: %.2f %.2f %.2f" % os.getloadavg(), flush=True)
    images = lambda: tf.random.uniform((args.batch_size, 96, 96, 3), -1, 1)
    if args.only in (None, "dcgan"):
        from keras_models.dcgan import DCGAN
        gan = DCGAN(seed=0)
        seconds = timed(gan.train_step, (images(),), args.repeats)
        print("S2 DCGAN: %.2f s per step (batch %d)" % (seconds, args.batch_size), flush=True)
    if args.only in (None, "wgan"):
        from keras_models.wgan import WGAN
        gan = WGAN(seed=0, batch_size=args.batch_size)
        seconds = timed(gan.train_step, ([images() for _ in range(gan.n_critic)],),
                        args.repeats)
        print("S3 WGAN: %.2f s per generator step (5 critic + 1 generator update, batch %d)"
              % (seconds, args.batch_size), flush=True)
    print("load average after: %.2f %.2f %.2f" % os.getloadavg())


if __name__ == "__main__":
    main()
