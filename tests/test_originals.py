"""The renditions of the originals stand alone: no module under originals/ imports a port,
gantools or the side-by-side harness, so a bug in the ports cannot move both sides of a
comparison (sidebyside/ feeds both the same weights and draws as arrays)."""
import ast

import numpy as np
import pytest

from conftest import ROOT

PROJECT = ("gantools", "keras_models", "tf1_compat", "sidebyside", "scripts", "bench")


def imported_modules(path):
    """Every module name an import statement of the file names (at any depth)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_no_rendition_imports_the_ports_or_gantools():
    modules = sorted((ROOT / "originals").rglob("*.py"))
    assert len(modules) >= 12
    for path in modules:
        bad = {m for m in imported_modules(path) if m.split(".")[0] in PROJECT}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_the_import_check_sees_a_nested_import(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("def f():\n    from gantools.mnist import Batches\n")
    assert "gantools.mnist" in imported_modules(path)


# -- TF 1's MNIST reader (originals/input_data.py), which wiseodd's code imports --------------

def test_tf1_next_batch_shuffles_with_numpy_and_completes_the_last_batch(tmp_path):
    from originals import input_data
    images = np.arange(10 * 28 * 28, dtype=np.uint32).reshape(10, 28, 28) % 256
    labels = np.arange(10) % 10
    np.savez(tmp_path / "mnist.npz", x_train=images.astype(np.uint8), y_train=labels,
             x_test=images[:2].astype(np.uint8), y_test=labels[:2])
    mnist = input_data.read_data_sets(str(tmp_path), one_hot=True, validation_size=3)
    train = mnist.train
    assert train.num_examples == 7 and mnist.validation.num_examples == 3
    assert train.images.shape == (7, 784) and train.images.dtype == np.float32
    assert train.images.max() <= 1.0 and train.labels.shape == (7, 10)
    np.random.seed(0)
    seen = [train.next_batch(3)[1].argmax(1) for _ in range(3)]  # 9 of 7: crosses an epoch
    first_epoch = np.concatenate(seen)[:7]
    assert sorted(first_epoch) == list(range(3, 10))  # each example once per epoch
    assert train.epochs_completed == 1 and len(seen[2]) == 3
    with pytest.raises(FileNotFoundError, match="no mnist.npz"):
        input_data.read_data_sets(str(tmp_path / "missing"))
