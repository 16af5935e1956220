"""Conv decode: checks a conv2d descriptor and derives what the conv fetch needs.

Takes the descriptor's base fields (channels, buffer bases) and its three conv words
(``D_CONV_IN``, ``D_CONV_GEOM``, ``D_CONV_OUT``, see ``rtl/regmap.py``), and answers ``ready``
with ``bad``/``cause`` and the :func:`~bittern.rtl.conv_fetch.conv_fields`. The checks, first
failure wins: ``CONV_SHAPE`` for an empty input map, ``CONV_KERNEL`` (kernel 0, above 5, or larger than the padded input),
``CONV_STRIDE_PAD`` (stride not 1..2, pad not below the kernel), ``CONV_POOL`` (pool not 1..4 or
larger than the conv map), ``CONV_SHAPE`` (an input side 0, or ``OUT_H``/``OUT_W`` not the
pooled conv size), then the layer's whole footprint against the buffers (``WBUF_OVERFLOW``,
``ABUF_OVERFLOW``, ``SBUF_OVERFLOW``; the dense decoder's checks only see one pixel). A planes
build also checks the layer's planes against its input (``CONV_PLANES``: a u8 conv has 8 pixel
planes with ``A_STEP``, a binary one a single pass; its padding taps are zero pixels only so,
see ``rtl/ops/conv_planes.py``) and sizes a pixel as ``W * Pa`` words, a tap's weights as
``W * Pw``. The
footprint products are formed by one shift-and-add multiplier, one product after the other (at
most ~150 cycles; the decode runs while the previous layer computes). The same rules are
``CONV_XNOR.why_not`` and its footprint formulas in ``rtl/ops/conv_xnor.py``.
"""

from amaranth import *
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .conv_fetch import conv_fields
from .layouts import register_layout
from .ops.conv_xnor import KERNELS, POOLS, STRIDES
from .regmap import Cause

__all__ = ["ConvDecode"]


