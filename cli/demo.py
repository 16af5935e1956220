"""``bittern demo``: the main job on the bundled data, end to end, with a Markdown report.

train a binary MLP -> export -> golden accuracy -> held-out images through the simulated
accelerator -> the same images through the C runtime on emulated Cortex-M cores -> check all
three agree bit for bit -> build an iCE40 bitstream -> report (``OUT/report.md`` + plots).
"""

import json
import time
from pathlib import Path

import numpy as np

from bittern.model import fileformat, golden
from bittern.model.data import load_dataset
from bittern.model.fold import export_spec
from bittern.model.train import float_accuracy, save_checkpoint, train
from bittern.model.zoo import network_config

from .export import model_bytes_report
from .train import git_commit


def register(sub):
    p = sub.add_parser("demo", help="the main job: train, export, simulate, run on Cortex-M, report",
                       description=__doc__)
    p.add_argument("--out", default="out/demo", help="output folder (default out/demo)")
    p.add_argument("--net", default="mlp", help="reference network (default mlp: 784-256-256-10)")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--images", type=int, default=8,
                   help="held-out images run through the simulated accelerator and each core")
    p.add_argument("--simulator", choices=["verilator", "icarus"], default="verilator")
    p.add_argument("--cpus", default="cortex-m0,cortex-m3,cortex-m4,cortex-m7")
    p.add_argument("--board", default="icebreaker", help="bitstream target (default icebreaker)")
    p.add_argument("--skip", default="", help="comma-separated stages to skip: accel,mcu,bitstream")
    p.set_defaults(func=run)


class Report:
    """Collects sections and writes report.md beside a JSON copy of every number."""

    def __init__(self, out):
        self.out, self.sections, self.numbers = out, [], {}
        self.t0 = time.time()

    def step(self, title):
        print(f"\n== {title} ({time.time() - self.t0:.0f} s)", flush=True)

    def add(self, title, lines, **numbers):
        self.sections.append((title, lines))
        self.numbers.update(numbers)
        for line in lines:
            print("  " + line)

    def write(self, header):
        text = [f"# bittern demo report", "", header, ""]
        for title, lines in self.sections:
            text += [f"## {title}", ""] + list(lines) + [""]
        (self.out / "report.md").write_text("\n".join(text))
        (self.out / "report.json").write_text(json.dumps(self.numbers, indent=2, default=str))


def _plot_training(history, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot([h["epoch"] for h in history], [h["train_acc"] for h in history], label="train accuracy")
    ax.plot([h["epoch"] for h in history], [h["loss"] for h in history], label="loss")
    ax.set_xlabel("epoch")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _table(rows, header):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out


def run(args):
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    skip = {s for s in args.skip.split(",") if s}
    rep = Report(out)
    failures = []

    rep.step("1/6 train")
    ds = load_dataset("mnist5k")
    cfg = network_config(args.net)
    result = train(cfg, ds, epochs=args.epochs, seed=args.seed, augment=1)
    net = result.net
    facc = float_accuracy(net, ds.test_x, ds.test_y)
    save_checkpoint(out / "model.pt", net, meta={"data": "mnist5k", "seed": args.seed})
    _plot_training(result.history, out / "training.png")
    rep.add("Training", [f"{args.net} on {len(ds.train_x)} MNIST images, {args.epochs} epochs, "
                         f"seed {args.seed}: {result.seconds:.1f} s on the CPU", "",
                         "![training](training.png)"],
            train_seconds=result.seconds, float_accuracy=facc)

    rep.step("2/6 export and golden evaluation")
    spec = export_spec(net)
    size = fileformat.save(spec, out / "model.bittern")
    gold = golden.run(spec, ds.test_x)
    gacc = float(np.mean(gold.labels.numpy() == ds.test_y))
    import torch
    with torch.no_grad():
        fscores = net.double().scores(torch.from_numpy(ds.test_x))[0].round().long()
    net.float()
    identical = bool(torch.equal(fscores, gold.scores))
    if not identical:
        failures.append("float fake-quant scores differ from the golden integer model")
    rep.add("Model", _table([["float fake-quantized", f"{facc:.4f}"],
                             ["golden integer", f"{gacc:.4f}"]], ["held-out accuracy (1000 images)", ""])
            + ["", f"class scores float vs integer on all held-out images: "
                   f"{'identical' if identical else 'DIFFERENT'}",
               f"model file: {model_bytes_report(spec, size)}"],
            golden_accuracy=gacc, model_bytes=size, float_int_identical=identical)

    sample_x, sample_y = ds.test_x[: args.images], ds.test_y[: args.images]
    sample_gold = golden.run(spec, sample_x)
    stages = [("accel", "3/6 simulated accelerator", _stage_accel),
              ("mcu", "4/6 Cortex-M under QEMU", _stage_mcu),
              ("bitstream", "5/6 FPGA bitstream", _stage_bitstream)]
    for key, title, fn in stages:
        rep.step(title)
        if key in skip:
            rep.add(title.split(" ", 1)[1], ["skipped (--skip)"])
            continue
        failures += fn(args, spec, sample_x, sample_gold, rep, out)

    rep.step("6/6 report")
    verdict = "all paths agree bit for bit" if not failures else "FAILED: " + "; ".join(failures)
    rep.add("Verdict", [verdict], failures=failures)
    rep.write(f"commit `{git_commit()}`, {time.strftime('%Y-%m-%d %H:%M')} UTC, "
              f"{args.images} held-out images on the hardware paths")
    print(f"\nreport: {out / 'report.md'}")
    return 0 if not failures else 1


def _stage_accel(args, spec, x, gold, rep, out):
    from bittern.sim.accel_run import run_on_accelerator
    r = run_on_accelerator(spec, x, simulator=args.simulator)
    same = bool(np.array_equal(np.asarray(r.scores), gold.scores.numpy()))
    lines = [f"{len(x)} images on {args.simulator}: scores {'identical to' if same else 'DIFFER from'} "
             f"the golden model", f"{r.cycles_per_image:.0f} cycles per image "
             f"(ideal {r.ideal_cycles_per_image:.0f}, utilisation {r.utilisation:.1%})"]
    rep.add("Accelerator (simulated RTL)", lines, accel_identical=same,
            accel_cycles_per_image=r.cycles_per_image, accel_utilisation=r.utilisation)
    return [] if same else ["accelerator scores differ from the golden model"]


def _stage_mcu(args, spec, x, gold, rep, out):
    from bittern.runtime.qemu import run_on_cpu
    rows, failures = [], []
    for cpu in [c for c in args.cpus.split(",") if c]:
        r = run_on_cpu(spec, x, cpu=cpu)
        same = bool(np.array_equal(np.asarray(r.scores), gold.scores.numpy()))
        if not same:
            failures.append(f"{cpu} scores differ from the golden model")
        rows.append([cpu, "identical" if same else "DIFFERENT", r.instructions_per_image,
                     r.flash_bytes, r.ram_bytes])
        rep.numbers[f"mcu_{cpu}_instructions"] = r.instructions_per_image
    rep.add("Cortex-M (C runtime under QEMU)",
            _table(rows, ["core", "scores vs golden", "instructions / image", "flash B", "RAM B"]))
    return failures


def _stage_bitstream(args, spec, x, gold, rep, out):
    from bittern.rtl.boards import build_bitstream
    s = build_bitstream(args.board, out_dir=out / "bitstream")
    rep.add(f"Bitstream ({args.board})", [str(s)], bitstream=str(s))
    return []
