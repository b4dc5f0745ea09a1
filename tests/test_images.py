"""The face-image pipeline (gantools.faces.images) and the image grids (gantools.plots)."""
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from scipy import ndimage

from conftest import make_faces
from gantools.run.cli import UsageError
from gantools.faces.images import ImageFolder, list_images, load_image, rotation_transforms
from gantools.plots import image_grid, write_image_grid


def quiet(*args, **kwargs):
    pass


def collect(dataset):
    return np.concatenate([b.numpy() for b in dataset])


def test_finds_every_jpeg_and_png_below_the_folder_in_natural_order(faces):
    paths, others = list_images(faces)
    assert others == 1  # notes.txt
    assert len(paths) == 13  # 12 images and broken.jpg, at any depth
    names = [p.name for p in paths if p.parent == faces / "sub"]
    assert names == ["0.jpg", "2.jpg", "4.jpg", "6.jpg", "8.jpg", "10.jpg"]  # 2 before 10


def test_a_link_back_up_the_tree_is_walked_once(tmp_path):
    """`loop -> .` inside the folder: each real folder is read once (not 41 times), and a
    link to a folder outside it is followed."""
    root, elsewhere = tmp_path / "faces", tmp_path / "more"
    root.mkdir(), elsewhere.mkdir()
    for folder, name in [(root, "1.jpg"), (root, "2.jpg"), (elsewhere, "3.jpg")]:
        Image.new("RGB", (96, 96)).save(folder / name)
    (root / "loop").symlink_to(".")
    (root / "up").symlink_to("..")
    (root / "more").symlink_to(elsewhere)
    paths, others = list_images(root)
    assert sorted(p.name for p in paths) == ["1.jpg", "2.jpg", "3.jpg"] and others == 0


def test_mixed_sizes_png_and_a_corrupt_file(faces):
    log = []
    folder = ImageFolder(faces, log=lambda *a, **k: log.append(a[0]))
    assert len(folder) == 12 and folder.skipped == [str(faces / "broken.jpg")]
    assert any("Skipped 1 unreadable files" in line and "broken.jpg" in line for line in log)
    assert folder.summary()["unreadable"] == 1 and folder.summary()["other_files_ignored"] == 1
    batches = list(folder.epoch(5, seed=0, epoch=0))
    assert [b.shape[0] for b in batches] == [5, 5, 2]  # the last batch is smaller
    images = np.concatenate([b.numpy() for b in batches])
    assert images.shape == (12, 96, 96, 3) and images.dtype == np.float32
    assert -1.0 <= images.min() < -0.5 and 0.5 < images.max() <= 1.0
    # the 120x80 images were resized; a 96x96 image comes through unchanged, in [-1, 1]
    original = np.asarray(Image.open(faces / "1.png"), np.float32) / 127.5 - 1
    assert np.any(np.all(images == original, axis=(1, 2, 3)))


def test_each_epoch_is_a_seeded_permutation_and_resuming_inside_it_gives_the_rest(faces):
    folder = ImageFolder(faces, log=quiet)
    first = collect(folder.epoch(4, seed=3, epoch=0))
    means = first.mean(axis=(1, 2, 3))
    assert len(set(np.round(means, 5))) == 12  # every image once
    np.testing.assert_array_equal(first, collect(folder.epoch(4, seed=3, epoch=0)))
    assert not np.array_equal(first, collect(folder.epoch(4, seed=3, epoch=1)))
    assert not np.array_equal(first, collect(folder.epoch(4, seed=4, epoch=0)))
    np.testing.assert_array_equal(first[8:], collect(folder.epoch(4, seed=3, epoch=0,
                                                                  start_batch=2)))


def test_cached_and_uncached_pipelines_give_the_same_batches(faces):
    cached = ImageFolder(faces, cache="memory", log=quiet)
    uncached = ImageFolder(faces, cache="none", log=quiet)
    assert cached.cached and not uncached.cached
    for epoch, start in [(0, 0), (2, 1)]:
        np.testing.assert_array_equal(collect(cached.epoch(5, 1, epoch, start, rotation=20)),
                                      collect(uncached.epoch(5, 1, epoch, start, rotation=20)))


def test_the_stream_runs_epoch_after_epoch_and_can_start_anywhere(faces):
    folder = ImageFolder(faces, log=quiet)
    stream = folder.stream(5, seed=0)
    batches = [next(stream).numpy() for _ in range(7)]  # 3 batches per epoch
    np.testing.assert_array_equal(np.concatenate(batches[3:6]),
                                  collect(folder.epoch(5, seed=0, epoch=1)))
    later = folder.stream(5, seed=0, start_batch=4)
    np.testing.assert_array_equal(next(later).numpy(), batches[4])


