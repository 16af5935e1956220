"""Run every benchmark and write one report (``OUT/report.md``), each section the script's table.

    .venv/bin/bittern bench [--quick] [--out out/bench] [--only array,mcu,...]

``--quick`` shrinks every sweep (fewer shapes, epochs and images) to check the pipeline in
minutes; the default is the full measurement. Every section records its command and exit code.
"""

import subprocess
import sys
import time
from pathlib import Path
from bittern.bench.common import git_commit

# name -> (title, module, full arguments, quick arguments); OUT is replaced by the output folder
BENCHES = {
    "array": ("Systolic array: utilisation and simulator speed (Icarus vs Verilator)",
              "bench_array", ["--sweep"], []),
    "sim": ("Simulator speed: cycles/s before (cocotb) and after (clock inside the simulator)",
            "bench_sim", [], ["--quick", "--images", "1000"]),
    "sparse": ("3PXNet sparse layers: cycles saved by skipping pruned packs",
               "bench_sparse", [], []),
    "synth": ("Synthesis sweep: resources, Fmax, peak ops/s, MNIST MLP inferences/s",
              "bench_synth", ["--out", "OUT/synth"],
              ["--out", "OUT/synth", "--shapes", "2x2", "4x4"]),
    "mcu": ("Cortex-M: instructions, flash and RAM per model and core",
            "bench_mcu", ["--images", "20"], ["--images", "3"]),
    "m0": ("Cortex-M0: MNIST accuracy within 15 KB of weights + RAM (eBNN's bar)",
           "bench_m0_budget", [], ["--epochs", "5", "--images", "5"]),
    "families": ("Accuracy, size and cycles per network family",
                 "bench_families", ["--out", "OUT", "--epochs", "30"],
                 ["--out", "OUT", "--epochs", "3", "--families", "binary,sparse,wrpn,gxnor,cnn,float"]),
    "peers": ("Brevitas vs bittern: held-out accuracy of the same architectures",
              "bench_peers", ["--epochs", "30", "--seeds", "2"], ["--quick"]),
    "recipe": ("Training recipe: accuracy per family at the old and the default latent-weight rate",
               "bench_recipe", ["--epochs", "30", "--seeds", "2"],
               ["--epochs", "2", "--seeds", "1", "--rows", "binary-768,decompose"]),
    "driver": ("C accelerator driver on the RTL: offload, batches, bus traffic",
               "bench_driver", [], ["--images", "2"]),
    "conv": ("conv2d on the accelerator: PERF_ACTIVE and PERF_CYCLES vs MACs / (rows x cols x lanes)",
             "bench_conv", [], ["--shapes", "2x2"]),
    "fuzz": ("Model loader fuzzing (C vs Python verdicts, sanitizers)",
             "fuzz_loader", ["--mutants", "20000"], ["--mutants", "1000"]),
}



def run_all(out, *, quick=False, only=None):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sections, failed = [], []
    for key, (title, module, full, fast) in BENCHES.items():
        if only and key not in only:
            continue
        args = [a.replace("OUT", str(out)) for a in (fast if quick else full)]
        cmd = [sys.executable, "-m", f"bittern.bench.{module}", *args]
        print(f"[bench] {key}: {' '.join(cmd)}", flush=True)
        t0 = time.time()
        try:
            r = subprocess.run(cmd, capture_output=True, text=True)
            text, rc = r.stdout, r.returncode
            if rc:
                text += "\n" + r.stderr[-3000:]
        except OSError as e:
            text, rc = str(e), 127
        secs = time.time() - t0
        (out / f"{key}.txt").write_text(text)
        if rc:
            failed.append(key)
        sections.append((title, cmd, rc, secs, text))
        print(text[-4000:], flush=True)
    lines = ["# bittern benchmarks", "", f"commit `{git_commit()}`, {time.strftime('%Y-%m-%d %H:%M')} UTC"
             f"{', quick mode' if quick else ''}", ""]
    for title, cmd, rc, secs, text in sections:
        lines += [f"## {title}", "", f"`{' '.join(cmd[1:])}` -> exit {rc}, {secs:.0f} s", "",
                  text.strip(), ""]
    for png in sorted(out.glob("**/*.png")):
        lines += [f"![{png.stem}]({png.relative_to(out)})", ""]
    (out / "report.md").write_text("\n".join(lines))
    print(f"[bench] report: {out / 'report.md'}" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="out/bench")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="", help=f"comma-separated subset of {','.join(BENCHES)}")
    args = ap.parse_args(argv)
    only = {k for k in args.only.split(",") if k}
    unknown = only - set(BENCHES)
    if unknown:
        ap.error(f"unknown benchmark(s) {', '.join(sorted(unknown))}; choose from {', '.join(BENCHES)}")
    return run_all(args.out, quick=args.quick, only=only)


if __name__ == "__main__":
    sys.exit(main())
