"""Your own nn.Module from bittern's public quantized layers: bittern.export folds it exactly
(the module's own float forward and the golden model agree on every score and label), and
the facade (import bittern: load, export, summary, predict) returns the same on each target."""

import numpy as np
import pytest
import torch
import torch.nn as nn

import bittern
from bittern.cli.main import main
from bittern.model import golden
from bittern.model import qnn
from bittern.model.interop.module_export import ModuleExportError
from bittern.model.spec import WEnc
from bittern.rtl import ops
from bittern.model.summary import summarize


class MyNet(nn.Module):
    """A user's own module (not nn.Sequential): conv-pool-bn-act, flatten, sparse, head."""

    def __init__(self):
        super().__init__()
        self.inp = qnn.InputBinarize(100)
        self.conv = qnn.QuantConv2d(1, 8, 3, padding=1, weights="ternary")
        self.pool = nn.MaxPool2d(2)
        self.bn1 = nn.BatchNorm2d(8)
        self.act1 = qnn.QuantAct("uint2")
        self.fc1 = qnn.QuantLinear(8 * 14 * 14, 64, weights="int3")
        self.bn2 = nn.BatchNorm1d(64)
        self.act2 = qnn.QuantAct("binary")
        self.fc2 = qnn.QuantLinear(64, 32, weights="sparse", packs=1)
        self.bn3 = nn.BatchNorm1d(32)
        self.act3 = qnn.QuantAct("ternary")
        self.fc3 = qnn.QuantLinear(32, 10, weights="ternary")
        self.head = nn.BatchNorm1d(10)

    def forward(self, x):
        x = self.act1(self.bn1(self.pool(self.conv(self.inp(x)))))
        x = torch.flatten(x, 1)
        x = self.act2(self.bn2(self.fc1(x)))
        x = self.act3(self.bn3(self.fc2(x)))
        return self.head(self.fc3(x))


def _trained_like(net, rng):
    """Random batch-norm statistics, as training leaves them (negative gammas included)."""
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                c = m.num_features
                m.weight.copy_(torch.as_tensor(rng.normal(0.5, 1.0, c)))
                m.bias.copy_(torch.as_tensor(rng.normal(0, 0.5, c)))
                m.running_mean.copy_(torch.as_tensor(rng.normal(0, 3, c)))
                m.running_var.copy_(torch.as_tensor(rng.uniform(1, 20, c)))
    net.fc2.prune()
    return net.eval()


def test_export_user_module_matches_its_own_forward(rng, mnist):
    torch.manual_seed(0)
    net = _trained_like(MyNet(), rng)
    model = bittern.export(net, torch.zeros(1, 1, 28, 28))
    x = mnist.test_x[:200]
    g = golden.run(model.spec, x, method="values")
    with torch.no_grad():
        xin = torch.as_tensor(x).permute(0, 3, 1, 2).double()
        net = net.double()
        logits = net(xin)
        h = net.act3(net.bn3(net.fc2(net.act2(net.bn2(net.fc1(torch.flatten(
            net.act1(net.bn1(net.pool(net.conv(net.inp(xin))))), 1)))))))
        scores = net.fc3(h)
    assert torch.equal(scores.round().long(), g.scores)
    assert torch.equal(logits.argmax(1), g.labels)
    assert len(set(g.labels.tolist())) > 2


def test_export_user_module_errors_name_the_layer():
    net = nn.Sequential(qnn.InputBinarize(128), nn.Flatten(), qnn.QuantLinear(784, 10), nn.ReLU())
    with pytest.raises(ModuleExportError, match=r"3 \(ReLU\): not supported here"):
        bittern.export(net, torch.zeros(1, 1, 28, 28))
    with pytest.raises(ModuleExportError, match="must start with qnn.InputBinarize"):
        bittern.export(nn.Sequential(nn.Flatten(), qnn.QuantLinear(784, 10)),
                       torch.zeros(1, 1, 28, 28))
    with pytest.raises(ModuleExportError, match="running the module on example_input failed"):
        bittern.export(nn.Sequential(qnn.InputBinarize(128), qnn.QuantLinear(784, 10)),
                       torch.zeros(1, 1, 28, 28))


def _mlp(rng):
    net = nn.Sequential(qnn.InputBinarize(128), nn.Flatten(), qnn.QuantLinear(784, 64),
                        nn.BatchNorm1d(64), qnn.QuantAct("binary"), qnn.QuantLinear(64, 10),
                        nn.BatchNorm1d(10))
    return _trained_like_seq(net, rng)


