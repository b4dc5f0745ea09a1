"""Shared pieces of the GAN ports: one copy, imported by `tf1_compat` and `keras_models`.

- `cli`: the argument parser every script uses, flag validators and `UsageError`.
- `launch`: script entry points; quiets TensorFlow's start-up noise before importing it.
- `rundir`: run folders, `config.json`, `losses.csv`, `metrics.json`, seeding, devices.
- `plots`: distribution plots, loss curves and the `evolution.gif` writer.
- `metrics`: distances between one-dimensional sample sets.

Nothing here imports TensorFlow at module level, so `launch` can set up logging first.
"""
