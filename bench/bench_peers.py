"""Brevitas vs bittern: the same architecture, split, input binarization and epochs.

Each architecture is trained by bittern (``bittern.model.train.train``, its defaults) and by
Brevitas (``bittern.model.interop.brevitas_nets``: FINN-style constant-scale quantizers, Adam at
the same learning rate and batch), on the 4,000 mnist5k training images; both are scored on
the 1,000 held-out images (bittern: the golden integer model; Brevitas: its own float module,
which ``bittern import`` reproduces label for label). Prints a Markdown table with the ratio
bittern / Brevitas and the git commit.

    .venv/bin/python -m bittern.bench.bench_peers [--epochs 30] [--seeds 2] [--quick] [--threads 1]
"""

import argparse
import sys
import time

import numpy as np

from bittern.bench.common import git_commit

ARCHS = {"w1a1-784-256-256-10": [256, 256], "tfc-w1a1-784-64-64-64-10": [64, 64, 64]}


def bittern_accuracy(hidden, ds, epochs, seed):
    from bittern.model import golden
    from bittern.model.fold import export_spec
    from bittern.model.train import train
    cfg = {"name": "peer", "input": {"shape": [28, 28, 1], "threshold": 128},
           "blocks": [{"out": h} for h in hidden] + [{"out": 10}]}
    net = train(cfg, ds, epochs=epochs, seed=seed, progress=False).net
    g = golden.run(export_spec(net), ds.test_x)
    return float((g.labels.numpy() == ds.test_y).mean())


def brevitas_accuracy(hidden, ds, epochs, seed):
    import torch
    from bittern.model.interop import brevitas_nets as bn
    torch.manual_seed(seed)     # the initial weights too: train_quick seeds only the training
    net = bn.train_quick(bn.binary_mlp(hidden), ds, epochs=epochs, seed=seed)
    return bn.accuracy(net, ds.test_x, ds.test_y)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--archs", default=",".join(ARCHS))
    ap.add_argument("--quick", action="store_true", help="2 epochs, 1 seed, the TFC only")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (default 1; the count changes the float sums, so "
                         "compare runs made with the same value)")
    args = ap.parse_args(argv)
    import torch
    torch.set_num_threads(args.threads)
    if args.quick:
        args.epochs, args.seeds, args.archs = 2, 1, "tfc-w1a1-784-64-64-64-10"
    from bittern.model.data import load_dataset
    ds = load_dataset("mnist5k")
    print(f"# Brevitas vs bittern (commit {git_commit()}), {args.epochs} epochs, "
          f"mean of {args.seeds} seed(s), {args.threads} torch thread(s), "
          f"1,000 held-out mnist5k images\n")
    print("| architecture | Brevitas | bittern | bittern / Brevitas | seconds |")
    print("| --- | --- | --- | --- | --- |")
    for name in args.archs.split(","):
        if name not in ARCHS:
            print(f"bench_peers: unknown architecture {name!r}", file=sys.stderr)
            return 2
        t = time.time()
        bre = np.mean([brevitas_accuracy(ARCHS[name], ds, args.epochs, s) for s in range(args.seeds)])
        bit = np.mean([bittern_accuracy(ARCHS[name], ds, args.epochs, s) for s in range(args.seeds)])
        print(f"| {name} | {bre:.2%} | {bit:.2%} | {bit / bre:.3f} | {time.time() - t:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
