"""cocotb testbench: drive the accelerator over SPI (mode 0), as a microcontroller would.

Script steps (the job, ``sim/tbkit.py``): ``["w", addr, [words...]]`` (one write transaction,
a burst when several words), ``["r", addr, n]`` (one read transaction of ``n`` words; they are
appended to the results), ``["poll", max_polls]`` (read STATUS until BUSY clears; the last
STATUS is appended). SCK half period: ``$BT_SPI_HALF_NS`` (default 50 ns: SCK = clk/10 with the
10 ns clock). The result is ``{"reads"}``.
"""

import os

import cocotb

from bittern.rtl import regmap as rm
from bittern.sim.bus import SPIMaster
from bittern.sim.tbkit import read_job, start, write_result

STATUS, BUSY = rm.reg("STATUS").offset, rm.field_of("STATUS", "BUSY").mask


@cocotb.test()
async def run_script(dut):
    script = read_job()
    await start(dut, {"cs_n": 1, "sck": 0, "mosi": 0})
    spi = SPIMaster(dut, int(os.environ.get("BT_SPI_HALF_NS", "50")))
    reads = []
    for step in script:
        if step[0] == "w":
            await spi.write_burst(step[1], step[2])
        elif step[0] == "r":
            reads += await spi.read_burst(step[1], step[2])
        elif step[0] == "poll":
            for _ in range(step[1]):
                st = await spi.read32(STATUS)
                if not st & BUSY:
                    break
            reads.append(st)
        else:
            raise AssertionError(f"unknown script step {step!r}")
    write_result({"reads": reads})
