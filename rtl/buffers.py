"""On-chip buffers: banks of :class:`~bittern.rtl.bram.BlockRAM` (one read and one write port each).

Each bank is a simple-dual-port memory with a registered output (read data two cycles after the
address), the shape every FPGA block RAM implements (iCE40 EBR or SPRAM, ECP5 DP16KD).
The host (bus) side sees the banks interleaved: window word ``j`` is word ``j // banks`` of bank
``j % banks`` (``banks`` is a power of two). The sequencer side reads or writes the same word of
every bank at once, which is how one weight word per array row, or one activation word per array
column, is delivered each cycle. The host owns the ports while ``host_sel`` is high.
"""

from amaranth import *
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .bram import PRIMITIVES, BlockRAM

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
    primitive : str
        How each bank is built (:data:`bittern.rtl.bram.PRIMITIVES`).
    host_regs : bool
        For a large device, where the block RAMs lie far from the bus logic: register the host
        port (address, data, per-bank enables) before the memories, and each bank's read data
        before the bank mux. Costs ~50 flip-flops plus ``width`` per bank. Without it the bank
        mux reads the memories' output registers directly (they hold a read's data until the
        next read, and the host is the only reader while it owns the ports).

    Members
    -------
    host_sel : ``In(1)``: the host ports drive the memories (else the sequencer ports do), from
    the next cycle on (each bank registers it next to its memory: the select fans out to every
    address, data and enable bit).
    h_addr, h_w_data, h_w_en, h_r_en : ``In`` (with ``host_regs``, registered before they
    reach the memories: a write lands a cycle later); h_r_data : ``Out(width)``, valid
    ``host_read_latency`` (3, or 5 with ``host_regs``) cycles after ``h_r_en``: the bank's two
    stages (with ``host_regs`` a register per bank), then the bank mux, registered.
    s_addr, s_r_en : ``In``; s_r_data : ``Out(ArrayLayout(width, banks))``, ``read_latency`` (2)
    cycles after ``s_r_en``.
    s_w_addr, s_w_en (one bit per bank), s_w_data : ``In``.
    """

    read_latency = BlockRAM.read_latency

    def __init__(self, *, banks, depth, width=32, primitive="inferred", host_regs=False):
        if not isinstance(banks, int) or banks < 1 or banks > 256 or banks & (banks - 1):
            raise TypeError(f"Bank count must be a power of two in 1..256, not {banks!r}")
        if not isinstance(depth, int) or depth < 2:
            raise TypeError(f"Depth must be an integer >= 2, not {depth!r}")
        if not isinstance(width, int) or not 1 <= width <= 64:
            raise TypeError(f"Width must be an integer in 1..64, not {width!r}")
        if primitive not in PRIMITIVES:
            raise ValueError(f"Primitive must be one of {', '.join(PRIMITIVES)}, not {primitive!r}")
        self._banks, self._depth, self._width = banks, depth, width
        self._primitive = primitive
        self._host_regs = bool(host_regs)
        aw = max(1, (depth - 1).bit_length())
        hw = aw + (banks - 1).bit_length()
        super().__init__({
            "host_sel": In(1),
            "h_addr": In(hw), "h_w_data": In(width), "h_w_en": In(1), "h_r_en": In(1),
            "h_r_data": Out(width),
            "s_addr": In(aw), "s_r_en": In(1), "s_r_data": Out(data.ArrayLayout(width, banks)),
            "s_w_addr": In(aw), "s_w_en": In(banks), "s_w_data": In(data.ArrayLayout(width, banks)),
        })

    banks = property(lambda self: self._banks)
    depth = property(lambda self: self._depth)
    width = property(lambda self: self._width)
    primitive = property(lambda self: self._primitive)

    @property
    def host_read_latency(self):
        return BlockRAM.read_latency + 1 + 2 * self._host_regs

    @property
    def bank_bits(self):
        return (self._banks - 1).bit_length()

    def elaborate(self, platform):
        m = Module()
        bb = self.bank_bits
        banks = self._banks
        # With host_regs the host accesses are registered first, the bank already decoded into
        # one enable bit per bank, so a memory's pins see a flip-flop and the host/sequencer
        # mux (timing).
        h_bank = self.h_addr[:bb] if bb else C(0, 1)
        h_word = Signal(len(self.h_addr) - bb)
        h_w_data = Signal(self._width)
        h_w_en, h_r_en = Signal(banks), Signal(banks)
        dom = m.d.sync if self._host_regs else m.d.comb
        dom += [h_word.eq(self.h_addr[bb:]), h_w_data.eq(self.h_w_data),
                h_w_en.eq(Cat(self.h_w_en & (h_bank == i) for i in range(banks))),
                h_r_en.eq(Cat(self.h_r_en & (h_bank == i) for i in range(banks)))]
        # The bank of a host read follows its data through the input register and the
        # per-bank register (with host_regs) and the memory's two stages.
        stages = BlockRAM.read_latency + 2 * self._host_regs
        r_bank = [Signal.like(h_bank, name=f"r_bank{i}") for i in range(stages)]
        with m.If(self.h_r_en):
            m.d.sync += r_bank[0].eq(h_bank)
        m.d.sync += [r_bank[i + 1].eq(r_bank[i]) for i in range(stages - 1)]
        bank_dom = m.d.sync if self._host_regs else m.d.comb
        h_rdata = Array(Signal(self._width, name=f"h_rd{i}") for i in range(banks))
        for i in range(banks):
            ram = m.submodules[f"bank{i}"] = BlockRAM(depth=self._depth, width=self._width,
                                                      primitive=self._primitive)
            sel = Signal(name=f"host_sel{i}", init=1)
            m.d.sync += sel.eq(self.host_sel)
            with m.If(sel):
                m.d.comb += [ram.r_addr.eq(h_word), ram.r_en.eq(h_r_en[i]),
                             ram.w_addr.eq(h_word), ram.w_data.eq(h_w_data),
                             ram.w_en.eq(h_w_en[i])]
            with m.Else():
                m.d.comb += [ram.r_addr.eq(self.s_addr), ram.r_en.eq(self.s_r_en),
                             ram.w_addr.eq(self.s_w_addr), ram.w_data.eq(self.s_w_data[i]),
                             ram.w_en.eq(self.s_w_en[i])]
            m.d.comb += self.s_r_data[i].eq(ram.r_data)
            bank_dom += h_rdata[i].eq(ram.r_data)
        m.d.sync += self.h_r_data.eq(h_rdata[r_bank[-1]])
        return m
