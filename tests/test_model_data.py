import gzip
import struct

import numpy as np
import pytest

from bittern.model.data import load_dataset


def test_data_mnist5k_is_split_4000_1000_disjoint_and_deterministic(mnist):
    assert mnist.train_x.shape == (4000, 28, 28, 1) and mnist.test_x.shape == (1000, 28, 28, 1)
    assert mnist.train_x.dtype == np.uint8 and mnist.train_x.max() == 255
    assert set(np.unique(mnist.test_y)) == set(range(10))
    train_rows = {r.tobytes() for r in mnist.train_x}
    assert sum(r.tobytes() in train_rows for r in mnist.test_x) <= 2  # MNIST has rare duplicates
    again = load_dataset("mnist5k")
    assert np.array_equal(again.test_x, mnist.test_x) and np.array_equal(again.test_y, mnist.test_y)


def test_data_digits_are_8x8_uint8(digits):
    assert digits.train_x.shape[1:] == (8, 8, 1) and len(digits.test_x) == 360
    assert digits.train_x.max() == 255


def _write_idx(path, arr, gz=False):
    data = b"\0\0\x08" + bytes([arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.tobytes()
    (gzip.open if gz else open)(path, "wb").write(data)


def test_data_reads_standard_idx_files(tmp_path, rng):
    tx = rng.integers(0, 256, size=(20, 28, 28)).astype(np.uint8)
    ty = rng.integers(0, 10, size=20).astype(np.uint8)
    _write_idx(tmp_path / "train-images-idx3-ubyte", tx)
    _write_idx(tmp_path / "train-labels-idx1-ubyte", ty)
    _write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", tx[:5], gz=True)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", ty[:5], gz=True)
    ds = load_dataset(f"idx:{tmp_path}")
    assert np.array_equal(ds.train_x[..., 0], tx) and np.array_equal(ds.test_y, ty[:5])


def test_data_idx_errors_name_the_file(tmp_path):
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"\0\0\x08\x03" + struct.pack(">3I", 5, 28, 28) + b"\0" * 10)
    with pytest.raises(ValueError, match="train-images-idx3-ubyte: truncated"):
        load_dataset(f"idx:{tmp_path}")
    with pytest.raises(FileNotFoundError, match="no train-images-idx3-ubyte"):
        load_dataset(f"idx:{tmp_path / 'nothing'}")
    with pytest.raises(ValueError, match="unknown dataset 'cifar'"):
        load_dataset("cifar")
