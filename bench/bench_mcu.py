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

# issue #16's instruction targets per image on Cortex-M4 at -O3, and 3PXNet's own kernels on
# the same MLP, harness and flags (the issue's table)
TARGETS = {"mlp768 dense": (51000, 128424), "mlp768 sparse 2/24": (12000, 26494)}
CODE_TARGET = 4096  # bytes of runtime code (loader with validation included), M0 and M4



def ternary_per_mac(cpu, build, n=256, only=None):
    """Instructions per MAC of one dense n -> n layer per operand pair (those named in
    ``only``, default all), isolated by running the same adapter and head with and without it;
    returns {pair: per MAC}."""
    from bittern.model import randspec
    from bittern.model.spec import Enc, ModelSpec, WEnc
    from bittern.runtime.cases import layer_case
    ET = Enc.TERNARY
    pairs = {"bin x bin": {}, "ter x ter (GXNOR)": dict(in_enc=ET, in_bits=2, w_enc=WEnc.TERNARY),
             "bin x ter": dict(w_enc=WEnc.TERNARY), "ter x bin": dict(in_enc=ET, in_bits=2),
             "uint2 x ter (WRPN)": dict(in_enc=Enc.UINT, in_bits=2, w_enc=WEnc.TERNARY)}
    x = np.random.default_rng(2).integers(0, 256, size=(4, 45), dtype=np.uint8)
    out = {}
    for name, kw in pairs.items():
        if only is not None and name not in only:
            continue
        spec = layer_case(np.random.default_rng(0), in_c=n, out_c=n, **kw)
        a = spec.layers[0]
        head = randspec.random_layer(np.random.default_rng(1), in_enc=a.out_enc,
                                     in_bits=a.out_bits, in_c=n, out_c=7, out_enc=Enc.SCORES,
                                     out_bits=0)
        base = ModelSpec(layers=[a, head], in_h=1, in_w=1, in_c=45,
                         input_threshold=spec.input_threshold).validate()
        counts = []
        for m in (spec, base):
            res, _ = run_images(cpu, m, x, build_dir=build)
            assert res.scores == golden.run(m, x).scores.tolist(), name
            counts.append(res.instructions_per_image)
        out[name] = (counts[0] - counts[1]) / (n * n)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=20)
    ap.add_argument("--cpus", default=",".join(CPUS))
    ap.add_argument("--opt", default="-O3")
    ap.add_argument("--model", action="append", default=[], help="extra .bittern files")
    ap.add_argument("--full", action="store_true",
                    help="link every kernel (default: per-model builds, as export-c makes)")
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
           f"{'vs ref':>6} {'code B':>7} {'rt code':>7} {'model B':>8} {'RAM B':>6} {'ws B':>5} "
           f"{'stack B':>7} exact")
    print(hdr)
    print("-" * len(hdr))
    ok = True
    with tempfile.TemporaryDirectory() as build:
        for name, spec in models.items():
            g = golden.run(spec, x)
            for cpu in args.cpus.split(","):
                res, info = run_images(cpu, spec, x, build_dir=build, opt=args.opt,
                                       per_model=not args.full)
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
                      f"{elf['runtime_code']:>7} {elf['model']:>8} {ram:>6} {res.workspace_bytes:>5} "
                      f"{res.stack_bytes:>7} {'yes' if exact else 'NO'}")
        if not args.model:
            print("\n# dense 256 -> 256 layer, instructions per MAC (issue #16: ternary within "
                  "1.5x of binary)")
            for cpu in args.cpus.split(","):
                per = ternary_per_mac(cpu, build)
                b = per["bin x bin"]
                print(cpu + ": " + ", ".join(f"{k} {v:.3f} ({v / b:.2f}x)" for k, v in per.items()))
    print("ratio = instructions / issue #16 target (<= 1 meets it); vs ref = / 3PXNet's count;")
    print(f"code B = whole firmware .text; rt code = the runtime library's part of it (target "
          f"{CODE_TARGET} B{'' if args.full else ', per-model build'})")
    print("RAM = static (.data+.bss: workspace, firmware buffers) + measured stack high-water mark")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
