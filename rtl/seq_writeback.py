"""Write-back: a finished tile's accumulators to thresholded, packed outputs or to scores.

The array hands over one column (input vector) per cycle. Per row (output channel
``m = t*rows + r``) a binary layer compares the accumulator with the channel's threshold and
sets bit ``m % 32`` of activation word ``A_OUT + m//32`` of that column's bank (pad bits 0); the
scores layer writes the accumulator to row bank ``r``, word ``A_OUT + t*cols + c``. The
thresholds of a tile are one entry of each row bank (``T_BASE + t``), read once per tile.

Stages: X0-X2 register the column while the thresholds come out of the memory and are decoded;
X compares; Y assembles the word; Z writes (from flip-flops, timing).
"""

from amaranth import *
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .seq_decode import layer_fields

__all__ = ["WriteBack"]


class WriteBack(wiring.Component):
    """``load`` starts a layer with ``fields``; ``idle`` and ``all_tiles`` say it is written back.

    Parameters
    ----------
    rows, cols : int
        Array geometry (``rows`` <= 32: a tile's outputs share one word).
    acc_width : int
        Signed width of the array's accumulators.
    a_depth, t_depth, s_depth : int
        Words per activation column bank / threshold and score row bank.
    planes : bool
        Scores of a plane op (``fields.score_offset``): ``(acc + offset) >> score_shift``, the
        int32 offset of class ``m`` in its threshold entry (``rtl/ops/dense_planes.py``).
    abortable : bool
        A run may stop in the middle of a layer (the sparse datapath's index check): clear
        the partial output words at ``load``.
    conv : bool
        Conv layers (``pixels_m1``, ``flat``): a layer is several output pixels of ``tiles``
        tiles each. Without it a layer is one pixel, and the pixel counters are not built.
    """

    def __init__(self, *, rows, cols, acc_width, a_depth, t_depth, s_depth, planes=False,
                 abortable=False, conv=False):
        self._rows, self._cols, self._acc_width = rows, cols, acc_width
        self._planes = bool(planes)
        self._abortable = abortable
        self._conv = bool(conv)
        pixel_ports = {
            # conv layers: output pixels - 1 (0 for dense); ``fields.tiles`` is then the tiles of
            # one pixel, and each pixel's channels start a new output word (HWC, per-pixel padded)
            "pixels_m1": In(16),
            # ... or, with ``flat``, the pixels' channels packed back to back (a flattened HWC
            # vector for a following dense layer; C_out a multiple of ROWS)
            "flat": In(1),
        } if self._conv else {}
        super().__init__({
            "load": In(1), "fields": In(layer_fields(rows)), **pixel_ports,
            "idle": Out(1), "all_tiles": Out(1), "tile_done": Out(1),
            "g_o_valid": In(1), "g_o_last": In(1), "g_o_first": In(1),
            "g_o_acc": In(data.ArrayLayout(signed(acc_width), rows)),
            # thresholds: one entry per row bank (2-cycle latency)
            "t_addr": Out(range(t_depth)), "t_en": Out(1),
            "t_data": In(data.ArrayLayout(signed(32), rows)), "t_neg": In(rows),
            # activation write-back: one column bank per cycle
            "aw_addr": Out(range(a_depth)), "aw_en": Out(cols), "aw_data": Out(32),
            # scores: one per row bank
            "s_addr": Out(range(s_depth)), "s_en": Out(rows),
            "s_data": Out(data.ArrayLayout(32, rows)),
        })

    def elaborate(self, platform):
        m = Module()
        rows, cols, aw = self._rows, self._cols, self._acc_width
        f = self.fields
        r_tiles, r_tiles_m2 = Signal(12), Signal(12)
        r_last_keep = Signal(rows)
        r_scores = Signal()
        d_tile = Signal(12)             # tiles of the current pixel written back
        # Pixels (conv builds): a dense layer is one pixel, and only a done flag is built.
        pix_bits = 17 if self._conv else 1
        r_pixels = Signal(pix_bits)
        d_pix = Signal(pix_bits)        # pixels written back (dense: one pixel of all tiles)
        r_flat = Signal()
        last_pix = Signal()             # the tile in X belongs to the layer's last pixel
        t_ptr = Signal(16)              # threshold word of the next tile to leave the array
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
        m.d.comb += [self.idle.eq(~x_valid0 & ~x_valid1 & ~x_valid2 & ~x_valid & ~y_valid & ~z_valid),
                     self.all_tiles.eq(d_pix == r_pixels)]

        # Per-tile facts (which rows exist, bit position, word address) are counters, not
        # arithmetic on the tile index, to keep the path short.
        # (A tile's first column may arrive while the previous tile's last column is in X.)
        m.d.comb += [self.t_addr.eq(t_ptr), self.t_en.eq(self.g_o_valid & self.g_o_first)]
        with m.If(self.g_o_valid & self.g_o_first):
            m.d.sync += t_ptr.eq(t_ptr + 1)
        if self._conv:
            t_cnt = Signal(12)          # tile of its pixel of the next tile to leave the array
            r_t_base = Signal(16)
            with m.If(self.g_o_valid & self.g_o_first):
                m.d.sync += t_cnt.eq(t_cnt + 1)
                with m.If(t_cnt == r_tiles - 1):    # a pixel's thresholds start again
                    m.d.sync += [t_ptr.eq(r_t_base), t_cnt.eq(0)]
        # X0, X1, X2: the array's column, registered three times while the tile's thresholds
        # come out of the memory (two cycles), are registered as they are (the block RAM may be
        # far away), then decoded, so stage X compares registers with registers.
        x_first0, x_first1, x_first2 = Signal(), Signal(), Signal()
        x_acc0 = [Signal(signed(aw), name=f"x0_acc{r}") for r in range(rows)]
        x_acc1 = [Signal(signed(aw), name=f"x1_acc{r}") for r in range(rows)]
        x_acc2 = [Signal(signed(aw), name=f"x2_acc{r}") for r in range(rows)]
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
        x_acc = [Signal(signed(aw), name=f"x_acc{r}") for r in range(rows)]
        m.d.sync += [x_valid.eq(x_valid2), x_last.eq(x_last2)]
        m.d.sync += [x_acc[r].eq(x_acc2[r]) for r in range(rows)]
        score = x_acc                   # what a scores layer writes, per row
        if self._planes:
            # Plane op scores: the tile's offsets are taken with t_add (same timing), added and
            # shifted in X (exact: the loader's sum is a multiple of 2^score_shift).
            s_off = [Signal(signed(32), name=f"s_off{r}") for r in range(rows)]
            r_sshift, r_soff = Signal(2), Signal()
            with m.If(x_first2):
                m.d.sync += [s_off[r].eq(Mux(r_soff, t_raw[r], 0)) for r in range(rows)]
            score = []
            for r in range(rows):
                tot = Signal(signed(33), name=f"s_tot{r}")
                m.d.comb += tot.eq(x_acc[r] + s_off[r])
                sc = Signal(signed(33), name=f"s_sc{r}")
                with m.Switch(r_sshift):
                    for k in range(4):
                        with m.Case(k):
                            m.d.comb += sc.eq(tot >> k)
                score.append(sc)
        with m.If(x_valid & x_last):
            m.d.sync += [d_tile.eq(d_tile + 1), last_tile.eq(d_tile == r_tiles_m2),
                         pos.eq(pos + rows)]
            with m.If(pos + rows == 32):
                m.d.sync += aw_ptr.eq(aw_ptr + 1)
            with m.If(last_tile):               # the pixel's last tile ends its output word
                m.d.sync += [d_tile.eq(0), last_tile.eq(r_tiles == 1), d_pix.eq(d_pix + 1)]
                if self._conv:
                    m.d.sync += last_pix.eq(d_pix + 2 == r_pixels)
                with m.If(~r_flat):
                    m.d.sync += [pos.eq(0), aw_ptr.eq(aw_ptr + 1)]
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
        m.d.sync += [y_valid.eq(x_valid), y_end.eq((pos == 32 - rows) | (last_tile & (~r_flat | last_pix))),
                     y_pos.eq(pos), y_keep.eq(keep), y_addr.eq(aw_ptr), y_col.eq(col_oh)]
        # X registers the sum's sign and the forcing flags; Y turns them into the output bit:
        # d = +1 crosses when the sign is 0, d = -1 when it is 1; a missing row (keep = 0) or
        # a threshold out of range forces the bit.
        y_sign, y_neg, y_force1, y_force0 = Signal(rows), Signal(rows), Signal(rows), Signal(rows)
        m.d.sync += y_neg.eq(t_neg)
        for r in range(rows):
            total = x_acc[r].as_signed() + t_add[r]          # acc_width + 2 bits: exact
            m.d.sync += [y_sign[r].eq(total[-1]), y_acc[r].eq(score[r]),
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
        # A layer loads only when the previous one is written back (the pipeline is empty).
        with m.If(self.load):
            m.d.sync += [r_tiles.eq(f.tiles), r_tiles_m2.eq(f.tiles_m2), r_last_keep.eq(f.last_keep),
                         r_scores.eq(f.scores), d_tile.eq(0), last_tile.eq(f.tiles == 1), pos.eq(0),
                         aw_ptr.eq(f.a_out), s_ptr.eq(f.a_out), t_ptr.eq(f.t_base), d_pix.eq(0)]
            if self._conv:
                m.d.sync += [r_t_base.eq(f.t_base), t_cnt.eq(0), r_pixels.eq(self.pixels_m1 + 1),
                             r_flat.eq(self.flat), last_pix.eq(self.pixels_m1 == 0)]
            else:
                m.d.sync += [r_pixels.eq(1), last_pix.eq(1)]
            if self._planes:
                m.d.sync += [r_sshift.eq(f.score_shift), r_soff.eq(f.score_offset)]
            if self._abortable:
                # A run stopped in the middle of a layer (an error found while it ran) leaves
                # partial words in the ring: none may reach the next layer's output.
                m.d.sync += [ring[c].eq(0) for c in range(cols)]
        return m
