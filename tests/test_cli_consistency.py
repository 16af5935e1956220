"""One set of defaults and rules across subcommands: the same default array everywhere, the
accelerator's geometry rules for every command that takes --rows/--cols, and ``sim --waves``
keeping every layer's waveform."""

from pathlib import Path

import numpy as np

from bittern.cli.main import build_parser, main
from bittern.cli.options import DEFAULT_ARRAY
from bittern.model.fileformat import save
from bittern.model.randspec import random_model

SEED = 2718


def _defaults(argv):
    return build_parser().parse_args(argv)


def test_every_command_has_the_same_default_array():
    rows, cols, lanes = DEFAULT_ARRAY
    assert _defaults(["eval", __file__]).array == DEFAULT_ARRAY
    assert _defaults(["demo"]).array == DEFAULT_ARRAY
    for argv in (["sim", "--model", __file__], ["build", "--board", "icebreaker"],
                 ["export-verilog"]):
        a = _defaults(argv)
        assert (a.rows, a.cols) == (rows, cols), argv
    assert _defaults(["sim", "--model", __file__]).lanes == lanes


def test_geometry_rules_agree(capsys):
    for argv in (["sim", "--model", __file__], ["build", "--board", "icebreaker"],
                 ["export-verilog"]):
        assert main(argv + ["--rows", "64"]) == 2
        assert "rows must be a power of two in 1..32" in capsys.readouterr().err
        assert main(argv + ["--cols", "6"]) == 2
        assert "cols must be a power of two in 1..64" in capsys.readouterr().err
    assert main(["eval", __file__, "--array", "64x2x32"]) == 2
    assert "rows must be a power of two in 1..32" in capsys.readouterr().err


def test_sim_waves_keeps_every_layer(tmp_path, capsys):
    print(f"seed={SEED}")
    spec = random_model(np.random.default_rng(SEED), hidden=(24, 16), in_features=64)
    save(spec, tmp_path / "m.bittern")
    assert main(["sim", "--model", str(tmp_path / "m.bittern"), "--simulator", "icarus",
                 "--lanes", "16", "--dataset", "random", "--images", "2", "--waves",
                 "--build-root", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    waves = [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("waves: ")]
    assert len(waves) == len(spec.layers) == len(set(waves)), out
    for w in waves:
        assert (tmp_path / "b").resolve() in Path(w).resolve().parents
        assert Path(w).stat().st_size > 0
