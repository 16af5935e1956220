"""3PXNet sparse layers on the whole accelerator: cycles per image from its own counters.

    .venv/bin/python -m bittern.bench.bench_accel_sparse            # 2x2 and 4x4, Verilator
    .venv/bin/python -m bittern.bench.bench_accel_sparse --shapes 4x4 --batches 1

Each model (seeded random weights, MNIST-sized input, binarized) runs through bus writes on a
simulated :class:`~bittern.rtl.accelerator.Accelerator` built with the sparse datapath
(``sparse_words``), one Verilator build per shape, scores checked against golden. Per model and
shape: ``PERF_CYCLES`` and ``PERF_ACTIVE`` per batch of ``cols`` images, cycles per image, the
ideal (kept MACs / (rows x cols x 32): every PE busy on a kept pack), utilisation = ideal /
PERF_CYCLES, and for the sparse layers the array cycles they take (kept packs x tiles, which
``PERF_ACTIVE`` confirms) against what the dense array would take (all packs x tiles).
"""

import argparse
import sys

import numpy as np
import torch

from bittern.bench.common import git_commit
from bittern.model import golden, randspec
from bittern.model.spec import Enc, ModelSpec, WEnc


def _model(rng, sizes, packs):
    """Dense / sparse (P = packs[i] > 0) layers of sizes[i] -> sizes[i+1], scores last."""
    layers = []
    for i, (n, m) in enumerate(zip(sizes, sizes[1:])):
        last = i == len(sizes) - 2
        kw = dict(out_enc=Enc.SCORES, out_bits=0) if last else {}
        if packs[i]:
            kw.update(w_enc=WEnc.SPARSE, packs=packs[i])
        layers.append(randspec.random_layer(rng, in_c=n, out_c=m, **kw))
    return ModelSpec(layers=layers, in_h=1, in_w=1, in_c=sizes[0], input_threshold=128).validate()


MODELS = {
    # the `sparse` family of tests/test_families.py: 784-64-32(sparse, 1 of 2 packs)-10
    "family 784-64-32s(P1/2)-10": ((784, 64, 32, 10), (0, 1, 0)),
    # zoo `sparse-hidden`-like: 784-256-256(sparse, 2 of 8)-10
    "784-256-256s(P2/8)-10": ((784, 256, 256, 10), (0, 2, 0)),
    # two sparse layers, 1/6 and 1/4 of the packs kept
    "768-256s(P4/24)-128s(P2/8)-10": ((768, 256, 128, 10), (4, 2, 0)),
}


def run(shapes, batches, seed=0):
    from bittern.rtl import loader
    from bittern.sim.tb_accel_host import run_on_accelerator
    rows_out = []
    for rows, cols in shapes:
        specs = {name: _model(np.random.default_rng(seed), *cfg) for name, cfg in MODELS.items()}
        depths = {}
        for spec in specs.values():          # one build per shape: depths that hold every model
            for k, v in loader.default_depths(spec, rows, cols).items():
                depths[k] = max(depths.get(k, 0), v)
        geom = loader.Geometry(rows=rows, cols=cols, **depths)
        for name, spec in specs.items():
            images = np.random.default_rng(seed + 1).integers(
                0, 256, size=(batches * cols, spec.input_features)).astype(np.uint8)
            res = run_on_accelerator(spec, images, rows=rows, cols=cols, depths=depths)
            ref = golden.run(spec, torch.as_tensor(images)).scores.numpy()
            if not np.array_equal(res.scores, ref):
                raise AssertionError(f"{name} at {rows}x{cols}: scores differ from golden")
            p = loader.plan(spec, geom)
            ideal = sum(l.macs for l in spec.layers) * cols / (rows * cols * 32)
            sp = [(lp.cycles, -(-l.out_c // rows) * -(-l.in_c // 32))
                  for l, lp in zip(spec.layers, p.layers) if l.w_enc == WEnc.SPARSE]
            cyc, act = res.cycles / res.batches, res.active / res.batches
            rows_out.append(dict(shape=f"{rows}x{cols}", model=name, cycles=cyc,
                                 per_image=cyc / cols, active=act, ideal=ideal,
                                 util=ideal / cyc, active_vs_plan=act / sum(lp.cycles for lp in p.layers),
                                 sparse_cycles=sum(a for a, _ in sp), dense_cycles=sum(d for _, d in sp)))
    return rows_out


def table(rows):
    out = [f"git {git_commit()}", "",
           "| array | model | PERF_CYCLES / batch | cycles / image | PERF_ACTIVE / batch | ideal | "
           "utilisation | sparse layers: array cycles (kept packs) | dense array would take | saving |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        out.append(f"| {r['shape']} | {r['model']} | {r['cycles']:.0f} | {r['per_image']:.0f} | "
                   f"{r['active']:.0f} | {r['ideal']:.0f} | {r['util']:.3f} | {r['sparse_cycles']} | "
                   f"{r['dense_cycles']} | {r['dense_cycles'] / r['sparse_cycles']:.2f}x |")
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shapes", nargs="+", default=["2x2", "4x4"], help="rowsxcols")
    ap.add_argument("--batches", type=int, default=2)
    args = ap.parse_args(argv)
    shapes = [tuple(int(v) for v in s.split("x")) for s in args.shapes]
    rows = run(shapes, args.batches)
    print(table(rows))
    for r in rows:       # PERF_ACTIVE must be exactly the ops' estimate (kept packs only)
        if abs(r["active_vs_plan"] - 1) > 1e-9:
            print(f"{r['shape']} {r['model']}: PERF_ACTIVE / plan = {r['active_vs_plan']}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
