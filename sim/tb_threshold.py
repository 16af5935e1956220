"""cocotb testbench of :class:`~bittern.rtl.threshold.ThresholdUnit`: replays vectors.

``TB_JOB`` names a JSON file ``{"latency": L, "vectors": [[acc, descending, thr_flat], ...]}``
(``thr_flat``: the flat ``thresholds`` port value as a decimal string). One vector enters per
cycle; every ``o_valid`` cycle's ``[cycle, code]`` is written to ``TB_OUT``. The pytest side
compares the codes with the golden model's ``apply_thresholds``.
"""

import json
import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge


@cocotb.test()
async def replay(dut):
    with open(os.environ["TB_JOB"]) as f:
        spec = json.load(f)
    vectors = spec["vectors"]
    Clock(dut.clk, 10, unit="ns").start(start_high=False)
    dut.rst.value = 1
    dut.i_valid.value = 0
    for _ in range(3):
        await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
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
    with open(os.environ["TB_OUT"], "w") as f:
        json.dump({"outputs": out}, f)
