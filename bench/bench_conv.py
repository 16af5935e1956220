"""conv2d on the accelerator: cycles per image from the hardware counters vs the ideal.

    .venv/bin/python -m bittern.bench.bench_conv [--shapes 2x2 4x4]

For each array shape, a conv build (``Accelerator(conv=True)``, Verilator) runs the binarized
``cnn`` family (trained 1 epoch) and a conv stack with 32..64 input channels (random weights,
seeded), layer by layer (one single-layer run per layer, so each row is that layer's own
counters; one batch of ``cols`` images). Per layer it prints ``PERF_ACTIVE`` and ``PERF_CYCLES`` per image, the ideal
``MACs / (rows x cols x lanes)`` (MACs over valid taps only, as golden counts them, for the
conv positions the pool keeps) and the utilisations ideal/active and ideal/cycles. Where
utilisation is low the reason is a column: few input channels fill few of the 32 lanes,
padding taps are fetched but are not MACs, and reductions shorter than ``cols`` words wait
for the array's drain.
"""

import argparse

import numpy as np

from bittern.bench.common import git_commit

CNN = {"input": {"shape": [28, 28, 1], "threshold": 128}, "blocks": [
    {"kind": "conv", "out": 8, "kernel": 3, "pad": 1, "pool": 2},
    {"kind": "conv", "out": 8, "kernel": 3, "pad": 1, "pool": 2}, {"out": 10}]}


def valid_macs(layer):
    """MACs of one image over valid (non-padding) taps of the conv positions the pool keeps."""
    k, s, p = layer.kernel, layer.stride, layer.pad
    h, w = layer.out_h * layer.pool, layer.out_w * layer.pool
    ys = [sum(0 <= y * s + ky - p < layer.in_h for ky in range(k)) for y in range(h)]
    xs = [sum(0 <= x * s + kx - p < layer.in_w for kx in range(k)) for x in range(w)]
    return sum(ys) * sum(xs) * layer.in_c * layer.out_c


def single_layer_spec(spec, i):
    """Layer ``i`` of ``spec`` alone, as a scores layer fed with binary inputs."""
    import copy
    from bittern.model.spec import Enc, ModelSpec
    layer = copy.deepcopy(spec.layers[i])
    layer.out_enc, layer.out_bits, layer.thresholds, layer.directions = Enc.SCORES, 0, None, None
    return ModelSpec(layers=[layer], in_h=layer.in_h, in_w=layer.in_w, in_c=layer.in_c,
                     input_threshold=128).validate()


def wide_stack(rng):
    from bittern.model import randspec
    from bittern.model.spec import Kind, ModelSpec
    layers, h, c = [], 8, 32
    for out_c in (64, 32):
        layers.append(randspec.random_layer(rng, kind=Kind.CONV, in_h=h, in_w=h, in_c=c, out_c=out_c,
                                            kernel=3, pad=1))
        c = out_c
    return ModelSpec(layers=layers, in_h=h, in_w=h, in_c=32, input_threshold=128)


def measure(cases, rows, cols, rng):
    """Rows of the table for ``cases`` [(name, spec)] on one ``rows`` x ``cols`` conv build."""
    from bittern.model.spec import Kind
    from bittern.rtl.loader import default_depths
    from bittern.sim.tb_accel_host import run_on_accelerator
    singles = [(name, i, spec.layers[i], single_layer_spec(spec, i)) for name, spec in cases
               for i in range(len(spec.layers)) if spec.layers[i].kind == Kind.CONV]
    depths = {}                 # one build for every layer: the largest need per buffer
    for *_, one in singles:
        for k, v in default_depths(one, rows, cols).items():
            depths[k] = max(depths.get(k, 2), v)
    out = []
    for name, i, layer, one in singles:
        images = rng.integers(0, 256, size=(cols, one.input_features)).astype(np.uint8)
        res = run_on_accelerator(one, images, rows=rows, cols=cols, depths=depths, conv=True)
        act, cyc = res.active / res.batches, res.cycles / res.batches     # per batch of COLS
        ideal = valid_macs(layer) / (rows * 32)                           # MACs x COLS / (R x C x 32)
        out.append((name, i, f"{layer.in_h}x{layer.in_w}x{layer.in_c} k{layer.kernel} p{layer.pad} "
                    f"pool{layer.pool} -> {layer.out_c}", f"{rows}x{cols}", act / cols, cyc / cols,
                    ideal / cols, ideal / act, ideal / cyc))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shapes", nargs="+", default=["2x2", "4x4"])
    args = ap.parse_args(argv)
    from bittern.model.data import load_dataset
    from bittern.model.fold import export_spec
    from bittern.model.train import train
    rng = np.random.default_rng(0)
    cnn = export_spec(train(CNN, load_dataset("mnist5k"), epochs=1, seed=0, progress=False).net)
    wide = wide_stack(rng)
    rows_out = []
    for shape in args.shapes:
        r, c = (int(v) for v in shape.split("x"))
        rows_out += measure([("cnn (binarized)", cnn), ("wide (random)", wide)], r, c, rng)
    print(f"git {git_commit()}; cycles per image (a batch of COLS images shares each cycle)")
    print("| model | layer | geometry | array | PERF_ACTIVE/img | PERF_CYCLES/img | ideal/img | "
          "ideal/active | ideal/cycles |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, i, geo, arr, act, cyc, ideal, u_a, u_c in rows_out:
        print(f"| {name} | {i} | {geo} | {arr} | {act:.0f} | {cyc:.0f} | {ideal:.0f} | "
              f"{100 * u_a:.1f} % | {100 * u_c:.1f} % |")


if __name__ == "__main__":
    main()
