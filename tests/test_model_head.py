"""The per-class head on the scores: folding with its proof, the golden model, the file format
(version 2, version 1 still loads) and the C runtime, bit-exact."""

import struct
from fractions import Fraction

import numpy as np
import pytest
import torch

from bittern.model import fileformat, golden
from bittern.model.fileformat import ModelFileError
from bittern.model.head import fold_head
from bittern.model.randspec import random_layer
from bittern.model.spec import Enc, Head, ModelSpec, SpecError
from bittern.runtime.capi import CApi
from bittern.runtime.fuzz import fix_crc
from bittern.runtime.host import run_host


@pytest.fixture(scope="module")
def build_dir(runtime_build_dir):
    return runtime_build_dir


@pytest.fixture(scope="module")
def capi(build_dir):
    return CApi(build_dir)


def _spec(rng, head=None):
    l0 = random_layer(rng, in_c=64, out_c=32)
    l1 = random_layer(rng, in_c=32, out_c=10, out_enc=Enc.SCORES, out_bits=0)
    return ModelSpec(layers=[l0, l1], in_h=8, in_w=8, in_c=1, input_threshold=100,
                     head=head).validate()


def _float_params(rng, n=10):
    a = rng.normal(1.0, 0.3, n).astype(np.float32).astype(np.float64)
    b = rng.normal(0.0, 4.0, n).astype(np.float32).astype(np.float64)
    return a, b


def test_head_exact_fold_is_the_float_head_times_2_to_f(rng):
    a, b = _float_params(rng)
    head, proof = fold_head(a, b, acc_bound=32)
    assert proof.exact and proof.float32_count == 0
    s = rng.integers(-32, 33, size=(200, 10))
    z = head.logits(s).numpy()
    for row_s, row_z in zip(s, z):
        for c in range(10):
            exact = (Fraction(a[c]) * int(row_s[c]) + Fraction(b[c])) * (1 << head.frac_bits)
            assert exact == int(row_z[c])


def test_head_rounded_fold_keeps_ties_and_order(rng):
    # offsets needing more than 62 fraction bits force rounding; classes 0 and 1 are identical,
    # so every score pair with s0 == s1 is an exact tie the integer head must keep a tie
    a = np.array([1.0, 1.0, 0.75, -0.5])
    b = np.array([3e-20, 3e-20, 1.0 + 2 ** -40, 0.1])
    head, proof = fold_head(a, b, acc_bound=40)
    assert not proof.exact and proof.pairs_checked > 0
    assert head.mult[0] == head.mult[1] and head.offset[0] == head.offset[1]
    s = torch.as_tensor(rng.integers(-40, 41, size=(2000, 4)))
    y = torch.as_tensor(a) * s + torch.as_tensor(b)     # float64 is exact enough off the ties
    _, labels = golden.head_labels(ModelSpec(layers=[], in_h=1, in_w=1, in_c=1, head=head), s)
    assert torch.equal(labels, golden.argmax_first(y))


def test_head_reports_float32_disagreement():
    # y0 = s0, y1 = s1 + 2^-30: at s0 = s1 = -1000 float32 rounds y1 to a tie (class 0 wins)
    # while exactly class 1 is larger; near s = 0 float32 still resolves 2^-30
    head, proof = fold_head([1.0, 1.0], [0.0, 2.0 ** -30], acc_bound=1000, max_report=5000)
    assert proof.exact
    found = set(proof.float32_disagreements)
    assert (0, 1, -1000, -1000) in found and (0, 1, 0, 0) not in found
    assert proof.float32_count == len(found) and all(i == 0 and j == 1 for i, j, _, _ in found)
    assert "disagrees" in proof.summary()


