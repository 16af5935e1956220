"""Cycles per image of the C driver's offloaded runs against the Python replay's, per model.

    .venv/bin/python -m bittern.bench.bench_driver_replay          # universal build, 4x2

Each model of ``runtime.cases.universal_cases`` that runs wholly on the universal build
(conv, planes, sparse) runs one batch of ``COLS`` images (one START) twice on the same
accelerator build: through the C driver (``bt_run_accel_batch`` in a co-simulation session,
``sim/cosim.py``) and through the Python loader's bus script replayed on the Verilated
accelerator (``sim/replay.py``). Both are checked bit-exactly against the golden model; the
table gives the accelerator's own counters per image (``PERF_CYCLES``, ``PERF_ACTIVE``) of
each and their ratio (1.00: the driver programs the hardware exactly as the loader does), and
the ops' estimate (``rtl/ops`` cycle formulas, the ideal of ``PERF_ACTIVE``).
"""

import argparse
import sys

import numpy as np

from bittern.bench.common import git_commit


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=2012)
    args = ap.parse_args(argv)

    from bittern.model import golden
    from bittern.rtl import loader
    from bittern.runtime.cases import UNIVERSAL, universal_cases, universal_geometry
    from bittern.sim.cosim import cosim_session
    from bittern.sim.replay import run_model

    rows, cols = UNIVERSAL["rows"], UNIVERSAL["cols"]
    depths = {k: v for k, v in UNIVERSAL.items() if k not in ("rows", "cols")}
    rng = np.random.default_rng(args.seed)
    cases = {n: spec for n, (spec, hw) in universal_cases(rng).items() if all(hw)}
    names = list(cases)
    images = [rng.integers(0, 256, size=(cols, cases[n].input_features)).astype(np.uint8)
              for n in names]
    steps = []
    for i in range(len(names)):
        steps += [{"op": "load", "slot": 0, "model": i},
                  {"op": "run", "slot": 0, "images": i, "batch": True}]
    res = cosim_session([cases[n] for n in names], images, steps, rows=rows, cols=cols,
                        depths=depths, bursts=True)
    print(f"# C driver vs Python replay, universal build {rows}x{cols} {depths}, one batch of "
          f"{cols} images per model, seed {args.seed}, commit {git_commit()}")
    print()
    print("| model | ops | driver PERF_CYCLES/img | replay PERF_CYCLES/img | driver/replay | "
          "driver PERF_ACTIVE/img | replay PERF_ACTIVE/img | ops' estimate/img |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    geom = universal_geometry()
    replay_depths = {k: v for k, v in depths.items() if k not in ("conv", "planes")}
    bad = 0
    for i, name in enumerate(names):
        spec, x = cases[name], images[i]
        ref = golden.run(spec, x).scores.numpy()
        drv = res.steps[2 * i + 1]
        rep = run_model(spec, x, rows=rows, cols=cols, depths=replay_depths, conv=True, planes=True)
        for what, s in (("driver", np.array(drv["scores"])), ("replay", rep.scores)):
            if not np.array_equal(s, ref):
                bad += 1
                print(f"MISMATCH {name} ({what})", file=sys.stderr)
        p = loader.plan(spec, geom)
        dp = drv["perf"][0]
        print(f"| {name} | {', '.join(lp.op.name for lp in p.layers)} | {dp['cycles'] / cols:.0f} | "
              f"{rep.cycles / cols:.0f} | {dp['cycles'] / max(1, rep.cycles):.2f} | "
              f"{dp['active'] / cols:.0f} | {rep.active / cols:.0f} | "
              f"{sum(lp.cycles for lp in p.layers) / cols:.0f} |")
    print()
    print(f"co-simulation wall {res.wall_s:.0f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
