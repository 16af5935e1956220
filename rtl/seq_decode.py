"""Descriptor decode: reads one layer descriptor, derives the loop bounds and checks it.

Runs ahead of the layer it decodes (the sequencer starts it on the next layer while the current
one runs), so only the first layer of a run waits for its descriptor. Every check becomes a
registered flag before the verdict is chosen from them (timing).
"""

from amaranth import *
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from bittern.model.spec import Enc, WEnc

from . import ops
from .layouts import register_layout
from .regmap import DESCRIPTOR, Cause, DESC_WORDS, MAX_LAYERS

__all__ = ["DescriptorDecoder", "layer_fields", "BASE_WORDS"]

BASE_WORDS = 7      # D_CFG .. D_T_BASE: what every layer kind has; the rest is ``ext``
WORD_BITS = (DESC_WORDS - 1).bit_length()
assert DESC_WORDS == 1 << WORD_BITS, "descriptor words are addressed as Cat(word, layer)"
DESCRIPTOR_OFFSET = {r.name: r.offset for r in DESCRIPTOR}


def layer_fields(rows):
    """What a running layer needs of its decoded descriptor."""
    return data.StructLayout({
        "n_in": 16, "w_base": 16, "a_in": 16, "a_out": 16, "t_base": 16,
        "words_m1": 12, "words_m2": 12,          # W - 1, W - 2 (W = ceil(N/32) reduction words)
        "tiles": 12, "tiles_m1": 12, "tiles_m2": 12,
        "last_keep": rows,                       # rows of the layer's last tile that exist
        "scores": 1, "is_last": 1,
        "sparse": 1, "packs": 12, "i_base": 16,  # sparse layers (rtl/seq_sparse.py)
    })


