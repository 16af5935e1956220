"""Sweep array shapes on both FPGA families: resources, Fmax, peak ops/s, MNIST MLP inferences/s.

For each (board, rows, cols) it builds a bitstream (YoWASP Yosys + nextpnr, ``--timing-allow-fail``
so a missed clock still reports its Fmax), and simulates the MNIST MLP (784-256-256-10 with the
lead's trained model when available, else a random model of the same shape: cycle counts do not
depend on the weights) on the same array shape with Verilator, counting cycles per batch of
``cols`` images with the accelerator's own counters. It prints a table (with the git commit),
writes ``bench_synth.json`` and a PNG plot, and reports the largest configuration that fits
each device and meets its clock.

    .venv/bin/python -m bittern.bench.bench_synth [--boards icebreaker ulx3s] [--out build/bench]

Peak binary ops/s = rows * cols * lanes * 2 * Fmax (an XNOR and a popcount add per bit lane).
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from bittern.bench.common import git_commit

DEFAULT_SHAPES = {
    "icebreaker": [(1, 1), (2, 1), (1, 2), (2, 2), (4, 2), (2, 4)],
    "ulx3s": [(2, 2), (4, 4), (8, 4), (8, 8), (16, 8)],
}



def mnist_spec(seed=0):
    """The MNIST MLP shape, from the trained model when the training code is importable."""
    from bittern.model import randspec
    rng = np.random.default_rng(seed)
    spec = randspec.random_model(rng, hidden=(256, 256), in_features=784, classes=10,
                                 input_threshold=128)
    return spec


def mlp_cycles(spec, rows, cols, *, batches=1):
    """Cycles per batch of ``cols`` images and array utilisation, from a Verilator run."""
    from bittern.sim.tb_accel_host import run_on_accelerator
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(cols * batches, spec.input_features)).astype(np.uint8)
    res = run_on_accelerator(spec, images, rows=rows, cols=cols, simulator="verilator")
    return res.cycles / res.batches, res.utilisation


def depths_for(spec, rows, cols):
    from bittern.rtl.loader import default_depths
    return default_depths(spec, rows, cols)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boards", nargs="+", default=["icebreaker", "ulx3s"])
    ap.add_argument("--shapes", nargs="*", default=None, help="rowsxcols, e.g. 2x2 4x4")
    ap.add_argument("--out", default="build/bench")
    ap.add_argument("--no-sim", action="store_true", help="skip the MLP cycle simulation")
    ap.add_argument("--small-buffers", action="store_true",
                    help="a 256-word weight buffer instead of one sized for the whole MLP "
                         "(logic and clock only: the MLP then does not fit on chip)")
    args = ap.parse_args(argv)
    from bittern.cli.main import use_environment_tools
    from bittern.rtl.boards import build_bitstream
    use_environment_tools()         # YoWASP and Verilator from this venv, activated or not

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    spec = mnist_spec()
    rows_out, cycles_cache = [], {}
    for board in args.boards:
        shapes = DEFAULT_SHAPES[board] if not args.shapes else \
            [tuple(int(x) for x in s.split("x")) for s in args.shapes]
        for rows, cols in shapes:
            d = depths_for(spec, rows, cols) if not args.small_buffers else \
                dict(w_depth=256, a_depth=64, t_depth=16, s_depth=16)
            t0 = time.monotonic()
            s = build_bitstream(board, rows=rows, cols=cols, out_dir=out / f"{board}_r{rows}c{cols}",
                                timing_allow_fail=True, **d)
            if not args.no_sim and (rows, cols) not in cycles_cache:
                cycles_cache[rows, cols] = mlp_cycles(spec, rows, cols)
            cyc, util = cycles_cache.get((rows, cols), (float("nan"), float("nan")))
            fmax = s.fmax_mhz * 1e6
            row = dict(board=board, rows=rows, cols=cols, luts=s.luts, luts_available=s.luts_available,
                       ffs=s.ffs, ram=s.ram_blocks, sprams=s.sprams, ram_kind=s.ram, dsps=s.dsps,
                       fmax_mhz=s.fmax_mhz, depths=d,
                       target_mhz=s.target_mhz, fits=s.fits, meets=s.meets_timing,
                       peak_gops=rows * cols * 32 * 2 * fmax / 1e9,
                       cycles_per_batch=cyc, utilisation=util,
                       inf_per_s=cols * fmax / cyc if s.fits and cyc == cyc else 0.0,
                       wall_s=time.monotonic() - t0, error=(s.error or "")[:500] or None)
            rows_out.append(row)
            print(f"{board:10s} {rows:2d}x{cols:<2d} {s.luts:6d}/{s.luts_available:<6d} FF {s.ffs:6d} "
                  f"RAM {s.ram_blocks:3d}+{s.sprams} DSP {s.dsps:2d} Fmax {s.fmax_mhz:7.2f} "
                  f"fits={s.fits} meets={s.meets_timing} cyc/batch {cyc:.0f} util {util:.3f} "
                  f"inf/s {row['inf_per_s']:.0f}", flush=True)
    commit = git_commit()
    print(f"\nbench_synth, git {commit}; MNIST MLP 784-256-256-10, binarized input, batch = cols; "
          f"weights {'in a 256-word buffer' if args.small_buffers else 'all on chip'}")
    print("util = ideal cycles / measured cycles (1.0 is the ideal); SPR = iCE40 SPRAMs")
    hdr = (f"{'board':10s} {'RxC':>5s} {'LUT/LC':>13s} {'FF':>6s} {'RAM':>4s} {'SPR':>3s} {'DSP':>4s} "
           f"{'Fmax':>7s} {'target':>7s} {'fit':>4s} {'met':>4s} {'GOPS':>7s} {'cyc/batch':>10s} "
           f"{'util':>6s} {'inf/s':>9s}")
    print(hdr)
    print("-" * len(hdr))
    for r in rows_out:
        print(f"{r['board']:10s} {r['rows']:2d}x{r['cols']:<2d} {r['luts']:6d}/{r['luts_available']:<6d} "
              f"{r['ffs']:6d} {r['ram']:4d} {r['sprams']:3d} {r['dsps']:4d} {r['fmax_mhz']:7.2f} {r['target_mhz']:7.2f} "
              f"{'yes' if r['fits'] else 'NO':>4s} {'yes' if r['meets'] else 'no':>4s} "
              f"{r['peak_gops']:7.2f} {r['cycles_per_batch']:10.0f} {r['utilisation']:6.3f} "
              f"{r['inf_per_s']:9.0f}")
    base = next((r for r in rows_out if r["fits"]), None)
    if base:
        print("\nratios to the first fitting row (GOPS, inf/s):")
        for r in rows_out:
            if r["fits"] and base["peak_gops"] and base["inf_per_s"]:
                print(f"  {r['board']:10s} {r['rows']}x{r['cols']}: {r['peak_gops'] / base['peak_gops']:6.2f}x "
                      f"{r['inf_per_s'] / base['inf_per_s']:6.2f}x")
    for board in args.boards:
        ok = [r for r in rows_out if r["board"] == board and r["fits"]]
        met = [r for r in ok if r["meets"]]
        for label, pool in (("fits", ok), ("fits and meets its clock", met)):
            if pool:
                best = max(pool, key=lambda r: (r["rows"] * r["cols"], r["fmax_mhz"]))
                print(f"largest {board} configuration that {label}: {best['rows']}x{best['cols']} "
                      f"at {best['fmax_mhz']:.2f} MHz, {best['inf_per_s']:.0f} MNIST MLP inferences/s")
            else:
                print(f"largest {board} configuration that {label}: none in the sweep")
    (out / "bench_synth.json").write_text(json.dumps({"commit": commit, "rows": rows_out}, indent=2))
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        for board in args.boards:
            pts = [r for r in rows_out if r["board"] == board and r["fits"]]
            pe = [r["rows"] * r["cols"] for r in pts]
            axes[0].plot(pe, [r["fmax_mhz"] for r in pts], "o-", label=board)
            axes[1].plot(pe, [r["inf_per_s"] for r in pts], "o-", label=board)
        axes[0].set_xlabel("PEs (rows x cols)")
        axes[0].set_ylabel("post-route Fmax (MHz)")
        axes[1].set_xlabel("PEs (rows x cols)")
        axes[1].set_ylabel("MNIST MLP inferences/s at Fmax")
        for ax in axes:
            ax.set_xscale("log", base=2)
            ax.grid(True, alpha=0.3)
            ax.legend()
        fig.suptitle(f"bittern accelerator sweep (git {commit})")
        fig.tight_layout()
        fig.savefig(out / "bench_synth.png", dpi=120)
        print(f"plot: {out / 'bench_synth.png'}")
    except ImportError:
        print("matplotlib not installed: no plot")
    return 0


if __name__ == "__main__":
    sys.exit(main())
