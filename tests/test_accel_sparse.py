"""3PXNet sparse layers on the whole accelerator (the ``sparse_words`` build option), Verilator.

Every case shares one build (``GEOM``): the trained ``sparse`` family of
``tests/test_families.py``, random sparse layers (seeded) and the misuse script, scores equal
to golden bit for bit and ``PERF_ACTIVE`` equal to the kept packs (pruned packs cost no
cycles).
"""

import numpy as np
import pytest
import torch

from bittern.model import golden, randspec
from bittern.model.spec import Enc, ModelSpec, WEnc
from bittern.rtl import loader
from bittern.rtl import regmap as rm
from bittern.rtl.accelerator import Accelerator
from bittern.sim.tb_accel_host import accel_name, run_on_accelerator, run_script

ROWS, COLS = 4, 2
DEPTHS = dict(w_depth=512, a_depth=64, t_depth=64, s_depth=16, i_depth=64, sparse_words=4)
R = lambda name: rm.reg(name).offset
D = rm.desc_addr


def _check(spec, images):
    res = run_on_accelerator(spec, images, rows=ROWS, cols=COLS, depths=DEPTHS)
    ref = golden.run(spec, torch.as_tensor(images))
    np.testing.assert_array_equal(res.scores, ref.scores.numpy())
    p = loader.plan(spec, loader.Geometry(rows=ROWS, cols=COLS, **DEPTHS))
    # The hardware's own count: every array cycle takes one kept pack per row (pruned packs
    # cost none), exactly the ops' estimate, per batch.
    assert res.active == sum(lp.cycles for lp in p.layers) * res.batches
    return res, p


def test_accel_sparse_family_bit_exact(trained_spec, mnist):
    """The trained `sparse` family (binarized input, dense 64, sparse 32 keeping 1 of 2 packs,
    dense 10; the very model of tests/test_families.py) runs entirely on the accelerator."""
    from test_families import FAMILIES, FAMILY_EPOCHS
    spec = trained_spec(FAMILIES["sparse"], FAMILY_EPOCHS)
    assert [lp.op.name for lp in loader.plan(spec, loader.Geometry(rows=ROWS, cols=COLS, **DEPTHS)).layers] \
        == ["DENSE_XNOR", "SPARSE_XNOR", "DENSE_XNOR"]
    images = np.asarray(mnist.test_x[:3]).reshape(3, -1).astype(np.uint8)
    res, p = _check(spec, images)
    sparse = p.layers[1]
    print("sparse layer: active", sparse.cycles, "per batch, dense would be",
          -(-spec.layers[1].out_c // ROWS) * spec.layers[1].in_c // 32,
          "; whole model cycles/batch", res.cycles / res.batches)


def _random_sparse_model(rng):
    """Binarized input -> dense -> sparse -> sparse (scores): partial tiles, several packs,
    all packs kept, and a sparse last layer."""
    l0 = randspec.random_layer(rng, in_c=100, out_c=64)
    l1 = randspec.random_layer(rng, in_c=64, out_c=96, w_enc=WEnc.SPARSE, packs=1)
    l2 = randspec.random_layer(rng, in_c=96, out_c=13, w_enc=WEnc.SPARSE, packs=2,
                               out_enc=Enc.SCORES, out_bits=0)
    return ModelSpec(layers=[l0, l1, l2], in_h=1, in_w=1, in_c=100, input_threshold=128).validate()


def test_accel_sparse_random_layers_bit_exact():
    seed = 41
    print("seed", seed)
    rng = np.random.default_rng(seed)
    spec = _random_sparse_model(rng)
    images = rng.integers(0, 256, size=(2 * COLS + 1, 100)).astype(np.uint8)
    _check(spec, images)


def test_accel_sparse_bad_descriptors_and_indices_stop_with_a_cause():
    """Each sparse cause stops the run at its layer (never a hang): kept packs 0 or more than
    the input words, an input that is no multiple of 32, an input longer than the build's
    column store, pack indices past the index buffer, and a bad pack index met while
    running; the model runs exactly again after each is repaired."""
    seed = 41
    print("seed", seed)
    rng = np.random.default_rng(seed)
    spec = _random_sparse_model(rng)
    accel = Accelerator(rows=ROWS, cols=COLS, **DEPTHS)
    p = loader.plan(spec, loader.Geometry.of(accel))
    images = rng.integers(0, 256, size=(COLS, 100)).astype(np.uint8)
    prog = [["w", a, v] for a, v in loader.program_writes(spec, p)]
    # The images again before each run: layer 1 writes its output over layer 0's input.
    run = [*(["w", a, v] for a, v in loader.batch_writes(spec, p, images)), ["run", 100000]]
    scores = [["r", a] for row in loader.score_addresses(spec, p, COLS) for a in row]
    sp = lambda layer, packs: ["w", D(layer, "D_SPARSE"), rm.pack("D_SPARSE", PACKS=packs)]
    idx0 = rm.window("IBUF").base + 4 * p.layers[1].i_base * ROWS       # layer 1, channel 0, q 0
    bad = [  # (writes that break it, writes that repair it, cause, layer)
        ([sp(1, 0)], [sp(1, 1)], rm.Cause.BAD_PACKS, 1),
        ([sp(1, 3)], [sp(1, 1)], rm.Cause.BAD_PACKS, 1),
        ([["w", D(1, "D_IN_FEATURES"), 70]], [["w", D(1, "D_IN_FEATURES"), 64]], rm.Cause.BAD_PACKS, 1),
        ([["w", D(1, "D_IN_FEATURES"), 160]], [["w", D(1, "D_IN_FEATURES"), 64]],
         rm.Cause.SPARSE_STORE_OVERFLOW, 1),
        ([["w", D(2, "D_SPARSE2"), 60]], [["w", D(2, "D_SPARSE2"), p.layers[2].i_base]],
         rm.Cause.IBUF_OVERFLOW, 2),
        ([["w", idx0, 2]], [["w", idx0, int(spec.layers[1].pack_index[0, 0])]],
         rm.Cause.BAD_PACK_INDEX, 1),
    ]
    script = [["r", R("FEATURES")], ["r", R("IBUF_DEPTH")], *prog, *run, *scores]
    for breaks, repairs, _, _ in bad:
        script += [*breaks, *run, *repairs]
    script += [*run, *scores]
    res = run_script(accel, script, name=accel_name(accel))
    reads, runs = res["reads"], res["runs"]
    assert reads[:2] == [rm.pack("FEATURES", SPARSE=1, SPARSE_WORDS=4), DEPTHS["i_depth"]]
    ref = golden.run(spec, torch.as_tensor(images)).scores.numpy().reshape(-1)
    np.testing.assert_array_equal(loader.unpack_scores(reads[2:2 + ref.size]), ref)
    np.testing.assert_array_equal(loader.unpack_scores(reads[-ref.size:]), ref)
    cause = lambda st: rm.Cause((st >> 8) & 0x3F)
    assert not any(r["timeout"] for r in runs)
    assert runs[0]["status"] & 0b111 == 0b010 and runs[-1]["status"] & 0b111 == 0b010
    for run, (_, _, c, layer) in zip(runs[1:-1], bad):
        st = run["status"]
        assert st & 0b111 == 0b110 and cause(st) == c and (st >> 16) & 0xF == layer, (c, hex(st))
