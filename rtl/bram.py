"""One block-RAM primitive with a registered output, mapped to what each FPGA does best.

Every buffer of the accelerator is built from :class:`BlockRAM`: a simple dual-port memory
(one read port, one write port, one clock) whose read data is valid **two** cycles after the
read address: the memory's own output latch, then an output register. The second stage is what
makes the accelerator fast on real parts: ECP5's DP16KD takes 5.6 ns from clock to an
unregistered output (more than 80 % of a 150 MHz cycle), but well under 1 ns from its built-in
output register. The same latency everywhere keeps one sequencer schedule for all targets.

``primitive`` picks the implementation; the behaviour is the same for every read and write the
accelerator issues (a read's data stays valid until the next read or write):

- ``"inferred"``: ``lib.memory`` plus a fabric register (simulation, iCE40 EBR).

A read of the word that is written in the same cycle returns undefined data on every primitive
(no buffer of the accelerator reads what it writes in that cycle: the host owns all ports or none,
and a layer's input and output words are disjoint). Amaranth cannot say so of an inferred memory,
and Yosys then emulates the RTL's old-data result around each iCE40 block RAM with ~70
flip-flops and ~36 LUTs (a 32-bit bank); every synthesis flow therefore runs
:data:`YOSYS_BEFORE_SYNTH` after reading the design (boards, gate-level netlists, area bench).
- ``"dp16kd"``: ECP5 DP16KD blocks with ``REGMODE_B = "OUTREG"``; port A writes, port B
  reads. Each block runs in the narrowest mode deep enough for the buffer (1024 x 18,
  2048 x 9, 4096 x 4) and the width is split over blocks, so no mux follows the output
  register up to 4096 words (beyond, groups of 4096 words are muxed).
- ``"spram"``: iCE40 UP5K SB_SPRAM256KA (16384 x 16, single port) plus a fabric register;
  a write takes the port for that cycle (the host writes only while the sequencer is idle).
"""

from amaranth import *
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["BlockRAM", "PRIMITIVES", "block_count", "ice40_inferred_blocks", "YOSYS_BEFORE_SYNTH"]

PRIMITIVES = ("inferred", "dp16kd", "spram")

# Yosys commands run between reading the design and synthesis: read/write collisions of the
# inferred memories are undefined (see the module docstring), so no collision logic is built.
# Only clocked read ports (CLK_ENABLE=1) have collisions: the conv build's small asynchronous
# memory read would trip Yosys 0.70's `port.clk_enable` assertion (mem.cc:505) in OPT_MEM.
YOSYS_BEFORE_SYNTH = "setparam -set COLLISION_X_MASK 1'1 t:$memrd_v2 r:CLK_ENABLE=1 %i"

# DP16KD port modes used: (data bits, words, lowest word-address bit of AD[13:0]). The x2 and
# x1 modes are left out: the first build with them hit Yosys 0.70's ABC9 assertion
# (rtlil.cc:3091). The assertion later showed up with x4 blocks only (rtl/boards.py retries
# synthesis for it), so the modes may be fine; they are unmeasured.
_DP16KD_MODES = ((18, 1024, 4), (9, 2048, 3), (4, 4096, 2))
_SPRAM_DEPTH, _SPRAM_WIDTH = 16384, 16


