"""Fashion-MNIST on the trusted side: find it, check it, split off the held-out set.

The official test set (t10k, 10,000 images) is cut in two. The worker sees a
Keras home whose ``datasets/fashion-mnist`` holds the real training files and a
t10k pair with only the first 5,000 test images and labels, so
``keras.datasets.fashion_mnist.load_data()`` works unchanged in student code and
returns a 5,000-image test set. The other 5,000 images and their labels are the
held-out set: read here, on the trusted side, and never given to the worker
with their labels.

This module reads IDX files with numpy and gzip only: it must not import
TensorFlow or Keras.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np

from autograder.engine.keras_home import link_keras_home  # noqa: F401  (re-exported: tests and benchmarks use it here)
from autograder.errors import DataError

ENV_VARIABLE = "GRADE_FASHION_MNIST"
KERAS_SUBDIR = Path("datasets") / "fashion-mnist"
SHAPES = {  # file name -> shape of its array
    "train-images-idx3-ubyte.gz": (60000, 28, 28),
    "train-labels-idx1-ubyte.gz": (60000,),
    "t10k-images-idx3-ubyte.gz": (10000, 28, 28),
    "t10k-labels-idx1-ubyte.gz": (10000,),
}
TEST_IMAGES, TEST_LABELS = "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"
WORKER_TEST_SIZE = 5000  # test images the worker sees; the rest are held out
HINT = (f"pass --data-dir or set {ENV_VARIABLE} to the folder holding the four Fashion-MNIST .gz files "
        "(or run keras.datasets.fashion_mnist.load_data() once, online, to fill Keras's cache)")

_IDX_TYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
              0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_IDX_CODES = {dtype.str.lstrip("<>|="): code for code, dtype in _IDX_TYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"
_validated: dict[str, tuple] = {}  # folder -> (mtime_ns, size) of its files when last validated


# -- IDX files ------------------------------------------------------------------------


def read_idx(path: Path) -> np.ndarray:
    """The array in a gzipped IDX file; DataError naming the file and what is wrong."""
    path = Path(path)
    data = _gunzip(path)
    dtype, shape, offset = _parse_header(path, data)
    expected = offset + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) < expected:
        raise DataError(f"{path}: truncated: the header promises {expected} bytes, the file holds {len(data)}")
    if len(data) > expected:
        raise DataError(f"{path}: damaged: {len(data) - expected} bytes more than its header says")
    return np.frombuffer(data, dtype=dtype, offset=offset).reshape(shape).astype(dtype.newbyteorder("="))


def read_idx_header(path: Path) -> tuple[np.dtype, tuple[int, ...]]:
    """Type and shape of a gzipped IDX file, read cheaply: the header and the gzip trailer only.

    The gzip trailer records the uncompressed length, which must match the header.
    """
    path = Path(path)
    raw = _open_bytes(path, 4)
    if raw[:2] != _GZIP_MAGIC:
        raise DataError(f"{path}: not a gzip file")
    try:
        with gzip.open(path, "rb") as f:
            head = f.read(4)
            head += f.read(4 * head[3]) if len(head) == 4 else b""
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path}: damaged gzip data ({e})") from e
    dtype, shape, offset = _parse_header(path, head)
    expected = offset + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        if f.tell() < 18:
            raise DataError(f"{path}: truncated: too short to be a complete gzip file")
        f.seek(-4, os.SEEK_END)
        recorded = struct.unpack("<I", f.read(4))[0]
    if recorded != expected % 2**32:
        raise DataError(f"{path}: truncated or damaged: the header promises {expected} bytes, "
                        f"the gzip trailer records {recorded}")
    return dtype, shape


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write ``array`` as a gzipped IDX file (deterministic bytes: no name or time in the gzip header)."""
    array = np.ascontiguousarray(array)
    code = _IDX_CODES.get(array.dtype.str.lstrip("<>|="))
    if code is None:
        raise ValueError(f"IDX cannot hold {array.dtype}")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    body = array.astype(_IDX_TYPES[code], copy=False).tobytes()
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0) as f:
        f.write(header)
        f.write(body)


