"""``bittern regress``: the golden-model regression across families, geometries, simulators and seeds.

By default every case runs on the whole accelerator (bus writes, START, DONE, score reads) with
the clock inside the simulator; ``--target array`` runs the bare systolic array instead. Every
image's scores are compared with the golden model bit for bit; a model the accelerator cannot
run is reported as unsupported, with the reason. Jobs run through Dask: a local cluster on
127.0.0.1 (``--workers``), an existing one (``--scheduler ADDRESS``), or ``--workers 0`` in this
process. Results: a summary table (``OUT/summary.md``) and ``OUT/results.json``; a failing case
prints the command that replays it alone with waveforms.
"""

import json
import sys
from pathlib import Path

from bittern.model.randspec import FAMILY_NAMES

DEFAULT_SHAPES = {"accelerator": "2x2,4x4,2x8", "array": "1x1x8,2x3x16,4x4x32,8x8x64"}
DEFAULT_SIMULATORS = {"accelerator": "verilator,icarus", "array": "icarus,verilator"}


def register(sub):
    p = sub.add_parser("regress", help="golden-model regression matrix on the simulated accelerator",
                       description=__doc__)
    p.add_argument("--target", choices=("accelerator", "array"), default="accelerator",
                   help="the whole accelerator (default) or the bare array")
    p.add_argument("--shapes", default=None,
                   help=f"ROWSxCOLS list for the accelerator (default {DEFAULT_SHAPES['accelerator']}), "
                        f"ROWSxCOLSxLANES for the array (default {DEFAULT_SHAPES['array']})")
    p.add_argument("--families", default=",".join(FAMILY_NAMES))
    p.add_argument("--simulators", default=None,
                   help="verilator, icarus, amaranth (accelerator; default verilator,icarus)")
    p.add_argument("--images", type=int, default=4, help="images per case (default 4)")
    p.add_argument("--seed", type=int, default=0, help="first matrix seed (default 0)")
    p.add_argument("--seeds", type=int, default=1, help="seeds per case (default 1)")
    p.add_argument("-n", "--workers", type=int, default=None,
                   help="local Dask workers (default: one per core); 0 runs in this process")
    p.add_argument("--scheduler", default=None, help="address of a Dask scheduler to use instead")
    p.add_argument("--waves", action="store_true",
                   help="record waveforms (FST on Verilator and Icarus) and print their paths")
    p.add_argument("--out", default="out/regress")
    p.set_defaults(func=run)


def parse_shapes(text, target="array"):
    shapes = []
    for item in text.split(","):
        parts = item.lower().split("x")
        ok = all(p.isdigit() and int(p) > 0 for p in parts)
        if target == "accelerator" and len(parts) == 2 and ok:
            shapes.append((int(parts[0]), int(parts[1]), 32))
        elif len(parts) == 3 and ok:
            shapes.append(tuple(int(p) for p in parts))
        else:
            want = "ROWSxCOLS (e.g. 4x4)" if target == "accelerator" else "ROWSxCOLSxLANES (e.g. 4x4x32)"
            raise ValueError(f"--shapes: {item!r} is not {want}")
    return shapes


def build_matrix(args):
    from bittern.sim.regress_matrix import make_cases
    families = [f for f in args.families.split(",") if f]
    for f in families:
        if f not in FAMILY_NAMES:
            raise ValueError(f"--families: unknown family {f!r}; choose from {', '.join(FAMILY_NAMES)}")
    if args.images < 1 or args.seeds < 1:
        raise ValueError("--images and --seeds must be >= 1")
    sims = [s for s in (args.simulators or DEFAULT_SIMULATORS[args.target]).split(",") if s]
    shapes = parse_shapes(args.shapes or DEFAULT_SHAPES[args.target], args.target)
    return make_cases(target=args.target, shapes=shapes, families=families, simulators=sims,
                      seeds=range(args.seed, args.seed + args.seeds), images=args.images)


def summary(results):
    lines = ["| target | family | geometry | simulator | seed | result | cycles | ideal | "
             "utilisation | sim cycles/s | wall s |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        geom = f"{r['rows']}x{r['cols']}" + (f"x{r['lanes']}" if r["target"] == "array" else "")
        lines.append(f"| {r['target']} | {r['family']} | {geom} | {r['simulator']} | {r['seed']} | "
                     f"{r['status']} | {r['cycles']} | {r['ideal_cycles']:.0f} | "
                     f"{r['utilisation']:.1%} | {r['sim_cycles_per_s']:,.0f} | {r['wall_s']:.1f} |")
    return lines


def run(args):
    from bittern.sim.jobs import run_jobs
    from bittern.sim.regress_matrix import replay_command, run_case
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    cases = build_matrix(args)
    where = (f"the Dask scheduler at {args.scheduler}" if args.scheduler else
             "this process" if args.workers == 0 else
             f"a local Dask cluster on 127.0.0.1 ({args.workers or 'one per core'} workers)")
    print(f"regress: {len(cases)} cases on {where}", flush=True)

    def progress(done, total, case, res):
        print(f"[{done}/{total}] {case['id']}: {res['status']}"
              + (f" ({res['message']})" if res["status"] == "error" else ""), flush=True)

    fn = run_case
    if args.waves:
        from functools import partial
        fn = partial(run_case, waves=True)
    results = run_jobs(fn, cases, scheduler=args.scheduler, workers=args.workers,
                       progress=progress)
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    counts = {k: sum(r["status"] == k for r in results) for k in ("pass", "FAIL", "error", "unsupported")}
    bad = [r for r in results if r["status"] in ("FAIL", "error")]
    text = ["# bittern regress", "", *summary(results), "",
            f"{counts['pass']} passed, {len(bad)} failed, {counts['unsupported']} unsupported"]
    unsup = sorted({(r["family"], r["message"]) for r in results if r["status"] == "unsupported"})
    if unsup:
        text += ["", "Unsupported on the accelerator:"] + [f"- {f}: {m}" for f, m in unsup]
    (out / "summary.md").write_text("\n".join(text) + "\n")
    print("\n".join(text))
    for r in bad:
        print(f"regress: {r['id']} {r['status']}: {r['message']}; replay it alone with waveforms: "
              f"{replay_command(r)}", file=sys.stderr)
    for r in results:
        if r.get("waves"):
            print(f"waves: {r['id']}: {r['waves']}")
    return 1 if bad else 0
