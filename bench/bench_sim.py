"""Simulator speed: simulated clock cycles per second, before (cocotb steps every clock from
Python) and after (the replay harness, :mod:`bittern.sim.replay`, clock inside the simulator).

    .venv/bin/python -m bittern.bench.bench_sim              # the table + the 10,000-image run
    .venv/bin/python -m bittern.bench.bench_sim --images 1000 --quick
    .venv/bin/python -m bittern.bench.bench_sim --quick --json after.json --before before.json

Rows: the bare systolic array (cocotb, ``bittern.sim.layer_sim``) at 2x2 and 8x8; the whole
accelerator (bus writes -> START -> DONE -> score reads) at 2x2 and 4x4 through cocotb's
Wishbone master (before) and through the replay on Verilator (after), plus the replay on Icarus
and on Amaranth's simulator with a small model (they are too slow for the MNIST MLP). Every run's
scores are compared with the golden model bit for bit; a mismatch stops the benchmark.

Columns: simulated cycles, the simulator's wall time (builds excluded), cycles/s on the wall
clock and per CPU second (the machine is shared: CPU seconds say what an unshared core does),
images/s, the speed-up against the cocotb row of the same size and, with ``--before`` (an
older run's ``--json``), the ratio of cycles per CPU second to that run's row. A replay row is
the best of ``--repeat`` runs of the same transactions (by CPU time: the machine is shared, and
a neighbour's job only ever slows a run down). The last line is the
10,000-image MNIST run through the whole 2x2 accelerator, wall time of everything (transaction
generation, simulation, golden model and comparison; the build is reported apart).
"""

import argparse
import json
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import torch

from bittern.bench.common import git_commit
from bittern.model import golden, randspec
from bittern.model.data import load_dataset

MNIST_MLP = dict(hidden=(256, 256), in_features=784, classes=10)   # the demo's 784-256-256-10
SMALL = dict(hidden=(40,), in_features=70, classes=3)


def _check(spec, images, scores, what):
    want = golden.run(spec, torch.as_tensor(images)).scores.numpy()
    if not np.array_equal(np.asarray(scores), want):
        raise SystemExit(f"bench_sim: error: {what}: scores differ from the golden model")


def _row(path, sim, size, cycles, wall, cpu, images, base=None):
    return dict(path=path, simulator=sim, size=size, cycles=int(cycles), wall_s=wall, cpu_s=cpu,
                cps=cycles / wall if wall else 0.0, cps_cpu=cycles / cpu if cpu else 0.0,
                images_s=images / wall if wall else 0.0, base=base)


def array_row(rows, cols, rng):
    """The bare array through cocotb (``bittern sim``'s path): the layers' cycles/s."""
    from bittern.sim.layer_sim import simulate_model
    spec = randspec.random_family_model(rng, "binary")
    images = rng.integers(0, 256, size=(8, spec.input_features)).astype(np.uint8)
    res = simulate_model(spec, images, rows=rows, cols=cols, lanes=32, simulator="verilator")
    _check(spec, images, res.scores, f"array {rows}x{cols}")
    wall = sum(lr.sim_wall_s for lr in res.layers)
    return _row("array, cocotb", "verilator", f"{rows}x{cols}", res.cycles, wall, 0.0, len(images))


def accel_cocotb_row(spec, images, rows, cols):
    """The whole accelerator through ``sim/tb_accel.py`` (cocotb's Wishbone master)."""
    from bittern.rtl.accelerator import Accelerator
    from bittern.sim.runner import default_build_root
    from bittern.rtl.loader import default_depths
    from bittern.sim.tb_accel_host import accel_name, run_on_accelerator
    res = run_on_accelerator(spec, images, rows=rows, cols=cols, simulator="verilator")
    _check(spec, images, res.scores, f"cocotb accelerator {rows}x{cols}")
    accel = Accelerator(rows=rows, cols=cols, **default_depths(spec, rows, cols))
    accel._MustUse__silence = True          # built only for its name (as runner._convert_once does)
    name = accel_name(accel)
    case = ET.parse(default_build_root() / name / "verilator" / "run" / "results.xml").find(".//testcase")
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    cycles = float(props["sim_time_duration"]) / 10       # ns; tb_accel's clock is 10 ns
    wall = float(case.get("time"))
    return _row("accelerator, cocotb", "verilator", f"{rows}x{cols}", cycles, wall, 0.0, len(images))


def accel_replay_row(spec, images, rows, cols, simulator, repeat=1):
    from bittern.sim.replay import run_model
    runs = []
    for _ in range(repeat):
        run = run_model(spec, images, rows=rows, cols=cols, simulator=simulator)
        _check(spec, images, run.scores, f"replay {simulator} {rows}x{cols}")
        runs.append(run)
    run = min(runs, key=lambda x: x.sim.cpu_s)
    r = run.sim
    return _row("accelerator, replay", simulator, f"{rows}x{cols}", r.cycles, r.wall_s, r.cpu_s,
                len(images)), run


