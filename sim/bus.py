"""Bus masters of every testbench and of the co-simulation (cocotb coroutines).

* :class:`WishboneMaster`: Wishbone B4 classic on the ``bus__*`` ports of an
  :class:`~bittern.rtl.accelerator.Accelerator` top, one access per call.
* :class:`SPIMaster`: SPI mode 0 on the ``sck``/``cs_n``/``mosi``/``miso`` ports of an
  :class:`~bittern.rtl.boards.SPIAccelerator` top, one frame per chip-select period. Its
  frames are those of :mod:`bittern.rtl.spi` (:func:`write_frame`, :func:`read_frame`).

Both offer ``read32``/``write32``/``read_burst``/``write_burst`` on byte addresses, so a
testbench does not care which bus it drives. Register addresses come from
:mod:`bittern.rtl.regmap`; nothing here knows a register.
"""

from bittern.rtl.spi import CMD_READ, CMD_WRITE

__all__ = ["ACK_TIMEOUT", "READ_HEADER", "WRITE_HEADER", "BusError", "WishboneMaster", "SPIMaster",
           "write_frame", "read_frame", "read_words"]

ACK_TIMEOUT = 64
WRITE_HEADER = 4        # command byte, 24-bit address (rtl/spi.py)
READ_HEADER = 5         # command byte, 24-bit address, one dummy byte (rtl/spi.py)


class BusError(RuntimeError):
    """A bus access failed (no acknowledge); the message names the address."""


def _header(cmd, addr):
    return bytes([cmd, (addr >> 16) & 0xFF, (addr >> 8) & 0xFF, addr & 0xFF])


def write_frame(addr, words):
    """The SPI frame writing ``words`` (32-bit, most significant byte first) from ``addr`` on."""
    return _header(CMD_WRITE, addr) + b"".join((w & 0xFFFFFFFF).to_bytes(4, "big") for w in words)


def read_frame(addr, n):
    """The SPI frame reading ``n`` words from ``addr``; :func:`read_words` decodes what came back."""
    return _header(CMD_READ, addr) + bytes(1 + 4 * n)


def read_words(rx, n):
    """The ``n`` words of a read frame's reply ``rx``."""
    return [int.from_bytes(rx[READ_HEADER + 4 * i: READ_HEADER + 4 * i + 4], "big")
            for i in range(n)]


class WishboneMaster:
    """Wishbone B4 classic master. An access that sees no ``ack`` within :data:`ACK_TIMEOUT`
    cycles raises :class:`BusError` (the target documents a fixed latency, so a missing ack
    is a hardware bug, not a wait)."""

    def __init__(self, dut):
        self.dut = dut
        for name in ("cyc", "stb", "we", "sel", "adr", "dat_w"):
            getattr(dut, f"bus__{name}").value = 0

    async def access(self, addr, value=None):
        from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge
        d = self.dut
        await FallingEdge(d.clk)
        d.bus__adr.value = addr >> 2
        d.bus__cyc.value = 1
        d.bus__stb.value = 1
        d.bus__sel.value = 0xF
        d.bus__we.value = 0 if value is None else 1
        d.bus__dat_w.value = 0 if value is None else value
        for _ in range(ACK_TIMEOUT):
            await RisingEdge(d.clk)
            await ReadOnly()
            if int(d.bus__ack.value):
                data = int(d.bus__dat_r.value)
                break
        else:
            raise BusError(f"no Wishbone ack for address 0x{addr:05X} within {ACK_TIMEOUT} cycles")
        await FallingEdge(d.clk)
        d.bus__cyc.value = 0
        d.bus__stb.value = 0
        d.bus__we.value = 0
        return data

    async def read32(self, addr):
        return await self.access(addr)

    async def write32(self, addr, value):
        await self.access(addr, value & 0xFFFFFFFF)

    async def read_burst(self, addr, n):
        return [await self.access(addr + 4 * i) for i in range(n)]

    async def write_burst(self, addr, words):
        for i, v in enumerate(words):
            await self.access(addr + 4 * i, v & 0xFFFFFFFF)


class SPIMaster:
    """SPI mode-0 master: full duplex, MSB first, SCK half period ``half_ns``."""

    def __init__(self, dut, half_ns):
        self.dut, self.half = dut, half_ns
        dut.cs_n.value = 1
        dut.sck.value = 0
        dut.mosi.value = 0

    async def frame(self, tx):
        """One chip-select period shifting out the bytes ``tx``; returns the bytes read on MISO."""
        from cocotb.triggers import Timer
        d, half = self.dut, self.half
        d.cs_n.value = 0
        await Timer(half, unit="ns")
        rx = []
        for byte in tx:
            got = 0
            for i in range(7, -1, -1):
                d.mosi.value = (byte >> i) & 1
                await Timer(half, unit="ns")
                d.sck.value = 1                 # target samples MOSI, we sample MISO
                got = (got << 1) | int(d.miso.value)
                await Timer(half, unit="ns")
                d.sck.value = 0
            rx.append(got)
        await Timer(half, unit="ns")
        d.cs_n.value = 1
        await Timer(2 * half, unit="ns")
        return bytes(rx)

    async def read_burst(self, addr, n):
        return read_words(await self.frame(read_frame(addr, n)), n)

    async def write_burst(self, addr, words):
        await self.frame(write_frame(addr, words))

    async def read32(self, addr):
        return (await self.read_burst(addr, 1))[0]

    async def write32(self, addr, value):
        await self.write_burst(addr, [value])
