import numpy as np
import torch

from bittern.model.packing import n_words, pack_binary, pack_bits, pack_ternary, popcount, unpack_bits


def test_packing_bit_order_is_lsb_first_word_by_word():
    bits = torch.zeros(70, dtype=torch.int64)
    bits[0] = bits[33] = bits[69] = 1
    words = pack_bits(bits)
    assert words.tolist() == [1, 2, 1 << 5]


def test_packing_pad_bits_are_zero_for_odd_sizes(rng):
    for n in (1, 31, 33, 63, 65, 784):
        v = torch.from_numpy(rng.choice([-1, 1], size=(3, n)))
        w = pack_binary(v)
        assert w.shape == (3, n_words(n))
        assert bool((unpack_bits(w, n_words(n) * 32)[:, n:] == 0).all())
        assert torch.equal(unpack_bits(w, n) * 2 - 1, v)


def test_packing_ternary_planes_have_neg_only_where_nonzero(rng):
    v = torch.from_numpy(rng.choice([-1, 0, 1], size=(4, 45)))
    nz, neg = pack_ternary(v)
    assert bool(((neg & ~nz) == 0).all())
    back = unpack_bits(nz, 45) * (1 - 2 * unpack_bits(neg, 45))
    assert torch.equal(back, v)


def test_popcount_matches_python_on_edge_and_random_words(rng):
    words = [0, 1, 0xFFFFFFFF, 0x80000000, 0x55555555, 0xAAAAAAAA] + \
        rng.integers(0, 1 << 32, size=200).tolist()
    got = popcount(torch.tensor(words, dtype=torch.int64)).tolist()
    assert got == [bin(w).count("1") for w in words]


def test_pack_binary_rejects_values_other_than_plus_minus_one():
    import pytest
    with pytest.raises(ValueError, match="binary values must all be -1 or \\+1"):
        pack_binary(torch.tensor([1, 0, -1]))
