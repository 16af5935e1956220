"""One harness for the bare arrays: build configurations, the drive of a schedule, run costs.

Both arrays, the dense :class:`~bittern.rtl.array.SystolicArray` (``sim/layer_sim.py``) and
the 3PXNet :class:`~bittern.rtl.sparse_array.SparseSystolicArray` (``sim/sparse_sim.py``), are
run the same way: a *schedule* holds one integer per input port and cycle; :func:`drive` puts
them on the ports on consecutive cycles, on Amaranth's simulator or through one cocotb
testbench (``sim/tb_array.py``, Icarus or Verilator), and records every cycle with a valid
output as ``(cycle, out_valid, out_col, out_acc[, out_fired])`` (flat port integers, cycle
counted from the job's first input cycle). The family modules only tile work into schedules
and decode the recorded outputs; they share :class:`RunStats` and :class:`LayerRun` from here.

A schedule offers ``config`` (an :class:`ArrayConfig` or :class:`SparseConfig`), ``ports``
(port name -> list of ints), ``n`` (the ``n`` port's value) and ``expect_outputs`` (valid
output slots to wait for). Cocotb runs all schedules of one call on one array, one after the
other without reset (the next starts once the previous one's outputs are out); Amaranth's
simulator runs each on a fresh array (:data:`FRESH_PER_JOB`).
"""

import os
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SIMULATORS", "FRESH_PER_JOB", "ArrayConfig", "SparseConfig", "Recorded", "drive",
           "run_amaranth", "split_words", "check_flags", "RunStats", "LayerRun", "WAVES"]

SIMULATORS = ("amaranth", "icarus", "verilator")
FRESH_PER_JOB = {"amaranth": True, "icarus": False, "verilator": False}
# Outputs may be late by this many cycles before a job gives up (a missing output then fails
# the decode's count check instead of hanging the simulator).
SLACK_CYCLES = 8
WAVES = []      # every waveform file kept by this process, in run order


class _Build:
    """A hashable set of build parameters: one simulator build per config."""

    def info(self):
        """An un-elaborated array, only to read its derived properties (latency, widths)."""
        dut = self.make()
        dut._MustUse__silence = True
        return dut


@dataclass(frozen=True)
class ArrayConfig(_Build):
    """Parameters of one dense :class:`SystolicArray` build."""
    rows: int
    cols: int
    lanes: int
    pe: str = "xnor"
    act_bits: int | None = None
    max_n: int | None = None
    stage_levels: int = 2

    flags = ("overrun",)

    def make(self):
        from bittern.rtl.array import SystolicArray
        return SystolicArray(rows=self.rows, cols=self.cols, lanes=self.lanes, pe=self.pe,
                             act_bits=self.act_bits, max_n=self.max_n,
                             stage_levels=self.stage_levels)

    @property
    def drive_ports(self):
        return ("in_valid", "in_first", "in_last", "w", "a")

    @property
    def out_ports(self):
        return ("out_valid", "out_col", "out_acc") + (("out_fired",) if self.pe == "ternary" else ())

    @property
    def has_n(self):
        return self.pe == "xnor"

    @property
    def name(self):
        act = "" if self.act_bits is None else f"_a{self.act_bits}"
        n = "" if self.max_n is None else f"_n{self.max_n}"
        return f"array_{self.pe}{act}_{self.rows}x{self.cols}_l{self.lanes}{n}_s{self.stage_levels}"


@dataclass(frozen=True)
class SparseConfig(_Build):
    """Parameters of one :class:`SparseSystolicArray` build."""
    rows: int
    cols: int
    words: int
    out_slots: int = 1
    max_n: int | None = None
    stage_levels: int = 2

    flags = ("overrun", "index_error")
    drive_ports = ("ld_valid", "ld_bank", "ld_addr", "ld_a", "in_valid", "in_first", "in_last",
                   "in_bank", "w", "idx")
    out_ports = ("out_valid", "out_col", "out_acc")
    has_n = True

    def make(self):
        from bittern.rtl.sparse_array import SparseSystolicArray
        return SparseSystolicArray(rows=self.rows, cols=self.cols, words=self.words,
                                   out_slots=self.out_slots, max_n=self.max_n,
                                   stage_levels=self.stage_levels)

    @property
    def name(self):
        n = "" if self.max_n is None else f"_n{self.max_n}"
        return (f"sparse_{self.rows}x{self.cols}_w{self.words}_o{self.out_slots}{n}"
                f"_s{self.stage_levels}")


def split_words(value, count, width, signed):
    """Elements ``0..count-1`` of ``width`` bits of the flat port integer ``value``."""
    out = []
    mask = (1 << width) - 1
    for i in range(count):
        v = (value >> (i * width)) & mask
        if signed and v >> (width - 1):
            v -= 1 << width
        out.append(v)
    return out


@dataclass
class Recorded:
    """What one schedule did on the simulator."""
    outputs: list          # (cycle, *out_ports values) of every cycle with a valid output
    flags: dict            # error flag name -> value after the job
    wall_s: float          # simulator wall time of the drive loop


