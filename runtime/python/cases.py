"""Seeded test models that put one layer of any kind behind an adapter, for kernel tests.

:func:`layer_case` builds ``[adapter] -> layer under test -> [dense scores head]`` so that the
layer under test receives any activation encoding from a real u8 image, and every layer's
output can be compared with the golden trace.
"""

import numpy as np

from bittern.model import randspec
from bittern.model.spec import U8, Enc, Kind, ModelSpec, WEnc

__all__ = ["layer_case", "KERNEL_CASES", "mlp768", "offload_cases", "UNIVERSAL", "universal_cases",
           "universal_geometry"]


def layer_case(rng, *, kind=Kind.DENSE, in_enc=Enc.BINARY, in_bits=1, w_enc=WEnc.BINARY,
               w_bits=1, out_enc=Enc.BINARY, out_bits=1, in_h=1, in_w=1, in_c=40, out_c=19,
               kernel=1, stride=1, pad=0, pool=1, packs=0, head=True, adapter=True):
    """A validated ModelSpec exercising one layer (index 1 when adapted, else 0)."""
    layers = []
    feats = in_h * in_w * in_c if kind == Kind.DENSE else None
    if in_enc == U8:
        img = (1, 1, feats) if kind == Kind.DENSE else (in_h, in_w, in_c)
        thr = 0
    elif in_enc == Enc.BINARY and not adapter:
        img = (1, 1, feats) if kind == Kind.DENSE else (in_h, in_w, in_c)
        thr = 128
    else:
        thr = 128
        if kind == Kind.DENSE:
            img = (1, 1, 45)
            layers.append(randspec.random_layer(rng, in_c=45, out_c=in_c, out_enc=in_enc,
                                                out_bits=in_bits))
        else:
            img = (in_h, in_w, 5)
            layers.append(randspec.random_layer(rng, kind=Kind.CONV, in_h=in_h, in_w=in_w, in_c=5,
                                                out_c=in_c, out_enc=in_enc, out_bits=in_bits))
    if kind == Kind.DENSE:
        lh, lw, lc = 1, 1, in_h * in_w * in_c
    else:
        lh, lw, lc = in_h, in_w, in_c
    layers.append(randspec.random_layer(
        rng, kind=kind, in_enc=in_enc, in_bits=8 if in_enc == U8 else in_bits, w_enc=w_enc,
        w_bits=w_bits, out_enc=out_enc, out_bits=out_bits if out_enc != Enc.SCORES else 0,
        in_h=lh, in_w=lw, in_c=lc, out_c=out_c, kernel=kernel, stride=stride, pad=pad, pool=pool,
        packs=packs))
    last = layers[-1]
    if out_enc != Enc.SCORES and head:
        layers.append(randspec.random_layer(rng, in_enc=out_enc, in_bits=out_bits,
                                            in_c=last.out_features, out_c=7,
                                            out_enc=Enc.SCORES, out_bits=0))
    return ModelSpec(layers=layers, in_h=img[0], in_w=img[1], in_c=img[2],
                     input_threshold=thr).validate()


B, T, S, I = WEnc.BINARY, WEnc.TERNARY, WEnc.SPARSE, WEnc.INT
EB, ET, EU, SC = Enc.BINARY, Enc.TERNARY, Enc.UINT, Enc.SCORES
D, C = Kind.DENSE, Kind.CONV

