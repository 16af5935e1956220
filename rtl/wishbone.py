"""Wishbone B4 classic target, turned into the accelerator's simple register port.

The register port (``RegPort``) is what the accelerator decodes: one-cycle ``w_stb``/``r_stb``
strobes with a word address, and read data valid ``read_latency`` cycles after ``r_stb``. ``WishboneTarget``
adapts a Wishbone B4 *classic* (non-pipelined) 32-bit bus to it with a fixed latency of two wait
states: ``ack`` rises exactly ``2 + read_latency`` cycles after ``cyc & stb`` (``latency``), for reads and
writes alike, so a bus never hangs. Byte selects are not supported: every access is a full word
(``sel`` is ignored; the register map has no byte fields).
"""

from amaranth import *
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["wishbone_signature", "regport_signature", "WishboneTarget"]


def wishbone_signature(addr_width):
    """Signature of a 32-bit Wishbone B4 classic bus, from the master's point of view."""
    if not isinstance(addr_width, int) or not 1 <= addr_width <= 30:
        raise TypeError(f"Address width must be an integer in 1..30, not {addr_width!r}")
    return wiring.Signature({
        "adr": Out(addr_width), "dat_w": Out(32), "dat_r": In(32), "sel": Out(4),
        "cyc": Out(1), "stb": Out(1), "we": Out(1), "ack": In(1), "err": In(1),
    })


def regport_signature(addr_width):
    """Signature of the accelerator's register port, from the master's point of view."""
    if not isinstance(addr_width, int) or not 1 <= addr_width <= 30:
        raise TypeError(f"Address width must be an integer in 1..30, not {addr_width!r}")
    return wiring.Signature({
        "addr": Out(addr_width), "w_data": Out(32), "w_stb": Out(1), "r_stb": Out(1),
        "r_data": In(32),
    })


class WishboneTarget(wiring.Component):
    """Wishbone B4 classic target driving a :func:`regport_signature` master port.

    Parameters
    ----------
    addr_width : int
        Word address bits (the byte address space is ``addr_width + 2`` bits).

    Members
    -------
    bus : ``In(wishbone_signature(addr_width))``
    port : ``Out(regport_signature(addr_width))``
    """

    def __init__(self, *, addr_width, read_latency=1):
        if not isinstance(addr_width, int) or not 1 <= addr_width <= 30:
            raise TypeError(f"Address width must be an integer in 1..30, not {addr_width!r}")
        if not isinstance(read_latency, int) or not 1 <= read_latency <= 8:
            raise ValueError(f"Read latency must be an integer in 1..8, not {read_latency!r}")
        self._addr_width = addr_width
        self._read_latency = read_latency
        super().__init__({
            "bus": In(wishbone_signature(addr_width)),
            "port": Out(regport_signature(addr_width)),
        })

    @property
    def addr_width(self):
        return self._addr_width

    @property
    def read_latency(self):
        """Cycles from a port strobe to valid ``r_data``."""
        return self._read_latency

    @property
    def latency(self):
        """Cycles from ``cyc & stb`` to ``ack`` (reads and writes alike)."""
        return 2 + self._read_latency

    def elaborate(self, platform):
        m = Module()
        bus, port = self.bus, self.port
        # The request is registered before it reaches the register port, so the accelerator's
        # address decode starts from flip-flops, not from the bus master's logic.
        inflight = Signal()
        stb_q = Signal()
        we_q = Signal()
        read_q = Signal()   # strobe sent, read data arrives this cycle
        ack = Signal()
        rdata = Signal(32)  # held for the ack cycle
        addr = Signal.like(port.addr)
        wdata = Signal(32)
        start = bus.cyc & bus.stb & ~inflight
        # A master holds adr, dat_w and we steady while it strobes, so they are sampled on
        # every idle cycle: their enable is one flip-flop, not the master's strobe logic.
        with m.If(~inflight):
            m.d.sync += [addr.eq(bus.adr), wdata.eq(bus.dat_w), we_q.eq(bus.we)]
        with m.If(start):
            m.d.sync += inflight.eq(1)
        m.d.sync += [stb_q.eq(start)]
        prev = stb_q
        for i in range(self._read_latency - 1):
            nxt = Signal(name=f"read_d{i}")
            m.d.sync += nxt.eq(prev)
            prev = nxt
        m.d.sync += read_q.eq(prev)
        m.d.sync += ack.eq(read_q)
        with m.If(read_q):
            m.d.sync += rdata.eq(port.r_data)
        with m.If(ack):
            m.d.sync += inflight.eq(0)
        m.d.comb += [
            port.addr.eq(addr), port.w_data.eq(wdata),
            port.w_stb.eq(stb_q & we_q), port.r_stb.eq(stb_q & ~we_q),
            bus.ack.eq(ack), bus.err.eq(0), bus.dat_r.eq(rdata),
        ]
        return m