class DescriptorDecoder(wiring.Component):
    """Reads and checks descriptor ``layer`` while the previous layer runs.

    ``go`` starts at layer 0; after ``ready``, ``take`` moves on to the next layer (unless this
    one is the last) and ``drop`` stops. ``bad``/``cause`` give the verdict (cause 0: it runs).

    Parameters
    ----------
    rows, cols : int
        Array geometry (powers of two).
    w_depth, a_depth, t_depth, s_depth : int
        Words per bank of the buffers the ranges are checked against.
    sparse_words, i_depth : int
        Build option: the sparse datapath's column store and index buffer depth (0: no sparse
        datapath, sparse descriptors are ``UNSUPPORTED_LAYER``).
    """

    def __init__(self, *, rows, cols, w_depth, a_depth, t_depth, s_depth, sparse_words=0, i_depth=0):
        self._rows, self._cols = rows, cols
        self._sparse_words, self._i_depth = sparse_words, i_depth
        self._w_depth, self._a_depth, self._t_depth, self._s_depth = w_depth, a_depth, t_depth, s_depth
        super().__init__({
            "go": In(1), "take": In(1), "drop": In(1), "n_layers": In(8),
            # descriptor memory read port (2-cycle latency: registered output)
            "d_addr": Out(range(MAX_LAYERS * DESC_WORDS)), "d_en": Out(1), "d_data": In(32),
            "ready": Out(1), "bad": Out(1), "cause": Out(6), "layer": Out(4),
            "fields": Out(layer_fields(rows)),
            # Words 7..15 as read (D_CONV_IN ... D_RESERVED1), for the layer kinds that use them;
            # valid with ``ready``. Bits nobody reads are trimmed by synthesis.
            "ext": Out(data.ArrayLayout(32, DESC_WORDS - BASE_WORDS)),
        })

    def elaborate(self, platform):
        m = Module()
        rows, cols = self._rows, self._cols
        rb = (rows - 1).bit_length()
        cb = (cols - 1).bit_length()
        f = self.fields
        cfg = Signal(register_layout("D_CFG"))
        n_in, w_base, a_in, a_out, t_base = f.n_in, f.w_base, f.a_in, f.a_out, f.t_base
        n_out = Signal(16)
        high = Signal(7)            # which fields had bits above 15
        scores, is_last, last_keep = f.scores, f.is_last, f.last_keep
        words = Signal(12)          # W = ceil(N/32)
        tiles = f.tiles
        wtotal = Signal(24)         # tiles * W
        mul_w = Signal(24)
        tiles_sh = Signal(12)
        out_words = Signal(12)
        a_in_end, a_out_end, t_end, s_end = (Signal(18, name=n) for n in
                                             ("a_in_end", "a_out_end", "t_end", "s_end"))
        w_end = Signal(25)
        ovf_w, ovf_a, ovf_t, ovf_s = Signal(), Signal(), Signal(), Signal()
        f_kind, f_shape, f_last = Signal(), Signal(), Signal()
        d_q = Signal(32)            # descriptor word, registered once more here (timing)
        m.d.sync += d_q.eq(self.d_data)
        d_q_high = d_q[16:] != 0
        di = Signal(range(DESC_WORDS + 3))  # descriptor word being read (+3: read latency)
        layer = self.layer
        # The layer kinds and encodings some op of the registry built in here runs (rtl/ops/).
        built = {"sparse_words": self._sparse_words}
        runs_cfg = Cat((cfg.kind == op.kind) & (cfg.in_enc == op.in_enc) & (cfg.w_enc == op.w_enc) &
                       cfg.out_enc.matches(*op.out_encs) for op in ops.OPS
                       if op.needs is None or built[op.needs]).any()
        # Sparse layers (rtl/seq_sparse.py): D_SPARSE/D_SPARSE2, checked as the other fields.
        sparse = self._sparse_words > 0
        ext_word = lambda name: self.ext[(DESCRIPTOR_OFFSET[name] >> 2) - BASE_WORDS]
        d_sparse = data.View(register_layout("D_SPARSE"), ext_word("D_SPARSE"))
        d_sparse2 = data.View(register_layout("D_SPARSE2"), ext_word("D_SPARSE2"))
        f_packs, f_store, ovf_i = Signal(), Signal(), Signal()
        i_end = Signal(25)
        with m.FSM(name="dec"):
            with m.State("D_IDLE"):
                with m.If(self.go):
                    m.d.sync += [layer.eq(0), di.eq(0)]
                    m.next = "DESC"
            with m.State("DESC"):
                # Words 0..DESC_WORDS-1; the memory answers in two cycles and d_q registers its
                # output once more, so word i lands three cycles after its address, at di = i+3.
                m.d.comb += [self.d_addr.eq(Cat(di[:WORD_BITS], layer)), self.d_en.eq(1)]
                m.d.sync += di.eq(di + 1)
                for i, sig in enumerate([cfg, n_in, n_out, w_base, a_in, a_out, t_base]):
                    with m.If(di == i + 3):
                        m.d.sync += sig.eq(d_q[:16] if i else d_q)
                        if i:
                            m.d.sync += high[i].eq(d_q_high)
                for i in range(DESC_WORDS - BASE_WORDS):
                    with m.If(di == BASE_WORDS + i + 3):
                        m.d.sync += self.ext[i].eq(d_q)
                with m.If(di == DESC_WORDS + 2):
                    m.next = "CHECK0"
            with m.State("CHECK0"):
                # Check states either compute registered values/flags or choose on registered
                # flags, never both: the FSM's enables stay shallow.
                m.d.sync += [words.eq((n_in + 31) >> 5), tiles.eq((n_out + rows - 1) >> rb),
                             out_words.eq((n_out + 31) >> 5), scores.eq(cfg.out_enc == Enc.SCORES),
                             is_last.eq(layer == self.n_layers - 1),
                             f_kind.eq(~runs_cfg),
                             f_shape.eq(high[1] | high[2] | (n_in == 0) | (n_out == 0))]
                if sparse:
                    m.d.sync += [f.sparse.eq(cfg.w_enc == WEnc.SPARSE), f.packs.eq(d_sparse.packs),
                                 f.i_base.eq(d_sparse2.i_base)]
                rem = n_out[:rb] if rb else C(0, 1)
                m.d.sync += last_keep.eq(Mux(rem == 0, (1 << rows) - 1, (C(1, rows + 1) << rem) - 1))
                m.next = "CHECK1"
            with m.State("CHECK1"):
                m.d.sync += [wtotal.eq(0), mul_w.eq(words), tiles_sh.eq(tiles),
                             f.words_m1.eq(words - 1), f.words_m2.eq(words - 2),
                             f.tiles_m1.eq(tiles - 1), f.tiles_m2.eq(tiles - 2),
                             a_in_end.eq(a_in + words), a_out_end.eq(a_out + out_words),
                             t_end.eq(t_base + tiles), s_end.eq(a_out + (tiles << cb)),
                             f_last.eq(is_last != scores)]
                if sparse:
                    # A sparse layer's weight (and index) words are `tiles * P`, not `tiles * W`.
                    with m.If(f.sparse):
                        m.d.sync += mul_w.eq(f.packs)
                    m.d.sync += [f_packs.eq(f.sparse & ((f.packs == 0) | (f.packs > words) |
                                                        (n_in[:5] != 0))),
                                 f_store.eq(f.sparse & (words > self._sparse_words))]
                m.next = "MUL"
            with m.State("MUL"):
                # tiles * words by shift-and-add, one bit of `tiles` per cycle (no multiplier).
                with m.If(tiles_sh[0]):
                    m.d.sync += wtotal.eq(wtotal + mul_w)
                m.d.sync += [tiles_sh.eq(tiles_sh >> 1), mul_w.eq(mul_w << 1)]
                with m.If(tiles_sh == 0):
                    m.next = "CHECK2"
            with m.State("CHECK2"):
                m.d.sync += [w_end.eq(w_base + wtotal),
                             ovf_a.eq(high[4] | (a_in_end > self._a_depth) |
                                      (~scores & (high[5] | (a_out_end > self._a_depth)))),
                             ovf_t.eq(~scores & (high[6] | (t_end > self._t_depth))),
                             ovf_s.eq(scores & (high[5] | (s_end > self._s_depth)))]
                m.next = "CHECK3"
            with m.State("CHECK3"):
                m.d.sync += ovf_w.eq(high[3] | (w_end > self._w_depth))
                if sparse:
                    m.d.sync += i_end.eq(f.i_base + wtotal)
                m.next = "CHECK4"
            if sparse:
                with m.State("CHECK4"):
                    m.d.sync += ovf_i.eq(f.sparse & ((d_sparse2.as_value()[16:] != 0) |
                                                     (i_end > self._i_depth)))
                    m.next = "CHOOSE"
            with m.State("CHOOSE" if sparse else "CHECK4"):
                # Every bound was compared into a flag above: only a choice here (first wins).
                m.d.sync += [self.ready.eq(1), self.bad.eq(f_kind | f_shape | f_last | ovf_w | ovf_a |
                                                          ovf_t | ovf_s | f_packs | f_store | ovf_i)]
                m.d.sync += self.cause.eq(
                    Mux(f_kind, Cause.UNSUPPORTED_LAYER, Mux(f_shape, Cause.BAD_SHAPE,
                    Mux(f_packs, Cause.BAD_PACKS, Mux(f_store, Cause.SPARSE_STORE_OVERFLOW,
                    Mux(f_last, Cause.SCORES_NOT_LAST, Mux(ovf_w, Cause.WBUF_OVERFLOW,
                    Mux(ovf_a, Cause.ABUF_OVERFLOW, Mux(ovf_t, Cause.TBUF_OVERFLOW,
                    Mux(ovf_s, Cause.SBUF_OVERFLOW, Mux(ovf_i, Cause.IBUF_OVERFLOW, 0)))))))))))
                m.next = "D_READY"
            with m.State("D_READY"):
                with m.If(self.drop):
                    m.d.sync += self.ready.eq(0)
                    m.next = "D_IDLE"
                with m.Elif(self.take):
                    m.d.sync += self.ready.eq(0)
                    with m.If(is_last):
                        m.next = "D_IDLE"
                    with m.Else():
                        m.d.sync += [layer.eq(layer + 1), di.eq(0)]
                        m.next = "DESC"
        return m