class ConvDecode(wiring.Component):
    """``go`` (one cycle, with the inputs valid and held until ``ready``) starts a check.

    Parameters
    ----------
    rows, cols : int
        Array geometry (powers of two).
    w_depth, a_depth, s_depth : int
        Words per bank of the weight, activation and score buffers.
    planes : bool
        A planes build: u8 convs run as binary passes (the ``in_u8`` and plane-count inputs,
        the plane check and the fields' ``a_words``/``w_words``/``passes``).
    """

    def __init__(self, *, rows, cols, w_depth, a_depth, s_depth, planes=False):
        self._rows, self._cols, self._planes = rows, cols, bool(planes)
        extra = {"in_u8": In(1), "w_planes_m1": In(4), "a_planes_m1": In(4),
                 "a_step": In(1)} if self._planes else {}
        self._w_depth, self._a_depth, self._s_depth = w_depth, a_depth, s_depth
        super().__init__({**extra,
            "go": In(1),
            "n_in": In(16), "n_out": In(16), "w_base": In(16), "a_in": In(16), "a_out": In(16),
            "t_base": In(16), "scores": In(1),
            "w_conv_in": In(32), "w_conv_geom": In(32), "w_conv_out": In(32),
            "ready": Out(1), "bad": Out(1), "cause": Out(6),
            "fields": Out(conv_fields(planes=self._planes)),
            "pixels_m1": Out(16),           # output pixels - 1, for the write-back
            "flat": Out(1),                 # D_CONV_OUT.FLAT, for the write-back
        })

    def elaborate(self, platform):
        m = Module()
        rows, cols = self._rows, self._cols
        rb, cb = (rows - 1).bit_length(), (cols - 1).bit_length()
        f = self.fields
        cin = Signal(register_layout("D_CONV_IN"))
        geom = Signal(register_layout("D_CONV_GEOM"))
        cout = Signal(register_layout("D_CONV_OUT"))
        m.d.comb += [cin.eq(self.w_conv_in), geom.eq(self.w_conv_geom), cout.eq(self.w_conv_out)]
        k, s, p, pool = geom.kernel, geom.stride, geom.pad, geom.pool
        in_h, in_w, out_h, out_w = cin.in_h, cin.in_w, cout.out_h, cout.out_w

        words = Signal(12)          # ceil(C_in/32)
        out_words = Signal(12)      # ceil(C_out/32)
        tiles = Signal(12)          # ceil(C_out/ROWS)
        conv_h, conv_w = Signal(10), Signal(10)
        f_empty, f_kernel, f_sp, f_pool, f_shape = (Signal(name=n) for n in
                                                    ("f_empty", "f_kernel", "f_sp", "f_pool", "f_shape"))
        ovf_w, ovf_a, ovf_s = Signal(), Signal(), Signal()

        # One shift-and-add multiplier, run once per product below.
        acc, mc, mp = Signal(32), Signal(32), Signal(16)
        pix_in, pix_out, kk, kk_w = Signal(16), Signal(16), Signal(8), Signal(20)
        a_in_words, a_out_words, s_tiles, w_words = (Signal(32, name=n) for n in
                                                      ("a_in_words", "a_out_words", "s_tiles", "w_words"))
        oh_pool, ow_pool = Signal(12), Signal(12)
        px_words, tap_words = words, words      # words of a pixel, of a tap's weights
        f_planes = Signal()
        pre = []
        if self._planes:
            px_words, tap_words = Signal(16), Signal(16)
            n_a, n_w = Signal(5), Signal(5)
            m.d.comb += [n_a.eq(self.a_planes_m1 + 1), n_w.eq(self.w_planes_m1 + 1)]
            pre = [(px_words, words, n_a), (tap_words, words, n_w)]
        products = pre + [  # (result, multiplicand, multiplier): each may use earlier results
            (pix_in, in_h, in_w), (a_in_words, px_words, pix_in), (pix_out, out_h, out_w),
            (a_out_words, out_words, pix_out), (s_tiles, tiles, pix_out), (kk, k, k),
            (kk_w, tap_words, kk), (w_words, kk_w, tiles), (oh_pool, out_h, pool), (ow_pool, out_w, pool),
        ]
        with m.FSM(name="conv_dec"):
            with m.State("IDLE"):
                with m.If(self.go):
                    m.d.sync += [self.ready.eq(0),
                                 words.eq((self.n_in + 31) >> 5), out_words.eq((self.n_out + 31) >> 5),
                                 tiles.eq((self.n_out + rows - 1) >> rb)]
                    m.next = "GEOM"
            with m.State("GEOM"):
                m.d.sync += [conv_h.eq(((in_h + 2 * p - k) >> (s == 2)) + 1),
                             conv_w.eq(((in_w + 2 * p - k) >> (s == 2)) + 1),
                             f_kernel.eq((k < KERNELS.start) | (k >= KERNELS.stop) |
                                         (k > in_h + 2 * p) | (k > in_w + 2 * p)),
                             f_empty.eq((in_h == 0) | (in_w == 0)),
                             f_sp.eq((s < STRIDES.start) | (s >= STRIDES.stop) | (p >= k))]
                if self._planes:
                    m.d.sync += f_planes.eq(Mux(self.in_u8,
                                                (self.a_planes_m1 != 7) | ~self.a_step,
                                                (self.a_planes_m1 != 0) | (self.w_planes_m1 != 0)))
                m.next = "LOAD0"
            for i, (dst, a, b) in enumerate(products):
                with m.State(f"LOAD{i}"):
                    m.d.sync += [acc.eq(0), mc.eq(a), mp.eq(b)]
                    m.next = f"MUL{i}"
                with m.State(f"MUL{i}"):
                    with m.If(mp[0]):
                        m.d.sync += acc.eq(acc + mc)
                    m.d.sync += [mc.eq(mc << 1), mp.eq(mp >> 1)]
                    with m.If(mp == 0):
                        m.d.sync += dst.eq(acc)
                        m.next = f"LOAD{i + 1}" if i + 1 < len(products) else "CHECK"
            with m.State("CHECK"):
                # Stride and kernel are in range when f_kernel/f_sp are clear, so conv_h is then
                # the real conv output size; otherwise these flags lose to theirs.
                m.d.sync += [
                    f_pool.eq((pool < POOLS.start) | (pool >= POOLS.stop) | (conv_h < pool) |
                              (conv_w < pool)),
                    f_shape.eq(f_empty | (cout.flat & (self.n_out[:rb] != 0) if rb else f_empty) |
                               (oh_pool > conv_h) | (ow_pool > conv_w) |
                               (conv_h - oh_pool >= pool) | (conv_w - ow_pool >= pool)),
                    ovf_a.eq((self.a_in + a_in_words > self._a_depth) |
                             (~self.scores & (self.a_out + a_out_words > self._a_depth))),
                    ovf_w.eq(self.w_base + w_words > self._w_depth),
                    ovf_s.eq(self.scores & (self.a_out + (s_tiles << cb) > self._s_depth)),
                ]
                m.next = "VERDICT"
            def buffers(cause):     # planes builds: the plane check before the buffer checks
                return Mux(f_planes, Cause.CONV_PLANES, cause) if self._planes else cause

            with m.State("VERDICT"):
                m.d.sync += [
                    self.ready.eq(1),
                    self.bad.eq(f_kernel | f_sp | f_pool | f_shape | ovf_w | ovf_a | ovf_s
                                if not self._planes else
                                f_kernel | f_sp | f_pool | f_shape | ovf_w | ovf_a | ovf_s | f_planes),
                    self.cause.eq(Mux(f_empty, Cause.CONV_SHAPE, Mux(f_kernel, Cause.CONV_KERNEL, Mux(f_sp, Cause.CONV_STRIDE_PAD,
                                  Mux(f_pool, Cause.CONV_POOL, Mux(f_shape, Cause.CONV_SHAPE,
                                  buffers(Mux(ovf_w, Cause.WBUF_OVERFLOW, Mux(ovf_a, Cause.ABUF_OVERFLOW,
                                  Mux(ovf_s, Cause.SBUF_OVERFLOW, 0)))))))))),
                    f.in_h.eq(in_h), f.in_w.eq(in_w), f.words.eq(words), f.n_in.eq(self.n_in),
                    f.kernel.eq(k), f.stride.eq(s), f.pad.eq(p), f.pool.eq(pool),
                    f.out_h.eq(out_h), f.out_w.eq(out_w), f.tiles.eq(tiles), f.a_in.eq(self.a_in),
                    f.w_base.eq(self.w_base), self.pixels_m1.eq(pix_out - 1),
                    self.flat.eq(cout.flat),
                ]
                if self._planes:
                    m.d.sync += [f.a_words.eq(px_words), f.w_words.eq(tap_words),
                                 f.passes.eq(self.in_u8)]
                m.next = "IDLE"
        return m
