"""Brevitas networks that users of FINN and Brevitas train, for the import tests and the bench.

Every network takes ``x = pixel / 255`` (float32, NCHW ``[N, 1, 28, 28]``) and binarizes it as
FINN's TFC does (``2x - 1``, then a 1-bit quantizer), except ``u8-mlp``, whose first layer
takes the 8-bit pixels themselves. Quantizers have constant scales (FINN's
``CommonWeightQuant`` / ``CommonActQuant`` style, scale 1), so the float executor's accumulators
are exact integers. Needs the ``interop`` extra (brevitas).

``build(name)`` gives the untrained module; :func:`train_quick` a few seeded epochs;
:func:`export` the QONNX file (``brevitas.export.export_qonnx``).
"""

import torch
import torch.nn as nn

__all__ = ["NETWORKS", "build", "binary_mlp", "train_quick", "accuracy", "as_input", "export"]

NETWORKS = ("mlp-bn", "tfc-w1a1", "ternary-a2", "cnn", "u8-mlp")


def _quants():
    from brevitas_examples.bnn_pynq.models.common import CommonActQuant, CommonWeightQuant

    class Uint2ActQuant(CommonActQuant):
        signed = False
        narrow_range = False
        min_val = 0.0
        max_val = 3.0        # scale = 3 / (2^2 - 1) = 1: codes 0..3

    return CommonWeightQuant, CommonActQuant, Uint2ActQuant


def _uint8_quant():
    from brevitas_examples.bnn_pynq.models.common import CommonActQuant

    class Uint8ActQuant(CommonActQuant):
        signed = False
        narrow_range = False
        min_val = 0.0
        max_val = 255.0      # scale = 255 / (2^8 - 1) = 1: the codes are the pixels

    return Uint8ActQuant


class _Seq(nn.Module):
    """Input binarization as FINN's TFC (2x - 1, 1-bit quantizer), then the layers."""

    def __init__(self, layers, flatten_input):
        super().__init__()
        _, act, _ = _quants()
        from brevitas.nn import QuantIdentity
        self.quant_in = QuantIdentity(act_quant=act, bit_width=1)
        self.layers = nn.Sequential(*layers)
        self.flatten_input = flatten_input
        for m in self.layers:
            if hasattr(m, "weight_quant"):      # as FINN's FC: scale-1 quantizers need |w| ~ 1
                nn.init.uniform_(m.weight.data, -1, 1)

    def forward(self, x):
        if self.flatten_input:
            x = x.reshape(x.shape[0], -1)
        x = 2.0 * x - torch.tensor([1.0], device=x.device)
        return self.layers(self.quant_in(x))


class _U8Seq(nn.Module):
    """8-bit unsigned pixels into the first layer: ``x * 255`` quantized to 8 bits at scale 1
    (codes = pixels, and the float accumulators stay exact integers), then the layers."""

    def __init__(self, layers):
        super().__init__()
        from brevitas.nn import QuantIdentity
        self.quant_in = QuantIdentity(act_quant=_uint8_quant(), bit_width=8)
        self.layers = nn.Sequential(*layers)
        for m in self.layers:
            if hasattr(m, "weight_quant"):
                nn.init.uniform_(m.weight.data, -1, 1)

    def forward(self, x):
        x = x.reshape(x.shape[0], -1) * torch.tensor([255.0], device=x.device)
        return self.layers(self.quant_in(x))


def binary_mlp(hidden):
    """Brevitas W1A1 MLP 784-hidden...-10 (batch-norm after every layer, the last on the
    scores), binarized input: the architecture bittern's ``binary`` family trains."""
    from brevitas.nn import QuantIdentity, QuantLinear
    wq, aq, _ = _quants()
    layers, n = [], 784
    for h in hidden:
        layers += [QuantLinear(n, h, bias=False, weight_quant=wq, weight_bit_width=1),
                   nn.BatchNorm1d(h), QuantIdentity(act_quant=aq, bit_width=1)]
        n = h
    layers += [QuantLinear(n, 10, bias=False, weight_quant=wq, weight_bit_width=1),
               nn.BatchNorm1d(10)]
    return _Seq(layers, True)


