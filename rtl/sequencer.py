"""The layer sequencer: descriptors in, tiled array schedule and thresholded outputs out.

Three components with one job each, and a small run FSM that hands a layer from one to the
next:

1. :class:`~bittern.rtl.seq_decode.DescriptorDecoder` reads a layer descriptor (see
   ``rtl/regmap.py``) and checks it (a kind or encoding no op of ``rtl/ops/`` runs, zero shapes,
   a range that runs past a buffer, a scores layer that is not last): any failure stops the run
   with an error cause and the layer number, never a hang;
2. :class:`~bittern.rtl.seq_fetch.Fetch` walks the output tiles and reduction words, addressing
   the weight and activation banks and marking the words for the array;
3. :class:`~bittern.rtl.seq_writeback.WriteBack` takes each finished tile from the array one
   column per cycle and thresholds and packs it into the activation buffer, or writes scores.

Layers run back to back; a layer starts only when the previous one is fully written back (its
input is the previous layer's output), but its descriptor is read and checked (step 1) while
the previous layer runs, so only the first layer waits for its descriptor.
"""

from amaranth import *
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from . import regmap as rm
from .conv_decode import ConvDecode
from .conv_fetch import ConvFetch
from .conv_pool import ConvPool
from .regmap import Cause, DESC_WORDS, MAX_LAYERS
from .seq_decode import BASE_WORDS, DescriptorDecoder
from .seq_fetch import Fetch
from .seq_passes import SHIFT_BITS
from .seq_sparse import INDEX_BITS, SparseEngine
from .seq_writeback import WriteBack

