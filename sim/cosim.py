"""Hardware/software co-simulation: the C runtime's accelerator driver against the RTL.

The host build of the C runtime (``libbittern.so``) is loaded with ctypes *inside* the cocotb
process. The driver's transport callbacks (``read32``/``write32``, or the SPI transport's
``xfer``) become bus cycles on the simulated accelerator:

* the blocking C call (``bt_accel_probe``, ``bt_run_accel``) runs in a thread made by
  :func:`cocotb.bridge`, so simulation time only advances while C waits on the bus;
* each callback calls a bus coroutine through :func:`cocotb.resume`, which blocks that thread
  until the coroutine (one Wishbone cycle, or one SPI frame) has finished in simulation.

The bus masters are :mod:`bittern.sim.bus`'s, shared with every testbench. Nothing models
the hardware in Python: the driver, the register map header it was compiled
with, the Wishbone target (or SPI bridge) and the accelerator all have to agree for the scores
to equal the golden model's. :func:`cosim_run` is the one call most users need; the cocotb side
is ``sim/tb_cosim.py``. See ``docs/cosim.md``.
"""

import fcntl
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bittern.rtl import regmap as rm

__all__ = ["BUSES", "CosimResult", "SessionResult", "CosimError", "cosim_run", "cosim_session",
           "host_runtime"]

BUSES = ("wishbone", "spi")
DEFAULT_RUNTIME_BUILD = Path("build") / "cosim" / "runtime"   # in the current folder

# what the testbench itself reads and writes (the driver has the same, from bittern_regs.h)
REG_CTRL, REG_STATUS = rm.reg("CTRL").offset, rm.reg("STATUS").offset
CTRL_START, CTRL_CLEAR = rm.field_of("CTRL", "START").mask, rm.field_of("CTRL", "CLEAR").mask
STATUS_BUSY, STATUS_DONE, STATUS_ERROR = (rm.field_of("STATUS", f).mask
                                          for f in ("BUSY", "DONE", "ERROR"))
DEFAULT_POLL_LIMIT = 20_000     # STATUS polls (~6 cycles each on Wishbone) before the driver gives up


class CosimError(RuntimeError):
    """The co-simulation could not run or a bus cycle failed; the message says where."""


# ---- host side ----

@dataclass
class CosimResult:
    scores: np.ndarray          # int64 [n_images, n_scores], from bt_run_accel
    labels: np.ndarray          # from bt_run_accel
    cycles: list                # PERF_CYCLES summed over each image's STARTs (0: software)
    active: list                # PERF_ACTIVE, likewise
    tiles: list                 # PERF_TILES, likewise
    driver: dict                # bt_accel_t: counters, plan (hw_layers, seg_ends), tag, n_layers
    probe: dict                 # what bt_accel_probe read: id, version, rows, cols, depths
    bus: dict                   # transport calls: reads, writes (and SPI frames, words)
    sim_ns: float               # simulated time of the whole run
    wall_s: float               # wall time of the simulator run (build included)
    tb_wall_s: float            # wall time inside the testbench (driver + simulation)
    misuse: dict = field(default_factory=dict)   # results of the misuse phase, when asked
    waves: Path | None = None

    @property
    def n_hw_layers(self):
        return bin(self.driver["hw_layers"]).count("1")


@dataclass
class SessionResult:
    steps: list                 # one dict per step (see tb_cosim.py), in order
    probe: dict
    bus: dict
    sim_ns: float
    wall_s: float
    tb_wall_s: float
    waves: Path | None = None


