"""Fast unit tests on Amaranth's simulator: parameters, adder trees, PE latency, overrun, thresholds.

The cocotb tests (test_sim_*.py) are the reference; these catch construction and timing errors
in seconds.
"""

import numpy as np
import pytest
import torch
from amaranth.hdl import signed, unsigned
from amaranth.sim import Simulator

from bittern.model import golden
from bittern.rtl.array import SystolicArray
from bittern.rtl.pe import TernaryPE, XnorPopcountPE
from bittern.rtl.popcount import AdderTree, Popcount
from bittern.rtl.threshold import ThresholdUnit, clamp_thresholds
from bittern.sim.layer_sim import ArrayConfig, run_schedules, schedule

SEED = 99


@pytest.mark.parametrize("kwargs,exc,msg", [
    (dict(rows=0, cols=1, lanes=8), TypeError, "rows must be an integer in 1..64, not 0"),
    (dict(rows=1, cols=65, lanes=8), TypeError, "cols must be an integer in 1..64, not 65"),
    (dict(rows=1, cols=1, lanes="8"), TypeError, "lanes must be an integer in 1..1024, not '8'"),
    (dict(rows=1, cols=1, lanes=8, pe="int"), ValueError, "pe must be 'xnor' or 'ternary', not 'int'"),
    (dict(rows=1, cols=1, lanes=8, act_bits=2), ValueError, "act_bits is only for pe='ternary', not pe='xnor'"),
    (dict(rows=1, cols=1, lanes=8, pe="ternary", act_bits=9), TypeError, "act_bits must be an integer in 1..8, not 9"),
    (dict(rows=1, cols=1, lanes=8, acc_width=12, max_n=5), ValueError, "give acc_width or max_n, not both"),
    (dict(rows=1, cols=1, lanes=8, acc_width=1), TypeError, "acc_width must be an integer in 2..32, not 1"),
    (dict(rows=1, cols=1, lanes=8, max_n=0), TypeError, "max_n must be an integer in 1..2147483647, not 0"),
    (dict(rows=1, cols=1, lanes=8, pe="ternary", act_bits=8, max_n=1 << 24), ValueError,
     "max_n 16777216 with |a| <= 255 needs more than 32 bits"),
])
def test_array_parameter_errors(kwargs, exc, msg):
    with pytest.raises(exc) as e:
        SystolicArray(**kwargs)
    assert str(e.value) == msg


def test_array_derived_properties():
    a = SystolicArray(rows=4, cols=3, lanes=32, max_n=1000)
    assert a.acc_width == 11                      # ceil(log2(1001)) + 1
    assert a.pe_latency == 4                      # 5 adder levels / 2 per stage -> 3, +1
    assert a.latency == 4 + 3 + a.pe_latency + 1
    assert (a.skew, a.drain_cycles, a.min_last_spacing) == (5, 3, 3)
    assert a.pe_delay(2, 1) == 4
    b = SystolicArray(rows=2, cols=2, lanes=8, pe="ternary", act_bits=4, acc_width=16)
    assert b.max_n == 32767 // 15
    assert (b.a_bits, b.w_bits) == (32, 16)
    for x in (a, b):
        x._MustUse__silence = True


def test_other_parameter_errors():
    with pytest.raises(TypeError, match=r"^count must be an integer >= 1, not 0$"):
        AdderTree(count=0)
    with pytest.raises(TypeError, match=r"^lanes must be an integer in 1..1024, not 0$"):
        XnorPopcountPE(lanes=0)
    with pytest.raises(TypeError, match=r"^n_thr must be an integer in 1..255, not 256$"):
        ThresholdUnit(acc_width=8, n_thr=256)


@pytest.mark.parametrize("count,shape,stage", [(64, unsigned(1), 2), (13, signed(5), 1),
                                               (1, unsigned(1), 3), (8, signed(9), 3)])
def test_adder_tree_sums_with_its_latency(count, shape, stage):
    rng = np.random.default_rng([SEED, count])
    dut = AdderTree(count=count, shape=shape, stage_levels=stage)
    lo, hi = (-(1 << (shape.width - 1)), 1 << (shape.width - 1)) if shape.signed else (0, 1 << shape.width)
    vecs = [rng.integers(lo, hi, size=count) for _ in range(20)]
    vecs += [np.full(count, hi - 1), np.full(count, lo)]         # extremes
    got = []

    async def bench(ctx):
        for t in range(len(vecs) + dut.latency):
            if t < len(vecs):
                for k in range(count):
                    ctx.set(dut.i[k], int(vecs[t][k]))
            if t >= dut.latency:
                got.append(ctx.get(dut.o))
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert got == [int(v.sum()) for v in vecs]


