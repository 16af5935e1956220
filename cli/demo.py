"""``bittern demo``: the main job on the bundled data, end to end, with a Markdown report.

train a binary MLP -> export -> golden accuracy -> held-out images through the simulated
accelerator -> the same images through the C runtime on emulated Cortex-M cores -> check all
three agree bit for bit -> build an iCE40 bitstream -> report (``OUT/report.md`` + plots).
"""

import json
import time
from pathlib import Path

from .export import model_bytes_report
from bittern.rtl.boards import BOARDS
from bittern.runtime.build import CPUS as CORES

from .options import DEFAULT_ARRAY_TEXT, accelerator_shape, csv_of, output_dir, positive_int


STAGES = ("accel", "mcu", "bitstream")


def register(sub):
    p = sub.add_parser("demo", help="the main job: train, export, simulate, run on Cortex-M, report",
                       description=__doc__)
    p.add_argument("--out", type=output_dir, default="out/demo", help="output folder (default out/demo)")
    p.add_argument("--net", default="mlp-bin",
                   help="reference network (default mlp-bin: 784-256-256-10, binarized input)")
    p.add_argument("--epochs", type=positive_int, default=30)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--images", type=positive_int, default=8,
                   help="held-out images run through the simulated accelerator and each core")
    p.add_argument("--simulator", choices=["verilator", "icarus"], default="verilator")
    p.add_argument("--cpus", type=csv_of(CORES), default=",".join(CORES),
                   help=f"comma-separated cores for the C runtime (default {','.join(CORES)})")
    p.add_argument("--board", choices=BOARDS, default="icebreaker",
                   help="bitstream target (default icebreaker)")
    p.add_argument("--array", default=DEFAULT_ARRAY_TEXT, type=accelerator_shape,
                   help=f"accelerator array ROWSxCOLSxLANES for simulation and bitstream "
                        f"(default {DEFAULT_ARRAY_TEXT})")
    p.add_argument("--skip", type=csv_of(STAGES), default=[],
                   help=f"comma-separated stages to skip: {','.join(STAGES)}")
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
        text = ["# bittern demo report", "", header, ""]
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
    import numpy as np
    from bittern.bench.common import git_commit
    from bittern.model import fileformat, golden
    from bittern.model.data import load_dataset
    from bittern.model.fold import export_spec
    from bittern.model.train import float_accuracy, save_checkpoint, train
    from bittern.model.zoo import network_config
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    skip = set(args.skip)
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

    sample_x = ds.test_x[: args.images]
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
    import numpy as np
    from bittern.sim.tb_accel_host import run_on_accelerator
    rows, cols, lanes = args.array
    r = run_on_accelerator(spec, x, rows=rows, cols=cols, lanes=lanes, simulator=args.simulator)
    same = bool(np.array_equal(np.asarray(r.scores), gold.scores.numpy()))
    per_image = r.cycles / len(x)
    ideal = sum(layer.macs for layer in spec.layers) / (rows * cols * lanes)
    rep.numbers.update(accel_identical=same, accel_cycles_per_image=per_image,
                       accel_ideal_cycles_per_image=ideal, accel_busy_fraction=r.utilisation)
    rep.add("Accelerator (simulated RTL, bus writes to score reads)", [
        f"{len(x)} held-out images on {args.simulator}, array {rows}x{cols} PEs x {lanes} lanes: "
        f"scores {'identical to' if same else 'DIFFER from'} the golden model",
        f"{per_image:,.0f} cycles per image (ideal {ideal:,.0f} = MACs / (rows*cols*lanes); "
        f"ideal/actual {ideal / per_image:.1%}; array busy {r.utilisation:.1%} of the run)"])
    return [] if same else ["accelerator scores differ from the golden model"]


def _stage_mcu(args, spec, x, gold, rep, out):
    import numpy as np
    from bittern.runtime.mcu import run_images
    from bittern.runtime.memory import memory_report
    rows, failures = [], []
    mem = memory_report(spec)
    for cpu in args.cpus:
        res, info = run_images(cpu, spec, x)
        same = bool(np.array_equal(np.asarray(res.scores), gold.scores.numpy()))
        if not same:
            failures.append(f"{cpu} scores differ from the golden model")
        ram = info["elf"]["ram_static"] + res.stack_bytes
        rows.append([cpu, "identical" if same else "DIFFERENT", f"{res.instructions_per_image:,.0f}",
                     info["elf"]["flash"], info["elf"]["model"], ram])
        rep.numbers[f"mcu_{cpu}"] = {"instructions_per_image": res.instructions_per_image,
                                     "flash": info["elf"]["flash"], "ram": ram, "exact": same}
    rep.add("Cortex-M (C runtime under QEMU, -O3)",
            _table(rows, ["core", f"scores vs golden ({len(x)} images)", "instructions / image",
                          "flash B (code+model)", "model B", "RAM B (static+stack)"])
            + ["", f"model workspace (ping-pong activation buffers): {mem['workspace_bytes']} B; "
                   f"instructions counted with QEMU -icount (repeatable)"])
    return failures


def _stage_bitstream(args, spec, x, gold, rep, out):
    from bittern.rtl.boards import build_bitstream
    from bittern.rtl.loader import default_depths
    rows, cols, lanes = args.array
    # Buffers sized to hold this whole model (on the UP5K its weights go to SPRAM); a missed
    # clock still yields a bitstream (--timing-allow-fail) and is reported as missed.
    depths = default_depths(spec, rows, cols)
    s = build_bitstream(args.board, rows=rows, cols=cols, lanes=lanes, out_dir=out / "bitstream",
                        timing_allow_fail=True, **depths)
    rep.numbers["bitstream"] = s.as_dict()
    lines = ["```", s.table(), "```"] + ([f"error: {s.error[:2000]}"] if s.error else [])
    lines.append(f"buffers hold the whole model: {depths['w_depth']} weight words per row bank "
                 f"({s.ram} memories), clock {'met' if s.meets_timing else 'MISSED'}")
    if rep.numbers.get("accel_cycles_per_image") and s.fmax_mhz:
        ips = s.fmax_mhz * 1e6 / rep.numbers["accel_cycles_per_image"]
        rep.numbers["inferences_per_second_at_fmax"] = ips
        lines.append(f"projected {ips:,.0f} inferences/s at the post-route Fmax "
                     f"{s.fmax_mhz:.1f} MHz (from the simulated cycles above)")
    rep.add(f"FPGA bitstream ({args.board}, Yosys + nextpnr from YoWASP)", lines)
    return [] if s.bitstream else [f"no bitstream for {args.board}: {s.error or 'unknown error'}"]
