"""Turn a golden :class:`~bittern.model.spec.ModelSpec` into accelerator bus traffic.

The protocol (documented in ``docs/accelerator.md``; the C runtime driver does the same through
``bittern_regs.h``):

1. ``program(spec, geom)``: once per model, write the weights, thresholds and one descriptor per
   layer, and ``N_LAYERS``. Layers are placed back to back in the weight and threshold buffers;
   activations ping-pong between two halves of the activation buffer; the scores go to score
   row 0.
2. ``batch_writes(spec, geom, images)``: per batch of up to ``COLS`` images, binarize and crop
   each image on the host (the model header's ``input_threshold``/``crop``), pack it into 32-bit
   words and write image ``c`` into column bank ``c``.
3. Write ``CTRL.START``, poll ``STATUS`` until ``BUSY`` is clear, check ``ERROR``.
4. ``score_addresses(spec, geom)``: read class ``m`` of image ``c``.

Only what the hardware implements is accepted; anything else raises :class:`UnsupportedLayer`
naming the layer (the hardware itself answers such a descriptor with ``UNSUPPORTED_LAYER``).
"""

from dataclasses import dataclass

import numpy as np

from bittern.model.spec import Enc, Kind, WEnc

from . import regmap as rm

__all__ = ["Geometry", "Plan", "UnsupportedLayer", "plan", "program_writes", "batch_writes",
           "score_addresses", "unpack_scores", "DESC_CFG"]


class UnsupportedLayer(ValueError):
    """A layer the accelerator cannot run; the message names the layer and the reason."""


@dataclass(frozen=True)
class Geometry:
    rows: int
    cols: int
    w_depth: int
    a_depth: int
    t_depth: int
    s_depth: int
    lanes: int = 32

    @classmethod
    def of(cls, acc):
        """The geometry of an :class:`~bittern.rtl.accelerator.Accelerator`."""
        return cls(acc.rows, acc.cols, acc.w_depth, acc.a_depth, acc.t_depth, acc.s_depth, acc.lanes)


@dataclass(frozen=True)
class LayerPlan:
    n_in: int
    n_out: int
    words: int
    tiles: int
    w_base: int
    a_in: int
    a_out: int
    t_base: int
    scores: bool


@dataclass(frozen=True)
class Plan:
    geom: Geometry
    layers: tuple

    @property
    def in_words(self):
        return self.layers[0].words


def DESC_CFG(kind, in_enc, w_enc, out_enc):
    return int(kind) | int(in_enc) << 4 | int(w_enc) << 8 | int(out_enc) << 12


def _check(spec, i, layer):
    at = layer.where(i)
    if layer.kind != Kind.DENSE:
        raise UnsupportedLayer(f"{at}: only dense layers run on the accelerator, not {layer.kind.name}")
    if layer.in_enc != Enc.BINARY:
        raise UnsupportedLayer(f"{at}: only binary inputs run on the accelerator (in_enc={int(layer.in_enc)}); "
                               "a u8 first layer needs input_threshold in the model header")
    if layer.w_enc != WEnc.BINARY:
        raise UnsupportedLayer(f"{at}: only binary weights run on the accelerator, not {layer.w_enc.name}")
    if layer.out_enc not in (Enc.BINARY, Enc.SCORES):
        raise UnsupportedLayer(f"{at}: only binary or scores outputs run on the accelerator, not "
                               f"{layer.out_enc.name}")


