"""Seeded mutations of valid model files for loader fuzzing (test suite and bench script).

Mutations: truncation, trailing bytes, random byte flips (with the CRC left stale, and with it
recomputed so the damage reaches the layer checks), and hostile values written into header
and layer-record fields (0, 1, huge, negative, offsets at the file's end) with a fixed CRC.
"""

import struct
import zlib

import numpy as np

from bittern.model import fileformat

__all__ = ["fix_crc", "mutate", "mutations", "python_verdict"]

HOSTILE = (0, 1, 2, 3, 31, 32, 33, 64, 255, 256, 0x7FFF, 0xFFFF, 0x10000, 0x7FFFFFFF,
           0x80000000, 0xFFFFFFFE, 0xFFFFFFFF)


def fix_crc(data):
    data = bytearray(data)
    struct.pack_into("<I", data, 24, zlib.crc32(bytes(data[64:])))
    return bytes(data)


def mutate(rng, data):
    """One random mutation of ``data``; returns (kind, bytes)."""
    data = bytearray(data)
    n = len(data)
    r = rng.integers(0, 6)
    if r == 0:
        return "truncate", bytes(data[: int(rng.integers(0, n))])
    if r == 1:
        return "trailing", bytes(data + bytes(rng.integers(0, 256, int(rng.integers(1, 9)), dtype=np.uint8)))
    if r in (2, 3):
        for _ in range(int(rng.integers(1, 5))):
            data[int(rng.integers(0, n))] ^= 1 << int(rng.integers(0, 8))
        return ("flip", bytes(data)) if r == 2 else ("flip+crc", fix_crc(data))
    # a hostile value in a header word or a layer-record word, CRC recomputed
    n_layers = struct.unpack_from("<I", data, 16)[0]
    words = 16 + 24 * min(n_layers, 64)
    off = 4 * int(rng.integers(0, words))
    if off >= n - 4:
        off = 16
    val = int(rng.choice(HOSTILE)) if r == 4 else int(rng.integers(0, n + 64))
    struct.pack_into("<I", data, off, val)
    out = bytes(data)
    return ("field", fix_crc(out) if off != 24 else out)


def mutations(rng, data, count):
    return [mutate(rng, data) for _ in range(count)]


def python_verdict(blob):
    """The Python reader's verdict: the ModelSpec, or None when it rejects the file.

    Only :class:`ModelFileError` is a rejection; any other exception propagates, because it
    is a finding (a reader bug), never a verdict."""
    try:
        return fileformat.from_bytes(blob)
    except fileformat.ModelFileError:
        return None
