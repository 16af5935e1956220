"""3PXNet sparse layers: cycles on the sparse systolic array against the dense array.

    .venv/bin/python -m bittern.bench.bench_sparse                     # random layers, 4x4 array
    .venv/bin/python -m bittern.bench.bench_sparse --rows 8 --cols 8 --check-dense --trained

Each layer (seeded random 3PXNet weights: P kept packs of 32 per output, ``in_words`` words in)
runs on :class:`~bittern.rtl.sparse_array.SparseSystolicArray` through cocotb and is checked
bit-exactly against ``golden.run_layer``. The table gives the dense array's cycles for the same
layer (every pruned pack streamed; ``--check-dense`` runs the dense array too and checks the
number), the sparse array's cycles (first store load to last output: fill, loads and drain
included; ``--out-slots`` output slots, default ``cols``), their ratio (the saving), the ideal ratio ``in_words / P``, and the utilisation of
the sparse array (kept MACs / (rows*cols*32) / cycles). ``--trained`` adds the sparse layer of
the zoo's ``sparse-hidden`` MLP trained for one epoch on MNIST, on its real inputs.
"""

import argparse
import sys
import time

import numpy as np
import torch

from bittern.model import golden
from bittern.model.randspec import random_layer
from bittern.model.spec import WEnc
from bittern.sim.sparse_sim import LANES, SparseConfig, run_schedules, schedule
from bittern.sim.sparse_sim import dense_equivalent_cycles
from bittern.bench.common import git_commit

# (name, in_features, out_features, packs)
LAYERS = [
    ("mnist 64->32 P=1 (test family)", 64, 32, 1),
    ("sparse-hidden 256->256 P=2", 256, 256, 2),
    ("768->256 P=4 (1/6 kept)", 768, 256, 4),
    ("768->256 P=8 (1/3 kept)", 768, 256, 8),
    ("768->256 P=24 (all kept)", 768, 256, 24),
]



def trained_layer(batch):
    from bittern.model.data import load_dataset
    from bittern.model.fold import export_spec
    from bittern.model.train import train
    from bittern.model.zoo import network_config
    mnist = load_dataset()
    spec = export_spec(train(network_config("sparse-hidden"), mnist, epochs=1, seed=0,
                             progress=False).net)
    i = next(k for k, l in enumerate(spec.layers) if l.w_enc == WEnc.SPARSE)
    x = golden.run(spec, mnist.test_x[:batch]).trace[i - 1].values
    return spec.layers[i], x.reshape(batch, -1)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=4)
    ap.add_argument("--cols", type=int, default=4)
    ap.add_argument("--batch", type=int, default=None, help="input vectors (default 2*cols)")
    ap.add_argument("--out-slots", type=int, default=None,
                    help="output slots of the sparse array (default cols: one tile a cycle)")
    ap.add_argument("--simulator", default="verilator", choices=["icarus", "verilator", "amaranth"])
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--check-dense", action="store_true",
                    help="also run the dense array on each layer and check its cycle count")
    ap.add_argument("--trained", action="store_true",
                    help="add the sparse layer of sparse-hidden trained 1 epoch on MNIST")
    args = ap.parse_args(argv)
    R, C = args.rows, args.cols
    B = args.batch or 2 * C
    rng = np.random.default_rng(args.seed)
    cases = []
    for name, n_in, n_out, packs in LAYERS:
        layer = random_layer(rng, w_enc=WEnc.SPARSE, in_c=n_in, out_c=n_out, packs=packs)
        x = torch.from_numpy(rng.choice(np.array([-1, 1]), size=(B, n_in)))
        cases.append((name, layer, x))
    if args.trained:
        layer, x = trained_layer(B)
        cases.append((f"trained sparse-hidden {layer.in_c}->{layer.out_c} P={layer.packs}",
                      layer, x))
    words = max(l.in_c // LANES for _, l, _ in cases)
    K = args.out_slots or C
    cfg = SparseConfig(R, C, words, out_slots=K)       # one build for every layer
    scheds = [schedule(cfg, l.weights, l.pack_index, x.numpy()) for _, l, x in cases]
    t0 = time.monotonic()
    res = run_schedules(scheds, simulator=args.simulator)
    wall = time.monotonic() - t0
    rows = []
    ok_all = True
    for (name, layer, x), (acc, st) in zip(cases, res):
        kw, P = layer.in_c // LANES, layer.packs
        want = golden.run_layer(x.reshape(B, 1, 1, -1), layer).acc.reshape(B, -1).numpy()
        ok = bool(np.array_equal(acc, want))
        ok_all &= ok
        dense = dense_equivalent_cycles(rows=R, cols=C, batch=B, out_c=layer.out_c, in_words=kw)
        if args.check_dense:
            from bittern.sim.layer_sim import ArrayConfig
            from bittern.sim.layer_sim import run_schedules as dense_run
            from bittern.sim.layer_sim import schedule as dense_schedule
            (dacc, _, dst), = dense_run([dense_schedule(
                ArrayConfig(R, C, LANES, pe="ternary"), layer.weights.astype(np.int64),
                x.numpy())], simulator=args.simulator)
            if dst.cycles != dense or not np.array_equal(dacc, want):
                print(f"{name}: dense array took {dst.cycles} cycles, model says {dense}",
                      file=sys.stderr)
                ok_all = False
        rows.append((name, kw, P, dense, st.cycles, dense / st.cycles, kw / P,
                     st.ideal_cycles / st.cycles, "yes" if ok else "NO"))
    print(f"bench_sparse  commit {git_commit()}  array {R}x{C} x 32 lanes, store {words} words x 2 "
          f"banks  {K} output slots  batch {B}  seed {args.seed}  {args.simulator} {wall:.1f} s"
          f"{'  dense cycles checked on the dense array' if args.check_dense else ''}")
    hdr = ("layer", "in_words", "P", "dense cyc", "sparse cyc", "saving", "in_words/P",
           "util", "bit-exact")
    print(f"{hdr[0]:<40} {hdr[1]:>8} {hdr[2]:>3} {hdr[3]:>10} {hdr[4]:>10} {hdr[5]:>7} "
          f"{hdr[6]:>10} {hdr[7]:>6} {hdr[8]:>9}")
    for r in rows:
        print(f"{r[0]:<40} {r[1]:>8} {r[2]:>3} {r[3]:>10} {r[4]:>10} {r[5]:>6.2f}x {r[6]:>9.2f}x "
              f"{r[7]:>6.2f} {r[8]:>9}")
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
