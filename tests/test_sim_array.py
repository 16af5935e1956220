"""The systolic array on Icarus and Verilator through cocotb, bit-exact against the golden model.

One Verilog build per configuration; all scenarios of a configuration run in one simulator
invocation (tb_array replays them back to back). Expected values come from
``bittern.model.golden.layer_accumulators`` (dense layers built from the scenario matrices).
"""

import numpy as np
import pytest
import torch

from bittern.model import golden
from bittern.model.randspec import random_model
from bittern.model.spec import Enc, Kind, LayerSpec, WEnc
from bittern.sim.layer_sim import ArrayConfig, run_schedules, schedule

SEED = 20261126

CONFIGS = [
    ArrayConfig(1, 1, 8),
    ArrayConfig(2, 3, 16),
    ArrayConfig(4, 4, 32),
    ArrayConfig(8, 8, 64),
    ArrayConfig(2, 2, 8, max_n=63),                      # accumulator at its width limit
    ArrayConfig(3, 2, 16, pe="ternary"),                 # GXNOR
    ArrayConfig(2, 3, 8, pe="ternary", act_bits=4, max_n=100),   # WRPN, acc at its limit
]


def golden_acc(W, X, in_enc, in_bits, w_enc):
    """Golden accumulators [P, O] of a dense layer W [O, K] on inputs X [P, K]."""
    O, K = W.shape
    layer = LayerSpec(kind=Kind.DENSE, in_enc=in_enc, in_bits=in_bits, w_enc=w_enc, w_bits=1,
                      out_enc=Enc.SCORES, out_bits=0, in_h=1, in_w=1, in_c=K, out_c=O,
                      weights=W.astype(np.int8))
    x = torch.from_numpy(np.asarray(X, dtype=np.int64)).reshape(X.shape[0], 1, 1, K)
    return golden.layer_accumulators(x, layer).reshape(X.shape[0], O).numpy()


def scenarios(cfg, rng):
    """(name, W, X, in_enc, in_bits, w_enc) for one configuration."""
    R, C, L = cfg.rows, cfg.cols, cfg.lanes
    out = []
    if cfg.pe == "xnor":
        def w(*s): return rng.choice(np.array([-1, 1]), size=s)
        kinds = (Enc.BINARY, 1, WEnc.BINARY)
        ones = lambda o, k: np.ones((o, k), dtype=np.int64)
        out.append(("random, K not a multiple of lanes", w(2 * R + 1, 3 * L + 5), w(C + 2, 3 * L + 5)))
        out.append(("whole tiles", w(2 * R, 4 * L), w(2 * C, 4 * L)))
        out.append(("all +1 (max acc)", ones(R, 2 * L + 3), ones(C, 2 * L + 3)))
        out.append(("all -1 vs +1 (min acc)", -ones(R, L - 1 if L > 1 else 1), ones(C, L - 1 if L > 1 else 1)))
        out.append(("one word, K < lanes", w(R + 1, max(1, L // 2 - 1)), w(2 * C + 1, max(1, L // 2 - 1))))
        if cfg.max_n:
            k = cfg.max_n
            out.append(("K = max_n, all match", ones(R, k), ones(C, k)))
            out.append(("K = max_n, all differ", -ones(R, k), ones(C, k)))
            out.append(("K = max_n, random", w(R, k), w(C, k)))
    elif cfg.act_bits is None:
        kinds = (Enc.TERNARY, 2, WEnc.TERNARY)
        def t(*s): return rng.choice(np.array([-1, 0, 1]), size=s)
        out.append(("random ternary", t(2 * R + 1, 2 * L + 3), t(C + 1, 2 * L + 3)))
        out.append(("all zero", np.zeros((R, L), dtype=np.int64), t(C, L)))
        out.append(("binary acts (nz all ones)", t(R, 3 * L), rng.choice([-1, 1], size=(C, 3 * L))))
        out.append(("all fire, agree", np.ones((R, 2 * L)), np.ones((C, 2 * L))))
    else:
        k = cfg.act_bits
        kinds = (Enc.UINT, k, WEnc.TERNARY)
        hi = (1 << k) - 1
        def t(*s): return rng.choice(np.array([-1, 0, 1]), size=s)
        out.append(("random codes", t(2 * R + 1, 2 * L + 3), rng.integers(0, hi + 1, size=(C + 2, 2 * L + 3))))
        out.append(("codes zero", t(R, L), np.zeros((C, L), dtype=np.int64)))
        if cfg.max_n:
            n = cfg.max_n
            out.append(("max acc", np.ones((R, n)), np.full((C, n), hi)))
            out.append(("min acc", -np.ones((R, n)), np.full((C, n), hi)))
    return [(name, np.asarray(W, np.int64), np.asarray(X, np.int64)) + kinds for name, W, X in out]


def model_layers(cfg, rng):
    """Real layers of a model: binary MLP layers for xnor (stand-in for the trained MLP)."""
    if cfg.pe != "xnor" or cfg.max_n:
        return []
    spec = random_model(rng, hidden=(40, 24), in_features=70)
    images = rng.integers(0, 256, size=(3, 70), dtype=np.uint8)
    res = golden.run(spec, torch.from_numpy(images))
    x = golden.prepare_input(spec, torch.from_numpy(images))
    out = []
    for i, layer in enumerate(spec.layers):
        X = x.reshape(x.shape[0], -1).numpy()
        out.append((f"model layer {i}", layer.weights.astype(np.int64), X, Enc.BINARY, 1,
                    WEnc.BINARY, res.trace[i].acc.reshape(x.shape[0], -1).numpy()))
        x = res.trace[i].values
    return out


# Verilator builds (tens of seconds each on 2 busy cores) dominate the suite's time, so the two
# small xnor variants whose logic the others already cover, and the 8x8 x 64-lane array (the
# largest build: about a minute; its logic is the 4x4's at twice the size, and Icarus runs the
# same scenarios on it) run on Icarus only; Verilator still runs 1x1, 4x4 and both ternary
# arrays. The full 1x1..8x8 x lanes 8..64 sweep on both simulators is bench/bench_array.py --sweep.
ICARUS_ONLY = {ArrayConfig(2, 3, 16), ArrayConfig(2, 2, 8, max_n=63), ArrayConfig(8, 8, 64)}
PARAMS = [pytest.param(c, s, id=f"{c.name}-{s}") for c in CONFIGS for s in ("icarus", "verilator")
          if s == "icarus" or c not in ICARUS_ONLY]


@pytest.mark.parametrize("cfg,simulator", PARAMS)
def test_array_matches_golden(cfg, simulator):
    print(f"seed {SEED}")
    rng = np.random.default_rng([SEED, CONFIGS.index(cfg)])
    cases = []
    for name, W, X, in_enc, in_bits, w_enc in scenarios(cfg, rng):
        cases.append((name, W, X, golden_acc(W, X, in_enc, in_bits, w_enc)))
    for name, W, X, *_, want in model_layers(cfg, rng):
        cases.append((name, W, X, want))
    scheds = [schedule(cfg, W, X) for _, W, X, _ in cases]
    results = run_schedules(scheds, simulator=simulator)
    for (name, W, X, want), (acc, fired, stats) in zip(cases, results):
        assert acc.shape == want.shape
        assert np.array_equal(acc, want), f"{cfg.name} {name}: array != golden"
        if fired is not None:
            want_f = (X != 0).astype(np.int64) @ (W != 0).astype(np.int64).T
            assert np.array_equal(fired, want_f), f"{cfg.name} {name}: fired count"
