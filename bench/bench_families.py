"""Network families side by side: accuracy vs model size vs accelerator cycles vs MCU instructions.

Each family is trained on the bundled MNIST (4,000 images, seeded), exported, and measured:
float fake-quant and golden accuracy on the 1,000 held-out images, model file bytes (and the
ratio to float32 weights), cycles of one image on the simulated systolic array (Verilator) with
the ideal cycles (work / (rows*cols*lanes)), and Cortex-M4 instructions per image under QEMU.
Prints a Markdown table with the git commit and writes a PNG plot.

    .venv/bin/python -m bittern.bench.bench_families [--epochs 30] [--families binary,sparse,...]
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from bittern.bench.common import git_commit

FAMILIES = {
    "binary": ("mlp", 1.0),
    "binary-768": ("mlp768", 1.0),
    "sparse": ("sparse", 1.0),
    "sparse-hidden": ("sparse-hidden", 1.0),
    "wrpn": ("wrpn", 1.0),
    "wrpn-2x": ("wrpn", 2.0),
    "gxnor": ("gxnor", 1.0),
    "cnn": ("cnn", 1.0),
    "float": ("float", 1.0),
}



def measure(name, epochs, seed, *, rows, cols, lanes, sim_images, mcu_images, ds):
    import torch
    from bittern.model import fileformat, golden
    from bittern.model.fold import export_spec
    from bittern.model.train import float_accuracy, train
    from bittern.model.zoo import network_config
    net_name, width = FAMILIES[name]
    t0 = time.time()
    result = train(network_config(net_name, width=width), ds, epochs=epochs, seed=seed,
                   augment=1, progress=False)
    row = {"family": name, "net": net_name, "width": width, "train_s": round(time.time() - t0, 1),
           "float_acc": float_accuracy(result.net, ds.test_x, ds.test_y)}
    n_weights = sum(int(b.weight.numel()) for b in result.net.blocks)
    row["float32_bytes"] = 4 * n_weights
    if net_name == "float":
        return row
    spec = export_spec(result.net)
    res = golden.run(spec, ds.test_x, activity=True)
    row["golden_acc"] = float(np.mean(res.labels.numpy() == ds.test_y))
    row["model_bytes"] = len(fileformat.to_bytes(spec))
    row["fired_pairs_per_image"] = sum(t.fired for t in res.trace) / len(ds.test_x)
    row["macs_per_image"] = sum(layer.macs for layer in spec.layers)
    if sim_images:
        from bittern.sim.layer_sim import simulate_model
        x = ds.test_x[:sim_images]
        run = simulate_model(spec, x, rows=rows, cols=cols, lanes=lanes, simulator="verilator")
        row["array_exact"] = bool(torch.equal(torch.as_tensor(run.scores), golden.run(spec, x).scores))
        row["array_cycles_per_image"] = sum(lr.cycles for lr in run.layers) / sim_images
        row["array_ideal_per_image"] = sum(lr.ideal_cycles for lr in run.layers) / sim_images
    if mcu_images:
        from bittern.runtime.mcu import run_on_core
        x = ds.test_x[:mcu_images]
        qres, _ = run_on_core("cortex-m4", spec, x)
        row["m4_exact"] = bool(np.array_equal(np.asarray(qres.scores), golden.run(spec, x).scores.numpy()))
        row["m4_instructions"] = qres.instructions_per_image
    return row


def table(rows):
    head = ["family", "float acc", "golden acc", "model B", "x smaller than fp32", "MACs/img",
            "fired pairs/img", "array cycles/img", "ideal", "M4 instr/img", "bit-exact"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        exact = [r[k] for k in ("array_exact", "m4_exact") if k in r]
        out.append("| " + " | ".join([
            r["family"], f"{r['float_acc']:.3f}",
            f"{r['golden_acc']:.3f}" if "golden_acc" in r else "-",
            str(r.get("model_bytes", r["float32_bytes"])),
            f"{r['float32_bytes'] / r['model_bytes']:.1f}" if "model_bytes" in r else "1.0",
            str(r.get("macs_per_image", "-")),
            f"{r['fired_pairs_per_image']:.0f}" if "fired_pairs_per_image" in r else "-",
            f"{r['array_cycles_per_image']:.0f}" if "array_cycles_per_image" in r else "-",
            f"{r['array_ideal_per_image']:.0f}" if "array_ideal_per_image" in r else "-",
            str(r.get("m4_instructions", "-")),
            ("yes" if all(exact) else "NO") if exact else "-"]) + " |")
    return out


def plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    for r in rows:
        size = r.get("model_bytes", r["float32_bytes"])
        acc = r.get("golden_acc", r["float_acc"])
        ax.scatter(size, acc)
        label = r["family"]
        if "array_cycles_per_image" in r:
            label += f"\n{r['array_cycles_per_image']:.0f} cyc"
        ax.annotate(label, (size, acc), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_xlabel("model bytes (log)")
    ax.set_ylabel("held-out accuracy")
    ax.grid(alpha=0.3)
    ax.set_title("bittern families on MNIST (4,000 training images)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--families", default=",".join(FAMILIES))
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--array", default="8x8x32", help="rowsxcolsxlanes of the simulated array")
    ap.add_argument("--sim-images", type=int, default=8,
                    help="images on the array (fill its columns); 0 = no array simulation")
    ap.add_argument("--mcu-images", type=int, default=2, help="0 = no Cortex-M4 run")
    ap.add_argument("--out", default="out/bench")
    args = ap.parse_args(argv)
    from bittern.model.data import load_dataset
    rows_, cols_, lanes_ = (int(v) for v in args.array.split("x"))
    ds = load_dataset("mnist5k")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in [f for f in args.families.split(",") if f]:
        if name not in FAMILIES:
            ap.error(f"unknown family {name!r}; choose from {', '.join(FAMILIES)}")
        print(f"[families] {name} ...", file=sys.stderr, flush=True)
        rows.append(measure(name, args.epochs, args.seed, rows=rows_, cols=cols_, lanes=lanes_,
                            sim_images=args.sim_images, mcu_images=args.mcu_images, ds=ds))
    text = [f"Families on MNIST, {args.epochs} epochs, seed {args.seed}, array {args.array}, "
            f"commit {git_commit()}", ""] + table(rows)
    print("\n".join(text))
    (out / "bench_families.json").write_text(json.dumps(rows, indent=1))
    plot(rows, out / "bench_families.png")
    print(f"\nplot: {out / 'bench_families.png'}")
    bad = [r["family"] for r in rows if r.get("array_exact") is False or r.get("m4_exact") is False]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
