"""cocotb testbench of :class:`~bittern.rtl.bram.BlockRAM`: random writes and reads, every cycle.

The job (``sim/tbkit.py``) is ``{"depth", "width", "single_port", "cycles", "seed"}``. Each
cycle the bench writes a random word, reads a random address, both, or neither (never both on a
single-port primitive, never the same address twice in one cycle) and checks that every read's
data appears exactly ``read_latency`` (2) cycles later and equals a Python dict of what was
written (unwritten words are not read). The result is ``{"checked": reads checked}``.
"""

import random

import cocotb
from cocotb.triggers import FallingEdge

from bittern.sim.tbkit import read_job, start, write_result

LATENCY = 2


@cocotb.test()
async def random_traffic(dut):
    job = read_job()
    rng = random.Random(job["seed"])
    depth, width = job["depth"], job["width"]
    await start(dut, {k: 0 for k in ("r_en", "w_en", "r_addr", "w_addr", "w_data")})
    model = {}
    pending = {}                # cycle at which data is due -> (address, expected)
    checked = 0
    for t in range(job["cycles"] + LATENCY + 1):
        await FallingEdge(dut.clk)
        if t in pending:
            addr, want = pending.pop(t)
            got = int(dut.r_data.value)
            assert got == want, f"cycle {t}: read of word {addr} gave {got:#x}, wrote {want:#x}"
            checked += 1
        dut.r_en.value = dut.w_en.value = 0
        if t >= job["cycles"]:
            continue
        do_w = rng.random() < 0.5 or not model
        do_r = bool(model) and rng.random() < 0.6 and not (do_w and job["single_port"])
        w_addr = None
        if do_w:
            # Fill the ends of the range (group and word boundaries) as often as the middle.
            w_addr = rng.choice([rng.randrange(depth), 0, depth - 1, rng.randrange(depth)])
            value = rng.getrandbits(width)
            dut.w_addr.value, dut.w_data.value, dut.w_en.value = w_addr, value, 1
        if do_r:
            r_addr = rng.choice(sorted(model))
            if r_addr != w_addr:
                dut.r_addr.value, dut.r_en.value = r_addr, 1
                pending[t + LATENCY] = (r_addr, model[r_addr])
        if do_w:
            model[w_addr] = value
    assert checked > job["cycles"] // 4, f"only {checked} reads checked"
    write_result({"checked": checked})
