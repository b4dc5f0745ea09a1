"""The shared MNIST loader and batch stream, on small synthetic files written here."""
import gzip

import numpy as np
import pytest

from gantools import mnist
from gantools.run.cli import UsageError


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(0)
    x_train = rng.integers(0, 256, (50, 28, 28), dtype=np.uint8)
    x_test = rng.integers(0, 256, (20, 28, 28), dtype=np.uint8)
    return mnist.Mnist(x_train, rng.integers(0, 10, 50).astype(np.uint8), x_test,
                       rng.integers(0, 10, 20).astype(np.uint8), "memory")


def same(a, b):
    for name in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.checksum == b.checksum


def test_npz_round_trip(tmp_path, small):
    path = tmp_path / "mnist.npz"
    mnist.write_npz(path, small.x_train, small.y_train, small.x_test, small.y_test)
    loaded = mnist.load_mnist(path)
    same(loaded, small)
    assert loaded.x_train.dtype == np.uint8 and loaded.source == str(path)


@pytest.mark.parametrize("gz", [True, False])
def test_idx_folder_round_trip(tmp_path, small, gz):
    mnist.write_idx_folder(tmp_path, small, gz=gz)
    assert (tmp_path / ("train-images-idx3-ubyte" + (".gz" if gz else ""))).is_file()
    same(mnist.load_mnist(tmp_path), small)


def test_idx_files_with_dotted_names(tmp_path, small):
    mnist.write_idx(tmp_path / "train-images.idx3-ubyte", small.x_train)
    mnist.write_idx(tmp_path / "train-labels.idx1-ubyte", small.y_train)
    mnist.write_idx(tmp_path / "t10k-images.idx3-ubyte.gz", small.x_test)
    mnist.write_idx(tmp_path / "t10k-labels.idx1-ubyte.gz", small.y_test)
    same(mnist.load_mnist(tmp_path), small)


