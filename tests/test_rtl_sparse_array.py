"""3PXNet sparse systolic array: pruned packs cost no cycles, results bit-exact with the golden model.

Construction and error bits run on Amaranth's simulator; seeded random sparse layers (P = 1,
P = all, ragged tiles, several column tiles through both store banks) run on Icarus and Verilator
through cocotb, all layers of one configuration in one simulator run; one layer of a 3PXNet net
trained on MNIST runs on Verilator. Expected accumulators come from ``golden.run_layer``.
"""

import numpy as np
import pytest
import torch

from bittern.model import golden
from bittern.model.randspec import random_layer
from bittern.model.spec import WEnc
from bittern.rtl.sparse_array import SparseSystolicArray
from bittern.sim.sparse_sim import (SparseConfig, dense_equivalent_cycles, run_amaranth,
                                    run_schedules, schedule, simulate_sparse_layer)

SEED = 20261126


def sparse_case(rng, *, in_c, out_c, packs, batch):
    layer = random_layer(rng, w_enc=WEnc.SPARSE, in_c=in_c, out_c=out_c, packs=packs)
    x = torch.from_numpy(rng.choice(np.array([-1, 1]), size=(batch, in_c)))
    want = golden.run_layer(x.reshape(batch, 1, 1, in_c), layer).acc.reshape(batch, out_c)
    return layer, x, want.numpy()


def silent(**kw):
    dut = SparseSystolicArray(**kw)
    dut._MustUse__silence = True
    return dut


# ---- construction ---------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, exc, msg", [
    (dict(rows=0, cols=1, words=1), TypeError, "rows must be an integer in 1..64, not 0"),
    (dict(rows=1, cols=65, words=1), TypeError, "cols must be an integer in 1..64, not 65"),
    (dict(rows=1, cols=1, words=True), TypeError, "words must be an integer in 1..4096, not True"),
    (dict(rows=1, cols=3, words=2, out_slots=4), TypeError,
     "out_slots must be an integer in 1..3, not 4"),
    (dict(rows=1, cols=1, words=2, stage_levels=0), TypeError,
     "stage_levels must be an integer >= 1, not 0"),
    (dict(rows=1, cols=1, words=2, max_n=65), ValueError,
     "max_n 65 exceeds the 64 taps 2 words hold"),
    (dict(rows=1, cols=1, words=2, max_n=1.5), TypeError,
     "max_n must be an integer in 1..1073741823, not 1.5"),
])
def test_sparse_array_parameter_errors(kwargs, exc, msg):
    with pytest.raises(exc) as e:
        SparseSystolicArray(**kwargs)
    assert str(e.value) == msg


def test_sparse_array_derived_properties():
    dut = silent(rows=3, cols=5, words=6)
    assert (dut.rows, dut.cols, dut.words, dut.lanes, dut.banks, dut.out_slots) == (3, 5, 6, 32, 2, 1)
    assert dut.max_n == 192 and dut.acc_width == 9 and dut.idx_width == 3
    assert dut.pe_delay(0, 0) == 2 and dut.pe_delay(2, 4) == 8
    assert dut.skew == 6
    assert dut.latency == 3 + dut.pe_latency + 3
    assert dut.drain_cycles == dut.min_last_spacing == 5
    assert silent(rows=3, cols=5, words=6, out_slots=2).min_last_spacing == 3
    assert silent(rows=3, cols=5, words=6, out_slots=5).min_last_spacing == 1
    assert dut.bank_release == dut.pe_delay(2, 4)
    assert dut.ideal_cycles(3 * 5 * 32 * 4) == 4
    assert silent(rows=1, cols=1, words=1).idx_width == 1


def test_schedule_rejects_bad_operands():
    cfg = SparseConfig(2, 2, 4)
    rng = np.random.default_rng(SEED)
    layer, x, _ = sparse_case(rng, in_c=128, out_c=3, packs=2, batch=2)
    W = layer.weights.astype(np.int64)
    with pytest.raises(ValueError, match=r"sparse layers need K % 32 == 0, not K = 100"):
        schedule(cfg, W[:, :100], layer.pack_index, x[:, :100])
    with pytest.raises(ValueError, match=r"X: the sparse array takes -1/\+1 activations only"):
        schedule(cfg, W, layer.pack_index, x * 0)
    bad = layer.pack_index.astype(np.int64).copy()
    bad[0, 0] = 4
    with pytest.raises(ValueError, match=r"pack_index out of range 0..3"):
        schedule(cfg, W, bad, x)
    with pytest.raises(ValueError, match=r"W: kept packs must be -1/\+1 and pruned packs 0"):
        schedule(cfg, np.ones_like(W), layer.pack_index, x)
    with pytest.raises(ValueError, match=r"8 input words exceed the store's 4 words"):
        W8 = np.zeros((3, 256), dtype=np.int64)
        W8[:, :32] = 1
        schedule(cfg, W8, np.zeros((3, 1)), np.ones((2, 256)))


