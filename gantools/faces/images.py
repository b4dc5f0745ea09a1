"""A folder of face images as a `tf.data` pipeline (the anime-face programs S2 and S3).

`ImageFolder(root)` finds every JPEG/PNG below `root` (any depth, natural order: 2.jpg before
10.jpg), decodes them all once in parallel to find the unreadable ones, and keeps the decoded
96x96 RGB images in memory when they fit (`cache`). Then:

- `epoch(batch_size, seed, epoch, start_batch, rotation)`: one epoch of batches, float32 in
  [-1, 1], NHWC. The order is a permutation that depends only on (seed, epoch), so a resumed
  run can continue in the middle of an epoch with exactly the batches an uninterrupted run
  would have seen; with `rotation`, each image is rotated by an angle drawn uniformly from
  [-rotation, rotation] degrees (stateless, keyed by seed, epoch and position), as Keras 2's
  `ImageDataGenerator(rotation_range=...)` did.
- `stream(batch_size, seed, start_batch, rotation)`: the epochs one after another, forever,
  starting `start_batch` batches in (WGAN's `train_generate.next()`).
- `sample(n, seed)`: n images chosen at random (without augmentation), for metrics.

Decoding: JPEG as PIL decodes it, which is what the originals read with (`scipy.misc.imread`
in S2, Keras 2's `load_img` in S3): libjpeg's accurate integer DCT, TensorFlow's
`decode_jpeg(dct_method="INTEGER_ACCURATE")` (its default, INTEGER_FAST, differs from PIL by a
few levels on most pixels); PNG through `tf.io.decode_image`. Grayscale and RGBA become RGB.
Images that are not 96x96 are resized (bilinear, antialiased); the anime faces already are
96x96, so for them this is a no-op. A file that cannot be read or decoded is skipped and
counted; a folder without a single readable image is a `UsageError` (one line, exit code 2).
File names need not be UTF-8 (Linux names are bytes): TensorFlow is given each path's bytes
(`os.fsencode`), so such an image is read like any other, and messages and config.json show
its name with the undecodable bytes escaped (`printable`).

Nothing is downloaded: a missing folder is an error that says where the dataset comes from.
"""
import os
import re
from pathlib import Path

import numpy as np

from gantools.run.cli import UsageError

IMAGE_SIZE = 96
EXTENSIONS = (".jpg", ".jpeg", ".png")
DATASET_SOURCE = (
    "the anime faces of Hung-yi Lee's NTU MLDS 2018 GAN course (faces.tar.gz; the seed and "
    "https://github.com/FangYang970206/Anime_GAN link it): extract it so that the images lie "
    "below this folder")
CACHE_CHOICES = ("auto", "memory", "none")
CACHE_SHARE_OF_RAM = 0.25  # 'auto' keeps decoded images in memory up to this share of the RAM


def natural_key(path):
    """Sort key that orders 2.jpg before 10.jpg (the original reads faces/{i}.jpg, i = 0..)."""
    return [int(part) if part.isdigit() else part.lower()
            for part in re.split(r"(\d+)", str(path))]


def list_images(root):
    """(JPEG/PNG files below `root` in natural order, number of other files); UsageError
    when the folder is missing or holds no JPEG/PNG file. Symbolic links are followed, each
    real folder once."""
    root = Path(root).expanduser()
    if not root.is_dir():
        what = "is not a folder" if root.exists() else "does not exist"
        raise UsageError(f"--data {printable(root)} {what}; expected a folder of JPEG/PNG "
                         f"face images, {DATASET_SOURCE}")
    images, others, seen = [], 0, set()
    for folder, dirs, files in os.walk(root, followlinks=True):
        # each real folder once: a link back up (`loop -> .`) would repeat it forever
        identity = (os.stat(folder).st_dev, os.stat(folder).st_ino)
        if identity in seen:
            dirs[:] = []
            continue
        seen.add(identity)
        dirs.sort()
        for name in files:
            if name.lower().endswith(EXTENSIONS):
                images.append(Path(folder) / name)
            else:
                others += 1
    if not images:
        raise UsageError(f"--data {printable(root)} holds no JPEG/PNG images ({others} other "
                         f"files); expected the face images, {DATASET_SOURCE}")
    return sorted(images, key=natural_key), others


def printable(path):
    """`path` for messages and JSON: bytes that are not UTF-8 shown as \\xNN escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def path_tensor(paths):
    """The paths as a tf.string tensor of their bytes: a str tensor would need UTF-8 names."""
    import tensorflow as tf
    return tf.constant([os.fsencode(p) for p in paths], tf.string)


def memory_bytes():
    """Physical memory in bytes (0 if unknown)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return 0