__all__ = ["Sequencer"]


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
    features : int
        The build's ``FEATURES`` register (optional layer kinds). With ``CONV`` a conv2d layer
        is checked by a :class:`~bittern.rtl.conv_decode.ConvDecode`, fetched by a
        :class:`~bittern.rtl.conv_fetch.ConvFetch` and pooled by a
        :class:`~bittern.rtl.conv_pool.ConvPool` before the write-back. With ``PLANES`` the
        fetch runs the binary passes of multi-bit layers (``g_shift`` to the array).
        With ``SPARSE`` the sparse datapath (:mod:`bittern.rtl.seq_sparse`, column stores of
        ``FEATURES.SPARSE_WORDS`` words) runs sparse layers; it adds the ports
        ``i_addr``/``i_en``/``i_data`` (index buffer) and ``w_data``/``a_data`` (the weight and
        activation banks' read data).
    latency : int
        The array's latency (sizes the conv pool's FIFO of reductions in flight).
    i_depth : int
        Pack-index words per row bank (sparse builds).
    """

    def __init__(self, *, rows, cols, acc_width, w_depth, a_depth, t_depth, s_depth, features=0,
                 latency=16, i_depth=0):
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
        self._features, self._latency = features, latency
        self._conv = bool(features & rm.field_of("FEATURES", "CONV").mask)
        self._planes = bool(features & rm.field_of("FEATURES", "PLANES").mask)
        extra = {"g_shift": Out(SHIFT_BITS)} if self._planes else {}
        if self._planes and self._conv:     # a u8 conv's padding tap masks the activation only
            extra["g_pad_w"] = Out(1)
        self._sparse_words = rm.unpack("FEATURES", features)["SPARSE_WORDS"] \
            if features & rm.field_of("FEATURES", "SPARSE").mask else 0
        self._i_depth = i_depth
        if self._sparse_words:
            extra.update({
                "i_addr": Out(range(i_depth)), "i_en": Out(1),
                "i_data": In(data.ArrayLayout(INDEX_BITS, rows)),
                "w_data": In(data.ArrayLayout(32, rows)), "a_data": In(data.ArrayLayout(32, cols)),
            })
        super().__init__({**extra,
            "start": In(1), "n_layers": In(8),
            "busy": Out(1), "done": Out(1),          # done: one-cycle pulse at the end of a run
            "err": Out(1), "err_cause": Out(6), "layer": Out(4),
            "active": Out(1), "tile_done": Out(1),   # perf strobes
            # descriptor memory read port (2-cycle latency: registered output)
            "d_addr": Out(range(MAX_LAYERS * DESC_WORDS)), "d_en": Out(1), "d_data": In(32),
            # weight / activation reads (same word of every bank)
            "w_addr": Out(range(w_depth)), "w_en": Out(1),
            "a_addr": Out(range(a_depth)), "a_en": Out(1),
            # activation write-back: one column bank per cycle
            "aw_addr": Out(range(a_depth)), "aw_en": Out(cols), "aw_data": Out(32),
            # thresholds: one entry per row bank (2-cycle latency)
            "t_addr": Out(range(t_depth)), "t_en": Out(1),
            "t_data": In(data.ArrayLayout(signed(32), rows)), "t_neg": In(rows),
            # scores: one per row bank
            "s_addr": Out(range(s_depth)), "s_en": Out(rows),
            "s_data": Out(data.ArrayLayout(32, rows)),
            # systolic array (inputs are the buffers' read data; marks are delayed to match)
            "g_valid": Out(1), "g_first": Out(1), "g_last": Out(1), "g_n": Out(16),
            "g_pad": Out(1),                         # conv padding tap: feed 0 in both operands
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
        m.submodules.decode = dec = DescriptorDecoder(
            rows=rows, cols=cols, w_depth=self._w_depth, a_depth=self._a_depth,
            t_depth=self._t_depth, s_depth=self._s_depth, features=self._features,
            i_depth=self._i_depth)
        m.submodules.fetch = fetch = Fetch(rows=rows, cols=cols, w_depth=self._w_depth,
                                           a_depth=self._a_depth, planes=self._planes)
        m.submodules.writeback = wb = WriteBack(rows=rows, cols=cols, acc_width=self._acc_width,
                                                a_depth=self._a_depth, t_depth=self._t_depth,
                                                s_depth=self._s_depth, planes=self._planes,
                                                abortable=self._sparse_words > 0, conv=self._conv)
        layer = Signal(4)
        n_layers = Signal(8)
        r_is_last = Signal()
        err_cause = Signal(6)
        load = Signal()             # the decoded layer starts: fetch and write-back take it
        stop = Signal()             # the run ends (also on an error)
        m.d.comb += [self.layer.eq(layer), self.err_cause.eq(err_cause),
                     dec.n_layers.eq(n_layers), dec.d_data.eq(self.d_data),
                     self.d_addr.eq(dec.d_addr), self.d_en.eq(dec.d_en),
                     fetch.load.eq(load), fetch.fields.eq(dec.fields),
                     wb.load.eq(load), wb.fields.eq(dec.fields)]
        # Fetch <-> buffers and array, array -> write-back -> buffers: straight through (a conv
        # build muxes in its conv fetch and puts the conv pool before the write-back).
        r_conv = Signal()           # the running layer is a conv
        conv_go = Signal()          # start the conv decode of the layer the decoder holds
        load_conv = Signal()        # the layer that loads is a conv
        # The conv words (D_CONV_IN, _GEOM, _OUT), held by the decoder while it waits.
        first = rm.DESCRIPTOR_WORD["D_CONV_IN"] - BASE_WORDS
        conv_words = [dec.ext[first + j] for j in range(3)]
        conv_busy = Signal()
        if self._conv:
            conv = self._elaborate_conv(m, dec, fetch, wb, r_conv, load, load_conv, conv_go, conv_words)
            conv_busy = conv["fetch"].busy
        else:
            for name in ("w_addr", "w_en", "a_addr", "a_en", "g_valid", "g_first", "g_last", "g_n"):
                m.d.comb += getattr(self, name).eq(getattr(fetch, name))
            for name in ("g_o_valid", "g_o_last", "g_o_first", "g_o_acc"):
                m.d.comb += getattr(wb, name).eq(getattr(self, name))
            m.d.comb += self.active.eq(fetch.g_valid)
        if self._planes and self._conv:     # each 0 outside its own layer's words
            m.d.comb += self.g_shift.eq(fetch.g_shift | conv["fetch"].g_shift)
        elif self._planes:      # 0 outside a plane layer's words (Fetch), so a conv word is unshifted
            m.d.comb += self.g_shift.eq(fetch.g_shift)
        for name in ("t_addr", "t_en", "aw_addr", "aw_en", "aw_data", "s_addr", "s_en", "s_data",
                     "tile_done"):
            m.d.comb += getattr(self, name).eq(getattr(wb, name))
        for name in ("t_data", "t_neg"):
            m.d.comb += getattr(wb, name).eq(getattr(self, name))
        sp_busy, sp_err = C(0, 1), C(0, 1)
        if self._sparse_words:
            sp_busy, sp_err = self._sparse_mode(m, fetch, wb, dec, load, stop)
        m.d.sync += [self.err.eq(0), self.done.eq(0)]

        nl_bad = Signal()           # N_LAYERS is a stable register: judge it ahead of START
        m.d.sync += nl_bad.eq((self.n_layers == 0) | (self.n_layers > MAX_LAYERS))
        # The layer is fully written back: judged from registers a cycle ahead of its use (timing);
        # cleared when a layer's run starts, so a stale value never ends a fresh layer.
        all_back = Signal()
        m.d.sync += all_back.eq(~fetch.busy & ~conv_busy & ~sp_busy & wb.all_tiles & wb.idle)
        # The decoder reads and checks the next layer while this one runs; the run FSM takes
        # its fields and verdict when the previous layer is written back, so an error is still
        # reported at the layer it belongs to, after the layers before it.
        dec_go = Signal()           # a registered pulse (timing)
        m.d.sync += dec_go.eq(0)
        m.d.comb += dec.go.eq(dec_go)

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
                with m.If(dec.ready):
                    m.d.sync += layer.eq(dec.layer)
                    with m.If(dec.bad):
                        m.d.comb += dec.drop.eq(1)
                        fail(dec.cause)
                    if self._conv:
                        with m.Elif(dec.is_conv):
                            m.d.comb += conv_go.eq(1)
                            m.next = "CONV_CHECK"
                    with m.Else():
                        m.d.comb += [dec.take.eq(1), load.eq(1)]
                        m.d.sync += [r_is_last.eq(dec.fields.is_last), all_back.eq(0), r_conv.eq(0)]
                        m.next = "RUN"
            if self._conv:
                with m.State("CONV_CHECK"):
                    # A conv layer's own checks and loop bounds (decoded once the dense checks
                    # pass; they hold until the next conv_go).
                    cdec = conv["decode"]
                    with m.If(cdec.ready & ~conv_go):
                        with m.If(cdec.bad):
                            m.d.comb += dec.drop.eq(1)
                            fail(cdec.cause)
                        with m.Else():
                            m.d.comb += [dec.take.eq(1), load.eq(1), load_conv.eq(1)]
                            m.d.sync += [r_is_last.eq(dec.fields.is_last), all_back.eq(0),
                                         r_conv.eq(1)]
                            m.next = "RUN"
            with m.State("RUN"):
                with m.If(sp_err):
                    # An error found while the layer runs: the decoder has already gone on to
                    # the next layer (unless this is the last), so it is dropped once ready.
                    m.d.sync += [self.err.eq(1), err_cause.eq(Cause.BAD_PACK_INDEX)]
                    m.next = "FLUSH"
                with m.Elif(all_back):
                    m.d.sync += all_back.eq(0)
                    with m.If(r_is_last):
                        m.next = "FINISH"
                    with m.Else():
                        m.next = "WAIT"
            with m.State("FLUSH"):
                m.d.comb += [fetch.stop.eq(1), stop.eq(1)]
                with m.If(r_is_last | dec.ready):
                    m.d.comb += dec.drop.eq(~r_is_last)
                    m.next = "FINISH"
            with m.State("FINISH"):
                m.d.sync += [self.busy.eq(0), self.done.eq(1)]
                m.d.comb += [fetch.stop.eq(1), stop.eq(1)]
                if self._conv:
                    m.d.comb += conv["fetch"].stop.eq(1)
                m.next = "IDLE"
        return m

    def _elaborate_conv(self, m, dec, fetch, wb, r_conv, load, load_conv, conv_go, conv_words):
        """The conv build's decode, fetch and pool, and their muxes with the dense path."""
        rows, cols = self._rows, self._cols
        planes = self._planes
        m.submodules.conv_decode = cdec = ConvDecode(rows=rows, cols=cols, w_depth=self._w_depth,
                                                     a_depth=self._a_depth, s_depth=self._s_depth,
                                                     planes=planes)
        m.submodules.conv_fetch = cf = ConvFetch(cols=cols, w_depth=self._w_depth,
                                                 a_depth=self._a_depth, planes=planes, rows=rows)
        m.submodules.conv_pool = pool = ConvPool(rows=rows, cols=cols, acc_width=self._acc_width,
                                                 in_flight=self._latency // cols + 3)
        f = dec.fields
        m.d.comb += [cdec.go.eq(conv_go), cdec.n_in.eq(f.n_in), cdec.n_out.eq(f.n_out),
                     cdec.w_base.eq(f.w_base), cdec.a_in.eq(f.a_in), cdec.a_out.eq(f.a_out),
                     cdec.t_base.eq(f.t_base), cdec.scores.eq(f.scores),
                     cdec.w_conv_in.eq(conv_words[0]), cdec.w_conv_geom.eq(conv_words[1]),
                     cdec.w_conv_out.eq(conv_words[2]),
                     cf.fields.eq(cdec.fields)]
        # Which fetch a loading layer takes: the conv one when it loads from CONV_CHECK.
        m.d.comb += [fetch.load.eq(load & ~load_conv), cf.load.eq(load_conv),
                     wb.pixels_m1.eq(Mux(load_conv, cdec.pixels_m1, 0)),
                     wb.flat.eq(load_conv & cdec.flat)]
        for name in ("w_addr", "a_addr", "g_n", "g_first", "g_last"):
            m.d.comb += getattr(self, name).eq(Mux(r_conv, getattr(cf, name), getattr(fetch, name)))
        for name in ("w_en", "a_en", "g_valid"):
            m.d.comb += getattr(self, name).eq(getattr(cf, name) | getattr(fetch, name))
        m.d.comb += [self.g_pad.eq(cf.g_valid & cf.g_pad), self.active.eq(fetch.g_valid | cf.g_valid)]
        if planes:              # u8 convs (rtl/ops/conv_planes.py): the passes and their checks
            m.d.comb += [cf.pfields.eq(f), self.g_pad_w.eq(cf.g_valid & cf.g_pad_w),
                         cdec.in_u8.eq(dec.in_u8), cdec.w_planes_m1.eq(f.w_planes_m1),
                         cdec.a_planes_m1.eq(f.a_planes_m1), cdec.a_step.eq(f.a_step)]
        m.d.comb += [pool.conv.eq(r_conv), pool.i_last.eq(cf.g_valid & cf.g_last),
                     pool.i_corr.eq(cf.g_corr), pool.i_pool_first.eq(cf.g_pool_first),
                     pool.i_pool_last.eq(cf.g_pool_last),
                     pool.o_valid.eq(self.g_o_valid), pool.o_first.eq(self.g_o_first),
                     pool.o_last.eq(self.g_o_last), pool.o_acc.eq(self.g_o_acc),
                     wb.g_o_valid.eq(pool.valid), wb.g_o_first.eq(pool.first),
                     wb.g_o_last.eq(pool.last), wb.g_o_acc.eq(pool.acc)]
        return {"decode": cdec, "fetch": cf, "pool": pool}

    def _sparse_mode(self, m, fetch, wb, dec, load, stop):
        """Hook the sparse datapath in: it takes sparse layers (the fetch the others), its
        buffer reads win while it is busy, and the write-back takes its results. Returns its
        busy and index-error flags."""
        rows, cols = self._rows, self._cols
        m.submodules.sparse = sp = SparseEngine(
            rows=rows, cols=cols, words=self._sparse_words, acc_width=self._acc_width,
            w_depth=self._w_depth, a_depth=self._a_depth, i_depth=self._i_depth)
        r_sparse = Signal()         # the layer running (or draining) is sparse
        with m.If(load):
            m.d.sync += r_sparse.eq(dec.fields.sparse)
        m.d.comb += [sp.load.eq(load), sp.fields.eq(dec.fields), sp.stop.eq(stop),
                     self.i_addr.eq(sp.i_addr), self.i_en.eq(sp.i_en),
                     sp.i_data.eq(self.i_data), sp.w_data.eq(self.w_data), sp.a_data.eq(self.a_data)]
        with m.If(dec.fields.sparse):
            m.d.comb += fetch.load.eq(0)
        with m.If(sp.active):
            m.d.comb += self.active.eq(1)
        with m.If(sp.busy):
            m.d.comb += [self.w_addr.eq(sp.w_addr), self.w_en.eq(sp.w_en),
                         self.a_addr.eq(sp.a_addr), self.a_en.eq(sp.a_en)]
        with m.If(r_sparse):
            m.d.comb += [wb.g_o_valid.eq(sp.o_valid), wb.g_o_first.eq(sp.o_first),
                         wb.g_o_last.eq(sp.o_last), wb.g_o_acc.eq(sp.o_acc)]
        return sp.busy, sp.index_err
