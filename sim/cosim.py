"""Hardware/software co-simulation: the C runtime's accelerator driver against the RTL.

The host build of the C runtime (``libbittern.so``) is loaded with ctypes *inside* the cocotb
process. The driver's transport callbacks (``read32``/``write32``, or the SPI transport's
``xfer``) become bus cycles on the simulated accelerator:

* the blocking C call (``bt_accel_probe``, ``bt_run_accel``) runs in a thread made by
  :func:`cocotb.bridge`, so simulation time only advances while C waits on the bus;
* each callback calls a bus coroutine through :func:`cocotb.resume`, which blocks that thread
  until the coroutine (one Wishbone cycle, or one SPI frame) has finished in simulation.

Nothing models the hardware in Python: the driver, the register map header it was compiled
with, the Wishbone target (or SPI bridge) and the accelerator all have to agree for the scores
to equal the golden model's. :func:`cosim_run` is the one call most users need; the cocotb side
is ``sim/tb_cosim.py``. See ``docs/cosim.md``.
"""

import fcntl
import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["BUSES", "CosimResult", "WishboneMaster", "SPIMaster", "CosimError", "cosim_run"]

BUSES = ("wishbone", "spi")
DEFAULT_RUNTIME_BUILD = Path("build") / "cosim" / "runtime"   # in the current folder

# register offsets used outside the driver (the driver has its own, from bittern_regs.h)
REG_CTRL, REG_STATUS = 0x020, 0x024
REG_PERF = {"cycles": 0x030, "active": 0x034, "tiles": 0x038}
CTRL_START, CTRL_CLEAR = 1, 2
ACK_TIMEOUT = 64
DEFAULT_POLL_LIMIT = 20_000     # STATUS polls (~6 cycles each on Wishbone) before the driver gives up


class CosimError(RuntimeError):
    """The co-simulation could not run or a bus cycle failed; the message says where."""


# ---- bus masters (coroutines run by cocotb; the C driver reaches them through resume) ----

class WishboneMaster:
    """Wishbone B4 classic master on the ``bus__*`` ports of an :class:`Accelerator` top.

    One access per call; an access that sees no ``ack`` within ``ACK_TIMEOUT`` cycles raises
    (the target documents a fixed latency, so a missing ack is a hardware bug, not a wait)."""

    def __init__(self, dut):
        self.dut = dut
        dut.bus__cyc.value = 0
        dut.bus__stb.value = 0
        dut.bus__we.value = 0
        dut.bus__sel.value = 0
        dut.bus__adr.value = 0
        dut.bus__dat_w.value = 0

    async def access(self, addr, value=None):
        from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge
        d = self.dut
        await FallingEdge(d.clk)
        d.bus__adr.value = addr >> 2
        d.bus__cyc.value = 1
        d.bus__stb.value = 1
        d.bus__sel.value = 0xF
        d.bus__we.value = 0 if value is None else 1
        d.bus__dat_w.value = 0 if value is None else value
        for _ in range(ACK_TIMEOUT):
            await RisingEdge(d.clk)
            await ReadOnly()
            if int(d.bus__ack.value):
                data = int(d.bus__dat_r.value)
                break
        else:
            raise CosimError(f"no Wishbone ack for address 0x{addr:05X} within {ACK_TIMEOUT} cycles")
        await FallingEdge(d.clk)
        d.bus__cyc.value = 0
        d.bus__stb.value = 0
        d.bus__we.value = 0
        return data

    async def read32(self, addr):
        return await self.access(addr)

    async def write32(self, addr, value):
        await self.access(addr, value & 0xFFFFFFFF)


class SPIMaster:
    """SPI mode-0 master on the ``sck``/``cs_n``/``mosi``/``miso`` ports of an
    :class:`SPIAccelerator` top: one frame per chip-select period, full duplex, MSB first."""

    def __init__(self, dut, half_ns):
        self.dut, self.half = dut, half_ns
        dut.cs_n.value = 1
        dut.sck.value = 0
        dut.mosi.value = 0

    async def frame(self, tx):
        from cocotb.triggers import Timer
        d, half = self.dut, self.half
        d.cs_n.value = 0
        await Timer(half, unit="ns")
        rx = []
        for byte in tx:
            got = 0
            for i in range(7, -1, -1):
                d.mosi.value = (byte >> i) & 1
                await Timer(half, unit="ns")
                d.sck.value = 1                 # target samples MOSI, we sample MISO
                got = (got << 1) | int(d.miso.value)
                await Timer(half, unit="ns")
                d.sck.value = 0
            rx.append(got)
        await Timer(half, unit="ns")
        d.cs_n.value = 1
        await Timer(2 * half, unit="ns")
        return bytes(rx)


# ---- host side ----

@dataclass
class CosimResult:
    scores: np.ndarray          # int64 [n_images, n_scores], from bt_run_accel
    labels: np.ndarray          # from bt_run_accel
    cycles: list                # PERF_CYCLES after each image (0 where the image ran in software)
    active: list                # PERF_ACTIVE after each image
    tiles: list                 # PERF_TILES after each image
    driver: dict                # bt_accel_t counters: first_hw, layers_hw, layers_sw, runs_hw, errors, last_cause
    probe: dict                 # what bt_accel_probe read: id, version, rows, cols, depths
    bus: dict                   # transport calls: reads, writes (and SPI frames)
    sim_ns: float               # simulated time of the whole run
    wall_s: float               # wall time of the simulator run (build included)
    tb_wall_s: float            # wall time inside the testbench (driver + simulation)
    misuse: dict = field(default_factory=dict)   # results of the misuse phase, when asked
    waves: Path | None = None

    @property
    def n_hw_layers(self):
        return self.driver["n_layers"] - self.driver["first_hw"]


