"""The accelerator over four SPI wires (SPIBridge + Accelerator, as on the boards), in cocotb.

A microcontroller-style host writes a small model in bursts, starts it, polls STATUS and reads
the scores: they must equal the golden model's.
"""

import numpy as np
import pytest
import torch

from bittern.model import golden, randspec
from bittern.rtl import loader
from bittern.rtl import regmap as rm
from bittern.rtl.boards import SPIAccelerator
from bittern.rtl.spi import SPIBridge
from bittern.sim.runner import run_job


def _bursts(writes):
    """Group (addr, value) writes with consecutive addresses into SPI bursts."""
    out = []
    for a, v in sorted(writes):
        if out and out[-1][1] + 4 * len(out[-1][2]) == a:
            out[-1][2].append(v)
        else:
            out.append(["w", a, [v]])
    return out


def test_accel_spi_bridge_parameter_error():
    with pytest.raises(TypeError, match=r"^Address width must be an integer in 1\.\.22, not 0$"):
        SPIBridge(addr_width=0)


def test_accel_spi_end_to_end():
    seed = 31
    print("seed", seed)
    rng = np.random.default_rng(seed)
    spec = randspec.random_model(rng, hidden=(20,), in_features=40, classes=5)
    # 4x2 with the default depths: the SPI build of tests/test_cosim.py (one Verilator build).
    top = SPIAccelerator(rows=4, cols=2)
    p = loader.plan(spec, loader.Geometry.of(top.accel))
    images = rng.integers(0, 256, size=(2, 40)).astype(np.uint8)
    abuf = rm.window("ABUF").base
    script = [["r", rm.reg("ID").offset, 2],                    # ID, VERSION in one burst
              ["w", abuf, [0x12345678, 0xCAFEF00D, 0x80000001]],
              ["r", abuf, 3]]
    script += _bursts(loader.program_writes(spec, p) + loader.batch_writes(spec, p, images))
    script += [["w", rm.reg("CTRL").offset, [1]], ["poll", 1000]]
    addrs = loader.score_addresses(spec, p, 2)
    script += [["r", a, 1] for row in addrs for a in row]
    res, _ = run_job(top, script, name="accel_spi_r4c2", test_module="tb_accel_spi",
                     simulator="verilator")
    reads = res["reads"]
    assert reads[:2] == [rm.ID_VALUE, rm.VERSION]
    assert reads[2:5] == [0x12345678, 0xCAFEF00D, 0x80000001]
    st = rm.unpack("STATUS", reads[5])
    assert (st["BUSY"], st["DONE"], st["ERROR"]) == (0, 1, 0), st
    ref = golden.run(spec, torch.as_tensor(images)).scores.numpy()
    np.testing.assert_array_equal(loader.unpack_scores(reads[6:]).reshape(ref.shape), ref)
