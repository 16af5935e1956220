"""cocotb testbench: drive the accelerator over SPI (mode 0), as a microcontroller would.

Script steps (JSON in ``$BT_ACCEL_SCRIPT``): ``["w", addr, [words...]]`` (one write transaction,
a burst when several words), ``["r", addr, n]`` (one read transaction of ``n`` words; they are
appended to the results), ``["poll", max_polls]`` (read STATUS until BUSY clears). SCK half
period: ``$BT_SPI_HALF_NS`` (default 50 ns: SCK = clk/10 with a 10 ns clock).
"""

import json
import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import RisingEdge, Timer

CMD_WRITE, CMD_READ = 0x02, 0x03


class SPIMaster:
    def __init__(self, dut, half_ns):
        self.dut, self.half = dut, half_ns

    async def xfer(self, data):
        """Full-duplex transfer of bytes, MSB first; returns the bytes read on MISO."""
        d = self.dut
        out = []
        for byte in data:
            got = 0
            for i in range(7, -1, -1):
                d.mosi.value = (byte >> i) & 1
                await Timer(self.half, unit="ns")
                d.sck.value = 1                         # target samples MOSI, host samples MISO
                got = (got << 1) | int(d.miso.value)
                await Timer(self.half, unit="ns")
                d.sck.value = 0
            out.append(got)
        return out

    async def transaction(self, data):
        d = self.dut
        d.cs_n.value = 0
        await Timer(self.half, unit="ns")
        got = await self.xfer(data)
        await Timer(self.half, unit="ns")
        d.cs_n.value = 1
        await Timer(2 * self.half, unit="ns")
        return got

    async def write(self, addr, words):
        data = [CMD_WRITE, (addr >> 16) & 0xFF, (addr >> 8) & 0xFF, addr & 0xFF]
        for w in words:
            data += [(w >> 24) & 0xFF, (w >> 16) & 0xFF, (w >> 8) & 0xFF, w & 0xFF]
        await self.transaction(data)

    async def read(self, addr, n):
        data = [CMD_READ, (addr >> 16) & 0xFF, (addr >> 8) & 0xFF, addr & 0xFF, 0] + [0] * (4 * n)
        got = (await self.transaction(data))[5:]
        return [int.from_bytes(bytes(got[4 * i:4 * i + 4]), "big") for i in range(n)]


@cocotb.test()
async def run_script(dut):
    with open(os.environ["BT_ACCEL_SCRIPT"]) as f:
        script = json.load(f)
    dut.cs_n.value = 1
    dut.sck.value = 0
    dut.mosi.value = 0
    Clock(dut.clk, 10, unit="ns").start(start_high=False)
    dut.rst.value = 1
    for _ in range(3):
        await RisingEdge(dut.clk)
    dut.rst.value = 0
    spi = SPIMaster(dut, int(os.environ.get("BT_SPI_HALF_NS", "50")))
    reads = []
    for step in script:
        if step[0] == "w":
            await spi.write(step[1], step[2])
        elif step[0] == "r":
            reads += await spi.read(step[1], step[2])
        elif step[0] == "poll":
            for _ in range(step[1]):
                st = (await spi.read(0x024, 1))[0]
                if not st & 1:
                    break
            reads.append(st)
        else:
            raise AssertionError(f"unknown script step {step!r}")
    with open(os.environ["BT_ACCEL_RESULT"], "w") as f:
        json.dump({"reads": reads}, f)
