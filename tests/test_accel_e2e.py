"""The whole accelerator (bus, registers, buffers, sequencer, array, thresholds) in cocotb.

A model goes in purely through Wishbone writes, scores come back through reads, and they must
equal the golden model bit-exactly. ``run_model_on_accel`` takes any ModelSpec, so the trained
MNIST MLP fixture (when present) runs through the same path.
"""

import numpy as np
import pytest
import torch

from bittern.model import golden, randspec
from bittern.model.spec import Enc
from bittern.rtl.loader import UnsupportedLayer
from bittern.sim.tb_accel_host import run_on_accelerator


# The Accelerator's default depths: the 4x2 build is then the very design tests/test_cosim.py and
# tests/test_accel_regs.py run (one Verilator build for all of them, see sim/runner.py), and the
# 2x4 one is shared by the random and the trained MLP. The 8x1 case keeps the loader's tight
# default_depths (every buffer filled to its last word).
DEPTHS = dict(w_depth=1024, a_depth=64, t_depth=64, s_depth=64)


def check_model_on_accel(spec, images, *, rows, cols, simulator="verilator", ram="inferred",
                         depths=None):
    res = run_on_accelerator(spec, images, rows=rows, cols=cols, simulator=simulator, ram=ram,
                             depths=depths)
    ref = golden.run(spec, torch.as_tensor(images))
    np.testing.assert_array_equal(res.scores, ref.scores.numpy())
    np.testing.assert_array_equal(res.labels, ref.labels.numpy())
    return res


@pytest.mark.parametrize("seed,rows,cols,hidden,in_features,classes,depths", [
    (11, 4, 2, (40, 24), 70, 10, DEPTHS),   # partial tiles, words not a multiple of 32
    (12, 2, 4, (33,), 64, 3, DEPTHS),       # W < cols: the schedule must space the tiles
    (13, 8, 1, (96, 17), 100, 10, None),    # one column, several output words per layer
], ids=["11-4x2", "12-2x4", "13-8x1-tight"])
def test_accel_random_mlp_bit_exact(seed, rows, cols, hidden, in_features, classes, depths):
    print("seed", seed)
    rng = np.random.default_rng(seed)
    spec = randspec.random_model(rng, hidden=hidden, in_features=in_features, classes=classes)
    images = rng.integers(0, 256, size=(2 * cols + 1, in_features)).astype(np.uint8)
    res = check_model_on_accel(spec, images, rows=rows, cols=cols, depths=depths)
    # The hardware counters: every array cycle is a useful word pair, never more than ideal.
    ideal = sum(-(-l.out_c // rows) * -(-l.in_c // 32) for l in spec.layers)
    assert res.active == ideal * res.batches
    assert res.cycles > res.active
    # The estimate before synthesis (rtl/estimate.py: the ops' cycles plus fitted overheads)
    # against the hardware's PERF_CYCLES.
    from bittern.rtl.estimate import estimate
    e = estimate("icebreaker", rows, cols, model=spec, depths=depths, ram="inferred")
    print("PERF_CYCLES per batch", res.cycles / res.batches, "estimate", e.cycles_per_image * cols)
    assert abs(e.cycles_per_image * cols / (res.cycles / res.batches) - 1) < 0.05


@pytest.mark.parametrize("ram", ["spram", "dp16kd"])
def test_accel_board_memories_bit_exact(ram):
    """The buffers as the board builds make them (iCE40 SPRAM weights, ECP5 DP16KD with its
    output register), with the primitives' simulation models on Icarus: same scores as golden.
    784-96-10 on 2 rows needs 1,215 weight words per bank: DP16KD's second depth group is used."""
    seed = 14
    print("seed", seed)
    rng = np.random.default_rng(seed)
    spec = randspec.random_model(rng, hidden=(96,), in_features=784, classes=10)
    images = rng.integers(0, 256, size=(3, 784)).astype(np.uint8)
    res = check_model_on_accel(spec, images, rows=2, cols=2, simulator="icarus", ram=ram)
    assert res.batches == 2


def test_accel_thresholds_at_the_accumulator_range_edges():
    """The sequencer keeps thresholds outside its accumulator range as always/never flags and
    the rest as a narrow addend: thresholds at, just inside and just outside that range, and at
    the format's limits, in both directions, must still give golden's bits."""
    from bittern.model.spec import THRESHOLD_LIMIT
    from bittern.rtl.pe import acc_width_for
    seed = 15
    print("seed", seed)
    rng = np.random.default_rng(seed)
    spec = randspec.random_model(rng, hidden=(40, 24), in_features=70, classes=10)
    aw = acc_width_for(min(32 * DEPTHS["a_depth"], 0xFFFF))     # Accelerator.acc_width
    hi, lo = (1 << (aw - 1)) - 1, -(1 << (aw - 1))
    edges = [hi, hi + 1, lo, lo - 1, THRESHOLD_LIMIT, -THRESHOLD_LIMIT]
    layer = spec.layers[0]
    for i, (t, d) in enumerate((t, d) for t in edges for d in (1, -1)):
        layer.thresholds[i, 0], layer.directions[i] = t, d
    # A few channels of layer 1 cross at the real accumulators' edges (|acc| <= 40).
    spec.layers[1].thresholds[:4, 0] = [40, -40, 40, -40]
    spec.layers[1].directions[:4] = [1, 1, -1, -1]
    images = rng.integers(0, 256, size=(4, 70)).astype(np.uint8)
    check_model_on_accel(spec, images, rows=4, cols=2, depths=DEPTHS)


def test_accel_u8_first_layer_is_unsupported():
    rng = np.random.default_rng(5)
    print("seed", 5)
    spec = randspec.random_model(rng, input_threshold=0)
    with pytest.raises(UnsupportedLayer, match=r"layer 0 \(dense 70->40\): this accelerator build has no DENSE_PLANES_U8_BIN"):
        run_on_accelerator(spec, np.zeros((1, 70), np.uint8), rows=2, cols=2)


def test_accel_ternary_layer_is_unsupported():
    rng = np.random.default_rng(6)
    print("seed", 6)
    spec = randspec.random_model(rng)
    spec.layers[1] = randspec.random_layer(rng, in_c=40, out_c=24, w_enc=2)
    with pytest.raises(UnsupportedLayer, match=r"layer 1 \(dense 40->24\): this accelerator build has no DENSE_PLANES_BIN_TER"):
        run_on_accelerator(spec, np.zeros((1, 70), np.uint8), rows=2, cols=2)


def test_accel_trained_mnist_mlp_bit_exact(small_trained_mlp_spec, test_images):
    """A trained MNIST MLP (784-64-32-10) on real MNIST digits, from bus writes to score reads
    (two batches of four on the 2x4 build of the random MLP above)."""
    images, labels = test_images
    images = np.asarray(images)[:8].reshape(8, -1).astype(np.uint8)
    res = check_model_on_accel(small_trained_mlp_spec, images, rows=2, cols=4, depths=DEPTHS)
    print("accelerator labels", res.labels, "true", np.asarray(labels)[:8],
          "utilisation", round(res.utilisation, 3), "cycles/batch", res.cycles / res.batches)