def host_runtime(runtime_build=None):
    """Build (or bring up to date) the host C runtime in ``runtime_build`` (default
    ``build/cosim/runtime`` in the current folder), under a file lock so that parallel workers never run make in one
    folder at once; returns the folder for :class:`bittern.runtime.capi.CApi`. Building here
    gives the compiler's message on failure, not a simulator's."""
    from bittern.runtime.build import build_host
    rt = (Path(runtime_build) if runtime_build else DEFAULT_RUNTIME_BUILD).resolve()
    rt.mkdir(parents=True, exist_ok=True)
    with open(rt / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        build_host(rt)
    return rt


def _check_images(mspec, images, what="images"):
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise ValueError(f"{what} must be uint8, not {images.dtype}")
    n_in = mspec.input_features
    if images.ndim < 2 or int(np.prod(images.shape[1:])) != n_in:
        raise ValueError(f"{what} must be [n, ...] with {n_in} bytes per image, "
                         f"not shape {tuple(images.shape)}")
    return np.ascontiguousarray(images.reshape(len(images), -1))


def cosim_session(models, images, steps, *, simulator="verilator", bus="wishbone", rows=8,
                  cols=2, depths, bursts=False, build_root=None, runtime_build=None,
                  waves=False, spi_half_ns=None, poll_limit=DEFAULT_POLL_LIMIT):
    """Run a script of driver calls against one simulated accelerator.

    Parameters
    ----------
    models : list of ModelSpec, bytes or paths of ``.bittern`` files
    images : list of u8 arrays ``[n, ...]``; ``images[j]`` feeds model ``models[j]``'s steps
        unless a step names another set
    steps : list of dicts, run in order by ``tb_cosim.py``:
        ``{"op": "load", "slot": s, "model": i}`` (bt_model_load of model i into struct s; a
        struct loaded again is the *same* struct), ``{"op": "probe", "host": h}`` (host h's
        own bt_accel_t; host 0 is probed first), ``{"op": "run", "slot": s, "images": j,
        "host": h, "batch": bool, "perf": bool, "strict": bool}`` (bt_run_accel per image,
        or one bt_run_accel_batch call on the whole set; ``perf`` adds bt_accel_read_perf
        after each call; ``strict``: with ``sw_fallback = 0``, a failing call's status name
        and the device's STATUS are the step's ``status``/``device_status``),
        ``{"op": "poke", "addr": a, "value": v}`` (a raw bus write by the testbench), ``{"op": "reset"}`` (the device's reset), ``{"op": "misuse", "slot": s,
        "images": j}`` (the phases of ``tb_cosim.misuse`` on three images)
    rows, cols, depths : the accelerator build (``depths``: w_depth, a_depth, t_depth,
        s_depth, and the build options ``conv``, ``planes``, ``sparse_words``/``i_depth`` of
        :class:`~bittern.rtl.accelerator.Accelerator`); one build serves every session with
        the same geometry
    bursts : Wishbone only: give the driver's transport burst hooks too (the same bus cycles,
        one hand-off to the simulator per burst; the driver's burst paths run). The SPI
        transport always bursts.
    others : as :func:`cosim_run`

    Returns
    -------
    SessionResult

    Raises
    ------
    ValueError on bad arguments; :class:`CosimError` when a driver call fails or a bus cycle
    hangs; :class:`bittern.sim.runner.SimulationError` when the simulator fails.
    """
    from bittern.model.fileformat import from_bytes
    from bittern.rtl.accelerator import Accelerator
    from bittern.rtl.boards import SPIAccelerator
    from bittern.runtime.codegen import model_bytes
    from bittern.sim.runner import SIMULATORS, run_job

    if simulator not in SIMULATORS:
        raise ValueError(f"simulator must be one of {', '.join(SIMULATORS)}, not {simulator!r}")
    if bus not in BUSES:
        raise ValueError(f"bus must be one of {', '.join(BUSES)}, not {bus!r}")
    if not isinstance(poll_limit, int) or isinstance(poll_limit, bool) or \
            not 1 <= poll_limit <= 0xFFFFFFFF:
        raise ValueError(f"poll_limit must be an integer in 1..2**32-1, not {poll_limit!r}")
    datas = [model_bytes(m) for m in models]
    specs = [from_bytes(d) for d in datas]
    image_sets = [np.asarray(x) for x in images]
    slot_model = {}
    for st in steps:
        op = st.get("op")
        if op == "load":
            slot_model[st["slot"]] = st["model"]
        elif op in ("run", "misuse"):
            if st["slot"] not in slot_model:
                raise ValueError(f"step {st!r} runs slot {st['slot']} before a load into it")
            m = slot_model[st["slot"]]
            image_sets[st["images"]] = _check_images(specs[m], image_sets[st["images"]],
                                                     f"images[{st['images']}]")
            if op == "misuse" and len(image_sets[st["images"]]) < 3:
                raise ValueError(f"the misuse phase needs at least 3 images, not "
                                 f"{len(image_sets[st['images']])}")
        elif op not in ("probe", "reset", "status", "poke"):
            raise ValueError(f"unknown step {st!r}")
    params = dict(rows=rows, cols=cols, **depths)
    name = (f"cosim_{bus}_r{rows}c{cols}_w{depths['w_depth']}a{depths['a_depth']}"
            f"t{depths['t_depth']}s{depths['s_depth']}"
            + ("_conv" if depths.get("conv") else "") + ("_planes" if depths.get("planes") else "")
            + (f"_sp{depths['sparse_words']}i{depths['i_depth']}" if depths.get("sparse_words") else ""))
    top = Accelerator(**params) if bus == "wishbone" else SPIAccelerator(**params)
    rt = host_runtime(runtime_build)
    with tempfile.TemporaryDirectory(prefix="bt_cosim_") as tmp:
        tmp = Path(tmp)
        paths = []
        for i, d in enumerate(datas):
            (tmp / f"model{i}.bittern").write_bytes(d)
            paths.append(str(tmp / f"model{i}.bittern"))
        np.savez(tmp / "images.npz", **{f"s{j}": np.ascontiguousarray(x.reshape(len(x), -1))
                                        for j, x in enumerate(image_sets)})
        job = {"bus": bus, "bursts": bool(bursts), "runtime_build": str(rt), "models": paths,
               "images": str(tmp / "images.npz"), "steps": steps, "poll_limit": poll_limit,
               "spi_half_ns": spi_half_ns or 5 * 10 * 1}   # 10 ns clock, 10 clocks per SCK
        t0 = time.monotonic()
        res, run = run_job(top, job, name=name, test_module="tb_cosim", simulator=simulator,
                           build_root=build_root, waves=waves, workdir=tmp)
        wall = time.monotonic() - t0
    if res.get("error"):
        raise CosimError(res["error"])
    return SessionResult(steps=res["steps"], probe=res["probe"], bus=res["bus"],
                         sim_ns=res["sim_ns"], wall_s=wall, tb_wall_s=res["tb_wall_s"],
                         waves=run.waves)


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
        whole model, see :func:`bittern.rtl.loader.default_depths`)
    build_root : simulator build root (default ``build/sim``)
    runtime_build : build folder of the host C runtime (default ``build/cosim/runtime`` in
        the current folder, kept between runs so that make has nothing to do)
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
    from bittern.runtime.codegen import model_bytes
    from bittern.rtl.loader import default_depths

    if simulator not in ("icarus", "verilator"):
        raise ValueError(f"simulator must be one of icarus, verilator, not {simulator!r}")
    if bus not in BUSES:
        raise ValueError(f"bus must be one of {', '.join(BUSES)}, not {bus!r}")
    data = model_bytes(spec)
    mspec = from_bytes(data)
    images = _check_images(mspec, images)
    if misuse and len(images) < 3:
        raise ValueError(f"the misuse phase needs at least 3 images, not {len(images)}")
    n_run = len(images) - (3 if misuse else 0)
    steps = [{"op": "load", "slot": 0, "model": 0},
             {"op": "run", "slot": 0, "images": 0}]
    sets = [images[:n_run]]
    if misuse:
        steps.append({"op": "misuse", "slot": 0, "images": 1})
        sets.append(images[n_run:])
    res = cosim_session([data], sets, steps, simulator=simulator, bus=bus, rows=rows, cols=cols,
                        depths=depths or default_depths(mspec, rows, cols),
                        build_root=build_root, runtime_build=runtime_build, waves=waves,
                        spi_half_ns=spi_half_ns, poll_limit=poll_limit)
    run = res.steps[1]
    return CosimResult(scores=np.array(run["scores"], dtype=np.int64).reshape(n_run, -1),
                       labels=np.array(run["labels"], dtype=np.int64),
                       cycles=[p["cycles"] for p in run["perf"]],
                       active=[p["active"] for p in run["perf"]],
                       tiles=[p["tiles"] for p in run["perf"]],
                       driver=run["driver"], probe=res.probe, bus=res.bus, sim_ns=res.sim_ns,
                       wall_s=res.wall_s, tb_wall_s=res.tb_wall_s,
                       misuse=res.steps[2] if misuse else {}, waves=res.waves)