def _open_bytes(path: Path, n: int) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(n)
    except FileNotFoundError:
        raise DataError(f"{path}: missing (no such file)") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, not a file") from None
    except OSError as e:
        raise DataError(f"{path}: cannot be read ({e.strerror})") from e


def _gunzip(path: Path) -> bytes:
    if _open_bytes(path, 2) != _GZIP_MAGIC:
        raise DataError(f"{path}: not a gzip file")
    try:
        with gzip.open(path, "rb") as f:
            return f.read()
    except EOFError:
        raise DataError(f"{path}: truncated: the gzip stream ends early (an interrupted download or copy?)") from None
    except (OSError, zlib.error) as e:
        raise DataError(f"{path}: damaged gzip data ({e})") from e


def _parse_header(path: Path, data: bytes) -> tuple[np.dtype, tuple[int, ...], int]:
    if len(data) < 4:
        raise DataError(f"{path}: truncated: no complete IDX header")
    if data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES or data[3] == 0:
        raise DataError(f"{path}: bad magic number {data[:4].hex()} (not an IDX file)")
    ndim = data[3]
    offset = 4 + 4 * ndim
    if len(data) < offset:
        raise DataError(f"{path}: truncated: no complete IDX header")
    shape = struct.unpack(f">{ndim}I", data[4:offset])
    return _IDX_TYPES[data[2]], tuple(int(n) for n in shape), offset


# -- the folder -----------------------------------------------------------------------


def find_fashion_mnist(data_dir: Path | str | None = None) -> Path:
    """The Fashion-MNIST folder: ``data_dir``, else $GRADE_FASHION_MNIST, else Keras's own cache.

    Keras's cache is ``$KERAS_HOME/datasets/fashion-mnist`` (``~/.keras`` when
    KERAS_HOME is unset). A Keras home itself is accepted wherever a folder is.
    """
    if data_dir is not None:
        where, origin = Path(data_dir), "--data-dir"
    elif os.environ.get(ENV_VARIABLE):
        where, origin = Path(os.environ[ENV_VARIABLE]), ENV_VARIABLE
    else:
        home = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")
        where, origin = home / KERAS_SUBDIR, "Keras's cache"
    where = where.expanduser()
    if not (where / TEST_IMAGES).exists() and (where / KERAS_SUBDIR / TEST_IMAGES).exists():
        where = where / KERAS_SUBDIR
    if not where.is_dir():
        raise DataError(f"{where}: no Fashion-MNIST folder there ({origin}); {HINT}")
    return where.resolve()


def validate_fashion_mnist(folder: Path) -> None:
    """Check the four files exist and are complete IDX files of the right shapes (cheap; cached by mtime)."""
    folder = Path(folder)
    stamp = []
    for name in SHAPES:
        try:
            st = (folder / name).stat()
        except OSError:
            raise DataError(f"{folder / name}: missing (no such file); {HINT}") from None
        stamp.append((name, st.st_mtime_ns, st.st_size))
    key = str(folder.resolve())
    if _validated.get(key) == tuple(stamp):
        return
    for name, shape in SHAPES.items():
        dtype, found = read_idx_header(folder / name)
        if dtype != np.uint8 or found != shape:
            raise DataError(f"{folder / name}: holds {dtype} data of shape {found}, not uint8 of shape {shape}")
    _validated[key] = tuple(stamp)


def heldout_split(images: np.ndarray, labels: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray],
                                                                   tuple[np.ndarray, np.ndarray]]:
    """Split the official test set: ``((worker_images, worker_labels), (heldout_images, heldout_labels))``.

    The worker's part is the first 5,000; the held-out part is the rest.
    """
    if len(images) != len(labels):
        raise DataError(f"the test set has {len(images)} images but {len(labels)} labels")
    n = WORKER_TEST_SIZE
    return (images[:n], labels[:n]), (images[n:], labels[n:])


