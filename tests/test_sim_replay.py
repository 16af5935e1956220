"""The bus-transaction replay (clock inside the simulator) against the cocotb bus path and golden.

Every accelerator here has the same geometry and depths, so Verilator builds it once for all of
them (its -O3 model takes a minute or two to compile; the runs take milliseconds).
"""

import numpy as np
import pytest
import torch

from bittern.model import golden, randspec
from bittern.rtl import loader
from bittern.rtl import regmap as rm
from bittern.rtl.accelerator import Accelerator
from bittern.rtl.loader import UnsupportedLayer
from bittern.sim import replay
from bittern.sim.runner import SimulationError
from bittern.sim.tb_accel_host import accel_name, run_script

DEPTHS = dict(w_depth=1024, a_depth=64, t_depth=64, s_depth=64)   # Accelerator's defaults
ROWS, COLS = 2, 2


def tiny_model(rng):
    return randspec.random_model(rng, hidden=(40,), in_features=70, classes=3)


def golden_scores(spec, images):
    return golden.run(spec, torch.as_tensor(images)).scores.numpy()


def test_sim_replay_equals_the_cocotb_bus_path():
    """The same transactions through cocotb's Wishbone master (Python steps every clock) and
    through the replay harness on Verilator and Icarus: every word read back is identical:
    scores, STATUS and the hardware's cycle/activity/tile counters."""
    seed = 21
    print("seed", seed)
    rng = np.random.default_rng(seed)
    spec = tiny_model(rng)
    images = rng.integers(0, 256, size=(3, 70)).astype(np.uint8)
    p = loader.plan(spec, loader.Geometry(rows=ROWS, cols=COLS, **DEPTHS))
    txn, batches = replay.model_transactions(spec, p, images, max_cycles=100_000)
    # a reset at the end (the Verilator harness delays it by its reset register): the
    # counters read after it must be the cleared ones on every path
    txn.reset()
    for name in ("STATUS", *replay.PERF):
        txn.read(rm.reg(name).offset)
    accel = Accelerator(rows=ROWS, cols=COLS, **DEPTHS)
    bus = run_script(accel, txn.as_script(), name=accel_name(accel), simulator="icarus")
    assert bus["reads"][-3:] == [0, 0, 0]
    for sim in ("verilator", "icarus"):
        res = replay.replay(Accelerator(rows=ROWS, cols=COLS, **DEPTHS), txn,
                            name=accel_name(accel), simulator=sim)
        assert res.reads == bus["reads"], sim
        assert [not t for _, t in res.waits] == [True] * batches
    run = replay.decode_model_run(spec, p, res, len(images), batches, 100_000)
    np.testing.assert_array_equal(run.scores, golden_scores(spec, images))


