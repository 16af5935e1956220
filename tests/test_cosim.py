"""Hardware/software co-simulation: the C runtime's driver runs a trained model on the RTL.

The host build of the runtime is loaded with ctypes inside the cocotb process; its transport
callbacks become Wishbone cycles (or, with its own SPI transport, SPI frames) on the simulated
accelerator. The scores that ``bt_run_accel`` returns must be the golden model's, bit for bit:
the driver, the generated register header and the RTL have to agree for that.
"""

import numpy as np
import pytest
import torch

from bittern.model import golden, randspec
from bittern.rtl import regmap as rm
from bittern.sim.cosim import cosim_run

STATUS_BUSY, STATUS_DONE, STATUS_ERROR = 1, 2, 4


def cause(status):
    return rm.Cause((status >> 8) & 0xF)


def ideal_words(spec, rows):
    return sum(-(-l.out_c // rows) * -(-l.in_c // 32) for l in spec.layers)


def test_cosim_trained_mlp_wishbone(small_trained_mlp_spec, mnist):
    """Trained 784-64-32-10 MLP: all layers offloaded, exact scores, then the misuse phase."""
    spec = small_trained_mlp_spec
    rows, cols, n_run = 4, 2, 4
    images = mnist.test_x[:n_run + 3]
    print("images: mnist5k test_x[0:7] (no randomness)")
    res = cosim_run(spec, images, simulator="verilator", rows=rows, cols=cols, misuse=True)
    print(f"wall {res.wall_s:.1f} s (testbench {res.tb_wall_s:.1f} s), bus {res.bus}, "
          f"cycles {res.cycles}, active {res.active}")
    ref = golden.run(spec, torch.as_tensor(images))
    gs, gl = ref.scores.numpy(), ref.labels.numpy()
    np.testing.assert_array_equal(res.scores, gs[:n_run])
    np.testing.assert_array_equal(res.labels, gl[:n_run])

    # the driver found the accelerator through the generated register map
    assert res.probe["id"] == rm.ID_VALUE and (res.probe["rows"], res.probe["cols"]) == (rows, cols)
    # every layer ran on the hardware, one run per image, nothing in software, no error
    d = res.driver
    assert d["first_hw"] == 0 and d["n_layers"] == len(spec.layers)
    assert d["runs_hw"] == n_run and d["layers_hw"] == n_run * len(spec.layers)
    assert d["layers_sw"] == 0 and d["errors"] == 0
    # the hardware's own counters: every array cycle a useful word pair, the ideal count
    ideal = ideal_words(spec, rows)
    assert res.active == [ideal] * n_run and res.tiles[0] > 0
    assert all(c > a for c, a in zip(res.cycles, res.active))

    m = res.misuse
    a, b, e = m["phases"]
    for i, ph in enumerate(m["phases"]):
        assert ph["scores"] == gs[n_run + i].tolist(), ph["name"]
        assert ph["label"] == gl[n_run + i], ph["name"]
    # a. one STATUS poll: the driver gives up on a busy run, finishes the image in software
    assert a["status"] & STATUS_BUSY, "the run must still be busy after one poll"
    assert a["driver"]["errors"] == 1 and a["driver"]["runs_hw"] == n_run
    # b. its input writes hit the busy accelerator: dropped and flagged, the driver records it
    assert b["driver"]["errors"] == 2 and b["driver"]["last_cause"] == rm.Cause.BUS_WHILE_BUSY
    # c. START while busy: the documented error bit and cause, the run goes on
    before, after = m["raw_start"]["before"], m["raw_start"]["after"]
    assert before & STATUS_BUSY and not before & STATUS_ERROR
    assert after & STATUS_BUSY and after & STATUS_ERROR
    assert cause(after) == rm.Cause.START_WHILE_BUSY
    # d. the run ends (never a hang), the error stays until the next START
    idle = m["idle"]["status"]
    assert not idle & STATUS_BUSY and idle & STATUS_DONE and cause(idle) == rm.Cause.START_WHILE_BUSY
    # e. with the default poll limit the hardware runs the next image again, exactly
    assert e["driver"]["runs_hw"] == n_run + 1 and e["driver"]["errors"] == 2
    assert not e["status"] & STATUS_ERROR
    assert m["recovered_perf"]["active"] == ideal


def test_cosim_spi_transport():
    """The driver's own SPI transport (bt_transport_spi) over four wires into SPIBridge."""
    seed = 7
    print("seed", seed)
    rng = np.random.default_rng(seed)
    spec = randspec.random_model(rng, hidden=(20,), in_features=40, classes=5)
    images = rng.integers(0, 256, size=(2, 40)).astype(np.uint8)
    res = cosim_run(spec, images, bus="spi", rows=2, cols=2)
    print(f"wall {res.wall_s:.1f} s (testbench {res.tb_wall_s:.1f} s), bus {res.bus}, "
          f"simulated {res.sim_ns / 1e3:.0f} us")
    ref = golden.run(spec, torch.as_tensor(images))
    np.testing.assert_array_equal(res.scores, ref.scores.numpy())
    np.testing.assert_array_equal(res.labels, ref.labels.numpy())
    assert res.driver["runs_hw"] == 2 and res.driver["layers_sw"] == 0
    assert res.bus["frames"] == res.bus["reads"] + res.bus["writes"]
    assert res.active == [ideal_words(spec, 2)] * 2


def test_cosim_bad_arguments():
    rng = np.random.default_rng(3)
    spec = randspec.random_model(rng, hidden=(8,), in_features=16, classes=3)
    x = np.zeros((2, 16), dtype=np.uint8)
    with pytest.raises(ValueError, match=r"^simulator must be one of icarus, verilator, not 'xsim'$"):
        cosim_run(spec, x, simulator="xsim")
    with pytest.raises(ValueError, match=r"^bus must be one of wishbone, spi, not 'axi'$"):
        cosim_run(spec, x, bus="axi")
    with pytest.raises(ValueError, match=r"^images must be uint8, not int64$"):
        cosim_run(spec, x.astype(np.int64))
    with pytest.raises(ValueError, match=r"^images must be \[n, \.\.\.\] with 16 bytes per image, "
                                         r"not shape \(2, 15\)$"):
        cosim_run(spec, x[:, :15])
    with pytest.raises(ValueError, match=r"^the misuse phase needs at least 3 images, not 2$"):
        cosim_run(spec, x, misuse=True)
    with pytest.raises(ValueError, match=r"^poll_limit must be an integer in 1\.\.2\*\*32-1, not 0$"):
        cosim_run(spec, x, poll_limit=0)
