"""``--data npz:FILE``: a user's small dataset as uint8 images NHWC and labels in a .npz."""

import numpy as np
import pytest

from bittern.cli.main import main
from bittern.model.data import load_dataset


def test_npz_with_split_arrays_and_with_x_y(tmp_path, digits):
    p = tmp_path / "d.npz"
    np.savez(p, train_x=digits.train_x, train_y=digits.train_y, test_x=digits.test_x[..., 0],
             test_y=digits.test_y)
    d = load_dataset(f"npz:{p}")
    assert np.array_equal(d.train_x, digits.train_x) and d.test_x.shape == digits.test_x.shape
    assert d.test_y.dtype == np.int64 and np.array_equal(d.test_y, digits.test_y)
    q = tmp_path / "xy.npz"
    np.savez(q, x=digits.train_x[:100], y=digits.train_y[:100])
    d = load_dataset(f"npz:{q}")
    assert (len(d.train_x), len(d.test_x)) == (80, 20)
    assert sorted(np.concatenate([d.train_y, d.test_y]).tolist()) == \
        sorted(digits.train_y[:100].tolist())


@pytest.mark.parametrize("arrays,message", [
    ({"images": np.zeros((4, 8, 8), np.uint8)}, "needs arrays train_x"),
    ({"x": np.zeros((4, 8, 8), np.float32), "y": np.zeros(4, np.int64)}, "must be uint8"),
    ({"x": np.zeros((4, 8, 8), np.uint8), "y": np.zeros(3, np.int64)}, "must be 4 non-negative"),
    ({"x": np.zeros((4, 8), np.uint8), "y": np.zeros(4, np.int64)}, r"\[N, H, W, C\]"),
])
def test_npz_errors_name_the_array(tmp_path, arrays, message):
    p = tmp_path / "bad.npz"
    np.savez(p, **arrays)
    with pytest.raises(ValueError, match=message):
        load_dataset(f"npz:{p}")


def test_cli_trains_on_npz(tmp_path, digits, capsys):
    p = tmp_path / "d.npz"
    np.savez(p, x=digits.train_x, y=digits.train_y)
    assert main(["train", "--data", f"npz:{p}", "--epochs", "1", "--quiet",
                 "-o", str(tmp_path / "m.pt")]) == 0
    assert main(["train", "--data", f"npz:{tmp_path / 'missing.npz'}", "--epochs", "1",
                 "--quiet", "-o", str(tmp_path / "n.pt")]) == 2
    assert "no such file" in capsys.readouterr().err
