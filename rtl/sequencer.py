"""The layer sequencer: descriptors in, tiled array schedule and thresholded outputs out.

For each layer descriptor (see ``rtl/regmap.py``) the sequencer

1. reads the descriptor from the descriptor memory and checks it (unsupported kind or encoding,
   zero shapes, a range that runs past a buffer, a scores layer that is not last): any failure
   stops the run with an error cause and the layer number, never a hang;
2. walks the output tiles ``t = 0 .. ceil(M/rows)-1`` and, inside each, the reduction words
   ``k = 0 .. ceil(N/32)-1``: every cycle it reads one weight word per row bank
   (``W_BASE + t*W + k``) and one activation word per column bank (``A_IN + k``) and hands them to
   the compute grid with ``first``/``last`` marks;
3. drains each finished tile one row (output channel) per cycle from a shadow copy, while the
   next tile is already computing (double-buffered results: a tile's drain of ``rows`` cycles is
   hidden behind the next tile's ``W`` compute cycles whenever ``W >= rows``). Per column it turns
   the mismatch count into the accumulator ``acc = N - 2*mismatches`` and either compares it with
   the channel's threshold (binary output: bit ``m % 32`` of activation word ``A_OUT + m//32``,
   pad bits 0) or writes it to the score buffer (``A_OUT + m``).

Layers run back to back; a layer starts only when the previous one is fully written back.
"""

from amaranth import *
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .regmap import Cause, DESC_WORDS, MAX_LAYERS

__all__ = ["Sequencer"]


def _bits(n):
    return max(1, int(n).bit_length())


