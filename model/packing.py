"""Bit packing and popcount, exactly as ``docs/numerics.md`` section 2 defines them.

Words are 32 bits; element ``i`` goes to word ``i // 32``, bit ``i % 32``; pad bits are 0.
Words are held in ``int64`` torch tensors (values 0..2^32-1) so that no sign games are needed.
"""

import numpy as np
import torch

__all__ = ["WORD", "n_words", "pack_bits", "unpack_bits", "popcount",
           "pack_binary", "pack_ternary", "words_to_bytes", "bytes_to_words"]

WORD = 32
_SHIFTS = torch.arange(WORD, dtype=torch.int64)


def n_words(n):
    return (n + WORD - 1) // WORD


def pack_bits(bits):
    """Pack a 0/1 tensor along its last axis into 32-bit words (int64 tensor, pad bits 0)."""
    bits = torch.as_tensor(bits).to(torch.int64)
    n = bits.shape[-1]
    pad = n_words(n) * WORD - n
    if pad:
        bits = torch.nn.functional.pad(bits, (0, pad))
    bits = bits.reshape(*bits.shape[:-1], -1, WORD)
    return (bits << _SHIFTS).sum(-1)


def unpack_bits(words, n):
    """Inverse of :func:`pack_bits`: the first ``n`` bits of each word row, as 0/1 int64."""
    words = torch.as_tensor(words).to(torch.int64)
    bits = (words.unsqueeze(-1) >> _SHIFTS) & 1
    return bits.reshape(*words.shape[:-1], -1)[..., :n]


def popcount(words):
    """Number of set bits of each 32-bit word (SWAR on int64, no lookup table)."""
    x = torch.as_tensor(words).to(torch.int64)
    x = x - ((x >> 1) & 0x55555555)
    x = (x & 0x33333333) + ((x >> 2) & 0x33333333)
    x = (x + (x >> 4)) & 0x0F0F0F0F
    return ((x * 0x01010101) & 0xFFFFFFFF) >> 24


def pack_binary(values):
    """Pack -1/+1 values (last axis) into words: bit 1 = +1."""
    v = torch.as_tensor(values)
    if not bool(((v == 1) | (v == -1)).all()):
        raise ValueError("binary values must all be -1 or +1")
    return pack_bits(v > 0)


def pack_ternary(values):
    """Pack -1/0/+1 values (last axis) into the ``(nz, neg)`` word planes."""
    v = torch.as_tensor(values)
    if not bool(((v == 1) | (v == -1) | (v == 0)).all()):
        raise ValueError("ternary values must all be -1, 0 or +1")
    return pack_bits(v != 0), pack_bits(v < 0)


def words_to_bytes(words):
    """Little-endian bytes of a word tensor/array (any shape, C order)."""
    return np.asarray(torch.as_tensor(words).numpy(), dtype="<u4").tobytes()


def bytes_to_words(data, shape):
    arr = np.frombuffer(data, dtype="<u4").astype(np.int64).reshape(shape)
    return torch.from_numpy(arr.copy())
