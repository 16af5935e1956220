"""The eBNN bar on the smallest core: MNIST accuracy within 15 KB of weights plus working RAM
on the Cortex-M0 (micro:bit under QEMU, its real 16 KiB of RAM).

Trains the ``cnn-m0`` network (seeded, CPU, about 2-9 minutes), exports it, runs held-out images
on the emulated M0 and checks every score against the golden model. Reports held-out accuracy,
model bytes (flash), RAM (static .bss incl. the ping-pong workspace, plus measured stack), and
the ratio of weights + RAM to the 15 KB budget. Exit 1 if the accuracy or the budget is missed
or any score differs.

    .venv/bin/python -m bittern.bench.bench_m0_budget [--epochs 40] [--images 100] [--model m.bittern]
"""

import argparse
import sys

import numpy as np

from bittern.bench.common import git_commit

BUDGET = 15 * 1024
ACCURACY = 0.96


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--images", type=int, default=100, help="held-out images run on the M0")
    ap.add_argument("--model", help="use this .bittern instead of training cnn-m0")
    args = ap.parse_args(argv)
    from bittern.model import fileformat, golden
    from bittern.model.data import load_dataset
    from bittern.runtime.mcu import run_images
    ds = load_dataset("mnist5k")
    if args.model:
        spec = fileformat.load(args.model)
    else:
        from bittern.model.fold import export_spec
        from bittern.model.train import train
        from bittern.model.zoo import network_config
        net = train(network_config("cnn-m0"), ds, epochs=args.epochs, seed=args.seed, augment=1,
                    progress=False).net
        spec = export_spec(net)
    acc = float(np.mean(golden.run(spec, ds.test_x).labels.numpy() == ds.test_y))
    x = ds.test_x[: args.images]
    res, info = run_images("cortex-m0", spec, x, per_model=True)  # only its kernels linked
    exact = bool(np.array_equal(np.asarray(res.scores), golden.run(spec, x).scores.numpy()))
    model = info["elf"]["model"]
    ram = info["elf"]["ram_static"] + res.stack_bytes
    total = model + ram
    print(f"# bench_m0_budget: commit {git_commit()}, cnn-m0 seed {args.seed}, {args.epochs} epochs")
    print("| held-out acc | target | model B (flash) | RAM B (.bss + stack) | weights+RAM B | "
          "budget B | ratio to budget | M0 instr/img | runtime code B | scores vs golden |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {acc:.3f} | {ACCURACY:.2f} | {model} | {ram} ({info['elf']['ram_static']} + "
          f"{res.stack_bytes}) | {total} | {BUDGET} | {total / BUDGET:.2f} | "
          f"{res.instructions_per_image:,.0f} | {info['elf']['runtime_code']} | "
          f"{'identical' if exact else 'DIFFERENT'} "
          f"({len(x)} images) |")
    return 0 if (acc >= ACCURACY and total <= BUDGET and exact) else 1


if __name__ == "__main__":
    sys.exit(main())
