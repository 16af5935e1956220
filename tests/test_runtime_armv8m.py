"""The Armv8-M cores: Cortex-M33 (QEMU mps2-an505) and Cortex-M55 (mps3-an547), each with its
own memory map (runtime/port/mps2-an505.ld, mps3-an547.ld), bit-exact with the golden model,
and their SysTick calibration matching the instructions-per-tick the reports use."""

import numpy as np
import pytest

from bittern.model import golden
from bittern.runtime.cases import mlp768
from bittern.runtime.mcu import run_on_core
from bittern.runtime.qemu import INSTR_PER_TICK

SEED = 3355


@pytest.mark.parametrize("cpu", ["cortex-m33", "cortex-m55"])
def test_armv8m_core_runs_bit_exact(cpu, tmp_path):
    print(f"seed={SEED}")
    rng = np.random.default_rng(SEED)
    spec = mlp768(rng, packs=3, hidden=64)
    x = rng.integers(0, 256, size=(3, 28, 28, 1), dtype=np.uint8)
    g = golden.run(spec, x)
    res, info = run_on_core(cpu, spec, x, build_dir=tmp_path)
    assert res.labels == g.labels.tolist()
    assert res.scores == g.scores.tolist()
    assert res.measured_instr_per_tick == pytest.approx(INSTR_PER_TICK[cpu], rel=1e-3)
    assert res.workspace_bytes == info["memory"]["workspace_bytes"]
