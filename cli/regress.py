"""``bittern regress``: the golden-model regression across array shapes, families and simulators.

Runs in parallel on every core through pytest-xdist (``-n auto``), so the same command uses a
larger machine without change, and prints a summary table (also written as Markdown).
"""

import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

from bittern.model.randspec import FAMILY_NAMES

DEFAULT_SHAPES = "1x1x8,2x3x16,4x4x32,8x8x64"


def register(sub):
    p = sub.add_parser("regress", help="golden-model regression matrix on the simulated array",
                       description=__doc__)
    p.add_argument("--shapes", default=DEFAULT_SHAPES,
                   help=f"rowsxcolsxlanes list (default {DEFAULT_SHAPES})")
    p.add_argument("--families", default=",".join(FAMILY_NAMES))
    p.add_argument("--simulators", default="icarus,verilator")
    p.add_argument("--images", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-n", "--workers", default="auto", help="pytest-xdist workers (default auto)")
    p.add_argument("--out", default="out/regress")
    p.set_defaults(func=run)


def parse_shapes(text):
    shapes = []
    for item in text.split(","):
        parts = item.lower().split("x")
        if len(parts) != 3 or not all(p.isdigit() and int(p) > 0 for p in parts):
            raise ValueError(f"--shapes: {item!r} is not ROWSxCOLSxLANES (e.g. 4x4x32)")
        shapes.append(tuple(int(p) for p in parts))
    return shapes


def build_matrix(args):
    families = [f for f in args.families.split(",") if f]
    for f in families:
        if f not in FAMILY_NAMES:
            raise ValueError(f"--families: unknown family {f!r}; choose from {', '.join(FAMILY_NAMES)}")
    sims = [s for s in args.simulators.split(",") if s]
    for s in sims:
        if s not in ("icarus", "verilator"):
            raise ValueError(f"--simulators: {s!r} is not icarus or verilator")
    cases = []
    for rows, cols, lanes in parse_shapes(args.shapes):
        for fam in families:
            for sim in sims:
                cid = f"{fam}-{rows}x{cols}x{lanes}-{sim}"
                seed = (args.seed * 1000003 + zlib.crc32(f"{fam}-{rows}x{cols}x{lanes}".encode())) % 2**31
                cases.append({"id": cid, "family": fam, "rows": rows, "cols": cols,
                              "lanes": lanes, "simulator": sim, "images": args.images, "seed": seed})
    return cases


def summary(results):
    lines = ["| family | array | simulator | result | cycles | ideal | utilisation | wall s |",
             "|---|---|---|---|---|---|---|---|"]
    for r in sorted(results, key=lambda r: (r["family"], r["rows"] * r["cols"], r["simulator"])):
        util = r["ideal_cycles"] / r["cycles"] if r.get("cycles") else 0
        lines.append(f"| {r['family']} | {r['rows']}x{r['cols']}x{r['lanes']} | {r['simulator']} | "
                     f"{'pass' if r['pass'] else 'FAIL'} | {r['cycles']} | {r['ideal_cycles']:.0f} | "
                     f"{util:.1%} | {r['seconds']} |")
    return lines


def run(args):
    out = Path(args.out).resolve()
    (out / "results").mkdir(parents=True, exist_ok=True)
    for old in (out / "results").glob("*.json"):
        old.unlink()
    cases = build_matrix(args)
    matrix = out / "matrix.json"
    matrix.write_text(json.dumps(cases, indent=1))
    module = Path(__file__).resolve().parent.parent / "sim" / "regress_matrix.py"
    if not module.exists():   # installed (non-editable): the module ships in bittern.sim
        import bittern.sim
        module = Path(bittern.sim.__file__).parent / "regress_matrix.py"
    env = {**os.environ, "BITTERN_REGRESS_MATRIX": str(matrix)}
    cmd = [sys.executable, "-m", "pytest", str(module), "-n", str(args.workers), "-q",
           "-p", "no:cacheprovider", "--rootdir", str(module.parent)]
    print(f"regress: {len(cases)} cases on {args.workers} workers: {' '.join(cmd)}", flush=True)
    rc = subprocess.call(cmd, env=env)
    results = [json.loads(p.read_text()) for p in (out / "results").glob("*.json")]
    table = summary(results)
    missing = len(cases) - len(results)
    text = "\n".join(["# bittern regress", "", *table, "",
                      f"{sum(r['pass'] for r in results)} passed, "
                      f"{sum(not r['pass'] for r in results) + missing} failed"])
    (out / "summary.md").write_text(text + "\n")
    print(text)
    return rc
