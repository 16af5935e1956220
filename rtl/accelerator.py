"""The accelerator: Wishbone target, registers, buffers, sequencer, systolic array, counters.

Everything a bus master sees is defined in :mod:`bittern.rtl.regmap`; this module only decodes
it. The host owns the buffers while the accelerator is idle and the sequencer owns them while it
is busy; any bus access that would disturb a run is dropped and flagged (``BUS_WHILE_BUSY``), as
is any access to an unmapped address (``BAD_ADDRESS``). The first error since the last ``START``
or ``CLEAR`` is kept in ``STATUS``.
"""

import functools
import operator
from typing import NamedTuple

from amaranth import *
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from . import regmap as rm
from .array import SystolicArray
from .bram import PRIMITIVES, BlockRAM, block_count
from .buffers import BankedBuffer
from .layouts import register_layout
from .pe import acc_width_for
from .ops.dense_planes import MAX_PASS_SUM
from .seq_passes import SHIFT_BITS
from .sequencer import Sequencer
from .wishbone import WishboneTarget, wishbone_signature

__all__ = ["Accelerator", "Memory", "ADDR_WIDTH", "MAX_ROWS", "MAX_COLS", "WORD_BITS"]

ADDR_WIDTH = rm.ADDR_BITS - 2       # Wishbone word address bits
MAX_ROWS, MAX_COLS = 32, 64         # array geometry limits (powers of two up to these)
WORD_BITS = 32                      # bits per buffer word, so lanes per PE word


def _pow2(name, v, hi):
    if not isinstance(v, int) or isinstance(v, bool) or v < 1 or v > hi or v & (v - 1):
        raise TypeError(f"{name} must be a power of two in 1..{hi}, not {v!r}")


def _depth(name, v):
    if not isinstance(v, int) or isinstance(v, bool) or not 2 <= v <= 32768:
        raise TypeError(f"{name} must be an integer in 2..32768, not {v!r}")


class Memory(NamedTuple):
    """One buffer of the accelerator: ``banks`` memories of ``depth`` x ``width`` bits built
    from ``primitive`` (:data:`bittern.rtl.bram.PRIMITIVES`; ``banks`` 0: a lone
    :class:`~bittern.rtl.bram.BlockRAM`, not a :class:`~bittern.rtl.buffers.BankedBuffer`)."""
    name: str
    banks: int
    depth: int
    width: int
    primitive: str


