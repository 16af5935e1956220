"""Fetch: the tile and reduction-word loops, addressing the weight and activation banks.

For output tile ``t`` and reduction word ``k`` it reads weight word ``W_BASE + t*W + k`` of every
row bank and activation word ``A_IN + k`` of every column bank, one pair per cycle, and marks
the words for the array (``first``/``last`` of a tile, delayed by the buffers' 2-cycle read
latency). The array drains a tile over ``cols`` cycles while it computes the next one, so two
tiles start at least ``cols`` cycles apart.
"""

from amaranth import *
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .seq_decode import layer_fields
from .seq_passes import SHIFT_BITS, PassLoop

__all__ = ["Fetch"]


class Fetch(wiring.Component):
    """``load`` starts a layer with ``fields``; ``busy`` falls after its last word is read.

    Parameters
    ----------
    rows, cols : int
        Array geometry.
    w_depth, a_depth : int
        Words per weight row bank / activation column bank.
    planes : bool
        Run the binary passes of multi-bit layers (:class:`~bittern.rtl.seq_passes.PassLoop`):
        a tile is every pass over its reduction words, ``g_shift`` the pass's shift.
    """

    def __init__(self, *, rows, cols, w_depth, a_depth, planes=False):
        self._cols, self._rows, self._planes = cols, rows, bool(planes)
        extra = {"g_shift": Out(SHIFT_BITS)} if planes else {}
        super().__init__({**extra,
            "load": In(1), "fields": In(layer_fields(rows)), "stop": In(1),
            "busy": Out(1),
            "w_addr": Out(range(w_depth)), "w_en": Out(1),
            "a_addr": Out(range(a_depth)), "a_en": Out(1),
            # to the array, aligned with the buffers' read data
            "g_valid": Out(1), "g_first": Out(1), "g_last": Out(1), "g_n": Out(16),
        })

    def elaborate(self, platform):
        m = Module()
        cols = self._cols
        f = self.fields
        # What the layer needs of its descriptor, copied at load (the decoder moves on).
        r_n_in, r_a_in = Signal(16), Signal(16)
        r_words_m1, r_words_m2, r_tiles_m1 = (Signal(12, name=n) for n in
                                              ("r_words_m1", "r_words_m2", "r_tiles_m1"))
        m.d.comb += self.g_n.eq(r_n_in)
        k = Signal(12)
        t = Signal(12)
        wptr = Signal(16)
        aptr = Signal(16)           # A_IN + k, kept as a register: it drives block RAM addresses
        fetching = self.busy
        k_zero, k_last, gap_full = Signal(), Signal(), Signal()
        gap = Signal(range(cols + 1))   # cycles since the last tile started (saturating)

        f_valid, f_first, f_last_word = Signal(), Signal(), Signal()
        # A tile's first and last words: k's, or with planes the first and last pass's.
        tile_first, tile_last = k_zero, k_last
        f_shift, g_shift = Signal(4), []
        if self._planes:
            m.submodules.passes = pl = PassLoop(rows=self._rows)
            wrow = Signal(16)       # first word of the current weight plane of the tile
            m.d.comb += [pl.load.eq(self.load), pl.fields.eq(f),
                         f_shift.eq(Mux(f_valid, pl.shift, 0))]    # 0 outside this layer's words
            tile_first, tile_last = k_zero & pl.first, k_last & pl.last
            g_shift = [self.g_shift]
        # Marks travel with the buffers' 2-cycle read latency.
        f_marks = Cat(f_valid, f_first, f_last_word, f_shift if self._planes else [])
        f_marks1 = Signal.like(f_marks)
        m.d.sync += [f_marks1.eq(f_marks),
                     Cat(self.g_valid, self.g_first, self.g_last, *g_shift).eq(f_marks1)]
        m.d.comb += [self.w_addr.eq(wptr), self.a_addr.eq(aptr),
                     self.w_en.eq(f_valid), self.a_en.eq(f_valid)]

        # k == 0 and k == W-1 are kept as flags (registered), not compared here.
        can = fetching & (~tile_first | gap_full)
        m.d.comb += [f_valid.eq(can), f_first.eq(tile_first), f_last_word.eq(tile_last)]
        with m.If(can & tile_first):
            m.d.sync += [gap.eq(1), gap_full.eq(cols == 1)]
        with m.Elif(~gap_full):
            m.d.sync += [gap.eq(gap + 1), gap_full.eq(gap + 1 == cols)]
        with m.If(can):
            m.d.sync += [wptr.eq(wptr + 1), aptr.eq(aptr + 1), k.eq(k + 1), k_zero.eq(0),
                         k_last.eq(k == r_words_m2)]      # k + 1 == W - 1
            with m.If(k_last):
                m.d.sync += [k.eq(0), aptr.eq(r_a_in), k_zero.eq(1),
                             k_last.eq(r_words_m1 == 0)]
                if self._planes:
                    m.d.comb += pl.step.eq(1)
                    # Next activation plane on the same weight plane, or the next weight plane.
                    with m.If(pl.same_w):
                        m.d.sync += [wptr.eq(wrow), aptr.eq(aptr + 1)]
                    with m.Else():
                        m.d.sync += wrow.eq(wptr + 1)
                with m.If(tile_last):
                    m.d.sync += t.eq(t + 1)
                    with m.If(t == r_tiles_m1):
                        m.d.sync += fetching.eq(0)
        with m.If(self.load):
            m.d.sync += [r_n_in.eq(f.n_in), r_a_in.eq(f.a_in), r_words_m1.eq(f.words_m1),
                         r_words_m2.eq(f.words_m2), r_tiles_m1.eq(f.tiles_m1),
                         k.eq(0), t.eq(0), wptr.eq(f.w_base), aptr.eq(f.a_in), fetching.eq(1),
                         gap.eq(cols), gap_full.eq(1), k_zero.eq(1), k_last.eq(f.words_m1 == 0)]
            if self._planes:
                m.d.sync += wrow.eq(f.w_base)
        with m.If(self.stop):
            m.d.sync += fetching.eq(0)
        return m
