"""Fashion-MNIST on the trusted side: IDX files, finding the folder, the worker's view, the held-out set."""

from __future__ import annotations

import gzip
import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from autograder.grading import datasets
from autograder.grading.datasets import (
    SHAPES,
    find_fashion_mnist,
    heldout_split,
    link_keras_home,
    load_heldout,
    prepare_worker_keras_home,
    read_idx,
    read_idx_header,
    validate_fashion_mnist,
    write_idx,
)
from autograder.errors import DataError, GradingError
from tests.conftest import FASHION_MNIST

REAL = Path(os.environ.get("GRADE_FASHION_MNIST") or FASHION_MNIST)


@pytest.fixture(scope="module")
def worker_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The worker's Keras home, built once from the real data."""
    return prepare_worker_keras_home(REAL, tmp_path_factory.mktemp("cache"))


def fake_folder(folder: Path, **shapes: tuple[int, ...]) -> Path:
    """Four small-valued IDX files of the real shapes (zeros compress to almost nothing), some overridden."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, shape in SHAPES.items():
        write_idx(folder / name, np.zeros(shapes.get(name.split("-")[0] + "_" + name.split("-")[1], shape), np.uint8))
    return folder


# -- IDX files ------------------------------------------------------------------------


@pytest.mark.parametrize("array", [
    np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
    np.array([7, -3, 1 << 20], dtype=np.int32),
    np.linspace(0, 1, 6, dtype=np.float32).reshape(3, 2),
])
def test_idx_round_trip(tmp_path, array):
    path = tmp_path / "a.gz"
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == array.dtype and back.shape == array.shape
    assert np.array_equal(back, array)
    dtype, shape = read_idx_header(path)
    assert (dtype.kind, dtype.itemsize, shape) == (array.dtype.kind, array.dtype.itemsize, array.shape)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(DataError, match=r"nope\.gz: missing \(no such file\)"):
        read_idx(tmp_path / "nope.gz")


def test_a_file_that_is_not_gzip(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x02\x01\x02")  # an uncompressed IDX file
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte\.gz: not a gzip file"):
        read_idx(path)
    with pytest.raises(DataError, match="not a gzip file"):
        read_idx_header(path)


def test_a_bad_magic_number(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(b"<!DOCTYPE html> an error page saved as .gz"))
    with pytest.raises(DataError, match=r"x\.gz: bad magic number 3c21444f \(not an IDX file\)"):
        read_idx(path)


def test_a_truncated_download(tmp_path):
    whole = tmp_path / "whole.gz"
    write_idx(whole, np.random.default_rng(0).integers(0, 256, (50, 28, 28), dtype=np.uint8))
    cut = tmp_path / "cut.gz"
    cut.write_bytes(whole.read_bytes()[:-3000])
    with pytest.raises(DataError, match=r"cut\.gz: truncated: the gzip stream ends early"):
        read_idx(cut)
    with pytest.raises(DataError, match=r"cut\.gz: truncated or damaged: the header promises 39216 bytes"):
        read_idx_header(cut)


def test_fewer_items_than_the_header_promises(tmp_path):
    path = tmp_path / "short.gz"
    path.write_bytes(gzip.compress(bytes([0, 0, 8, 1]) + (10).to_bytes(4, "big") + bytes(7)))
    with pytest.raises(DataError, match=r"short\.gz: truncated: the header promises 18 bytes, the file holds 15"):
        read_idx(path)
    with pytest.raises(DataError, match="the header promises 18 bytes, the gzip trailer records 15"):
        read_idx_header(path)


def test_data_errors_are_grading_errors():
    assert issubclass(DataError, GradingError) and DataError.exit_code == 1


# -- finding and validating the folder -------------------------------------------------


def test_find_prefers_the_explicit_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADE_FASHION_MNIST", str(tmp_path / "elsewhere"))
    assert find_fashion_mnist(REAL) == REAL.resolve()


def test_find_reads_the_environment_variable(monkeypatch):
    monkeypatch.setenv("GRADE_FASHION_MNIST", str(REAL))
    assert find_fashion_mnist() == REAL.resolve()


def test_find_falls_back_to_keras_s_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("GRADE_FASHION_MNIST", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    (tmp_path / "kh" / "datasets").mkdir(parents=True)
    (tmp_path / "kh" / "datasets" / "fashion-mnist").symlink_to(REAL)
    assert find_fashion_mnist() == REAL.resolve()
    monkeypatch.delenv("KERAS_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with pytest.raises(DataError, match=r"home/\.keras/datasets/fashion-mnist: no Fashion-MNIST folder there \(Keras's cache\)"):
        find_fashion_mnist()


def test_a_keras_home_is_accepted_as_the_folder(tmp_path):
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "fashion-mnist").symlink_to(REAL)
    assert find_fashion_mnist(tmp_path) == REAL.resolve()


def test_a_missing_folder_says_how_to_point_at_one(tmp_path):
    with pytest.raises(DataError) as e:
        find_fashion_mnist(tmp_path / "nowhere")
    assert str(e.value).startswith(f"{tmp_path / 'nowhere'}: no Fashion-MNIST folder there (--data-dir); pass --data-dir or set GRADE_FASHION_MNIST")


def test_the_real_folder_validates_quickly():
    validate_fashion_mnist(REAL)  # headers and gzip trailers only


def test_a_missing_file_in_the_folder(tmp_path):
    folder = fake_folder(tmp_path / "f")
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte\.gz: missing \(no such file\)"):
        validate_fashion_mnist(folder)


def test_a_file_of_the_wrong_shape(tmp_path):
    folder = fake_folder(tmp_path / "f", t10k_images=(10000, 28, 27))
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte\.gz: holds uint8 data of shape \(10000, 28, 27\), "
                                        r"not uint8 of shape \(10000, 28, 28\)"):
        validate_fashion_mnist(folder)


def test_a_damaged_file_in_the_folder(tmp_path):
    folder = fake_folder(tmp_path / "f")
    path = folder / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte\.gz: truncated or damaged"):
        validate_fashion_mnist(folder)


def test_validation_is_cached_until_a_file_changes(tmp_path, monkeypatch):
    folder = fake_folder(tmp_path / "f")
    validate_fashion_mnist(folder)
    calls = []
    monkeypatch.setattr(datasets, "read_idx_header", lambda path: calls.append(path) or (np.dtype("u1"), SHAPES[path.name]))
    validate_fashion_mnist(folder)
    assert calls == []
    path = folder / "t10k-labels-idx1-ubyte.gz"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1))
    validate_fashion_mnist(folder)
    assert len(calls) == 4


# -- the held-out set and the worker's view --------------------------------------------


def test_heldout_is_the_second_half_of_the_official_test_set():
    images, labels = read_idx(REAL / "t10k-images-idx3-ubyte.gz"), read_idx(REAL / "t10k-labels-idx1-ubyte.gz")
    heldout_images, heldout_labels = load_heldout(REAL)
    assert heldout_images.shape == (5000, 28, 28) and heldout_images.dtype == np.uint8
    assert heldout_labels.shape == (5000,) and set(np.unique(heldout_labels)) == set(range(10))
    assert np.array_equal(heldout_images, images[5000:]) and np.array_equal(heldout_labels, labels[5000:])


def test_heldout_split_refuses_mismatched_arrays():
    with pytest.raises(DataError, match="10 images but 9 labels"):
        heldout_split(np.zeros((10, 28, 28)), np.zeros(9))


def test_the_worker_view_holds_the_training_set_and_the_first_half_of_the_test_set(worker_home):
    folder = worker_home / "datasets" / "fashion-mnist"
    assert sorted(p.name for p in folder.iterdir()) == sorted(SHAPES)
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        assert (folder / name).read_bytes() == (REAL / name).read_bytes()
    images, labels = read_idx(folder / "t10k-images-idx3-ubyte.gz"), read_idx(folder / "t10k-labels-idx1-ubyte.gz")
    assert images.shape == (5000, 28, 28) and labels.shape == (5000,)
    assert np.array_equal(images, read_idx(REAL / "t10k-images-idx3-ubyte.gz")[:5000])
    assert np.array_equal(labels, read_idx(REAL / "t10k-labels-idx1-ubyte.gz")[:5000])
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o444 for p in folder.iterdir())


def test_the_worker_view_is_built_once(worker_home, monkeypatch):
    monkeypatch.setattr(datasets, "write_idx", lambda *a: pytest.fail("rebuilt"))
    assert prepare_worker_keras_home(REAL, worker_home.parent) == worker_home


@pytest.mark.slow  # starts TensorFlow in a worker (about 15-35 s)
def test_keras_loads_the_worker_view_through_a_writable_home(worker_home, tmp_path):
    """In a subprocess, as in the worker: KERAS_HOME is writable, the data behind a link is not."""
    home = link_keras_home(worker_home, tmp_path / "keras")
    script = textwrap.dedent("""
        import json, keras
        (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
        print(json.dumps([x_train.shape, y_train.shape, x_test.shape, y_test.shape, int(y_test[:5000].sum())]))
    """)
    env = {**os.environ, "KERAS_HOME": str(home), "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    shapes = json.loads(done.stdout.strip().splitlines()[-1])
    labels = read_idx(REAL / "t10k-labels-idx1-ubyte.gz")
    assert shapes == [[60000, 28, 28], [60000], [5000, 28, 28], [5000], int(labels[:5000].sum())]


def test_link_keras_home_replaces_an_old_link(worker_home, tmp_path):
    first = link_keras_home(tmp_path / "other", tmp_path / "keras")
    assert link_keras_home(worker_home, first) == first
    assert (first / "datasets" / "fashion-mnist").resolve() == (worker_home / "datasets" / "fashion-mnist").resolve()


def test_this_module_does_not_import_keras():
    script = "import sys, autograder.grading.datasets, autograder.grading.hints; print(sorted(m for m in ('keras', 'tensorflow') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"


def test_link_keras_home_copies_where_links_cannot_be_made(worker_home, tmp_path, monkeypatch):
    def refuse(self, target, target_is_directory=False):
        raise OSError("symbolic links are not allowed here")

    monkeypatch.setattr(Path, "symlink_to", refuse)
    home = link_keras_home(worker_home, tmp_path / "keras")
    folder = home / "datasets" / "fashion-mnist"
    assert not folder.is_symlink() and sorted(p.name for p in folder.iterdir()) == sorted(SHAPES)
    assert read_idx(folder / "t10k-labels-idx1-ubyte.gz").shape == (5000,)