def test_head_rejects_bad_coefficients(rng):
    with pytest.raises(SpecError, match="not finite"):
        fold_head([1.0, float("nan")], [0.0, 0.0], acc_bound=10)
    with pytest.raises(SpecError, match="does not fit int64"):
        _spec(rng, Head(mult=np.full(10, 1 << 60), offset=np.zeros(10, np.int64)))
    with pytest.raises(SpecError, match="shape"):
        _spec(rng, Head(mult=np.ones(9, np.int64), offset=np.zeros(9, np.int64)))


def _head_that_changes_labels(rng, spec, x):
    """A head that reorders the classes: the labels differ from the plain argmax."""
    a, b = _float_params(rng)
    head, _ = fold_head(3 * a - 1, 6 * b, acc_bound=spec.layers[-1].acc_bound)
    plain = golden.run(spec, x).labels
    spec.head = head
    spec.validate()
    g = golden.run(spec, x)
    assert (g.labels != plain).any()
    return g


def test_head_golden_file_and_c_runtime_bit_exact(rng, capi, build_dir):
    spec = _spec(rng)
    x = rng.integers(0, 256, size=(64, 8, 8, 1)).astype(np.uint8)
    v1 = fileformat.to_bytes(spec)
    assert struct.unpack_from("<I", v1, 4)[0] == 1          # no head: still version 1
    g = _head_that_changes_labels(rng, spec, x)
    assert torch.equal(g.logits, spec.head.logits(g.scores))
    data = fileformat.to_bytes(spec)
    assert struct.unpack_from("<I", data, 4)[0] == 2
    back = fileformat.from_bytes(data)
    assert np.array_equal(back.head.mult, spec.head.mult)
    assert np.array_equal(back.head.offset, spec.head.offset)
    assert back.head.frac_bits == spec.head.frac_bits
    assert fileformat.to_bytes(back) == data
    h = run_host(spec, x, build_dir=build_dir)
    np.testing.assert_array_equal(h.scores, g.scores.numpy())
    np.testing.assert_array_equal(h.labels, g.labels.numpy())
    st, _ = capi.load(data)
    assert capi.error_name(st) == "BT_OK"


def test_head_bad_files_named_errors(rng, capi):
    spec = _spec(rng)
    _head_that_changes_labels(rng, spec, rng.integers(0, 256, size=(64, 8, 8, 1)).astype(np.uint8))
    data = bytearray(fileformat.to_bytes(spec))
    off = struct.unpack_from("<I", data, 60)[0]
    cases = []
    bad = bytearray(data)
    struct.pack_into("<q", bad, off + 8, 1 << 62)                # |mult| beyond 2^62 - 1
    cases.append((fix_crc(bad), "BT_ERR_ACC_BOUND", "does not fit int64"))
    bad = bytearray(data)
    struct.pack_into("<I", bad, 60, off + 2)                     # misaligned head
    cases.append((fix_crc(bad), "BT_ERR_BLOB", "not 4-byte aligned"))
    bad = bytearray(data)
    struct.pack_into("<I", bad, off + 4, 7)                      # reserved word
    cases.append((fix_crc(bad), "BT_ERR_HEADER", "reserved word"))
    bad = bytearray(data)
    struct.pack_into("<I", bad, off, 63)                         # frac_bits
    cases.append((fix_crc(bad), "BT_ERR_HEADER", "frac_bits"))
    for blob, code, message in cases:
        assert capi.error_name(capi.load(blob)[0]) == code
        with pytest.raises(ModelFileError, match=message):
            fileformat.from_bytes(blob)


def test_c_and_python_read_the_same_format_versions():
    """The C loader's BT_FORMAT_VERSION is the newest version fileformat reads (both from 1)."""
    import re
    from pathlib import Path
    header = (Path(__file__).parents[1] / "runtime" / "include" / "bittern.h").read_text()
    c_newest = int(re.search(r"#define BT_FORMAT_VERSION (\d+)u", header).group(1))
    assert fileformat.VERSIONS == tuple(range(1, c_newest + 1))
    assert fileformat.VERSION == c_newest
