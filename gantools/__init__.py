"""Shared pieces of the GAN ports: one copy, imported by `tf1_compat` and `keras_models`.

- `cli`: the argument parser every script uses, flag validators and `UsageError`.
- `launch`: script entry points; quiets TensorFlow's start-up noise before importing it.
- `rundir`: run folders, `config.json`, `losses.csv`, `metrics.json`, seeding, devices.
- `plots`: distribution plots, loss curves, image grids and the `evolution.gif` writer.
- `metrics`: distances between one-dimensional sample sets, and the sliced Wasserstein
  distance between image sets.
- `images`: a folder of face images as a tf.data pipeline (S2, S3).
- `losses`: PyTorch's BCELoss, forward and backward.
- `training`: checkpoints, resume checks, stopping cleanly on Ctrl-C, progress bars.

Nothing here imports TensorFlow at module level, so `launch` can set up logging first.
"""
