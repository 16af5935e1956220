"""Multi-bit families on the planes accelerator: cycles per image from the hardware counters
against the ideal, at 2x2 and 4x4 (Verilator; one build per geometry and model).

    .venv/bin/python -m bittern.bench.bench_planes [--trained] [--images N]

Per family and geometry: PERF_CYCLES and PERF_ACTIVE per image, and two ideals:
``mac`` = multi-bit MACs / (rows x cols x 32) (the issue's ideal: one MAC per lane and cycle,
whatever its width) and ``pass`` = binary-pass MACs / (rows x cols x 32) (what a perfectly
busy XNOR array needs for the passes). ``util`` = PERF_ACTIVE / PERF_CYCLES. Random family
models (model/randspec.py, seed printed) by default; ``--trained`` trains the
tests/test_families.py configs for one epoch (u8 first layer for WRPN).
"""

import argparse

import numpy as np

from bittern.bench.common import git_commit
from bittern.model import golden, randspec
from bittern.rtl import loader, ops
from bittern.rtl.ops import dense_planes as dp

FAMILIES = ("wrpn", "gxnor", "decompose")


def _specs(trained, seed):
    if not trained:
        rng = np.random.default_rng(seed)
        return {f: randspec.random_family_model(rng, f) for f in FAMILIES}
    import importlib.util
    from pathlib import Path
    from bittern.model.data import load_dataset
    from bittern.model.fold import export_spec
    from bittern.model.train import train
    path = Path(__file__).resolve().parents[1] / "tests" / "test_families.py"
    spec_ = importlib.util.spec_from_file_location("test_families", path)
    mod = importlib.util.module_from_spec(spec_)
    spec_.loader.exec_module(mod)
    data = load_dataset("mnist5k")
    return {f: export_spec(train(mod.FAMILIES[f], data, epochs=1, seed=0, progress=False).net)
            for f in FAMILIES}


def _pass_macs(spec):
    total = 0
    for i, layer in enumerate(spec.layers):
        op = ops.select(layer, i, last=i == len(spec.layers) - 1)
        if isinstance(op, dp.DensePlanes):
            sw, _ = dp.weight_form(layer.w_enc, layer.w_bits)
            sa, _, _ = dp.act_form(layer.in_enc, layer.in_bits)
            total += layer.in_c * dp.hw_channels(layer) * len(sw) * len(sa)
        else:
            total += layer.in_c * layer.out_c
    return total


def main(argv=None):
    from bittern.sim.tb_accel_host import run_on_accelerator
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trained", action="store_true")
    ap.add_argument("--images", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1950)
    args = ap.parse_args(argv)
    print(f"bench_planes at git {git_commit()}, seed {args.seed}, "
          f"{'trained' if args.trained else 'random'} models, {args.images} images")
    specs = _specs(args.trained, args.seed)
    rng = np.random.default_rng(args.seed)
    # One build per geometry: depths that hold every model.
    depths = {}
    for g in ((2, 2), (4, 4)):
        each = [loader.default_depths(s, *g) for s in specs.values()]
        depths[g] = {k: max(d[k] for d in each) for k in each[0]}
    print("| family | array | cycles/img | active/img | ideal mac | ideal pass | active/ideal pass "
          "| util |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for fam, spec in specs.items():
        x = rng.integers(0, 256, size=(args.images, spec.input_features)).astype(np.uint8)
        want = golden.run(spec, x).scores.numpy()
        macs = sum(l.in_c * l.out_c for l in spec.layers)
        pmacs = _pass_macs(spec)
        for rows, cols in ((2, 2), (4, 4)):
            res = run_on_accelerator(spec, x, rows=rows, cols=cols, planes=True,
                                     depths=depths[rows, cols])
            assert np.array_equal(res.scores, want), f"{fam} {rows}x{cols}: not golden"
            lanes = rows * cols * 32
            cyc, act = res.cycles / args.images, res.active / args.images
            ideal_m, ideal_p = macs / lanes, pmacs / lanes
            print(f"| {fam} | {rows}x{cols} | {cyc:.0f} | {act:.0f} | {ideal_m:.1f} | {ideal_p:.1f} "
                  f"| {act / ideal_p:.2f} | {res.utilisation:.2f} |")


if __name__ == "__main__":
    main()
