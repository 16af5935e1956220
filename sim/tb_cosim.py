"""cocotb testbench: the C runtime's accelerator driver (host build, ctypes) against the RTL.

The job (JSON in ``$BT_COSIM_JOB``, written by :func:`bittern.sim.cosim.cosim_run`) names the
model file, the images (``.npy``), the host runtime build folder, the bus (``wishbone``: the
driver's ``read32``/``write32`` become Wishbone cycles on an ``Accelerator``; ``spi``: the
driver's own ``bt_transport_spi`` frames go over four wires into an ``SPIAccelerator``) and
whether to run the misuse phase. The C calls run in :func:`cocotb.task.bridge` threads; each
transport callback runs one bus coroutine through :func:`cocotb.task.resume`.

Phases: probe (``bt_accel_probe``), then one ``bt_run_accel`` per image (the first programs the
accelerator) with ``PERF_*`` read after each, then optionally misuse:

a. ``poll_limit = 1``: the driver gives up while the run is still busy (a timeout), records
   it and finishes the image in software;
b. again at once: the driver's input writes hit the busy accelerator, which drops them and
   reports ``BUS_WHILE_BUSY``; the driver records the cause and falls back again;
c. a raw ``CTRL.START`` while busy: ``STATUS.ERROR`` with ``START_WHILE_BUSY``, the run goes on;
d. wait (bounded) until the run ends;
e. the default poll limit again: the next image runs on the hardware, exactly.

Results (scores, labels, counters, the STATUS words seen) go to the job's ``result`` file; all
golden comparisons are made by the caller.
"""

import json
import os
import time

import numpy as np

import cocotb
from cocotb.clock import Clock
from cocotb.task import bridge, resume
from cocotb.triggers import FallingEdge, RisingEdge
from cocotb.simtime import get_sim_time

from bittern.sim.cosim import (REG_CTRL, REG_PERF, REG_STATUS, CTRL_START, CosimError,
                               SPIMaster, WishboneMaster)

STATUS_BUSY = 1
IDLE_POLL_LIMIT = 100_000


class Host:
    """The C library, the model and a transport whose callbacks are bus coroutines."""

    def __init__(self, dut, job):
        from bittern.runtime.capi import CApi
        self.dut = dut
        self.job = job
        self.capi = CApi(job["runtime_build"])
        self.bus_kind = job["bus"]
        self.counts = {"reads": 0, "writes": 0}
        self.error = None       # first exception raised inside a callback
        if self.bus_kind == "wishbone":
            self.master = WishboneMaster(dut)
            self.transport = self.capi.transport(self._cb_read32, self._cb_write32)
        else:
            self.master = SPIMaster(dut, int(job["spi_half_ns"]))
            self.counts["frames"] = 0
            self.transport = self.capi.spi_transport(self._cb_xfer)
        with open(job["model"], "rb") as f:
            st, self.model = self.capi.load(f.read())
        if st:
            raise CosimError(f"bt_model_load: {self.capi.error_name(st)}")

    # -- coroutines (run by the scheduler) --
    async def read32(self, addr):
        if self.bus_kind == "wishbone":
            return await self.master.read32(addr)
        rx = await self.master.frame(bytes([0x03, (addr >> 16) & 0xFF, (addr >> 8) & 0xFF,
                                            addr & 0xFF, 0, 0, 0, 0, 0]))
        return int.from_bytes(rx[5:9], "big")

    async def write32(self, addr, value):
        if self.bus_kind == "wishbone":
            return await self.master.write32(addr, value)
        await self.master.frame(bytes([0x02, (addr >> 16) & 0xFF, (addr >> 8) & 0xFF, addr & 0xFF])
                                + (value & 0xFFFFFFFF).to_bytes(4, "big"))

    # -- ctypes callbacks (run in the bridge thread). An exception cannot cross the C frames:
    # keep the first one, answer 0, and re-raise it when the C call returns. --
    def _guard(self, fn, *args):
        if self.error is not None:
            return 0
        try:
            return fn(*args)
        except BaseException as e:      # noqa: BLE001 -- re-raised after the C call
            self.error = e
            return 0

    def _cb_read32(self, addr):
        self.counts["reads"] += 1
        return self._guard(resume(self.master.read32), addr)

    def _cb_write32(self, addr, value):
        self.counts["writes"] += 1
        self._guard(resume(self.master.write32), addr, value)

    def _cb_xfer(self, tx):
        self.counts["frames"] += 1
        self.counts["reads" if tx[0] == 0x03 else "writes"] += 1
        return self._guard(resume(self.master.frame), tx) or bytes(len(tx))

    async def call(self, fn, *args):
        """Run a blocking C call in a bridge thread; re-raise a callback's exception."""
        out = await bridge(fn)(*args)
        if self.error is not None:
            raise CosimError(f"bus error during {getattr(fn, '__name__', fn)}: {self.error}") \
                from self.error
        return out

    async def run_image(self, acc, img):
        labels, scores = await self.call(self.capi.run_accel, acc, self.model, img[None])
        return int(labels[0]), [int(s) for s in scores[0]]

    async def perf(self):
        return {k: await self.read32(a) for k, a in REG_PERF.items()}


