"""The golden executor: packed XOR-popcount paths against plain integer dot products."""

import numpy as np
import pytest
import torch

from bittern.model import golden
from bittern.model.randspec import random_input, random_layer, random_model
from bittern.model.spec import U8, Enc, Kind, SpecError, WEnc

B, T, TE, U, S, I = Enc.BINARY, WEnc.TERNARY, Enc.TERNARY, Enc.UINT, WEnc.SPARSE, WEnc.INT

LAYER_KINDS = {
    "binary-dense": dict(),
    "binary-dense-odd": dict(in_c=33, out_c=5),
    "binary-dense-1": dict(in_c=1, out_c=3),
    "u8-first-layer": dict(in_enc=U8, in_bits=8, in_c=50),
    "ternary-weights": dict(w_enc=T, w_bits=2, in_c=65),
    "gxnor": dict(in_enc=TE, in_bits=2, w_enc=T, w_bits=2, out_enc=TE, out_bits=2, in_c=47),
    "wrpn-uint4-ternary": dict(in_enc=U, in_bits=4, w_enc=T, w_bits=2, out_enc=U, out_bits=4),
    "int3-weights": dict(in_enc=U, in_bits=2, w_enc=I, w_bits=3, out_enc=U, out_bits=2),
    "sparse": dict(in_c=128, w_enc=S, packs=2),
    "conv-pad-pool": dict(kind=Kind.CONV, in_h=9, in_w=7, in_c=3, out_c=6, kernel=3, pad=1, pool=2),
    "conv-stride-odd-channels": dict(kind=Kind.CONV, in_h=8, in_w=8, in_c=35, out_c=4, kernel=3,
                                     stride=2),
    "conv-u8": dict(kind=Kind.CONV, in_enc=U8, in_bits=8, in_h=6, in_w=6, in_c=1, out_c=4,
                    kernel=3, pad=1),
    "conv-ternary": dict(kind=Kind.CONV, in_enc=TE, in_bits=2, w_enc=T, in_h=5, in_w=6, in_c=9,
                         out_c=3, kernel=2, pool=2),
}


@pytest.mark.parametrize("name", sorted(LAYER_KINDS))
def test_golden_packed_equals_integer_dot_product(name, rng):
    layer = random_layer(rng, **LAYER_KINDS[name])
    layer.validate()
    x = torch.from_numpy(random_input(rng, layer, 6))
    values = golden.layer_accumulators(x, layer, method="values")
    auto = golden.layer_accumulators(x, layer)
    assert torch.equal(values, auto)
    assert int(values.abs().max()) <= layer.acc_bound


def test_golden_binary_dot_is_n_minus_twice_mismatches():
    from bittern.model.spec import LayerSpec
    w = np.array([[1, -1, 1, 1, -1]], dtype=np.int8)
    layer = LayerSpec(kind=Kind.DENSE, in_enc=B, in_bits=1, w_enc=WEnc.BINARY, w_bits=1,
                      out_enc=Enc.SCORES, out_bits=0, in_h=1, in_w=1, in_c=5, out_c=1, weights=w)
    x = torch.tensor([[[[1, 1, 1, -1, -1]]]])
    # mismatches at 1 and 3 -> 5 - 2*2 = 1
    assert golden.layer_accumulators(x, layer).item() == 1


def test_golden_threshold_ties_count_as_crossed_in_both_directions():
    acc = torch.tensor([[[[4, 4, 3, 5]]]])
    thr = np.array([[4], [4], [4], [4]])
    d = np.array([1, -1, 1, -1])
    codes = golden.apply_thresholds(acc, thr, d)
    # +1: 4>=4 yes; -1: 4<=4 yes; +1: 3>=4 no; -1: 5<=4 no
    assert codes.flatten().tolist() == [1, 1, 0, 0]


def test_golden_multi_threshold_codes_count_crossings():
    acc = torch.tensor([-10, -1, 0, 1, 2, 10]).reshape(1, 1, 6, 1)
    codes = golden.apply_thresholds(acc, np.array([[-1, 1, 2]]), np.array([1]))
    assert codes.flatten().tolist() == [0, 1, 1, 2, 3, 3]
    codes = golden.apply_thresholds(acc, np.array([[2, 1, -1]]), np.array([-1]))
    assert codes.flatten().tolist() == [3, 3, 2, 2, 1, 0]


def test_golden_max_pool_is_on_accumulators_before_negative_direction_threshold():
    acc = torch.tensor([[[[1]], [[5]]], [[[2]], [[3]]]]).reshape(1, 2, 2, 1)
    pooled = golden.pool_max(acc, 2)
    assert pooled.item() == 5
    # with d = -1 and T = 4, the pooled max 5 gives -1 even though other taps would give +1
    assert golden.codes_to_values(golden.apply_thresholds(pooled, np.array([[4]]), np.array([-1])),
                                  Enc.BINARY).item() == -1


def test_golden_argmax_ties_go_to_lowest_class():
    assert golden.argmax_first(torch.tensor([[3, 7, 7, 1], [0, 0, 0, 0]])).tolist() == [1, 0]


def test_golden_input_crop_and_binarization(rng):
    spec = random_model(rng, in_features=70, input_threshold=100)
    spec.crop_lo, spec.crop_hi = 3, 3
    spec.layers[0] = random_layer(rng, in_c=64, out_c=spec.layers[0].out_c)
    spec.validate()
    img = np.zeros((1, 70), dtype=np.uint8)
    img[0, 3] = 100   # first kept pixel, exactly at the threshold -> +1
    img[0, 4] = 99
    img[0, 0] = 255   # cropped away
    x = golden.prepare_input(spec, img)
    assert x.shape == (1, 1, 1, 64)
    assert x[0, 0, 0, 0] == 1 and x[0, 0, 0, 1] == -1 and int((x == 1).sum()) == 1


def test_golden_rejects_wrong_input_shape_and_dtype(rng):
    spec = random_model(rng, in_features=70)
    with pytest.raises(SpecError, match=r"shape \[2, 69\] does not fit the model's input: "
                                        r"expected \[N, 70\] or \[N, 1, 1, 70\]"):
        golden.run(spec, np.zeros((2, 69), dtype=np.uint8))
    with pytest.raises(SpecError, match="images must be uint8"):
        golden.run(spec, np.zeros((2, 70), dtype=np.int32))


def test_golden_gxnor_counts_fired_pairs():
    from bittern.model.spec import LayerSpec
    w = np.array([[1, 0, -1, 1]], dtype=np.int8)
    layer = LayerSpec(kind=Kind.DENSE, in_enc=TE, in_bits=2, w_enc=T, w_bits=2,
                      out_enc=Enc.SCORES, out_bits=0, in_h=1, in_w=1, in_c=4, out_c=1, weights=w)
    x = torch.tensor([1, 1, 1, 0]).reshape(1, 1, 1, 4)
    t = golden.run_layer(x, layer, activity=True)
    assert t.fired == 2 and t.acc.item() == 1 - 1


def test_golden_batching_does_not_change_results(rng):
    spec = random_model(rng)
    imgs = rng.integers(0, 256, size=(37, 70)).astype(np.uint8)
    a = golden.run(spec, imgs, batch=5)
    b = golden.run(spec, imgs)
    assert torch.equal(a.scores, b.scores)
    assert all(torch.equal(x.acc, y.acc) for x, y in zip(a.trace, b.trace))
