"""conv2d on the whole accelerator (bus writes -> sequencer -> array -> score reads) in
Verilator, scores equal to golden bit for bit; one build (geometry and depths) shared by the
cases; PERF_ACTIVE equal to the op's cycle formula."""

import numpy as np
import pytest
import torch

from bittern.model import golden, randspec
from bittern.model.spec import Enc, Kind, ModelSpec
from bittern.rtl import loader
from bittern.sim.tb_accel_host import run_on_accelerator

ROWS, COLS = 2, 2
# One build for every case (the binarized CNN needs 2 x 784 activation words per column).
DEPTHS = dict(w_depth=512, a_depth=2048, t_depth=64, s_depth=256)
CNN_BINARIZED = {"input": {"shape": [28, 28, 1], "threshold": 128}, "blocks": [
    {"kind": "conv", "out": 8, "kernel": 3, "pad": 1, "pool": 2},
    {"kind": "conv", "out": 8, "kernel": 3, "pad": 1, "pool": 2}, {"out": 10}]}


def _conv(rng, in_h, in_w, in_c, out_c, **kw):
    return randspec.random_layer(rng, kind=Kind.CONV, in_h=in_h, in_w=in_w, in_c=in_c, out_c=out_c, **kw)


def _model(rng, blocks, *, in_h, in_w, classes=5, conv_last=False):
    """Binarized u8 input -> conv blocks [(out_c, kernel, stride, pad, pool)] -> dense scores
    (or the last conv outputs scores)."""
    layers, h, w, c = [], in_h, in_w, 1
    for i, (out_c, k, s, p, pool) in enumerate(blocks):
        last = conv_last and i == len(blocks) - 1
        layer = _conv(rng, h, w, c, out_c, kernel=k, stride=s, pad=p, pool=pool,
                      out_enc=Enc.SCORES if last else Enc.BINARY, out_bits=0 if last else 1)
        layers.append(layer)
        h, w, c = layer.out_h, layer.out_w, out_c
    if not conv_last:
        layers.append(randspec.random_layer(rng, in_c=h * w * c, out_c=classes, out_enc=Enc.SCORES,
                                            out_bits=0))
    return ModelSpec(layers=layers, in_h=in_h, in_w=in_w, in_c=1, input_threshold=128).validate()


def _check(spec, images):
    res = run_on_accelerator(spec, images, rows=ROWS, cols=COLS, depths=DEPTHS, conv=True)
    ref = golden.run(spec, torch.as_tensor(images))
    np.testing.assert_array_equal(res.scores, ref.scores.numpy())
    g = loader.Geometry(rows=ROWS, cols=COLS, features=1 << 1, **DEPTHS)
    assert res.active == loader.ideal_cycles(spec, g) * res.batches
    return res


def test_accel_conv_trained_cnn_binarized_input(mnist):
    """The cnn family of tests/test_families.py on binarized pixels: every layer (two padded,
    pooled convs, the flatten and the dense head) on the accelerator."""
    from bittern.model.fold import export_spec
    from bittern.model.train import train
    spec = export_spec(train(CNN_BINARIZED, mnist, epochs=1, seed=0, progress=False).net)
    images = mnist.test_x[:3]
    res = _check(spec, images)
    print(f"cnn 2x2: PERF_CYCLES {res.cycles / res.batches:.0f}, PERF_ACTIVE "
          f"{res.active / res.batches:.0f} per batch of {COLS}")


@pytest.mark.parametrize("seed,blocks,side,conv_last", [
    (1901, [(4, 3, 1, 0, 1)], 6, False),                     # no pad, no pool: the first step
    (1902, [(3, 5, 2, 2, 1), (33, 1, 1, 0, 2), (5, 2, 1, 1, 3)], 9, True),
    (1903, [(6, 4, 1, 3, 2), (2, 3, 2, 1, 1)], 8, False),
])
def test_accel_conv_geometries_bit_exact(seed, blocks, side, conv_last):
    """Kernels 1..5, strides 1..2, pads up to K-1, pools 1..3, channels across a word (33),
    partial channel tiles, conv -> conv (HWC per pixel), conv -> dense (flattened) and a conv
    that outputs the scores."""
    print("seed", seed)
    rng = np.random.default_rng(seed)
    spec = _model(rng, blocks, in_h=side, in_w=side, conv_last=conv_last)
    images = rng.integers(0, 256, size=(3, side * side)).astype(np.uint8)
    _check(spec, images)