# ---- error bits and timing on Amaranth's simulator ------------------------------------------

def _drive(dut, cycles, n=32):
    """Drive {cycle: {port: value}} and return (out_valid cycles, overrun, index_error)."""
    from amaranth.hdl import Value
    from amaranth.sim import Simulator
    state = {"out": []}
    ports = ("ld_valid", "ld_bank", "ld_addr", "ld_a", "in_valid", "in_first", "in_last",
             "in_bank", "w", "idx")

    async def bench(ctx):
        ctx.set(dut.n, n)
        for t in range(max(cycles) + dut.latency + dut.cols + 4):
            for p in ports:
                sig = getattr(dut, p)
                ctx.set(Value.cast(sig), cycles.get(t, {}).get(p, 0))
            if ctx.get(dut.out_valid):
                state["out"].append((t, ctx.get(dut.out_acc.as_value())))
            await ctx.tick()
        state["overrun"] = ctx.get(dut.overrun)
        state["index_error"] = ctx.get(dut.index_error)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return state["out"], state["overrun"], state["index_error"]


def test_sparse_array_error_bits_and_latency():
    mk = lambda: SparseSystolicArray(rows=1, cols=2, words=3)
    load = {0: dict(ld_valid=1, ld_addr=2, ld_a=0xFFFF_FFFF_0000_0000)}
    word = dict(in_valid=1, in_first=1, in_last=1, idx=2, w=0x0000_00FF)
    # One word: column 0 holds 0 at address 2 (8 mismatches), column 1 all ones (24).
    dut = mk()
    out, ovr, ierr = _drive(dut, {**load, 1: word})
    assert (ovr, ierr) == (0, 0)
    assert out == [(1 + dut.latency, 32 - 2 * 8), (2 + dut.latency, (32 - 2 * 24) & ((1 << dut.acc_width) - 1))]
    # Two `last` words one cycle apart with cols = 2: overrun.
    _, ovr, ierr = _drive(mk(), {**load, 1: word, 2: word})
    assert (ovr, ierr) == (1, 0)
    # With two output slots they may: tile 0 on slot 0, tile 1 (all mismatches) on slot 1.
    dut = SparseSystolicArray(rows=1, cols=2, words=3, out_slots=2)
    w2 = dict(word, w=0xFFFF_FFFF, idx=2)
    out, ovr, ierr = _drive(dut, {**load, 1: word, 2: w2})
    assert (ovr, ierr) == (0, 0)
    m = (1 << dut.acc_width) - 1
    L = dut.latency
    # (a slot that is not valid shows n - 0 = 32)
    assert out == [(1 + L, (32 << dut.acc_width) | 16),
                   (2 + L, ((-32 & m) << dut.acc_width) | (-16 & m)),
                   (3 + L, (32 << dut.acc_width) | 32)]
    # Index 3 of a 3-word store, on the compute port and on the load port: index_error.
    _, ovr, ierr = _drive(mk(), {**load, 1: dict(word, idx=3)})
    assert (ovr, ierr) == (0, 1)
    _, ovr, ierr = _drive(mk(), {0: dict(ld_valid=1, ld_addr=3)})
    assert (ovr, ierr) == (0, 1)
    # An invalid word's index is ignored.
    _, ovr, ierr = _drive(mk(), {1: dict(idx=3)})
    assert (ovr, ierr) == (0, 0)


def test_sparse_array_amaranth_two_banks():
    print(f"seed {SEED}")
    rng = np.random.default_rng([SEED, 1])
    layer, x, want = sparse_case(rng, in_c=96, out_c=5, packs=2, batch=5)
    cfg = SparseConfig(2, 2, 3)
    (acc, st), = run_schedules([schedule(cfg, layer.weights, layer.pack_index, x)],
                               simulator="amaranth")
    assert np.array_equal(acc, want)
    assert st.cycles >= st.ideal_cycles


# ---- Icarus and Verilator -----------------------------------------------------------------------

