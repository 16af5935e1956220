"""The training recipe: latent weights of quantized blocks and the float parameters get their
own learning rates (bittern.model.train.param_groups), each on its own OneCycle schedule
(bittern.model.train.optimizer, which train() uses)."""

import pytest

from bittern.model.layers import BitNet
from bittern.model.train import optimizer, param_groups

MIXED = {"input": {"shape": [28, 28, 1], "threshold": 128}, "blocks": [
    {"out": 64}, {"out": 32, "weights": "sparse", "packs": 1},
    {"out": 24, "weights": "ternary", "act": "uint2"},
    {"out": 16, "weights": "int3", "act": "ternary"},
    {"out": 12, "weights": "float", "act": "relu"}, {"out": 10}]}


def test_train_param_groups_split_latent_weights_from_float_parameters():
    net = BitNet(MIXED)
    latent, rest = param_groups(net, lr=0.01, weight_lr=0.1)
    assert (latent["lr"], rest["lr"]) == (0.1, 0.01)
    b = net.blocks
    assert [id(p) for p in latent["params"]] == [id(b[i].weight) for i in (0, 1, 2, 3, 5)]
    want_rest = {id(b[4].weight), id(net.log_temperature)} | \
        {id(p) for blk in b[:-1] for p in blk.bn.parameters()}
    assert {id(p) for p in rest["params"]} == want_rest
    assert len(rest["params"]) == len(want_rest)
    assert len(latent["params"]) + len(rest["params"]) == len(list(net.parameters()))


def test_train_param_groups_of_a_float_network_is_one_group():
    net = BitNet({"blocks": [{"out": 8, "weights": "float", "act": "relu"},
                             {"out": 10, "weights": "float"}]})
    (only,) = param_groups(net, lr=0.01, weight_lr=0.1)
    assert only["lr"] == 0.01


def test_train_optimizer_schedules_each_group_up_to_its_own_peak():
    """The OneCycle schedule of both groups: start at peak / 25, reach the peak, end near 0."""
    net = BitNet(MIXED)
    opt, sched = optimizer(net, lr=0.01, weight_lr=0.1, steps=100)
    seen = []
    for _ in range(100):
        seen.append([g["lr"] for g in opt.param_groups])
        opt.step()
        sched.step()
    latent, rest = zip(*seen)
    assert (latent[0], rest[0]) == pytest.approx((0.1 / 25, 0.01 / 25), rel=1e-9)
    assert (max(latent), max(rest)) == pytest.approx((0.1, 0.01), rel=1e-9)
    assert latent[-1] < 1e-4 and rest[-1] < 1e-5
