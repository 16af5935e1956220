"""Register map, generated files, misuse errors (never a hang), and parameter checks.

The bus tests run one cocotb script on one accelerator and check
every error cause the issue names: start while busy, a descriptor that exceeds a buffer, an
unsupported layer kind, plus bad addresses, bus writes while busy and a bad layer count. The
accelerator is 4x2 with the default depths: the build tests/test_cosim.py and
tests/test_accel_e2e.py run too (one Verilator build, see sim/runner.py).
"""

from pathlib import Path

import numpy as np
import pytest
import torch

from bittern.model import golden, randspec
from bittern.rtl import loader
from bittern.rtl import regmap as rm
from bittern.rtl.accelerator import Accelerator
from bittern.sim.tb_accel_host import accel_name, run_script

ROOT = Path(__file__).resolve().parent.parent
R = lambda name: rm.reg(name).offset
D = rm.desc_addr


def test_accel_generated_files_are_current():
    assert (ROOT / "docs" / "registers.md").read_text() == rm.generate_markdown()
    assert (ROOT / "runtime" / "include" / "bittern_regs.h").read_text() == rm.generate_c_header()


def test_accel_regmap_has_no_overlaps():
    regs = sorted(r.offset for r in rm.REGISTERS)
    assert len(set(regs)) == len(regs) and regs[-1] < rm.DESC_BASE
    end = rm.DESC_BASE + rm.MAX_LAYERS * rm.DESC_STRIDE
    spans = sorted((w.base, w.base + w.size) for w in rm.WINDOWS)
    assert end <= spans[0][0]
    for (a0, a1), (b0, _) in zip(spans, spans[1:]):
        assert a1 <= b0
    assert spans[-1][1] <= 1 << rm.ADDR_BITS
    for r in rm.REGISTERS:
        masks = [f.mask for f in r.fields]
        assert sum(masks) == np.bitwise_or.reduce(masks + [0]), r.name


def test_accel_parameter_errors():
    with pytest.raises(TypeError, match=r"^rows must be a power of two in 1\.\.32, not 3$"):
        Accelerator(rows=3, cols=2)
    with pytest.raises(ValueError, match=r"^lanes must be 32 \(the buffers hold 32-bit words\), not 16$"):
        Accelerator(rows=2, cols=2, lanes=16)
    with pytest.raises(TypeError, match=r"^w_depth must be an integer in 2\.\.32768, not 1$"):
        Accelerator(rows=2, cols=2, w_depth=1)
    with pytest.raises(ValueError, match=r"^a weight buffer of 4 row banks x 256 words needs 8 SPRAMs, "
                                         r"the UP5K has 4 \(two per 16384 words of a 32-bit row bank\)$"):
        Accelerator(rows=4, cols=2, w_depth=256, ram="spram")
    with pytest.raises(ValueError, match=r"^ram must be one of inferred, dp16kd, spram, not 'lutram'$"):
        Accelerator(rows=2, cols=2, ram="lutram")