def decode(contents):
    """JPEG or PNG bytes as an RGB uint8 tensor; JPEG decoded as PIL does (module docstring)."""
    import tensorflow as tf
    return tf.cond(
        tf.io.is_jpeg(contents),
        lambda: tf.io.decode_jpeg(contents, channels=3, dct_method="INTEGER_ACCURATE"),
        lambda: tf.io.decode_image(contents, channels=3, expand_animations=False))


def load_image(path, size=IMAGE_SIZE):
    """Read and decode one file into a (size, size, 3) uint8 tensor (graph-safe)."""
    import tensorflow as tf
    image = decode(tf.io.read_file(path))
    image.set_shape([None, None, 3])

    def resize():
        resized = tf.image.resize(image, [size, size], antialias=True)
        return tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8)

    same = tf.logical_and(tf.equal(tf.shape(image)[0], size), tf.equal(tf.shape(image)[1], size))
    image = tf.cond(same, lambda: image, resize)
    image.set_shape([size, size, 3])
    return image


def to_unit_range(images):
    """uint8 [0, 255] -> float32 [-1, 1]: the upstream fix of the seed's `img - 127.5/127.5`."""
    import tensorflow as tf
    return tf.cast(images, tf.float32) / 127.5 - 1.0


def as_posted(images):
    """uint8 [0, 255] -> float32 `img - 127.5/127.5` = img - 1, range [-1, 254]: S2's seed as
    printed (operator precedence), which its 500-epoch grid came from."""
    import tensorflow as tf
    return tf.cast(images, tf.float32) - 127.5 / 127.5


SCALINGS = {"unit": to_unit_range, "posted": as_posted}


def rotation_transforms(angles_deg, size):
    """Keras 2 ImageDataGenerator's rotation as ImageProjectiveTransform rows.

    Keras 2.1 rotated (row, col) coordinates by theta about the point (size/2 + 0.5) in both
    axes (`transform_matrix_offset_center`), i.e. input = R (output - c) + c; written in
    (x, y) = (col, row) as the 8-parameter rows of `keras.ops.image.affine_transform`.
    """
    import tensorflow as tf
    theta = angles_deg * (np.pi / 180.0)
    cos, sin = tf.cos(theta), tf.sin(theta)
    c = size / 2.0 + 0.5
    zeros = tf.zeros_like(theta)
    return tf.stack([cos, sin, c - c * cos - c * sin,
                     -sin, cos, c + c * sin - c * cos, zeros, zeros], axis=1)


