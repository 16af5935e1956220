"""The sparse (3PXNet) datapath: a fetch mode and the sparse array that runs a sparse layer.

Why a second array next to the dense one, not the dense array with per-row indices or a gather
in the fetch (measured and argued in ``docs/accelerator.md``, "Sparse layers"): the dense array
streams one activation word down each column, shared by every row, so rows can only skip a pack
all of them pruned; in a 3PXNet layer every output channel keeps *its own* packs, and a tile of
``ROWS`` channels then needs the union of their packs (up to ``ROWS x P`` words, often all
``W``). The :class:`~bittern.rtl.sparse_array.SparseSystolicArray` keeps the layer's input
vector in a small word store per column that each PE reads with the index travelling with its
weight word, so a tile takes exactly ``P`` cycles whatever packs its rows keep.

A sparse layer runs in two phases, both from the fields the decoder checked:

1. *load*: activation words ``A_IN + k``, ``k < W = N/32``, of every column bank go into the
   column stores (``W`` cycles; one store bank: a layer's input is the previous layer's
   output, so nothing can be loaded ahead);
2. *compute*: output tile ``t``, kept pack ``q < P``: weight word ``W_BASE + t*P + q`` and pack
   index ``I_BASE + t*P + q`` of every row bank, one pair per cycle. Tiles start at least
   ``COLS`` cycles apart (the array's one output slot drains a tile a column per cycle).

Every index is checked against ``W`` as it leaves the index buffer: a bad one raises
``index_err`` (the sequencer stops the run with ``BAD_PACK_INDEX`` at this layer).
"""

from amaranth import *
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .seq_decode import layer_fields
from .sparse_array import LANES, SparseSystolicArray

__all__ = ["SparseEngine", "INDEX_BITS"]

INDEX_BITS = 16         # bits of a pack index in the index buffer (regmap IBUF)