def test_popcount_width():
    p = Popcount(width=64)
    assert p.sum_shape == unsigned(7) and p.latency == 3
    p._MustUse__silence = True


def test_overrun_flags_too_close_last_words():
    cfg = ArrayConfig(2, 4, 8)
    rng = np.random.default_rng(SEED)
    W, X = rng.choice([-1, 1], size=(2, 8)), rng.choice([-1, 1], size=(4, 8))
    s = schedule(cfg, W, X)
    # Two one-word reductions back to back: `last` 1 cycle apart, < drain_cycles = 4.
    s.valid += [1, 1]
    s.first += [1, 1]
    s.last += [1, 1]
    s.w += s.w[:1] * 2
    s.a += s.a[:1] * 2
    s.tiles += [(0, 0), (0, 0)]
    s.last_cycles += [len(s.valid) - 2, len(s.valid) - 1]
    with pytest.raises(AssertionError, match="overrun"):
        run_schedules([s], simulator="amaranth")


@pytest.mark.parametrize("cfg", [ArrayConfig(1, 1, 8), ArrayConfig(3, 2, 16, stage_levels=1),
                                 ArrayConfig(2, 3, 8, pe="ternary"),
                                 ArrayConfig(2, 2, 4, pe="ternary", act_bits=8)],
                         ids=lambda c: c.name)
def test_array_amaranth(cfg):
    rng = np.random.default_rng([SEED, cfg.rows, cfg.cols])
    K = 3 * cfg.lanes + 1
    if cfg.pe == "xnor":
        W, X = rng.choice([-1, 1], size=(5, K)), rng.choice([-1, 1], size=(4, K))
    elif cfg.act_bits is None:
        W, X = rng.choice([-1, 0, 1], size=(5, K)), rng.choice([-1, 0, 1], size=(4, K))
    else:
        W, X = rng.choice([-1, 0, 1], size=(5, K)), rng.integers(0, 256, size=(4, K))
    (acc, fired, st), = run_schedules([schedule(cfg, W, X)], simulator="amaranth")
    assert np.array_equal(acc, X @ W.T)


def test_schedule_rejects_bad_operands():
    with pytest.raises(ValueError, match="the xnor array takes -1/\\+1 values only"):
        schedule(ArrayConfig(1, 1, 8), np.zeros((1, 4)), np.ones((1, 4)))
    with pytest.raises(ValueError, match="exceeds the array's max_n 10"):
        schedule(ArrayConfig(1, 1, 8, max_n=10), np.ones((1, 11)), np.ones((1, 11)))


def test_threshold_unit_amaranth():
    rng = np.random.default_rng(SEED)
    dut = ThresholdUnit(acc_width=10, n_thr=3, thr_width=11)
    t = np.sort(rng.integers(-300, 300, size=(4, 3)), axis=1)
    t[0] = [-(1 << 30), 0, 1 << 30]
    d = np.array([1, -1, 1, -1])
    t[1] = t[1][::-1]
    tc = clamp_thresholds(t, 511)
    accs = rng.integers(-511, 512, size=60)
    accs[:6] = [511, -511, int(t[2, 0]), int(t[3, 1]), 0, -1]
    chans = rng.integers(0, 4, size=60)
    got = []

    async def bench(ctx):
        for k in range(len(accs) + dut.latency):
            if k < len(accs):
                c = chans[k]
                ctx.set(dut.acc, int(accs[k]))
                ctx.set(dut.descending, int(d[c] < 0))
                for j in range(3):
                    ctx.set(dut.thresholds[j], int(tc[c, j]))
                ctx.set(dut.i_valid, 1)
            else:
                ctx.set(dut.i_valid, 0)
            if ctx.get(dut.o_valid):
                got.append(ctx.get(dut.code))
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    want = [int(golden.apply_thresholds(torch.tensor([int(a)]), t[c:c + 1], d[c:c + 1])[0])
            for a, c in zip(accs, chans)]
    assert got == want
