"""Descriptor decode: reads one layer descriptor, derives the loop bounds and checks it.

Runs ahead of the layer it decodes (the sequencer starts it on the next layer while the current
one runs), so only the first layer of a run waits for its descriptor. Every check becomes a
registered flag before the verdict is chosen from them (timing).
"""

from amaranth import *
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from bittern.model.spec import Enc, Kind, WEnc

from . import ops
from .layouts import register_layout
from . import regmap as rm
from .regmap import Cause, DESC_WORDS, MAX_LAYERS

__all__ = ["DescriptorDecoder", "layer_fields", "BASE_WORDS"]

BASE_WORDS = 7      # D_CFG .. D_T_BASE: what every layer kind has; the rest is ``ext``
WORD_BITS = (DESC_WORDS - 1).bit_length()
assert DESC_WORDS == 1 << WORD_BITS, "descriptor words are addressed as Cat(word, layer)"


def layer_fields(rows):
    """What a running layer needs of its decoded descriptor."""
    return data.StructLayout({
        "n_in": 16, "n_out": 16, "w_base": 16, "a_in": 16, "a_out": 16, "t_base": 16,
        "words_m1": 12, "words_m2": 12,          # W - 1, W - 2 (W = ceil(N/32) reduction words)
        "tiles": 12, "tiles_m1": 12, "tiles_m2": 12,
        "last_keep": rows,                       # rows of the layer's last tile that exist
        "scores": 1, "is_last": 1,
        # planes builds (rtl/seq_passes.py; all 0 for a binary layer): D_PLANES, D_PLANES2
        "w_planes_m1": 4, "a_planes_m1": 4, "a_step": 1, "w_shifts": 32, "score_shift": 2,
        "score_offset": 1,                       # scores layer of a plane op: add the offset
        "sparse": 1, "packs": 12, "i_base": 16,  # sparse builds (rtl/seq_sparse.py): D_SPARSE(2)
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
    features : int
        The build's ``FEATURES`` register: ops of optional layer kinds it lacks are refused
        (``UNSUPPORTED_LAYER``). With ``PLANES`` it reads ``D_PLANES``/``D_PLANES2``; without,
        a non-zero planes word is ``BAD_PLANES``. With ``SPARSE`` it reads ``D_SPARSE``/
        ``D_SPARSE2`` and checks a sparse layer against the column store
        (``FEATURES.SPARSE_WORDS``) and the index buffer.
    i_depth : int
        Pack-index words per row bank (sparse builds).
    """

    def __init__(self, *, rows, cols, w_depth, a_depth, t_depth, s_depth, features=0, i_depth=0):
        self._rows, self._cols = rows, cols
        self._features = features
        self._planes = bool(features & rm.field_of("FEATURES", "PLANES").mask)
        self._u8_conv = self._planes and bool(features & rm.field_of("FEATURES", "CONV").mask)
        self._sparse_words = rm.unpack("FEATURES", features)["SPARSE_WORDS"] \
            if features & rm.field_of("FEATURES", "SPARSE").mask else 0
        self._i_depth = i_depth
        self._w_depth, self._a_depth, self._t_depth, self._s_depth = w_depth, a_depth, t_depth, s_depth
        super().__init__({
            "go": In(1), "take": In(1), "drop": In(1), "n_layers": In(8),
            # descriptor memory read port (2-cycle latency: registered output)
            "d_addr": Out(range(MAX_LAYERS * DESC_WORDS)), "d_en": Out(1), "d_data": In(32),
            "ready": Out(1), "bad": Out(1), "cause": Out(6), "layer": Out(4),
            "fields": Out(layer_fields(rows)),
            "is_conv": Out(1),                      # a conv2d descriptor (D_CFG.KIND)
            # conv + planes builds: the input is u8 pixels (the conv decode checks its planes)
            **({"in_u8": Out(1)} if self._u8_conv else {}),
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
        n_out = f.n_out
        high = Signal(7)            # which fields had bits above 15
        scores, is_last, last_keep = f.scores, f.is_last, f.last_keep
        words = Signal(12)          # W = ceil(N/32)
        tiles = f.tiles
        pb = 5 if self._planes else 0   # tiles * W * Pw: up to 5 more bits with planes
        wtotal = Signal(24 + pb)    # tiles * W (* Pw)
        mul_w = Signal(24 + pb)
        tiles_sh = Signal(12)
        out_words = Signal(12)
        a_in_end, a_out_end, t_end, s_end = (Signal(18, name=n) for n in
                                             ("a_in_end", "a_out_end", "t_end", "s_end"))
        w_end = Signal(25 + pb)
        ovf_w, ovf_a, ovf_t, ovf_s = Signal(), Signal(), Signal(), Signal()
        big_a_in, big_a_out, big_t, big_s = Signal(), Signal(), Signal(), Signal()  # end > depth
        f_kind, f_shape, f_last = Signal(), Signal(), Signal()
        d_q = Signal(32)            # descriptor word, registered once more here (timing)
        m.d.sync += d_q.eq(self.d_data)
        d_q_high = d_q[16:] != 0
        di = Signal(range(DESC_WORDS + 3))  # descriptor word being read (+3: read latency)
        layer = self.layer
        # The layer kinds and encodings some op of the registry runs (rtl/ops/).
        runs_cfg = Cat((cfg.kind == op.kind) & (cfg.in_enc == op.in_enc) & (cfg.w_enc == op.w_enc) &
                       cfg.out_enc.matches(*op.out_encs) for op in ops.OPS
                       if op.in_build(self._features)).any()
        m.d.comb += self.is_conv.eq(cfg.kind == Kind.CONV)
        if self._u8_conv:
            from bittern.model.spec import U8
            m.d.comb += self.in_u8.eq(cfg.in_enc == U8)
        # The planes words (0 for a binary layer) and what they imply (rtl/seq_passes.py).
        ext_word = {r.name: r.offset // 4 - BASE_WORDS for r in rm.DESCRIPTOR if r.offset // 4 >= BASE_WORDS}
        d_planes, d_planes2 = self.ext[ext_word["D_PLANES"]], self.ext[ext_word["D_PLANES2"]]
        f_planes, f_pshift = Signal(), Signal()         # BAD_PLANES, BAD_PLANE_SHIFT
        pl = data.View(register_layout("D_PLANES"), d_planes)
        w_planes, a_planes = Signal(5), Signal(5)
        pw_sh, pa_sh, w_sh = Signal(5), Signal(5), Signal(17)     # PMUL's shift-and-add
        m.d.comb += [w_planes.eq(f.w_planes_m1 + 1), a_planes.eq(f.a_planes_m1 + 1)]
        # Sparse layers (rtl/seq_sparse.py): D_SPARSE/D_SPARSE2, checked as the other fields.
        sparse = self._sparse_words > 0
        d_sparse = data.View(register_layout("D_SPARSE"), self.ext[ext_word["D_SPARSE"]])
        d_sparse2 = data.View(register_layout("D_SPARSE2"), self.ext[ext_word["D_SPARSE2"]])
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
                if self._planes:
                    from .ops.dense_planes import MAX_A_PLANES, MAX_SHIFT, MAX_W_PLANES
                    step_q = Mux(pl.a_step, pl.a_planes_m1, 0)
                    too_far = Cat((d_planes2[4 * p:4 * p + 4] + step_q > MAX_SHIFT) &
                                  (p <= pl.w_planes_m1) for p in range(MAX_W_PLANES)).any()
                    plane_cfg = (cfg.in_enc != Enc.BINARY) | (cfg.w_enc != Enc.BINARY) | (d_planes != 0)
                    m.d.sync += [f.w_planes_m1.eq(pl.w_planes_m1), f.a_planes_m1.eq(pl.a_planes_m1),
                                 f.a_step.eq(pl.a_step), f.w_shifts.eq(d_planes2),
                                 f.score_shift.eq(pl.score_shift),
                                 f.score_offset.eq((cfg.out_enc == Enc.SCORES) & plane_cfg),
                                 f_planes.eq((pl.w_planes_m1 > MAX_W_PLANES - 1) |
                                             (pl.a_planes_m1 > MAX_A_PLANES - 1) |
                                             (d_planes2[4 * MAX_W_PLANES:] != 0 if MAX_W_PLANES < 8 else 0) |
                                             ((d_planes & ~C(sum(fl.mask for fl in rm.fields_of("D_PLANES")), 32)) != 0)),
                                 f_pshift.eq(too_far | (pl.score_shift > 2))]
                else:
                    # Without planes only the plane counts change what a layer means: a layer
                    # asking for more than one plane is refused (the shifts are never read, and
                    # comparing 8 bits, not both words, keeps 56 flip-flops out of this build).
                    m.d.sync += [f_planes.eq((pl.w_planes_m1 != 0) | (pl.a_planes_m1 != 0)),
                                 f_pshift.eq(0)]
                m.next = "CHECK1"
            with m.State("CHECK1"):
                if self._planes:
                    # Pw weight planes per tile row, Pa activation planes of W words each:
                    # W*Pw and A_IN + W*Pa by shift-and-add in PMUL (no multiplier: timing).
                    m.d.sync += [mul_w.eq(0), a_in_end.eq(a_in), pw_sh.eq(w_planes),
                                 pa_sh.eq(a_planes), w_sh.eq(words)]
                else:
                    m.d.sync += [mul_w.eq(words), a_in_end.eq(a_in + words)]
                m.d.sync += [wtotal.eq(0), tiles_sh.eq(tiles),
                             f.words_m1.eq(words - 1), f.words_m2.eq(words - 2),
                             f.tiles_m1.eq(tiles - 1), f.tiles_m2.eq(tiles - 2),
                             a_out_end.eq(a_out + out_words),
                             t_end.eq(t_base + tiles), s_end.eq(a_out + (tiles << cb)),
                             f_last.eq(is_last != scores)]
                if sparse:
                    # A sparse layer's weight (and index) words are `tiles * P`, not `tiles * W`.
                    with m.If(f.sparse):
                        m.d.sync += mul_w.eq(f.packs)
                    m.d.sync += [f_packs.eq(f.sparse & ((f.packs == 0) | (f.packs > words) |
                                                        (n_in[:5] != 0))),
                                 f_store.eq(f.sparse & (words > self._sparse_words))]
                m.next = "PMUL" if self._planes else "MUL"
            if self._planes:
                with m.State("PMUL"):
                    with m.If(pw_sh[0]):
                        m.d.sync += mul_w.eq(mul_w + w_sh)
                    with m.If(pa_sh[0]):
                        m.d.sync += a_in_end.eq(a_in_end + w_sh)
                    m.d.sync += [pw_sh.eq(pw_sh >> 1), pa_sh.eq(pa_sh >> 1), w_sh.eq(w_sh << 1)]
                    if sparse:      # a sparse layer has one plane: tiles * P as above
                        with m.If(f.sparse):
                            m.d.sync += mul_w.eq(f.packs)
                    with m.If((pw_sh[1:] == 0) & (pa_sh[1:] == 0)):
                        m.next = "MUL"
            with m.State("MUL"):
                # tiles * words by shift-and-add, one bit of `tiles` per cycle (no multiplier).
                with m.If(tiles_sh[0]):
                    m.d.sync += wtotal.eq(wtotal + mul_w)
                m.d.sync += [tiles_sh.eq(tiles_sh >> 1), mul_w.eq(mul_w << 1)]
                with m.If(tiles_sh == 0):
                    m.next = "CHECK2"
            with m.State("CHECK2"):
                # Each compare is a carry chain of its own into a flip-flop; CHECK3 combines
                # the flags (a compare and the gates after it in one cycle missed 150 MHz).
                m.d.sync += [w_end.eq(w_base + wtotal),
                             big_a_in.eq(a_in_end > self._a_depth),
                             big_a_out.eq(a_out_end > self._a_depth),
                             big_t.eq(t_end > self._t_depth), big_s.eq(s_end > self._s_depth)]
                m.next = "CHECK3"
            with m.State("CHECK3"):
                m.d.sync += [ovf_w.eq(high[3] | (w_end > self._w_depth)),
                             ovf_a.eq(high[4] | big_a_in | (~scores & (high[5] | big_a_out))),
                             ovf_t.eq((~scores | f.score_offset) & (high[6] | big_t)),
                             ovf_s.eq(scores & (high[5] | big_s))]
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
                                                          ovf_t | ovf_s | f_planes | f_pshift |
                                                          f_packs | f_store | ovf_i)]
                m.d.sync += self.cause.eq(
                    Mux(f_kind, Cause.UNSUPPORTED_LAYER, Mux(f_shape, Cause.BAD_SHAPE,
                    Mux(f_planes, Cause.BAD_PLANES, Mux(f_pshift, Cause.BAD_PLANE_SHIFT,
                    Mux(f_packs, Cause.BAD_PACKS, Mux(f_store, Cause.SPARSE_STORE_OVERFLOW,
                    Mux(f_last, Cause.SCORES_NOT_LAST, Mux(ovf_w, Cause.WBUF_OVERFLOW,
                    Mux(ovf_a, Cause.ABUF_OVERFLOW, Mux(ovf_t, Cause.TBUF_OVERFLOW,
                    Mux(ovf_s, Cause.SBUF_OVERFLOW, Mux(ovf_i, Cause.IBUF_OVERFLOW,
                    0)))))))))))))
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