# name -> layer_case keyword arguments: every encoding pair, odd sizes, padding, stride, pool.
KERNEL_CASES = {
    "dense_bin_bin": dict(in_c=70, out_c=37),
    "dense_bin_bin_l0": dict(in_c=100, out_c=33, adapter=False),
    "dense_bin_bin_scores": dict(in_c=96, out_c=10, out_enc=SC),
    "dense_bin_ter_ter": dict(w_enc=T, out_enc=ET, out_bits=2, in_c=50, out_c=21),
    "dense_ter_bin_uint3": dict(in_enc=ET, in_bits=2, out_enc=EU, out_bits=3, in_c=45, out_c=30),
    "dense_ter_ter_bin": dict(in_enc=ET, in_bits=2, w_enc=T, in_c=64, out_c=33),
    "dense_ter_ter_wide": dict(in_enc=ET, in_bits=2, w_enc=T, in_c=1000, out_c=35),
    "dense_uint4_ter_uint2": dict(in_enc=EU, in_bits=4, w_enc=T, out_enc=EU, out_bits=2, in_c=37),
    "dense_uint3_ter_wide": dict(in_enc=EU, in_bits=3, w_enc=T, in_c=900, out_c=20),
    "dense_uint2_ter_planes": dict(in_enc=EU, in_bits=2, w_enc=T, in_c=600, out_c=40),
    "dense_uint2_int4_ter": dict(in_enc=EU, in_bits=2, w_enc=I, w_bits=4, out_enc=ET, out_bits=2),
    "dense_uint1_bin_bin": dict(in_enc=EU, in_bits=1, in_c=33),
    "dense_bin_int3": dict(w_enc=I, w_bits=3, in_c=35, out_c=9),
    "dense_ter_int8_scores": dict(in_enc=ET, in_bits=2, w_enc=I, w_bits=8, out_enc=SC, in_c=31),
    "dense_u8_bin": dict(in_enc=U8, in_c=77, out_c=40),
    "dense_u8_ter_uint5": dict(in_enc=U8, w_enc=T, out_enc=EU, out_bits=5, in_c=20),
    "dense_u8_int2": dict(in_enc=U8, w_enc=I, w_bits=2, in_c=50),
    "sparse_bin": dict(w_enc=S, in_c=256, out_c=40, packs=3),
    "sparse_bin_scores": dict(w_enc=S, in_c=128, out_c=10, packs=1, out_enc=SC),
    "sparse_ter_in": dict(in_enc=ET, in_bits=2, w_enc=S, in_c=96, out_c=17, packs=2),
    "sparse_uint3_in": dict(in_enc=EU, in_bits=3, w_enc=S, in_c=64, out_c=11, packs=2,
                            out_enc=EU, out_bits=2),
    "sparse_u8_in": dict(in_enc=U8, w_enc=S, in_c=64, out_c=12, packs=1),
    "conv_bin_bin_pool": dict(kind=C, in_h=7, in_w=6, in_c=40, out_c=33, kernel=3, pad=1, pool=2),
    "conv_bin_bin_pool3": dict(kind=C, in_h=9, in_w=10, in_c=33, out_c=7, kernel=2, pad=1,
                               pool=3),
    "conv_bin_bin_w1_pool": dict(kind=C, in_h=7, in_w=6, in_c=32, out_c=9, kernel=3, pad=1,
                                 pool=2),
    "conv_bin_bin_w1_wide": dict(kind=C, in_h=8, in_w=7, in_c=20, out_c=37, kernel=3, pad=1,
                                 pool=2),
    "conv_bin_bin_w1_ter": dict(kind=C, in_h=6, in_w=6, in_c=32, out_c=8, kernel=3, pad=1, pool=2,
                                out_enc=ET, out_bits=2),
    "conv_bin_bin_w1_k2": dict(kind=C, in_h=6, in_w=7, in_c=17, out_c=34, kernel=2, pad=1,
                               pool=2),
    "conv_bin_bin_l0": dict(kind=C, in_h=9, in_w=9, in_c=3, out_c=8, kernel=3, adapter=False),
    "conv_bin_ter_stride": dict(kind=C, w_enc=T, in_h=8, in_w=7, in_c=32, out_c=5, kernel=2,
                                stride=2, out_enc=ET, out_bits=2),
    "conv_ter_bin_pool": dict(kind=C, in_enc=ET, in_bits=2, in_h=7, in_w=7, in_c=35, out_c=6,
                              kernel=3, stride=2, pad=1, pool=2),
    "conv_ter_ter_pad2": dict(kind=C, in_enc=ET, in_bits=2, w_enc=T, in_h=5, in_w=6, in_c=9,
                              out_c=40, kernel=3, pad=2, out_enc=EU, out_bits=2),
    "conv_uint2_ter": dict(kind=C, in_enc=EU, in_bits=2, w_enc=T, in_h=6, in_w=5, in_c=7,
                           out_c=9, kernel=3, pad=1, pool=2),
    "conv_uint3_int4": dict(kind=C, in_enc=EU, in_bits=3, w_enc=I, w_bits=4, in_h=5, in_w=5,
                            in_c=4, out_c=6, kernel=2, out_enc=ET, out_bits=2),
    "conv_u8_bin_pool": dict(kind=C, in_enc=U8, in_h=8, in_w=8, in_c=3, out_c=12, kernel=3,
                             pad=1, pool=2),
    "conv_u8_bin_c1": dict(kind=C, in_enc=U8, in_h=7, in_w=8, in_c=1, out_c=5, kernel=3, pad=1,
                           pool=2),
    "conv_u8_bin_c1_wide": dict(kind=C, in_enc=U8, in_h=9, in_w=10, in_c=1, out_c=40, kernel=3,
                                pad=1, pool=2),
    "conv_u8_bin_c1_pad0_uint": dict(kind=C, in_enc=U8, in_h=8, in_w=9, in_c=1, out_c=6,
                                     kernel=3, pool=2, out_enc=EU, out_bits=3),
    "conv_uint3_bin_c1_k4": dict(kind=C, in_enc=EU, in_bits=3, in_h=9, in_w=8, in_c=1, out_c=20,
                                 kernel=4, stride=2, pad=2),
    "conv_uint2_bin_wide": dict(kind=C, in_enc=EU, in_bits=2, in_h=5, in_w=4, in_c=34, out_c=6,
                                kernel=2, stride=2, pad=1),
    "conv_u8_int3": dict(kind=C, in_enc=U8, w_enc=I, w_bits=3, in_h=6, in_w=6, in_c=2, out_c=4,
                         kernel=3, stride=2),
    "conv_bin_scores": dict(kind=C, in_h=4, in_w=4, in_c=20, out_c=3, kernel=3, out_enc=SC),
    "conv_bin_int5": dict(kind=C, w_enc=I, w_bits=5, in_h=5, in_w=4, in_c=33, out_c=3, kernel=1),
}


