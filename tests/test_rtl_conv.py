"""conv2d on the accelerator, component level: the CONV_XNOR op (refusals, descriptor,
footprints) and the conv fetch's tap loops (Amaranth simulator).

The fetch test runs :class:`ConvFetch` on seeded random geometries (kernel 1..5, stride 1..2,
pad, pool 1..4, channels across word boundaries) and feeds the addresses it issues, with the
weight and activation banks laid out exactly as the op's writes and ``pack_map`` lay them out,
through a word-level model of the XNOR array (``n - 2*popcount(a ^ w)`` per reduction, padded
taps zero in both operands), the write-back's correction and the running max of the pool.
The pooled accumulators must equal the golden model's bit for bit, in the loop order the
write-back expects (pooled position -> channel tile -> row), and two reductions must start at
least ``cols`` cycles apart (the array's drain rule)."""

import numpy as np
import pytest
import torch
from amaranth.sim import Simulator

from bittern.model import golden, randspec
from bittern.model.spec import Enc, Kind, WEnc
from bittern.rtl import regmap as rm
from bittern.rtl.conv_fetch import ConvFetch
from bittern.rtl.ops.conv_xnor import ConvXnor, pack_map

ROWS, COLS = 4, 2
W_DEPTH, A_DEPTH = 4096, 4096
OP = ConvXnor()


def _conv(rng, *, in_h, in_w, in_c, out_c, kernel, stride=1, pad=0, pool=1, out_enc=Enc.BINARY):
    return randspec.random_layer(rng, kind=Kind.CONV, in_h=in_h, in_w=in_w, in_c=in_c, out_c=out_c,
                                 kernel=kernel, stride=stride, pad=pad, pool=pool, out_enc=out_enc,
                                 out_bits=1 if out_enc == Enc.BINARY else 0)


