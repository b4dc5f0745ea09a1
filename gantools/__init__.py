"""Shared pieces of the GAN ports: one copy, imported by `tf1_compat` and `keras_models`.

- `cli`: the argument parser every script uses, flag validators and `UsageError`.
- `launch`: script entry points; quiets TensorFlow's start-up noise before importing it.
- `rundir`: run folders, `config.json`, `losses.csv`, `metrics.json`, seeding, devices.
- `plots`: distribution plots, loss curves, digit and image grids and the `evolution.gif`
  writer.
- `metrics`: distances between one-dimensional sample sets, and the sliced Wasserstein
  distance between image sets.
- `mnist`: the one MNIST loader (`--data`, the Keras cache, `--download`) and a resumable
  `next_batch` stream.
- `mnist_metrics`: quality of generated digits (a cached MNIST classifier, Fréchet distance,
  Inception Score, class histogram and mode coverage, label accuracy).
- `images`: a folder of face images as a tf.data pipeline (S2, S3).
- `losses`: PyTorch's BCELoss, forward and backward.
- `training`: checkpoints, resume checks, stopping cleanly on Ctrl-C, progress with ETA.

Nothing here imports TensorFlow at module level, so `launch` can set up logging first.
"""