def build(name, *, seed=None):
    """The untrained Brevitas module ``name`` (one of :data:`NETWORKS`); with ``seed`` its
    initial weights are seeded too (train_quick seeds only the training)."""
    from brevitas.nn import QuantConv2d, QuantIdentity, QuantLinear
    if seed is not None:
        torch.manual_seed(seed)
    wq, aq, u2 = _quants()

    def lin(i, o, bits=1):
        return QuantLinear(i, o, bias=False, weight_quant=wq, weight_bit_width=bits)

    def act(bits=1):
        return QuantIdentity(act_quant=aq, bit_width=bits)

    if name == "mlp-bn":
        return _Seq([lin(784, 64), nn.BatchNorm1d(64), act(), lin(64, 10), nn.BatchNorm1d(10)],
                    True)
    if name == "tfc-w1a1":
        from brevitas_examples.bnn_pynq.models.FC import FC

        class TFC(FC):
            def forward(self, x):       # FC with its input given NCHW like the others
                return super().forward(x.reshape(x.shape[0], -1))
        return TFC(num_classes=10, weight_bit_width=1, act_bit_width=1, in_bit_width=1,
                   in_channels=1, out_features=[64, 64, 64])
    if name == "ternary-a2":
        return _Seq([lin(784, 64, 2), nn.BatchNorm1d(64), QuantIdentity(act_quant=u2, bit_width=2),
                     lin(64, 10, 2), nn.BatchNorm1d(10)], True)
    if name == "cnn":
        def conv(i, o):
            return QuantConv2d(i, o, 3, padding=1, bias=False, weight_quant=wq, weight_bit_width=1)
        return _Seq([conv(1, 16), nn.BatchNorm2d(16), act(), nn.MaxPool2d(2),
                     conv(16, 32), nn.BatchNorm2d(32), act(), nn.MaxPool2d(2),
                     nn.Flatten(), lin(32 * 7 * 7, 10), nn.BatchNorm1d(10)], False)
    if name == "u8-mlp":            # 8-bit pixels straight into ternary weights
        return _U8Seq([lin(784, 64, 2), nn.BatchNorm1d(64), act(), lin(64, 10), nn.BatchNorm1d(10)])
    raise ValueError(f"unknown Brevitas network {name!r}; choose one of {', '.join(NETWORKS)}")


def as_input(images):
    """uint8 images [N, 28, 28, 1] (HWC) -> the float32 NCHW input ``pixel / 255``."""
    x = torch.as_tensor(images).to(torch.float32) / torch.tensor(255.0)
    return x.permute(0, 3, 1, 2).contiguous()


def train_quick(net, data, *, epochs=2, seed=0, lr=0.01, batch=100, limit=None):
    """A few seeded Adam epochs on ``data.train_x`` (binary weights clipped to [-1, 1])."""
    torch.manual_seed(seed)
    x, y = as_input(data.train_x[:limit]), torch.as_tensor(data.train_y[:limit])
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    net.train()
    for _ in range(epochs):
        order = torch.randperm(len(x))
        for i in range(0, len(x), batch):
            idx = order[i: i + batch]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(net(x[idx]), y[idx])
            loss.backward()
            opt.step()
            with torch.no_grad():
                for m in net.modules():
                    if hasattr(m, "weight_quant"):
                        m.weight.clamp_(-1, 1)
    return net.eval()


def accuracy(net, images, labels):
    with torch.no_grad():
        return float((net.eval()(as_input(images)).argmax(1) == torch.as_tensor(labels)).float().mean())


def export(net, path):
    """``brevitas.export.export_qonnx`` of ``net`` for one 28x28 image."""
    import os

    import onnx
    from brevitas.export import export_qonnx
    export_qonnx(net.eval(), input_t=torch.zeros(1, 1, 28, 28), export_path=str(path))
    # torch's exporter puts the weights in a side file; keep one self-contained file
    model = onnx.load(str(path))
    onnx.save(model, str(path), save_as_external_data=False)
    if os.path.exists(f"{path}.data"):
        os.remove(f"{path}.data")
    return path
