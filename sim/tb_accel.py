"""cocotb testbench: drive the whole accelerator through its Wishbone target from a script.

The pytest side (``sim/tb_accel_host.py``) hands over a script as the job (``sim/tbkit.py``);
each step is ``["w", byte_addr, value]``, ``["r", byte_addr]`` (the value is appended to the
results), ``["run", max_cycles]`` (write ``CTRL.START``, poll ``STATUS`` until ``BUSY`` clears or
the cycle limit passes, then record ``STATUS`` and the performance counters), ``["wait",
max_cycles]`` (the same without the START) or ``["reset"]``. The result is ``{"reads", "runs"}``.
The testbench has no knowledge of models: all golden comparisons are made in pytest.
"""

import cocotb

from bittern.rtl import regmap as rm
from bittern.sim.bus import WishboneMaster
from bittern.sim.tbkit import read_job, reset, start, write_result

CTRL, STATUS = rm.reg("CTRL").offset, rm.reg("STATUS").offset
START, BUSY = rm.field_of("CTRL", "START").mask, rm.field_of("STATUS", "BUSY").mask
PERF = {"cycles": rm.reg("PERF_CYCLES").offset, "active": rm.reg("PERF_ACTIVE").offset,
        "tiles": rm.reg("PERF_TILES").offset}
CYCLES_PER_POLL = 4     # one Wishbone read: the budget of a "run" step counts polls this way


@cocotb.test()
async def run_script(dut):
    script = read_job()
    await start(dut, {"bus__cyc": 0, "bus__stb": 0, "bus__we": 0})
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
                await bus.write32(CTRL, START)
            polls = 0
            while True:
                st = await bus.read32(STATUS)
                polls += 1
                if not st & BUSY or polls * CYCLES_PER_POLL > step[1]:
                    break
            info = {"status": st, "timeout": bool(st & BUSY)}
            for k, a in PERF.items():
                info[k] = await bus.read32(a)
            runs.append(info)
        else:
            raise AssertionError(f"unknown script step {step!r}")
    write_result({"reads": reads, "runs": runs})
