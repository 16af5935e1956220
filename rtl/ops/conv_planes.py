"""conv2d on u8 pixels (a camera image, no host thresholding) as binary passes.

The conv counterpart of :mod:`bittern.rtl.ops.dense_planes`: the pixels are 8 {-1,+1} bit
planes (``2x = sum_i 2^i s_i + 255``), the weights binary, ternary or int-k planes, and every
tap of the window runs the ``Pw x Pa`` passes of :class:`~bittern.rtl.seq_passes.PassLoop`
(weight plane ``p`` outer, pixel plane ``q`` inner, each over the tap's ``W = ceil(C_in/32)``
words), recombined in the PEs by the pass shifts; the per-channel constant is folded into the
thresholds as for dense (``fold`` with ``n = K*K*C_in``).

Padding needs no correction: golden pads with pixel 0 (``docs/numerics.md``), and a 0 pixel's
8 planes are all -1, i.e. words of 0 bits. So a padding tap feeds 0 as the *activation* only
(the weights stay), and contributes ``dot(P_p, -1) * 2^shift`` to the passes, which the folded
constant ``Cx * rowsum`` (over every tap) cancels exactly, as for an in-bounds zero pixel; the
array's ``n`` stays ``K*K*C_in`` and the conv pool's pad correction is 0
(``tests/test_rtl_planes.py`` checks this against golden on padded maps).

Layouts (what :class:`~bittern.rtl.conv_fetch.ConvFetch` reads in its planes mode): pixel
``(y, x)`` holds ``8*W`` words from ``A_IN + (y*IN_W + x)*8*W``, plane-major (plane ``q`` at
``q*W``: a pixel is the dense op's input vector); weight word ``k`` of plane ``p`` of tap
``(ky, kx)`` of output channel ``m = t*ROWS + r`` is row bank ``r``'s word
``W_BASE + ((t*K*K + ky*K + kx)*Pw + p)*W + k``. Outputs binary HWC, as ``CONV_XNOR``'s.
"""

import dataclasses

import numpy as np
import torch

from bittern.model.packing import pack_binary
from bittern.model.spec import U8, Enc, Kind, WEnc

from .. import regmap as rm
from .base import HwOp
from .conv_xnor import ConvXnor
from .dense_planes import DensePlanes, act_planes, fold, folded_thresholds, input_words, weight_planes

__all__ = ["ConvPlanes", "CONV_PLANE_OPS", "reference"]


