"""cocotb testbench of :class:`~bittern.rtl.threshold.ThresholdUnit`: replays vectors.

The job (``sim/tbkit.py``) is ``{"latency": L, "vectors": [[acc, descending, thr_flat], ...]}``
(``thr_flat``: the flat ``thresholds`` port value as a decimal string). One vector enters per
cycle; every ``o_valid`` cycle's ``[cycle, code]`` is in the result's ``outputs``. The pytest
side compares the codes with the golden model's ``apply_thresholds``.
"""

import cocotb
from cocotb.triggers import FallingEdge

from bittern.sim.tbkit import read_job, start, write_result


@cocotb.test()
async def replay(dut):
    spec = read_job()
    vectors = spec["vectors"]
    await start(dut, {"i_valid": 0})
    aw = len(dut.acc)
    out = []
    limit = len(vectors) + spec["latency"] + 4
    for t in range(limit):
        await FallingEdge(dut.clk)
        if int(dut.o_valid.value):
            out.append([t, int(dut.code.value)])
        if t < len(vectors):
            acc, desc, thr = vectors[t]
            dut.i_valid.value = 1
            dut.acc.value = acc & ((1 << aw) - 1)
            dut.descending.value = desc
            dut.thresholds.value = int(thr)
        else:
            dut.i_valid.value = 0
    write_result({"outputs": out})