def test_keras_cache_honours_keras_home(tmp_path, small, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert mnist.default_npz_path() == tmp_path / "datasets" / "mnist.npz"
    with pytest.raises(UsageError) as error:
        mnist.load_mnist()
    message = str(error.value)
    assert str(tmp_path / "datasets" / "mnist.npz") in message
    assert "--data" in message and "--download" in message and "\n" not in message
    (tmp_path / "datasets").mkdir()
    mnist.write_npz(tmp_path / "datasets" / "mnist.npz", small.x_train, small.y_train,
                    small.x_test, small.y_test)
    same(mnist.load_mnist(), small)


def test_download_goes_through_keras_only_when_asked(tmp_path, small, monkeypatch):
    import keras
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    calls = []

    def fake_load_data():
        calls.append(1)
        return (small.x_train, small.y_train), (small.x_test, small.y_test)

    monkeypatch.setattr(keras.datasets.mnist, "load_data", fake_load_data)
    with pytest.raises(UsageError):
        mnist.load_mnist()
    assert calls == []
    same(mnist.load_mnist(download=True), small)

    def offline():
        raise OSError("URL fetch failure: no network")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(UsageError, match="could not download MNIST.*no network"):
        mnist.load_mnist(download=True)


# -- bad input: one line naming the file ----------------------------------------------------

def check_error(path, *fragments):
    with pytest.raises(UsageError) as error:
        mnist.load_mnist(path)
    message = str(error.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


def test_missing_path(tmp_path):
    check_error(tmp_path / "nope.npz", "nope.npz", "does not exist", "--download")


def test_not_a_zip_and_truncated_npz(tmp_path, small):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"this is not an npz file at all")
    check_error(junk, str(junk), "not a readable mnist.npz")
    good = tmp_path / "good.npz"
    mnist.write_npz(good, small.x_train, small.y_train, small.x_test, small.y_test)
    cut = tmp_path / "cut.npz"
    cut.write_bytes(good.read_bytes()[:len(good.read_bytes()) // 2])
    check_error(cut, str(cut), "not a readable mnist.npz")


def corrupt_deflate(data, start):
    """`data` with the deflate stream at `start` made invalid (block type 11): zlib.error."""
    data = bytearray(data)
    data[start] = 0x07
    return bytes(data)


def test_compressed_npz_with_corrupted_bytes(tmp_path, small):
    """zlib's own error (not a bad CRC) used to escape as a traceback."""
    import zipfile
    path = tmp_path / "mnist.npz"
    mnist.write_npz(path, small.x_train, small.y_train, small.x_test, small.y_test)
    raw = path.read_bytes()
    member = zipfile.ZipFile(path).getinfo("x_train.npy")
    assert member.compress_type == zipfile.ZIP_DEFLATED
    offset = member.header_offset  # the local header: 30 bytes, then its name and extra field
    start = offset + 30 + int.from_bytes(raw[offset + 26:offset + 28], "little") + \
        int.from_bytes(raw[offset + 28:offset + 30], "little")
    path.write_bytes(corrupt_deflate(raw, start))
    check_error(path, str(path), "not a readable mnist.npz", "invalid block type")


def test_a_plain_npy_file_is_refused(tmp_path, small):
    path = tmp_path / "x.npy"
    np.save(path, small.x_train)
    check_error(path, str(path), "a .npy file with one array, not an mnist.npz")


def test_npz_without_an_array_or_with_wrong_shapes(tmp_path, small):
    path = tmp_path / "partial.npz"
    np.savez(path, x_train=small.x_train, y_train=small.y_train, x_test=small.x_test)
    check_error(path, str(path), "'y_test'")
    np.savez(path, x_train=small.x_train.reshape(50, 784), y_train=small.y_train,
             x_test=small.x_test, y_test=small.y_test)
    check_error(path, "x_train has shape (50, 784)")
    np.savez(path, x_train=small.x_train, y_train=small.y_train[:-1], x_test=small.x_test,
             y_test=small.y_test)
    check_error(path, "50 images", "49 labels")
    np.savez(path, x_train=small.x_train, y_train=small.y_train + 10, x_test=small.x_test,
             y_test=small.y_test)
    check_error(path, "labels 0-9")
    np.savez(path, x_train=small.x_train / 255.0, y_train=small.y_train, x_test=small.x_test,
             y_test=small.y_test)
    check_error(path, "0-255")


def test_idx_errors_name_the_file(tmp_path, small):
    mnist.write_idx_folder(tmp_path, small, gz=True)
    labels = tmp_path / "t10k-labels-idx1-ubyte.gz"
    labels.unlink()
    check_error(tmp_path, "t10k-labels-idx1-ubyte[.gz]")
    # truncated gzip stream
    data = gzip.compress(b"\x00\x00\x08\x01" + (20).to_bytes(4, "big") + bytes(small.y_test))
    labels.write_bytes(data[:len(data) // 2])
    check_error(tmp_path, str(labels), "cannot read")
    # a gzip file whose IDX content is cut short
    images = tmp_path / "t10k-images-idx3-ubyte.gz"
    mnist.write_idx(labels, small.y_test)
    raw = gzip.decompress(images.read_bytes())
    images.write_bytes(gzip.compress(raw[:-100]))
    check_error(tmp_path, str(images), "truncated")
    # wrong magic number (labels where images belong)
    mnist.write_idx(images, small.y_test)
    check_error(tmp_path, str(images), "magic number")
    # not gzip at all despite the name
    images.write_bytes(b"plain bytes")
    check_error(tmp_path, str(images), "cannot read")
    # a gzip file with corrupted bytes in its deflate stream (after the 10-byte header)
    images.write_bytes(corrupt_deflate(gzip.compress(raw), 10))
    check_error(tmp_path, str(images), "cannot read", "invalid block type")


def test_idx_images_and_labels_must_agree(tmp_path, small):
    mnist.write_idx_folder(tmp_path, small, gz=False)
    mnist.write_idx(tmp_path / "train-labels-idx1-ubyte", small.y_train[:40])
    check_error(tmp_path, "50 images", "40 labels")


# -- ranges and batches ---------------------------------------------------------------------

def test_images_in_the_ranges_programs_need():
    x = np.array([[[0, 255] + [128] * 782]], np.uint8).reshape(1, 28, 28)
    unit = mnist.images(x)
    assert unit.shape == (1, 784) and unit.dtype == np.float32
    assert unit.min() == 0.0 and unit.max() == 1.0
    signed = mnist.images(x, (-1, 1), flatten=False)
    assert signed.shape == (1, 28, 28) and signed.min() == -1.0 and signed.max() == 1.0
    np.testing.assert_array_equal(mnist.one_hot(np.array([2, 0]))[:, :3], [[0, 0, 1], [1, 0, 0]])


def test_batches_behave_like_next_batch():
    images = np.arange(10)[:, None].astype(np.float32)
    batches = mnist.Batches(images, np.arange(10), seed=1)
    first = [batches.next_batch(4)[1] for _ in range(5)]  # 20 examples: two epochs
    stream = np.concatenate(first)
    assert sorted(stream[:10]) == list(range(10)) and sorted(stream[10:]) == list(range(10))
    assert not np.array_equal(stream[:10], stream[10:])  # reshuffled each epoch
    assert len(first[2]) == 4  # a batch across the end of an epoch is full
    x, y = mnist.Batches(images, np.arange(10), seed=1).next_batch(3)
    np.testing.assert_array_equal(x[:, 0], y)


def test_batches_resume_anywhere():
    images = np.arange(37)[:, None]
    straight = mnist.Batches(images, np.arange(37), seed=5)
    expected = [straight.next_batch(8)[1] for _ in range(12)]
    resumed_at = mnist.Batches(images, np.arange(37), seed=5, position=8 * 7)
    for batch in expected[7:]:
        np.testing.assert_array_equal(resumed_at.next_batch(8)[1], batch)
    other_seed = mnist.Batches(images, np.arange(37), seed=6).next_batch(8)[1]
    assert not np.array_equal(other_seed, expected[0])
