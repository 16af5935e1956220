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

Which layers run, their buffer footprints, descriptors and weight/threshold writes come from
the op registry (:mod:`bittern.rtl.ops`); this module only places the layers and writes the
inputs. Anything no op runs raises :class:`UnsupportedLayer` naming the layer (the hardware
itself answers such a descriptor with ``UNSUPPORTED_LAYER``).
"""

from dataclasses import dataclass

import numpy as np
import torch

from bittern.model.packing import pack_binary
from bittern.model.spec import Kind

from . import ops
from . import regmap as rm
from .ops import UnsupportedLayer
from .ops.conv_xnor import pack_map

__all__ = ["Geometry", "Plan", "LayerPlan", "UnsupportedLayer", "plan", "program_writes",
           "batch_writes", "score_addresses", "unpack_scores", "DESC_CFG", "default_depths",
           "ideal_cycles", "binarize"]


@dataclass(frozen=True)
class Geometry:
    rows: int
    cols: int
    w_depth: int
    a_depth: int
    t_depth: int
    s_depth: int
    lanes: int = 32
    features: int = 0           # the build's FEATURES register: its optional layer kinds
    i_depth: int = 0            # pack-index words per row bank (sparse builds)
    sparse_words: int = 0       # words of the sparse array's column store (0: no sparse datapath)

    def __post_init__(self):
        # A sparse datapath is a FEATURES bit too (as the Accelerator reports it).
        if self.sparse_words:
            object.__setattr__(self, "features", self.features | rm.pack(
                "FEATURES", SPARSE=1, SPARSE_WORDS=self.sparse_words))

    @classmethod
    def of(cls, acc):
        """The geometry of an :class:`~bittern.rtl.accelerator.Accelerator`."""
        return cls(acc.rows, acc.cols, acc.w_depth, acc.a_depth, acc.t_depth, acc.s_depth, acc.lanes,
                   acc.features, acc.i_depth, acc.sparse_words)


@dataclass(frozen=True)
class LayerPlan:
    """Where one layer lives: its op, footprint and the first word of each of its ranges."""
    op: ops.HwOp
    footprint: ops.Footprint
    cycles: int                 # array-active cycles per batch (the op's estimate, = PERF_ACTIVE)
    w_base: int
    a_in: int
    a_out: int                  # activation word, or score word for the scores layer
    t_base: int
    scores: bool
    i_base: int = 0             # first pack-index word (sparse layers)
    flat: bool = False          # a conv whose output feeds a dense layer: packed flattened


@dataclass(frozen=True)
class Plan:
    geom: Geometry
    layers: tuple

    @property
    def in_words(self):
        return self.layers[0].footprint.a_in


def DESC_CFG(kind, in_enc, w_enc, out_enc):
    """The ``D_CFG`` word (for tests writing descriptors by hand)."""
    return rm.pack("D_CFG", KIND=int(kind), IN_ENC=int(in_enc), W_ENC=int(w_enc), OUT_ENC=int(out_enc))


def _select(spec, features=None):
    spec.validate()
    if len(spec.layers) > rm.MAX_LAYERS:
        raise UnsupportedLayer(f"the accelerator runs at most {rm.MAX_LAYERS} layers, not {len(spec.layers)}")
    n = len(spec.layers)
    return [ops.select(layer, i, last=i == n - 1, features=features) for i, layer in enumerate(spec.layers)]


def _flat(spec, i, rows):
    """Whether layer ``i`` is a conv whose output a dense layer reads (flattened, HWC order);
    raises when the write-back cannot pack it so."""
    layer = spec.layers[i]
    if layer.kind != Kind.CONV or i + 1 == len(spec.layers) or spec.layers[i + 1].kind == Kind.CONV:
        return False
    if layer.out_c % rows and layer.out_c % 32:
        raise UnsupportedLayer(f"{layer.where(i)}: a conv feeding a dense layer needs out_c a "
                               f"multiple of {rows} (the array's rows) or of 32, not {layer.out_c}")
    return layer.out_c % 32 != 0


def _half(fps):
    """Words per column bank of each activation ping-pong half."""
    return max(max(f.a_in for f in fps), max(f.a_out for f in fps))


def default_depths(spec, rows, cols, *, features=None):
    """Smallest buffer depths (per bank) that hold every layer of ``spec`` an op runs, placed as
    :func:`plan` places them (layers no op runs stay in software and take no buffer;
    ``features``: only the ops of a build whose ``FEATURES`` reads so, None: any build)."""
    n = len(spec.layers)
    fps = [op.footprint(layer, rows=rows, cols=cols) for i, layer in enumerate(spec.layers)
           if (op := ops.find(layer, last=i == n - 1, features=features)) is not None]
    if not fps:
        return dict(w_depth=2, a_depth=2, t_depth=2, s_depth=2)
    depths = dict(w_depth=max(sum(f.w for f in fps), 2), a_depth=max(2 * _half(fps), 2),
                  t_depth=max(sum(f.t for f in fps), 2), s_depth=max(sum(f.s for f in fps), 2))
    if sum(f.i for f in fps):
        depths["i_depth"] = max(sum(f.i for f in fps), 2)
    for i, layer in enumerate(spec.layers):       # build options (e.g. the sparse datapath)
        op = ops.find(layer, last=i == n - 1, features=features)
        for name, v in (op.build_options(layer) if op is not None else {}).items():
            depths[name] = max(depths.get(name, 0), v)
    return depths


def plan(spec, geom):
    """Place every layer of ``spec`` in the buffers of ``geom``; raises if it does not fit.

    Weights and thresholds go back to back; activations ping-pong between two halves of each
    column bank; the scores start at score word 0."""
    chosen = _select(spec, geom.features)
    fps = [op.footprint(layer, rows=geom.rows, cols=geom.cols) for op, layer in zip(chosen, spec.layers)]
    half = _half(fps)
    if 2 * half > geom.a_depth:
        raise UnsupportedLayer(f"activations need 2 x {half} words per column, the buffer has {geom.a_depth}")
    out, w_base, t_base, s_base, i_base = [], 0, 0, 0, 0
    for i, (op, layer, fp) in enumerate(zip(chosen, spec.layers, fps)):
        why = op.why_not_on(layer, geom)
        if why is not None:
            raise UnsupportedLayer(f"{layer.where(i)}: {why}")
        scores = fp.s > 0
        lp = LayerPlan(op=op, footprint=fp, cycles=op.cycles(layer, rows=geom.rows, cols=geom.cols),
                       w_base=w_base, a_in=(i % 2) * half,
                       a_out=s_base if scores else ((i + 1) % 2) * half, t_base=t_base, scores=scores,
                       flat=_flat(spec, i, geom.rows), i_base=i_base)
        for what, end, depth, unit in (("weights", w_base + fp.w, geom.w_depth, "words"),
                                       ("thresholds", t_base + fp.t, geom.t_depth, "entries"),
                                       ("scores", s_base + fp.s, geom.s_depth, "words"),
                                       ("pack indices", i_base + fp.i, geom.i_depth, "words")):
            if end > depth:
                raise UnsupportedLayer(f"{layer.where(i)}: {what} need {end} {unit} per row bank, "
                                       f"the buffer has {depth}")
        w_base, t_base, s_base, i_base = w_base + fp.w, t_base + fp.t, s_base + fp.s, i_base + fp.i
        out.append(lp)
    return Plan(geom=geom, layers=tuple(out))


def program_writes(spec, p):
    """(byte address, value) writes that load ``spec`` into an idle accelerator."""
    g = p.geom
    writes = []
    for i, (layer, lp) in enumerate(zip(spec.layers, p.layers)):
        writes += lp.op.writes(layer, lp, rows=g.rows, cols=g.cols)
        # Every word of the descriptor, unused ones 0: a word a layer kind does not use must not
        # keep a previous model's value.
        fields = lp.op.descriptor(layer, lp)
        unknown = set(fields) - {r.name for r in rm.DESCRIPTOR}
        assert not unknown, f"{lp.op.name} writes descriptor words the map lacks: {unknown}"
        writes += [(rm.desc_addr(i, r.name), fields.get(r.name, 0)) for r in rm.DESCRIPTOR]
    writes.append((rm.reg("N_LAYERS").offset, len(spec.layers)))
    return writes


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
    first = spec.layers[0]
    op0 = p.layers[0].op
    if hasattr(op0, "input_words"):     # a plane op: the image as bit planes, no thresholding
        x = np.asarray(images).reshape(len(images), -1).astype(np.int64)
        x = x[:, spec.crop_lo: x.shape[1] - spec.crop_hi]
        if spec.input_threshold:
            x = binarize(spec, images)
        words = op0.input_words(first, x)
    elif first.kind == Kind.CONV:   # HWC, each pixel's channels padded to whole words
        words = pack_map(binarize(spec, images).reshape(len(images), first.in_h, first.in_w, first.in_c))
    else:
        words = pack_binary(torch.from_numpy(binarize(spec, images))).numpy()
    ab = rm.window("ABUF").base
    a_in = p.layers[0].a_in
    return [(ab + 4 * ((a_in + k) * g.cols + c), int(words[c, k]))
            for c in range(len(images)) for k in range(words.shape[1])]


def score_addresses(spec, p, n_images):
    """Byte addresses [n_images][n_classes] of the class scores."""
    g, lp, last = p.geom, p.layers[-1], spec.layers[-1]
    sb = rm.window("SBUF").base
    tiles = -(-last.out_c // g.rows)
    out = []
    for c in range(n_images):
        row = []
        for f in range(last.out_features):      # flattened HWC: pixel q, channel mch
            q, mch = divmod(f, last.out_c)
            row.append(sb + 4 * ((lp.a_out + (q * tiles + mch // g.rows) * g.cols + c) * g.rows +
                                 mch % g.rows))
        out.append(row)
    return out


def unpack_scores(words):
    """u32 words read back -> int64 scores."""
    a = np.asarray(words, dtype=np.int64)
    return np.where(a >= 1 << 31, a - (1 << 32), a)


def ideal_cycles(spec, geom):
    """Array-active cycles per batch summed over the layers (the ops' estimates)."""
    return sum(lp.cycles for lp in plan(spec, geom).layers)
