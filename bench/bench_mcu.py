"""Instruction counts, flash and RAM of the C runtime on emulated Cortex-M cores.

Models: the 768-256-10 binary MLP of the targets (input crop 8/8, binarized, argmax), dense
and with 2 of 24 packs kept per layer-1 neuron (3PXNet), random weights from a fixed seed
(counts do not depend on the weights), plus any .bittern files given with --model.
Instructions are counted repeatably under QEMU (-icount shift=0, SysTick on the processor
clock, checked against a calibration loop of known length) over real MNIST test images.

    .venv/bin/python bench/bench_mcu.py [--images 20] [--cpus cortex-m0,...] [--opt -O3]
                                        [--model m.bittern ...]
"""

import argparse
import sys
import tempfile

import numpy as np

from bittern.model import fileformat, golden
from bittern.model.data import load_dataset
from bittern.runtime.build import CPUS
from bittern.runtime.cases import mlp768
from bittern.runtime.mcu import run_images
from bittern.bench.common import git_commit

# instruction-count targets per image on Cortex-M4 at -O3, and the best open kernels we know
TARGETS = {"mlp768 dense": (86000, 128000), "mlp768 sparse 2/24": (17700, 26500)}



def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=20)
    ap.add_argument("--cpus", default=",".join(CPUS))
    ap.add_argument("--opt", default="-O3")
    ap.add_argument("--model", action="append", default=[], help="extra .bittern files")
    args = ap.parse_args(argv)
    ds = load_dataset("mnist5k")
    x = ds.test_x[: args.images]
    models = {"mlp768 dense": mlp768(np.random.default_rng(0)),
              "mlp768 sparse 2/24": mlp768(np.random.default_rng(0), packs=2)}
    for path in args.model:
        models[path] = fileformat.load(path)
    print(f"# bench_mcu: commit {git_commit()}, {args.images} MNIST test images, {args.opt}, "
          f"QEMU -icount shift=0")
    hdr = (f"{'model':<22} {'cpu':<10} {'instr/img':>10} {'target':>8} {'ratio':>6} "
           f"{'vs ref':>6} {'code B':>7} {'model B':>8} {'RAM B':>6} {'ws B':>5} {'stack B':>7} exact")
    print(hdr)
    print("-" * len(hdr))
    ok = True
    with tempfile.TemporaryDirectory() as build:
        for name, spec in models.items():
            g = golden.run(spec, x)
            for cpu in args.cpus.split(","):
                res, info = run_images(cpu, spec, x, build_dir=build, opt=args.opt)
                exact = res.scores == g.scores.tolist()
                ok &= exact
                ipi = res.instructions_per_image
                target, ref = TARGETS.get(name, (None, None)) if cpu == "cortex-m4" else (None, None)
                tcol = f"{target:>8}" if target else f"{'':>8}"
                ratio = f"{ipi / target:>6.3f}" if target else f"{'':>6}"
                vsref = f"{ipi / ref:>6.3f}" if ref else f"{'':>6}"
                elf = info["elf"]
                ram = elf["ram_static"] + res.stack_bytes
                print(f"{name:<22} {cpu:<10} {ipi:>10.0f} {tcol} {ratio} {vsref} {elf['code']:>7} "
                      f"{elf['model']:>8} {ram:>6} {res.workspace_bytes:>5} {res.stack_bytes:>7} "
                      f"{'yes' if exact else 'NO'}")
    print("ratio = instructions / target (<= 1 meets it); vs ref = / best open kernels' count;")
    print("RAM = static (.data+.bss: workspace, firmware buffers) + measured stack high-water mark")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
