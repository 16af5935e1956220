"""Folding batch-norm + quantizers to integer thresholds, and float vs integer bit-exactness."""

import numpy as np
import pytest
import torch

from bittern.model import golden
from bittern.model.fold import export_spec, fold_batchnorm
from bittern.model.layers import BitNet
from bittern.model.quant import ACT_THETAS
from bittern.model.sparsity import prune_packs
from bittern.model.spec import THRESHOLD_LIMIT
from bittern.model.train import train


def _bn(gamma, beta, mu, var, eps=0.01):
    bn = torch.nn.BatchNorm1d(len(gamma), eps=eps)
    bn.weight.data = torch.tensor(gamma, dtype=torch.float32)
    bn.bias.data = torch.tensor(beta, dtype=torch.float32)
    bn.running_mean.data = torch.tensor(mu, dtype=torch.float32)
    bn.running_var.data = torch.tensor(var, dtype=torch.float32)
    return bn.eval()


def test_fold_worked_example_of_numerics_doc():
    thr, d = fold_batchnorm(_bn([-0.5], [0.25], [3.0], [3.99]), [0.0])
    assert d.tolist() == [-1] and thr.tolist() == [[4]]


def test_fold_gamma_zero_gives_always_or_never():
    thr, d = fold_batchnorm(_bn([0.0, 0.0], [0.3, -0.3], [0.0, 0.0], [1.0, 1.0]), [0.0])
    assert d.tolist() == [1, 1]
    assert thr[:, 0].tolist() == [-THRESHOLD_LIMIT, THRESHOLD_LIMIT]


@pytest.mark.parametrize("act,bits", [("binary", 1), ("ternary", 2), ("uint", 2), ("uint", 4)])
def test_fold_matches_float_batchnorm_and_quantizer_on_every_accumulator(act, bits, rng):
    """Brute force: every integer accumulator in a range, both gamma signs, exact float64 ties."""
    c = 16
    gamma = rng.uniform(-2, 2, c)
    gamma[0], gamma[1] = 1.0, -1.0   # y = +-(acc - mu): exact ties at integer mu
    beta = rng.uniform(-1, 1, c)
    beta[:2] = 0.0
    mu = rng.uniform(-20, 20, c)
    mu[:2] = 3.0
    var = rng.uniform(0.5, 30, c)
    var[:2] = 1.0 - 1e-5
    bn = _bn(gamma.tolist(), beta.tolist(), mu.tolist(), var.tolist(), eps=1e-5).double()
    acc = torch.arange(-60, 61, dtype=torch.float64)[:, None].repeat(1, c)
    with torch.no_grad():
        y = bn(acc)
    thetas = torch.tensor(ACT_THETAS(act, bits), dtype=torch.float64)
    want = (y[..., None] >= thetas).sum(-1)
    thr, d = fold_batchnorm(bn, ACT_THETAS(act, bits))
    got = golden.apply_thresholds(acc.long().reshape(-1, 1, 1, c), thr, d).reshape(-1, c)
    assert torch.equal(got, want)
    if act == "binary":  # y == 0 exactly at acc == mu == 3 crosses (+1) in both directions
        assert got[63, 0] == 1 and got[63, 1] == 1


