"""cocotb testbench of :class:`~bittern.rtl.sparse_array.SparseSystolicArray`: replays host-side
schedules from :mod:`bittern.sim.sparse_sim`.

``TB_JOB`` names a JSON file ``{"latency", "drain", "jobs": [schedule.to_json(), ...]}``; each
job drives its per-cycle port values (``ports``: name -> list of decimal strings) on consecutive
cycles and records every valid output slot as ``[cycle, slot, out_col, out_acc]`` (cycle counted
from the job's first input cycle; ``bittern.sim.sparse_sim.split_slots`` splits the flat ports). It never hangs: a job stops ``latency + drain + 8`` cycles after its
last input. Results (outputs, the ``overrun`` and ``index_error`` bits, cycles/s) go to
``TB_OUT``; the golden comparison is done by the caller.
"""

import json
import os
import time

import cocotb
from bittern.sim.sparse_sim import split_slots
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

DRIVE = ("ld_valid", "ld_bank", "ld_addr", "ld_a", "in_valid", "in_first", "in_last", "in_bank",
         "w", "idx")


@cocotb.test()
async def replay(dut):
    with open(os.environ["TB_JOB"]) as f:
        spec = json.load(f)
    latency, drain = spec["latency"], spec["drain"]
    geom = {k: spec[k] for k in ("rows", "out_slots", "col_width", "acc_width")}
    handles = {k: getattr(dut, k) for k in DRIVE}
    Clock(dut.clk, 10, unit="ns").start(start_high=False)
    dut.rst.value = 1
    dut.n.value = 0
    for h in handles.values():
        h.value = 0
    for _ in range(3):
        await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    results = []
    for job in spec["jobs"]:
        dut.n.value = job["n"]
        ports = {k: [int(v) for v in job["ports"][k]] for k in DRIVE}
        n_in = len(ports["in_valid"])
        want = job["expect_outputs"]
        limit = n_in + latency + drain + 8
        outputs = []
        t0 = time.perf_counter()
        t = 0
        while t < limit and len(outputs) < want:
            await FallingEdge(dut.clk)
            # Outputs change on rising edges: at the falling edge they hold cycle t's values.
            v = int(dut.out_valid.value)
            if v:
                for o in split_slots(t, v, int(dut.out_col.value), int(dut.out_acc.value),
                                     **geom):
                    outputs.append([o[0], o[1], o[2], str(o[3])])
            for k, h in handles.items():
                h.value = ports[k][t] if t < n_in else 0
            t += 1
        results.append({"outputs": outputs, "overrun": int(dut.overrun.value),
                        "index_error": int(dut.index_error.value), "cycles": t,
                        "wall_s": time.perf_counter() - t0})
    with open(os.environ["TB_OUT"], "w") as f:
        json.dump({"jobs": results}, f)
