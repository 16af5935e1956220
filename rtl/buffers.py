"""On-chip buffers: banks of ``lib.memory`` with one read and one write port each.

Each bank is a plain simple-dual-port memory (one synchronous read port, one write port), the
shape every FPGA block RAM (iCE40 EBR, ECP5 DP16KD) implements, so Yosys maps it without glue.
The host (bus) side sees the banks interleaved: window word ``j`` is word ``j // banks`` of bank
``j % banks`` (``banks`` is a power of two). The sequencer side reads or writes the same word of
every bank at once, which is how one weight word per array row, or one activation word per array
column, is delivered each cycle. The host owns the ports while ``host_sel`` is high.
"""

from amaranth import *
from amaranth.lib import data, memory, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["BankedBuffer"]


class BankedBuffer(wiring.Component):
    """``banks`` memories of ``depth`` words of ``width`` bits.

    Parameters
    ----------
    banks : int
        Power of two, 1..256.
    depth : int
        Words per bank, >= 2.
    width : int
        Bits per word, 1..64.
    bank_regs : bool
        Register every bank's host read data before the bank mux (one more cycle of latency).

    Members
    -------
    host_sel : ``In(1)``: the host ports drive the memories (else the sequencer ports do).
    h_addr, h_w_data, h_w_en, h_r_en : ``In``; h_r_data : ``Out(width)``, valid ``host_read_latency``
    (2) cycles after ``h_r_en``: the bank mux output is registered (block RAM outputs are slow).
    s_addr, s_r_en : ``In``; s_r_data : ``Out(ArrayLayout(width, banks))``, one cycle after ``s_r_en``.
    s_w_addr, s_w_en (one bit per bank), s_w_data : ``In``.
    """

    def __init__(self, *, banks, depth, width=32, bank_regs=False):
        if not isinstance(banks, int) or banks < 1 or banks > 256 or banks & (banks - 1):
            raise TypeError(f"Bank count must be a power of two in 1..256, not {banks!r}")
        if not isinstance(depth, int) or depth < 2:
            raise TypeError(f"Depth must be an integer >= 2, not {depth!r}")
        if not isinstance(width, int) or not 1 <= width <= 64:
            raise TypeError(f"Width must be an integer in 1..64, not {width!r}")
        self._banks, self._depth, self._width = banks, depth, width
        self._bank_regs = bool(bank_regs)
        aw = max(1, (depth - 1).bit_length())
        hw = aw + (banks - 1).bit_length()
        super().__init__({
            "host_sel": In(1),
            "h_addr": In(hw), "h_w_data": In(width), "h_w_en": In(1), "h_r_en": In(1),
            "h_r_data": Out(width),
            "s_addr": In(aw), "s_r_en": In(1), "s_r_data": Out(data.ArrayLayout(width, banks)),
            "s_w_addr": In(aw), "s_w_en": In(banks), "s_w_data": In(data.ArrayLayout(width, banks)),
        })

    @property
    def banks(self):
        return self._banks

    @property
    def depth(self):
        return self._depth

    @property
    def width(self):
        return self._width

    @property
    def read_latency(self):
        """Sequencer-side read latency."""
        return 1

    @property
    def host_read_latency(self):
        """2, or 3 with ``bank_regs`` (every bank's output registered before the bank mux, so
        a block RAM output drives a flip-flop directly: ECP5's DP16KD is slow to its outputs)."""
        return 3 if self._bank_regs else 2

    @property
    def bank_bits(self):
        return (self._banks - 1).bit_length()

    def elaborate(self, platform):
        m = Module()
        bb = self.bank_bits
        h_bank = self.h_addr[:bb] if bb else C(0, 1)
        h_word = self.h_addr[bb:]
        r_bank = Signal.like(h_bank)
        with m.If(self.h_r_en):
            m.d.sync += r_bank.eq(h_bank)
        h_rdata = Array(Signal(self._width, name=f"h_rd{i}") for i in range(self._banks))
        for i in range(self._banks):
            mem = memory.Memory(shape=self._width, depth=self._depth, init=[])
            m.submodules[f"bank{i}"] = mem
            rp = mem.read_port()
            wp = mem.write_port()
            with m.If(self.host_sel):
                m.d.comb += [rp.addr.eq(h_word), rp.en.eq(self.h_r_en & (h_bank == i)),
                             wp.addr.eq(h_word), wp.data.eq(self.h_w_data),
                             wp.en.eq(self.h_w_en & (h_bank == i))]
            with m.Else():
                m.d.comb += [rp.addr.eq(self.s_addr), rp.en.eq(self.s_r_en),
                             wp.addr.eq(self.s_w_addr), wp.data.eq(self.s_w_data[i]),
                             wp.en.eq(self.s_w_en[i])]
            m.d.comb += [self.s_r_data[i].eq(rp.data), h_rdata[i].eq(rp.data)]
        if self._bank_regs:
            q = Array(Signal(self._width, name=f"h_rq{i}") for i in range(self._banks))
            r_bank_q = Signal.like(r_bank)
            m.d.sync += [q[i].eq(h_rdata[i]) for i in range(self._banks)]
            m.d.sync += [r_bank_q.eq(r_bank), self.h_r_data.eq(q[r_bank_q])]
        else:
            m.d.sync += self.h_r_data.eq(h_rdata[r_bank])
        return m
