"""Bittern's quantized layers as a public API, for your own ``nn.Module``.

Build a network from these and plain ``torch.nn`` layers, train it as usual, then fold it::

    import torch.nn as nn
    import bittern
    from bittern.model import qnn

    net = nn.Sequential(
        qnn.InputBinarize(128),                       # uint8-valued pixels -> -1/+1
        qnn.QuantConv2d(1, 16, 3, padding=1, weights="binary"),
        nn.MaxPool2d(2), nn.BatchNorm2d(16), qnn.QuantAct("binary"),
        nn.Flatten(),                                 # CHW order, as torch flattens
        qnn.QuantLinear(16 * 14 * 14, 10, weights="ternary"),
        nn.BatchNorm1d(10))                           # optional: the per-class head
    model = bittern.export(net, torch.zeros(1, 1, 28, 28))

The forward values are the contract's integers (``docs/numerics.md``): weights -1/+1, -1/0/+1 or
signed k-bit codes with no scale, activations -1/+1, -1/0/+1 or codes 0..2^k-1, so every
accumulator is an exact integer; batch-norm absorbs every scale and folds into integer thresholds.
Supported order per layer: ``QuantLinear | QuantConv2d`` -> ``MaxPool2d`` (conv, optional) ->
``BatchNorm1d/2d`` (optional) -> ``QuantAct``; the last layer may end with a ``BatchNorm1d`` on
the class scores (the per-class head). Input: ``InputBinarize`` of pixels given as floats 0..255
(NCHW). ``Flatten`` (or ``nn.Identity``, ``nn.Dropout``) may sit between layers.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import quant
from .layers import ConfigError, parse_encoding
from .sparsity import prune_packs

__all__ = ["InputBinarize", "QuantLinear", "QuantConv2d", "QuantAct"]


class InputBinarize(nn.Module):
    """Pixel (a float 0..255) ``>= threshold`` -> +1, else -1 (the model's input threshold)."""

    def __init__(self, threshold):
        super().__init__()
        if not isinstance(threshold, int) or not 1 <= threshold <= 255:
            raise ConfigError(f"InputBinarize: threshold must be an integer 1..255, not {threshold!r}")
        self.threshold = threshold

    def forward(self, x):
        dtype = x.dtype if x.is_floating_point() else torch.get_default_dtype()
        return torch.where(x >= self.threshold, 1.0, -1.0).to(dtype)


class _QuantWeights(nn.Module):
    def _setup(self, weights, packs, shape):
        self.w_enc, self.w_bits = parse_encoding(weights, what=type(self).__name__,
                                                 allowed=("binary", "ternary", "sparse", "int"))
        self.weight = nn.Parameter(torch.empty(shape).uniform_(-1, 1))
        if self.w_enc == "sparse":
            if len(shape) != 2 or shape[1] % 32 or not packs or not 1 <= packs <= shape[1] // 32:
                raise ConfigError(f"{type(self).__name__}: sparse weights need in_features % 32 "
                                  f"== 0 and packs in 1..in_features/32, not {packs}")
            self.packs = packs
            self.register_buffer("pack_mask", torch.ones(shape[0], shape[1] // 32))

    def qweight(self):
        return quant.weight_values(self.weight, self.w_enc, self.w_bits,
                                   getattr(self, "pack_mask", None))

    def prune(self):
        """3PXNet pack pruning: keep the ``packs`` strongest 32-weight packs per output."""
        if self.w_enc != "sparse":
            raise ConfigError(f"{type(self).__name__}: only sparse weights are pruned")
        prune_packs(self)

    def clip_latent(self):
        with torch.no_grad():
            self.weight.clamp_(-1, 1)


class QuantLinear(_QuantWeights):
    """Dense layer with binary, ternary, ``int<k>`` or ``sparse`` (3PXNet, ``packs``) weights."""

    def __init__(self, in_features, out_features, *, weights="binary", packs=None):
        super().__init__()
        self.in_features, self.out_features = int(in_features), int(out_features)
        self._setup(weights, packs, (self.out_features, self.in_features))

    def forward(self, x):
        return F.linear(x, self.qweight().to(x.dtype))


class QuantConv2d(_QuantWeights):
    """Square-kernel convolution with binary, ternary or ``int<k>`` weights (zero padding)."""

    def __init__(self, in_channels, out_channels, kernel_size, *, stride=1, padding=0,
                 weights="binary"):
        super().__init__()
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size, self.stride, self.padding = int(kernel_size), int(stride), int(padding)
        if weights == "sparse":
            raise ConfigError("QuantConv2d: sparse weights are supported on QuantLinear only")
        self._setup(weights, None, (self.out_channels, self.in_channels, self.kernel_size,
                                    self.kernel_size))

    def forward(self, x):
        return F.conv2d(x, self.qweight().to(x.dtype), stride=self.stride, padding=self.padding)


class QuantAct(nn.Module):
    """Activation quantizer: ``binary`` (-1/+1), ``ternary`` (-1/0/+1) or ``uint<k>`` codes."""

    def __init__(self, kind="binary"):
        super().__init__()
        self.act, self.act_bits = parse_encoding(kind, what="QuantAct",
                                                 allowed=("binary", "ternary", "uint"))

    def forward(self, y):
        if self.act == "binary":
            return quant.binary(y)
        if self.act == "ternary":
            return quant.ternary_act(y)
        return quant.uint_act(y, self.act_bits)