def _geometry(primitive, depth, width):
    """How a ``depth`` x ``width`` memory tiles onto ``primitive``'s blocks: (block data bits,
    block words, lowest word-address bit, width slices, depth groups)."""
    if primitive == "dp16kd":
        # The narrowest port mode deep enough for the whole buffer: no group mux after the
        # output register (it would sit on the path into the array; blocks are plentiful).
        bw, bd, lsb = next((mode for mode in _DP16KD_MODES if mode[1] >= depth), _DP16KD_MODES[-1])
    else:
        bw, bd, lsb = _SPRAM_WIDTH, _SPRAM_DEPTH, 0
    return bw, bd, lsb, -(-width // bw), -(-depth // bd)


def block_count(primitive, depth, width):
    """DP16KD or SPRAM blocks a ``depth`` x ``width`` memory takes (0 for ``"inferred"``:
    Yosys decides)."""
    if primitive not in ("dp16kd", "spram"):
        return 0
    _, _, _, n_slices, n_groups = _geometry(primitive, depth, width)
    return n_slices * n_groups


def ice40_inferred_blocks(depth, width):
    """(EBRs, depth groups) Yosys maps an ``"inferred"`` ``depth`` x ``width`` BlockRAM to on
    iCE40 (SB_RAM40_4K; the groups are muxed after the blocks), (0, 0) when it keeps the
    memory in flip-flops: the cost model of Yosys' ``memory_libmap`` for
    ``techlibs/ice40/brams.txt`` (cost 64 per block; base widths 2..16 bits, 4096 / width
    words; half a unit per bit of the read mux and per write enable of the depth groups; 2 for
    the emulated read port), against 1 per bit in logic. Checked against Yosys 0.70's mapping
    by ``bench/bench_estimate.py`` (its builds' memory list) and ``tests/test_estimate.py``."""
    best = None
    for base in (2, 4, 8, 16):
        groups = -(-depth // (4096 // base))
        blocks = groups * -(-width // base)
        cost = 64 * blocks + 0.5 * (groups - 1) * width + 0.5 * (groups if groups > 1 else 0) + 2
        if best is None or cost < best[0]:
            best = (cost, blocks, groups)
    return best[1:] if best[0] < depth * width else (0, 0)


class BlockRAM(wiring.Component):
    """``depth`` words of ``width`` bits; read data ``read_latency`` (2) cycles after ``r_en``.

    Parameters
    ----------
    depth : int
        Words, >= 2.
    width : int
        Bits per word, 1..64.
    primitive : str
        One of :data:`PRIMITIVES` (see the module docstring).

    Members
    -------
    r_addr, r_en : ``In``; r_data : ``Out(width)``
        Address and enable at cycle ``t``; data during cycle ``t + 2``.
    w_addr, w_data, w_en : ``In``
        Written at the end of the cycle ``w_en`` is high.
    """

    read_latency = 2

    def __init__(self, *, depth, width, primitive="inferred"):
        if not isinstance(depth, int) or isinstance(depth, bool) or depth < 2:
            raise TypeError(f"Depth must be an integer >= 2, not {depth!r}")
        if not isinstance(width, int) or isinstance(width, bool) or not 1 <= width <= 64:
            raise TypeError(f"Width must be an integer in 1..64, not {width!r}")
        if primitive not in PRIMITIVES:
            raise ValueError(f"Primitive must be one of {', '.join(PRIMITIVES)}, not {primitive!r}")
        if primitive == "spram" and depth > 4 * _SPRAM_DEPTH:
            raise ValueError(f"An SPRAM buffer holds at most {4 * _SPRAM_DEPTH} words, not {depth}")
        self._depth, self._width, self._primitive = depth, width, primitive
        aw = max(1, (depth - 1).bit_length())
        super().__init__({
            "r_addr": In(aw), "r_en": In(1), "r_data": Out(width),
            "w_addr": In(aw), "w_data": In(width), "w_en": In(1),
        })

    depth = property(lambda self: self._depth)
    width = property(lambda self: self._width)
    primitive = property(lambda self: self._primitive)

    @property
    def blocks(self):
        """Hardware blocks used: DP16KD or SPRAM count (0 for ``"inferred"``: Yosys decides)."""
        return block_count(self._primitive, self._depth, self._width)

    def elaborate(self, platform):
        m = Module()
        if self._primitive == "inferred":
            mem = m.submodules.mem = memory.Memory(shape=self._width, depth=self._depth, init=[])
            rp, wp = mem.read_port(), mem.write_port()
            m.d.comb += [rp.addr.eq(self.r_addr), rp.en.eq(self.r_en),
                         wp.addr.eq(self.w_addr), wp.data.eq(self.w_data), wp.en.eq(self.w_en)]
            m.d.sync += self.r_data.eq(rp.data)
        elif self._primitive == "dp16kd":
            self._elaborate_dp16kd(m)
        else:
            self._elaborate_spram(m)
        return m

    def _grid(self, m, name, n_slices, n_groups, block_width, make_block):
        """Blocks ``block_width`` bits wide, ``n_slices`` across the word and ``n_groups`` deep;
        ``make_block(g, s, din, dout)`` returns block (g, s)'s Instance, named
        ``{name}_g{g}_s{s}``. Returns each group's read data, ``width`` bits."""
        din = Cat(self.w_data, C(0, n_slices * block_width - self._width))
        group_data = []
        for g in range(n_groups):
            dout = Signal(n_slices * block_width, name=f"g{g}_dout")
            group_data.append(dout[:self._width])
            for s in range(n_slices):
                sl = slice(s * block_width, (s + 1) * block_width)
                m.submodules[f"{name}_g{g}_s{s}"] = make_block(g, s, din[sl], dout[sl])
        return group_data

    def _elaborate_dp16kd(self, m):
        w, depth, lsb, n_slices, n_groups = _geometry("dp16kd", self._depth, self._width)
        gb = (n_groups - 1).bit_length()
        ab = (depth - 1).bit_length()
        r_word, w_word = self.r_addr[:ab], self.w_addr[:ab]
        r_grp = self.r_addr[ab:ab + gb] if gb else C(0, 1)
        w_grp = self.w_addr[ab:ab + gb] if gb else C(0, 1)
        g1, g2 = Signal.like(r_grp, name="r_grp1"), Signal.like(r_grp, name="r_grp2")
        with m.If(self.r_en):
            m.d.sync += g1.eq(r_grp)
        m.d.sync += g2.eq(g1)

        def dp16kd(g, s, din, dout):
            ports = {}
            # The word address sits in AD[13:lsb]; in x18 mode AD[1:0] are byte-write
            # enables (both on for port A's writes), the other low bits are 0.
            for i in range(14):
                word_bit = i - lsb
                ports[f"i_ADA{i}"] = (w_word[word_bit] if 0 <= word_bit < len(w_word) else
                                      C(1, 1) if w == 18 and i < 2 else C(0, 1))
                ports[f"i_ADB{i}"] = r_word[word_bit] if 0 <= word_bit < len(r_word) else C(0, 1)
            for i in range(18):
                ports[f"i_DIA{i}"] = din[i] if i < w else C(0, 1)
                ports[f"i_DIB{i}"] = C(0, 1)
                if i < w:
                    ports[f"o_DOB{i}"] = dout[i]
            for c in "AB":
                for i in range(3):
                    ports[f"i_CS{c}{i}"] = C(0, 1)
                ports[f"i_RST{c}"] = C(0, 1)
                ports[f"i_CLK{c}"] = ClockSignal("sync")
            return Instance(
                "DP16KD",
                p_DATA_WIDTH_A=w, p_DATA_WIDTH_B=w, p_REGMODE_A="NOREG", p_REGMODE_B="OUTREG",
                p_RESETMODE="SYNC", p_ASYNC_RESET_RELEASE="SYNC", p_CSDECODE_A="0b000",
                p_CSDECODE_B="0b000", p_WRITEMODE_A="NORMAL", p_WRITEMODE_B="NORMAL",
                p_GSR="DISABLED",
                i_WEA=self.w_en & (w_grp == g), i_CEA=self.w_en & (w_grp == g), i_OCEA=C(1, 1),
                i_WEB=C(0, 1), i_CEB=self.r_en, i_OCEB=C(1, 1),
                **ports)

        group_data = self._grid(m, "dp16kd", n_slices, n_groups, w, dp16kd)
        if n_groups == 1:
            m.d.comb += self.r_data.eq(group_data[0])
        else:
            m.d.comb += self.r_data.eq(Array(group_data)[g2])

    def _elaborate_spram(self, m):
        _, _, _, n_slices, n_groups = _geometry("spram", self._depth, self._width)
        # One port: a write takes it, else the read address drives it.
        addr = Mux(self.w_en, self.w_addr, self.r_addr)
        a_grp = addr[14:14 + (n_groups - 1).bit_length()] if n_groups > 1 else C(0, 1)
        addr14 = Cat(addr, C(0, 14))[:14]           # the SPRAM's full 14-bit word address
        g1 = Signal.like(a_grp, name="r_grp1")
        with m.If(self.r_en & ~self.w_en):
            m.d.sync += g1.eq(a_grp)

        def spram(g, s, din, dout):
            sel = a_grp == g
            return Instance(
                "SB_SPRAM256KA",
                i_ADDRESS=addr14, i_DATAIN=din, i_MASKWREN=C(0b1111, 4),
                i_WREN=self.w_en & sel, i_CHIPSELECT=(self.w_en | self.r_en) & sel,
                i_CLOCK=ClockSignal("sync"), i_STANDBY=C(0, 1), i_SLEEP=C(0, 1),
                i_POWEROFF=C(1, 1), o_DATAOUT=dout)

        group_data = self._grid(m, "spram", n_slices, n_groups, _SPRAM_WIDTH, spram)
        # The SPRAM output is already a register: select the group, then register once more.
        m.d.sync += self.r_data.eq(Array(group_data)[g1] if n_groups > 1 else group_data[0])