def mlp768(rng, *, packs=0, hidden=256, classes=10):
    """The 768-256-10 binary MLP of the instruction-count target (crop 8/8, binarized input);
    with ``packs`` > 0 the first layer keeps that many 32-weight packs per neuron (3PXNet)."""
    w1 = WEnc.SPARSE if packs else WEnc.BINARY
    l1 = randspec.random_layer(rng, in_c=768, out_c=hidden, w_enc=w1, packs=packs)
    l2 = randspec.random_layer(rng, in_c=hidden, out_c=classes, out_enc=Enc.SCORES, out_bits=0)
    return ModelSpec(layers=[l1, l2], in_h=28, in_w=28, in_c=1, input_threshold=128, crop_lo=8,
                     crop_hi=8).validate()


def offload_cases(rng):
    """Models that mix accelerator and software layers for the driver's tests (today's
    hardware runs dense binary x binary layers): name -> (spec, offloaded flag per layer)."""
    rl = randspec.random_layer
    # a u8 first layer and a ternary-weight last layer in software, the middle on the hardware
    u8_first = ModelSpec(layers=[
        rl(rng, in_enc=U8, in_bits=8, in_c=70, out_c=40),
        rl(rng, in_c=40, out_c=48),
        rl(rng, in_c=48, out_c=33),
        rl(rng, w_enc=T, w_bits=2, in_c=33, out_c=10, out_enc=SC, out_bits=0),
    ], in_h=1, in_w=1, in_c=70, input_threshold=0).validate()
    # GXNOR-style ternary layers in software between two hardware stretches
    sw_middle = ModelSpec(layers=[
        rl(rng, in_c=70, out_c=40),
        rl(rng, w_enc=T, w_bits=2, out_enc=ET, out_bits=2, in_c=40, out_c=36),
        rl(rng, in_enc=ET, in_bits=2, w_enc=T, w_bits=2, in_c=36, out_c=24),
        rl(rng, in_c=24, out_c=50),
        rl(rng, in_c=50, out_c=10, out_enc=SC, out_bits=0),
    ], in_h=1, in_w=1, in_c=70, input_threshold=128).validate()
    # eBNN-style CNN: convolutions in software, the dense head (after the flatten) on the hardware
    cnn = randspec.random_family_model(rng, "cnn")
    return {"u8_first_sw_last": (u8_first, [0, 1, 1, 0]),
            "sw_middle": (sw_middle, [1, 0, 0, 1, 1]),
            "cnn": (cnn, [0, 0, 1])}


# The universal build of the driver's tests (conv, planes and the sparse datapath): 4x2,
# every layer kind of the families; depths that hold each of universal_cases' models.
UNIVERSAL = dict(rows=4, cols=2, w_depth=1024, a_depth=128, t_depth=128, s_depth=64, conv=True,
                 planes=True, sparse_words=2, i_depth=64)


def universal_geometry():
    """The loader's Geometry of the UNIVERSAL build (without elaborating an Accelerator)."""
    from bittern.rtl import loader, regmap as rm
    u = UNIVERSAL
    return loader.Geometry(u["rows"], u["cols"], u["w_depth"], u["a_depth"], u["t_depth"],
                           u["s_depth"], features=rm.pack("FEATURES", CONV=int(u["conv"]),
                                                          PLANES=int(u["planes"])),
                           i_depth=u["i_depth"], sparse_words=u["sparse_words"])


