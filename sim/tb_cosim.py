"""cocotb testbench: the C runtime's accelerator driver (host build, ctypes) against the RTL.

The job (``sim/tbkit.py``, written by :func:`bittern.sim.cosim.cosim_session`) names
the model files, the image sets (``.npz``), the host runtime build folder, the bus
(``wishbone``: the driver's ``read32``/``write32`` become Wishbone cycles on an
``Accelerator``; ``spi``: the driver's own ``bt_transport_spi`` frames go over four wires into
an ``SPIAccelerator``) and a script of steps. The C calls run in :func:`cocotb.task.bridge`
threads; each transport callback runs one bus coroutine through :func:`cocotb.task.resume`.

Steps (see ``cosim_session``): ``load`` a model into a struct slot (the same struct when the
slot is loaded again), ``probe`` another host's ``bt_accel_t`` on the same bus, ``run`` images
(``bt_run_accel`` per image or one ``bt_run_accel_batch``), ``reset`` the device, read its
``status`` (a raw STATUS read by the testbench), ``poke`` a raw bus write (e.g. a descriptor
word the hardware refuses), ``misuse``:

a. ``poll_limit = 1``: the driver gives up while the run is still busy (a timeout), writes
   nothing more (no CLEAR while BUSY), finishes the image in software;
b. again at once: the run is still going, so the driver touches nothing and runs in software;
c. a raw ``CTRL.START`` while busy: ``STATUS.ERROR`` with ``START_WHILE_BUSY``, the run goes on;
d. wait (bounded) until the run ends;
e. the default poll limit again: the driver clears the idle device, the image runs on the
   hardware, exactly;
f. ``sw_fallback = 0`` and ``poll_limit = 1``: the timeout is returned as ``BT_ERR_ACCEL``.

Results (per step: scores, labels, perf counters, driver state, bus traffic) are the
testbench's result; all golden comparisons are made by the caller.
"""

import time

import numpy as np

import cocotb
from cocotb.task import bridge, resume
from cocotb.simtime import get_sim_time

from bittern.rtl.spi import CMD_READ
from bittern.sim.bus import READ_HEADER, WRITE_HEADER, SPIMaster, WishboneMaster
from bittern.sim.cosim import REG_CTRL, REG_STATUS, CTRL_START, STATUS_BUSY, CosimError
from bittern.sim.tbkit import read_job, reset, start, write_result

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
        self.ctrl = []          # every CTRL word the driver wrote, in order
        self.error = None       # first exception raised inside a callback
        if self.bus_kind == "wishbone":
            self.master = WishboneMaster(dut)
            # bursts: one hand-off to the simulator per burst instead of per word (the
            # same Wishbone cycles), and the driver's burst paths run on the RTL too
            bursts = (self._cb_write_burst, self._cb_read_burst) if job["bursts"] else ()
            if bursts:
                self.counts["bursts"] = 0
            self.transport = self.capi.transport(self._cb_read32, self._cb_write32, *bursts)
        else:
            self.master = SPIMaster(dut, int(job["spi_half_ns"]))
            self.counts["frames"] = 0
            self.transport = self.capi.spi_transport(self._cb_xfer)
        self.models = []
        for path in job["models"]:
            with open(path, "rb") as f:
                self.models.append(f.read())
        self.slots = {}         # slot -> bt_model_t (ctypes), reused by later loads
        self.accels = {}        # host -> bt_accel_t

    def load(self, slot, model):
        st, m = self.capi.load(self.models[model], into=self.slots.get(slot))
        if st:
            raise CosimError(f"bt_model_load of model {model}: {self.capi.error_name(st)}")
        self.slots[slot] = m

    # -- coroutines (run by the scheduler) --
    async def read32(self, addr):
        return await self.master.read32(addr)

    async def write32(self, addr, value):
        await self.master.write32(addr, value)

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
        if addr == REG_CTRL:
            self.ctrl.append(value)
        self._guard(resume(self.master.write32), addr, value)

    def _cb_write_burst(self, addr, words):
        self.counts["writes"] += len(words)
        self.counts["bursts"] += 1
        self.ctrl += [v for i, v in enumerate(words) if addr + 4 * i == REG_CTRL]
        self._guard(resume(self.master.write_burst), addr, words)

    def _cb_read_burst(self, addr, n):
        self.counts["reads"] += n
        self.counts["bursts"] += 1
        return self._guard(resume(self.master.read_burst), addr, n) or [0] * n

    def _cb_xfer(self, tx):
        self.counts["frames"] += 1
        if tx[0] == CMD_READ:
            self.counts["reads"] += (len(tx) - READ_HEADER) // 4
        else:
            self.counts["writes"] += (len(tx) - WRITE_HEADER) // 4
            addr = int.from_bytes(tx[1:WRITE_HEADER], "big")
            for i in range(WRITE_HEADER, len(tx) - 3, 4):
                if addr + i - WRITE_HEADER == REG_CTRL:
                    self.ctrl.append(int.from_bytes(tx[i:i + 4], "big"))
        return self._guard(resume(self.master.frame), tx) or bytes(len(tx))

    async def call(self, fn, *args):
        """Run a blocking C call in a bridge thread; re-raise a callback's exception."""
        out = await bridge(fn)(*args)
        if self.error is not None:
            raise CosimError(f"bus error during {getattr(fn, '__name__', fn)}: {self.error}") \
                from self.error
        return out

    async def run_image(self, acc, m, img):
        labels, scores = await self.call(self.capi.run_accel, acc, m, img[None])
        return int(labels[0]), [int(s) for s in scores[0]]


