"""3PXNet sparse dense layer, binary input x pruned-packed binary weights, on the sparse array.

Every output channel keeps ``P`` packs of 32 weights (``docs/numerics.md``); each kept pack
carries the index of the input word it multiplies. The accelerator runs such a layer on its
:class:`~bittern.rtl.sparse_array.SparseSystolicArray` (builds with ``sparse_words > 0``): the
layer's input vector is first copied from the activation banks into the array's per-column word
stores (``ceil(N/32)`` cycles), then output tile ``t`` takes its ``P`` kept weight words, each with
its index, one per cycle and row bank: pruned packs cost no cycles.

Layout (what ``rtl/seq_sparse.py`` reads): kept word ``q`` of channel ``m = t*ROWS + r`` is
weight bank ``r``, word ``W_BASE + t*P + q``; its pack index is index bank ``r``, word
``I_BASE + t*P + q`` (``IBUF``). The missing channels of the last tile get weight 0 and index 0,
so the hardware's index check never sees a stale value. Thresholds and scores as
:class:`~bittern.rtl.ops.dense_xnor.DenseXnor`.
"""

import numpy as np

from bittern.model.packing import pack_binary
from bittern.model.spec import Enc, WEnc

from .. import regmap as rm
from .dense_xnor import DenseXnor

__all__ = ["SparseXnor"]


class SparseXnor(DenseXnor):
    name = "SPARSE_XNOR"
    summary = "dense 3PXNet sparse layer, binary input x P kept packs of binary weights (sparse " \
              "array with per-column word stores; builds with `sparse_words`); binary output via " \
              "one threshold per channel, or int32 scores (last layer)"
    w_enc = int(WEnc.SPARSE)
    footprint_formulas = {
        "w": "CEIL(out_c, rows) * packs",
        "t": "CEIL(out_c, rows) * n_thr",
        "a_in": "CEIL(in_c, 32)",
        "a_out": "CEIL(out_c, 32) * (1 - (out_enc == 0))",
        "s": "CEIL(out_c, rows) * cols * (out_enc == 0)",
        "i": "CEIL(out_c, rows) * packs",
    }
    cycles_formula = "CEIL(out_c, rows) * packs"
    feature = "SPARSE"
    build_option = "sparse_words=W (the longest sparse input, in words) and i_depth"
    max_packs = (1 << rm.field_of("D_SPARSE", "PACKS").width) - 1

    def why_not(self, layer, *, last):
        if layer.w_enc != self.w_enc:
            return f"{self.name} runs sparse (3PXNet) weights only, not {WEnc(layer.w_enc).name}"
        reason = super().why_not(layer, last=last)
        if reason is not None:
            return reason
        if layer.in_c % 32:
            return f"sparse layers need a multiple of 32 inputs, not {layer.in_c}"
        if not 1 <= layer.packs <= min(layer.in_c // 32, self.max_packs):
            return (f"a sparse layer keeps 1..{min(layer.in_c // 32, self.max_packs)} packs per "
                    f"output here, not {layer.packs}")
        return None

    def why_not_on(self, layer, geom):
        # (A build without the sparse datapath is refused before: FEATURES.SPARSE, `feature`.)
        need = layer.in_c // 32
        if geom.sparse_words < need:
            return (f"this build has a {geom.sparse_words}-word column store; a sparse layer with "
                    f"{layer.in_c} inputs needs one with sparse_words >= {need}")
        return None

    def build_options(self, layer):
        return {"sparse_words": layer.in_c // 32}

    def descriptor(self, layer, place):
        d = super().descriptor(layer, place)
        d["D_SPARSE"] = rm.pack("D_SPARSE", PACKS=layer.packs)
        d["D_SPARSE2"] = rm.pack("D_SPARSE2", I_BASE=place.i_base)
        return d

    def weight_writes(self, layer, place, *, rows):
        wb, ib = rm.window("WBUF").base, rm.window("IBUF").base
        words = pack_binary(np.where(layer.weights >= 0, 1, -1)).numpy()   # [out_c, in_c/32]
        idx = layer.pack_index.astype(np.int64)
        kept = np.take_along_axis(words, idx, axis=1)                       # [out_c, P]
        p = layer.packs
        ops = []
        for m in range(-(-layer.out_c // rows) * rows):
            t, r = divmod(m, rows)
            for q in range(p):
                j = (t * p + q) * rows + r
                have = m < layer.out_c
                ops.append((wb + 4 * (place.w_base * rows + j), int(kept[m, q]) if have else 0))
                ops.append((ib + 4 * (place.i_base * rows + j), int(idx[m, q]) if have else 0))
        return ops
