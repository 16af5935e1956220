"""The descriptor decoder on its own in Amaranth's simulator, its descriptor memory a real
:class:`~bittern.rtl.bram.BlockRAM`: what the decoder tests of every build option share."""

from amaranth import Module
from amaranth.sim import Simulator

from bittern.rtl import regmap as rm
from bittern.rtl.bram import BlockRAM
from bittern.rtl.seq_decode import DescriptorDecoder

__all__ = ["decode_each"]


def decode_each(cases, *, rows, cols, depths, read, features=0, max_cycles=100):
    """Decode each ``(words, n_layers)`` of ``cases`` as layer 0 of a fresh run and return, per
    case, ``read(ctx, dec)`` taken when the decoder is ready (then the run is dropped).

    ``depths``: the decoder's buffer depths; ``features``: the build's ``FEATURES`` word."""
    m = Module()
    m.submodules.mem = mem = BlockRAM(depth=rm.MAX_LAYERS * rm.DESC_WORDS, width=32)
    m.submodules.dec = dec = DescriptorDecoder(rows=rows, cols=cols, features=features, **depths)
    m.d.comb += [mem.r_addr.eq(dec.d_addr), mem.r_en.eq(dec.d_en), dec.d_data.eq(mem.r_data)]
    seen = []

    async def bench(ctx):
        for words, n_layers in cases:
            for i, v in enumerate(words):
                ctx.set(mem.w_addr, i)
                ctx.set(mem.w_data, v)
                ctx.set(mem.w_en, 1)
                await ctx.tick()
            ctx.set(mem.w_en, 0)
            ctx.set(dec.n_layers, n_layers)
            ctx.set(dec.go, 1)
            await ctx.tick()
            ctx.set(dec.go, 0)
            for _ in range(max_cycles):
                await ctx.tick()
                if ctx.get(dec.ready):
                    break
            assert ctx.get(dec.ready), f"the decoder was not ready after {max_cycles} cycles"
            seen.append(read(ctx, dec))
            ctx.set(dec.drop, 1)
            await ctx.tick()
            ctx.set(dec.drop, 0)
            await ctx.tick()

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return seen
