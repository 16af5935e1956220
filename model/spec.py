"""The exported, integer-only description of a network.

A :class:`ModelSpec` is what training exports, what the model file stores and what the golden
executor, the RTL tools and the C runtime consume. Weights are held as small integer *values*
(-1/0/+1, or k-bit codes); packing into words is done by :mod:`bittern.model.packing` where a
consumer needs it. See ``docs/numerics.md`` for what every field means.
"""

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from . import limits
from .limits import HEAD_LIMIT, HEAD_MAX_FRAC_BITS, THRESHOLD_LIMIT

__all__ = ["U8", "Enc", "WEnc", "Kind", "LayerSpec", "Head", "ModelSpec", "SpecError",
           "THRESHOLD_LIMIT", "HEAD_LIMIT"]

# THRESHOLD_LIMIT (from limits.py): thresholds are clamped to +/- this value; "always" /
# "never" crossed use it too.
# HEAD_LIMIT (from limits.py): per-class head coefficients |mult|, |offset| <= this, and
# |mult| * acc_bound + |offset| < 2^63.


class SpecError(ValueError):
    """A model description that breaks the numerical contract; the message says where."""


class Kind(IntEnum):
    DENSE = 1
    CONV = 2


class Enc(IntEnum):
    """Activation encodings (``scores`` only as the last layer's output)."""
    SCORES = 0  # as an output encoding; as an input encoding, 0 means u8 (see U8)
    BINARY = 1
    TERNARY = 2
    UINT = 3


U8 = 0  # in_enc value for 8-bit pixels (shares 0 with Enc.SCORES, which is output-only)


class WEnc(IntEnum):
    BINARY = 1
    TERNARY = 2
    SPARSE = 3
    INT = 4


def _all_in(w, values):
    """Every element of ``w`` is one of ``values`` (bool temporaries only: np.isin may widen
    int8 weights to 8-byte indices, 8x the memory of the weights themselves)."""
    ok = np.zeros(w.shape, dtype=bool)
    for v in values:
        ok |= w == v
    return bool(ok.all())


def value_range(enc, bits):
    """(min, max) of the integer values an activation encoding can hold."""
    if enc == U8:
        return 0, 255
    if enc == Enc.BINARY:
        return -1, 1
    if enc == Enc.TERNARY:
        return -1, 1
    if enc == Enc.UINT:
        return 0, (1 << bits) - 1
    raise SpecError(f"unknown activation encoding {enc!r}")


def n_thresholds(out_enc, out_bits):
    if out_enc == Enc.SCORES:
        return 0
    if out_enc == Enc.BINARY:
        return 1
    if out_enc == Enc.TERNARY:
        return 2
    if out_enc == Enc.UINT:
        return (1 << out_bits) - 1
    raise SpecError(f"unknown output encoding {out_enc!r}")


