"""Conv fetch: the conv2d tap loops, addressing the weight and activation banks in hardware.

One array reduction is one conv output position ``(oy, ox)`` x ``ROWS`` output channels of
channel tile ``t``; columns stay images. Loop order, outermost first (see
``rtl/ops/conv_xnor.py``): pooled position ``(py, px)`` -> channel tile ``t`` -> pool window
offset ``(dy, dx)`` -> tap ``(ky, kx)`` -> word ``k``, with ``oy = py*POOL + dy`` (so max-pool
needs one running value per PE in the write-back) and input pixel
``(iy, ix) = (oy*S + ky - P, ox*S + kx - P)``, word ``A_IN + (iy*IN_W + ix)*W + k``.

All addresses are kept incrementally (no multiplier in the loop): a tap's ``W`` words and the
``K`` taps of a kernel row are consecutive pixels, so the pointer only steps by 1, by
``IN_W*W - K*W + 1`` at the end of a kernel row, and jumps to the next window's top-left corner
(kept per loop level) at the end of a reduction. The strides per level are products of the
descriptor fields, computed once per layer by shift-and-add (``SETUP``, 16 cycles).

Planes builds (``planes=True``, ``rtl/ops/conv_planes.py``): a u8 conv runs, per tap, the
passes of a :class:`~bittern.rtl.seq_passes.PassLoop` (weight plane ``p`` outer, pixel plane
``q`` inner), each over the tap's ``W`` words: the pointer steps by 1 within a pass and to the
next plane, goes back to the pixel's first word (``1 - W*Pa``) for the next weight plane, and
the weight pointer back to the plane's first word (``wrow``) for the next pixel plane; a pixel
is ``W*Pa`` words (``a_words``), a tap's weights ``W*Pw`` (``w_words``). ``g_shift`` carries the
pass's shift. Its padding taps feed 0 as the activation only (``g_pad`` without ``g_pad_w``: a
zero pixel, which the folded constant accounts for) and carry no correction.

Padding: a tap outside the input map is still fetched (its words are read and ignored) but
``g_pad`` marks it, and the accelerator feeds 0 for *both* operands, so it costs no mismatch.
The XNOR array's output stage counts it in ``n`` though (``out_acc = n - 2*mismatches`` with one
``n = K*K*C_in`` per layer): rather than change ``n`` per tile (the array requires ``n`` held
while a tile drains, and the next tile, another position with another valid count, is already
being computed), each reduction carries ``g_corr`` = (padded taps) x ``C_in`` and the write-back
subtracts it before the pool: ``acc = n_valid - 2*mismatches``, the contract's value.
"""

from amaranth import *
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .seq_decode import layer_fields
from .seq_passes import SHIFT_BITS, PassLoop

__all__ = ["ConvFetch", "conv_fields", "SETUP_CYCLES"]

SETUP_CYCLES = 18           # load -> first word (two shift-and-add phases of 8 steps, 2 more)


def conv_fields(*, planes=False):
    """What the conv fetch needs of a decoded conv descriptor (``planes``: a planes build's)."""
    return data.StructLayout({
        "in_h": 8, "in_w": 8, "words": 12,       # W = ceil(C_in/32) words per pixel (plane)
        "n_in": 16,                              # C_in
        "kernel": 3, "stride": 2, "pad": 3, "pool": 3,
        "out_h": 8, "out_w": 8,                  # pooled output map
        "tiles": 12,                             # ceil(C_out/ROWS)
        "a_in": 16, "w_base": 16,
        # planes builds: words of a pixel (W*Pa), of a tap's weights (W*Pw); a u8 layer's passes
        **({"a_words": 16, "w_words": 16, "passes": 1} if planes else {}),
    })