@pytest.mark.parametrize("simulator", ["verilator", "amaranth"])
def test_sim_replay_random_mlp_bit_exact(simulator):
    """Partial tiles, several batches, a last partial batch; Amaranth's simulator on the same
    transactions (slow: a tiny model)."""
    seed = 22
    print("seed", seed)
    rng = np.random.default_rng(seed)
    if simulator == "amaranth":
        spec, n = tiny_model(rng), 3
    else:
        spec, n = randspec.random_model(rng, hidden=(40, 24), in_features=70, classes=10), 41
    images = rng.integers(0, 256, size=(n, 70)).astype(np.uint8)
    run = replay.run_model(spec, images, rows=ROWS, cols=COLS, simulator=simulator, depths=DEPTHS)
    np.testing.assert_array_equal(run.scores, golden_scores(spec, images))
    ideal = sum(-(-l.out_c // ROWS) * -(-l.in_c // 32) for l in spec.layers)
    assert run.active == ideal * run.batches
    assert run.batches == -(-n // COLS)
    assert run.sim.cycles > run.cycles > run.active


def test_sim_replay_trained_mnist_mlp_bit_exact(small_trained_mlp_spec, mnist):
    """The trained 784-64-32-10 MLP on 200 real MNIST digits through the whole accelerator."""
    images = mnist.test_x[:200].reshape(200, -1).astype(np.uint8)
    run = replay.run_model(small_trained_mlp_spec, images, rows=ROWS, cols=COLS,
                           depths=DEPTHS)
    np.testing.assert_array_equal(run.scores, golden_scores(small_trained_mlp_spec, images))
    acc = float(np.mean(run.labels == mnist.test_y[:200]))
    print(f"accuracy {acc:.3f}, {run.sim.cycles} cycles in {run.sim.wall_s:.2f} s "
          f"({run.sim.cycles_per_s:,.0f} cycles/s)")
    assert acc > 0.8


def test_sim_replay_reports_a_run_that_never_finishes():
    rng = np.random.default_rng(23)
    print("seed", 23)
    spec = tiny_model(rng)
    with pytest.raises(SimulationError, match=r"batch 0: the accelerator was still busy after 5 cycles"):
        replay.run_model(spec, np.zeros((2, 70), np.uint8), rows=ROWS, cols=COLS, depths=DEPTHS,
                         max_cycles=5)


def test_sim_replay_rejects_what_the_hardware_cannot_run():
    """The loader's reason, before anything is built (a u8 first conv on a conv build
    without planes: its op needs both)."""
    spec = randspec.random_family_model(np.random.default_rng(24), "cnn")
    print("seed", 24)
    with pytest.raises(UnsupportedLayer, match=r"^layer 0 \(conv 64->6\): this accelerator build "
                                               r"has no CONV_PLANES_U8_BIN; build it with conv=True, "
                                               r"planes=True \(bittern build --conv --planes\)$"):
        replay.run_model(spec, np.zeros((1, 64), np.uint8), rows=ROWS, cols=COLS, conv=True)
    with pytest.raises(ValueError, match="simulator must be one of verilator, icarus, amaranth"):
        replay.replay("x.v", replay.Transactions(), name="x", simulator="xsim")


def test_sim_replay_writes_fst_waves_on_icarus(tmp_path):
    rng = np.random.default_rng(25)
    print("seed", 25)
    spec = tiny_model(rng)
    images = rng.integers(0, 256, size=(2, 70)).astype(np.uint8)
    run = replay.run_model(spec, images, rows=ROWS, cols=COLS, depths=DEPTHS,
                           simulator="icarus", waves=True, run_dir=tmp_path)
    np.testing.assert_array_equal(run.scores, golden_scores(spec, images))
    wave = run.sim.waves
    assert wave == tmp_path / "waves.fst" and wave.stat().st_size > 1000


TINY_TARGET = """module {top} (
    input clk, input rst,
    input [{aw}-1:0] bus__adr, input [31:0] bus__dat_w, output [31:0] bus__dat_r,
    input [3:0] bus__sel, input bus__cyc, input bus__stb, input bus__we,
    output reg bus__ack, output bus__err, output irq
);
    // A Wishbone target that answers every read with one constant.
    always @(posedge clk) bus__ack <= !rst && bus__cyc && bus__stb && !bus__ack;
    assign bus__dat_r = 32'h{word:08x};
    assign bus__err = 1'b0;
    assign irq = 1'b1;
endmodule
"""


def test_sim_replay_build_is_keyed_by_the_design_text(tmp_path):
    """The same name with another design text is another build (never the stale one); the same
    text again reuses its build. Run on Icarus (a tiny target: milliseconds); Verilator's build
    folder is checked to move with the text too (its build takes ~10 s)."""
    from bittern.rtl.accelerator import ADDR_WIDTH
    txn = replay.Transactions()
    txn.read(0x40)
    src = tmp_path / "tiny.v"
    runs, vdirs = [], []
    for word in (0x1234ABCD, 0x0BADF00D, 0x1234ABCD):
        src.write_text(TINY_TARGET.format(top="tiny", aw=ADDR_WIDTH, word=word))
        res = replay.replay(src, txn, name="tiny", simulator="icarus", build_root=tmp_path)
        runs.append((res.reads, res.build_s, (tmp_path / "tiny" / "replay-icarus").resolve()))
        vdirs.append(replay._recipe([src], top="tiny", simulator="verilator",
                                    build_root=tmp_path).build_dir)
    assert [r for r, _, _ in runs] == [[0x1234ABCD], [0x0BADF00D], [0x1234ABCD]]
    assert runs[0][2] != runs[1][2] and runs[2][2] == runs[0][2]
    assert runs[0][1] > 0 and runs[1][1] > 0 and runs[2][1] == 0.0
    assert vdirs[0] != vdirs[1] and vdirs[2] == vdirs[0]
    assert replay._recipe([src], top="tiny", simulator="verilator", build_root=tmp_path,
                          waves=True).build_dir.parent != vdirs[0].parent
