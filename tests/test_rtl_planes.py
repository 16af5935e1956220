"""Multi-bit dense layers as binary passes (rtl/ops/dense_planes.py): the plane forms, the
loader's folded constants and the op's reference behaviour equal the golden model bit for bit."""

import itertools

import numpy as np
import pytest
import torch

from bittern.model import golden, randspec
from bittern.model.spec import U8, Enc, Kind, WEnc
from bittern.rtl import ops
from bittern.rtl.ops import dense_planes as dp

IN = [(U8, 8), (Enc.BINARY, 1), (Enc.TERNARY, 2), (Enc.UINT, 2), (Enc.UINT, 3)]
W = [(WEnc.BINARY, 1), (WEnc.TERNARY, 2), (WEnc.INT, 3), (WEnc.INT, 7)]
OUT = [(Enc.SCORES, 0), (Enc.BINARY, 1), (Enc.TERNARY, 2), (Enc.UINT, 2), (Enc.UINT, 3)]


def test_plane_forms_reconstruct_the_values():
    seed = 1900
    print("seed", seed)
    rng = np.random.default_rng(seed)
    for enc, bits in IN:
        layer = randspec.random_layer(rng, in_enc=enc, in_bits=bits, in_c=37, out_c=3)
        x = torch.as_tensor(randspec.random_input(rng, layer, 5).reshape(5, -1))
        sa, dx, cx = dp.act_form(enc, bits)
        planes = dp.act_planes(x, enc, bits)
        assert set(planes.unique().tolist()) <= {-1, 1}
        assert torch.equal(sum((1 << s) * p for s, p in zip(sa, planes)) + cx, dx * x), enc
    for enc, bits in W:
        layer = randspec.random_layer(rng, w_enc=enc, w_bits=bits, in_c=37, out_c=3)
        sw, dw = dp.weight_form(enc, bits)
        planes = dp.weight_planes(layer).astype(np.int64)
        assert set(np.unique(planes)) <= {-1, 1}
        assert np.array_equal(sum((1 << s) * p for s, p in zip(sw, planes)),
                              dw * layer.weights.astype(np.int64)), enc


@pytest.mark.parametrize("in_enc,in_bits", IN)
def test_reference_equals_golden_for_every_encoding(in_enc, in_bits):
    """Every weight encoding x output encoding on this input encoding, 70 inputs (3 words,
    a partial last word), thresholds around the accumulators' range."""
    seed = 1901 + IN.index((in_enc, in_bits))
    print("seed", seed)
    rng = np.random.default_rng(seed)
    for (w_enc, w_bits), (out_enc, out_bits) in itertools.product(W, OUT):
        layer = randspec.random_layer(rng, in_enc=in_enc, in_bits=in_bits, w_enc=w_enc,
                                      w_bits=w_bits, out_enc=out_enc, out_bits=out_bits,
                                      in_c=70, out_c=11)
        x = torch.as_tensor(randspec.random_input(rng, layer, 6))
        want = golden.run_layer(x, layer).values.reshape(6, -1).numpy()
        got = dp.reference(layer, x.reshape(6, -1))
        assert np.array_equal(got, want), (w_enc, out_enc)


@pytest.mark.parametrize("family", ["wrpn", "gxnor", "decompose", "binary"])
def test_family_layers_all_run_on_some_op(family):
    """Each dense layer of the random family models has an op (binary layers keep DENSE_XNOR),
    and the plane ops' reference, layer by layer, gives golden's scores."""
    seed = 1910
    print("seed", seed)
    rng = np.random.default_rng(seed)
    spec = randspec.random_family_model(rng, family)
    n = len(spec.layers)
    images = rng.integers(0, 256, size=(4, spec.input_features)).astype(np.uint8)
    res = golden.run(spec, images)
    x = golden.prepare_input(spec, images).reshape(4, -1)
    for i, layer in enumerate(spec.layers):
        op = ops.select(layer, i, last=i == n - 1)
        if isinstance(op, dp.DensePlanes):
            x = torch.as_tensor(dp.reference(layer, x))
        else:
            x = res.trace[i].values.reshape(4, -1)
    assert torch.equal(x, res.scores)