class Sequencer(wiring.Component):
    """Runs ``n_layers`` descriptors over the buffers and the compute grid.

    Parameters
    ----------
    rows, cols : int
        Array geometry (powers of two; ``rows`` <= 32 so a tile's outputs share one word).
    w_depth, a_depth, t_depth, s_depth : int
        Buffer depths in words per bank (thresholds: entries).
    grid_latency : int
        Cycles from a word pair entering the grid to its ``o_valid`` (for the last word of a tile).
    mism_width : int
        Width of the grid's mismatch counts.
    """

    def __init__(self, *, rows, cols, w_depth, a_depth, t_depth, s_depth, grid_latency, mism_width):
        for name, v in (("rows", rows), ("cols", cols)):
            if not isinstance(v, int) or v < 1 or v & (v - 1):
                raise TypeError(f"{name} must be a power of two, not {v!r}")
        if rows > 32:
            raise ValueError(f"rows must be at most 32 (one output word per tile), not {rows}")
        for name, v in (("w_depth", w_depth), ("a_depth", a_depth), ("t_depth", t_depth),
                        ("s_depth", s_depth)):
            if not isinstance(v, int) or not 2 <= v <= 65535:
                raise TypeError(f"{name} must be an integer in 2..65535, not {v!r}")
        self._rows, self._cols = rows, cols
        self._w_depth, self._a_depth, self._t_depth, self._s_depth = w_depth, a_depth, t_depth, s_depth
        self._grid_latency = grid_latency
        self._mism_width = mism_width
        super().__init__({
            "start": In(1), "n_layers": In(8),
            "busy": Out(1), "done": Out(1),          # done: one-cycle pulse at the end of a run
            "err": Out(1), "err_cause": Out(4), "layer": Out(4),
            "active": Out(1), "tile_done": Out(1),   # perf strobes
            # descriptor memory read port (1-cycle latency)
            "d_addr": Out(_bits(MAX_LAYERS * DESC_WORDS - 1)), "d_en": Out(1), "d_data": In(32),
            # weight / activation reads
            "w_addr": Out(_bits(w_depth - 1)), "w_en": Out(1),
            "a_addr": Out(_bits(a_depth - 1)), "a_en": Out(1),
            # activation write-back
            "aw_addr": Out(_bits(a_depth - 1)), "aw_en": Out(1), "aw_data": Out(data.ArrayLayout(32, cols)),
            # thresholds (1-cycle latency)
            "t_addr": Out(_bits(t_depth - 1)), "t_en": Out(1), "t_data": In(signed(32)), "t_neg": In(1),
            # scores
            "s_addr": Out(_bits(s_depth - 1)), "s_en": Out(1), "s_data": Out(data.ArrayLayout(32, cols)),
            # compute grid (inputs are the buffers' read data, marks delayed to match)
            "g_valid": Out(1), "g_first": Out(1), "g_last": Out(1),
            "g_o_valid": In(1), "g_o_mism": In(data.ArrayLayout(mism_width, rows * cols)),
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

        # ---- descriptor fields -------------------------------------------------------------
        cfg = Signal(32)
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

        m.d.comb += [self.layer.eq(layer)]
        di = Signal(4)              # descriptor word being read

        # ---- fetch counters ------------------------------------------------------------------
        k = Signal(12)
        t = Signal(12)
        wptr = Signal(_bits(self._w_depth - 1) + 1)
        fetching = Signal()

        # ---- drain state -----------------------------------------------------------------------
        shadow = [Signal(self._mism_width * cols, name=f"shadow{r}") for r in range(rows)]
        d_left = Signal(range(rows + 1))    # rows of the current tile still to drain
        d_m = Signal(16)                     # channel at drain stage 0
        d_tile = Signal(12)                  # tiles drained so far (started)
        d1_valid = Signal()
        d1_m = Signal(16)
        d1_row = Signal(self._mism_width * cols)
        outw = [Signal(32, name=f"outw{c}") for c in range(cols)]

        # Marks travel with the 1-cycle buffer read latency.
        f_valid, f_first, f_last = Signal(), Signal(), Signal()
        m.d.sync += [self.g_valid.eq(f_valid), self.g_first.eq(f_first), self.g_last.eq(f_last)]
        m.d.comb += self.active.eq(self.g_valid)

        err_cause = Signal(4)
        m.d.comb += [self.err_cause.eq(err_cause)]

        def fail(cause):
            m.d.sync += [self.err.eq(1), err_cause.eq(cause)]
            m.next = "FINISH"

        m.d.sync += [self.err.eq(0), self.done.eq(0)]
        m.d.comb += [self.w_addr.eq(wptr), self.a_addr.eq(a_in + k)]
        m.d.comb += [self.w_en.eq(f_valid), self.a_en.eq(f_valid)]

        with m.FSM():
            with m.State("IDLE"):
                with m.If(self.start):
                    m.d.sync += [n_layers.eq(self.n_layers), layer.eq(0), di.eq(0)]
                    with m.If((self.n_layers == 0) | (self.n_layers > MAX_LAYERS)):
                        m.d.sync += [self.busy.eq(1)]
                        fail(Cause.BAD_LAYER_COUNT)
                    with m.Else():
                        m.d.sync += self.busy.eq(1)
                        m.next = "DESC"
            with m.State("DESC"):
                # Read words 0..6; word i arrives one cycle after its address.
                m.d.comb += [self.d_addr.eq(Cat(di[:3], layer)), self.d_en.eq(1)]
                m.d.sync += di.eq(di + 1)
                for i, sig in enumerate([cfg, n_in, n_out, w_base, a_in, a_out, t_base]):
                    with m.If(di == i + 1):
                        m.d.sync += sig.eq(self.d_data)
                        if i:
                            m.d.sync += high[i].eq(self.d_data[16:] != 0)
                with m.If(di == 7):
                    m.next = "CHECK0"
            with m.State("CHECK0"):
                last = layer == n_layers - 1
                m.d.sync += [words.eq((n_in + 31) >> 5), tiles.eq((n_out + rows - 1) >> rb),
                             scores.eq(cfg[12:16] == 0)]
                with m.If((cfg[0:4] != 1) | (cfg[4:8] != 1) | (cfg[8:12] != 1) | (cfg[12:16] > 1)):
                    fail(Cause.UNSUPPORTED_LAYER)
                with m.Elif(last != (cfg[12:16] == 0)):
                    fail(Cause.SCORES_NOT_LAST)
                with m.Elif(high[1] | high[2] | (n_in == 0) | (n_out == 0)):
                    fail(Cause.BAD_SHAPE)
                with m.Else():
                    m.next = "CHECK1"
            with m.State("CHECK1"):
                m.d.sync += wtotal.eq(tiles * words)
                m.next = "CHECK2"
            with m.State("CHECK2"):
                out_words = Mux(scores, 0, (n_out + 31) >> 5)
                with m.If(high[3] | (w_base + wtotal > self._w_depth)):
                    fail(Cause.WBUF_OVERFLOW)
                with m.Elif(high[4] | (a_in + words > self._a_depth) |
                            (~scores & (high[5] | (a_out + out_words > self._a_depth)))):
                    fail(Cause.ABUF_OVERFLOW)
                with m.Elif(~scores & (high[6] | (t_base + n_out > self._t_depth))):
                    fail(Cause.TBUF_OVERFLOW)
                with m.Elif(scores & (high[5] | (a_out + n_out > self._s_depth))):
                    fail(Cause.SBUF_OVERFLOW)
                with m.Else():
                    m.d.sync += [k.eq(0), t.eq(0), wptr.eq(w_base), d_tile.eq(0), fetching.eq(1)]
                    m.next = "RUN"
            with m.State("RUN"):
                # A new tile may start only if the drain of the previous one ends before its results.
                can = fetching & ((k != 0) | (d_left <= words))
                m.d.comb += [f_valid.eq(can), f_first.eq(k == 0), f_last.eq(k == words - 1)]
                with m.If(can):
                    m.d.sync += [wptr.eq(wptr + 1), k.eq(k + 1)]
                    with m.If(k == words - 1):
                        m.d.sync += [k.eq(0), t.eq(t + 1)]
                        with m.If(t == tiles - 1):
                            m.d.sync += fetching.eq(0)
                with m.If(~fetching & (d_tile == tiles) & (d_left == 0) & ~d1_valid):
                    with m.If(layer == n_layers - 1):
                        m.next = "FINISH"
                    with m.Else():
                        m.d.sync += [layer.eq(layer + 1), di.eq(0)]
                        m.next = "DESC"
            with m.State("FINISH"):
                m.d.sync += [self.busy.eq(0), self.done.eq(1), fetching.eq(0)]
                m.next = "IDLE"

        # ---- drain: stage 0 reads the threshold, stage 1 compares and writes ----------------
        with m.If(self.g_o_valid):
            # Results of a finished tile into the shadow (the schedule guarantees it is free).
            for r in range(rows):
                m.d.sync += shadow[r].eq(Cat(self.g_o_mism[r * cols + c] for c in range(cols)))
            m.d.sync += [d_left.eq(Mux(n_out - (d_tile << rb) >= rows, rows, n_out - (d_tile << rb))),
                         d_m.eq(d_tile << rb), d_tile.eq(d_tile + 1)]
            m.d.comb += self.tile_done.eq(1)
        with m.Elif(d_left != 0):
            for r in range(rows - 1):
                m.d.sync += shadow[r].eq(shadow[r + 1])
            m.d.sync += [d_left.eq(d_left - 1), d_m.eq(d_m + 1)]
        m.d.comb += [self.t_addr.eq(t_base + d_m), self.t_en.eq(d_left != 0)]
        m.d.sync += [d1_valid.eq((d_left != 0) & ~self.g_o_valid), d1_m.eq(d_m), d1_row.eq(shadow[0])]

        mw = self._mism_width
        accs = []
        for c in range(cols):
            acc = Signal(signed(mw + 2), name=f"acc{c}")
            m.d.comb += acc.eq(n_in - (d1_row[c * mw:(c + 1) * mw] << 1))
            accs.append(acc)
        pos = d1_m[:5]
        word_end = (pos == 31) | (d1_m == n_out - 1)
        m.d.comb += [self.aw_addr.eq(a_out + d1_m[5:]), self.s_addr.eq(a_out + d1_m)]
        with m.If(d1_valid):
            for c in range(cols):
                bit = Signal(name=f"bit{c}")
                m.d.comb += bit.eq(Mux(self.t_neg, accs[c] <= self.t_data, accs[c] >= self.t_data))
                word = outw[c] | (bit.as_unsigned() << pos)
                m.d.comb += [self.aw_data[c].eq(word), self.s_data[c].eq(accs[c])]
                m.d.sync += outw[c].eq(Mux(word_end, 0, word))
            m.d.comb += [self.aw_en.eq(~scores & word_end), self.s_en.eq(scores)]
        return m
