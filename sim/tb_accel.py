"""cocotb testbench: drive the whole accelerator through its Wishbone target from a script.

The pytest side (``sim/tb_accel_host.py``) writes a JSON script to ``$BT_ACCEL_SCRIPT``; each step
is ``["w", byte_addr, value]``, ``["r", byte_addr]`` (the value is appended to the results),
``["run", max_cycles]`` (write ``CTRL.START``, poll ``STATUS`` until ``BUSY`` clears or the
cycle limit passes, then record ``STATUS`` and the performance counters), ``["wait", max_cycles]``
(the same without the START) or ``["reset"]``.
The results go to ``$BT_ACCEL_RESULT`` as JSON. The testbench has no knowledge of models: all
golden comparisons are made in pytest.
"""

import json
import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

from bittern.sim.cosim import WishboneMaster

STATUS, CTRL = 0x024, 0x020
PERF = {"cycles": 0x030, "active": 0x034, "tiles": 0x038}


async def reset(dut):
    dut.rst.value = 1
    for _ in range(3):
        await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0


@cocotb.test()
async def run_script(dut):
    with open(os.environ["BT_ACCEL_SCRIPT"]) as f:
        script = json.load(f)
    dut.bus__cyc.value = 0
    dut.bus__stb.value = 0
    dut.bus__we.value = 0
    Clock(dut.clk, 10, unit="ns").start(start_high=False)
    await reset(dut)
    bus = WishboneMaster(dut)
    reads, runs = [], []
    for step in script:
        op = step[0]
        if op == "w":
            await bus.write32(step[1], step[2])
        elif op == "r":
            reads.append(await bus.read32(step[1]))
        elif op == "reset":
            await reset(dut)
        elif op in ("run", "wait"):
            if op == "run":
                await bus.write32(CTRL, 1)
            polls = 0
            while True:
                st = await bus.read32(STATUS)
                polls += 1
                if not st & 1 or polls * 4 > step[1]:
                    break
            info = {"status": st, "timeout": bool(st & 1)}
            for k, a in PERF.items():
                info[k] = await bus.read32(a)
            runs.append(info)
        else:
            raise AssertionError(f"unknown script step {step!r}")
    with open(os.environ["BT_ACCEL_RESULT"], "w") as f:
        json.dump({"reads": reads, "runs": runs}, f)
