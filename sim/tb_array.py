"""cocotb testbench of the bare arrays (dense and sparse): replays host-side schedules.

The job (see :mod:`bittern.sim.array_harness`, which writes it) names the ports to drive
(``drive``), to record (``record``, ``out_valid`` first) and the error bits to read after each
job (``flags``); each of its ``jobs`` gives per-cycle port values (``ports``: name -> decimal
strings), the ``n`` port's value (or null when the array has none), the number of valid output
slots to wait for and a cycle ``limit`` (a missing output ends the job, it never hangs). Jobs run
one after the other on the same array without reset. Every cycle with a valid output is recorded
as ``[cycle, out_valid, ...]`` (decimal strings; cycle counted from the job's first input cycle),
with the flags and the wall time of the drive loop; decoding and golden comparisons are the
caller's.
"""

import time

import cocotb
from cocotb.triggers import FallingEdge

from bittern.sim.tbkit import read_job, start, write_result


@cocotb.test()
async def replay(dut):
    spec = read_job()
    drive = {k: getattr(dut, k) for k in spec["drive"]}
    record = [getattr(dut, k) for k in spec["record"]]
    has_n = any(j["n"] is not None for j in spec["jobs"])
    await start(dut, {**{k: 0 for k in spec["drive"]}, **({"n": 0} if has_n else {})})
    results = []
    for job in spec["jobs"]:
        if job["n"] is not None:
            dut.n.value = job["n"]
        ports = {k: [int(v) for v in job["ports"][k]] for k in drive}
        n_in = len(ports[spec["drive"][0]])
        want, limit = job["expect_outputs"], job["limit"]
        outputs, got = [], 0
        t0 = time.perf_counter()
        t = 0
        while t < limit and got < want:
            await FallingEdge(dut.clk)
            # Outputs change on rising edges: at the falling edge they hold cycle t's values.
            valid = int(record[0].value)
            if valid:
                outputs.append([t, *(str(int(h.value)) for h in record)])
                got += bin(valid).count("1")
            for k, h in drive.items():
                h.value = ports[k][t] if t < n_in else 0
            t += 1
        results.append({"outputs": outputs, "cycles": t, "wall_s": time.perf_counter() - t0,
                        "flags": {k: int(getattr(dut, k).value) for k in spec["flags"]}})
    write_result({"jobs": results})
