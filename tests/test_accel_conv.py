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
DEPTHS = dict(w_depth=512, a_depth=512, t_depth=32, s_depth=128)


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


def test_accel_conv_no_pad_no_pool_bit_exact():
    seed = 1901
    print("seed", seed)
    rng = np.random.default_rng(seed)
    spec = _model(rng, [(4, 3, 1, 0, 1)], in_h=6, in_w=6)
    images = rng.integers(0, 256, size=(3, 36)).astype(np.uint8)
    _check(spec, images)
