"""The layer sequencer: descriptors in, tiled array schedule and thresholded outputs out.

For each layer descriptor (see ``rtl/regmap.py``) the sequencer

1. reads the descriptor from the descriptor memory and checks it (unsupported kind or encoding,
   zero shapes, a range that runs past a buffer, a scores layer that is not last): any failure
   stops the run with an error cause and the layer number, never a hang;
2. walks the output tiles ``t = 0 .. ceil(M/rows)-1`` and, inside each, the reduction words
   ``k = 0 .. ceil(N/32)-1``: every cycle it reads one weight word per row bank
   (``W_BASE + t*W + k``) and one activation word per column bank (``A_IN + k``) and hands them to
   the compute grid with ``first``/``last`` marks;
3. takes each finished tile from the array one column (input vector) per cycle -- the array
   drains a tile while it computes the next one, so tiles start at least ``cols`` cycles apart --
   and, per row (output channel ``m = t*rows + r``), either compares the accumulator with the
   channel's threshold (binary output: bit ``m % 32`` of activation word ``A_OUT + m//32`` of that
   column's bank, pad bits 0) or writes it as a score (row bank ``r``, word ``A_OUT + t*cols + c``).
   The thresholds of a tile are one word of each row bank (``T_BASE + t``), read once per tile.

Layers run back to back; a layer starts only when the previous one is fully written back (its
input is the previous layer's output), but its descriptor is read and checked (step 1) while
the previous layer runs, so only the first layer waits for its descriptor.
"""

from amaranth import *
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from bittern.model.spec import Enc

from . import ops
from .layouts import register_layout
from .regmap import Cause, DESC_WORDS, MAX_LAYERS

__all__ = ["Sequencer"]


def _bits(n):
    return max(1, int(n).bit_length())


