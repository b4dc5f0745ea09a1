"""Shared pieces of the GAN ports: one copy, imported by `tf1_compat` and `keras_models`.

`gantools.run`, the run framework every program uses:
- `runner`: the run services a port's own loop calls (`Run`: start, range, batches, log,
  print; --resume, --sample, --evaluate) and the run around it (flags, run folder,
  config.json, the resume policy, checkpoints, final files, the error contract).
- `cli`: the argument parser, flag validators, `UsageError` (exit 2) and `Failure` (exit 1).
- `launch`: script entry points; quiets TensorFlow's start-up noise before importing it.
- `rundir`: run folders, `config.json`, `losses.csv`, `metrics.json`, seeding, devices.
- `programs`: the nine programs, listed once; `board`: `--tensorboard`.

The family kits:
- `gantools.faces` (S2, S3): `FaceProgram`; `images`, a folder of face images as a tf.data
  pipeline; `scale`, the device flags (XLA, mixed precision, strategies).
- `gantools.mnist` (S5-S8): the one MNIST loader (`--data`, the Keras cache, `--download`)
  and a resumable `next_batch` stream; `metrics`, quality of generated digits (a cached
  MNIST classifier, Fréchet distance, Inception Score, mode coverage, label accuracy);
  `graph`, what the graph-mode loops of S6-S8 call around wiseodd's code (`GraphGAN`: a
  model in its own graph with its Saver; `Loop`: session, data, grids, checkpoint).

Pieces some programs use:
- `plots`: distribution plots, loss curves, digit grids (wiseodd's 4x4 `plot`, the blog's
  5x5 `show_sample_img`), image grids and the `evolution.gif` writer.
- `metrics`: distances between one-dimensional sample sets, and the sliced Wasserstein
  distance between image sets; `curves`: S9's sine-curve measures.
- `schedules`: the variants' late decay.
- `torch_compat`: PyTorch's semantics in Keras (torch_linear, BatchNorm2d, torch_bce);
  `keras2_compat`: Keras 2's (S3's RMSprop, S9's binary cross-entropy).
- `training`: folder checkpoints, stopping cleanly on Ctrl-C, progress with ETA.
- `reproduce`: scripts/reproduce.py and RESULTS.md.

Nothing here but `torch_compat`, `keras2_compat` and `mnist.graph` imports TensorFlow at
module level, so `launch` can set up logging first.
"""
