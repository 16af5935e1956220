"""conv2d on the whole accelerator (bus writes -> sequencer -> array -> score reads) in
Verilator, scores equal to golden bit for bit; one build (geometry and depths) shared by the
cases; PERF_ACTIVE equal to the op's cycle formula. The trained CNN on the accelerator:
tests/test_families.py::test_families_on_the_universal_accelerator_match_golden[cnn-binarized]."""

import numpy as np
import pytest
import torch

from bittern.model import golden, randspec
from bittern.model.spec import Enc, Kind, ModelSpec
from bittern.rtl import loader
from bittern.sim.tb_accel_host import run_on_accelerator

ROWS, COLS = 2, 2
# One build for every case. The trained binarized CNN (the cnn family on binarized pixels) runs
# on the universal build in tests/test_families.py (the replay harness: cocotb stepping each of
# its clocks from Python took a minute); the random geometries here cover the conv-only build.
DEPTHS = dict(w_depth=512, a_depth=2048, t_depth=64, s_depth=256)


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


def test_accel_conv_bad_descriptors_stop_with_cause_and_layer():
    """A conv descriptor the hardware cannot run (written by hand past the loader) stops the
    run with STATUS.ERROR, the conv cause and the layer; the loader refuses the model first."""
    from bittern.rtl import regmap as rm
    from bittern.rtl.accelerator import Accelerator
    from bittern.sim.tb_accel_host import accel_name, run_script
    seed = 1904
    print("seed", seed)
    rng = np.random.default_rng(seed)
    spec = _model(rng, [(4, 3, 1, 1, 2), (4, 3, 1, 1, 1)], in_h=6, in_w=6)
    accel = Accelerator(rows=ROWS, cols=COLS, conv=True, **DEPTHS)
    p = loader.plan(spec, loader.Geometry.of(accel))
    images = rng.integers(0, 256, size=(1, 36)).astype(np.uint8)
    geom = rm.unpack("D_CONV_GEOM", OP_GEOM(spec.layers[1]))
    bad = [   # (layer, register, value, cause)
        (1, "D_CONV_GEOM", rm.pack("D_CONV_GEOM", **{**geom, "STRIDE": 3}), rm.Cause.CONV_STRIDE_PAD),
        (1, "D_CONV_GEOM", rm.pack("D_CONV_GEOM", **{**geom, "KERNEL": 6}), rm.Cause.CONV_KERNEL),
        (1, "D_CONV_GEOM", rm.pack("D_CONV_GEOM", **{**geom, "POOL": 5}), rm.Cause.CONV_POOL),
        (0, "D_CONV_OUT", rm.pack("D_CONV_OUT", OUT_H=4, OUT_W=3), rm.Cause.CONV_SHAPE),
        (0, "D_A_IN", DEPTHS["a_depth"] - 10, rm.Cause.ABUF_OVERFLOW),   # 36 pixels from there
    ]
    script = [["w", a, v] for a, v in loader.program_writes(spec, p)]
    for layer, name, value, _ in bad:
        good = dict(loader.program_writes(spec, p))[rm.desc_addr(layer, name)]
        script += [["w", a, v] for a, v in loader.batch_writes(spec, p, images)]
        script += [["w", rm.desc_addr(layer, name), value], ["run", 200_000],
                   ["w", rm.desc_addr(layer, name), good]]
    script += [["w", a, v] for a, v in loader.batch_writes(spec, p, images)] + [["run", 200_000]]
    res = run_script(accel, script, name=accel_name(accel))
    for (layer, name, _, cause), run in zip(bad, res["runs"]):
        st = rm.unpack("STATUS", run["status"])
        assert not run["timeout"] and st["DONE"] and st["ERROR"], (name, st)
        assert (rm.Cause(st["CAUSE"]), st["LAYER"]) == (cause, layer), (name, st)
    st = rm.unpack("STATUS", res["runs"][-1]["status"])
    assert st["DONE"] and not st["ERROR"], st           # the restored model runs again


def OP_GEOM(layer):
    from bittern.rtl.ops.conv_xnor import ConvXnor
    return ConvXnor().descriptor(layer, loader.LayerPlan(None, None, 0, 0, 0, 0, 0, False))["D_CONV_GEOM"]


@pytest.mark.parametrize("features,change,reason", [
    (0, {}, r"layer 0 \(conv 36->4\): this accelerator build has no CONV_XNOR; build it with conv=True \(bittern build --conv\)"),
    (2, dict(stride=3), r"layer 0 \(conv 36->\d+\): stride 3 is not 1 or 2"),
    (2, dict(pool=5), r"layer 0 \(conv 36->\d+\): pool 5 is not 1..4"),
])
def test_loader_refuses_bad_conv_naming_the_layer(features, change, reason):
    rng = np.random.default_rng(1905)
    spec = _model(rng, [(4, 3, 1, 1, 2)], in_h=6, in_w=6, conv_last=True)
    for k, v in change.items():
        setattr(spec.layers[0], k, v)
    with pytest.raises(loader.UnsupportedLayer, match="^" + reason + "$"):
        loader.plan(spec, loader.Geometry(rows=ROWS, cols=COLS, features=features, **DEPTHS))
