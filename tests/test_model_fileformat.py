"""The .bittern file: round trips, and every kind of bad file gets an error naming the problem."""

import struct
import zlib

import numpy as np
import pytest
import torch

from bittern.model import fileformat, golden
from bittern.model.fileformat import HEADER_BYTES, LAYER_BYTES, ModelFileError
from bittern.model.randspec import random_layer
from bittern.model.spec import U8, Enc, Kind, ModelSpec, WEnc


def _every_kind_model(rng):
    """conv u8 -> conv ternary act -> dense ternary/uint -> dense int -> sparse? -> scores."""
    l0 = random_layer(rng, kind=Kind.CONV, in_enc=U8, in_bits=8, in_h=9, in_w=9, in_c=1, out_c=5,
                      kernel=3, pad=1, pool=2, out_enc=Enc.TERNARY, out_bits=2)
    l1 = random_layer(rng, kind=Kind.CONV, in_enc=Enc.TERNARY, in_bits=2, w_enc=WEnc.TERNARY,
                      in_h=4, in_w=4, in_c=5, out_c=7, kernel=3, out_enc=Enc.UINT, out_bits=3)
    l2 = random_layer(rng, in_enc=Enc.UINT, in_bits=3, w_enc=WEnc.INT, w_bits=4, in_c=28, out_c=64)
    l3 = random_layer(rng, in_c=64, out_c=33, w_enc=WEnc.SPARSE, packs=1)
    l4 = random_layer(rng, in_c=33, out_c=10, out_enc=Enc.SCORES, out_bits=0)
    return ModelSpec(layers=[l0, l1, l2, l3, l4], in_h=9, in_w=9, in_c=1).validate()


def _refresh_crc(data):
    data = bytearray(data)
    struct.pack_into("<I", data, 24, zlib.crc32(bytes(data[HEADER_BYTES:])))
    return bytes(data)


def _set_layer_word(data, layer, word, value):
    data = bytearray(data)
    struct.pack_into("<I", data, HEADER_BYTES + layer * LAYER_BYTES + 4 * word, value)
    return _refresh_crc(data)


def test_fileformat_round_trip_every_layer_kind(rng, tmp_path):
    spec = _every_kind_model(rng)
    path = tmp_path / "m.bittern"
    size = fileformat.save(spec, path)
    assert size == path.stat().st_size and size % 4 == 0
    back = fileformat.load(path)
    imgs = rng.integers(0, 256, size=(8, 9, 9, 1)).astype(np.uint8)
    assert torch.equal(golden.run(spec, imgs).scores, golden.run(back, imgs).scores)
    for a, b in zip(spec.layers, back.layers):
        assert np.array_equal(a.weights, b.weights)
        assert (a.thresholds is None) == (b.thresholds is None)
        if a.thresholds is not None:
            assert np.array_equal(a.thresholds, b.thresholds)
            assert np.array_equal(a.directions, b.directions)
    assert fileformat.to_bytes(back) == fileformat.to_bytes(spec)


def test_fileformat_header_is_little_endian_and_documented(rng):
    data = fileformat.to_bytes(_every_kind_model(rng))
    magic, version, hb, lb, n, size = struct.unpack_from("<4s5I", data)
    assert (magic, version, hb, lb, n, size) == (b"BTRN", 1, 64, 96, 5, len(data))


@pytest.fixture
def good(rng):
    return fileformat.to_bytes(_every_kind_model(rng))


def test_fileformat_rejects_other_version_naming_both(good):
    bad = bytearray(good)
    struct.pack_into("<I", bad, 4, 3)
    with pytest.raises(ModelFileError, match="model file version 3, this bittern reads versions 1, 2"):
        fileformat.from_bytes(bytes(bad))


def test_fileformat_rejects_bad_magic(good):
    with pytest.raises(ModelFileError, match="not a bittern model file"):
        fileformat.from_bytes(b"ONNX" + good[4:])


