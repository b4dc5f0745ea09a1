"""Which digits S5's original makes on real MNIST: the PyTorch rendition, seeds and epochs.

    python bench/original_digits.py --data mnist.npz --seeds 6 --epochs 10 --json s5.json
    python bench/original_digits.py --data mnist.npz --seeds 4 --epochs 10 --as-written

Trains `originals/mnist_gan_torch.py` (the post's code with SPEC's values, PyTorch 0.2
semantics: its `F.dropout` does nothing) with its own `fit`, one process per seed
(`torch.manual_seed`, `np.random.seed`), and after epochs 1, 3, 5, 10, 20, 30, 50 and 100
(and the last) saves G's output on 5,000 fixed noise vectors. `--as-written` runs the post's
`F.dropout(x, p=0.2)` as PyTorch >= 1.0 does (active in training and sampling), the port's
`--dropout 0.2`. Another process then scores every saved set with the project's MNIST
classifier (gantools.mnist.metrics, trained on the same file's training digits on first
use): digits covered (1% of samples each), Inception Score, the share of each digit, and the
images' mean pixel value. No
process imports both PyTorch and TensorFlow. Needs the extra `.[originals]`.
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKPOINTS = (1, 3, 5, 10, 20, 30, 50, 100)
SAMPLES, NOISE_SEED = 5000, 123


def train(data, seed, epochs, as_written, folder):
    """The original's fit, one epoch at a time; G's samples saved as seed<S>_e<EEE>.npy."""
    import numpy as np
    import torch
    from originals import mnist_gan_torch as original
    if as_written:  # PyTorch >= 1.0: F.dropout(x, p) without training= is always active
        import types
        functional = torch.nn.functional
        original.F = types.SimpleNamespace(
            relu=functional.relu,
            dropout=lambda x, p, training=False: functional.dropout(x, p, training=True))
    torch.manual_seed(seed)
    np.random.seed(seed)
    images = np.load(data)['x_train']
    gan = original.GAN(num_epoch=1, out=folder)
    gan.save_sample_img = lambda data, epoch: None  # no figures: the scores are the point
    gan.print_interval = len(images)                # and no prints
    noise = np.random.RandomState(NOISE_SEED).uniform(-1, 1, (SAMPLES, 100))
    for epoch in range(1, epochs + 1):
        gan.fit(images)  # num_epoch=1: one pass of the post's loop
        if epoch in CHECKPOINTS or epoch == epochs:
            with torch.no_grad():
                np.save(Path(folder) / f'seed{seed}_e{epoch:03d}.npy', gan.sampler(noise))


def score(data, folder):
    """The project's classifier on every saved set: one JSON line per set."""
    import numpy as np
    from gantools.mnist import load_mnist
    from gantools.mnist.metrics import (MODE_SHARE, class_histogram, inception_score,
                                        load_or_train_classifier)
    classifier = load_or_train_classifier(load_mnist(data), verbose=False)
    for path in sorted(Path(folder).glob('seed*_e*.npy')):
        seed, epoch = path.stem[len('seed'):].split('_e')
        pixels = (np.load(path).reshape(-1, 784) + 1) / 2  # G's tanh output in [0, 1]
        _, probabilities = classifier.predict(pixels)
        histogram = class_histogram(probabilities)
        print(json.dumps({'seed': int(seed), 'epoch': int(epoch),
                          'digits_covered': int(np.sum(histogram >= MODE_SHARE)),
                          'inception_score': round(inception_score(probabilities)[0], 3),
                          'mean_pixel': round(float(pixels.mean()), 6),  # MNIST's: 0.13
                          'digit_shares': [round(float(h), 3) for h in histogram]}))


def child(*words):
    """Run this file in a new process (one framework per process)."""
    done = subprocess.run([sys.executable, __file__, *map(str, words)], cwd=ROOT,
                          stdout=subprocess.PIPE, text=True)
    if done.returncode:
        sys.exit(f"original_digits.py: error: the {words[0]} step failed "
                 f"(exit {done.returncode})")
    return done.stdout


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data', type=Path, required=True, help="an mnist.npz")
    parser.add_argument('--seeds', type=int, default=6, help="seeds 0..N-1 (default: 6)")
    parser.add_argument('--epochs', type=int, default=10, help="epochs each (default: 10)")
    parser.add_argument('--as-written', action='store_true',
                        help="the post's F.dropout active, as on PyTorch >= 1.0")
    parser.add_argument('--json', type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        parser.error(f"--data {args.data}: no such file")
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(args.seeds):
            child('train', args.data.resolve(), seed, args.epochs, int(args.as_written), folder)
        rows = [json.loads(line) for line in child('score', args.data.resolve(),
                                                   folder).splitlines()]
    for row in rows:
        print(f"seed {row['seed']} epoch {row['epoch']:3d}: {row['digits_covered']:2d} digits, "
              f"IS {row['inception_score']:.2f}, shares "
              + " ".join(f"{share:.2f}" for share in row['digit_shares']))
    if args.json:
        args.json.write_text(json.dumps(dict(vars(args), data=args.data.name, json=None,
                                             rows=rows), indent=1) + '\n')


if __name__ == '__main__':
    sys.path.insert(0, str(ROOT))
    if sys.argv[1:2] == ['train']:
        data, seed, epochs, as_written, folder = sys.argv[2:]
        train(data, int(seed), int(epochs), bool(int(as_written)), folder)
    elif sys.argv[1:2] == ['score']:
        score(*sys.argv[2:])
    else:
        main()