def big_run(spec, images, rows, cols):
    from bittern.sim.replay import run_model
    t0 = time.monotonic()
    run = run_model(spec, images, rows=rows, cols=cols)
    _check(spec, images, run.scores, f"{len(images)}-image run")
    return time.monotonic() - t0 - run.sim.build_s, run


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=10_000, help="images in the big run (10000)")
    ap.add_argument("--quick", action="store_true", help="skip the cocotb rows (their builds)")
    ap.add_argument("--replay-images", type=int, default=1000,
                    help="images per Verilator replay row (1000)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per replay row, best kept (3)")
    ap.add_argument("--json", help="write the rows and the big run here")
    ap.add_argument("--before", help="an older run's --json: print the ratios to its rows")
    args = ap.parse_args(argv)
    before = {}
    if args.before:
        old = json.loads(Path(args.before).read_text())
        before = {(r["path"], r["simulator"], r["size"]): r for r in old["rows"]}
        print(f"before: {args.before} (commit {old['commit']})")
    rng = np.random.default_rng(0)
    print(f"bench_sim  commit {git_commit()}  seed 0")
    mnist = load_dataset("mnist5k")
    pool = np.concatenate([mnist.test_x, mnist.train_x]).reshape(-1, 784).astype(np.uint8)
    mlp = randspec.random_model(np.random.default_rng(1), **MNIST_MLP)
    small = randspec.random_model(np.random.default_rng(2), **SMALL)
    small_images = rng.integers(0, 256, size=(4, 70)).astype(np.uint8)
    rows = []
    if not args.quick:
        for r, c in ((2, 2), (8, 8)):
            rows.append(array_row(r, c, rng))
    for r, c in ((2, 2), (4, 4)):
        base = None
        if not args.quick:
            base = accel_cocotb_row(mlp, pool[:2 * c], r, c)
            rows.append(base)
        row, _ = accel_replay_row(mlp, pool[:args.replay_images], r, c, "verilator", args.repeat)
        row["base"] = base
        rows.append(row)
    for sim in ("icarus", "amaranth"):
        row, _ = accel_replay_row(small, small_images, 2, 2, sim, args.repeat)
        rows.append(row)
    print(f"{'path':<22} {'simulator':<10} {'size':<5} {'cycles':>10} {'wall s':>8} "
          f"{'cycles/s':>10} {'cyc/cpu-s':>10} {'images/s':>9} {'vs cocotb':>9} {'vs before':>9}")
    for r in rows:
        speedup = f"{r['cps'] / r['base']['cps']:.1f}x" if r["base"] else ""
        cpu = f"{r['cps_cpu']:,.0f}" if r["cpu_s"] else ""
        old = before.get((r["path"], r["simulator"], r["size"]))
        rate = "cps_cpu" if r["cpu_s"] and old and old["cpu_s"] else "cps"
        ratio = f"{r[rate] / old[rate]:.2f}x" if old and old[rate] else ""
        print(f"{r['path']:<22} {r['simulator']:<10} {r['size']:<5} {r['cycles']:>10,} "
              f"{r['wall_s']:>8.2f} {r['cps']:>10,.0f} {cpu:>10} {r['images_s']:>9.1f} {speedup:>9}"
              f" {ratio:>9}")
    n = args.images
    images = pool[np.arange(n) % len(pool)]
    wall, run = big_run(mlp, images, 2, 2)
    s = run.sim
    print(f"{n}-image MNIST run (784-256-256-10, random weights, real digits), accelerator 2x2 on "
          f"Verilator: {wall:.1f} s wall in all ({n / wall:.0f} images/s; target < 300 s: "
          f"{'met' if wall < 300 else 'MISSED'}), simulator {s.wall_s:.1f} s wall / {s.cpu_s:.1f} "
          f"CPU s for {s.cycles:,} cycles ({s.cycles_per_s:,.0f} cycles/s wall, "
          f"{s.cycles_per_cpu_s:,.0f} per CPU s; target 1,000,000), utilisation "
          f"{run.utilisation:.1%}, scores equal golden; build {s.build_s:.0f} s")
    if args.json:
        big = dict(images=n, wall_s=wall, sim_wall_s=s.wall_s, cpu_s=s.cpu_s, cycles=s.cycles,
                   build_s=s.build_s)
        Path(args.json).write_text(json.dumps(
            {"commit": git_commit(), "rows": [{k: v for k, v in r.items() if k != "base"}
                                              for r in rows], "big_run": big}, indent=1))


if __name__ == "__main__":
    main()
