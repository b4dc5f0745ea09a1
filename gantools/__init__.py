"""Shared pieces of the GAN ports: one copy, imported by `tf1_compat` and `keras_models`.

- `cli`: the argument parser every script uses, flag validators and `UsageError`.
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
- `resume`: `--resume` with a run's own flags (its config.json), the latest checkpoint of a
  run, and the settings `--evaluate` takes from the run (the MNIST programs).
- `images`: a folder of face images as a tf.data pipeline (S2, S3).
- `losses`: PyTorch's BCELoss, forward and backward.
- `training`: checkpoints, resume checks, stopping cleanly on Ctrl-C, progress with ETA.

Nothing here imports TensorFlow at module level, so `launch` can set up logging first.
"""
