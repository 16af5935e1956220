"""``bittern sim``: run an exported model (or one layer) through the simulated systolic array.

Prints, per layer, the array path, cycles, ideal cycles (work / (rows*cols*lanes)) and their
ratio, checks the outputs bit-exactly against the golden model, and optionally keeps waveforms.
These are the bare array's cycles, sequenced from Python; the lines after the table say which
layers the accelerator itself runs (the op registry, ``rtl/ops/``) and why not the others.
"""

import sys

from bittern.cli.options import (DEFAULT_ARRAY, array_dim, input_file, int_in, output_dir,
                                 positive_int)

__all__ = ["register", "run"]


def register(subparsers):
    p = subparsers.add_parser("sim", help="run a model through the simulated systolic array",
                              description=__doc__)
    p.add_argument("--model", required=True, type=input_file, help="exported .bittern model file")
    p.add_argument("--layer", type=int, default=None,
                   help="simulate only this layer (the others run on the golden model)")
    p.add_argument("--simulator", choices=("icarus", "verilator", "amaranth"), default="verilator")
    p.add_argument("--rows", type=array_dim("rows"), default=DEFAULT_ARRAY[0],
                   help=f"array rows, a power of two (default {DEFAULT_ARRAY[0]})")
    p.add_argument("--cols", type=array_dim("cols"), default=DEFAULT_ARRAY[1],
                   help=f"array columns, a power of two (default {DEFAULT_ARRAY[1]})")
    p.add_argument("--lanes", type=int_in(1, 1024), default=DEFAULT_ARRAY[2],
                   help=f"bits per PE word (default {DEFAULT_ARRAY[2]})")
    p.add_argument("--images", type=positive_int, default=8, help="number of test images (default 8)")
    p.add_argument("--dataset", default="mnist5k",
                   help="mnist5k, digits or idx:DIR (default mnist5k); 'random' for seeded noise")
    p.add_argument("--seed", type=int, default=0, help="seed for --dataset random")
    p.add_argument("--waves", action="store_true",
                   help="record waveforms (VCD) of every layer run under the build folder; "
                        "their paths are printed")
    p.add_argument("--build-root", type=output_dir, default=None,
                   help="build folder, logs and waveforms (default build/sim in the current folder)")
    p.set_defaults(func=run)


def _images(args, spec):
    import numpy as np
    n = args.images
    if args.dataset == "random":
        rng = np.random.default_rng(args.seed)
        return rng.integers(0, 256, size=(n, spec.input_features), dtype=np.uint8)
    from bittern.model.data import load_dataset
    ds = load_dataset(args.dataset)
    if n > len(ds.test_x):
        raise ValueError(f"--images {n}: {args.dataset} has {len(ds.test_x)} held-out images")
    x = ds.test_x[:n]
    if x[0].size != spec.input_features:
        raise ValueError(f"dataset {args.dataset} images have {x[0].size} pixels, the model "
                         f"expects {spec.input_features}")
    return x.reshape(len(x), -1)


def run(args):
    import torch
    from bittern.model import golden
    from bittern.model.fileformat import load
    from bittern.sim import layer_sim

    spec = load(args.model)
    if args.layer is not None and not 0 <= args.layer < len(spec.layers):
        raise ValueError(f"--layer must be 0..{len(spec.layers) - 1}, not {args.layer}")
    images = _images(args, spec)
    layers = None if args.layer is None else [args.layer]
    res = layer_sim.simulate_model(spec, images, rows=args.rows, cols=args.cols,
                                   lanes=args.lanes, simulator=args.simulator, layers=layers,
                                   build_root=args.build_root, waves=args.waves)
    gold = golden.run(spec, torch.from_numpy(images))
    print(f"array {args.rows}x{args.cols}, {args.lanes} lanes, {args.simulator}, "
          f"{len(images)} images")
    print(f"{'layer':>5} {'path':<28} {'cycles':>9} {'ideal':>10} {'ratio':>6} {'cyc/s':>9} match")
    ok = True
    for r in res.layers:
        match = torch.equal(r.acc, gold.trace[r.index].acc) and \
            torch.equal(r.values, gold.trace[r.index].values)
        ok &= match
        cps = r.cycles / r.sim_wall_s if r.sim_wall_s else float("inf")
        print(f"{r.index:>5} {r.path:<28} {r.cycles:>9} {r.ideal_cycles:>10.1f} "
              f"{r.utilisation:>6.1%} {cps:>9.0f} {'yes' if match else 'NO'}")
    print(f"total {res.cycles} array cycles (bare array, Python-sequenced), ideal "
          f"{res.ideal_cycles:.1f}, ratio {res.utilisation:.1%}")
    from bittern.rtl import ops
    n = len(spec.layers)
    for i, layer in enumerate(spec.layers):
        op = ops.find(layer, last=i == n - 1)
        print(f"layer {i} on the accelerator: " +
              (f"yes ({op.name})" if op else f"no, {ops.why_not(layer, last=i == n - 1)}"))
    if layers is None:
        same = torch.equal(res.scores, gold.scores)
        ok &= same
        print(f"scores {'match' if same else 'DIFFER from'} the golden model; labels "
              f"{res.labels.tolist()}")
    for path in res.waves:
        print(f"waves: {path}")
    if not ok:
        print("bittern sim: error: the simulated array disagrees with the golden model",
              file=sys.stderr)
        return 1
    return 0
