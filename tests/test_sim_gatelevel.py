"""Gate-level regression: the board builds' synthesized netlists compute golden's scores.

The accelerator with the board's buffer primitive (iCEBreaker: SPRAM weights; ULX3S: DP16KD
with its output register) at the bitstream flow's default size, synthesized by Yosys, simulated
on Icarus with Yosys's cell models (and our DP16KD model) through the replay harness.
"""

import re

import numpy as np
import pytest
import torch

from bittern.model import golden, randspec
from bittern.sim.gatelevel import run_model_gatelevel

BOARD_DEPTHS = dict(w_depth=256, a_depth=64, t_depth=16, s_depth=16)   # build_bitstream's


@pytest.mark.parametrize("board,cells", [("icebreaker", ("SB_SPRAM256KA", "SB_LUT4", "SB_DFF")),
                                         ("ulx3s", ("DP16KD", "LUT4", "TRELLIS_FF"))])
def test_sim_gatelevel_board_netlist_bit_exact(board, cells):
    seed = 31
    print("seed", seed)
    rng = np.random.default_rng(seed)
    spec = randspec.random_model(rng, hidden=(32,), in_features=64, classes=10)
    images = rng.integers(0, 256, size=(2, 64)).astype(np.uint8)
    run = run_model_gatelevel(spec, images, board=board, depths=BOARD_DEPTHS)
    np.testing.assert_array_equal(run.scores, golden.run(spec, torch.as_tensor(images)).scores.numpy())
    ideal = sum(-(-l.out_c // 2) * -(-l.in_c // 32) for l in spec.layers)
    assert run.active == ideal
    # It really is the netlist: vendor cells, no behavioural process of the RTL left.
    net = run.sim.netlist.read_text()
    for cell in cells:
        assert re.search(rf"\n  {cell}\w* ", net), cell
    assert "always @" not in net
