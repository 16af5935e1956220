"""Whole layers and models through the simulated array (cocotb), bit-exact with the golden model.

The model is the suite's trained MNIST MLP (``trained_mlp_spec`` fixture) on real digits. Other layer kinds (conv with padding and pooling,
ternary, u8/k-bit activations, multi-bit weights by decomposition, sparse) run on Icarus,
whose builds take about a second.
"""

import numpy as np
import pytest
import torch

from bittern.cli.main import main
from bittern.model import golden
from bittern.model.fileformat import save
from bittern.model.randspec import random_input, random_layer, random_model
from bittern.model.spec import U8, Enc, Kind, WEnc
from bittern.sim.layer_sim import simulate_layer, simulate_model

SEED = 1234


# Verilator runs the full trained 784-256-256-10 MLP; Icarus (~10x slower per cycle on wide
# arrays) the suite's smaller trained 784-64-32-10 MLP.
@pytest.mark.parametrize("simulator,model", [("verilator", "trained_mlp_spec"),
                                             ("icarus", "small_trained_mlp_spec")])
def test_mlp_through_array(simulator, model, request, test_images):
    """A trained MNIST MLP (the suite's fixtures) on real held-out digits."""
    spec = request.getfixturevalue(model)
    images = np.asarray(test_images[0][:6]).reshape(6, -1)
    run = simulate_model(spec, images, rows=4, cols=4, lanes=32, simulator=simulator)
    gold = golden.run(spec, torch.from_numpy(images))
    assert torch.equal(run.scores, gold.scores)
    assert torch.equal(run.labels, gold.labels)
    for r in run.layers:
        assert torch.equal(r.acc, gold.trace[r.index].acc)
        assert r.cycles >= r.ideal_cycles


LAYERS = {
    "conv binary pad+pool (gxnor)": dict(kind=Kind.CONV, in_h=6, in_w=6, in_c=5, out_c=5,
                                         kernel=3, pad=1, pool=2),
    "conv binary no pad (xnor)": dict(kind=Kind.CONV, in_h=5, in_w=5, in_c=9, out_c=3, kernel=3),
    "ternary x ternary": dict(in_enc=Enc.TERNARY, in_bits=2, w_enc=WEnc.TERNARY, in_c=45,
                              out_c=5, out_enc=Enc.TERNARY, out_bits=2),
    "u8 x binary (wrpn)": dict(in_enc=U8, in_bits=8, w_enc=WEnc.BINARY, in_c=40, out_c=3),
    "uint3 x ternary (wrpn)": dict(in_enc=Enc.UINT, in_bits=3, w_enc=WEnc.TERNARY, in_c=40,
                                   out_c=4, out_enc=Enc.UINT, out_bits=3),
    "uint2 x int3 (decompose)": dict(in_enc=Enc.UINT, in_bits=2, w_enc=WEnc.INT, w_bits=3,
                                     in_c=30, out_c=3, out_enc=Enc.UINT, out_bits=2),
    "sparse (gxnor)": dict(w_enc=WEnc.SPARSE, in_c=64, out_c=4, packs=1),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_kinds_on_icarus(name):
    rng = np.random.default_rng([SEED, list(LAYERS).index(name)])
    layer = random_layer(rng, **LAYERS[name])
    layer.validate()
    x = torch.from_numpy(random_input(rng, layer, 2))
    r = simulate_layer(x, layer, rows=2, cols=3, lanes=8, simulator="icarus")
    want = golden.run_layer(x, layer, activity=True)
    assert torch.equal(r.acc, want.acc), name
    assert torch.equal(r.values, want.values), name
    if r.fired is not None and layer.pool == 1:
        assert r.fired == want.fired


def test_decomposed_layer_on_binary_array():
    """A 2-bit x 2-bit layer as binary passes on the XNOR array (uint -> decompose path)."""
    rng = np.random.default_rng(SEED + 1)
    layer = random_layer(rng, in_enc=Enc.UINT, in_bits=2, w_enc=WEnc.INT, w_bits=2, in_c=33,
                         out_c=3, out_enc=Enc.SCORES, out_bits=0)
    x = torch.from_numpy(random_input(rng, layer, 3))
    r = simulate_layer(x, layer, rows=2, cols=2, lanes=16, simulator="icarus",
                       method="decompose")
    assert r.path.startswith("decompose(xnor)")
    assert torch.equal(r.acc, golden.layer_accumulators(x, layer, method="values"))


def test_cli_sim(tmp_path, capsys):
    rng = np.random.default_rng(SEED + 2)
    spec = random_model(rng, hidden=(24,), in_features=64)
    save(spec, tmp_path / "m.bittern")
    code = main(["sim", "--model", str(tmp_path / "m.bittern"), "--simulator", "icarus",
                 "--rows", "2", "--cols", "2", "--lanes", "16", "--dataset", "random",
                 "--images", "3"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "scores match the golden model" in out
    assert "layer 1 on the accelerator: yes (DENSE_XNOR)" in out
    assert main(["sim", "--model", str(tmp_path / "m.bittern"), "--layer", "5"]) == 2
    assert "--layer must be 0..1, not 5" in capsys.readouterr().err