class ImageFolder:
    """Every readable JPEG/PNG below `root`, as 96x96 RGB; see the module docstring."""

    def __init__(self, root, size=IMAGE_SIZE, limit=None, cache="auto", log=print):
        import tensorflow as tf
        self.root = Path(root).expanduser()
        self.size = size
        paths, self.other_files = list_images(self.root)
        if limit is not None:
            paths = paths[:limit]
        self.found = len(paths)
        nbytes = self.found * size * size * 3
        if cache not in CACHE_CHOICES:
            raise ValueError(f"cache must be one of {CACHE_CHOICES}")
        self.cached = cache == "memory" or (
            cache == "auto" and nbytes <= CACHE_SHARE_OF_RAM * memory_bytes())
        log(f"Reading {self.found} JPEG/PNG images below {printable(self.root)}"
            + (f" ({self.other_files} other files ignored)" if self.other_files else "")
            + (f"; keeping them decoded in memory ({nbytes / 2**20:.0f} MB)" if self.cached
               else "; decoding them every epoch (not cached)"), flush=True)

        names = [str(p) for p in paths]
        decoded = tf.data.Dataset.from_tensor_slices(
            (np.arange(len(names)), path_tensor(names))).map(
            lambda i, path: (i, load_image(path, size)), num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True).ignore_errors()
        if self.cached:
            decoded = decoded.cache()
        from gantools.run.launch import quiet_runtime_noise
        with quiet_runtime_noise():  # TensorFlow's lines about the files it cannot decode
            readable = np.concatenate(
                [b.numpy() for b in decoded.map(lambda i, image: i).batch(4096)]
                or [np.zeros(0, np.int64)])
        bad = sorted(set(range(len(names))) - set(readable.tolist()))
        self.skipped = [names[i] for i in bad]
        self.paths = [names[i] for i in readable]
        if not self.paths:
            raise UsageError(f"--data {printable(self.root)}: none of the {self.found} JPEG/PNG "
                             f"files could be decoded (e.g. {printable(self.skipped[0])}); "
                             f"expected the face images, {DATASET_SOURCE}")
        if self.skipped:
            shown = ", ".join(map(printable, self.skipped[:3])) + (
                ", ..." if len(self.skipped) > 3 else "")
            log(f"Skipped {len(self.skipped)} unreadable files ({shown}); "
                f"training on {len(self.paths)} images", flush=True)
        self._decoded = decoded.map(lambda i, image: image) if self.cached else None

    def __len__(self):
        return len(self.paths)

    @property
    def checksum(self):
        """SHA-256 (16 hex digits) of the usable images' bytes in training order: the data's
        identity on --resume, wherever the folder is."""
        if not hasattr(self, "_checksum"):
            import hashlib
            digest = hashlib.sha256()
            for path in self.paths:
                digest.update(Path(path).read_bytes())
            self._checksum = digest.hexdigest()[:16]
        return self._checksum

    def check_same_as(self, config):
        """--resume: UsageError unless the folder still holds the run's number of images."""
        if config["dataset"]["images"] != len(self):
            raise UsageError("--resume: {} now holds {} usable images, the run was started "
                             "with {}".format(self.root, len(self), config["dataset"]["images"]))

    def batches_per_epoch(self, batch_size):
        return -(-len(self) // batch_size)  # the last batch may be smaller, as DataLoader's

    def summary(self):
        """What config.json records about the data."""
        return {"root": printable(self.root), "images": len(self), "files_found": self.found,
                "other_files_ignored": self.other_files, "unreadable": len(self.skipped),
                "unreadable_files": [printable(p) for p in self.skipped[:20]],
                "cached_in_memory": self.cached}

    def _images(self, order_seed):
        """All images in one epoch's order (uint8), before batching."""
        import tensorflow as tf
        n = len(self)
        if self.cached:
            return self._decoded.shuffle(n, seed=order_seed)
        # same permutation as the cached branch: shuffle() draws it from n and the seed only
        return tf.data.Dataset.from_tensor_slices(path_tensor(self.paths)).shuffle(
            n, seed=order_seed)

    def epoch(self, batch_size, seed, epoch, start_batch=0, rotation=0.0, scale=to_unit_range):
        """Epoch `epoch` of shuffled batches, from batch `start_batch` on (see module doc),
        scaled by `scale` (default: to [-1, 1])."""
        import tensorflow as tf
        order_seed = int(np.random.default_rng([seed, epoch, 17]).integers(2**31))
        images = self._images(order_seed).skip(start_batch * batch_size)
        if not self.cached:
            images = images.map(lambda path: load_image(path, self.size),
                                num_parallel_calls=tf.data.AUTOTUNE,
                                deterministic=True).ignore_errors()
        batches = images.batch(batch_size).enumerate(start=start_batch)
        if rotation:
            import keras
            angle_seed = int(np.random.default_rng([seed, epoch, 23]).integers(2**31))

            def rotate(index, batch):
                angles = tf.random.stateless_uniform(
                    [tf.shape(batch)[0]], seed=tf.stack([tf.cast(angle_seed, tf.int64), index]),
                    minval=-rotation, maxval=rotation)
                rotated = keras.ops.image.affine_transform(
                    tf.cast(batch, tf.float32), rotation_transforms(angles, self.size),
                    interpolation="nearest", fill_mode="nearest")
                return index, rotated
            batches = batches.map(rotate, num_parallel_calls=tf.data.AUTOTUNE,
                                  deterministic=True)
        return batches.map(lambda index, batch: scale(batch)).prefetch(tf.data.AUTOTUNE)

    def stream(self, batch_size, seed, start_batch=0, rotation=0.0):
        """Batches of epoch after epoch, forever, from overall batch `start_batch` on."""
        epoch, offset = divmod(start_batch, self.batches_per_epoch(batch_size))
        while True:
            yield from self.epoch(batch_size, seed, epoch, offset, rotation)
            epoch, offset = epoch + 1, 0

    def sample(self, n, seed):
        """n images in [-1, 1] (float32 numpy), chosen at random without replacement (all of
        them, in random order, if there are fewer than n); no augmentation."""
        import tensorflow as tf
        chosen = np.random.default_rng([seed, 29]).permutation(len(self))[:n]
        paths = [self.paths[i] for i in chosen]
        data = tf.data.Dataset.from_tensor_slices(path_tensor(paths)).map(
            lambda path: load_image(path, self.size), num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True).batch(256)
        return np.concatenate([to_unit_range(b).numpy() for b in data])