def _random_geometries(rng, n):
    out = []
    while len(out) < n:
        k = int(rng.integers(1, 6))
        s = int(rng.integers(1, 3))
        p = int(rng.integers(0, k))
        pool = int(rng.choice([1, 1, 2, 2, 3, 4]))
        in_h, in_w = (int(v) for v in rng.integers(max(1, k - 2 * p), k + 5, size=2))
        in_c = int(rng.choice([1, 3, 32, 33]))
        out_c = int(rng.integers(1, 10))
        geo = dict(in_h=in_h, in_w=in_w, in_c=in_c, out_c=out_c, kernel=k, stride=s, pad=p, pool=pool)
        conv_h = (in_h + 2 * p - k) // s + 1
        conv_w = (in_w + 2 * p - k) // s + 1
        cycles = (conv_h // pool) * (conv_w // pool) * pool * pool * -(-out_c // ROWS) * k * k * -(-in_c // 32)
        if conv_h >= pool and conv_w >= pool and cycles <= 700:
            out.append(geo)
    return out


def _fields(layer, *, w_base, a_in):
    return {"in_h": layer.in_h, "in_w": layer.in_w, "words": -(-layer.in_c // 32),
            "n_in": layer.in_c, "kernel": layer.kernel, "stride": layer.stride, "pad": layer.pad,
            "pool": layer.pool, "out_h": layer.out_h, "out_w": layer.out_w,
            "tiles": -(-layer.out_c // ROWS), "a_in": a_in, "w_base": w_base}


def _array_model(layer, trace, wbank, abank):
    """Pooled accumulators [(row, col) per reduction group] from the fetch's word stream."""
    popcount = np.vectorize(lambda v: bin(int(v)).count("1"))
    pooled, red, best = [], None, None
    for w_addr, a_addr, first, last, pad, n, corr, pool_first, pool_last in trace:
        if first:
            red = np.zeros((ROWS, COLS), dtype=np.int64)
        w = np.array([wbank[r].get(w_addr, 0) for r in range(ROWS)], dtype=np.int64)
        a = np.array([abank[c].get(a_addr, 0) for c in range(COLS)], dtype=np.int64)
        if pad:
            w, a = w * 0, a * 0
        red += popcount(w[:, None] ^ a[None, :])
        if last:
            acc = n - 2 * red - corr
            best = acc if pool_first else np.maximum(best, acc)
            if pool_last:
                pooled.append(best)
    return pooled


def _run_fetch(cases):
    """Runs the fetch over ``cases`` [(fields, ...)]; per case the word stream and the cycles
    between reduction starts."""
    dut = ConvFetch(cols=COLS, w_depth=W_DEPTH, a_depth=A_DEPTH)
    results = []

    async def bench(ctx):
        for fields in cases:
            for name, v in fields.items():
                ctx.set(getattr(dut.fields, name), v)
            ctx.set(dut.load, 1)
            await ctx.tick()
            ctx.set(dut.load, 0)
            addrs, marks, starts, cycle = [], [], [], 0
            while True:
                if ctx.get(dut.w_en):
                    addrs.append((ctx.get(dut.w_addr), ctx.get(dut.a_addr)))
                if ctx.get(dut.g_valid):
                    marks.append((ctx.get(dut.g_first), ctx.get(dut.g_last), ctx.get(dut.g_pad),
                                  ctx.get(dut.g_n), ctx.get(dut.g_corr), ctx.get(dut.g_pool_first),
                                  ctx.get(dut.g_pool_last)))
                    if marks[-1][0]:
                        starts.append(cycle)
                busy = ctx.get(dut.busy)
                await ctx.tick()
                cycle += 1
                if not busy and not ctx.get(dut.g_valid) and cycle > 4:
                    # the last words' marks are two cycles behind their addresses
                    break
                assert cycle < 100000, "the conv fetch never finished"
            assert len(addrs) == len(marks)
            results.append(([a + mk for a, mk in zip(addrs, marks)], starts))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return results


def test_conv_fetch_tap_loops_match_golden():
    seed = 1911
    print("seed", seed)
    rng = np.random.default_rng(seed)
    geos = [dict(in_h=5, in_w=5, in_c=1, out_c=3, kernel=3),                      # no pad, no pool first
            dict(in_h=6, in_w=5, in_c=33, out_c=6, kernel=3, pad=1, pool=2),      # the CNN's kind
            dict(in_h=7, in_w=6, in_c=3, out_c=5, kernel=5, stride=2, pad=4 - 2)]
    geos += _random_geometries(rng, 9)
    layers, cases, banks = [], [], []
    for i, geo in enumerate(geos):
        layer = _conv(rng, **geo)
        assert OP.why_not(layer, last=False) is None, (geo, OP.why_not(layer, last=False))
        w_base, a_in = 3 + i, 5 + 2 * i
        wbank = [dict() for _ in range(ROWS)]
        for r, off, word in OP.weight_words(layer, rows=ROWS):
            wbank[r][w_base + off] = word
        x = randspec.random_input(rng, layer, COLS)
        words = pack_map(x)
        abank = [{a_in + j: int(v) for j, v in enumerate(words[c])} for c in range(COLS)]
        layers.append((layer, x))
        banks.append((wbank, abank))
        cases.append(_fields(layer, w_base=w_base, a_in=a_in))
    for (layer, x), (wbank, abank), (trace, starts) in zip(layers, banks, _run_fetch(cases)):
        where = (f"k{layer.kernel} s{layer.stride} p{layer.pad} pool{layer.pool} "
                 f"{layer.in_h}x{layer.in_w}x{layer.in_c}->{layer.out_c}")
        assert len(trace) == OP.cycles(layer, rows=ROWS, cols=COLS), where
        assert all(b - a >= COLS for a, b in zip(starts, starts[1:])), where
        want = golden.pool_max(golden.layer_accumulators(torch.as_tensor(x, dtype=torch.int64), layer),
                              layer.pool)
        got = _array_model(layer, trace, wbank, abank)
        tiles = -(-layer.out_c // ROWS)
        assert len(got) == layer.out_h * layer.out_w * tiles, where
        for i, acc in enumerate(got):
            pos, t = divmod(i, tiles)
            py, px = divmod(pos, layer.out_w)
            for r in range(ROWS):
                mch = t * ROWS + r
                if mch < layer.out_c:
                    for c in range(COLS):
                        assert acc[r, c] == int(want[c, py, px, mch]), \
                            f"{where}: pooled ({py},{px}) channel {mch} image {c}"
    print(f"{len(geos)} conv geometries exact")


@pytest.mark.parametrize("change, reason", [
    (dict(kernel=6), "kernel 6 is not 1..5"),
    (dict(stride=3), "stride 3 is not 1 or 2"),
    (dict(pad=3), "pad 3 is not below the kernel 3"),
    (dict(pool=5), "pool 5 is not 1..4"),
    (dict(in_h=1, in_w=1, pad=0), "kernel 3 is larger than the padded input 1x1"),
    (dict(in_h=3, in_w=3, pad=0, pool=2), "pool 2 is larger than the conv output map 1x1"),
    (dict(in_h=256), "exceeds 255x255"),
])
def test_conv_op_refusals_name_the_reason(change, reason):
    base = dict(in_h=6, in_w=6, in_c=3, out_c=5, kernel=3, pad=1)
    layer = _conv(np.random.default_rng(0), **{**base, **change})
    assert reason in OP.why_not(layer, last=False)


def test_conv_op_descriptor_and_footprint():
    layer = _conv(np.random.default_rng(2), in_h=28, in_w=28, in_c=1, out_c=8, kernel=3, pad=1, pool=2)

    class Place:
        w_base, a_in, a_out, t_base = 10, 0, 800, 4

    d = OP.descriptor(layer, Place)
    assert rm.unpack("D_CONV_IN", d["D_CONV_IN"]) == {"IN_H": 28, "IN_W": 28}
    assert rm.unpack("D_CONV_GEOM", d["D_CONV_GEOM"]) == {"KERNEL": 3, "STRIDE": 1, "PAD": 1, "POOL": 2}
    assert rm.unpack("D_CONV_OUT", d["D_CONV_OUT"]) == {"OUT_H": 14, "OUT_W": 14, "FLAT": 0}
    assert rm.unpack("D_CFG", d["D_CFG"])["KIND"] == Kind.CONV
    fp = OP.footprint(layer, rows=4, cols=2)
    assert (fp.w, fp.t, fp.a_in, fp.a_out, fp.s) == (2 * 9, 2, 784, 196, 0)
    assert OP.cycles(layer, rows=4, cols=2) == 14 * 14 * 4 * 2 * 9
    # the weight writes land in the layout the fetch reads: one reduction is K*K*W words
    offs = sorted({off for r, off, _ in OP.weight_words(layer, rows=4)})
    assert offs == list(range(fp.w))
    # a dense layer's descriptor words for conv are 0 ("unused"), so it is unchanged
    assert all(r.reset == 0 for r in rm.DESCRIPTOR if r.name.startswith("D_CONV"))


DEC_DEPTHS = dict(w_depth=64, a_depth=128, s_depth=64)


def _conv_desc(*, in_h=6, in_w=6, kernel=3, stride=1, pad=1, pool=2, out_h=None, out_w=None,
               n_in=33, n_out=5, w_base=0, a_in=0, a_out=80, scores=0):
    if out_h is None:
        out_h = ((in_h + 2 * pad - kernel) // stride + 1) // pool
    if out_w is None:
        out_w = ((in_w + 2 * pad - kernel) // stride + 1) // pool
    return dict(n_in=n_in, n_out=n_out, w_base=w_base, a_in=a_in, a_out=a_out, t_base=0,
                scores=scores,
                w_conv_in=rm.pack("D_CONV_IN", IN_H=in_h, IN_W=in_w),
                w_conv_geom=rm.pack("D_CONV_GEOM", KERNEL=kernel, STRIDE=stride, PAD=pad, POOL=pool),
                w_conv_out=rm.pack("D_CONV_OUT", OUT_H=out_h, OUT_W=out_w))


DEC_CASES = [       # (descriptor, cause); 6x6x33 -> 5, 3x3 pad 1 pool 2: 36 x 2 input words
    (_conv_desc(), rm.Cause.NONE),
    (_conv_desc(kernel=5, stride=2, pad=2, pool=1, n_in=5), rm.Cause.NONE),
    (_conv_desc(kernel=0, pad=0, out_h=1, out_w=1), rm.Cause.CONV_KERNEL),
    (_conv_desc(kernel=6, pad=0, pool=1, in_h=7, in_w=7), rm.Cause.CONV_KERNEL),
    (_conv_desc(kernel=5, pad=0, pool=1, in_h=4, in_w=8, out_h=1), rm.Cause.CONV_KERNEL),
    (_conv_desc(stride=3), rm.Cause.CONV_STRIDE_PAD),
    (_conv_desc(stride=0, out_h=1, out_w=1), rm.Cause.CONV_STRIDE_PAD),
    (_conv_desc(pad=3), rm.Cause.CONV_STRIDE_PAD),
    (_conv_desc(pool=5, out_h=1, out_w=1), rm.Cause.CONV_POOL),
    (_conv_desc(pool=0, out_h=1, out_w=1), rm.Cause.CONV_POOL),
    (_conv_desc(in_h=2, in_w=2, pad=0, kernel=1, pool=3, out_h=1, out_w=1), rm.Cause.CONV_POOL),
    (_conv_desc(out_h=2), rm.Cause.CONV_SHAPE),
    (_conv_desc(out_w=4), rm.Cause.CONV_SHAPE),
    (_conv_desc(in_h=0, in_w=3, kernel=1, pad=0, pool=1, out_h=0, out_w=3), rm.Cause.CONV_SHAPE),
    (_conv_desc(w_base=64 - 2 * 9 * 2 + 1), rm.Cause.WBUF_OVERFLOW),   # 2 tiles x 9 taps x 2 words
    (_conv_desc(a_in=128 - 72 + 1), rm.Cause.ABUF_OVERFLOW),            # 36 pixels x 2 words
    (_conv_desc(a_out=128 - 9 + 1), rm.Cause.ABUF_OVERFLOW),            # 3x3 pixels x 1 word
    (_conv_desc(scores=1, a_out=64 - 9 * 2 * COLS + 1), rm.Cause.SBUF_OVERFLOW),
]


def _decode_each(dut, inputs, *, read, max_cycles):
    """Run the conv decoder ``dut`` once per dict of input values (one descriptor each, in one
    simulation) and return ``read(ctx)`` taken when it is ready after each."""
    seen = []

    async def bench(ctx):
        for values in inputs:
            for name, v in values.items():
                ctx.set(getattr(dut, name), v)
            ctx.set(dut.go, 1)
            await ctx.tick()
            ctx.set(dut.go, 0)
            for _ in range(max_cycles):
                await ctx.tick()
                if ctx.get(dut.ready):
                    break
            assert ctx.get(dut.ready), "the conv decoder never became ready"
            seen.append(read(ctx))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return seen


def test_conv_decode_checks_each_cause():
    from bittern.rtl.conv_decode import ConvDecode
    dut = ConvDecode(rows=ROWS, cols=COLS, **DEC_DEPTHS)
    seen = _decode_each(dut, [desc for desc, _ in DEC_CASES], max_cycles=400,
                        read=lambda ctx: (ctx.get(dut.cause), ctx.get(dut.bad),
                                          ctx.get(dut.fields.tiles), ctx.get(dut.fields.words),
                                          ctx.get(dut.pixels_m1)))
    for (desc, cause), (got, bad, tiles, words, pix_m1) in zip(DEC_CASES, seen):
        assert (got, bad) == (int(cause), int(cause != rm.Cause.NONE)), (cause, desc, rm.Cause(got))
    assert seen[0][2:] == (2, 2, 8)         # 2 channel tiles, 2 words per pixel, 3x3 pixels


def test_conv_op_and_decoder_agree_on_geometry():
    """The op's refusals and the decoder's geometry causes are the same rules."""
    rng = np.random.default_rng(5)
    for desc, cause in DEC_CASES:
        if cause in (rm.Cause.CONV_KERNEL, rm.Cause.CONV_STRIDE_PAD, rm.Cause.CONV_POOL):
            g = rm.unpack("D_CONV_GEOM", desc["w_conv_geom"])
            i = rm.unpack("D_CONV_IN", desc["w_conv_in"])
            if g["KERNEL"] == 0 or g["STRIDE"] == 0 or g["POOL"] == 0 or i["IN_H"] == 0:
                continue        # LayerSpec itself refuses these
            layer = _conv(rng, in_h=i["IN_H"], in_w=i["IN_W"], in_c=3, out_c=5, kernel=g["KERNEL"],
                          stride=g["STRIDE"], pad=g["PAD"], pool=g["POOL"])
            assert OP.why_not(layer, last=False) is not None, desc


def test_conv_fetch_planes_mode_u8_passes_match_golden():
    """A planes build's conv fetch (rtl/ops/conv_planes.py): u8 pixels as 8 planes per tap,
    binary, ternary and int3 weights (1, 2, 4 weight planes, their shifts), one and two words
    per plane, padding taps masking only the activation (a zero pixel) with no correction; a
    word-level array model (``mism << shift``) plus the op's folded score offset gives golden's
    pooled accumulators. A binary conv on the same fetch still masks both operands and
    corrects (one pass, shift 0)."""
    from bittern.model.spec import U8
    from bittern.rtl import ops
    from bittern.rtl.ops import conv_planes as cp
    seed = 1960
    print("seed", seed)
    rng = np.random.default_rng(seed)
    geos = [(WEnc.BINARY, 1, dict(in_h=4, in_w=3, in_c=1, out_c=5, kernel=3, pad=1, pool=2)),
            (WEnc.TERNARY, 2, dict(in_h=3, in_w=4, in_c=2, out_c=3, kernel=2, stride=2, pad=1)),
            (WEnc.INT, 3, dict(in_h=3, in_w=3, in_c=33, out_c=2, kernel=3, pad=2, pool=2)),
            (WEnc.BINARY, 1, dict(in_h=4, in_w=4, in_c=3, out_c=5, kernel=3, pad=1))]
    dut = ConvFetch(cols=COLS, w_depth=W_DEPTH, a_depth=A_DEPTH, planes=True, rows=ROWS)
    wb = rm.window("WBUF").base
    cases = []
    for i, (w_enc, w_bits, geo) in enumerate(geos):
        u8 = i < 3
        layer = randspec.random_layer(rng, kind=Kind.CONV, in_enc=U8 if u8 else Enc.BINARY,
                                      in_bits=8 if u8 else 1, w_enc=w_enc, w_bits=w_bits, **geo)
        op = ops.find(layer, last=False)
        assert op.name == ("CONV_PLANES_U8_" + {1: "BIN", 2: "TER", 3: "INT"}[w_bits] if u8
                           else "CONV_XNOR"), op.name
        w_base, a_in = 3 + i, 5 + 2 * i

        class Place:
            t_base, a_out, flat = 0, 0, False
        Place.w_base, Place.a_in = w_base, a_in
        wbank = [dict() for _ in range(ROWS)]
        if u8:
            for addr, word in op.writes(layer, Place, rows=ROWS, cols=COLS):
                if wb <= addr < wb + rm.window("WBUF").size:
                    e = (addr - wb) // 4
                    wbank[e % ROWS][e // ROWS] = word
            x = randspec.random_input(rng, layer, COLS)
            x[0, 0, 0, :] = 0                        # a real zero pixel beside the padding
            words = op.input_words(layer, x.reshape(COLS, -1))
        else:
            for r, off, word in OP.weight_words(layer, rows=ROWS):
                wbank[r][w_base + off] = word
            x = randspec.random_input(rng, layer, COLS)
            words = pack_map(x)
        abank = [{a_in + j: int(v) for j, v in enumerate(words[c])} for c in range(COLS)]
        d = rm.unpack("D_PLANES", op.param("d_planes", layer))
        pf = {"w_planes_m1": d["W_PLANES_M1"], "a_planes_m1": d["A_PLANES_M1"],
              "a_step": d["A_STEP"], "w_shifts": op.param("d_planes2", layer)}
        nw = -(-layer.in_c // 32)
        fields = {**_fields(layer, w_base=w_base, a_in=a_in),
                  "a_words": nw * (d["A_PLANES_M1"] + 1), "w_words": nw * (d["W_PLANES_M1"] + 1),
                  "passes": int(u8)}
        cases.append((layer, op, x, wbank, abank, fields, pf))

    results = []

    async def bench(ctx):
        for layer, op, x, wbank, abank, fields, pf in cases:
            for name, v in fields.items():
                ctx.set(getattr(dut.fields, name), v)
            for name, v in pf.items():
                ctx.set(getattr(dut.pfields, name), v)
            ctx.set(dut.load, 1)
            await ctx.tick()
            ctx.set(dut.load, 0)
            addrs, marks, cycle = [], [], 0
            while True:
                if ctx.get(dut.w_en):
                    addrs.append((ctx.get(dut.w_addr), ctx.get(dut.a_addr)))
                if ctx.get(dut.g_valid):
                    marks.append(tuple(ctx.get(getattr(dut, n)) for n in (
                        "g_first", "g_last", "g_pad", "g_pad_w", "g_shift", "g_n", "g_corr",
                        "g_pool_first", "g_pool_last")))
                busy = ctx.get(dut.busy)
                await ctx.tick()
                cycle += 1
                if not busy and not ctx.get(dut.g_valid) and cycle > 4:
                    break
                assert cycle < 100000, "the conv fetch never finished"
            results.append([a + mk for a, mk in zip(addrs, marks)])

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    popcount = np.vectorize(lambda v: bin(int(v)).count("1"))
    for (layer, op, x, wbank, abank, _, _), trace in zip(cases, results):
        where = f"{op.name} k{layer.kernel} s{layer.stride} p{layer.pad} {layer.in_c}ch"
        assert len(trace) == op.cycles(layer, rows=ROWS, cols=COLS), where
        binary = op.name == "CONV_XNOR"
        _, _, shift, off = cp.fold(layer) if not binary else (0, 0, 0, None)
        pooled, red, best = [], None, None
        for w_addr, a_addr, first, last, pad, pad_w, sh, n, corr, pool_first, pool_last in trace:
            if first:
                red = np.zeros((ROWS, COLS), dtype=np.int64)
            w = np.array([wbank[r].get(w_addr, 0) for r in range(ROWS)], dtype=np.int64)
            a = np.array([abank[c].get(a_addr, 0) for c in range(COLS)], dtype=np.int64)
            a, w = a * (1 - pad), w * (1 - pad_w)
            red += popcount(w[:, None] ^ a[None, :]) << sh
            if last:
                acc = n - 2 * red - corr
                best = acc if pool_first else np.maximum(best, acc)
                if pool_last:
                    pooled.append(best)
        want = golden.pool_max(golden.layer_accumulators(torch.as_tensor(x, dtype=torch.int64),
                                                         layer), layer.pool)
        tiles = -(-layer.out_c // ROWS)
        assert len(pooled) == layer.out_h * layer.out_w * tiles, where
        for i, acc in enumerate(pooled):
            pos, t = divmod(i, tiles)
            py, px = divmod(pos, layer.out_w)
            for r in range(min(ROWS, layer.out_c - t * ROWS)):
                mch = t * ROWS + r
                o = 0 if binary else int(off[mch])
                for c in range(COLS):
                    assert (int(acc[r, c]) + o) >> shift == int(want[c, py, px, mch]), \
                        f"{where}: pooled ({py},{px}) channel {mch} image {c}"


def test_conv_decode_planes_build_checks_planes_against_the_input():
    """A planes build's conv decoder: a u8 conv needs 8 pixel planes with A_STEP and a binary
    conv one pass (CONV_PLANES otherwise: its padding taps would not be zero pixels); the
    buffer checks count W*Pa words a pixel and W*Pw a tap."""
    from bittern.rtl.conv_decode import ConvDecode
    C = rm.Cause
    dut = ConvDecode(rows=ROWS, cols=COLS, **DEC_DEPTHS, planes=True)
    u8 = dict(in_u8=1, a_planes_m1=7, a_step=1, w_planes_m1=0)
    bin_ = dict(in_u8=0, a_planes_m1=0, a_step=0, w_planes_m1=0)
    small = dict(in_h=3, in_w=4, n_in=1, pool=1)        # 12 pixels x 8 planes = 96 words
    cases = [   # (descriptor, planes, cause, a_words, w_words)
        (_conv_desc(**small), u8, C.NONE, 8, 1),
        (_conv_desc(**small, n_out=4), {**u8, "w_planes_m1": 3}, C.NONE, 8, 4),
        (_conv_desc(**small), {**u8, "a_planes_m1": 0}, C.CONV_PLANES, 1, 1),
        (_conv_desc(**small), {**u8, "a_step": 0}, C.CONV_PLANES, 8, 1),
        (_conv_desc(**small), {**bin_, "a_planes_m1": 7, "a_step": 1}, C.CONV_PLANES, 8, 1),
        (_conv_desc(**small), {**bin_, "w_planes_m1": 1}, C.CONV_PLANES, 1, 2),
        (_conv_desc(), bin_, C.NONE, 2, 2),
        (_conv_desc(**small, a_in=128 - 96), u8, C.NONE, 8, 1),
        (_conv_desc(**small, a_in=128 - 95), u8, C.ABUF_OVERFLOW, 8, 1),
        # 1 tile x 9 taps x 4 weight planes = 36 words; 2 tiles of one plane 18
        (_conv_desc(**small, n_out=4, w_base=64 - 36), {**u8, "w_planes_m1": 3}, C.NONE, 8, 4),
        (_conv_desc(**small, n_out=4, w_base=64 - 35), {**u8, "w_planes_m1": 3}, C.WBUF_OVERFLOW,
         8, 4),
        (_conv_desc(**small), {**u8, "w_planes_m1": 3}, C.WBUF_OVERFLOW, 8, 4),
        (_conv_desc(**small, w_base=64 - 18), u8, C.NONE, 8, 1),
    ]
    seen = _decode_each(dut, [{**desc, **planes} for desc, planes, _, _, _ in cases],
                        max_cycles=600,
                        read=lambda ctx: (ctx.get(dut.cause), ctx.get(dut.fields.a_words),
                                          ctx.get(dut.fields.w_words), ctx.get(dut.fields.passes)))
    for (desc, planes, cause, a_words, w_words), (got, aw, ww, passes) in zip(cases, seen):
        assert rm.Cause(got) == cause, (desc, planes, rm.Cause(got).name)
        assert (aw, ww, passes) == (a_words, w_words, planes["in_u8"]), (desc, planes)
