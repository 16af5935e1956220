"""Quiet by default: ``bittern sim`` and ``bittern eval`` print their results, not the
compiler's, Verilator's or cocotb's output (that goes to a log file per run); ``-v`` streams it."""

import re

import numpy as np

from bittern.cli.main import main
from bittern.model.fileformat import save
from bittern.model.randspec import random_model
from bittern.sim.runner import default_build_root

SEED = 1414
# What tool output looks like: compiler lines, make, Verilator's warnings and report, cocotb.
TOOL_OUTPUT = re.compile(r"c\+\+ |g\+\+ |make(\[\d+\])?:|%Warning|V e r i l a t|Verilator report|"
                         r"\bgpi\b|cocotb|COCOTB|Vtop")


def test_sim_and_eval_print_no_tool_output(tmp_path, capfd):
    print(f"seed={SEED}")
    capfd.readouterr()
    spec = random_model(np.random.default_rng(SEED), hidden=(24,), in_features=64)
    spec.in_h, spec.in_w, spec.in_c = 8, 8, 1   # takes the 8x8 digits that eval feeds it
    model = tmp_path / "m.bittern"
    save(spec, model)
    # The suite's shared build folder: a warm run printed Verilator's report, cocotb's banner
    # and make's "Nothing to be done" before the fix, a cold one also every compiler line.
    assert main(["sim", "--model", str(model), "--lanes", "16", "--dataset", "random",
                 "--images", "2"]) == 0
    out, err = capfd.readouterr()
    assert err == ""
    tool_lines = [line for line in out.splitlines() if TOOL_OUTPUT.search(line)]
    assert tool_lines == [], out
    # header, column titles, one line per layer, total, one accelerator verdict per layer, scores
    assert len(out.splitlines()) == 2 + len(spec.layers) + 1 + len(spec.layers) + 1, out
    log = default_build_root() / "array_xnor_2x2_l16_s2" / "verilator" / "build.log"
    assert "verilator" in log.read_text()
    assert main(["eval", str(model), "--data", "digits", "--array", "2x2x16"]) == 0
    out, err = capfd.readouterr()
    assert err == "" and not [l for l in out.splitlines() if TOOL_OUTPUT.search(l)], out
    assert "array cycles/image" in out
    # -v streams the tools' output (here the warm run's cocotb lines)
    assert main(["-v", "sim", "--model", str(model), "--lanes", "16", "--dataset", "random",
                 "--images", "2"]) == 0
    assert TOOL_OUTPUT.search(capfd.readouterr().out)
