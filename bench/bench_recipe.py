"""Training recipe before/after: held-out accuracy of every family at two latent-weight rates.

Each network is trained twice per seed with the same split, input, shifts and epochs, once at
``--before`` and once at ``--after`` as ``train(weight_lr=...)`` (batch-norm and the rest keep
``lr``; see ``bittern.model.train.param_groups``), and scored on the golden model over the
1,000 held-out mnist5k images. Rows: the networks of ``bench_families`` (with its 1-pixel
shifts), ``make demo``'s mlp-bin (shifts too), the decompose family of tests/test_families.py
(int3 weights, uint2 activations), and ``bench_peers``' two Brevitas architectures (no
shifts). ``float`` is left out: it has no latent weights, so the rate does not touch it.
Prints a Markdown table and the git commit.

    .venv/bin/python -m bittern.bench.bench_recipe [--epochs 30] [--seeds 2] [--rows binary,cnn]
"""

import argparse
import sys
import time

import numpy as np

from bittern.bench.bench_families import FAMILIES
from bittern.bench.bench_peers import ARCHS
from bittern.bench.common import git_commit

_BIN = {"shape": [28, 28, 1], "threshold": 128}
DECOMPOSE = {"name": "decompose", "input": _BIN, "blocks": [
    {"out": 32, "act": "uint2"}, {"out": 16, "weights": "int3", "act": "uint2"}, {"out": 10}]}


def rows():
    """name -> (network configuration, max shift in pixels)."""
    from bittern.model.zoo import network_config
    out = {name: (network_config(net, width=width), 1)
           for name, (net, width) in FAMILIES.items() if net != "float"}
    out["demo-mlp-bin"] = (network_config("mlp-bin"), 1)     # what `make demo` trains
    out["decompose"] = (DECOMPOSE, 1)
    for name, hidden in ARCHS.items():
        out[f"peer-{name}"] = ({"name": name, "input": _BIN,
                                "blocks": [{"out": h} for h in hidden] + [{"out": 10}]}, 0)
    return out


def accuracy(cfg, ds, *, epochs, seed, augment, weight_lr):
    from bittern.model import golden
    from bittern.model.fold import export_spec
    from bittern.model.train import train
    net = train(cfg, ds, epochs=epochs, seed=seed, augment=augment, weight_lr=weight_lr,
                progress=False).net
    return float((golden.run(export_spec(net), ds.test_x).labels.numpy() == ds.test_y).mean())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--before", type=float, default=0.01, help="latent-weight rate before")
    ap.add_argument("--after", type=float, default=None, help="after (default: the recipe's)")
    ap.add_argument("--rows", default=None, help="comma-separated row names (default all)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (default 1; the count changes the float sums, so "
                         "compare runs made with the same value)")
    args = ap.parse_args(argv)
    import torch
    from bittern.model import recipe
    from bittern.model.data import load_dataset
    torch.set_num_threads(args.threads)
    after = recipe.WEIGHT_LR if args.after is None else args.after
    table = rows()
    names = args.rows.split(",") if args.rows else list(table)
    bad = [n for n in names if n not in table]
    if bad:
        ap.error(f"unknown row {bad[0]!r}; choose from {', '.join(table)}")
    ds = load_dataset("mnist5k")
    print(f"# Training recipe: latent-weight rate {args.before} vs {after} "
          f"(commit {git_commit()}), {args.epochs} epochs, seeds 0..{args.seeds - 1}, {args.threads} torch thread(s), "
          f"1,000 held-out mnist5k images\n")
    print(f"| network | shifts | weight_lr {args.before} | weight_lr {after} | after - before "
          f"| seconds |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name in names:
        cfg, shift = table[name]
        t = time.time()
        acc = {w: [accuracy(cfg, ds, epochs=args.epochs, seed=s, augment=shift, weight_lr=w)
                   for s in range(args.seeds)] for w in (args.before, after)}

        def cell(v):
            return ", ".join(f"{100 * a:.1f}" for a in v) + f": **{100 * np.mean(v):.2f} %**"
        diff = 100 * (np.mean(acc[after]) - np.mean(acc[args.before]))
        print(f"| {name} | {shift} px | {cell(acc[args.before])} | {cell(acc[after])} | "
              f"{diff:+.2f} | {time.time() - t:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