def _trained_like_seq(net, rng):
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm1d):
                c = m.num_features
                m.weight.copy_(torch.as_tensor(rng.normal(0.5, 1.0, c)))
                m.running_mean.copy_(torch.as_tensor(rng.normal(0, 3, c)))
    return net.eval()


def test_summary_against_hand_counts(rng):
    torch.manual_seed(1)
    model = bittern.export(_mlp(rng), torch.zeros(1, 1, 28, 28))
    s = summarize(model.spec, rows=4, cols=4)
    l0, l1 = s.layers
    # layer 0: 784 x 64 binary weights; 64 channels x (direction + 1 threshold) int32
    assert (l0.low_bit_params, l0.params_32, l0.macs) == (784 * 64, 64 * 2, 784 * 64)
    # 64 rows of ceil(784/32) = 25 words, 4 bytes each, + 64 x 2 int32 threshold words
    assert l0.weight_bytes == 64 * 25 * 4 + 64 * 2 * 4
    assert l0.act_bytes == 2 * 4                      # 64 bits = 2 words
    # layer 1: 64 x 10 binary; the head: int64 mult and offset per class = 4 x 32 bits each
    assert (l1.low_bit_params, l1.params_32, l1.macs) == (640, 40, 640)
    assert l1.weight_bytes == 10 * 2 * 4 + (8 + 16 * 10)
    assert l1.act_bytes == 10 * 4
    # both on the accelerator; array-active cycles: ceil(out/4 rows) tiles x ceil(in/32) words
    assert (l0.accel, l1.accel) == (None, None)
    assert (l0.cycles, l1.cycles) == (16 * 25, 3 * 2)
    assert s.max_act_bytes == 784 and s.total_macs == 784 * 64 + 640
    text = model.summary()
    assert "dense 784->64" in text and "per-class head" in text


def test_summary_says_why_not_on_the_accelerator(rng):
    torch.manual_seed(2)
    spec0 = bittern.export(_trained_like(MyNet(), rng), torch.zeros(1, 1, 28, 28)).spec
    s = summarize(spec0)
    assert ops.why_not(spec0.layers[0], last=False) is not None   # the ternary conv
    _check_suffix_rule(spec0, s)
    assert s.layers[2].low_bit_params == 32 * 1 * 32    # sparse: 32 outputs x 1 kept pack
    spec = bittern.export(_mlp(rng), torch.zeros(1, 1, 28, 28)).spec
    spec.layers[1].w_enc = WEnc.TERNARY                  # +-1 are ternary values too
    _check_suffix_rule(spec, summarize(spec))


def _check_suffix_rule(spec, summary):
    """Each layer the op registry refuses gets the registry's own reason (its wording follows
    rtl/ops); a layer it accepts, before one it refuses, stays in software (the C driver
    offloads a suffix); the others run on the accelerator (None)."""
    n = len(spec.layers)
    own = [ops.why_not(l, last=i == n - 1) for i, l in enumerate(spec.layers)]
    for i, layer in enumerate(summary.layers):
        later = any(o is not None for o in own[i + 1:])
        assert layer.accel == (own[i] or ("a later layer runs in software" if later else None)), i


def test_facade_version_load_predict_on_golden_host_qemu(rng, mnist, tmp_path, capsys,
                                                        runtime_build_dir):
    from importlib import metadata
    assert bittern.__version__ == metadata.version("bittern")
    torch.manual_seed(3)
    model = bittern.export(_mlp(rng), torch.zeros(1, 1, 28, 28))
    path = tmp_path / "m.bittern"
    model.save(path)
    with pytest.raises(FileExistsError):
        model.save(path)
    again = bittern.load(path)
    x = mnist.test_x[:20]
    results = {t: again.predict(x, target=t, build_dir=runtime_build_dir)
               for t in ("golden", "host", "qemu:cortex-m4")}
    for t, (labels, scores) in results.items():
        assert labels.dtype == np.int64 and scores.dtype == np.int64 and scores.shape == (20, 10), t
        np.testing.assert_array_equal(labels, results["golden"][0])
        np.testing.assert_array_equal(scores, results["golden"][1])
    with pytest.raises(ValueError, match="unknown target"):
        again.predict(x, target="gpu")
    assert main(["summary", str(path)]) == 0
    assert "dense 64->10" in capsys.readouterr().out