@dataclass
class LayerSpec:
    """One layer: integer weights, optional max-pool, folded thresholds.

    ``weights`` is an ``int8`` array of values, ``[out_c, in_features]`` for dense and
    ``[out_c, kernel, kernel, in_c]`` for conv. For sparse layers pruned weights are 0 and
    ``pack_index`` (``[out_c, packs]``, ``uint16``) lists the kept 32-weight packs.
    ``thresholds`` is ``int32 [out_c, L]`` and ``directions`` ``int32 [out_c]`` (+1/-1).
    """
    kind: Kind
    in_enc: int
    in_bits: int
    w_enc: WEnc
    w_bits: int
    out_enc: Enc
    out_bits: int
    in_h: int
    in_w: int
    in_c: int
    out_c: int
    weights: np.ndarray
    kernel: int = 1
    stride: int = 1
    pad: int = 0
    pool: int = 1
    thresholds: np.ndarray | None = None
    directions: np.ndarray | None = None
    pack_index: np.ndarray | None = None

    # ---- derived shapes -------------------------------------------------------------------
    @property
    def conv_h(self):
        return (self.in_h + 2 * self.pad - self.kernel) // self.stride + 1

    @property
    def conv_w(self):
        return (self.in_w + 2 * self.pad - self.kernel) // self.stride + 1

    @property
    def out_h(self):
        return self.conv_h // self.pool

    @property
    def out_w(self):
        return self.conv_w // self.pool

    @property
    def in_features(self):
        return self.in_h * self.in_w * self.in_c

    @property
    def out_features(self):
        return self.out_h * self.out_w * self.out_c

    @property
    def taps(self):
        """Multiply-accumulates per output element (N of the dot product, padding ignored)."""
        return self.kernel * self.kernel * self.in_c

    @property
    def packs(self):
        return 0 if self.pack_index is None else int(self.pack_index.shape[1])

    @property
    def n_thr(self):
        return n_thresholds(self.out_enc, self.out_bits)

    @property
    def wmax(self):
        """Largest weight magnitude (no widened copy of the weights)."""
        w = self.weights
        return max(-int(w.min()), int(w.max())) if w.size else 0

    @property
    def acc_bound(self):
        lo, hi = value_range(self.in_enc, self.in_bits)
        amax = max(abs(lo), abs(hi))
        wmax = self.wmax
        taps = 32 * self.packs if self.w_enc == WEnc.SPARSE else self.taps
        return taps * amax * max(wmax, 1)

    @property
    def macs(self):
        """Useful multiply-accumulates of one inference (pruned packs excluded)."""
        taps = 32 * self.packs if self.w_enc == WEnc.SPARSE else self.taps
        return self.conv_h * self.conv_w * self.out_c * taps

    def where(self, index):
        return f"layer {index} ({self.kind.name.lower()} {self.in_features}->{self.out_c})"

    def validate(self, index=0):
        """Check this layer against the contract; raises :class:`SpecError` naming the field."""
        at = self.where(index)
        try:
            self.kind = Kind(self.kind)
            self.w_enc = WEnc(self.w_enc)
            self.out_enc = Enc(self.out_enc)
        except ValueError as e:
            raise SpecError(f"{at}: {e}") from None
        if self.in_enc not in (U8, Enc.BINARY, Enc.TERNARY, Enc.UINT):
            raise SpecError(f"{at}: unknown in_enc {self.in_enc}")
        expect_in_bits = {U8: 8, Enc.BINARY: 1, Enc.TERNARY: 2}.get(int(self.in_enc))
        if expect_in_bits is not None and self.in_bits != expect_in_bits:
            raise SpecError(f"{at}: in_bits must be {expect_in_bits} for in_enc {self.in_enc}, "
                            f"not {self.in_bits}")
        if self.in_enc == Enc.UINT and not 1 <= self.in_bits <= 8:
            raise SpecError(f"{at}: uint activations need 1..8 bits, not {self.in_bits}")
        if self.out_enc == Enc.UINT and not 1 <= self.out_bits <= 8:
            raise SpecError(f"{at}: uint outputs need 1..8 bits, not {self.out_bits}")
        for name in ("in_h", "in_w", "in_c", "out_c", "kernel", "stride", "pool", "pad"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or v < (0 if name == "pad" else 1):
                raise SpecError(f"{at}: {name} must be a positive integer, not {v!r}")
        why = limits.layer_shape_error(
            kind=int(self.kind), in_h=self.in_h, in_w=self.in_w, in_c=self.in_c, out_c=self.out_c,
            kernel=self.kernel, stride=self.stride, pad=self.pad, pool=self.pool)
        if why:
            raise SpecError(f"{at}: {why}")
        if self.kind == Kind.DENSE:
            wshape = (self.out_c, self.in_c)
        else:
            wshape = (self.out_c, self.kernel, self.kernel, self.in_c)
        if tuple(self.weights.shape) != wshape:
            raise SpecError(f"{at}: weights have shape {tuple(self.weights.shape)}, expected {wshape}")
        # int8 values are compared as they are: no widened copy of a large layer
        w = self.weights if self.weights.dtype == np.int8 else self.weights.astype(np.int64)
        if self.w_enc in (WEnc.BINARY,):
            if not _all_in(w, (-1, 1)):
                raise SpecError(f"{at}: binary weights must all be -1 or +1")
        elif self.w_enc == WEnc.TERNARY:
            if not _all_in(w, (-1, 0, 1)):
                raise SpecError(f"{at}: ternary weights must be -1, 0 or +1")
        elif self.w_enc == WEnc.INT:
            if not isinstance(self.w_bits, (int, np.integer)) or not 2 <= self.w_bits <= 8:
                raise SpecError(f"{at}: int weights need 2..8 bits, not {self.w_bits!r}")
            lim = (1 << (self.w_bits - 1)) - 1
            if self.wmax > lim:
                raise SpecError(f"{at}: int{self.w_bits} weights must lie in [-{lim}, {lim}]")
        elif self.w_enc == WEnc.SPARSE:
            self._validate_sparse(at, w)
        if self.acc_bound > limits.MAX_ACC_BOUND:
            raise SpecError(f"{at}: accumulator bound {self.acc_bound} does not fit int32")
        L = self.n_thr
        if L == 0:
            if self.thresholds is not None and self.thresholds.size:
                raise SpecError(f"{at}: a scores layer has no thresholds")
        else:
            if self.thresholds is None or tuple(self.thresholds.shape) != (self.out_c, L):
                got = None if self.thresholds is None else tuple(self.thresholds.shape)
                raise SpecError(f"{at}: thresholds must have shape {(self.out_c, L)}, not {got}")
            if self.directions is None or tuple(self.directions.shape) != (self.out_c,):
                raise SpecError(f"{at}: directions must have shape {(self.out_c,)}")
            if not np.isin(self.directions, (-1, 1)).all():
                raise SpecError(f"{at}: directions must be +1 or -1")
            if np.abs(self.thresholds.astype(np.int64)).max() > THRESHOLD_LIMIT:
                raise SpecError(f"{at}: thresholds must lie in [-2^30, 2^30]")
            ordered = self.directions.astype(np.int64)[:, None] * self.thresholds.astype(np.int64)
            if (np.diff(ordered, axis=1) < 0).any():
                raise SpecError(f"{at}: thresholds must be ordered (d * T_j non-decreasing in j)")

    def _validate_sparse(self, at, w):
        if self.kind != Kind.DENSE:
            raise SpecError(f"{at}: sparse weights are supported on dense layers only")
        if self.in_c % 32:
            raise SpecError(f"{at}: sparse layers need in_features % 32 == 0, not {self.in_c}")
        if self.pack_index is None or self.pack_index.ndim != 2 or self.pack_index.shape[0] != self.out_c:
            raise SpecError(f"{at}: sparse layers need pack_index of shape [out_c, packs]")
        words = self.in_c // 32
        idx = self.pack_index.astype(np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= words):
            raise SpecError(f"{at}: sparse pack index out of range 0..{words - 1}")
        if idx.shape[1] > 1 and not (np.diff(idx, axis=1) > 0).all():
            raise SpecError(f"{at}: sparse pack indices must be strictly increasing per output")
        kept = np.zeros((self.out_c, words), dtype=bool)
        np.put_along_axis(kept, idx, True, axis=1)
        wp = w.reshape(self.out_c, words, 32)
        if not _all_in(wp[kept], (-1, 1)):
            raise SpecError(f"{at}: weights in kept packs must be -1 or +1")
        if (wp[~kept] != 0).any():
            raise SpecError(f"{at}: weights in pruned packs must be 0")


@dataclass
class Head:
    """Per-class affine on the last layer's scores (``docs/numerics.md`` section 5).

    ``logit_c = mult_c * score_c + offset_c``, exact in int64; the label is the first index of
    the largest logit. ``frac_bits`` F says what the integers mean: the float head they stand for
    is ``logit_c / 2^F`` (informational; it never changes a label).
    """
    mult: np.ndarray     # int64 [classes]
    offset: np.ndarray   # int64 [classes]
    frac_bits: int = 0

    def validate(self, n_classes, acc_bound):
        m = np.asarray(self.mult)
        k = np.asarray(self.offset)
        if m.shape != (n_classes,) or k.shape != (n_classes,):
            raise SpecError(f"head: mult and offset need shape ({n_classes},), not "
                            f"{m.shape} and {k.shape}")
        if not 0 <= int(self.frac_bits) <= HEAD_MAX_FRAC_BITS:
            raise SpecError(f"head: frac_bits must be 0..{HEAD_MAX_FRAC_BITS}, "
                            f"not {self.frac_bits}")
        for c, (mc, kc) in enumerate(zip(m.tolist(), k.tolist())):
            if abs(mc) > HEAD_LIMIT or abs(kc) > HEAD_LIMIT or \
                    abs(mc) * acc_bound + abs(kc) > (1 << 63) - 1:
                raise SpecError(f"head: class {c}: |mult| * acc_bound + |offset| = "
                                f"{abs(mc)} * {acc_bound} + {abs(kc)} does not fit int64")

    def logits(self, scores):
        """int64 logits of integer scores ``[..., classes]`` (numpy or torch)."""
        import torch
        s = torch.as_tensor(scores).to(torch.int64)
        return s * torch.from_numpy(np.asarray(self.mult, dtype=np.int64)) + \
            torch.from_numpy(np.asarray(self.offset, dtype=np.int64))


@dataclass
class ModelSpec:
    """A whole exported network: input description and a chain of layers."""
    layers: list
    in_h: int
    in_w: int
    in_c: int
    input_threshold: int = 0
    crop_lo: int = 0
    crop_hi: int = 0
    meta: dict = field(default_factory=dict)
    head: Head | None = None

    @property
    def n_classes(self):
        return self.layers[-1].out_c

    @property
    def input_features(self):
        return self.in_h * self.in_w * self.in_c

    def validate(self):
        if not 1 <= len(self.layers) <= limits.MAX_LAYERS:
            raise SpecError(f"a model has 1..{limits.MAX_LAYERS} layers, not {len(self.layers)}")
        why = limits.input_error(self.in_h, self.in_w, self.in_c)
        if why:
            raise SpecError(why)
        if not 0 <= self.input_threshold <= 255:
            raise SpecError(f"input_threshold must be 0..255, not {self.input_threshold}")
        if self.crop_lo < 0 or self.crop_hi < 0 or self.crop_lo + self.crop_hi >= self.input_features:
            raise SpecError(f"crop ({self.crop_lo}, {self.crop_hi}) leaves no input of "
                            f"{self.input_features} pixels")
        cropped = self.crop_lo or self.crop_hi
        if cropped and self.layers[0].kind != Kind.DENSE:
            raise SpecError("input crop needs a dense first layer")
        enc, bits = (Enc.BINARY, 1) if self.input_threshold else (U8, 8)
        feats = self.input_features - self.crop_lo - self.crop_hi
        shape = (1, 1, feats) if cropped else (self.in_h, self.in_w, self.in_c)
        for i, layer in enumerate(self.layers):
            layer.validate(i)
            at = layer.where(i)
            if (layer.in_enc, layer.in_bits) != (enc, bits):
                raise SpecError(f"{at}: takes in_enc={layer.in_enc}/{layer.in_bits} bits but "
                                f"receives {int(enc)}/{bits} bits")
            if layer.kind == Kind.DENSE:
                if layer.in_c != shape[0] * shape[1] * shape[2]:
                    raise SpecError(f"{at}: in_features {layer.in_c} but the previous output has "
                                    f"{shape[0] * shape[1] * shape[2]}")
            elif (layer.in_h, layer.in_w, layer.in_c) != shape:
                raise SpecError(f"{at}: input shape {(layer.in_h, layer.in_w, layer.in_c)} but the "
                                f"previous output is {shape}")
            last = i == len(self.layers) - 1
            if last != (layer.out_enc == Enc.SCORES):
                raise SpecError(f"{at}: only the last layer has (and it must have) scores output")
            enc, bits = layer.out_enc, layer.out_bits
            shape = (layer.out_h, layer.out_w, layer.out_c)
        if self.head is not None:
            last = self.layers[-1]
            if last.out_h * last.out_w != 1:
                raise SpecError(f"head: the last layer has {last.out_h}x{last.out_w} output "
                                f"pixels; a per-class head needs one score per class")
            self.head.validate(last.out_c, last.acc_bound)
        return self
