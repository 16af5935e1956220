"""conv2d, binary input x binary weights, on the XNOR-popcount array (tap loops in hardware).

Columns stay images: one array tile is one conv output position x ``ROWS`` output channels,
its reduction walks the ``K*K`` taps of the window and the ``W = ceil(C_in/32)`` words of each
tap's pixel, straight out of the HWC input map (no host-side im2col; the address generation is
:class:`bittern.rtl.conv_fetch.ConvFetch`). Loop order, outermost first: pooled output position
``(py, px)`` -> channel tile ``t`` -> window offset ``(dy, dx)`` of the pool -> tap ``(ky, kx)``
-> word ``k``. So a pool window's ``POOL*POOL`` reductions of one channel tile come out of the
array back to back and max-pool needs one running value per PE; conv positions cut off by the
pool's floor are never computed.

Weight layout (what the fetch reads): output channel ``m = t*ROWS + r`` lives in row bank ``r``;
its tap ``(ky, kx)`` word ``k`` is bank word ``W_BASE + t*K*K*W + (ky*K + kx)*W + k`` (pad bits
0), so one reduction is ``K*K*W`` consecutive words. Thresholds as for dense (one entry per
channel). Binary output pixel ``(y, x)`` holds ``ceil(C_out/32)`` words from
``A_OUT + (y*OUT_W + x)*ceil(C_out/32)`` (HWC, the channel vector padded per pixel), which the
next conv reads directly.
"""

import numpy as np
import torch

from bittern.model.packing import pack_binary
from bittern.model.spec import Enc, Kind, WEnc

from .. import regmap as rm
from .base import HwOp
from .dense_xnor import threshold_writes

__all__ = ["ConvXnor", "KERNELS", "STRIDES", "POOLS", "MAX_MAP", "pack_map"]

KERNELS = range(1, 6)       # D_CONV_GEOM.KERNEL
STRIDES = range(1, 3)       # D_CONV_GEOM.STRIDE
POOLS = range(1, 5)         # D_CONV_GEOM.POOL
MAX_MAP = 255               # D_CONV_IN.IN_H / IN_W, D_CONV_OUT.OUT_H / OUT_W are 8 bits


class ConvXnor(HwOp):
    name = "CONV_XNOR"
    summary = "conv2d, binary input x binary weights (XNOR-popcount PEs), kernel 1..5, stride " \
              "1..2, zero padding, max-pool 1..4 before the threshold; binary HWC output via one " \
              "threshold per channel, or int32 scores (last layer)"
    kind, in_enc, w_enc = int(Kind.CONV), int(Enc.BINARY), int(WEnc.BINARY)
    out_encs = (int(Enc.BINARY), int(Enc.SCORES))
    footprint_formulas = {
        "w": "CEIL(out_c, rows) * kernel * kernel * CEIL(in_c, 32)",
        "t": "CEIL(out_c, rows) * n_thr",
        "a_in": "in_h * in_w * CEIL(in_c, 32)",
        "a_out": "out_h * out_w * CEIL(out_c, 32) * (1 - (out_enc == 0))",
        "s": "out_h * out_w * CEIL(out_c, rows) * cols * (out_enc == 0)",
    }
    feature = "CONV"
    build_option = "conv=True (bittern build --conv)"
    cycles_formula = "out_h * out_w * pool * pool * CEIL(out_c, rows) * kernel * kernel * CEIL(in_c, 32)"
    # the descriptor's field ranges (the model loader has checked pad < kernel and a non-empty
    # output map)
    c_checks = HwOp.c_checks + (
        ("(kernel == 0) + (stride == 0) + (pool == 0)", 0), ("kernel", KERNELS[-1]),
        ("stride", STRIDES[-1]), ("pool", POOLS[-1]), ("in_h", MAX_MAP), ("in_w", MAX_MAP),
        ("out_h", MAX_MAP), ("out_w", MAX_MAP))

    def why_not(self, layer, *, last):
        if layer.kind != self.kind:
            return f"{self.name} runs conv2d layers, not {Kind(layer.kind).name}"
        reason = self.binary_why_not(layer, last=last, on="the accelerator's conv", what="conv")
        if reason is not None:
            return reason
        k, s, p, pool = layer.kernel, layer.stride, layer.pad, layer.pool
        if k not in KERNELS:
            return f"kernel {k} is not 1..5; use a kernel of at most 5"
        if s not in STRIDES:
            return f"stride {s} is not 1 or 2"
        if not 0 <= p < k:
            return f"pad {p} is not below the kernel {k}; use a pad of 0..{k - 1}"
        if pool not in POOLS:
            return f"pool {pool} is not 1..4"
        if layer.in_h > MAX_MAP or layer.in_w > MAX_MAP:
            return f"the input map {layer.in_h}x{layer.in_w} exceeds {MAX_MAP}x{MAX_MAP}"
        if k > min(layer.in_h, layer.in_w) + 2 * p:
            return (f"kernel {k} is larger than the padded input "
                    f"{layer.in_h + 2 * p}x{layer.in_w + 2 * p}")
        if layer.out_h < 1 or layer.out_w < 1:
            return (f"pool {pool} is larger than the conv output map "
                    f"{layer.conv_h}x{layer.conv_w}")
        for what, n in (("input channels", layer.in_c), ("output channels", layer.out_c)):
            if n > self.max_features:
                return f"{n} {what} exceed the descriptor's {self.max_features}"
        return None

    def descriptor(self, layer, place):
        return {**self.base_descriptor(layer, place),
                "D_CONV_IN": rm.pack("D_CONV_IN", IN_H=layer.in_h, IN_W=layer.in_w),
                "D_CONV_GEOM": rm.pack("D_CONV_GEOM", KERNEL=layer.kernel, STRIDE=layer.stride,
                                       PAD=layer.pad, POOL=layer.pool),
                "D_CONV_OUT": rm.pack("D_CONV_OUT", OUT_H=layer.out_h, OUT_W=layer.out_w,
                                      FLAT=int(getattr(place, "flat", False)))}

    @staticmethod
    def weight_words(layer, *, rows):
        """(row bank, bank word offset from W_BASE, word) of every weight word, in the layout
        the fetch reads (see the module docstring)."""
        k = layer.kernel
        w = pack_binary(layer.weights.reshape(layer.out_c, k * k, layer.in_c)).numpy()  # [M, K*K, W]
        words = w.shape[2]
        out = []
        for m in range(layer.out_c):
            t, r = divmod(m, rows)
            for tap in range(k * k):
                for j in range(words):
                    out.append((r, (t * k * k + tap) * words + j, int(w[m, tap, j])))
        return out

    def writes(self, layer, place, *, rows, cols):
        wb = rm.window("WBUF").base
        ops = [(wb + 4 * ((place.w_base + off) * rows + r), word)
               for r, off, word in self.weight_words(layer, rows=rows)]
        return ops + threshold_writes(layer, place, rows=rows)


def pack_map(values):
    """-1/+1 feature map values [B, h, w, c] -> words [B, h*w*ceil(c/32)] in the HWC layout the
    conv fetch reads (the channel vector of each pixel padded to whole words)."""
    words = pack_binary(torch.as_tensor(np.asarray(values))).numpy()                      # [B, h, w, W]
    return words.reshape(words.shape[0], -1)