def test_accel_misuse_sets_error_causes():
    seed = 21
    print("seed", seed)
    rng = np.random.default_rng(seed)
    spec = randspec.random_model(rng, hidden=(64,), in_features=96, classes=10)
    accel = Accelerator(rows=4, cols=2)
    W, A, T, S = accel.w_depth, accel.a_depth, accel.t_depth, accel.s_depth
    p = loader.plan(spec, loader.Geometry.of(accel))
    images = rng.integers(0, 256, size=(2, 96)).astype(np.uint8)
    prog = [["w", a, v] for a, v in loader.program_writes(spec, p)]
    prog += [["w", a, v] for a, v in loader.batch_writes(spec, p, images)]
    scores = [["r", a] for row in loader.score_addresses(spec, p, 2) for a in row]
    sbuf = rm.window("SBUF").base
    script = [
        ["r", R("ID")], ["r", R("VERSION")], ["r", R("CONFIG")], ["r", R("WBUF_DEPTH")],   # 0-3
        ["r", R("N_LAYERS")],                                                             # 4
        ["wait", 100], ["run", 1000],                                                     # run 0: 0 layers
        *prog,
        ["r", D(0, "D_IN_FEATURES")],                                                     # 5
        ["run", 100000], *scores,                                                         # run 1: good
        # start while busy: the run continues and still completes
        ["w", R("CTRL"), 1], ["w", R("CTRL"), 1], ["w", rm.window("ABUF").base, 7],
        ["r", R("STATUS")], ["wait", 100000], ["r", R("STATUS")], *scores,                # run 2
        # CLEAR
        ["w", R("CTRL"), 2], ["r", R("STATUS")],
        # bad addresses: unmapped read (returns 0), write to a RO register, write to SBUF
        ["r", 0x3000], ["r", R("STATUS")], ["w", R("CTRL"), 2],
        ["w", R("ID"), 1], ["r", R("STATUS")], ["w", R("CTRL"), 2],
        ["w", sbuf, 1], ["r", R("STATUS")], ["w", R("CTRL"), 2],
        # descriptor errors (layer 1 each time)
        ["w", D(1, "D_CFG"), loader.DESC_CFG(2, 1, 1, 0)], ["run", 10000],                # 3: conv
        ["w", D(1, "D_CFG"), loader.DESC_CFG(1, 1, 2, 0)], ["run", 10000],                # 4: ternary
        ["w", D(1, "D_CFG"), loader.DESC_CFG(1, 1, 3, 0)], ["run", 10000],                # sparse: not built
        ["w", D(1, "D_CFG"), loader.DESC_CFG(1, 1, 1, 1)], ["run", 10000],                # 5: not scores
        ["w", D(1, "D_CFG"), loader.DESC_CFG(1, 1, 1, 0)],
        ["w", D(1, "D_W_BASE"), W - 4], ["run", 10000],                                   # 6: weights
        ["w", D(1, "D_W_BASE"), p.layers[1].w_base],
        ["w", D(1, "D_A_IN"), A - 1], ["run", 10000],                                     # 7: input
        ["w", D(1, "D_A_IN"), p.layers[1].a_in],
        ["w", D(1, "D_A_OUT"), S - 1], ["run", 10000],                                    # 8: scores
        ["w", D(1, "D_A_OUT"), p.layers[1].a_out],
        ["w", D(0, "D_T_BASE"), T - 1], ["run", 10000],                                   # 9: thresholds
        ["w", D(0, "D_T_BASE"), p.layers[0].t_base],
        ["w", D(1, "D_IN_FEATURES"), 0], ["run", 10000],                                  # 10: shape
        ["w", D(1, "D_IN_FEATURES"), spec.layers[1].in_c],
        ["w", R("N_LAYERS"), 17], ["run", 10000],                                         # 11: count
        ["w", R("N_LAYERS"), 2], ["run", 100000], *scores,                                # 12: good again
    ]
    res = run_script(accel, script, name=accel_name(accel))
    reads, runs = res["reads"], res["runs"]
    ref = golden.run(spec, torch.as_tensor(images)).scores.numpy().reshape(-1)
    n = ref.size
    assert reads[:5] == [rm.ID_VALUE, rm.VERSION, rm.pack("CONFIG", ROWS=4, COLS=2, LANES=32), W, 0]
    assert reads[5] == 96
    cause = lambda st: rm.Cause(rm.unpack("STATUS", st)["CAUSE"])
    layer = lambda st: rm.unpack("STATUS", st)["LAYER"]
    flags = lambda st: tuple(rm.unpack("STATUS", st)[f] for f in ("BUSY", "DONE", "ERROR"))
    DONE_OK, DONE_ERROR = (0, 1, 0), (0, 1, 1)
    assert [r["timeout"] for r in runs] == [False] * len(runs)
    runs = runs[1:3] + runs[4:]                                    # drop the "wait" records
    assert cause(runs[0]["status"]) == rm.Cause.BAD_LAYER_COUNT and flags(runs[0]["status"])[1:] == (1, 1)
    assert flags(runs[1]["status"]) == DONE_OK
    np.testing.assert_array_equal(loader.unpack_scores(reads[6:6 + n]), ref)
    # The hardware counted exactly the ideal number of array cycles.
    assert runs[1]["active"] == sum(lp.cycles for lp in p.layers)
    i = 6 + n
    busy_status, after_status = reads[i], reads[i + 1]
    assert flags(busy_status)[0] and cause(busy_status) == rm.Cause.START_WHILE_BUSY
    assert flags(after_status) == DONE_ERROR and cause(after_status) == rm.Cause.START_WHILE_BUSY
    np.testing.assert_array_equal(loader.unpack_scores(reads[i + 2:i + 2 + n]), ref)
    i += 2 + n
    assert flags(reads[i]) == (0, 0, 0) and cause(reads[i]) == rm.Cause.NONE   # CLEAR
    assert reads[i + 1] == 0 and cause(reads[i + 2]) == rm.Cause.BAD_ADDRESS
    assert cause(reads[i + 3]) == rm.Cause.BAD_ADDRESS
    assert cause(reads[i + 4]) == rm.Cause.BAD_ADDRESS
    expect = [rm.Cause.UNSUPPORTED_LAYER, rm.Cause.UNSUPPORTED_LAYER, rm.Cause.UNSUPPORTED_LAYER,
              rm.Cause.SCORES_NOT_LAST,
              rm.Cause.WBUF_OVERFLOW, rm.Cause.ABUF_OVERFLOW, rm.Cause.SBUF_OVERFLOW,
              rm.Cause.TBUF_OVERFLOW, rm.Cause.BAD_SHAPE, rm.Cause.BAD_LAYER_COUNT]
    layers = [1, 1, 1, 1, 1, 1, 1, 0, 1, 0]
    for run, c, lay in zip(runs[2:12], expect, layers):
        assert flags(run["status"]) == DONE_ERROR, (c, hex(run["status"]))
        assert cause(run["status"]) == c and layer(run["status"]) == lay, (c, hex(run["status"]))
    assert len(runs) == 13 and flags(runs[12]["status"]) == DONE_OK
    np.testing.assert_array_equal(loader.unpack_scores(reads[-n:]), ref)