class ConvPlanes(DensePlanes):
    """A u8-input conv2d with binary, ternary or int-k weights; see the module docstring."""

    kind = int(Kind.CONV)
    out_encs = (int(Enc.BINARY),)
    feature = ("CONV", "PLANES")
    build_option = "conv=True, planes=True (bittern build --conv --planes)"

    def __init__(self, w_enc):
        super().__init__(U8, w_enc)
        self.name = f"CONV_PLANES_U8_{self._W_NAMES[self.w_enc]}"
        win = {int(WEnc.BINARY): "binary", int(WEnc.TERNARY): "ternary (2 planes)",
               int(WEnc.INT): "int-k (k+1 planes)"}[self.w_enc]
        self.summary = (f"conv2d, u8 pixels (8 bit planes) x {win} weights as binary passes per "
                        "tap (conv + planes build), geometry as CONV_XNOR, padding as zero pixels; "
                        "binary HWC output")
        pw, pa = self._W_PLANES[self.w_enc], self._A_PLANES[self.in_enc]
        words = "CEIL(in_c, 32)"
        self.footprint_formulas = {
            "w": f"CEIL(out_c, rows) * kernel * kernel * {pw} * {words}",
            "t": "CEIL(out_c, rows)",
            "a_in": f"in_h * in_w * {pa} * {words}",
            "a_out": "out_h * out_w * CEIL(out_c, 32)",
        }
        self.cycles_formula = (f"out_h * out_w * pool * pool * CEIL(out_c, rows) * kernel * kernel"
                               f" * {pw} * {pa} * {words}")
        self.param_formulas = self._param_formulas("out_c", pw, pa)
        bits = {int(WEnc.INT): (("w_bits", 7),)}.get(self.w_enc, ())
        self.c_checks = ConvXnor.c_checks + bits + (
            (f"in_c * kernel * kernel * {self.param_formulas['s_total']}", 2 ** 30 - 1),)

    def why_not(self, layer, *, last):
        if layer.kind != self.kind:
            return f"{self.name} runs conv2d layers, not {Kind(layer.kind).name}"
        if int(layer.in_enc) != U8:
            return f"{self.name} runs u8 pixels (in_enc={int(layer.in_enc)})"
        if int(layer.out_enc) not in self.out_encs:
            return (f"a u8 conv on the accelerator writes binary outputs, not "
                    f"{Enc(layer.out_enc).name}")
        # The conv geometry's limits are CONV_XNOR's (one conv fetch runs both).
        geometry = ConvXnor().why_not(_as_binary(layer), last=last)
        if geometry is not None:
            return geometry
        return self.planes_why_not(layer, last=last)

    def input_words(self, layer, x):
        """First layer: pixels [B, H*W*C] (HWC) -> words [B, H*W*8*W], each pixel's 8 planes
        plane-major (see the module docstring)."""
        b = len(x)
        x = np.asarray(x).reshape(b * layer.in_h * layer.in_w, layer.in_c)
        return input_words(layer, x).reshape(b, -1)

    def descriptor(self, layer, place):
        return {**super().descriptor(layer, place),
                **{k: v for k, v in ConvXnor().descriptor(layer, place).items()
                   if k.startswith("D_CONV")}}

    def writes(self, layer, place, *, rows, cols):
        wb, tb = rm.window("WBUF").base, rm.window("TBUF").base
        k2 = layer.kernel * layer.kernel
        planes = weight_planes(layer).reshape(-1, layer.out_c * k2, layer.in_c)   # [Pw, M*K*K, C]
        packed = np.stack([pack_binary(torch.from_numpy(p)).numpy() for p in planes])
        npw, words = packed.shape[0], packed.shape[2]
        packed = packed.reshape(npw, layer.out_c, k2, words)
        tiles = -(-layer.out_c // rows)
        ops = []
        for m in range(tiles * rows):           # channels of the last tile beyond out_c: 0
            t, r = divmod(m, rows)
            for tap in range(k2):
                for p in range(npw):
                    for k in range(words):
                        addr = place.w_base + ((t * k2 + tap) * npw + p) * words + k
                        word = int(packed[p, m, tap, k]) if m < layer.out_c else 0
                        ops.append((wb + 4 * (addr * rows + r), word))
        t = folded_thresholds(layer)
        for m in range(layer.out_c):
            e = place.t_base * rows + m
            ops += [(tb + 8 * e, int(t[m, 0]) & 0xFFFFFFFF),
                    (tb + 8 * e + 4, int(layer.directions[m] < 0))]
        return ops


def _as_binary(layer):
    """The layer as a binary x binary conv of the same geometry (for CONV_XNOR's checks)."""
    return dataclasses.replace(layer, in_enc=Enc.BINARY, w_enc=WEnc.BINARY, w_bits=1,
                               weights=np.ones_like(layer.weights))


def reference(layer, x):
    """What the gateware computes for a u8 conv on pixels [B, H, W, C], tap by tap on packed
    words: a padding tap reads a zero pixel's planes (all -1, words of 0), no border term.
    Returns the pooled accumulators [B, OH, OW, M] (``(array + off) >> shift`` per channel).

    Equal to golden's (``tests/test_rtl_planes.py``); the op's reference, not a second
    contract."""
    from bittern.model.packing import popcount
    sw, sa, shift, off = fold(layer)
    x = torch.as_tensor(np.asarray(x)).to(torch.int64)
    b, h, w, c = x.shape
    k, s, pd = layer.kernel, layer.stride, layer.pad
    xp = torch.nn.functional.pad(x, (0, 0, pd, pd, pd, pd))      # zero pixels
    qa = act_planes(xp.reshape(-1, c), layer.in_enc, layer.in_bits)            # [Pa, B*Hp*Wp, C]
    qa = torch.stack([pack_binary(q) for q in qa]).reshape(len(sa), b, h + 2 * pd, w + 2 * pd, -1)
    wp = weight_planes(layer).reshape(len(sw), layer.out_c, k, k, c)
    pw = [[[pack_binary(torch.from_numpy(wp[p, :, ky, kx])) for kx in range(k)]
           for ky in range(k)] for p in range(len(sw))]                         # [M, W]
    oh, ow = layer.conv_h, layer.conv_w
    mism = torch.zeros(b, oh, ow, layer.out_c, dtype=torch.int64)
    for ky in range(k):
        for kx in range(k):
            rows_, cols_ = torch.arange(oh) * s + ky, torch.arange(ow) * s + kx
            for q in range(len(sa)):
                a = qa[q][:, rows_][:, :, cols_]                               # [B, OH, OW, W]
                for p in range(len(sw)):
                    xor = a[..., None, :] ^ pw[p][ky][kx]
                    mism += popcount(xor).sum(-1).to(torch.int64) << (sw[p] + sa[q])
    out = layer.taps - 2 * mism
    pool = layer.pool
    out = out[:, :layer.out_h * pool, :layer.out_w * pool].reshape(
        b, layer.out_h, pool, layer.out_w, pool, -1).amax(dim=(2, 4))
    return (out + torch.from_numpy(off)) >> shift


CONV_PLANE_OPS = tuple(ConvPlanes(w) for w in (WEnc.BINARY, WEnc.TERNARY, WEnc.INT))