def driver_state(acc, model):
    return {"n_layers": model.n_layers, "poll_limit": acc.poll_limit, **acc.state(),
            "perf": acc.perf.as_dict()}


async def wait_idle(host):
    polls, st = 0, await host.read32(REG_STATUS)
    while st & STATUS_BUSY and polls < IDLE_POLL_LIMIT:
        st = await host.read32(REG_STATUS)
        polls += 1
    return {"status": st, "polls": polls}


async def run_step(host, step, images):
    acc, m = host.accels[step.get("host", 0)], host.slots[step["slot"]]
    imgs = images[f"s{step['images']}"]
    bus0 = dict(host.counts)
    out = {"scores": [], "labels": [], "perf": [], "read_perf": []}
    calls = [imgs] if step.get("batch") else [img[None] for img in imgs]
    if step.get("strict"):
        acc.sw_fallback = 0
    for x in calls:
        st, labels, scores = await host.call(host.capi.run_accel_batch, acc, m, x)
        if st and step.get("strict"):       # the status is the result (no scores written)
            out["status"] = host.capi.error_name(st)
            out["device_status"] = await host.read32(REG_STATUS)
            break
        if st:
            raise CosimError(f"bt_run_accel_batch: {host.capi.error_name(st)}")
        out["scores"] += scores.tolist()
        out["labels"] += labels.tolist()
        out["perf"].append(acc.perf.as_dict())
        if step.get("perf"):
            st, p = await host.call(host.capi.read_perf, acc)
            out["read_perf"].append(p)
    acc.sw_fallback = 1
    out["driver"] = driver_state(acc, m)
    out["bus"] = {k: host.counts[k] - bus0[k] for k in host.counts}
    return out


async def misuse(host, acc, m, images):
    out = {"phases": []}
    default_limit = acc.poll_limit

    async def phase(name, img):
        w0, c0 = host.counts["writes"], len(host.ctrl)
        label, scores = await host.run_image(acc, m, img)
        status = await host.read32(REG_STATUS)
        out["phases"].append({"name": name, "label": label, "scores": scores, "status": status,
                              "writes": host.counts["writes"] - w0, "ctrl": host.ctrl[c0:],
                              "driver": driver_state(acc, m)})

    acc.poll_limit = 1
    await phase("timeout", images[0])           # a.
    await phase("still_busy", images[1])        # b.
    before = await host.read32(REG_STATUS)      # c.
    await host.write32(REG_CTRL, CTRL_START)
    after = await host.read32(REG_STATUS)
    out["raw_start"] = {"before": before, "after": after}
    out["idle"] = await wait_idle(host)         # d.
    acc.poll_limit = default_limit              # e.
    await phase("recovered", images[2])
    acc.poll_limit, acc.sw_fallback = 1, 0      # f.
    st, _, _ = await host.call(host.capi.run_accel_batch, acc, m, images[:1])
    out["strict"] = {"status": host.capi.error_name(st), "driver": driver_state(acc, m)}
    out["strict_idle"] = await wait_idle(host)
    acc.poll_limit, acc.sw_fallback = default_limit, 1
    return out


async def probe(host, h):
    st, acc = await host.call(host.capi.probe, host.transport)
    if st:
        raise CosimError(f"bt_accel_probe: {host.capi.error_name(st)} (ID read 0x{acc.id:08X})")
    acc.poll_limit = int(host.job["poll_limit"])
    host.accels[h] = acc
    return {k: getattr(acc, k) for k in ("id", "version", "rows", "cols", "w_depth", "a_depth",
                                         "t_depth", "s_depth")}


@cocotb.test()
async def cosim(dut):
    job = read_job()
    t_wall = time.monotonic()
    host = Host(dut, job)
    await start(dut)
    res = {"probe": await probe(host, 0), "steps": []}
    images = dict(np.load(job["images"]))
    for step in job["steps"]:
        op = step["op"]
        if op == "load":
            host.load(step["slot"], step["model"])
            res["steps"].append({})
        elif op == "probe":
            res["steps"].append(await probe(host, step["host"]))
        elif op == "reset":
            await reset(dut)
            res["steps"].append({})
        elif op == "status":
            res["steps"].append({"status": await host.read32(REG_STATUS)})
        elif op == "poke":
            await host.write32(step["addr"], step["value"])
            res["steps"].append({})
        elif op == "run":
            res["steps"].append(await run_step(host, step, images))
        else:
            imgs = images[f"s{step['images']}"]
            res["steps"].append(await misuse(host, host.accels[step.get("host", 0)],
                                             host.slots[step["slot"]], imgs))
    res["bus"] = dict(host.counts)
    res["sim_ns"] = get_sim_time(unit="ns")
    res["tb_wall_s"] = time.monotonic() - t_wall
    write_result(res)