def universal_cases(rng):
    """Small models of every family for a universal build (UNIVERSAL): name -> (spec,
    offloaded flag per layer). The cnn family on binarized pixels (every layer on the
    hardware: two convs, the second flattened into the dense head); on u8 pixels with the u8
    conv on the hardware (CONV_PLANES_U8_*: 8 bit planes a tap; binary weights, and int3 on a
    stride-2 conv into the dense head) on maps whose planes fit half this build's activation
    buffer, and the family's 8x8 one, whose 512 plane words do not (its first conv in software,
    then the hardware); the planes families (GXNOR ternary x
    ternary, WRPN ternary x uint2 on u8 pixels as 8 bit planes around a software int8 layer,
    the int3 decomposition) and a 3PXNet sparse layer on the hardware."""
    rl = randspec.random_layer
    cnn_bin = ModelSpec(layers=[
        rl(rng, kind=Kind.CONV, in_h=8, in_w=8, in_c=1, out_c=8, kernel=3, pad=1, pool=2),
        rl(rng, kind=Kind.CONV, in_h=4, in_w=4, in_c=8, out_c=4, kernel=3, pad=1),
        rl(rng, in_c=64, out_c=10, out_enc=SC, out_bits=0),
    ], in_h=8, in_w=8, in_c=1, input_threshold=128).validate()
    # WRPN on u8 pixels (8 bit planes), an int8 layer no op runs (int-k up to 7) in software
    # between: the driver turns the first stretch's scores into uint2 codes and the software
    # layer's ternary output into the planes the last layer reads
    wrpn_u8 = ModelSpec(layers=[
        rl(rng, in_enc=U8, in_bits=8, w_enc=T, w_bits=2, in_c=40, out_c=20, out_enc=EU, out_bits=2),
        rl(rng, in_enc=EU, in_bits=2, w_enc=I, w_bits=8, in_c=20, out_c=24, out_enc=ET, out_bits=2),
        rl(rng, in_enc=ET, in_bits=2, w_enc=T, w_bits=2, in_c=24, out_c=10, out_enc=SC, out_bits=0),
    ], in_h=1, in_w=1, in_c=40, input_threshold=0).validate()
    # GXNOR (ternary x ternary) and the decomposition (uint2 x int3) at half the family width
    gxnor = ModelSpec(layers=[
        rl(rng, w_enc=T, w_bits=2, in_c=48, out_c=32, out_enc=ET, out_bits=2),
        rl(rng, in_enc=ET, in_bits=2, w_enc=T, w_bits=2, in_c=32, out_c=16, out_enc=ET, out_bits=2),
        rl(rng, in_enc=ET, in_bits=2, w_enc=T, w_bits=2, in_c=16, out_c=10, out_enc=SC, out_bits=0),
    ], in_h=1, in_w=1, in_c=48, input_threshold=128).validate()
    decompose = ModelSpec(layers=[
        rl(rng, in_c=48, out_c=32, out_enc=EU, out_bits=2),
        rl(rng, in_enc=EU, in_bits=2, w_enc=I, w_bits=3, in_c=32, out_c=16, out_enc=EU, out_bits=2),
        rl(rng, in_enc=EU, in_bits=2, in_c=16, out_c=10, out_enc=SC, out_bits=0),
    ], in_h=1, in_w=1, in_c=48, input_threshold=128).validate()
    sparse = randspec.random_family_model(rng, "sparse", features=40)
    cnn_8x8 = randspec.random_family_model(rng, "cnn")
    cnn_u8 = ModelSpec(layers=[
        rl(rng, kind=Kind.CONV, in_enc=U8, in_bits=8, in_h=2, in_w=4, in_c=1, out_c=8, kernel=3,
           pad=1),
        rl(rng, kind=Kind.CONV, in_h=2, in_w=4, in_c=8, out_c=4, kernel=3, pad=1, pool=2),
        rl(rng, in_c=8, out_c=10, out_enc=SC, out_bits=0),
    ], in_h=2, in_w=4, in_c=1, input_threshold=0).validate()
    cnn_u8_int3 = ModelSpec(layers=[
        rl(rng, kind=Kind.CONV, in_enc=U8, in_bits=8, w_enc=I, w_bits=3, in_h=2, in_w=4, in_c=1,
           out_c=8, kernel=3, stride=2, pad=2),
        rl(rng, in_c=48, out_c=10, out_enc=SC, out_bits=0),
    ], in_h=2, in_w=4, in_c=1, input_threshold=0).validate()
    return {"cnn_binarized": (cnn_bin, [1, 1, 1]),
            "cnn_u8_first_sw": (cnn_8x8, [0, 1, 1]),
            "cnn_u8": (cnn_u8, [1, 1, 1]),
            "cnn_u8_int3": (cnn_u8_int3, [1, 1]),
            "wrpn_u8_int8_sw": (wrpn_u8, [1, 0, 1]),
            "gxnor": (gxnor, [1, 1, 1]),
            "decompose": (decompose, [1, 1, 1]),
            "sparse": (sparse, [1, 1, 1])}