@pytest.mark.parametrize("cut", [0, 10, 63, 64, 200, -1])
def test_fileformat_rejects_truncated_file(good, cut):
    with pytest.raises(ModelFileError, match="truncated"):
        fileformat.from_bytes(good[:cut] if cut >= 0 else good[:-4])


def test_fileformat_rejects_trailing_bytes(good):
    with pytest.raises(ModelFileError, match="4 trailing bytes"):
        fileformat.from_bytes(good + b"\0\0\0\0")


def test_fileformat_rejects_corruption_by_crc(good):
    bad = bytearray(good)
    bad[len(bad) // 2] ^= 0x10
    with pytest.raises(ModelFileError, match="CRC-32 mismatch"):
        fileformat.from_bytes(bytes(bad))


def test_fileformat_rejects_set_pad_bit(good, rng):
    spec = fileformat.from_bytes(good)
    # layer 4: binary dense 33 -> 10; its rows are 2 words, bit 1 of word 1 is a pad bit
    off = struct.unpack_from("<I", good, HEADER_BYTES + 4 * LAYER_BYTES + 4 * 20)[0]
    bad = bytearray(good)
    bad[off + 4 + 0] |= 0x02
    with pytest.raises(ModelFileError, match="layer 4: binary weights has a set pad bit"):
        fileformat.from_bytes(_refresh_crc(bad))
    assert spec.layers[4].in_c == 33


def test_fileformat_rejects_shapes_that_do_not_chain(good):
    bad = _set_layer_word(good, 3, 11, 34)   # layer 3 out_c 33 -> 34 (blob sizes now wrong too)
    with pytest.raises(ModelFileError, match="layer 3: weight blob size is"):
        fileformat.from_bytes(bad)
    # layer 2 claims uint4 input (with its accumulator bound updated), layer 1 makes uint3
    bad = _set_layer_word(_set_layer_word(good, 2, 2, 4), 2, 19, 28 * 15 * 7)
    with pytest.raises(ModelFileError, match="layer 2 .*takes in_enc=3/4 bits but receives 3/3 bits"):
        fileformat.from_bytes(bad)


def test_fileformat_rejects_unknown_layer_kind_and_encoding(good):
    with pytest.raises(ModelFileError, match="layer 0: 7 is not a valid Kind"):
        fileformat.from_bytes(_set_layer_word(good, 0, 0, 7))
    with pytest.raises(ModelFileError, match="layer 1: 9 is not a valid WEnc"):
        fileformat.from_bytes(_set_layer_word(good, 1, 3, 9))


def test_fileformat_rejects_blob_outside_file_and_misaligned(good):
    with pytest.raises(ModelFileError, match="layer 0: weight blob .* lies outside the file"):
        fileformat.from_bytes(_set_layer_word(good, 0, 20, len(good) - 4))
    with pytest.raises(ModelFileError, match="layer 0: weight blob offset .* is not 4-byte aligned"):
        fileformat.from_bytes(_set_layer_word(good, 0, 20, 1026))


def test_fileformat_rejects_bad_direction(good):
    off = struct.unpack_from("<I", good, HEADER_BYTES + 0 * LAYER_BYTES + 4 * 22)[0]
    bad = bytearray(good)
    struct.pack_into("<i", bad, off, 0)
    with pytest.raises(ModelFileError, match="layer 0 .*directions must be \\+1 or -1"):
        fileformat.from_bytes(_refresh_crc(bad))


def test_fileformat_seeded_random_corruption_never_crashes(good, rng):
    """Hostile bytes (with the CRC fixed up) give ModelFileError, never another exception."""
    for _ in range(300):
        bad = bytearray(good)
        for _ in range(rng.integers(1, 6)):
            pos = int(rng.integers(HEADER_BYTES, len(bad)))
            bad[pos] = int(rng.integers(0, 256))
        try:
            fileformat.from_bytes(_refresh_crc(bytes(bad)))
        except ModelFileError:
            pass
