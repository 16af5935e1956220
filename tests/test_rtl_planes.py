"""Multi-bit dense layers as binary passes (rtl/ops/dense_planes.py): the plane forms, the
loader's folded constants and the op's reference behaviour equal the golden model bit for bit."""

import itertools

import numpy as np
import pytest
import torch

from bittern.model import golden, randspec
from bittern.model.spec import U8, Enc, WEnc
from bittern.rtl import ops
from bittern.rtl.ops import dense_planes as dp

IN = [(U8, 8), (Enc.BINARY, 1), (Enc.TERNARY, 2), (Enc.UINT, 2), (Enc.UINT, 3)]
W = [(WEnc.BINARY, 1), (WEnc.TERNARY, 2), (WEnc.INT, 3), (WEnc.INT, 7)]
OUT = [(Enc.SCORES, 0), (Enc.BINARY, 1), (Enc.TERNARY, 2), (Enc.UINT, 2), (Enc.UINT, 3)]


def test_plane_forms_reconstruct_the_values():
    seed = 1900
    print("seed", seed)
    rng = np.random.default_rng(seed)
    for enc, bits in IN:
        layer = randspec.random_layer(rng, in_enc=enc, in_bits=bits, in_c=37, out_c=3)
        x = torch.as_tensor(randspec.random_input(rng, layer, 5).reshape(5, -1))
        sa, dx, cx = dp.act_form(enc, bits)
        planes = dp.act_planes(x, enc, bits)
        assert set(planes.unique().tolist()) <= {-1, 1}
        assert torch.equal(sum((1 << s) * p for s, p in zip(sa, planes)) + cx, dx * x), enc
    for enc, bits in W:
        layer = randspec.random_layer(rng, w_enc=enc, w_bits=bits, in_c=37, out_c=3)
        sw, dw = dp.weight_form(enc, bits)
        planes = dp.weight_planes(layer).astype(np.int64)
        assert set(np.unique(planes)) <= {-1, 1}
        assert np.array_equal(sum((1 << s) * p for s, p in zip(sw, planes)),
                              dw * layer.weights.astype(np.int64)), enc


@pytest.mark.parametrize("in_enc,in_bits", IN)
def test_reference_equals_golden_for_every_encoding(in_enc, in_bits):
    """Every weight encoding x output encoding on this input encoding, 70 inputs (3 words,
    a partial last word), thresholds around the accumulators' range."""
    seed = 1901 + IN.index((in_enc, in_bits))
    print("seed", seed)
    rng = np.random.default_rng(seed)
    for (w_enc, w_bits), (out_enc, out_bits) in itertools.product(W, OUT):
        layer = randspec.random_layer(rng, in_enc=in_enc, in_bits=in_bits, w_enc=w_enc,
                                      w_bits=w_bits, out_enc=out_enc, out_bits=out_bits,
                                      in_c=70, out_c=11)
        x = torch.as_tensor(randspec.random_input(rng, layer, 6))
        want = golden.run_layer(x, layer).values.reshape(6, -1).numpy()
        got = dp.reference(layer, x.reshape(6, -1))
        assert np.array_equal(got, want), (w_enc, out_enc)


@pytest.mark.parametrize("family", ["wrpn", "gxnor", "decompose", "binary"])
def test_family_layers_all_run_on_some_op(family):
    """Each dense layer of the random family models has an op (binary layers keep DENSE_XNOR),
    and the plane ops' reference, layer by layer, gives golden's scores."""
    seed = 1910
    print("seed", seed)
    rng = np.random.default_rng(seed)
    spec = randspec.random_family_model(rng, family)
    n = len(spec.layers)
    images = rng.integers(0, 256, size=(4, spec.input_features)).astype(np.uint8)
    res = golden.run(spec, images)
    x = golden.prepare_input(spec, images).reshape(4, -1)
    for i, layer in enumerate(spec.layers):
        op = ops.select(layer, i, last=i == n - 1, build=ops.OPS)
        if isinstance(op, dp.DensePlanes):
            x = torch.as_tensor(dp.reference(layer, x))
        else:
            x = res.trace[i].values.reshape(4, -1)
    assert torch.equal(x, res.scores)