class SparseEngine(wiring.Component):
    """``load`` with ``fields.sparse`` runs a sparse layer; ``busy`` falls after its last read.

    Parameters
    ----------
    rows, cols : int
        Array geometry.
    words : int
        Words per column store (the longest sparse layer input, ``N/32``).
    acc_width : int
        Signed width of ``o_acc`` (the write-back's; the sparse array's own is narrower).
    w_depth, a_depth, i_depth : int
        Words per weight row bank / activation column bank / index row bank.
    stage_levels : int
        Adder levels between PE pipeline registers.
    """

    def __init__(self, *, rows, cols, words, acc_width, w_depth, a_depth, i_depth, stage_levels=2):
        self._rows, self._cols, self._words = rows, cols, words
        self._acc_width, self._stage_levels = acc_width, stage_levels
        super().__init__({
            "load": In(1), "fields": In(layer_fields(rows)), "stop": In(1),
            "busy": Out(1), "active": Out(1), "index_err": Out(1),
            "w_addr": Out(range(w_depth)), "w_en": Out(1),
            "a_addr": Out(range(a_depth)), "a_en": Out(1),
            "i_addr": Out(range(i_depth)), "i_en": Out(1),
            # the buffers' read data, 2 cycles after the addresses
            "w_data": In(data.ArrayLayout(32, rows)), "a_data": In(data.ArrayLayout(32, cols)),
            "i_data": In(data.ArrayLayout(INDEX_BITS, rows)),
            # finished tiles, one column per cycle, for the write-back
            "o_valid": Out(1), "o_first": Out(1), "o_last": Out(1),
            "o_acc": Out(data.ArrayLayout(signed(acc_width), rows)),
        })

    def elaborate(self, platform):
        m = Module()
        rows, cols = self._rows, self._cols
        m.submodules.array = arr = SparseSystolicArray(
            rows=rows, cols=cols, words=self._words, banks=1, stage_levels=self._stage_levels)
        f = self.fields
        # What the layer needs, copied at load (the decoder moves on).
        r_words_m1, r_tiles_m1 = Signal(12), Signal(12)
        r_packs_m1, r_n = Signal(12), Signal(len(arr.n))
        loading, computing = Signal(), Signal()
        m.d.comb += self.busy.eq(loading | computing)
        k = Signal(12)                 # load: store word; compute: kept pack q
        t = Signal(12)
        aptr, wptr, iptr = Signal(16), Signal(16), Signal(16)
        gap = Signal(range(cols + 1))  # cycles since the last tile started (saturating)
        gap_full = Signal()

        ld_v, c_v, c_first, c_last = Signal(), Signal(), Signal(), Signal()
        m.d.comb += [self.a_addr.eq(aptr), self.a_en.eq(ld_v),
                     self.w_addr.eq(wptr), self.w_en.eq(c_v),
                     self.i_addr.eq(iptr), self.i_en.eq(c_v)]
        # Marks and the store address travel with the buffers' 2-cycle read latency.
        marks = Cat(ld_v, k, c_v, c_first, c_last)
        marks1, marks2 = Signal.like(marks), Signal.like(marks)
        m.d.sync += [marks1.eq(marks), marks2.eq(marks1)]
        d_ld, d_k, d_v, d_first, d_last = (marks2[0], marks2[1:13], marks2[13], marks2[14],
                                           marks2[15])
        m.d.comb += [arr.ld_valid.eq(d_ld), arr.ld_bank.eq(0), arr.ld_addr.eq(d_k),
                     arr.in_valid.eq(d_v), arr.in_first.eq(d_first), arr.in_last.eq(d_last),
                     arr.in_bank.eq(0), arr.n.eq(r_n), self.active.eq(d_v)]
        for c in range(cols):
            m.d.comb += arr.ld_a[c].eq(self.a_data[c])
        bad = Signal(rows)
        for r in range(rows):
            m.d.comb += [arr.w[r].eq(self.w_data[r]), arr.idx[r].eq(self.i_data[r]),
                         bad[r].eq(self.i_data[r] > r_words_m1)]
        m.d.sync += self.index_err.eq(d_v & bad.any())

        # Load phase: one store word of every column per cycle.
        with m.If(loading):
            m.d.comb += ld_v.eq(1)
            m.d.sync += [k.eq(k + 1), aptr.eq(aptr + 1)]
            with m.If(k == r_words_m1):
                m.d.sync += [loading.eq(0), computing.eq(1), k.eq(0)]
        # Compute phase: P kept packs per tile, tiles at least `cols` cycles apart.
        k_zero = k == 0
        can = computing & (~k_zero | gap_full)
        m.d.comb += [c_v.eq(can), c_first.eq(k_zero), c_last.eq(k == r_packs_m1)]
        with m.If(can & k_zero):
            m.d.sync += [gap.eq(1), gap_full.eq(cols == 1)]
        with m.Elif(~gap_full):
            m.d.sync += [gap.eq(gap + 1), gap_full.eq(gap + 1 == cols)]
        with m.If(can):
            m.d.sync += [wptr.eq(wptr + 1), iptr.eq(iptr + 1), k.eq(k + 1)]
            with m.If(k == r_packs_m1):
                m.d.sync += [k.eq(0), t.eq(t + 1)]
                with m.If(t == r_tiles_m1):
                    m.d.sync += computing.eq(0)
        with m.If(self.load & f.sparse):
            m.d.sync += [r_words_m1.eq(f.words_m1), r_tiles_m1.eq(f.tiles_m1),
                         r_packs_m1.eq(f.packs - 1), r_n.eq(f.packs << 5),
                         k.eq(0), t.eq(0), aptr.eq(f.a_in), wptr.eq(f.w_base), iptr.eq(f.i_base),
                         loading.eq(1), computing.eq(0), gap.eq(cols), gap_full.eq(1)]
        with m.If(self.stop):
            m.d.sync += [loading.eq(0), computing.eq(0)]

        # Results: slot 0 of the array, one column per cycle, sign-extended for the write-back.
        o_valid = arr.out_valid[0]
        m.d.comb += [self.o_valid.eq(o_valid), self.o_first.eq(o_valid & (arr.out_col[0] == 0)),
                     self.o_last.eq(o_valid & (arr.out_col[0] == cols - 1))]
        for r in range(rows):
            m.d.comb += self.o_acc[r].eq(arr.out_acc[r])
        return m