def driver_state(acc, model):
    return {"n_layers": model.n_layers, "first_hw": acc.first_hw, "layers_hw": acc.layers_hw,
            "layers_sw": acc.layers_sw, "runs_hw": acc.runs_hw, "errors": acc.errors,
            "last_cause": acc.last_cause, "poll_limit": acc.poll_limit}


async def reset(dut):
    dut.rst.value = 1
    for _ in range(3):
        await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0


async def misuse(host, acc, images):
    out = {"phases": []}
    default_limit = acc.poll_limit

    async def phase(name, img):
        label, scores = await host.run_image(acc, img)
        status = await host.read32(REG_STATUS)
        out["phases"].append({"name": name, "label": label, "scores": scores, "status": status,
                              "driver": driver_state(acc, host.model)})

    acc.poll_limit = 1
    await phase("timeout", images[0])           # a.
    await phase("bus_while_busy", images[1])    # b.
    before = await host.read32(REG_STATUS)      # c.
    await host.write32(REG_CTRL, CTRL_START)
    after = await host.read32(REG_STATUS)
    out["raw_start"] = {"before": before, "after": after}
    polls, st = 0, after                        # d.
    while st & STATUS_BUSY and polls < IDLE_POLL_LIMIT:
        st = await host.read32(REG_STATUS)
        polls += 1
    out["idle"] = {"status": st, "polls": polls}
    acc.poll_limit = default_limit              # e.
    await phase("recovered", images[2])
    out["recovered_perf"] = await host.perf()
    return out


@cocotb.test()
async def cosim(dut):
    with open(os.environ["BT_COSIM_JOB"]) as f:
        job = json.load(f)
    t_wall = time.monotonic()
    host = Host(dut, job)
    Clock(dut.clk, 10, unit="ns").start(start_high=False)
    await reset(dut)
    st, acc = await host.call(host.capi.probe, host.transport)
    if st:
        raise CosimError(f"bt_accel_probe: {host.capi.error_name(st)} (ID read 0x{acc.id:08X})")
    acc.poll_limit = int(job["poll_limit"])
    probe = {k: getattr(acc, k) for k in ("id", "version", "rows", "cols", "w_depth", "a_depth",
                                          "t_depth", "s_depth")}
    images = np.load(job["images"])
    n_misuse = 3 if job["misuse"] else 0
    run_imgs = images[:len(images) - n_misuse] if n_misuse else images
    res = {"scores": [], "labels": [], "cycles": [], "active": [], "tiles": []}
    for img in run_imgs:
        hw_before = acc.runs_hw
        label, scores = await host.run_image(acc, img)
        perf = await host.perf() if acc.runs_hw > hw_before else {k: 0 for k in REG_PERF}
        res["scores"].append(scores)
        res["labels"].append(label)
        for k in REG_PERF:
            res[k].append(perf[k])
    res["driver"] = driver_state(acc, host.model)
    res["probe"] = probe
    res["bus"] = dict(host.counts)
    if n_misuse:
        res["misuse"] = await misuse(host, acc, images[-n_misuse:])
    res["sim_ns"] = get_sim_time(unit="ns")
    res["tb_wall_s"] = time.monotonic() - t_wall
    with open(job["result"], "w") as f:
        json.dump(res, f)
