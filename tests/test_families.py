"""Every network family of the seed papers, trained on real MNIST, on all three paths bit-exactly:
golden model, simulated systolic array (Verilator through cocotb), C runtime (host and Cortex-M4)."""

import numpy as np
import pytest
import torch

from bittern.model import golden

IMAGES = 3
MNIST_IN = {"shape": [28, 28, 1]}
BINARIZED_IN = {"shape": [28, 28, 1], "threshold": 128}

FAMILIES = {
    # BNN / XNOR-Net, binary-weight first layer on 8-bit pixels
    "binary": {"input": MNIST_IN, "blocks": [{"out": 48}, {"out": 32}, {"out": 10}]},
    # 3PXNet: hidden sparse layer, 1 of 2 packs kept, inputs permuted before pruning
    "sparse": {"input": BINARIZED_IN, "blocks": [
        {"out": 64}, {"out": 32, "weights": "sparse", "packs": 1}, {"out": 10}]},
    # WRPN: ternary weights, 2-bit activations (adder-only PEs)
    "wrpn": {"input": MNIST_IN, "blocks": [
        {"out": 40, "weights": "ternary", "act": "uint2"}, {"out": 10, "weights": "ternary"}]},
    # GXNOR: ternary weights and activations (gated PEs)
    "gxnor": {"input": BINARIZED_IN, "blocks": [
        {"out": 40, "weights": "ternary", "act": "ternary"},
        {"out": 24, "weights": "ternary", "act": "ternary"}, {"out": 10, "weights": "ternary"}]},
    # {-1,+1} decomposition: 3-bit weights on 2-bit activations as binary passes
    "decompose": {"input": BINARIZED_IN, "blocks": [
        {"out": 32, "act": "uint2"}, {"out": 16, "weights": "int3", "act": "uint2"}, {"out": 10}]},
    # eBNN-style conv net: conv -> pool -> bn -> sign
    "cnn": {"input": MNIST_IN, "blocks": [
        {"kind": "conv", "out": 8, "kernel": 3, "pad": 1, "pool": 2},
        {"kind": "conv", "out": 8, "kernel": 3, "pad": 1, "pool": 2}, {"out": 10}]},
}


class FamilySpecs:
    """``family_specs[name]``: the family trained 2 epochs, only when a test asks for it, once
    per session (``trained_spec``: tests/test_accel_sparse.py shares the sparse one)."""

    def __init__(self, trained_spec):
        self._trained_spec = trained_spec

    def __getitem__(self, name):
        return self._trained_spec(FAMILIES[name], FAMILY_EPOCHS)


FAMILY_EPOCHS = 2


@pytest.fixture(scope="session")
def family_specs(trained_spec):
    return FamilySpecs(trained_spec)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_families_golden_accuracy_is_far_above_chance(family, family_specs, mnist):
    res = golden.run(family_specs[family], mnist.test_x)
    acc = float(np.mean(res.labels.numpy() == mnist.test_y))
    print(f"{family}: golden held-out accuracy after 2 epochs {acc:.3f}")
    assert acc > 0.3  # three times chance: the net learned, the export kept it