def keras2_rotation(image, degrees):
    """Keras 2.1's ImageDataGenerator rotation of one HWC image, from its formulas: rotation
    matrix about (h/2 + 0.5, w/2 + 0.5), scipy affine_transform, order 0, mode 'nearest'."""
    theta = np.pi / 180 * degrees
    rotation = np.array([[np.cos(theta), -np.sin(theta), 0], [np.sin(theta), np.cos(theta), 0],
                         [0, 0, 1]])
    o = image.shape[0] / 2 + 0.5
    matrix = np.array([[1, 0, o], [0, 1, o], [0, 0, 1]]) @ rotation @ \
        np.array([[1, 0, -o], [0, 1, -o], [0, 0, 1]])
    return np.stack([ndimage.affine_transform(image[..., c], matrix[:2, :2], matrix[:2, 2],
                                              order=0, mode="nearest")
                     for c in range(image.shape[-1])], axis=-1)


@pytest.mark.parametrize("degrees", [13.0, -19.5, 0.0])
def test_rotation_matches_keras2_image_data_generator(degrees):
    import keras
    image = np.random.default_rng(0).integers(0, 256, (96, 96, 3)).astype(np.float32)
    rotated = keras.ops.image.affine_transform(
        image[None], rotation_transforms(tf.constant([degrees]), 96),
        interpolation="nearest", fill_mode="nearest")[0]
    np.testing.assert_array_equal(np.asarray(rotated), keras2_rotation(image, degrees))


def test_rotation_augments_each_image_reproducibly(faces):
    folder = ImageFolder(faces, log=quiet)
    plain = collect(folder.epoch(12, seed=0, epoch=0))
    rotated = collect(folder.epoch(12, seed=0, epoch=0, rotation=20))
    np.testing.assert_array_equal(rotated, collect(folder.epoch(12, seed=0, epoch=0,
                                                                rotation=20)))
    assert not np.array_equal(rotated, plain)
    # nearest-neighbour interpolation moves pixels, never mixes them: values stay on the grid
    np.testing.assert_allclose((rotated + 1) * 127.5, np.round((rotated + 1) * 127.5),
                               atol=1e-4)
    np.testing.assert_array_equal(rotated[:, 40:56, 40:56].shape, plain[:, 40:56, 40:56].shape)


def test_sample_is_a_reproducible_random_subset(faces):
    folder = ImageFolder(faces, log=quiet)
    a, b = folder.sample(5, seed=1), folder.sample(5, seed=1)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (5, 96, 96, 3)
    assert folder.sample(50, seed=1).shape == (12, 96, 96, 3)  # all of them if fewer


def test_missing_empty_and_unreadable_folders_are_one_line_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="does not exist; expected a folder of JPEG/PNG face "
                                         "images, the anime faces") as error:
        ImageFolder(tmp_path / "faces", log=quiet)
    assert "\n" not in str(error.value)
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("x")
    with pytest.raises(UsageError, match="holds no JPEG/PNG images"):
        ImageFolder(tmp_path / "empty", log=quiet)
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in ["a.jpg", "b.png", "c.JPEG"]:
        (bad / name).write_bytes(b"\x89PNG broken")
    with pytest.raises(UsageError, match="none of the 3 JPEG/PNG files could be decoded"):
        ImageFolder(bad, log=quiet)


@pytest.mark.parametrize("cache", ["memory", "none"])
def test_a_file_name_that_is_not_utf8_is_read_and_shown_escaped(tmp_path, cache):
    """Linux file names are bytes: an image named b"caf\\xe9.jpg" (Latin-1) is trained on like
    any other, a broken one is skipped and counted; messages and config.json escape the
    byte. (It used to stop the whole run: TensorFlow's str tensors must be UTF-8.)"""
    import json
    import os
    root = make_faces(tmp_path / "faces", n=3, corrupt=False, other=False)
    twin = (root / "sub" / "0.jpg").read_bytes()
    with open(os.path.join(os.fsencode(root), b"caf\xe9.jpg"), "wb") as f:
        f.write(twin)
    with open(os.path.join(os.fsencode(root), b"bad\xff.jpg"), "wb") as f:
        f.write(b"not a JPEG")
    log = []
    folder = ImageFolder(root, cache=cache, log=lambda *a, **k: log.append(a[0]))
    assert len(folder) == 4 and len(folder.skipped) == 1
    assert folder.summary()["unreadable_files"] == [f"{root}/bad\\xff.jpg"]
    assert any(f"Skipped 1 unreadable files ({root}/bad\\xff.jpg)" in line for line in log)
    for line in log + [json.dumps(folder.summary(), ensure_ascii=False)]:
        line.encode("utf-8")  # printable on a UTF-8 terminal, writable as UTF-8 JSON
    images = collect(folder.epoch(4, seed=0, epoch=0))
    twins = [i for i in range(4) if sum(np.array_equal(images[i], x) for x in images) == 2]
    assert len(images) == 4 and len(twins) == 2  # the image and its copy, both trained on
    assert folder.sample(10, seed=0).shape == (4, 96, 96, 3)
    assert len(folder.checksum) == 16