CONFIGS = {
    "mlp-u8-input": {"input": {"shape": [28, 28, 1]}, "blocks": [{"out": 40}, {"out": 10}]},
    "mlp-binarized-cropped": {"input": {"shape": [28, 28, 1], "threshold": 128, "crop": [8, 8]},
                              "blocks": [{"out": 37}, {"out": 10}]},
    "gxnor": {"input": {"shape": [28, 28, 1]}, "blocks": [
        {"out": 48, "weights": "ternary", "act": "ternary"},
        {"out": 30, "weights": "ternary", "act": "ternary"}, {"out": 10, "weights": "ternary"}]},
    "wrpn": {"input": {"shape": [28, 28, 1]}, "blocks": [
        {"out": 48, "weights": "ternary", "act": "uint4"},
        {"out": 30, "weights": "int3", "act": "uint2"}, {"out": 10, "weights": "ternary"}]},
    "sparse": {"input": {"shape": [28, 28, 1], "threshold": 128, "crop": [8, 8]},
               "blocks": [{"out": 40, "weights": "sparse", "packs": 3}, {"out": 10}]},
    "cnn": {"input": {"shape": [28, 28, 1]}, "blocks": [
        {"kind": "conv", "out": 8, "kernel": 3, "pad": 1, "pool": 2},
        {"kind": "conv", "out": 12, "kernel": 3, "stride": 2, "pool": 1, "act": "ternary"},
        {"kind": "conv", "out": 6, "kernel": 3, "pad": 1, "pool": 2, "weights": "ternary",
         "act": "uint2"},
        {"out": 10}]},
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_fold_float_model_equals_golden_on_real_images(name, mnist):
    """Briefly trained on real MNIST, then: same scores, same per-layer accumulators, same labels."""
    result = train(CONFIGS[name], mnist, epochs=1, seed=1, progress=False)
    net = result.net
    spec = export_spec(net)
    images = mnist.test_x[:300]
    with torch.no_grad():
        scores, accs = net.double().scores(torch.from_numpy(images))
    res = golden.run(spec, images)
    assert torch.equal(scores.round().long(), res.scores)
    assert torch.equal(scores.argmax(1), res.labels)
    for blk_acc, tr in zip(accs, res.trace):
        a = blk_acc.round().long()
        a = a.permute(0, 2, 3, 1) if a.dim() == 4 else a.reshape(a.shape[0], 1, 1, -1)
        assert torch.equal(a, tr.acc)
    # the net is not trivial: several classes predicted
    assert len(set(res.labels.tolist())) >= 5


def test_fold_negative_gamma_channels_stay_exact(mnist):
    net = train(CONFIGS["mlp-u8-input"], mnist, epochs=1, seed=2, progress=False).net
    with torch.no_grad():
        net.blocks[0].bn.weight[::2] *= -1   # half the channels flip direction
    spec = export_spec(net)
    assert (spec.layers[0].directions == -1).sum() >= 20
    with torch.no_grad():
        scores, _ = net.double().scores(torch.from_numpy(mnist.test_x[:200]))
    assert torch.equal(scores.round().long(), golden.run(spec, mnist.test_x[:200]).scores)


def test_fold_sparse_export_keeps_equal_packs_per_neuron(mnist):
    net = BitNet(CONFIGS["sparse"])
    prune_packs(net.blocks[0])
    spec = export_spec(net.eval())
    assert spec.layers[0].pack_index.shape == (40, 3)
    w = spec.layers[0].weights.reshape(40, 24, 32)
    assert ((w != 0).any(-1).sum(1) == 3).all()


def test_fold_refuses_float_baseline_with_clear_message():
    net = BitNet({"blocks": [{"out": 8, "weights": "float", "act": "relu"}, {"out": 10}]})
    with pytest.raises(ValueError, match="block 0: float weights / relu activations are a "
                                         "training baseline only"):
        export_spec(net)


def test_fold_trained_mlp_is_bit_exact_on_all_held_out_images(trained_mlp, trained_mlp_spec, mnist):
    with torch.no_grad():
        scores, _ = trained_mlp.double().scores(torch.from_numpy(mnist.test_x))
    trained_mlp.float()
    res = golden.run(trained_mlp_spec, mnist.test_x)
    assert torch.equal(scores.round().long(), res.scores)
    acc = float(np.mean(res.labels.numpy() == mnist.test_y))
    print(f"trained MLP golden held-out accuracy {acc:.4f}")
    assert acc > 0.85


def test_fold_permutation_search_keeps_function_and_raises_kept_magnitude(mnist):
    from bittern.model.permute import apply_input_permutation, kept_magnitude, search_permutation
    cfg = {"input": {"shape": [28, 28, 1]}, "blocks": [
        {"out": 64}, {"out": 32, "weights": "sparse", "packs": 1}, {"out": 10}]}
    torch.manual_seed(3)
    net = BitNet(cfg)
    with torch.no_grad():   # non-trivial batch-norm so that the fold into block 0 matters
        bn = net.blocks[0].bn
        bn.running_mean.uniform_(-30, 30), bn.running_var.uniform_(10, 300)
        bn.weight.uniform_(-1, 1), bn.bias.uniform_(-1, 1)
    net.eval()
    images = torch.from_numpy(mnist.test_x[:200])
    with torch.no_grad():
        before = net.double().scores(images)[0]
    w_abs = net.blocks[1].weight.detach().abs().numpy()
    perm = search_permutation(w_abs, 1, iters=3000, seed=0)
    assert kept_magnitude(w_abs[:, perm], 1) > kept_magnitude(w_abs, 1)
    apply_input_permutation(net, 1, perm)
    with torch.no_grad():
        after = net.scores(images)[0]
    assert torch.equal(before, after)
    assert not np.array_equal(perm, np.arange(64))
