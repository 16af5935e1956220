"""SPI target to Wishbone master bridge: four wires from a microcontroller to the accelerator.

SPI mode 0 (CPOL = 0, CPHA = 0), MSB first, ``cs_n`` active low. The SPI pins are oversampled in
the system clock domain (two-flop synchronisers), so ``sck`` must be at most ``clk / 10``
(``min_sck_period``): MISO changes about four system clocks after SCK falls, and the host
samples it on the next rising edge. One transaction per ``cs_n`` low period:

* ``0x02 A2 A1 A0  D3 D2 D1 D0  [D3 ...]`` -- write: 24-bit byte address, then 32-bit words
  (most significant byte first); each complete word is written, the address then advances by 4.
* ``0x03 A2 A1 A0  XX  D3 D2 D1 D0 [D3 ...]`` -- read: after one dummy byte the target shifts out
  the word at the address, then the following words as long as the host keeps clocking.

Other command bytes are ignored until ``cs_n`` rises. The bridge never waits on the host: every
bus access it starts completes because the Wishbone target acks every access.
"""

from amaranth import *
from amaranth.lib import wiring
from amaranth.lib.cdc import FFSynchronizer
from amaranth.lib.wiring import In, Out

from .wishbone import wishbone_signature

__all__ = ["SPIBridge", "CMD_WRITE", "CMD_READ"]

CMD_WRITE = 0x02
CMD_READ = 0x03


class SPIBridge(wiring.Component):
    """SPI target (mode 0) mastering a 32-bit Wishbone B4 classic bus.

    Parameters
    ----------
    addr_width : int
        Wishbone word address bits (byte addresses on the wire are 24 bits; the top bits are dropped).

    Members
    -------
    sck, cs_n, mosi : ``In(1)``, miso : ``Out(1)``
    bus : ``Out(wishbone_signature(addr_width))``
    """

    def __init__(self, *, addr_width):
        if not isinstance(addr_width, int) or not 1 <= addr_width <= 22:
            raise TypeError(f"Address width must be an integer in 1..22, not {addr_width!r}")
        self._addr_width = addr_width
        super().__init__({
            "sck": In(1), "cs_n": In(1, init=1), "mosi": In(1), "miso": Out(1),
            "bus": Out(wishbone_signature(addr_width)),
        })

    @property
    def addr_width(self):
        return self._addr_width

    @property
    def min_sck_period(self):
        """Least SCK period, in system clocks."""
        return 10

    @property
    def read_dummy_bytes(self):
        return 1

    def elaborate(self, platform):
        m = Module()
        sck, cs_n, mosi = Signal(), Signal(init=1), Signal()
        m.submodules.sync_sck = FFSynchronizer(self.sck, sck)
        m.submodules.sync_cs = FFSynchronizer(self.cs_n, cs_n, init=1)
        m.submodules.sync_mosi = FFSynchronizer(self.mosi, mosi)
        sck_prev = Signal()
        m.d.sync += sck_prev.eq(sck)
        # Edges are acted on a cycle after they are seen, from flip-flops (timing; SCK is at
        # most clk / 10, so the data bit is long stable).
        rise, fall, mosi_q = Signal(), Signal(), Signal()
        m.d.sync += [rise.eq(sck & ~sck_prev & ~cs_n), fall.eq(~sck & sck_prev & ~cs_n),
                     mosi_q.eq(mosi)]

        bit = Signal(3)
        shin = Signal(8)
        nbyte = Signal(3)           # header bytes seen, saturating at 5
        wbyte = Signal(2)           # byte within the current data word
        cmd_read, cmd_write = Signal(), Signal()     # the command byte, decoded when it arrives
        addr = Signal(24)
        word = Signal(32)           # write word being assembled / read word being sent
        tx = Signal(8)
        byte_done = Signal()        # set on the rising edge that completed a byte
        m.d.comb += self.miso.eq(tx[7])

        bus = self.bus
        go_write, go_read = Signal(), Signal()      # one-cycle pulses: start a bus access
        m.d.sync += [go_write.eq(0), go_read.eq(0)]
        m.d.comb += [bus.adr.eq(addr[2:2 + self._addr_width]), bus.sel.eq(0b1111)]
        with m.If(bus.cyc & bus.ack):
            m.d.sync += [bus.cyc.eq(0), bus.stb.eq(0)]
            with m.If(~bus.we):
                m.d.sync += word.eq(bus.dat_r)

        with m.If(cs_n):
            m.d.sync += [bit.eq(0), nbyte.eq(0), wbyte.eq(0), tx.eq(0), byte_done.eq(0),
                         cmd_read.eq(0), cmd_write.eq(0)]
        with m.Elif(rise):
            new = Cat(mosi_q, shin[:7])
            m.d.sync += [shin.eq(new), bit.eq(bit + 1), byte_done.eq(bit == 7)]
            with m.If(bit == 7):
                with m.Switch(nbyte):
                    with m.Case(0):
                        m.d.sync += [cmd_read.eq(new == CMD_READ), cmd_write.eq(new == CMD_WRITE)]
                    with m.Case(1):
                        m.d.sync += addr[16:24].eq(new)
                    with m.Case(2):
                        m.d.sync += addr[8:16].eq(new)
                    with m.Case(3):
                        m.d.sync += addr[0:8].eq(new)
                        with m.If(cmd_read):    # fetch the first word during the dummy byte
                            m.d.sync += go_read.eq(1)
                    with m.Default():
                        with m.If(cmd_write):
                            m.d.sync += word.eq(Cat(new, word[:24]))
                            m.d.sync += wbyte.eq(wbyte + 1)
                            with m.If(wbyte == 3):
                                m.d.sync += go_write.eq(1)
                with m.If(nbyte != 5):
                    m.d.sync += nbyte.eq(nbyte + 1)
        with m.Elif(fall):
            m.d.sync += byte_done.eq(0)
            with m.If(byte_done & cmd_read & (nbyte == 5)):
                # Load the next byte of the read word, most significant first.
                m.d.sync += tx.eq(word.word_select(~wbyte, 8)), wbyte.eq(wbyte + 1)
                with m.If(wbyte == 3):                  # last byte loaded: fetch the next word
                    m.d.sync += [go_read.eq(1), addr.eq(addr + 4)]
            with m.Else():
                m.d.sync += tx.eq(tx << 1)
        # A decoded byte starts its bus access a cycle later, from a flip-flop (timing: the
        # byte decode stays apart from the bus registers' enables).
        with m.If(go_write):
            m.d.sync += [bus.cyc.eq(1), bus.stb.eq(1), bus.we.eq(1), bus.dat_w.eq(word)]
        with m.If(go_read):
            m.d.sync += [bus.cyc.eq(1), bus.stb.eq(1), bus.we.eq(0)]
        # After a complete write word, the address advances (the access already latched adr).
        with m.If(bus.cyc & bus.ack & bus.we):
            m.d.sync += addr.eq(addr + 4)
        return m
