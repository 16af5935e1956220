"""Seeded random layers and models of every kind, for tests of every path (golden, RTL, C).

Thresholds are drawn around the accumulators' likely range so outputs are neither all +1 nor
all -1, and both directions occur.
"""

import numpy as np

from .spec import THRESHOLD_LIMIT, U8, Enc, Kind, LayerSpec, ModelSpec, WEnc, n_thresholds

__all__ = ["random_weights", "random_thresholds", "random_layer", "random_model", "random_input",
           "FAMILY_NAMES", "random_family_model"]


def random_weights(rng, w_enc, shape, *, w_bits=1, packs=0):
    if w_enc == WEnc.BINARY:
        return rng.choice(np.array([-1, 1], dtype=np.int8), size=shape)
    if w_enc == WEnc.TERNARY:
        return rng.choice(np.array([-1, 0, 1], dtype=np.int8), size=shape)
    if w_enc == WEnc.INT:
        lim = (1 << (w_bits - 1)) - 1
        return rng.integers(-lim, lim + 1, size=shape, dtype=np.int8)
    if w_enc == WEnc.SPARSE:
        out_c, n = shape
        words = n // 32
        idx = np.sort(np.stack([rng.choice(words, size=packs, replace=False) for _ in range(out_c)]), axis=1)
        w = np.zeros((out_c, words, 32), dtype=np.int8)
        for o in range(out_c):
            w[o, idx[o]] = rng.choice(np.array([-1, 1], dtype=np.int8), size=(packs, 32))
        return w.reshape(out_c, n), idx.astype(np.uint16)
    raise ValueError(f"unknown weight encoding {w_enc!r}")


def random_thresholds(rng, out_c, n_thr, spread):
    """Sorted thresholds per channel in [-spread, spread] and random directions."""
    if n_thr == 0:
        return None, None
    spread = max(int(spread), 1)
    t = np.sort(rng.integers(-spread, spread + 1, size=(out_c, n_thr)), axis=1)
    d = rng.choice(np.array([-1, 1]), size=out_c)
    t = np.where(d[:, None] < 0, t[:, ::-1], t)  # descending for d = -1, as folding gives
    if out_c > 2:                                   # exercise the "always"/"never" clamps
        t[0, 0] = -THRESHOLD_LIMIT if d[0] > 0 else THRESHOLD_LIMIT
    return t.astype(np.int32), d.astype(np.int32)


def random_layer(rng, *, kind=Kind.DENSE, in_enc=Enc.BINARY, in_bits=1, w_enc=WEnc.BINARY,
                 w_bits=1, out_enc=Enc.BINARY, out_bits=1, in_h=1, in_w=1, in_c=64, out_c=16,
                 kernel=1, stride=1, pad=0, pool=1, packs=0):
    if kind == Kind.DENSE:
        shape = (out_c, in_c)
    else:
        shape = (out_c, kernel, kernel, in_c)
    pack_index = None
    if w_enc == WEnc.SPARSE:
        w, pack_index = random_weights(rng, w_enc, shape, packs=packs)
    else:
        w = random_weights(rng, w_enc, shape, w_bits=w_bits)
    layer = LayerSpec(kind=Kind(kind), in_enc=in_enc, in_bits=in_bits, w_enc=WEnc(w_enc),
                      w_bits=w_bits, out_enc=Enc(out_enc), out_bits=out_bits, in_h=in_h,
                      in_w=in_w, in_c=in_c, out_c=out_c, weights=w, kernel=kernel,
                      stride=stride, pad=pad, pool=pool, pack_index=pack_index)
    L = n_thresholds(Enc(out_enc), out_bits)
    # Accumulators of random +/-1 dot products spread like sqrt(N)*amax.
    amax = 255 if in_enc == U8 else ((1 << in_bits) - 1 if in_enc == Enc.UINT else 1)
    spread = 2 * np.sqrt(max(layer.taps, 1)) * amax
    layer.thresholds, layer.directions = random_thresholds(rng, out_c, L, spread)
    return layer


