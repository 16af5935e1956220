"""Dense layer, binary input x binary weights, on the XNOR-popcount array.

Output tile ``t`` holds channels ``t*ROWS .. t*ROWS+ROWS-1``, one per row bank; the reduction
walks the ``W = ceil(N/32)`` input words. Binary outputs are thresholded (one entry per channel),
the last layer writes int32 scores.
"""

from bittern.model.packing import pack_binary
from bittern.model.spec import Enc, Kind, WEnc

from .. import regmap as rm
from .base import HwOp

__all__ = ["DenseXnor", "threshold_writes"]


def threshold_writes(layer, place, *, rows):
    """(byte address, word) writes of a binary-output layer's thresholds: channel m is entry
    T_BASE*ROWS + m, two words (threshold, direction bit)."""
    if layer.out_enc == Enc.SCORES:
        return []
    tb, ops = rm.window("TBUF").base, []
    for m in range(layer.out_c):
        e = place.t_base * rows + m
        ops.append((tb + 8 * e, int(layer.thresholds[m, 0]) & 0xFFFFFFFF))
        ops.append((tb + 8 * e + 4, int(layer.directions[m] < 0)))
    return ops


class DenseXnor(HwOp):
    name = "DENSE_XNOR"
    summary = "dense, binary input x binary weights (XNOR-popcount PEs); binary output via one " \
              "threshold per channel, or int32 scores (last layer)"
    kind, in_enc, w_enc = int(Kind.DENSE), int(Enc.BINARY), int(WEnc.BINARY)
    out_encs = (int(Enc.BINARY), int(Enc.SCORES))
    footprint_formulas = {
        "w": "CEIL(out_c, rows) * CEIL(in_c, 32)",
        "t": "CEIL(out_c, rows) * n_thr",
        "a_in": "CEIL(in_c, 32)",
        "a_out": "CEIL(out_c, 32) * (1 - (out_enc == 0))",
        "s": "CEIL(out_c, rows) * cols * (out_enc == 0)",
    }
    cycles_formula = "CEIL(out_c, rows) * CEIL(in_c, 32)"

    def why_not(self, layer, *, last):
        if layer.kind != self.kind:
            return f"only dense layers run on the accelerator, not {Kind(layer.kind).name}"
        reason = self.binary_why_not(layer, last=last)
        if reason is not None:
            return reason
        for what, n in (("inputs", layer.in_c), ("outputs", layer.out_c)):
            if n > self.max_features:
                return f"{n} {what} exceed the descriptor's {self.max_features}"
        return None

    def descriptor(self, layer, place):
        return self.base_descriptor(layer, place)

    def writes(self, layer, place, *, rows, cols):
        return self.weight_writes(layer, place, rows=rows) + threshold_writes(layer, place, rows=rows)

    def weight_writes(self, layer, place, *, rows):
        wb = rm.window("WBUF").base
        w = pack_binary(layer.weights).numpy()                  # [out_c, words]
        words = w.shape[1]
        ops = []
        for m in range(layer.out_c):
            t, r = divmod(m, rows)
            for k in range(words):
                ops.append((wb + 4 * ((place.w_base + t * words + k) * rows + r), int(w[m, k])))
        return ops

