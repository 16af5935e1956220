"""{-1,+1} decomposition (model/decompose.py) equals the golden value-based accumulators."""

import numpy as np
import pytest
import torch

from bittern.model import golden
from bittern.model.decompose import binary_passes, decomposed_accumulators
from bittern.model.randspec import random_input, random_layer
from bittern.model.spec import U8, Enc, Kind, WEnc

SEED = 4242

CASES = [  # (in_enc, in_bits, w_enc, w_bits)
    (Enc.BINARY, 1, WEnc.BINARY, 1),
    (Enc.UINT, 1, WEnc.INT, 2),
    (Enc.UINT, 2, WEnc.TERNARY, 2),
    (Enc.UINT, 4, WEnc.INT, 4),
    (Enc.UINT, 8, WEnc.INT, 8),
    (U8, 8, WEnc.BINARY, 1),
    (Enc.TERNARY, 2, WEnc.TERNARY, 2),
    (Enc.TERNARY, 2, WEnc.INT, 3),
    (Enc.BINARY, 1, WEnc.INT, 5),
]


@pytest.mark.parametrize("kind", [Kind.DENSE, Kind.CONV])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{int(c[0])}.{c[1]}x{int(c[2])}.{c[3]}")
def test_decomposition_equals_values(case, kind):
    in_enc, in_bits, w_enc, w_bits = case
    print(f"seed {SEED}")
    rng = np.random.default_rng([SEED, int(in_enc), in_bits, int(w_enc), w_bits, int(kind)])
    geo = dict(in_h=1, in_w=1, in_c=77, out_c=9) if kind == Kind.DENSE else \
        dict(in_h=6, in_w=5, in_c=5, out_c=4, kernel=3, pad=1, stride=1)
    layer = random_layer(rng, kind=kind, in_enc=in_enc, in_bits=in_bits, w_enc=w_enc,
                         w_bits=w_bits, out_enc=Enc.SCORES, out_bits=0, **geo)
    x = torch.from_numpy(random_input(rng, layer, 3))
    # extremes: all-max and all-min inputs in the batch too
    want = golden.layer_accumulators(x, layer, method="values")
    got = decomposed_accumulators(x, layer)
    assert torch.equal(got, want)
    M = 8 if in_enc == U8 else in_bits
    n_pass = len(binary_passes(x, layer))
    extra_a = 0 if in_enc == Enc.BINARY else 1
    extra_w = 0 if w_enc == WEnc.BINARY else 1
    assert n_pass == (M + extra_a) * (w_bits + extra_w)


def test_decomposition_extremes():
    rng = np.random.default_rng(SEED)
    layer = random_layer(rng, in_enc=Enc.UINT, in_bits=3, w_enc=WEnc.INT, w_bits=4,
                         out_enc=Enc.SCORES, out_bits=0, in_c=40, out_c=3)
    layer.weights[0] = 7
    layer.weights[1] = -7
    x = torch.stack([torch.full((1, 1, 40), 7), torch.zeros(1, 1, 40, dtype=torch.int64)])
    assert torch.equal(decomposed_accumulators(x, layer),
                       golden.layer_accumulators(x, layer, method="values"))
