"""Shared pieces of the GAN ports: one copy, imported by `tf1_compat` and `keras_models`.

- `runner`: the one run of every program (flags, run folder, config.json, the resume policy,
  checkpoints, the loop, final files, the error contract); a port declares a `Program`.
- `cli`: the argument parser, flag validators, `UsageError` (exit 2) and `Failure` (exit 1).
- `launch`: script entry points; quiets TensorFlow's start-up noise before importing it.
- `rundir`: run folders, `config.json`, `losses.csv`, `metrics.json`, seeding, devices.
- `plots`: distribution plots, loss curves, digit grids (wiseodd's 4x4 `plot`, the blog's
  5x5 `show_sample_img`), image grids and the `evolution.gif` writer.
- `metrics`: distances between one-dimensional sample sets, and the sliced Wasserstein
  distance between image sets.
- `mnist`: the one MNIST loader (`--data`, the Keras cache, `--download`) and a resumable
  `next_batch` stream.
- `mnist_metrics`: quality of generated digits (a cached MNIST classifier, Fréchet distance,
  Inception Score, class histogram and mode coverage, label accuracy).
- `images`: a folder of face images as a tf.data pipeline (S2, S3).
- `losses`: Keras 2.0's binary cross-entropy (S9).
- `torch_compat`: PyTorch's semantics in Keras (torch_linear, BatchNorm2d, torch_bce).
- `training`: folder checkpoints, stopping cleanly on Ctrl-C, progress with ETA.
- `board`: `--tensorboard`; `reproduce`: scripts/reproduce.py and RESULTS.md.

Nothing here but `torch_compat` imports TensorFlow at module level, so `launch` can set up
logging first.
"""
