"""Quantization-aware PyTorch network built from a small JSON-able configuration.

A network is an input description plus a list of blocks. A hidden block is
``quantized weights -> dense/conv -> (max-pool) -> batch-norm -> activation quantizer``; the last
block has no batch-norm and no quantizer: its integer accumulators are the class scores (times a
learned positive temperature for the loss only). See ``bittern.model.zoo`` for the reference
configurations and ``docs/numerics.md`` for the numbers these produce.

Block keys: ``kind`` (dense|conv), ``out``, ``weights`` (binary|ternary|sparse|int<k>|float),
``act`` (binary|ternary|uint<k>|relu; ignored on the last block). ``float``/``relu`` give the
full-precision baseline: it trains, but cannot be exported, and for conv ``kernel``, ``stride``, ``pad``,
``pool``; for sparse ``packs`` (kept 32-weight packs per output neuron).
Input keys: ``shape`` [H, W, C], ``threshold`` (0 = u8 input, else binarize at it), ``crop`` [lo, hi].
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import quant

__all__ = ["ConfigError", "parse_encoding", "QBlock", "BitNet"]


class ConfigError(ValueError):
    """A network configuration bittern cannot build; the message names the block and key."""


def parse_encoding(text, *, what, allowed):
    """'binary' -> ('binary', 1); 'uint4' -> ('uint', 4); 'int3' -> ('int', 3)."""
    for base in allowed:
        if text == base and base in ("binary", "ternary", "sparse", "scores", "float", "relu"):
            return base, {"binary": 1, "sparse": 1, "ternary": 2, "scores": 0, "float": 32, "relu": 32}[base]
        if text.startswith(base) and text[len(base):].isdigit() and base in ("uint", "int"):
            bits = int(text[len(base):])
            lo = 1 if base == "uint" else 2
            if not lo <= bits <= 8:
                raise ConfigError(f"{what}: {text!r} needs {lo}..8 bits")
            return base, bits
    raise ConfigError(f"{what}: unsupported {text!r}; choose one of "
                      f"{', '.join(a + ('<k>' if a in ('uint', 'int') else '') for a in allowed)}")


class QBlock(nn.Module):
    def __init__(self, cfg, *, in_shape, in_enc, last, index):
        super().__init__()
        at = f"block {index}"
        self.cfg = dict(cfg)
        self.kind = cfg.get("kind", "dense")
        if self.kind not in ("dense", "conv"):
            raise ConfigError(f"{at}: kind must be 'dense' or 'conv', not {self.kind!r}")
        self.last = last
        self.in_enc = in_enc
        self.w_enc, self.w_bits = parse_encoding(cfg.get("weights", "binary"), what=f"{at} weights",
                                                 allowed=("binary", "ternary", "sparse", "int", "float"))
        if last:
            self.act, self.act_bits = "scores", 0
        else:
            self.act, self.act_bits = parse_encoding(cfg.get("act", "binary"), what=f"{at} act",
                                                     allowed=("binary", "ternary", "uint", "relu"))
        out = cfg.get("out")
        if not isinstance(out, int) or out < 1:
            raise ConfigError(f"{at}: 'out' must be a positive integer, not {out!r}")
        h, w, c = in_shape
        if self.kind == "dense":
            self.in_features = h * w * c
            self.weight = nn.Parameter(torch.empty(out, self.in_features))
            self.kernel = self.stride = self.pool = 1
            self.pad = 0
            self.out_shape = (1, 1, out)
        else:
            if (h, w) == (1, 1) and in_shape != (1, 1, c):
                raise ConfigError(f"{at}: conv needs an image input")
            self.kernel, self.stride = int(cfg.get("kernel", 3)), int(cfg.get("stride", 1))
            self.pad, self.pool = int(cfg.get("pad", 0)), int(cfg.get("pool", 1))
            ch = (h + 2 * self.pad - self.kernel) // self.stride + 1
            cw = (w + 2 * self.pad - self.kernel) // self.stride + 1
            if ch < 1 or cw < 1 or ch // self.pool < 1 or cw // self.pool < 1:
                raise ConfigError(f"{at}: kernel/stride/pool leave no output for {h}x{w} input")
            self.in_features = c
            self.weight = nn.Parameter(torch.empty(out, c, self.kernel, self.kernel))
            self.out_shape = (ch // self.pool, cw // self.pool, out)
        self.in_shape = tuple(in_shape)
        fan_in = self.weight[0].numel()
        if self.w_enc == "float":
            nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        else:
            nn.init.uniform_(self.weight, -1, 1)
        if self.w_enc == "sparse":
            if self.kind != "dense" or self.in_features % 32:
                raise ConfigError(f"{at}: sparse weights need a dense block with in_features % 32 "
                                  f"== 0, not {self.in_features}")
            packs = int(cfg.get("packs", 0))
            if not 1 <= packs <= self.in_features // 32:
                raise ConfigError(f"{at}: packs must be 1..{self.in_features // 32}, not {packs}")
            self.packs = packs
            # 1 = kept. Starts dense; bittern.model.sparsity prunes to `packs` per output.
            self.register_buffer("pack_mask", torch.ones(out, self.in_features // 32))
        if not last:
            bn = nn.BatchNorm1d if self.kind == "dense" else nn.BatchNorm2d
            self.bn = bn(out)
        self.fan_in = fan_in

    # Quantized weight values (-1/0/+1 or int codes), the exact integers the golden model uses.
    def qweight(self):
        if self.w_enc == "float":
            return self.weight
        return quant.weight_values(self.weight, self.w_enc, self.w_bits,
                                   getattr(self, "pack_mask", None))

    def accumulate(self, x):
        """Pre-batch-norm accumulators (after max-pool); exact integers in float."""
        wq = self.qweight().to(x.dtype)
        if self.kind == "dense":
            if x.dim() == 4:  # flatten NCHW in HWC order (docs/numerics.md section 2)
                x = x.permute(0, 2, 3, 1).flatten(1)
            return F.linear(x, wq)
        acc = F.conv2d(x, wq, stride=self.stride, padding=self.pad)
        return F.max_pool2d(acc, self.pool) if self.pool > 1 else acc

    def quantize(self, y):
        if self.act == "binary":
            return quant.binary(y)
        if self.act == "ternary":
            return quant.ternary_act(y)
        if self.act == "relu":
            return torch.relu(y)
        return quant.uint_act(y, self.act_bits)

    def forward(self, x):
        acc = self.accumulate(x)
        if self.last:
            return acc
        return self.quantize(self.bn(acc))

    def clip_latent(self):
        """Keep latent weights where the STE passes gradients."""
        if self.w_enc == "float":
            return
        with torch.no_grad():
            self.weight.clamp_(-1, 1)


class BitNet(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        inp = config.get("input", {})
        shape = tuple(inp.get("shape", (28, 28, 1)))
        if len(shape) != 3 or min(shape) < 1:
            raise ConfigError(f"input shape must be [H, W, C], not {shape}")
        self.in_shape = shape
        self.threshold = int(inp.get("threshold", 0))
        if not 0 <= self.threshold <= 255:
            raise ConfigError(f"input threshold must be 0..255, not {self.threshold}")
        self.crop = tuple(inp.get("crop", (0, 0)))
        blocks_cfg = config.get("blocks", [])
        if not blocks_cfg:
            raise ConfigError("a network needs at least one block")
        feats = math.prod(shape) - sum(self.crop)
        if any(self.crop) and (blocks_cfg[0].get("kind", "dense") != "dense" or feats < 1):
            raise ConfigError("input crop needs a dense first block and leaves at least one pixel")
        cur = (1, 1, feats) if any(self.crop) else shape
        enc = "binary" if self.threshold else "u8"
        blocks = []
        for i, b in enumerate(blocks_cfg):
            blk = QBlock(b, in_shape=cur, in_enc=enc, last=i == len(blocks_cfg) - 1, index=i)
            blocks.append(blk)
            cur, enc = blk.out_shape, blk.act
        self.blocks = nn.ModuleList(blocks)
        # Loss-only temperature for the integer scores; argmax-invariant, not exported.
        self.log_temperature = nn.Parameter(torch.tensor(-0.5 * math.log(blocks[-1].fan_in)))

    def prepare(self, images):
        """uint8 images [B, H, W, C] (or [B, features]) -> float input of block 0."""
        x = torch.as_tensor(images)
        b = x.shape[0]
        x = x.reshape(b, -1).to(self.log_temperature.dtype)
        if any(self.crop):
            x = x[:, self.crop[0]: x.shape[1] - self.crop[1]]
        else:
            h, w, c = self.in_shape
            x = x.reshape(b, h, w, c)
            if self.blocks[0].kind == "conv":
                x = x.permute(0, 3, 1, 2)
            else:
                x = x.reshape(b, -1)
        if self.threshold:
            x = torch.where(x >= self.threshold, 1.0, -1.0).to(x.dtype)
        return x

    def scores(self, images):
        """Integer class scores (as floats) and every block's pre-threshold accumulators."""
        x = self.prepare(images)
        accs = []
        for blk in self.blocks:
            acc = blk.accumulate(x)
            accs.append(acc)
            x = acc if blk.last else blk.quantize(blk.bn(acc))
        return x, accs

    def forward(self, images):
        return self.scores(images)[0] * self.log_temperature.exp()

    def clip_latent(self):
        for blk in self.blocks:
            blk.clip_latent()