def _job(sched):
    return {"ports": {k: [str(v) for v in sched.ports[k]] for k in sched.config.drive_ports},
            "n": sched.n if sched.config.has_n else None,
            "expect_outputs": sched.expect_outputs}


def _limit(sched, dut):
    return sched.cycles_in + dut.latency + dut.drain_cycles + SLACK_CYCLES


def run_amaranth(sched, *, vcd=None):
    """Drive one schedule on a fresh array in Amaranth's simulator; returns a :class:`Recorded`."""
    from amaranth.hdl import Value
    from amaranth.sim import Simulator
    cfg = sched.config
    dut = cfg.make()
    ins = {k: Value.cast(getattr(dut, k)) for k in cfg.drive_ports}
    outs = [Value.cast(getattr(dut, k)) for k in cfg.out_ports]
    rec = Recorded(outputs=[], flags={}, wall_s=0.0)
    n_in, want = sched.cycles_in, sched.expect_outputs

    async def bench(ctx):
        if cfg.has_n:
            ctx.set(dut.n, sched.n)
        got = 0
        for t in range(_limit(sched, dut)):
            for k, sig in ins.items():
                ctx.set(sig, sched.ports[k][t] if t < n_in else 0)
            valid = ctx.get(outs[0])
            if valid:
                rec.outputs.append((t, *(ctx.get(o) for o in outs)))
                got += bin(valid).count("1")
                if got >= want:
                    break
            await ctx.tick()
        rec.flags.update({k: ctx.get(getattr(dut, k)) for k in cfg.flags})

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    t0 = time.perf_counter()
    if vcd:
        with sim.write_vcd(str(vcd)):
            sim.run()
    else:
        sim.run()
    rec.wall_s = time.perf_counter() - t0
    return rec


def drive(schedules, *, simulator="verilator", build_root=None, waves=False, workdir=None):
    """Drive ``schedules`` (all of one config) on ``simulator``; returns one :class:`Recorded`
    per schedule. Waveform files (``waves=True``) are kept under a name per run and listed in
    :data:`WAVES`."""
    from .runner import run_job
    if not schedules:
        return []
    cfg = schedules[0].config
    if any(s.config != cfg for s in schedules):
        raise ValueError(f"drive: all schedules must use the same {type(cfg).__name__}")
    if simulator == "amaranth":
        out = []
        for s in schedules:
            vcd = None
            if waves:
                vcd = Path(workdir or ".") / f"{cfg.name}-run{len(WAVES)}.vcd"
                WAVES.append(vcd)
            out.append(run_amaranth(s, vcd=vcd))
        return out
    if simulator not in SIMULATORS:
        raise ValueError(f"simulator must be 'amaranth', 'icarus' or 'verilator', not {simulator!r}")
    dut = cfg.info()
    job = {"drive": list(cfg.drive_ports), "record": list(cfg.out_ports), "flags": list(cfg.flags),
           "jobs": [{**_job(s), "limit": _limit(s, dut)} for s in schedules]}
    data, res = run_job(cfg.make(), job, name=cfg.name, test_module="tb_array",
                        simulator=simulator, build_root=build_root, waves=waves, workdir=workdir)
    if res.waves and res.waves.exists():
        # The simulator rewrites one dump file per build: keep each run's under its own name, so
        # the waveforms of every layer survive a whole-model run.
        kept = res.waves.with_name(f"{cfg.name}-run{len(WAVES)}{res.waves.suffix}")
        os.replace(res.waves, kept)
        WAVES.append(kept)
    return [Recorded(outputs=[(o[0], *map(int, o[1:])) for o in j["outputs"]], flags=j["flags"],
                     wall_s=j["wall_s"]) for j in data["jobs"]]


@dataclass
class RunStats:
    """What one schedule cost on one simulator."""
    cycles: int            # cycles from the first input to the last output (inclusive)
    ideal_cycles: float    # macs / (rows * cols * lanes)
    sim_wall_s: float      # simulator wall time of the drive loop

    @property
    def utilisation(self):
        return self.ideal_cycles / self.cycles if self.cycles else 0.0

    @property
    def cycles_per_s(self):
        return self.cycles / self.sim_wall_s if self.sim_wall_s else float("inf")


def check_flags(cfg, rec):
    """Raise ``AssertionError`` naming the first error bit the array raised during a job."""
    for k in cfg.flags:
        if rec.flags.get(k):
            raise AssertionError(f"{cfg.name}: the array flagged {k}")


@dataclass
class LayerRun:
    """One layer through the simulated array."""
    index: int
    path: str              # "xnor", "gxnor", "wrpn", "sparse" or "decompose(xnor|gxnor) x passes"
    acc: "torch.Tensor"    # int64 [B, out_h, out_w, out_c], after max-pool
    values: "torch.Tensor" # the layer's output values (thresholds applied host-side)
    cycles: int
    ideal_cycles: float
    fired: int | None
    sim_wall_s: float

    @property
    def utilisation(self):
        return self.ideal_cycles / self.cycles if self.cycles else 0.0