class ConvFetch(wiring.Component):
    """``load`` starts a conv layer with ``fields``; ``busy`` falls after its last word is read.

    Parameters
    ----------
    cols : int
        Array columns: two reductions start at least ``cols`` cycles apart (the array drains a
        tile over ``cols`` cycles).
    w_depth, a_depth : int
        Words per weight row bank / activation column bank.
    planes : bool
        Run u8 convs as binary passes (see above): adds ``pfields`` (the decoded descriptor's
        plane fields, :func:`~bittern.rtl.seq_decode.layer_fields` of ``rows``), ``g_shift``
        and ``g_pad_w``.
    rows : int
        Array rows (planes builds: the ``pfields`` layout).

    The ``g_*`` outputs are aligned with the buffers' read data (2-cycle latency);
    ``g_corr``, ``g_pool_first`` and ``g_pool_last`` belong to the reduction whose ``g_last``
    word they come with.
    """

    def __init__(self, *, cols, w_depth, a_depth, planes=False, rows=1):
        for name, v in (("cols", cols), ("rows", rows)):
            if not isinstance(v, int) or v < 1:
                raise TypeError(f"{name} must be a positive integer, not {v!r}")
        for name, v in (("w_depth", w_depth), ("a_depth", a_depth)):
            if not isinstance(v, int) or not 2 <= v <= 65535:
                raise TypeError(f"{name} must be an integer in 2..65535, not {v!r}")
        self._cols, self._rows, self._planes = cols, rows, bool(planes)
        extra = {"pfields": In(layer_fields(rows)), "g_shift": Out(SHIFT_BITS),
                 "g_pad_w": Out(1)} if self._planes else {}
        super().__init__({**extra,
            "load": In(1), "fields": In(conv_fields(planes=self._planes)), "stop": In(1),
            "busy": Out(1),
            "w_addr": Out(range(w_depth)), "w_en": Out(1),
            "a_addr": Out(range(a_depth)), "a_en": Out(1),
            "g_valid": Out(1), "g_first": Out(1), "g_last": Out(1), "g_pad": Out(1),
            "g_n": Out(24), "g_corr": Out(24), "g_pool_first": Out(1), "g_pool_last": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        cols = self._cols
        f = self.fields
        PW = 21                         # signed pointer width (real addresses are 16-bit)
        planes = self._planes
        # The layer's fields, copied at load (the decoder moves on to the next descriptor).
        r = Signal(conv_fields(planes=planes))
        a_words = r.a_words if planes else r.words      # words of a pixel
        # Per-layer products (SETUP).
        row_w = Signal(20)              # IN_W * W: one input row
        k_w = Signal(20)                # K * W: one kernel row of taps
        kk = Signal(8)                  # K * K
        kk_w = Signal(20)               # K * K * W (* Pw): one reduction (weights of a channel tile)
        kw_w = Signal(20) if planes else k_w    # K * W * Pw: a kernel row of tap weights
        pad_off = Signal(20)            # P * (IN_W*W + W): top-left corner offset of the padding
        c_step = Signal(20)             # S * W: next dx
        r_step = Signal(20)             # S * IN_W * W: next dy
        pc_step = Signal(20)            # POOL * S * W: next px
        pr_step = Signal(20)            # POOL * S * IN_W * W: next py
        n_full = Signal(24)             # K * K * C_in: the array's n
        m.d.comb += self.g_n.eq(n_full)
        s_sh = Signal(2)                # S - 1 (shift)
        m.d.comb += s_sh.eq(r.stride - 1)
        pix_step = Signal(5)            # POOL * S (input pixels per pooled position)
        row_skip = Signal(signed(PW))   # pointer step at the end of a kernel row: IN_W*W - K*W + 1
        bit = Signal(3)

        # Loop counters, innermost first, and the window corners per level.
        kw, t = Signal(12), Signal(12)
        kx, ky, dx, dy = (Signal(3, name=n) for n in ("kx", "ky", "dx", "dy"))
        px, py = Signal(8), Signal(8)
        aptr, wptr, tw = Signal(signed(PW)), Signal(16), Signal(16)
        iy, ix = Signal(signed(10)), Signal(signed(10))
        win_a, wrow_a, pp_a, pprow_a = (Signal(signed(PW), name=n) for n in
                                        ("win_a", "wrow_a", "pp_a", "pprow_a"))
        win_ix, wrow_iy, pp_ix, pprow_iy = (Signal(signed(10), name=n) for n in
                                            ("win_ix", "wrow_iy", "pp_ix", "pprow_iy"))
        corr = Signal(24)
        neg_p = Signal(signed(10))
        m.d.comb += neg_p.eq(-r.pad)

        fetching = self.busy            # from load to the last word
        running = Signal()              # the tap loops run (after SETUP)
        gap = Signal(range(cols + 1))
        gap_full = Signal()

        kw_last = kw == r.words - 1
        kx_last = kx == r.kernel - 1
        ky_last = ky == r.kernel - 1
        dx_last = dx == r.pool - 1
        dy_last = dy == r.pool - 1
        red_first = (kw == 0) & (kx == 0) & (ky == 0)
        red_last = kw_last & kx_last & ky_last
        pad = (iy < 0) | (iy >= r.in_h) | (ix < 0) | (ix >= r.in_w)
        pad_tap = pad & (kw == 0)       # counted once per tap
        if planes:
            m.submodules.passes = pl = PassLoop(rows=self._rows)
            wplane = Signal(16)             # first word of the tap's current weight plane
            a_back = Signal(signed(PW))     # 1 - W*Pa: back to the pixel's first word
            m.d.comb += [pl.load.eq(self.load), pl.fields.eq(self.pfields)]
            red_first = red_first & pl.first
            red_last = red_last & pl.last
            pad_tap = pad_tap & pl.first & ~r.passes    # a u8 layer's pad taps: zero pixels

        can = Signal()
        m.d.comb += can.eq(running & (~red_first | gap_full))
        if planes:
            m.d.comb += pl.step.eq(can & kw_last)       # a pass ends with its last word
        corr_now = Signal(24)           # this reduction's correction including this word
        m.d.comb += corr_now.eq(Mux(red_first, 0, corr) + Mux(pad_tap, r.n_in, 0))

        # Marks travel with the buffers' 2-cycle read latency.
        f_marks = Cat(can, can & red_first, can & red_last, can & pad, corr_now,
                      (dx == 0) & (dy == 0), dx_last & dy_last,
                      *([can & pad & ~r.passes, Mux(can, pl.shift, 0)] if planes else []))
        f_marks1 = Signal.like(f_marks)
        m.d.sync += [f_marks1.eq(f_marks),
                     Cat(self.g_valid, self.g_first, self.g_last, self.g_pad, self.g_corr,
                         self.g_pool_first, self.g_pool_last,
                         *([self.g_pad_w, self.g_shift] if planes else [])).eq(f_marks1)]
        m.d.comb += [self.w_addr.eq(wptr), self.a_addr.eq(aptr[:16]),
                     self.w_en.eq(can), self.a_en.eq(can)]

        with m.If(can & red_first):
            m.d.sync += [gap.eq(1), gap_full.eq(cols == 1)]
        with m.Elif(~gap_full):
            m.d.sync += [gap.eq(gap + 1), gap_full.eq(gap + 1 == cols)]

        def set_w(v):       # the weight pointer at a tap's first word (planes: and wplane)
            return [wptr.eq(v)] + ([wplane.eq(v)] if planes else [])

        next_tap = [wplane.eq(wptr + 1)] if planes else []   # weights: the next tap's, at +1

        def start_window(a, iy_v, ix_v):
            m.d.sync += [aptr.eq(a), iy.eq(iy_v), ix.eq(ix_v)]

        def stoppable():
            with m.If(self.stop):
                m.d.sync += [fetching.eq(0), running.eq(0)]
                m.next = "IDLE"

        with m.FSM(name="conv_fetch"):
            with m.State("IDLE"):
                with m.If(self.load):
                    m.d.sync += [r.eq(f), bit.eq(0), row_w.eq(0), k_w.eq(0), kk.eq(0), kk_w.eq(0),
                                 pad_off.eq(0), pc_step.eq(0), pr_step.eq(0), n_full.eq(0),
                                 fetching.eq(1)]
                    if planes:
                        m.d.sync += kw_w.eq(0)
                    m.next = "SETUP_A"
            with m.State("SETUP_A"):
                # row_w = IN_W * W, k_w = K * W, kk = K * K: one bit of the small factor per cycle
                # (planes: W*Pa words a pixel, and kw_w = K * W*Pw).
                with m.If(r.in_w.bit_select(bit, 1)):
                    m.d.sync += row_w.eq(row_w + (a_words << bit))
                with m.If(r.kernel.bit_select(bit, 1)):
                    m.d.sync += [k_w.eq(k_w + (a_words << bit)), kk.eq(kk + (r.kernel << bit))]
                    if planes:
                        m.d.sync += kw_w.eq(kw_w + (r.w_words << bit))
                m.d.sync += bit.eq(bit + 1)
                with m.If(bit == 7):
                    m.next = "SETUP_A_END"
                stoppable()
            with m.State("SETUP_A_END"):
                m.d.sync += [r_step.eq(row_w << s_sh), c_step.eq(a_words << s_sh), bit.eq(0)]
                m.next = "SETUP_B"
                stoppable()
            with m.State("SETUP_B"):
                # kk_w = K * k_w, pad_off = P * (row_w + W), pc/pr_step = POOL * c/r_step,
                # n_full = kk * C_in, pix_step = POOL * S.
                with m.If(r.kernel.bit_select(bit, 1)):
                    m.d.sync += kk_w.eq(kk_w + (kw_w << bit))
                with m.If(r.pad.bit_select(bit, 1)):
                    m.d.sync += pad_off.eq(pad_off + ((row_w + a_words) << bit))
                with m.If(r.pool.bit_select(bit, 1)):
                    m.d.sync += [pc_step.eq(pc_step + (c_step << bit)),
                                 pr_step.eq(pr_step + (r_step << bit))]
                with m.If(kk.bit_select(bit, 1)):
                    m.d.sync += n_full.eq(n_full + (r.n_in << bit))
                m.d.sync += bit.eq(bit + 1)
                with m.If(bit == 7):
                    m.next = "SETUP_C"
                stoppable()
            with m.State("SETUP_C"):
                corner = r.a_in - pad_off
                m.d.sync += [pix_step.eq(r.pool << s_sh),
                             row_skip.eq(row_w.as_signed() - k_w.as_signed() + 1),
                             pprow_a.eq(corner), pp_a.eq(corner), wrow_a.eq(corner), win_a.eq(corner),
                             pprow_iy.eq(neg_p), wrow_iy.eq(neg_p), pp_ix.eq(neg_p), win_ix.eq(neg_p),
                             tw.eq(r.w_base), wptr.eq(r.w_base),
                             kw.eq(0), kx.eq(0), ky.eq(0), dx.eq(0), dy.eq(0), t.eq(0),
                             px.eq(0), py.eq(0), corr.eq(0),
                             gap.eq(cols), gap_full.eq(1), running.eq(1)]
                start_window(corner, neg_p, neg_p)
                if planes:
                    m.d.sync += [wplane.eq(r.w_base), a_back.eq(1 - a_words)]
                m.next = "RUN"
                stoppable()
            with m.State("RUN"):
                with m.If(can):
                    m.d.sync += [corr.eq(corr_now), wptr.eq(wptr + 1)]
                    with m.If(~kw_last):
                        m.d.sync += [kw.eq(kw + 1), aptr.eq(aptr + 1)]
                    if planes:
                        with m.Elif(~pl.last):
                            # The tap's next pass: the next pixel plane on this weight plane, or
                            # the next weight plane from the pixel's first plane.
                            m.d.sync += kw.eq(0)
                            with m.If(pl.same_w):
                                m.d.sync += [wptr.eq(wplane), aptr.eq(aptr + 1)]
                            with m.Else():
                                m.d.sync += [wplane.eq(wptr + 1), aptr.eq(aptr + a_back)]
                    with m.Elif(~kx_last):
                        m.d.sync += [kw.eq(0), kx.eq(kx + 1), ix.eq(ix + 1), aptr.eq(aptr + 1),
                                     *next_tap]
                    with m.Elif(~ky_last):
                        m.d.sync += [kw.eq(0), kx.eq(0), ky.eq(ky + 1), ix.eq(win_ix), iy.eq(iy + 1),
                                     aptr.eq(aptr + row_skip), *next_tap]
                    with m.Else():
                        # The reduction's last word: on to the next window.
                        m.d.sync += [kw.eq(0), kx.eq(0), ky.eq(0)]
                        with m.If(~dx_last):
                            n_a, n_ix = win_a + c_step, win_ix + r.stride
                            m.d.sync += [dx.eq(dx + 1), win_a.eq(n_a), win_ix.eq(n_ix), *set_w(tw)]
                            start_window(n_a, wrow_iy, n_ix)
                        with m.Elif(~dy_last):
                            n_a, n_iy = wrow_a + r_step, wrow_iy + r.stride
                            m.d.sync += [dx.eq(0), dy.eq(dy + 1), wrow_a.eq(n_a), wrow_iy.eq(n_iy),
                                         win_a.eq(n_a), win_ix.eq(pp_ix), *set_w(tw)]
                            start_window(n_a, n_iy, pp_ix)
                        with m.Elif(t != r.tiles - 1):
                            m.d.sync += [dx.eq(0), dy.eq(0), t.eq(t + 1), tw.eq(tw + kk_w),
                                         *set_w(tw + kk_w), wrow_a.eq(pp_a), win_a.eq(pp_a),
                                         wrow_iy.eq(pprow_iy), win_ix.eq(pp_ix)]
                            start_window(pp_a, pprow_iy, pp_ix)
                        with m.Elif(px != r.out_w - 1):
                            n_a, n_ix = pp_a + pc_step, pp_ix + pix_step
                            m.d.sync += [dx.eq(0), dy.eq(0), t.eq(0), px.eq(px + 1),
                                         pp_a.eq(n_a), pp_ix.eq(n_ix), tw.eq(r.w_base),
                                         *set_w(r.w_base), wrow_a.eq(n_a), win_a.eq(n_a),
                                         wrow_iy.eq(pprow_iy), win_ix.eq(n_ix)]
                            start_window(n_a, pprow_iy, n_ix)
                        with m.Elif(py != r.out_h - 1):
                            n_a, n_iy = pprow_a + pr_step, pprow_iy + pix_step
                            m.d.sync += [dx.eq(0), dy.eq(0), t.eq(0), px.eq(0), py.eq(py + 1),
                                         pprow_a.eq(n_a), pprow_iy.eq(n_iy), pp_a.eq(n_a),
                                         pp_ix.eq(neg_p), tw.eq(r.w_base), *set_w(r.w_base),
                                         wrow_a.eq(n_a), win_a.eq(n_a), wrow_iy.eq(n_iy),
                                         win_ix.eq(neg_p)]
                            start_window(n_a, n_iy, neg_p)
                        with m.Else():
                            m.d.sync += [fetching.eq(0), running.eq(0)]
                            m.next = "IDLE"
                stoppable()
        return m