# (rows, cols, words, out_slots). Verilator (slow builds) gets one shape, shared with the
# trained-layer test; two slots there because that layer has only 2 input words and `last`
# words must be ceil(cols / out_slots) cycles apart.
SHAPES = {"icarus": [(3, 2, 6, 1), (1, 4, 4, 4), (4, 1, 3, 1), (2, 4, 4, 2)],
          "verilator": [(3, 2, 6, 2)]}


def cases(rows, cols, words, rng):
    """(name, layer, x, golden acc): P = 1, P = all words, ragged tiles, several column tiles."""
    out = []
    for name, in_w, packs, out_c, batch in [
        ("P=1", words, 1, 2 * rows + 1, cols),
        ("P=all", words, words, rows, 2 * cols + 1),
        ("P=half, ragged", words, max(1, words // 2), rows + 1, 3 * cols + 1),
        ("short vector", max(1, words - 1), 1, 1, 1),
    ]:
        layer, x, want = sparse_case(rng, in_c=32 * in_w, out_c=out_c, packs=packs, batch=batch)
        out.append((name, layer, x, want))
    return out


@pytest.mark.parametrize("simulator, shape",
                         [(s, sh) for s, shapes in SHAPES.items() for sh in shapes])
def test_sparse_array_random_layers(simulator, shape):
    rows, cols, words, slots = shape
    seed = [SEED, rows, cols, words, slots]
    print(f"seed {seed}")
    rng = np.random.default_rng(seed)
    cfg = SparseConfig(rows, cols, words, out_slots=slots)
    cs = cases(rows, cols, words, rng)
    res = run_schedules([schedule(cfg, l.weights, l.pack_index, x) for _, l, x, _ in cs],
                        simulator=simulator)
    for (name, layer, x, want), (acc, st) in zip(cs, res):
        assert np.array_equal(acc, want), name
        assert st.cycles >= st.ideal_cycles > 0, name


def test_sparse_layer_saves_cycles_against_the_dense_array():
    """The dense array's cycles used in the report are what it really takes (run it), and the
    sparse array beats them by about in_words / P."""
    from bittern.sim.layer_sim import ArrayConfig
    from bittern.sim.layer_sim import run_schedules as dense_run
    from bittern.sim.layer_sim import schedule as dense_schedule
    print(f"seed {SEED}")
    rng = np.random.default_rng([SEED, 2])
    layer, x, want = sparse_case(rng, in_c=32 * 16, out_c=12, packs=2, batch=2)
    run = simulate_sparse_layer(x, layer, rows=4, cols=2, simulator="icarus")
    assert np.array_equal(run.acc.reshape(2, 12).numpy(), want)
    assert (run.packs, run.in_words, run.path) == (2, 16, "sparse")
    dense = dense_run([dense_schedule(ArrayConfig(4, 2, 32, pe="ternary"),
                                      layer.weights.astype(np.int64), x.numpy())],
                      simulator="icarus")
    (dacc, _, dst), = dense
    assert np.array_equal(dacc, want)
    assert dst.cycles == run.dense_cycles == dense_equivalent_cycles(
        rows=4, cols=2, batch=2, out_c=12, in_words=16)
    # 3 output tiles: dense 3*16 words, sparse 16 (load) + 3*2 words, plus the same fill/drain.
    print(f"dense {run.dense_cycles} cycles, sparse {run.cycles} cycles, x{run.saving:.2f}")
    assert run.cycles < run.dense_cycles and run.saving > 1.7


def test_sparse_layer_of_a_trained_3pxnet_on_verilator(trained_spec, mnist):
    """The sparse hidden layer of a 3PXNet MLP trained on MNIST (the `sparse` family of
    tests/test_families.py, trained once per session), on its real inputs."""
    from bittern.model.spec import WEnc as W
    from test_families import FAMILIES, FAMILY_EPOCHS
    spec = trained_spec(FAMILIES["sparse"], FAMILY_EPOCHS)
    i = next(k for k, l in enumerate(spec.layers) if l.w_enc == W.SPARSE)
    layer = spec.layers[i]
    gold = golden.run(spec, mnist.test_x[:8])
    x = gold.trace[i - 1].values
    run = simulate_sparse_layer(x, layer, rows=3, cols=2, words=6, out_slots=2,
                                simulator="verilator", index=i)
    assert torch.equal(run.acc, gold.trace[i].acc)
    assert torch.equal(run.values, gold.trace[i].values)
    print(f"trained layer {i}: {run.packs} of {run.in_words} packs, dense {run.dense_cycles} "
          f"cycles, sparse {run.cycles} cycles, x{run.saving:.2f}")
    assert (run.packs, run.in_words) == (1, 2)
    assert run.saving > 1.5