def plan(spec, geom):
    """Place every layer of ``spec`` in the buffers of ``geom``; raises if it does not fit."""
    spec.validate()
    if len(spec.layers) > rm.MAX_LAYERS:
        raise UnsupportedLayer(f"the accelerator runs at most {rm.MAX_LAYERS} layers, not {len(spec.layers)}")
    for i, layer in enumerate(spec.layers):
        _check(spec, i, layer)
    half = max(max(-(-l.in_c // 32) for l in spec.layers),
               max(-(-l.out_c // 32) for l in spec.layers[:-1]) if len(spec.layers) > 1 else 0)
    if 2 * half > geom.a_depth:
        raise UnsupportedLayer(f"activations need 2 x {half} words per column, the buffer has {geom.a_depth}")
    out, w_base, t_base = [], 0, 0
    for i, layer in enumerate(spec.layers):
        words = -(-layer.in_c // 32)
        tiles = -(-layer.out_c // geom.rows)
        scores = layer.out_enc == Enc.SCORES
        lp = LayerPlan(n_in=layer.in_c, n_out=layer.out_c, words=words, tiles=tiles, w_base=w_base,
                       a_in=(i % 2) * half, a_out=0 if scores else ((i + 1) % 2) * half,
                       t_base=t_base, scores=scores)
        w_base += tiles * words
        if w_base > geom.w_depth:
            raise UnsupportedLayer(f"{layer.where(i)}: weights need {w_base} words per row bank, the "
                                   f"buffer has {geom.w_depth}")
        if not scores:
            t_base += tiles
            if t_base > geom.t_depth:
                raise UnsupportedLayer(f"{layer.where(i)}: thresholds need {t_base} entries per row "
                                       f"bank, the buffer has {geom.t_depth}")
        elif tiles * geom.cols > geom.s_depth:
            raise UnsupportedLayer(f"{layer.where(i)}: scores need {tiles * geom.cols} words per row "
                                   f"bank, the buffer has {geom.s_depth}")
        out.append(lp)
    return Plan(geom=geom, layers=tuple(out))


def _pack_rows(values):
    """-1/+1 values [n, features] -> uint32 words [n, ceil(features/32)], pad bits 0."""
    v = np.asarray(values) > 0
    n, f = v.shape
    words = -(-f // 32)
    bits = np.zeros((n, words * 32), dtype=np.uint64)
    bits[:, :f] = v
    return (bits.reshape(n, words, 32) << np.arange(32, dtype=np.uint64)).sum(-1).astype(np.uint64)


def program_writes(spec, p):
    """(byte address, value) writes that load ``spec`` into an idle accelerator."""
    g = p.geom
    wb, tb = rm.window("WBUF").base, rm.window("TBUF").base
    ops = []
    for i, (layer, lp) in enumerate(zip(spec.layers, p.layers)):
        w = _pack_rows(layer.weights)                            # [out_c, words]
        for mch in range(layer.out_c):
            t, r = divmod(mch, g.rows)
            for k in range(lp.words):
                j = (lp.w_base + t * lp.words + k) * g.rows + r
                ops.append((wb + 4 * j, int(w[mch, k])))
        if not lp.scores:
            for mch in range(layer.out_c):
                e = lp.t_base * g.rows + mch
                ops.append((tb + 8 * e, int(layer.thresholds[mch, 0]) & 0xFFFFFFFF))
                ops.append((tb + 8 * e + 4, int(layer.directions[mch] < 0)))
        cfg = DESC_CFG(Kind.DENSE, Enc.BINARY, WEnc.BINARY, Enc.SCORES if lp.scores else Enc.BINARY)
        for name, v in (("D_CFG", cfg), ("D_IN_FEATURES", lp.n_in), ("D_OUT_FEATURES", lp.n_out),
                        ("D_W_BASE", lp.w_base), ("D_A_IN", lp.a_in), ("D_A_OUT", lp.a_out),
                        ("D_T_BASE", lp.t_base)):
            ops.append((rm.desc_addr(i, name), v))
    ops.append((rm.reg("N_LAYERS").offset, len(spec.layers)))
    return ops


def binarize(spec, images):
    """Host-side input stage: crop and binarize u8 images -> -1/+1 values [n, features]."""
    x = np.asarray(images).reshape(len(images), -1).astype(np.int64)
    if x.shape[1] != spec.input_features:
        raise ValueError(f"images have {x.shape[1]} pixels, the model takes {spec.input_features}")
    x = x[:, spec.crop_lo: x.shape[1] - spec.crop_hi]
    return np.where(x >= spec.input_threshold, 1, -1)


def batch_writes(spec, p, images):
    """Writes that put up to COLS images (u8) into the activation buffer."""
    g = p.geom
    if len(images) > g.cols:
        raise ValueError(f"a batch holds at most {g.cols} images, not {len(images)}")
    words = _pack_rows(binarize(spec, images))
    ab = rm.window("ABUF").base
    a_in = p.layers[0].a_in
    return [(ab + 4 * ((a_in + k) * g.cols + c), int(words[c, k]))
            for c in range(len(images)) for k in range(words.shape[1])]


def score_addresses(spec, p, n_images):
    """Byte addresses [n_images][n_classes] of the class scores."""
    g, lp = p.geom, p.layers[-1]
    sb = rm.window("SBUF").base
    return [[sb + 4 * ((lp.a_out + (mch // g.rows) * g.cols + c) * g.rows + mch % g.rows)
             for mch in range(lp.n_out)] for c in range(n_images)]


def unpack_scores(words):
    """u32 words read back -> int64 scores."""
    a = np.asarray(words, dtype=np.int64)
    return np.where(a >= 1 << 31, a - (1 << 32), a)


def ideal_cycles(spec, geom):
    """Cycles per batch of an array that never idles: sum over layers of tiles x words."""
    p = plan(spec, geom)
    return sum(lp.tiles * lp.words for lp in p.layers)