def load_heldout(source_folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """The held-out images (uint8, N x 28 x 28) and labels (uint8, N): trusted side only."""
    source_folder = Path(source_folder)
    validate_fashion_mnist(source_folder)
    _, heldout = heldout_split(read_idx(source_folder / TEST_IMAGES), read_idx(source_folder / TEST_LABELS))
    return heldout


def load_private_heldout(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """An instructor's private held-out set (``--heldout DIR``): ``t10k-images-idx3-ubyte.gz`` and
    ``t10k-labels-idx1-ubyte.gz`` in the Fashion-MNIST IDX layout, any number of images, used whole.

    Raises DataError naming the file when something is missing or malformed.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: no such held-out folder (--heldout needs {TEST_IMAGES} and {TEST_LABELS})")
    for name in (TEST_IMAGES, TEST_LABELS):
        if not (folder / name).is_file():
            raise DataError(f"{folder / name}: missing; a held-out folder holds {TEST_IMAGES} and {TEST_LABELS}")
    images, labels = read_idx(folder / TEST_IMAGES), read_idx(folder / TEST_LABELS)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28) or len(images) == 0:
        raise DataError(f"{folder / TEST_IMAGES}: holds {images.dtype} data of shape {images.shape}, not uint8 of shape (N, 28, 28)")
    if labels.dtype != np.uint8 or labels.shape != (len(images),) or int(labels.max()) > 9:
        raise DataError(f"{folder / TEST_LABELS}: holds {labels.dtype} data of shape {labels.shape}, "
                        f"not {len(images)} uint8 labels 0-9")
    return images, labels


def check_heldout(folder: Path | None) -> Path | None:
    """``--heldout DIR`` checked before any grading starts: the folder, resolved, or None when not given."""
    if folder is None:
        return None
    load_private_heldout(folder)
    return Path(folder).resolve()


# -- the worker's view ----------------------------------------------------------------


def prepare_worker_keras_home(source_folder: Path, cache_dir: Path) -> Path:
    """A Keras home for workers, built once under ``cache_dir``: the folder to use as KERAS_HOME.

    Its ``datasets/fashion-mnist`` holds copies of the training files and a t10k
    pair cut to the first 5,000 images and labels. Files are read-only. The
    folder's name is derived from the source files, so a changed source gets a
    new folder and an unchanged one is reused.
    """
    source_folder, cache_dir = Path(source_folder), Path(cache_dir)
    validate_fashion_mnist(source_folder)
    home = cache_dir / f"keras-home-{_source_key(source_folder)}"
    if (home / KERAS_SUBDIR / TEST_IMAGES).exists():
        return home
    cache_dir.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=cache_dir))
    try:
        target = building / KERAS_SUBDIR
        target.mkdir(parents=True)
        for name in SHAPES:
            if name not in (TEST_IMAGES, TEST_LABELS):
                shutil.copyfile(source_folder / name, target / name)
        (images, labels), _ = heldout_split(read_idx(source_folder / TEST_IMAGES), read_idx(source_folder / TEST_LABELS))
        write_idx(target / TEST_IMAGES, images)
        write_idx(target / TEST_LABELS, labels)
        for path in target.iterdir():
            path.chmod(0o444)
        for folder in (building, building / "datasets", target):
            folder.chmod(0o755)
        try:
            building.rename(home)
        except OSError:  # another process built it first
            if not (home / KERAS_SUBDIR / TEST_IMAGES).exists():
                raise
    finally:
        if building.exists():
            shutil.rmtree(building, ignore_errors=True)
    return home


def default_cache_dir() -> Path:
    """Where worker Keras homes are kept: $GRADE_CACHE_DIR, else $XDG_CACHE_HOME or ~/.cache, /course-autograder."""
    if os.environ.get("GRADE_CACHE_DIR"):
        return Path(os.environ["GRADE_CACHE_DIR"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "course-autograder"


def worker_keras_home(data_dir: Path | str | None = None, cache_dir: Path | None = None) -> Path:
    """Find, validate and prepare: the KERAS_HOME folder a worker of a Fashion-MNIST assignment gets."""
    return prepare_worker_keras_home(find_fashion_mnist(data_dir), cache_dir or default_cache_dir())


def _source_key(folder: Path) -> str:
    digest = hashlib.sha256(str(folder.resolve()).encode())
    for name in SHAPES:
        st = (folder / name).stat()
        digest.update(f"{name}:{st.st_size}:{st.st_mtime_ns}".encode())
    digest.update(f"worker-test-size:{WORKER_TEST_SIZE}".encode())
    return digest.hexdigest()[:16]