class Accelerator(wiring.Component):
    """The whole accelerator behind a 32-bit Wishbone B4 classic target.

    Parameters
    ----------
    rows, cols : int
        Systolic array geometry: output channels per tile and input vectors per batch (powers of
        two; rows <= 32, cols <= 64).
    lanes : int
        Bits per PE word; the buffers hold 32-bit words, so only 32 is supported.
    w_depth : int
        Weight words per row bank.
    a_depth : int
        Activation words per column bank (a layer's input and output both live here).
    t_depth, s_depth : int
        Threshold entries / score words per row bank.
    stage_levels : int
        Adder levels between PE pipeline registers (lower is faster and bigger).
    ram : str
        How the buffers are built (every one reads in two cycles, see :mod:`bittern.rtl.bram`):
        ``"inferred"`` (simulation; Yosys picks, iCE40 EBR), ``"dp16kd"`` (ECP5 block RAM with
        its output register) or ``"spram"`` (the weight buffer in the iCE40 UP5K's single-port
        RAMs, the others inferred).
    bus_regs : bool or None
        Register the bus side of every buffer next to its memories (one more cycle per bus
        access, ~50 flip-flops per buffer); default: on with ``"dp16kd"`` (large devices,
        where block RAMs lie far from the bus logic), off otherwise (the UP5K is nearly full).
    conv : bool
        Also run conv2d layers (op ``CONV_XNOR``: tap loops, pad correction and max-pool in
        hardware; ``FEATURES.CONV``). Off: the binary-only build, its area and clock unchanged.
    sparse_words, i_depth : int
        Build option, 3PXNet sparse layers (``rtl/seq_sparse.py``, ``FEATURES.SPARSE``): a
        sparse array beside the dense one whose column word stores hold ``sparse_words`` words
        (the longest sparse layer input, in words), and a pack-index buffer of ``i_depth`` words
        per row bank. 0 (default): no sparse datapath; sparse descriptors stop with
        ``UNSUPPORTED_LAYER``.

    Members
    -------
    bus : ``In(wishbone_signature(ADDR_WIDTH))``
    irq : ``Out(1)``: ``STATUS.DONE``.
    """

    def __init__(self, *, rows, cols, lanes=32, w_depth=1024, a_depth=64, t_depth=64, s_depth=64,
                 stage_levels=2, ram="inferred", bus_regs=None, conv=False, planes=False,
                 sparse_words=0, i_depth=0):
        _pow2("rows", rows, MAX_ROWS)
        _pow2("cols", cols, MAX_COLS)
        if lanes != WORD_BITS:
            raise ValueError(f"lanes must be 32 (the buffers hold 32-bit words), not {lanes!r}")
        for name, v in (("w_depth", w_depth), ("a_depth", a_depth), ("t_depth", t_depth),
                        ("s_depth", s_depth)):
            _depth(name, v)
        if rows * w_depth > 0x10000 or cols * a_depth > 0x8000 or rows * t_depth > 0x4000 or \
                rows * s_depth > 0x8000:
            raise ValueError("a buffer is larger than its window in the register map")
        self._rows, self._cols, self._lanes = rows, cols, lanes
        self._w_depth, self._a_depth, self._t_depth, self._s_depth = w_depth, a_depth, t_depth, s_depth
        self._stage_levels = stage_levels
        if ram not in PRIMITIVES:
            raise ValueError(f"ram must be one of {', '.join(PRIMITIVES)}, not {ram!r}")
        if ram == "spram":
            sprams = rows * block_count("spram", w_depth, 32)
            if sprams > 4:
                raise ValueError(f"a weight buffer of {rows} row banks x {w_depth} words needs "
                                 f"{sprams} SPRAMs, the UP5K has 4 (two per 16384 words of a "
                                 f"32-bit row bank)")
        self._ram = ram
        if not isinstance(conv, bool):
            raise TypeError(f"conv must be True or False, not {conv!r}")
        self._conv = conv
        if not isinstance(planes, bool):
            raise TypeError(f"planes must be True or False, not {planes!r}")
        self._planes = planes
        if not isinstance(sparse_words, int) or not 0 <= sparse_words <= min(a_depth, 4095):
            raise TypeError(f"sparse_words must be an integer in 0..{min(a_depth, 4095)} (the "
                            f"activation bank's depth), not {sparse_words!r}")
        if sparse_words:
            _depth("i_depth", i_depth)
            if rows * i_depth > 0x8000:
                raise ValueError("the index buffer is larger than its window in the register map")
        elif i_depth:
            raise ValueError(f"i_depth {i_depth} needs sparse_words > 0 (the sparse datapath)")
        self._sparse_words, self._i_depth = sparse_words, (i_depth if sparse_words else 0)
        self._bus_regs = (ram == "dp16kd") if bus_regs is None else bool(bus_regs)
        super().__init__({"bus": In(wishbone_signature(ADDR_WIDTH)), "irq": Out(1)})

    rows = property(lambda self: self._rows)
    cols = property(lambda self: self._cols)
    lanes = property(lambda self: self._lanes)
    w_depth = property(lambda self: self._w_depth)
    a_depth = property(lambda self: self._a_depth)
    t_depth = property(lambda self: self._t_depth)
    s_depth = property(lambda self: self._s_depth)
    ram = property(lambda self: self._ram)
    conv = property(lambda self: self._conv)
    planes = property(lambda self: self._planes)
    sparse_words = property(lambda self: self._sparse_words)
    i_depth = property(lambda self: self._i_depth)

    @property
    def features(self):
        """The FEATURES register: the optional layer kinds of this build."""
        return rm.pack("FEATURES", CONV=int(self._conv), PLANES=int(self._planes),
                       SPARSE=int(self._sparse_words > 0), SPARSE_WORDS=self._sparse_words)

    @property
    def max_n(self):
        """Longest dot product a layer may have (its input must fit one activation bank)."""
        return min(32 * self._a_depth, 0xFFFF)

    @property
    def config_word(self):
        return rm.pack("CONFIG", ROWS=self._rows, COLS=self._cols, LANES=self._lanes)

    @property
    def pass_bound(self):
        """Largest sum of shifted mismatch counts a layer's passes may reach (the PEs' count
        width): ``max_n`` for a binary-only build; a planes build counts to 2^30 - 1 (the
        loader refuses a layer whose ``n * sum 2^shift`` is larger)."""
        return MAX_PASS_SUM if self._planes else self.max_n

    @property
    def acc_width(self):
        return acc_width_for(self.pass_bound)

    def memories(self):
        """Every memory of the build, as :class:`Memory` rows: what :meth:`elaborate` builds
        the buffers from and what the estimate before synthesis counts block RAMs from
        (``bittern.rtl.estimate``)."""
        other = "dp16kd" if self._ram == "dp16kd" else "inferred"
        rows, cols = self._rows, self._cols
        mems = [Memory("wbuf", rows, self._w_depth, 32, self._ram),
                Memory("abuf", cols, self._a_depth, 32, other),
                Memory("tbuf", rows, self._t_depth, 32, other),
                Memory("nbuf", rows, self._t_depth, 1, other),     # threshold direction bits
                Memory("sbuf", rows, self._s_depth, 32, other)]
        if self._sparse_words:
            mems.append(Memory("ibuf", rows, self._i_depth, 16, other))
        mems.append(Memory("desc", 0, rm.MAX_LAYERS * rm.DESC_WORDS, 32, other))
        return tuple(mems)

    def _make_array(self):
        return SystolicArray(rows=self._rows, cols=self._cols, lanes=self._lanes, pe="xnor",
                             max_n=self.pass_bound, stage_levels=self._stage_levels,
                             shift_bits=SHIFT_BITS if self._planes else 0)

    def elaborate(self, platform):
        m = Module()
        rows, cols = self._rows, self._cols
        m.submodules.array = arr = self._make_array()
        m.submodules.seq = seq = Sequencer(rows=rows, cols=cols, acc_width=arr.acc_width,
                                           w_depth=self._w_depth, a_depth=self._a_depth,
                                           t_depth=self._t_depth, s_depth=self._s_depth,
                                           features=self.features, latency=arr.latency,
                                           i_depth=self._i_depth)
        hr = self._bus_regs
        bufs = {}
        for mem in self.memories():
            if mem.banks:
                bufs[mem.name] = m.submodules[mem.name] = BankedBuffer(
                    banks=mem.banks, depth=mem.depth, width=mem.width, primitive=mem.primitive,
                    host_regs=hr)
            else:
                bufs[mem.name] = m.submodules[mem.name] = BlockRAM(
                    depth=mem.depth, width=mem.width, primitive=mem.primitive)
        wbuf, abuf, tbuf, nbuf, sbuf, desc = (bufs[n] for n in ("wbuf", "abuf", "tbuf", "nbuf",
                                                                "sbuf", "desc"))
        ibuf = bufs.get("ibuf")
        hrl = wbuf.host_read_latency
        # Reads: decode, the buffer's host read latency, the read mux register.
        m.submodules.wb = wb = WishboneTarget(addr_width=ADDR_WIDTH, read_latency=2 + hrl)
        wiring.connect(m, wiring.flipped(self.bus), wb.bus)
        port = wb.port

        busy = seq.busy
        # The buffers change hands a cycle after `busy` does (each bank registers its host
        # select, close to the block RAM: timing), so the bus is refused the buffers while
        # either is busy.
        busy_q = Signal()
        m.d.sync += busy_q.eq(busy)
        bus_busy = busy | busy_q
        for buf in (wbuf, abuf, tbuf, nbuf, sbuf) + ((ibuf,) if ibuf else ()):
            m.d.comb += buf.host_sel.eq(~busy)

        # ---- sequencer <-> buffers <-> array ----------------------------------------------
        m.d.comb += [
            # Weight and activation banks read every cycle: only g_valid words are used.
            wbuf.s_addr.eq(seq.w_addr), wbuf.s_r_en.eq(1),
            abuf.s_addr.eq(seq.a_addr), abuf.s_r_en.eq(1),
            abuf.s_w_addr.eq(seq.aw_addr), abuf.s_w_en.eq(seq.aw_en),
            # Threshold banks read every cycle too: their address only moves when a tile's
            # first column leaves the array, and a constant enable needs no route (timing).
            tbuf.s_addr.eq(seq.t_addr), tbuf.s_r_en.eq(1),
            nbuf.s_addr.eq(seq.t_addr), nbuf.s_r_en.eq(1),
            sbuf.s_w_addr.eq(seq.s_addr), sbuf.s_w_en.eq(seq.s_en),
            arr.in_valid.eq(seq.g_valid), arr.in_first.eq(seq.g_first), arr.in_last.eq(seq.g_last),
            arr.n.eq(seq.g_n),
            *([arr.in_shift.eq(seq.g_shift)] if self._planes else []),
            seq.g_o_valid.eq(arr.out_valid), seq.g_o_first.eq(arr.out_first),
            seq.g_o_last.eq(arr.out_last),
        ]
        # A conv padding tap feeds 0 in both operands (no mismatch; rtl/conv_fetch.py), a u8
        # conv's in the activation only (a zero pixel; rtl/ops/conv_planes.py).
        keep = ~seq.g_pad.replicate(32) if self._conv else C((1 << 32) - 1, 32)
        keep_w = ~seq.g_pad_w.replicate(32) if self._conv and self._planes else keep
        if ibuf:                # the sparse datapath reads the index, weight and activation banks
            m.d.comb += [ibuf.s_addr.eq(seq.i_addr), ibuf.s_r_en.eq(seq.i_en),
                         seq.i_data.eq(ibuf.s_r_data), seq.w_data.eq(wbuf.s_r_data),
                         seq.a_data.eq(abuf.s_r_data)]
        for c in range(cols):
            m.d.comb += [abuf.s_w_data[c].eq(seq.aw_data), arr.a[c].eq(abuf.s_r_data[c] & keep)]
        for r in range(rows):
            m.d.comb += [arr.w[r].eq(wbuf.s_r_data[r] & keep_w), seq.g_o_acc[r].eq(arr.out_acc[r]),
                         seq.t_data[r].eq(tbuf.s_r_data[r]), seq.t_neg[r].eq(nbuf.s_r_data[r]),
                         sbuf.s_w_data[r].eq(seq.s_data[r])]

        # ---- status, errors, counters ---------------------------------------------------------
        done = Signal()
        err = Signal()
        cause = Signal(6)
        err_layer = Signal(4)
        n_layers = Signal(8)
        model_tag = Signal(32)      # stored for the driver only (see regmap MODEL_TAG)
        perf_cycles, perf_active, perf_tiles = Signal(32), Signal(32), Signal(32)
        m.d.comb += self.irq.eq(done)

        bus_err = Signal()
        bus_cause = Signal(6)
        bus_err_q, bus_cause_q = Signal(), Signal(6)     # recorded a cycle later (timing)
        m.d.sync += [bus_err_q.eq(bus_err), bus_cause_q.eq(bus_cause)]
        start = Signal()
        clear = Signal()
        # START and CLEAR act a cycle later, from flip-flops (timing): the bus decode stays
        # apart from the status and counter enables.
        start_q, clear_q = Signal(), Signal()
        m.d.sync += [start_q.eq(start & ~busy), clear_q.eq(clear)]
        m.d.comb += seq.start.eq(start_q), seq.n_layers.eq(n_layers)

        with m.If(busy):
            m.d.sync += perf_cycles.eq(perf_cycles + 1)
        with m.If(seq.active):
            m.d.sync += perf_active.eq(perf_active + 1)
        with m.If(seq.tile_done):
            m.d.sync += perf_tiles.eq(perf_tiles + 1)
        with m.If(seq.done):
            m.d.sync += done.eq(1)
        # The first error wins until START or CLEAR.
        with m.If(seq.err & ~err):
            m.d.sync += [err.eq(1), cause.eq(seq.err_cause), err_layer.eq(seq.layer)]
        with m.Elif(bus_err_q & ~err):
            m.d.sync += [err.eq(1), cause.eq(bus_cause_q), err_layer.eq(seq.layer)]
        with m.If(clear_q | start_q):
            m.d.sync += [done.eq(0), err.eq(0), cause.eq(0), err_layer.eq(0)]
        with m.If(start_q):
            m.d.sync += [perf_cycles.eq(0), perf_active.eq(0), perf_tiles.eq(0)]

        # ---- address decode ---------------------------------------------------------------------
        # The decode is registered: strobes act one cycle after the port's, on registered flags.
        # Port read latency: 1 (decode) + 1 (memory) + 1 (bank mux register) + 1 (read mux register).
        a_raw = port.addr
        a = Signal.like(a_raw)
        w_stb, r_stb = Signal(), Signal()
        w_data = Signal(32)
        m.d.sync += [a.eq(a_raw), w_stb.eq(port.w_stb), r_stb.eq(port.r_stb), w_data.eq(port.w_data)]
        W = lambda byte: byte >> 2
        def reg_flag(value, name):
            q = Signal(len(value), name=name)
            m.d.sync += q.eq(value)
            return q
        is_reg = reg_flag(a_raw < W(rm.DESC_BASE), "is_reg")
        is_desc = reg_flag((a_raw >= W(rm.DESC_BASE)) &
                           (a_raw < W(rm.DESC_BASE + rm.MAX_LAYERS * rm.DESC_STRIDE)), "is_desc")
        win = {w.name: w for w in rm.WINDOWS}

        def in_window(name, words):
            # Windows sit on power-of-two boundaries: match the high bits, compare the offset.
            w = win[name]
            span = (w.size >> 2).bit_length() - 1
            assert w.size == 1 << (span + 2) and (w.base >> 2) % (1 << span) == 0
            j = a_raw[:span]
            return (reg_flag((a_raw[span:] == (w.base >> 2) >> span) & (j < words), f"is_{name}"),
                    reg_flag(j[:16], f"j_{name}"))

        is_w, j_w = in_window("WBUF", rows * self._w_depth)
        is_a, j_a = in_window("ABUF", cols * self._a_depth)
        is_t, j_t = in_window("TBUF", 2 * rows * self._t_depth)
        is_s, j_s = in_window("SBUF", rows * self._s_depth)
        is_i, j_i = (in_window("IBUF", rows * self._i_depth) if ibuf else (C(0, 1), C(0, 16)))
        is_buf = is_w | is_a | is_t | is_s | is_i
        if ibuf:
            m.d.comb += [ibuf.h_addr.eq(j_i), ibuf.h_w_data.eq(w_data)]

        m.d.comb += [
            wbuf.h_addr.eq(j_w), wbuf.h_w_data.eq(w_data),
            abuf.h_addr.eq(j_a), abuf.h_w_data.eq(w_data),
            tbuf.h_addr.eq(j_t[1:]), tbuf.h_w_data.eq(w_data),
            nbuf.h_addr.eq(j_t[1:]), nbuf.h_w_data.eq(w_data[0]),
            sbuf.h_addr.eq(j_s),
            desc.w_addr.eq(a - W(rm.DESC_BASE)), desc.w_data.eq(w_data),
            desc.r_addr.eq(Mux(busy, seq.d_addr, a - W(rm.DESC_BASE))),
            desc.r_en.eq(Mux(busy, seq.d_en, r_stb & is_desc)),
            seq.d_data.eq(desc.r_data),
        ]
        ctrl = data.View(register_layout("CTRL"), w_data)
        # Which register the address names, one registered flag per register like the
        # windows' (the error cause and the read mux then start from flip-flops: timing on the
        # UP5K); writes and reads share them.
        at_reg = {}

        def reg_at(name):
            if name not in at_reg:
                at_reg[name] = reg_flag((a_raw < W(rm.DESC_BASE)) &
                                        (a_raw[:6] == W(rm.reg(name).offset)), f"at_{name}")
            return at_reg[name]

        is_ctrl, is_n_layers, is_model_tag = (reg_at(n) for n in ("CTRL", "N_LAYERS", "MODEL_TAG"))
        with m.If(w_stb):
            with m.If(is_ctrl):
                with m.If(ctrl.start & busy):
                    m.d.comb += [bus_err.eq(1), bus_cause.eq(rm.Cause.START_WHILE_BUSY)]
                m.d.comb += [start.eq(ctrl.start), clear.eq(ctrl.clear)]
            with m.Elif(is_n_layers):
                with m.If(bus_busy):
                    m.d.comb += [bus_err.eq(1), bus_cause.eq(rm.Cause.BUS_WHILE_BUSY)]
                with m.Else():
                    m.d.sync += n_layers.eq(w_data)
            with m.Elif(is_model_tag):
                m.d.sync += model_tag.eq(w_data)
            with m.Elif(is_reg):
                m.d.comb += [bus_err.eq(1), bus_cause.eq(rm.Cause.BAD_ADDRESS)]
            # The windows exclude each other: flat enables, no priority chain (timing).
            m.d.comb += [desc.w_en.eq(is_desc & ~bus_busy), wbuf.h_w_en.eq(is_w & ~bus_busy),
                         abuf.h_w_en.eq(is_a & ~bus_busy),
                         tbuf.h_w_en.eq(is_t & ~bus_busy & ~j_t[0]), nbuf.h_w_en.eq(is_t & ~bus_busy & j_t[0])]
            if ibuf:
                m.d.comb += ibuf.h_w_en.eq(is_i & ~bus_busy)
            with m.If((is_desc | is_w | is_a | is_t | is_i) & bus_busy):
                m.d.comb += [bus_err.eq(1), bus_cause.eq(rm.Cause.BUS_WHILE_BUSY)]
            with m.Elif(~(is_reg | is_desc | is_w | is_a | is_t | is_i)):   # unmapped, or the score buffer
                m.d.comb += [bus_err.eq(1), bus_cause.eq(rm.Cause.BAD_ADDRESS)]

        # Reads: registers are sampled now, memories deliver next cycle; r_sel picks.
        r_sel = Signal(3)                   # 0 reg/zero, 1 desc, 2 wbuf, 3 abuf, 4 tbuf, 5 nbuf, 6 sbuf, 7 ibuf
        r_reg = Signal(32)
        # seq.done and busy change together; the sticky bit follows a cycle later.
        status = Signal(register_layout("STATUS"))
        m.d.comb += [status.busy.eq(busy), status.done.eq(done | seq.done), status.error.eq(err),
                     status.cause.eq(cause), status.layer.eq(Mux(err, err_layer, seq.layer))]
        values = {
            "ID": rm.ID_VALUE, "VERSION": rm.VERSION, "CONFIG": self.config_word,
            "WBUF_DEPTH": self._w_depth, "ABUF_DEPTH": self._a_depth, "TBUF_DEPTH": self._t_depth,
            "SBUF_DEPTH": self._s_depth, "CTRL": 0, "STATUS": status.as_value(), "N_LAYERS": n_layers,
            "MODEL_TAG": model_tag, "FEATURES": self.features, "IBUF_DEPTH": self._i_depth,
            "PERF_CYCLES": perf_cycles, "PERF_ACTIVE": perf_active, "PERF_TILES": perf_tiles,
        }
        # A register read latches the registers' flags, and the next cycle ORs the selected
        # value: an AND-OR of flip-flops, half the depth of a mux on the address bits.
        at_slot = [reg_at(name) for name in values]
        is_slot = Cat(at_slot).any()
        r_onehot = Signal(len(values))
        with m.If(r_stb):
            m.d.sync += [r_sel.eq(0), r_onehot.eq(Cat(at_slot))]
            with m.If(is_reg & ~is_slot):
                m.d.comb += [bus_err.eq(1), bus_cause.eq(rm.Cause.BAD_ADDRESS)]
            m.d.comb += [wbuf.h_r_en.eq(is_w & ~bus_busy), abuf.h_r_en.eq(is_a & ~bus_busy),
                         tbuf.h_r_en.eq(is_t & ~bus_busy), nbuf.h_r_en.eq(is_t & ~bus_busy),
                         sbuf.h_r_en.eq(is_s & ~bus_busy)]
            if ibuf:
                m.d.comb += ibuf.h_r_en.eq(is_i & ~bus_busy)
            with m.If(~bus_busy):
                m.d.sync += r_sel.eq(Mux(is_desc, 1, 0) | Mux(is_w, 2, 0) | Mux(is_a, 3, 0) |
                                     Mux(is_t, Mux(j_t[0], 5, 4), 0) | Mux(is_s, 6, 0) |
                                     Mux(is_i, 7, 0))
            with m.If((is_desc | is_buf) & bus_busy):
                m.d.comb += [bus_err.eq(1), bus_cause.eq(rm.Cause.BUS_WHILE_BUSY)]
            with m.Elif(~(is_reg | is_desc | is_buf)):
                m.d.comb += [bus_err.eq(1), bus_cause.eq(rm.Cause.BAD_ADDRESS)]
        m.d.comb += r_reg.eq(functools.reduce(operator.or_, (
            Mux(r_onehot[k], v, 0) for k, v in enumerate(values.values()))))
        # Buffer data comes host_read_latency - 1 cycles later than r_sel (the memory's output
        # register, the per-bank register of a bus_regs build, the bank mux register): delay
        # the selection and the register value to match. The descriptor memory's data is
        # registered here instead.
        r_sel2, r_reg2, d_data_q = r_sel, r_reg, desc.r_data
        for i in range(hrl - 1):
            r_sel_q, r_reg_q = Signal(3, name=f"r_sel_q{i}"), Signal(32, name=f"r_reg_q{i}")
            m.d.sync += [r_sel_q.eq(r_sel2), r_reg_q.eq(r_reg2)]
            r_sel2, r_reg2 = r_sel_q, r_reg_q
        for i in range(hrl - BlockRAM.read_latency):
            d_q = Signal(32, name=f"d_data_q{i}")
            m.d.sync += d_q.eq(d_data_q)
            d_data_q = d_q
        r_mux = Signal(32)
        with m.Switch(r_sel2):
            with m.Case(0):
                m.d.comb += r_mux.eq(r_reg2)
            with m.Case(1):
                m.d.comb += r_mux.eq(d_data_q)
            with m.Case(2):
                m.d.comb += r_mux.eq(wbuf.h_r_data)
            with m.Case(3):
                m.d.comb += r_mux.eq(abuf.h_r_data)
            with m.Case(4):
                m.d.comb += r_mux.eq(tbuf.h_r_data)
            with m.Case(5):
                m.d.comb += r_mux.eq(nbuf.h_r_data)
            with m.Case(6):
                m.d.comb += r_mux.eq(sbuf.h_r_data)
            if ibuf:
                with m.Case(7):
                    m.d.comb += r_mux.eq(ibuf.h_r_data)
        m.d.sync += port.r_data.eq(r_mux)
        return m
