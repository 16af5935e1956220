"""ThresholdUnit on Icarus and Verilator: codes bit-exact with golden.apply_thresholds."""


import numpy as np
import pytest
import torch

from bittern.model import golden
from bittern.model.randspec import random_thresholds
from bittern.model.spec import THRESHOLD_LIMIT
from bittern.rtl.threshold import ThresholdUnit
from bittern.sim.runner import run_job

SEED = 7311


def vectors(rng, n_thr, acc_width, count):
    """Random channels (thresholds, directions) and accumulators, with ties and clamps."""
    bound = (1 << (acc_width - 1)) - 1
    t, d = random_thresholds(rng, 8, n_thr, bound // 2)
    t[1, :] = THRESHOLD_LIMIT if d[1] < 0 else -THRESHOLD_LIMIT   # always crossed
    t[2, :] = -THRESHOLD_LIMIT if d[2] < 0 else THRESHOLD_LIMIT   # never crossed
    ch = rng.integers(0, 8, size=count)
    acc = rng.integers(-bound, bound + 1, size=count)
    tie = rng.random(count) < 0.3                      # acc exactly on a threshold
    j = rng.integers(0, n_thr, size=count)
    acc = np.where(tie, np.clip(t[ch, j], -bound, bound), acc)
    acc[:4] = [bound, -bound, 0, -1]
    return t, d, ch, acc


# Verilator builds cost ~10-60 s each here: one configuration on Verilator, all on Icarus.
@pytest.mark.parametrize("n_thr,acc_width,simulator", [
    (1, 12, "icarus"), (2, 10, "icarus"), (15, 16, "icarus"), (15, 16, "verilator")])
def test_threshold_unit_matches_golden(n_thr, acc_width, simulator, tmp_path):
    print(f"seed {SEED}")
    rng = np.random.default_rng([SEED, n_thr])
    t, d, ch, acc = vectors(rng, n_thr, acc_width, 300)
    dut = ThresholdUnit(acc_width=acc_width, n_thr=n_thr)
    mask = (1 << 32) - 1
    vec = []
    for c, a in zip(ch, acc):
        flat = sum((int(t[c, k]) & mask) << (32 * k) for k in range(n_thr))
        vec.append([int(a), int(d[c] < 0), str(flat)])
    res, _ = run_job(dut, {"latency": dut.latency, "vectors": vec}, name=f"thr_l{n_thr}_a{acc_width}",
                     test_module="tb_threshold", simulator=simulator, workdir=tmp_path)
    out = res["outputs"]
    assert [o[0] for o in out] == [k + dut.latency for k in range(len(vec))], "latency"
    got = np.array([o[1] for o in out])
    want = np.array([int(golden.apply_thresholds(torch.tensor([int(a)]), t[c:c + 1], d[c:c + 1])[0])
                     for c, a in zip(ch, acc)])
    assert np.array_equal(got, want)