def random_model(rng, *, hidden=(40, 24), in_features=70, classes=10, input_threshold=128,
                 w_enc=WEnc.BINARY):
    """A small dense model: u8 input binarized, binary hidden layers, integer scores."""
    layers = []
    n, enc, bits = in_features, Enc.BINARY if input_threshold else U8, 1 if input_threshold else 8
    for h in hidden:
        layers.append(random_layer(rng, in_enc=enc, in_bits=bits, w_enc=w_enc, in_c=n, out_c=h))
        n, enc, bits = h, Enc.BINARY, 1
    layers.append(random_layer(rng, in_enc=enc, in_bits=bits, w_enc=w_enc, in_c=n, out_c=classes,
                               out_enc=Enc.SCORES, out_bits=0))
    return ModelSpec(layers=layers, in_h=1, in_w=1, in_c=in_features,
                     input_threshold=input_threshold).validate()


def random_input(rng, layer, batch):
    """Random input values [B, h, w, c] that layer ``layer`` accepts."""
    shape = (batch, layer.in_h, layer.in_w, layer.in_c)
    if layer.in_enc == U8:
        return rng.integers(0, 256, size=shape)
    if layer.in_enc == Enc.BINARY:
        return rng.choice([-1, 1], size=shape)
    if layer.in_enc == Enc.TERNARY:
        return rng.choice([-1, 0, 1], size=shape)
    return rng.integers(0, 1 << layer.in_bits, size=shape)


FAMILY_NAMES = ("binary", "sparse", "wrpn", "gxnor", "decompose", "cnn")


def random_family_model(rng, family, *, features=64):
    """A small random model of one network family (regression matrices, fast simulation)."""
    B, T, U = Enc.BINARY, Enc.TERNARY, Enc.UINT
    if family not in FAMILY_NAMES:
        raise ValueError(f"unknown family {family!r}; choose one of {', '.join(FAMILY_NAMES)}")
    if family == "cnn":
        l0 = random_layer(rng, kind=Kind.CONV, in_enc=U8, in_bits=8, in_h=8, in_w=8, in_c=1,
                          out_c=6, kernel=3, pad=1, pool=2)
        l1 = random_layer(rng, kind=Kind.CONV, in_h=4, in_w=4, in_c=6, out_c=8, kernel=3)
        l2 = random_layer(rng, in_c=32, out_c=10, out_enc=Enc.SCORES, out_bits=0)
        return ModelSpec(layers=[l0, l1, l2], in_h=8, in_w=8, in_c=1).validate()
    hidden = {
        "binary": [dict(), dict()],
        "sparse": [dict(), dict(w_enc=WEnc.SPARSE, packs=1)],
        "wrpn": [dict(w_enc=WEnc.TERNARY, w_bits=2, out_enc=U, out_bits=2),
                 dict(in_enc=U, in_bits=2, w_enc=WEnc.TERNARY, w_bits=2, out_enc=U, out_bits=2)],
        "gxnor": [dict(w_enc=WEnc.TERNARY, w_bits=2, out_enc=T, out_bits=2),
                  dict(in_enc=T, in_bits=2, w_enc=WEnc.TERNARY, w_bits=2, out_enc=T, out_bits=2)],
        "decompose": [dict(out_enc=U, out_bits=2),
                      dict(in_enc=U, in_bits=2, w_enc=WEnc.INT, w_bits=3, out_enc=U, out_bits=2)],
    }[family]
    layers, n = [], features
    last_enc, last_bits = B, 1
    for i, kw in enumerate(hidden):
        kw = {"in_enc": B, "in_bits": 1, **kw}
        layers.append(random_layer(rng, in_c=n, out_c=64 if i == 0 else 32, **kw))
        n = layers[-1].out_c
        last_enc, last_bits = layers[-1].out_enc, layers[-1].out_bits
    w_last = WEnc.TERNARY if family in ("wrpn", "gxnor") else WEnc.BINARY
    layers.append(random_layer(rng, in_enc=last_enc, in_bits=last_bits, w_enc=w_last,
                               w_bits=2 if w_last == WEnc.TERNARY else 1, in_c=n, out_c=10,
                               out_enc=Enc.SCORES, out_bits=0))
    return ModelSpec(layers=layers, in_h=1, in_w=1, in_c=features, input_threshold=128).validate()