def cosim_run(spec, images, *, simulator="verilator", bus="wishbone", rows=8, cols=2,
              depths=None, build_root=None, runtime_build=None, misuse=False, waves=False,
              spi_half_ns=None, poll_limit=DEFAULT_POLL_LIMIT):
    """Run ``spec`` on ``images`` through the C driver (``bt_run_accel``) against the RTL.

    Parameters
    ----------
    spec : ModelSpec, bytes or path of a ``.bittern`` file
    images : array of u8, ``[n, ...]`` (each image ``in_h*in_w*in_c`` bytes, HWC)
    simulator : "verilator" or "icarus"
    bus : "wishbone" (the driver's transport drives the Accelerator's Wishbone target) or
        "spi" (the driver's own SPI transport, ``bt_transport_spi``, drives an SPIAccelerator)
    rows, cols, depths : the accelerator build (depths default to the smallest that hold the
        model's offloadable layers, see :func:`bittern.sim.tb_accel_host.default_depths`)
    build_root : simulator build root (default ``build/sim``)
    runtime_build : build folder of the host C runtime (default ``build/cosim/runtime`` in
        the checkout, kept between runs so that make has nothing to do)
    misuse : run the last three images in the misuse phase (see ``tb_cosim.py``) instead and
        return its record in ``result.misuse`` (``scores``/``labels`` cover the others)
    waves : record a waveform (path in ``result.waves``)
    spi_half_ns : SCK half period (default: the bridge's fastest, ``min_sck_period`` clocks)
    poll_limit : the driver's ``bt_accel_t.poll_limit`` (STATUS polls before it gives up and
        falls back to software); the C default, 10^7, would make a hung run take hours here

    Returns
    -------
    CosimResult

    Raises
    ------
    ValueError on a bad ``simulator``/``bus``/images; :class:`CosimError` when the driver
    fails (any bt_status_t other than BT_OK, with its name) or a bus cycle hangs;
    :class:`bittern.sim.runner.SimulationError` when the simulator fails.
    """
    from bittern.model.fileformat import from_bytes
    from bittern.rtl.accelerator import Accelerator
    from bittern.rtl.boards import SPIAccelerator
    from bittern.runtime.build import build_host
    from bittern.runtime.codegen import model_bytes
    from bittern.sim.runner import SIMULATORS, run_cocotb
    from bittern.sim.tb_accel_host import default_depths

    if simulator not in SIMULATORS:
        raise ValueError(f"simulator must be one of {', '.join(SIMULATORS)}, not {simulator!r}")
    if bus not in BUSES:
        raise ValueError(f"bus must be one of {', '.join(BUSES)}, not {bus!r}")
    data = model_bytes(spec)
    mspec = from_bytes(data)
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise ValueError(f"images must be uint8, not {images.dtype}")
    n_in = mspec.input_features
    if images.ndim < 2 or int(np.prod(images.shape[1:])) != n_in:
        raise ValueError(f"images must be [n, ...] with {n_in} bytes per image, "
                         f"not shape {tuple(images.shape)}")
    if not isinstance(poll_limit, int) or isinstance(poll_limit, bool) or \
            not 1 <= poll_limit <= 0xFFFFFFFF:
        raise ValueError(f"poll_limit must be an integer in 1..2**32-1, not {poll_limit!r}")
    if misuse and len(images) < 3:
        raise ValueError(f"the misuse phase needs at least 3 images, not {len(images)}")
    depths = depths or default_depths(mspec, rows, cols)
    params = dict(rows=rows, cols=cols, **depths)
    name = (f"cosim_{bus}_r{rows}c{cols}_w{depths['w_depth']}a{depths['a_depth']}"
            f"t{depths['t_depth']}s{depths['s_depth']}")
    top = Accelerator(**params) if bus == "wishbone" else SPIAccelerator(**params)
    rt = (Path(runtime_build) if runtime_build else DEFAULT_RUNTIME_BUILD).resolve()
    # Build here, with the compiler's message on failure, not inside the simulator; the lock
    # keeps parallel workers from running make in one folder at once.
    rt.mkdir(parents=True, exist_ok=True)
    with open(rt / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        build_host(rt)
    with tempfile.TemporaryDirectory(prefix="bt_cosim_") as tmp:
        tmp = Path(tmp)
        (tmp / "model.bittern").write_bytes(data)
        np.save(tmp / "images.npy", np.ascontiguousarray(images.reshape(len(images), -1)))
        job = {"bus": bus, "runtime_build": str(rt), "misuse": bool(misuse),
               "model": str(tmp / "model.bittern"), "images": str(tmp / "images.npy"),
               "result": str(tmp / "result.json"), "poll_limit": poll_limit,
               "spi_half_ns": spi_half_ns or 5 * 10 * 1}   # 10 ns clock, 10 clocks per SCK
        (tmp / "job.json").write_text(json.dumps(job))
        t0 = time.monotonic()
        run = run_cocotb(top, name=name, test_module="tb_cosim", simulator=simulator,
                         build_root=build_root, waves=waves,
                         extra_env={"BT_COSIM_JOB": tmp / "job.json"})
        wall = time.monotonic() - t0
        res = json.loads((tmp / "result.json").read_text())
    if res.get("error"):
        raise CosimError(res["error"])
    n_run = len(res["scores"])
    return CosimResult(scores=np.array(res["scores"], dtype=np.int64).reshape(n_run, -1),
                       labels=np.array(res["labels"], dtype=np.int64),
                       cycles=res["cycles"], active=res["active"], tiles=res["tiles"],
                       driver=res["driver"], probe=res["probe"], bus=res["bus"],
                       sim_ns=res["sim_ns"], wall_s=wall, tb_wall_s=res["tb_wall_s"], misuse=res.get("misuse", {}),
                       waves=run.waves)