# The arrays' Verilator builds (a minute or more each) are the cost here: 4x4x32 is the geometry
# of tests/test_sim_layer.py's trained MLP (the xnor and the u8 arrays), and gxnor, whose layers
# all run on the ternary array, takes tests/test_sim_array.py's 3x2x16 ternary build.
ARRAY_GEOMETRY = {"gxnor": (3, 2, 16)}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_families_array_simulation_matches_golden(family, family_specs, mnist, tmp_path_factory):
    from bittern.sim.layer_sim import simulate_model
    spec = family_specs[family]
    x = mnist.test_x[:1]   # RTL simulation is the slow path: one image, every layer
    want = golden.run(spec, x)
    rows, cols, lanes = ARRAY_GEOMETRY.get(family, (4, 4, 32))
    run = simulate_model(spec, x, rows=rows, cols=cols, lanes=lanes, simulator="verilator")
    assert torch.equal(torch.as_tensor(run.scores), want.scores)
    for i, lr in enumerate(run.layers):
        assert lr.cycles >= lr.ideal_cycles > 0, f"layer {i}"
    if family == "sparse":   # 3PXNet: the pruned packs of layer 1 cost no cycles
        sparse = run.layers[1]
        print(f"sparse layer: {sparse.cycles} cycles vs {sparse.dense_cycles} dense")
        assert sparse.cycles < sparse.dense_cycles


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_families_c_runtime_on_host_matches_golden(family, family_specs, mnist):
    from bittern.runtime.host import run_host
    spec = family_specs[family]
    x = mnist.test_x[:50]
    r = run_host(spec, x)
    assert np.array_equal(r.scores, golden.run(spec, x).scores.numpy())


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_families_cortex_m4_under_qemu_matches_golden(family, family_specs, mnist):
    from bittern.runtime.mcu import run_on_core
    spec = family_specs[family]
    x = mnist.test_x[:IMAGES]
    res, _ = run_on_core("cortex-m4", spec, x)
    assert np.array_equal(np.asarray(res.scores), golden.run(spec, x).scores.numpy())


# The universal build: every optional op (conv, planes, the sparse datapath) in one accelerator.
# Every family's model runs on it without rebuilding, the cnn family's u8 first conv included
# (8 bit planes per tap, rtl/ops/conv_planes.py).
UNIVERSAL_FAMILIES = ("binary", "sparse", "wrpn", "gxnor", "decompose", "cnn")
UNIVERSAL = dict(conv=True, planes=True)


@pytest.fixture(scope="module")
def universal_specs(family_specs):
    """The families' models (the ones the other tests of this module train)."""
    return {f: family_specs[f] for f in UNIVERSAL_FAMILIES}


@pytest.fixture(scope="module")
def universal_depths(universal_specs):
    """One set of buffer depths and sparse-store size that holds every family's model."""
    from bittern.rtl import loader
    all_d = [loader.default_depths(universal_specs[f], 2, 2) for f in UNIVERSAL_FAMILIES]
    return {k: max(d.get(k, 0) for d in all_d) for k in set().union(*all_d)}


@pytest.mark.parametrize("family", UNIVERSAL_FAMILIES)
def test_families_on_the_universal_accelerator_match_golden(family, universal_specs, mnist,
                                                           universal_depths):
    """Each family on the whole accelerator (bus writes -> sequencer -> array -> score reads) of
    one universal build, every layer in hardware: the u8 first layers as 8 bit planes, ternary
    and uint-k outputs as thermometer planes, int3 weights (decompose), the 3PXNet layer on the
    sparse datapath, the cnn's u8 first conv as 8 bit planes per tap (CONV_PLANES_U8_BIN) and
    its second on CONV_XNOR. One Verilator build (2x2) of the replay harness is shared by the
    cases."""
    from bittern.rtl import loader
    from bittern.rtl.accelerator import Accelerator
    from bittern.sim.replay import run_model
    spec = universal_specs[family]
    x = mnist.test_x[:4]
    res = run_model(spec, x, rows=2, cols=2, depths=universal_depths, **UNIVERSAL)
    want = golden.run(spec, x)
    assert np.array_equal(res.scores, want.scores.numpy())
    geom = loader.Geometry.of(Accelerator(rows=2, cols=2, **UNIVERSAL, **universal_depths))
    p = loader.plan(spec, geom)
    assert res.active == sum(lp.cycles for lp in p.layers) * res.batches
    names = {lp.op.name for lp in p.layers}
    expect = {"sparse": {"SPARSE_XNOR"}, "binary": {"DENSE_PLANES_U8_BIN"},
              "wrpn": {"DENSE_PLANES_U8_TER"}, "cnn": {"CONV_PLANES_U8_BIN", "CONV_XNOR"}}
    assert expect.get(family, set()) <= names, names
    print(f"{family}: {sorted(names)}; {res.cycles // res.batches} cycles/batch of 2, "
          f"{res.active // res.batches} active")
