"""The C loader on truncated, corrupted and hostile model files: an error code, never a crash
(the host runner is built with ASan + UBSan), the same verdict as the Python reader, and
golden results from every mutant both accept."""

import struct

import numpy as np
import pytest

from bittern.model import fileformat, golden
from bittern.runtime.capi import STATUS_NAMES, CApi
from bittern.runtime.cases import KERNEL_CASES, layer_case
from bittern.runtime.fuzz import fix_crc, mutations, python_verdict
from bittern.runtime.host import load_many


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("rt_loader")


@pytest.fixture(scope="module")
def capi(build_dir):
    return CApi(build_dir)


FUZZ_CASES = ["dense_bin_bin", "sparse_bin", "conv_ter_bin_pool", "dense_uint2_int4_ter",
              "conv_bin_ter_stride", "dense_u8_int2"]


def test_fuzz_loader(rng, build_dir):
    blobs, kinds = [], []
    for name in FUZZ_CASES:
        data = fileformat.to_bytes(layer_case(rng, **KERNEL_CASES[name]))
        for kind, blob in mutations(rng, data, 250):
            blobs.append(blob)
            kinds.append(kind)
    verdicts = load_many(blobs, build_dir=build_dir)
    accepted = 0
    for i, (kind, blob, line) in enumerate(zip(kinds, blobs, verdicts)):
        status = line.split()[0]
        assert status in STATUS_NAMES, line
        spec = python_verdict(blob)
        assert (status == "BT_OK") == (spec is not None), \
            f"mutant {i} ({kind}): C says {line!r}, Python {'accepts' if spec else 'rejects'}"
        if spec is not None:
            accepted += 1
            parts = line.split()
            assert parts[2:4] == ["run", "BT_OK"], line
            zero = np.zeros((1, spec.input_features), dtype=np.uint8)
            assert int(parts[4]) == int(golden.run(spec, zero).labels[0]), f"mutant {i}"
    assert accepted < len(blobs) // 2  # most mutants must be rejected, or the fuzzer is blunt


def _model(rng):
    return bytearray(fileformat.to_bytes(layer_case(rng, **KERNEL_CASES["conv_bin_bin_pool"])))


def _set(data, off, val, crc=True):
    struct.pack_into("<I", data, off, val)
    return fix_crc(data) if crc else bytes(data)


LAYER1 = 64 + 96  # record of layer 1 (the layer under test)


@pytest.mark.parametrize("edit,expected", [
    (lambda d: bytes(d[:40]), "BT_ERR_TRUNCATED"),
    (lambda d: bytes(d[:-4]), "BT_ERR_TRUNCATED"),
    (lambda d: bytes(d) + b"\0\0\0\0", "BT_ERR_TRAILING"),
    (lambda d: _set(d, 0, 0x12345678, crc=False), "BT_ERR_MAGIC"),
    (lambda d: _set(d, 4, 2, crc=False), "BT_ERR_VERSION"),
    (lambda d: _set(d, 12, 100, crc=False), "BT_ERR_HEADER"),
    (lambda d: _set(d, 16, 0), "BT_ERR_HEADER"),
    (lambda d: _set(d, 16, 1000), "BT_ERR_HEADER"),
    (lambda d: bytes(d[:-1]) + bytes([d[-1] ^ 1]), "BT_ERR_CRC"),
    (lambda d: _set(d, LAYER1 + 0, 3), "BT_ERR_ENUM"),
    (lambda d: _set(d, LAYER1 + 12, 0xFFFFFFFF), "BT_ERR_ENUM"),
    (lambda d: _set(d, LAYER1 + 44, 0), "BT_ERR_SHAPE"),
    (lambda d: _set(d, LAYER1 + 80, 0xFFFFFFF0), "BT_ERR_BLOB"),
    (lambda d: _set(d, LAYER1 + 80, 66), "BT_ERR_BLOB"),
    (lambda d: _set(d, LAYER1 + 84, 4), "BT_ERR_BLOB"),
    (lambda d: _set(d, LAYER1 + 76, 12345), "BT_ERR_ACC_BOUND"),
    (lambda d: _set(d, 28, 5), "BT_ERR_CHAIN"),
])
def test_specific_errors(edit, expected, rng, capi):
    st, m = capi.load(edit(_model(rng)))
    assert capi.error_name(st) == expected


def test_pad_bits_thresholds_and_sparse_index(rng, capi):
    # a set pad bit in binary weights (in_c = 40: bits 40..63 of each tap are pad)
    spec = layer_case(rng, **KERNEL_CASES["conv_bin_bin_pool"])
    data = bytearray(fileformat.to_bytes(spec))
    w_off = struct.unpack_from("<I", data, LAYER1 + 80)[0]
    data[w_off + 7] |= 0x80
    assert capi.error_name(capi.load(fix_crc(data))[0]) == "BT_ERR_PAD_BITS"
    # a direction of 0
    data = bytearray(fileformat.to_bytes(spec))
    t_off = struct.unpack_from("<I", data, LAYER1 + 88)[0]
    assert capi.error_name(capi.load(_set(data, t_off, 0))[0]) == "BT_ERR_THRESHOLDS"
    # sparse indices not increasing
    sp = layer_case(rng, **KERNEL_CASES["sparse_bin"])
    data = bytearray(fileformat.to_bytes(sp))
    w_off = struct.unpack_from("<I", data, LAYER1 + 80)[0]
    idx = w_off + sp.layers[1].out_c * sp.layers[1].packs * 4
    struct.pack_into("<HHH", data, idx, 5, 5, 6)
    assert capi.error_name(capi.load(fix_crc(data))[0]) == "BT_ERR_SPARSE_INDEX"


def test_error_names(capi):
    for code, name in enumerate(STATUS_NAMES):
        assert capi.error_name(code) == name
    assert capi.error_name(999) == "BT_ERR_UNKNOWN"


def test_misaligned_and_null(rng, capi):
    import ctypes as C
    from bittern.runtime.capi import Model
    data = fileformat.to_bytes(layer_case(rng, **KERNEL_CASES["dense_bin_bin"]))
    buf = (C.c_uint8 * (len(data) + 1))()
    C.memmove(C.addressof(buf) + 1, data, len(data))
    m = Model()
    assert capi.error_name(capi.lib.bt_model_load(C.byref(m), C.addressof(buf) + 1, len(data))) \
        == "BT_ERR_ALIGN"
    assert capi.error_name(capi.lib.bt_model_load(None, buf, len(data))) == "BT_ERR_NULL"


def test_thresholds_out_of_order(rng, capi):
    """Kernels binary-search a multi-threshold row (docs/numerics.md section 4): a row whose
    d * T_j decreases is rejected by the C loader and by the Python reader alike."""
    spec = layer_case(rng, **KERNEL_CASES["dense_ter_bin_uint3"])
    layer = spec.layers[1]
    o = next(o for o in range(layer.out_c) if layer.thresholds[o, 1] != layer.thresholds[o, 2])
    data = bytearray(fileformat.to_bytes(spec))
    t_off = struct.unpack_from("<I", data, LAYER1 + 88)[0]
    row = t_off + 4 * o * (1 + layer.n_thr)
    t1, t2 = struct.unpack_from("<ii", data, row + 8)
    struct.pack_into("<ii", data, row + 8, t2, t1)
    data = fix_crc(data)
    assert capi.error_name(capi.load(data)[0]) == "BT_ERR_THRESHOLDS"
    assert python_verdict(data) is None
