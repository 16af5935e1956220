"""cocotb testbench of :class:`~bittern.rtl.array.SystolicArray`: replays host-side schedules.

The pytest side (``bittern.sim.layer_sim``) writes a JSON file named by ``TB_JOB``:
``{"pe": "xnor"|"ternary", "jobs": [schedule.to_json(), ...]}``. Each job's per-cycle edge
inputs are driven on consecutive cycles; every cycle with ``out_valid`` is recorded as
``[cycle, out_col, out_acc, out_fired]`` (cycle counted from the job's first input cycle). Jobs
run one after the other on the same array without reset (the next starts once the previous one's
outputs are all out). Results go to ``TB_OUT`` as JSON with, per job, the outputs, the overrun
bit and the cycles/s this simulator achieved. The golden comparison is done by the caller.
"""

import json
import os
import time

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge


def _int(handle):
    return int(handle.value)


@cocotb.test()
async def replay(dut):
    with open(os.environ["TB_JOB"]) as f:
        spec = json.load(f)
    ternary = spec["pe"] == "ternary"
    latency = spec["latency"]
    drain = spec["drain"]
    Clock(dut.clk, 10, unit="ns").start(start_high=False)
    dut.rst.value = 1
    dut.in_valid.value = 0
    dut.in_first.value = 0
    dut.in_last.value = 0
    dut.w.value = 0
    dut.a.value = 0
    if not ternary:
        dut.n.value = 0
    for _ in range(3):
        await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    results = []
    for job in spec["jobs"]:
        if not ternary:
            dut.n.value = job["n"]
        valid, first, last = job["valid"], job["first"], job["last"]
        w = [int(v) for v in job["w"]]
        a = [int(v) for v in job["a"]]
        n_in = len(valid)
        want = job["expect_outputs"]
        limit = n_in + latency + drain + 8     # never hang: a missing output fails the job
        outputs = []
        t0 = time.perf_counter()
        t = 0
        while t < limit and len(outputs) < want:
            await FallingEdge(dut.clk)
            # Outputs change on rising edges: at the falling edge they hold cycle t's values.
            if _int(dut.out_valid):
                outputs.append([t, _int(dut.out_col), str(_int(dut.out_acc)),
                                str(_int(dut.out_fired)) if ternary else "0"])
            if t < n_in:
                dut.in_valid.value = valid[t]
                dut.in_first.value = first[t]
                dut.in_last.value = last[t]
                dut.w.value = w[t]
                dut.a.value = a[t]
            else:
                dut.in_valid.value = 0
                dut.in_first.value = 0
                dut.in_last.value = 0
            t += 1
        wall = time.perf_counter() - t0
        results.append({"outputs": outputs, "overrun": _int(dut.overrun), "cycles": t,
                        "wall_s": wall})
    with open(os.environ["TB_OUT"], "w") as f:
        json.dump({"jobs": results}, f)