@pytest.mark.parametrize("mode, subsampling", [("RGB", 2), ("RGB", 0), ("L", 0)])
def test_jpeg_is_decoded_as_pil_decodes_it(tmp_path, mode, subsampling):
    """The originals read their faces with PIL (scipy.misc.imread, Keras 2's load_img): the
    pipeline gives PIL's pixels exactly (a grayscale JPEG as PIL's RGB conversion)."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:96, 0:96]
    image = np.stack([x * 2.5, y * 2.5, (x + y) * 1.3], -1) + rng.normal(0, 25, (96, 96, 3))
    image = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).convert(mode)
    (tmp_path / "faces").mkdir()
    path = tmp_path / "faces" / "0.jpg"
    image.save(path, quality=75, subsampling=subsampling)
    pil = np.asarray(Image.open(path).convert("RGB"))
    np.testing.assert_array_equal(load_image(str(path)).numpy(), pil)
    batch = collect(ImageFolder(tmp_path / "faces", log=quiet).epoch(1, seed=0, epoch=0))
    np.testing.assert_array_equal(batch[0], pil.astype(np.float32) / 127.5 - 1)


def test_size_limit_takes_the_first_images_in_natural_order(tmp_path):
    root = make_faces(tmp_path / "faces", n=6, corrupt=False)
    folder = ImageFolder(root, limit=4, log=quiet)
    assert [p.rsplit("/", 1)[1] for p in folder.paths] == ["1.png", "3.jpg", "5.jpg", "0.jpg"]


def test_grid_layout_scaling_and_bytescale(tmp_path):
    images = np.zeros((64, 96, 96, 3), np.float32)
    for i in range(64):
        images[i] = -1 + i / 32  # image i has the value -1 + i/32
    grid = image_grid(images)
    assert grid.shape == (768, 768, 3) and grid.dtype == np.uint8
    # cell (row j, column k) holds image k + 8 j, scaled by (img + 1) / 2
    for j, k in [(0, 0), (0, 7), (3, 5), (7, 7)]:
        value = (images[k + 8 * j, 0, 0, 0] + 1) / 2 * 255
        assert grid[96 * j + 50, 96 * k + 10, 0] == round(value)
    stretched = image_grid(images * 0.5, bytescale=True)  # [-0.5, 0.48] -> [0, 255]
    assert stretched.min() == 0 and stretched.max() == 255
    assert image_grid(images * 0.5).max() < 192
    path = tmp_path / "grid.png"
    write_image_grid(images, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert Image.open(path).size == (768, 768) and not list(tmp_path.glob("*.tmp*"))
    with pytest.raises(ValueError, match="needs 64 images"):
        image_grid(images[:10])


def test_a_truncated_jpeg_is_skipped_without_tensorflow_s_log_lines(tmp_path, capfd):
    """TensorFlow logs 'Premature end of JPEG data' and an aborted rendezvous for a cut
    JPEG; the reader names the file in its own line, and those lines are dropped."""
    import io
    for i in range(3):
        Image.fromarray(np.full((96, 96, 3), 40 * i, np.uint8)).save(tmp_path / f"{i}.jpg")
    data = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (96, 96, 3), np.uint8)).save(
        data, "JPEG")
    (tmp_path / "3.jpg").write_bytes(data.getvalue()[:1500])
    log = []
    folder = ImageFolder(tmp_path, log=lambda *a, **k: log.append(a[0]))
    assert len(folder) == 3 and folder.skipped == [str(tmp_path / "3.jpg")]
    err = capfd.readouterr().err
    assert "jpeg" not in err.lower() and "rendezvous" not in err, err