class Sequencer(wiring.Component):
    """Runs ``n_layers`` descriptors over the buffers and a :class:`~bittern.rtl.array.SystolicArray`.

    Parameters
    ----------
    rows, cols : int
        Array geometry (powers of two; ``rows`` <= 32 so a tile's outputs share one word).
    acc_width : int
        Signed width of the array's ``out_acc``.
    w_depth, a_depth, t_depth, s_depth : int
        Words per bank of the weight, activation, threshold and score buffers.
    """

    def __init__(self, *, rows, cols, acc_width, w_depth, a_depth, t_depth, s_depth):
        for name, v in (("rows", rows), ("cols", cols)):
            if not isinstance(v, int) or v < 1 or v & (v - 1):
                raise TypeError(f"{name} must be a power of two, not {v!r}")
        if rows > 32:
            raise ValueError(f"rows must be at most 32 (one output word per tile), not {rows}")
        for name, v in (("w_depth", w_depth), ("a_depth", a_depth), ("t_depth", t_depth),
                        ("s_depth", s_depth)):
            if not isinstance(v, int) or not 2 <= v <= 65535:
                raise TypeError(f"{name} must be an integer in 2..65535, not {v!r}")
        self._rows, self._cols, self._acc_width = rows, cols, acc_width
        self._w_depth, self._a_depth, self._t_depth, self._s_depth = w_depth, a_depth, t_depth, s_depth
        super().__init__({
            "start": In(1), "n_layers": In(8),
            "busy": Out(1), "done": Out(1),          # done: one-cycle pulse at the end of a run
            "err": Out(1), "err_cause": Out(4), "layer": Out(4),
            "active": Out(1), "tile_done": Out(1),   # perf strobes
            # descriptor memory read port (2-cycle latency: registered output)
            "d_addr": Out(_bits(MAX_LAYERS * DESC_WORDS - 1)), "d_en": Out(1), "d_data": In(32),
            # weight / activation reads (same word of every bank)
            "w_addr": Out(_bits(w_depth - 1)), "w_en": Out(1),
            "a_addr": Out(_bits(a_depth - 1)), "a_en": Out(1),
            # activation write-back: one column bank per cycle
            "aw_addr": Out(_bits(a_depth - 1)), "aw_en": Out(cols), "aw_data": Out(32),
            # thresholds: one entry per row bank (2-cycle latency)
            "t_addr": Out(_bits(t_depth - 1)), "t_en": Out(1),
            "t_data": In(data.ArrayLayout(signed(32), rows)), "t_neg": In(rows),
            # scores: one per row bank
            "s_addr": Out(_bits(s_depth - 1)), "s_en": Out(rows),
            "s_data": Out(data.ArrayLayout(32, rows)),
            # systolic array (inputs are the buffers' read data; marks are delayed to match)
            "g_valid": Out(1), "g_first": Out(1), "g_last": Out(1), "g_n": Out(16),
            "g_o_valid": In(1), "g_o_last": In(1), "g_o_first": In(1),
            "g_o_acc": In(data.ArrayLayout(signed(acc_width), rows)),
        })

    @property
    def rows(self):
        return self._rows

    @property
    def cols(self):
        return self._cols

    def elaborate(self, platform):
        m = Module()
        rows, cols = self._rows, self._cols
        rb = (rows - 1).bit_length()
        cb = (cols - 1).bit_length()

        # ---- descriptor fields -------------------------------------------------------------
        cfg = Signal(register_layout("D_CFG"))
        n_in = Signal(16)
        n_out = Signal(16)
        w_base = Signal(16)
        a_in = Signal(16)
        a_out = Signal(16)
        t_base = Signal(16)
        high = Signal(7)            # which fields had bits above 15
        scores = Signal()
        layer = Signal(4)
        n_layers = Signal(8)
        words = Signal(12)          # W = ceil(N/32)
        tiles = Signal(12)
        wtotal = Signal(24)         # tiles * W
        mul_w = Signal(24)
        tiles_sh = Signal(12)
        last_keep = Signal(rows)    # rows of the layer's last tile that exist
        out_words = Signal(12)
        is_last = Signal()
        a_in_end, a_out_end, t_end, s_end = (Signal(18, name=n) for n in
                                             ("a_in_end", "a_out_end", "t_end", "s_end"))
        w_end = Signal(25)
        ovf_w, ovf_a, ovf_t, ovf_s = Signal(), Signal(), Signal(), Signal()
        f_kind, f_shape, f_last = Signal(), Signal(), Signal()
        words_m1, words_m2, tiles_m1, tiles_m2 = Signal(12), Signal(12), Signal(12), Signal(12)
        d_q = Signal(32)            # descriptor word, registered once more here (timing)
        m.d.sync += d_q.eq(self.d_data)
        d_q_high = d_q[16:] != 0
        t_ptr = Signal(16)          # threshold word of the next tile to leave the array
        di = Signal(4)              # descriptor word being read
        # What the running layer needs of its descriptor, copied when it starts (the decoder
        # moves on to the next layer meanwhile).
        r_n_in, r_a_in = Signal(16), Signal(16)
        r_words_m1, r_words_m2, r_tiles, r_tiles_m1, r_tiles_m2 = (
            Signal(12, name=n) for n in ("r_words_m1", "r_words_m2", "r_tiles", "r_tiles_m1",
                                         "r_tiles_m2"))
        r_last_keep = Signal(rows)
        r_scores, r_is_last = Signal(), Signal()
        m.d.comb += [self.layer.eq(layer), self.g_n.eq(r_n_in)]

        # ---- fetch counters ------------------------------------------------------------------
        k = Signal(12)
        t = Signal(12)
        wptr = Signal(16)
        aptr = Signal(16)           # A_IN + k, kept as a register: it drives block RAM addresses
        fetching = Signal()
        k_zero, k_last, gap_full = Signal(), Signal(), Signal()
        gap = Signal(range(cols + 1))   # cycles since the last tile started (saturating)
        d_tile = Signal(12)             # tiles written back

        f_valid, f_first, f_last_word = Signal(), Signal(), Signal()
        # Marks travel with the buffers' 2-cycle read latency.
        f_marks = Cat(f_valid, f_first, f_last_word)
        f_marks1 = Signal.like(f_marks)
        m.d.sync += [f_marks1.eq(f_marks),
                     Cat(self.g_valid, self.g_first, self.g_last).eq(f_marks1)]
        m.d.comb += self.active.eq(self.g_valid)
        m.d.comb += [self.w_addr.eq(wptr), self.a_addr.eq(aptr),
                     self.w_en.eq(f_valid), self.a_en.eq(f_valid)]

        err_cause = Signal(4)
        m.d.comb += self.err_cause.eq(err_cause)
        m.d.sync += [self.err.eq(0), self.done.eq(0)]

        x_valid0, x_last0 = Signal(), Signal()
        x_valid1, x_last1 = Signal(), Signal()
        x_valid2, x_last2 = Signal(), Signal()
        z_valid = Signal()              # a buffer write is leaving
        x_valid = Signal()              # write-back stage
        x_last = Signal()
        y_valid = Signal()
        last_tile = Signal()            # the tile in X is the layer's last
        pos = Signal(5)                 # bit of the output word where the tile in X starts
        aw_ptr = Signal(16)             # output word of the tile in X
        s_ptr = Signal(16)              # next score word

        nl_bad = Signal()           # N_LAYERS is a stable register: judge it ahead of START
        m.d.sync += nl_bad.eq((self.n_layers == 0) | (self.n_layers > MAX_LAYERS))
        # The layer is fully written back: judged from registers a cycle ahead of its use (timing);
        # cleared when a layer's run starts, so a stale value never ends a fresh layer.
        all_back = Signal()
        m.d.sync += all_back.eq(~fetching & (d_tile == r_tiles) & ~x_valid0 & ~x_valid1 & ~x_valid2 & ~x_valid &
                                ~y_valid & ~z_valid)

        # ---- descriptor decoder ----------------------------------------------------------------
        # Reads and checks layer `dec_layer` into the fields above while the previous layer runs
        # (so the run only waits for it on the first layer); the run FSM takes the fields and
        # the verdict (`dec_cause`, 0 = runs) when the previous layer is written back, so an
        # error is still reported at the layer it belongs to, after the layers before it.
        dec_go = Signal()           # run FSM: decode layer 0 (a registered pulse: timing)
        m.d.sync += dec_go.eq(0)
        dec_take = Signal()         # run FSM: the decoded layer runs now
        dec_drop = Signal()         # run FSM: the decoded layer failed; stop
        dec_ready = Signal()
        dec_layer = Signal(4)
        dec_cause = Signal(4)
        dec_bad = Signal()          # dec_cause != 0, kept as its own flip-flop (timing)
        # The layer kinds and encodings some op of the registry runs (rtl/ops/).
        runs_cfg = Cat((cfg.kind == op.kind) & (cfg.in_enc == op.in_enc) & (cfg.w_enc == op.w_enc) &
                       cfg.out_enc.matches(*op.out_encs) for op in ops.OPS).any()
        with m.FSM(name="dec"):
            with m.State("D_IDLE"):
                with m.If(dec_go):
                    m.d.sync += [dec_layer.eq(0), di.eq(0)]
                    m.next = "DESC"
            with m.State("DESC"):
                # Words 0..6; the memory answers in two cycles and d_q registers its output
                # once more, so word i lands three cycles after its address, at di = i+3.
                m.d.comb += [self.d_addr.eq(Cat(di[:3], dec_layer)), self.d_en.eq(1)]
                m.d.sync += di.eq(di + 1)
                for i, sig in enumerate([cfg, n_in, n_out, w_base, a_in, a_out, t_base]):
                    with m.If(di == i + 3):
                        m.d.sync += sig.eq(d_q[:16] if i else d_q)
                        if i:
                            m.d.sync += high[i].eq(d_q_high)
                with m.If(di == 9):
                    m.next = "CHECK0"
            with m.State("CHECK0"):
                # Check states either compute registered values/flags or choose on registered
                # flags, never both: the FSM's enables stay shallow.
                m.d.sync += [words.eq((n_in + 31) >> 5), tiles.eq((n_out + rows - 1) >> rb),
                             out_words.eq((n_out + 31) >> 5), scores.eq(cfg.out_enc == Enc.SCORES),
                             is_last.eq(dec_layer == n_layers - 1),
                             f_kind.eq(~runs_cfg),
                             f_shape.eq(high[1] | high[2] | (n_in == 0) | (n_out == 0))]
                rem = n_out[:rb] if rb else C(0, 1)
                m.d.sync += last_keep.eq(Mux(rem == 0, (1 << rows) - 1, (C(1, rows + 1) << rem) - 1))
                m.next = "CHECK1"
            with m.State("CHECK1"):
                m.d.sync += [wtotal.eq(0), mul_w.eq(words), tiles_sh.eq(tiles),
                             words_m1.eq(words - 1), words_m2.eq(words - 2),
                             tiles_m1.eq(tiles - 1), tiles_m2.eq(tiles - 2),
                             a_in_end.eq(a_in + words), a_out_end.eq(a_out + out_words),
                             t_end.eq(t_base + tiles), s_end.eq(a_out + (tiles << cb)),
                             f_last.eq(is_last != scores)]
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
                m.next = "CHECK4"
            with m.State("CHECK4"):
                # Every bound was compared into a flag above: only a choice here (first wins).
                m.d.sync += [dec_ready.eq(1), dec_bad.eq(f_kind | f_shape | f_last | ovf_w | ovf_a |
                                                         ovf_t | ovf_s)]
                m.d.sync += dec_cause.eq(
                    Mux(f_kind, Cause.UNSUPPORTED_LAYER, Mux(f_shape, Cause.BAD_SHAPE,
                    Mux(f_last, Cause.SCORES_NOT_LAST, Mux(ovf_w, Cause.WBUF_OVERFLOW,
                    Mux(ovf_a, Cause.ABUF_OVERFLOW, Mux(ovf_t, Cause.TBUF_OVERFLOW,
                    Mux(ovf_s, Cause.SBUF_OVERFLOW, 0))))))))
                m.next = "D_READY"
            with m.State("D_READY"):
                with m.If(dec_drop):
                    m.d.sync += dec_ready.eq(0)
                    m.next = "D_IDLE"
                with m.Elif(dec_take):
                    m.d.sync += dec_ready.eq(0)
                    with m.If(is_last):
                        m.next = "D_IDLE"
                    with m.Else():
                        m.d.sync += [dec_layer.eq(dec_layer + 1), di.eq(0)]
                        m.next = "DESC"

        # ---- run ---------------------------------------------------------------------------------
        def fail(cause):
            m.d.sync += [self.err.eq(1), err_cause.eq(cause)]
            m.next = "FINISH"

        with m.FSM(name="run"):
            with m.State("IDLE"):
                with m.If(self.start):
                    m.d.sync += [n_layers.eq(self.n_layers), layer.eq(0), self.busy.eq(1)]
                    with m.If(nl_bad):
                        fail(Cause.BAD_LAYER_COUNT)
                    with m.Else():
                        m.d.sync += dec_go.eq(1)
                        m.next = "WAIT"
            with m.State("WAIT"):
                # The next layer's descriptor, decoded and checked (usually long since).
                with m.If(dec_ready):
                    m.d.sync += layer.eq(dec_layer)
                    with m.If(dec_bad):
                        m.d.comb += dec_drop.eq(1)
                        fail(dec_cause)
                    with m.Else():
                        m.d.comb += dec_take.eq(1)
                        m.d.sync += [r_n_in.eq(n_in), r_words_m1.eq(words_m1),
                                     r_words_m2.eq(words_m2), r_tiles.eq(tiles),
                                     r_tiles_m1.eq(tiles_m1), r_tiles_m2.eq(tiles_m2),
                                     r_last_keep.eq(last_keep), r_scores.eq(scores),
                                     r_is_last.eq(is_last), r_a_in.eq(a_in)]
                        m.d.sync += [k.eq(0), t.eq(0), wptr.eq(w_base), aptr.eq(a_in), d_tile.eq(0),
                                     fetching.eq(1), all_back.eq(0),
                                     gap.eq(cols), gap_full.eq(1), k_zero.eq(1),
                                     k_last.eq(words_m1 == 0), last_tile.eq(tiles == 1), pos.eq(0),
                                     aw_ptr.eq(a_out), s_ptr.eq(a_out), t_ptr.eq(t_base)]
                        m.next = "RUN"
            with m.State("RUN"):
                # The array drains a tile over `cols` cycles while computing the next one, so
                # the last words of two tiles (and hence their starts) are >= cols cycles apart.
                # k == 0 and k == W-1 are kept as flags (registered), not compared here.
                can = fetching & (~k_zero | gap_full)
                m.d.comb += [f_valid.eq(can), f_first.eq(k_zero), f_last_word.eq(k_last)]
                with m.If(can & k_zero):
                    m.d.sync += [gap.eq(1), gap_full.eq(cols == 1)]
                with m.Elif(~gap_full):
                    m.d.sync += [gap.eq(gap + 1), gap_full.eq(gap + 1 == cols)]
                with m.If(can):
                    m.d.sync += [wptr.eq(wptr + 1), aptr.eq(aptr + 1), k.eq(k + 1), k_zero.eq(0),
                                 k_last.eq(k == r_words_m2)]      # k + 1 == W - 1
                    with m.If(k_last):
                        m.d.sync += [k.eq(0), aptr.eq(r_a_in), k_zero.eq(1),
                                     k_last.eq(r_words_m1 == 0), t.eq(t + 1)]
                        with m.If(t == r_tiles_m1):
                            m.d.sync += fetching.eq(0)
                with m.If(all_back):
                    m.d.sync += all_back.eq(0)
                    with m.If(r_is_last):
                        m.next = "FINISH"
                    with m.Else():
                        m.next = "WAIT"
            with m.State("FINISH"):
                m.d.sync += [self.busy.eq(0), self.done.eq(1), fetching.eq(0)]
                m.next = "IDLE"

        # ---- write-back ---------------------------------------------------------------------
        # X: the array's column, the tile's thresholds (read at the tile's first column),
        # Y: the compare results, registered; the words are assembled and written.
        # Per-tile facts (which rows exist, bit position, word address) are counters, not
        # arithmetic on the tile index, to keep the path short.
        # (A tile's first column may arrive while the previous tile's last column is in X.)
        m.d.comb += [self.t_addr.eq(t_ptr), self.t_en.eq(self.g_o_valid & self.g_o_first)]
        with m.If(self.g_o_valid & self.g_o_first):
            m.d.sync += t_ptr.eq(t_ptr + 1)
        # X0, X1, X2: the array's column, registered three times while the tile's thresholds
        # come out of the memory (two cycles), are registered as they are (the block RAM may be
        # far away), then decoded, so stage X compares registers with registers.
        x_first0, x_first1, x_first2 = Signal(), Signal(), Signal()
        x_acc0 = [Signal(signed(self._acc_width), name=f"x0_acc{r}") for r in range(rows)]
        x_acc1 = [Signal(signed(self._acc_width), name=f"x1_acc{r}") for r in range(rows)]
        x_acc2 = [Signal(signed(self._acc_width), name=f"x2_acc{r}") for r in range(rows)]
        m.d.sync += [x_valid0.eq(self.g_o_valid), x_last0.eq(self.g_o_last),
                     x_first0.eq(self.g_o_valid & self.g_o_first),
                     x_valid1.eq(x_valid0), x_last1.eq(x_last0), x_first1.eq(x_first0),
                     x_valid2.eq(x_valid1), x_last2.eq(x_last1), x_first2.eq(x_first1)]
        m.d.sync += [x_acc0[r].eq(self.g_o_acc[r]) for r in range(rows)]
        m.d.sync += [x_acc1[r].eq(x_acc0[r]) for r in range(rows)]
        m.d.sync += [x_acc2[r].eq(x_acc1[r]) for r in range(rows)]
        t_raw = [Signal(signed(32), name=f"t_raw{r}") for r in range(rows)]
        t_raw_neg = Signal(rows)
        with m.If(x_first1):
            m.d.sync += [t_raw[r].eq(self.t_data[r]) for r in range(rows)]
            m.d.sync += t_raw_neg.eq(self.t_neg)
        # The compare is one short carry chain per channel (timing). A threshold T beyond the
        # accumulator's range is kept as two flags (always / never crossed); one within it is
        # kept as the addend that turns the compare into a sign: acc >= T  <=>  acc + (-T) >= 0,
        # and acc <= T  <=>  acc + ~T < 0  (~T = -T-1), both in acc_width + 2 bits.
        aw = self._acc_width
        t_add = [Signal(signed(aw + 1), name=f"t_add{r}") for r in range(rows)]
        t_above = Signal(rows)      # T > the largest accumulator
        t_below = Signal(rows)      # T < the smallest accumulator
        t_neg = Signal(rows)
        with m.If(x_first2):
            for r in range(rows):
                t_low = t_raw[r][:aw + 1].as_signed()
                m.d.sync += [t_add[r].eq(Mux(t_raw_neg[r], ~t_low, -t_low)),
                             t_above[r].eq(t_raw[r] > (1 << (aw - 1)) - 1),
                             t_below[r].eq(t_raw[r] < -(1 << (aw - 1)))]
            m.d.sync += t_neg.eq(t_raw_neg)
        x_acc = [Signal(signed(self._acc_width), name=f"x_acc{r}") for r in range(rows)]
        m.d.sync += [x_valid.eq(x_valid2), x_last.eq(x_last2)]
        m.d.sync += [x_acc[r].eq(x_acc2[r]) for r in range(rows)]
        with m.If(x_valid & x_last):
            m.d.sync += [d_tile.eq(d_tile + 1), last_tile.eq(d_tile == r_tiles_m2),
                         pos.eq(pos + rows)]
            with m.If(pos + rows == 32):
                m.d.sync += aw_ptr.eq(aw_ptr + 1)
        m.d.comb += self.tile_done.eq(x_valid & x_last)
        keep = Signal(rows)
        m.d.comb += keep.eq(Mux(last_tile, r_last_keep, (1 << rows) - 1))

        y_end = Signal()
        y_bits = Signal(rows)
        y_pos = Signal(5)
        y_keep = Signal(rows)
        y_addr = Signal(16)
        y_col = Signal(cols)                 # one-hot column bank
        y_acc = [Signal(32, name=f"y_acc{r}") for r in range(rows)]
        col_oh = Signal(cols, init=1)
        with m.If(x_valid):
            m.d.sync += col_oh.eq(Mux(x_last, 1, col_oh.rotate_left(1)) if cols > 1 else 1)
        m.d.sync += [y_valid.eq(x_valid), y_end.eq((pos == 32 - rows) | last_tile),
                     y_pos.eq(pos), y_keep.eq(keep), y_addr.eq(aw_ptr), y_col.eq(col_oh)]
        # X registers the sum's sign and the forcing flags; Y turns them into the output bit:
        # d = +1 crosses when the sign is 0, d = -1 when it is 1; a missing row (keep = 0) or
        # a threshold out of range forces the bit.
        y_sign, y_neg, y_force1, y_force0 = Signal(rows), Signal(rows), Signal(rows), Signal(rows)
        m.d.sync += y_neg.eq(t_neg)
        for r in range(rows):
            total = x_acc[r].as_signed() + t_add[r]          # acc_width + 2 bits: exact
            m.d.sync += [y_sign[r].eq(total[-1]), y_acc[r].eq(x_acc[r]),
                         y_force1[r].eq(keep[r] & Mux(t_neg[r], t_above[r], t_below[r])),
                         y_force0[r].eq(~keep[r] | Mux(t_neg[r], t_below[r], t_above[r]))]
        m.d.comb += y_bits.eq(y_force1 | (~y_force0 & ~(y_sign ^ y_neg)))

        # Partial output words rotate through a ring, one entry per column.
        ring = [Signal(32, name=f"ring{c}") for c in range(cols)]
        word = Signal(32)
        m.d.comb += word.eq(ring[0] | (y_bits << y_pos))
        # Z: the buffer writes leave from flip-flops (the shift above and the buffers' host/
        # sequencer mux would otherwise share one cycle with the route to the block RAM).
        m.d.sync += [self.aw_addr.eq(y_addr), self.aw_data.eq(word), self.s_addr.eq(s_ptr),
                     self.aw_en.eq(0), self.s_en.eq(0), z_valid.eq(y_valid)]
        for r in range(rows):
            m.d.sync += self.s_data[r].eq(y_acc[r])
        with m.If(y_valid):
            for c in range(cols - 1):
                m.d.sync += ring[c].eq(ring[c + 1])
            m.d.sync += ring[cols - 1].eq(Mux(y_end, 0, word))
            with m.If(r_scores):
                m.d.sync += [self.s_en.eq(y_keep), s_ptr.eq(s_ptr + 1)]
            with m.Elif(y_end):
                m.d.sync += self.aw_en.eq(y_col)
        return m
