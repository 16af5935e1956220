"""The C accelerator driver against the RTL: offload, batching and bus traffic per model.

    .venv/bin/python -m bittern.bench.bench_driver                  # Wishbone, rows 4 cols 2
    .venv/bin/python -m bittern.bench.bench_driver --bus spi --images 2

Each model of ``runtime.cases.offload_cases`` (mixed hardware/software layers) plus a dense
binary MLP runs through ``bt_run_accel`` image by image and through ``bt_run_accel_batch``
(COLS images per START) in one co-simulation session (``sim/cosim.py``), scores checked
bit-exactly against the golden model. The table gives the layers offloaded, STARTs per image,
``PERF_ACTIVE`` per image against the ideal (tiles x input words of the offloaded layers),
the array's utilisation (``PERF_ACTIVE / PERF_CYCLES``), busy cycles per image one by one and
in batches (and their ratio: the batch gain, ideally ``COLS``), and bus words per image of
the image-by-image run (its first call programs the model; SPI: frames per word, where one
frame per word would be 1.0).
"""

import argparse
import sys

import numpy as np

from bittern.bench.common import git_commit

DEPTHS = dict(w_depth=1024, a_depth=64, t_depth=64, s_depth=64)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bus", choices=("wishbone", "spi"), default="wishbone")
    ap.add_argument("--rows", type=int, default=4)
    ap.add_argument("--cols", type=int, default=2)
    ap.add_argument("--images", type=int, default=4)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args(argv)

    from bittern.model import golden, randspec
    from bittern.runtime.cases import offload_cases
    from bittern.sim.cosim import cosim_session

    rng = np.random.default_rng(args.seed)
    cases = dict(offload_cases(rng))
    cases["mlp 784-128-64-10"] = (randspec.random_model(rng, hidden=(128, 64), in_features=784),
                                  None)
    names = list(cases)
    models = [cases[n][0] for n in names]
    images = [rng.integers(0, 256, size=(args.images, m.input_features)).astype(np.uint8)
              for m in models]
    steps = []
    for i in range(len(models)):
        steps += [{"op": "load", "slot": i, "model": i},
                  {"op": "run", "slot": i, "images": i},
                  {"op": "run", "slot": i, "images": i, "batch": True}]
    res = cosim_session(models, images, steps, bus=args.bus, rows=args.rows, cols=args.cols,
                        depths=DEPTHS, bursts=True)
    print(f"# C driver on the accelerator ({args.bus}, {args.rows}x{args.cols}, depths {DEPTHS}, "
          f"{args.images} images per model, seed {args.seed}, commit {git_commit()})")
    print()
    print("| model | layers on hw | STARTs/image | active/ideal | utilisation | cycles/image "
          "single | batch | batch gain | bus words/image |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    bad = 0
    n = args.images
    for i, name in enumerate(names):
        spec = cases[name][0]
        single, batch = res.steps[3 * i + 1], res.steps[3 * i + 2]
        hw = [(single["driver"]["hw_layers"] >> j) & 1 for j in range(len(spec.layers))]
        ref = golden.run(spec, images[i]).scores.numpy()
        for run in (single, batch):
            if not np.array_equal(np.array(run["scores"]), ref):
                bad += 1
                print(f"MISMATCH {name}", file=sys.stderr)
        ideal = sum(-(-l.out_c // args.rows) * -(-l.in_c // 32)
                    for l, h in zip(spec.layers, hw) if h)
        sp, bp = single["perf"], batch["perf"][0]
        starts = sum(p["starts"] for p in sp) / n
        active = sum(p["active"] for p in sp) / n
        cyc_single = sum(p["cycles"] for p in sp) / n
        cyc_batch = bp["cycles"] / n
        util = sum(p["active"] for p in sp) / max(1, sum(p["cycles"] for p in sp))
        words = (single["bus"]["reads"] + single["bus"]["writes"]) / n
        print(f"| {name} | {sum(hw)}/{len(hw)} | {starts:.0f} | "
              f"{active / max(1, ideal):.2f} ({active:.0f}/{ideal}) | {util:.0%} | "
              f"{cyc_single:.0f} | {cyc_batch:.0f} | {cyc_single / max(1, cyc_batch):.2f} | "
              f"{words:.0f} |")
    if args.bus == "spi":
        print()
        words = res.bus["reads"] + res.bus["writes"]
        print(f"SPI: {res.bus['frames']} frames for {words} words "
              f"({res.bus['frames'] / words:.3f} frames per word; one frame per word = 1.0)")
    print()
    print(f"simulated {res.sim_ns / 1e3:.0f} us, testbench {res.tb_wall_s:.0f} s, "
          f"wall {res.wall_s:.0f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