def _plane_desc(n_in=70, n_out=10, w_base=0, a_in=0, a_out=8, t_base=0, in_enc=2, w_enc=2,
                out_enc=1, planes=None, planes2=0):
    from bittern.rtl import regmap as rm
    words = [0] * rm.DESC_WORDS
    words[:7] = [rm.pack("D_CFG", KIND=1, IN_ENC=in_enc, W_ENC=w_enc, OUT_ENC=out_enc),
                 n_in, n_out, w_base, a_in, a_out, t_base]
    off = {r.name: r.offset // 4 for r in rm.DESCRIPTOR}
    words[off["D_PLANES"]] = rm.pack("D_PLANES", W_PLANES_M1=1, A_PLANES_M1=1) \
        if planes is None else planes
    words[off["D_PLANES2"]] = planes2
    return words


def test_decoder_planes_bounds_and_causes():
    """The decoder of a planes build: plane counts, shifts and the plane-multiplied ranges; and
    a binary-only build refusing plane layers and planes words."""
    from bittern.rtl import regmap as rm
    from bittern.sim.decoder_bench import decode_each
    C = rm.Cause
    P = lambda **kw: rm.pack("D_PLANES", **kw)
    depths = dict(w_depth=64, a_depth=16, t_depth=8, s_depth=8)
    # 70 inputs = 3 words, 10 outputs on 4 rows = 3 tiles: weights 3 x 3 x Pw words.
    cases = [   # (planes build, descriptor, n_layers, cause)
        (True, _plane_desc(), 2, C.NONE),
        (True, _plane_desc(planes=P(W_PLANES_M1=8)), 2, C.BAD_PLANES),
        (True, _plane_desc(planes=P(A_PLANES_M1=15)), 2, C.BAD_PLANES),
        (True, _plane_desc(planes=P(A_PLANES_M1=7, A_STEP=1), planes2=0x9), 2, C.BAD_PLANE_SHIFT),
        (True, _plane_desc(planes=P(A_PLANES_M1=7, A_STEP=1), planes2=0x8), 2, C.ABUF_OVERFLOW),
        (True, _plane_desc(planes=P(SCORE_SHIFT=3), out_enc=0, a_out=0), 1, C.BAD_PLANE_SHIFT),
        (True, _plane_desc(w_base=64 - 18), 2, C.NONE),                 # 3 x 3 x 2 = 18 fits
        (True, _plane_desc(w_base=64 - 17), 2, C.WBUF_OVERFLOW),
        (True, _plane_desc(a_in=16 - 6), 2, C.NONE),                    # 2 planes x 3 words
        (True, _plane_desc(a_in=16 - 5), 2, C.ABUF_OVERFLOW),
        (True, _plane_desc(out_enc=0, a_out=0, t_base=6), 1, C.TBUF_OVERFLOW),  # score offsets
        (False, _plane_desc(), 2, C.UNSUPPORTED_LAYER),
        (False, _plane_desc(in_enc=1, w_enc=1), 2, C.BAD_PLANES),
        (False, _plane_desc(in_enc=1, w_enc=1, planes=P(A_PLANES_M1=1)), 2, C.BAD_PLANES),
        (False, _plane_desc(in_enc=1, w_enc=1, planes=0, planes2=1), 2, C.NONE),   # shifts unread
        (False, _plane_desc(in_enc=1, w_enc=1, planes=0), 2, C.NONE),
    ]
    seen = []
    for planes in (True, False):
        seen += decode_each(
            [(words, n) for p, words, n, _ in cases if p == planes], rows=4, cols=2,
            depths=depths, features=rm.pack("FEATURES", PLANES=int(planes)), max_cycles=80,
            read=lambda ctx, dec: (ctx.get(dec.cause), ctx.get(dec.fields.w_planes_m1),
                                   ctx.get(dec.fields.a_planes_m1)))
    order = [c for c in cases if c[0]] + [c for c in cases if not c[0]]
    for (planes, words, _, cause), (got, *_f) in zip(order, seen):
        assert got == cause, (planes, [hex(w) for w in words], C(got).name, cause.name)
    assert seen[0][1:] == (1, 1)


def test_planes_refusals_name_the_layer_and_reason():
    """What only a planes build runs, and what no build runs, each with its sentence."""
    from bittern.rtl import regmap as rm
    seed = 1920
    print("seed", seed)
    rng = np.random.default_rng(seed)
    ter = randspec.random_layer(rng, w_enc=WEnc.TERNARY, w_bits=2, in_c=40, out_c=8)
    with pytest.raises(ops.UnsupportedLayer, match=r"^layer 1 \(dense 40->8\): this accelerator "
                       r"build has no DENSE_PLANES_BIN_TER; build it with planes=True$"):
        ops.select(ter, 1, last=False, features=0)
    planes = rm.pack("FEATURES", PLANES=1)
    assert ops.select(ter, 1, last=False, features=planes).name == "DENSE_PLANES_BIN_TER"
    cases = [
        (dict(in_enc=Enc.UINT, in_bits=5), "uint5 inputs need 31 planes; the accelerator runs "
         "uint-k inputs up to k = 4"),
        (dict(w_enc=WEnc.INT, w_bits=8), "int8 weights: the accelerator runs int-k up to k = 7"),
        (dict(out_enc=Enc.UINT, out_bits=5), "uint5 outputs: the accelerator writes uint-k up to "
         "k = 4"),
        (dict(in_enc=U8, in_bits=8, w_enc=WEnc.INT, w_bits=7, in_c=40000),
         "its passes sum to 1305600000 (inputs x sum of 2^shift), more than the accumulators' "
         "1073741823: use fewer inputs or bits"),
    ]
    for change, reason in cases:
        kw = {**dict(in_c=40, out_c=8, w_enc=WEnc.TERNARY, w_bits=2), **change}
        layer = randspec.random_layer(rng, **kw)
        got = ops.why_not(layer, last=False)
        assert got == reason, (change, got)
    # The hardware side: an Accelerator without planes says so in FEATURES.
    from bittern.rtl.accelerator import Accelerator
    assert Accelerator(rows=2, cols=2, planes=True).features == planes
    assert Accelerator(rows=2, cols=2).features == 0
    with pytest.raises(TypeError, match="^planes must be True or False, not 1$"):
        Accelerator(rows=2, cols=2, planes=1)


@pytest.mark.parametrize("w_enc,w_bits", [(WEnc.BINARY, 1), (WEnc.TERNARY, 2), (WEnc.INT, 3)])
def test_u8_conv_reference_equals_golden_with_zero_pixel_padding(w_enc, w_bits):
    """The u8 conv ops (rtl/ops/conv_planes.py): every tap runs its passes, a padding tap
    reads a zero pixel's planes (all -1) and nothing corrects the border: the pooled
    accumulators equal golden's on padded maps (pad 1 and 2, stride 1 and 2, 1 and 33
    channels: a partial second word), and the thresholded outputs too."""
    from bittern.rtl.ops import conv_planes as cp
    seed = 1950 + w_bits
    print("seed", seed)
    rng = np.random.default_rng(seed)
    for in_c, k, s, p, pool in [(1, 3, 1, 1, 2), (33, 3, 2, 2, 1), (2, 5, 1, 2, 3)]:
        layer = randspec.random_layer(rng, kind=Kind.CONV, in_enc=U8, in_bits=8, w_enc=w_enc,
                                      w_bits=w_bits, in_h=7, in_w=6, in_c=in_c, out_c=5,
                                      kernel=k, stride=s, pad=p, pool=pool)
        x = torch.as_tensor(randspec.random_input(rng, layer, 3))
        x[0] = 0                                   # an image of zero pixels: all taps -1 planes
        acc = golden.pool_max(golden.layer_accumulators(x, layer), pool)
        assert torch.equal(cp.reference(layer, x), acc), (in_c, k, s, p)
        op = ops.find(layer, last=False)
        assert op is not None and op.name.startswith("CONV_PLANES_U8"), op
        assert op.why_not(layer, last=False) is None


def test_u8_conv_refusals_name_the_layer_and_reason():
    """The loader's refusals of u8 convs: a build without planes (or conv) names the op and
    both options; outputs other than binary; the conv geometry's limits (CONV_XNOR's)."""
    from bittern.rtl import regmap as rm
    seed = 1955
    print("seed", seed)
    rng = np.random.default_rng(seed)

    def conv(**kw):
        base = dict(kind=Kind.CONV, in_enc=U8, in_bits=8, in_h=6, in_w=6, in_c=1, out_c=4,
                    kernel=3, pad=1)
        return randspec.random_layer(rng, **{**base, **kw})

    for features in (rm.pack("FEATURES", CONV=1), rm.pack("FEATURES", PLANES=1), 0):
        with pytest.raises(ops.UnsupportedLayer, match=r"^layer 0 \(conv 36->4\): this accelerator "
                           r"build has no CONV_PLANES_U8_TER; build it with conv=True, planes=True "
                           r"\(bittern build --conv --planes\)$"):
            ops.select(conv(w_enc=WEnc.TERNARY, w_bits=2), 0, last=False, features=features)
    both = rm.pack("FEATURES", CONV=1, PLANES=1)
    assert ops.select(conv(w_enc=WEnc.INT, w_bits=4), 0, last=False,
                      features=both).name == "CONV_PLANES_U8_INT"
    cases = [
        (dict(out_enc=Enc.TERNARY, out_bits=2), "a u8 conv on the accelerator writes binary "
         "outputs, not TERNARY"),
        (dict(kernel=6, pad=0), "kernel 6 is not 1..5; use a kernel of at most 5"),
        (dict(stride=3), "stride 3 is not 1 or 2"),
        (dict(w_enc=WEnc.INT, w_bits=8), "int8 weights: the accelerator runs int-k up to k = 7"),
    ]
    for change, reason in cases:
        with pytest.raises(ops.UnsupportedLayer, match="^layer 0 \\(conv 36->4\\): " + reason + "$"):
            ops.select(conv(**change), 0, last=False, features=both)
