"""Read and write ``.bittern`` model files (``docs/format.md``, versions 1 and 2).

Version 2 adds the per-class head; a model without a head is still written as version 1, so
its bytes (and every older reader) are unchanged.
"""

import struct
import zlib

import numpy as np
import torch

from . import limits
from .packing import n_words, pack_bits
from .spec import U8, Enc, Head, Kind, LayerSpec, ModelSpec, SpecError, WEnc, n_thresholds

__all__ = ["MAGIC", "VERSION", "VERSIONS", "HEADER_BYTES", "LAYER_BYTES", "ModelFileError",
           "to_bytes", "from_bytes", "save", "load", "head_bytes", "layer_act_bytes",
           "layer_blob_bytes"]

MAGIC = b"BTRN"
VERSION = 2            # the newest version this module writes
VERSIONS = (1, 2)      # the versions it reads
HEADER_BYTES = 64
LAYER_BYTES = 96
_HEADER = struct.Struct("<4s15I")
_LAYER = struct.Struct("<24I")
_LAYER_FIELDS = ("kind", "in_enc", "in_bits", "w_enc", "w_bits", "out_enc", "out_bits", "n_thr",
                 "in_h", "in_w", "in_c", "out_c", "kernel", "stride", "pad", "pool", "out_h",
                 "out_w", "packs", "acc_bound", "w_offset", "w_bytes", "t_offset", "t_bytes")


class ModelFileError(SpecError):
    """A model file that cannot be read; the message names the field and the layer."""


def _align4(b):
    return b + bytes(-len(b) % 4)



def _weight_blob(layer):
    w = layer.weights.astype(np.int64)
    if layer.w_enc == WEnc.BINARY:
        return pack_bits(torch.from_numpy(w > 0)).numpy().astype("<u4").tobytes()
    if layer.w_enc == WEnc.TERNARY:
        nz = pack_bits(torch.from_numpy(w != 0)).numpy().astype("<u4").tobytes()
        neg = pack_bits(torch.from_numpy(w < 0)).numpy().astype("<u4").tobytes()
        return nz + neg
    if layer.w_enc == WEnc.SPARSE:
        words = pack_bits(torch.from_numpy(w > 0)).numpy()            # [out, in/32]
        idx = layer.pack_index.astype(np.int64)
        kept = np.take_along_axis(words, idx, axis=1)
        return _align4(kept.astype("<u4").tobytes() + idx.astype("<u2").tobytes())
    if layer.w_enc == WEnc.INT:
        return _align4(w.astype("i1").tobytes())
    raise SpecError(f"unknown weight encoding {layer.w_enc!r}")


def _threshold_blob(layer):
    if layer.n_thr == 0:
        return b""
    t = np.concatenate([layer.directions.reshape(-1, 1), layer.thresholds], axis=1)
    return t.astype("<i4").tobytes()


def head_bytes(n_classes):
    """Size of the version-2 head blob: frac_bits, a zero word, i64 mult[n], i64 offset[n]."""
    return 8 + 16 * n_classes


def _head_blob(head: Head):
    return struct.pack("<II", int(head.frac_bits), 0) + \
        np.asarray(head.mult, dtype="<i8").tobytes() + np.asarray(head.offset, dtype="<i8").tobytes()


def _read_head(data, off, n_classes, name):
    blob = _blob(data, off, head_bytes(n_classes), f"{name}: head", "head blob")
    frac_bits, zero = struct.unpack_from("<II", blob)
    _expect(f"{name}: head", "reserved word", zero, 0)
    mult = np.frombuffer(blob, dtype="<i8", count=n_classes, offset=8).astype(np.int64)
    offset = np.frombuffer(blob, dtype="<i8", count=n_classes, offset=8 + 8 * n_classes)
    return Head(mult=mult, offset=offset.astype(np.int64), frac_bits=frac_bits)


def to_bytes(spec: ModelSpec) -> bytes:
    spec.validate()
    n = len(spec.layers)
    offset = HEADER_BYTES + n * LAYER_BYTES
    records, blobs = [], []
    for layer in spec.layers:
        wb, tb = _weight_blob(layer), _threshold_blob(layer)
        w_off = offset
        offset += len(wb)
        t_off = offset if tb else 0
        offset += len(tb)
        blobs += [wb, tb]
        records.append(_LAYER.pack(
            int(layer.kind), int(layer.in_enc), layer.in_bits, int(layer.w_enc), layer.w_bits,
            int(layer.out_enc), 32 if layer.out_enc == Enc.SCORES else layer.out_bits,
            layer.n_thr, layer.in_h, layer.in_w, layer.in_c, layer.out_c, layer.kernel,
            layer.stride, layer.pad, layer.pool, layer.out_h, layer.out_w, layer.packs,
            layer.acc_bound, w_off, len(wb), t_off, len(tb)))
    version, head_off = 1, 0
    if spec.head is not None:
        version, head_off = 2, offset
        blobs.append(_head_blob(spec.head))
    body = b"".join(records) + b"".join(blobs)
    header = _HEADER.pack(MAGIC, version, HEADER_BYTES, LAYER_BYTES, n, HEADER_BYTES + len(body),
                          zlib.crc32(body), spec.in_h, spec.in_w, spec.in_c,
                          spec.input_threshold, spec.crop_lo, spec.crop_hi, spec.n_classes,
                          max_act_bytes(spec), head_off)
    return header + body


def layer_act_bytes(layer):
    """A layer's output tensor in the runtime layout (packed per pixel, or bytes)."""
    px = layer.out_h * layer.out_w
    if layer.out_enc == Enc.BINARY:
        return px * n_words(layer.out_c) * 4
    if layer.out_enc == Enc.TERNARY:
        return 2 * px * n_words(layer.out_c) * 4
    if layer.out_enc == Enc.UINT:
        return px * layer.out_c
    return 4 * layer.out_c


def layer_blob_bytes(layer):
    """Bytes of a layer's weight and threshold blobs in the file."""
    return len(_weight_blob(layer)) + len(_threshold_blob(layer))


def max_act_bytes(spec):
    """Largest activation tensor in the runtime layout (packed per pixel, or bytes)."""
    return max([spec.input_features] + [layer_act_bytes(layer) for layer in spec.layers])


def _blob(data, off, size, at, what):
    if off % 4:
        raise ModelFileError(f"{at}: {what} offset {off} is not 4-byte aligned")
    if off < HEADER_BYTES or off + size > len(data):
        raise ModelFileError(f"{at}: {what} [{off}, {off + size}) lies outside the file "
                             f"({len(data)} bytes)")
    return data[off: off + size]


def _expect(at, what, got, want):
    if got != want:
        raise ModelFileError(f"{at}: {what} is {got}, expected {want}")


def _bits(blob, rows, n, at, what):
    """Packed ``[rows][ceil(n/32)]`` words -> ``uint8 [rows, n]`` bits (one byte per weight,
    no wider temporaries), refusing a set pad bit."""
    nw = n_words(n)
    b = np.frombuffer(blob, dtype=np.uint8).reshape(rows, nw * 4)
    bits = np.unpackbits(b, axis=1, bitorder="little")  # little-endian words: element order
    if n % 32 and bool(bits[:, n:].any()):
        raise ModelFileError(f"{at}: {what} has a set pad bit (bits {n}.. of the last word must be 0)")
    return bits[:, :n]


def _pm1(bits):
    """0/1 bits (a uint8 array the reader owns) -> -1/+1 int8 values, in place."""
    w = bits.view(np.int8)
    w *= 2
    w -= 1
    return w


def _record_error(r):
    """Enumerations and bit widths of a raw record (before any shift by a bit count)."""
    if r["in_enc"] not in (U8, Enc.BINARY, Enc.TERNARY, Enc.UINT):
        return f"unknown in_enc {r['in_enc']}"
    want = {U8: 8, Enc.BINARY: 1, Enc.TERNARY: 2}.get(r["in_enc"])
    if want is not None and r["in_bits"] != want:
        return f"in_bits must be {want} for in_enc {r['in_enc']}, not {r['in_bits']}"
    if r["in_enc"] == Enc.UINT and not 1 <= r["in_bits"] <= 8:
        return f"uint activations need 1..8 bits, not {r['in_bits']}"
    if r["out_enc"] == Enc.UINT and not 1 <= r["out_bits"] <= 8:
        return f"uint outputs need 1..8 bits, not {r['out_bits']}"
    if r["w_enc"] == WEnc.INT and not 2 <= r["w_bits"] <= 8:
        return f"int weights need 2..8 bits, not {r['w_bits']}"
    return None


def _weights(data, at, kind, w_enc, r):
    """The weight blob as int8 values, every size checked before anything is allocated."""
    k, in_c, out_c = r["kernel"], r["in_c"], r["out_c"]
    taps, words = out_c * k * k, n_words(in_c)
    idx = None
    if w_enc == WEnc.SPARSE:
        p = r["packs"]
        if kind != Kind.DENSE or in_c % 32 or not 1 <= p <= words:
            raise ModelFileError(f"{at}: sparse layer needs dense kind, in_c % 32 == 0 and "
                                 f"1 <= packs <= {words}, got packs={p}, in_c={in_c}")
        size = out_c * p * 4 + out_c * p * 2 + (-(out_c * p * 2) % 4)
    elif w_enc == WEnc.BINARY:
        size = taps * words * 4
    elif w_enc == WEnc.TERNARY:
        size = 2 * taps * words * 4
    else:
        size = taps * in_c + (-(taps * in_c) % 4)
    wb = _blob(data, r["w_offset"], r["w_bytes"], at, "weight blob")
    _expect(at, "weight blob size", len(wb), size)
    if w_enc == WEnc.BINARY:
        w = _pm1(_bits(wb, taps, in_c, at, "binary weights"))
    elif w_enc == WEnc.TERNARY:
        half = len(wb) // 2
        nz = _bits(wb[:half], taps, in_c, at, "ternary nz plane")
        neg = _bits(wb[half:], taps, in_c, at, "ternary neg plane")
        if bool((neg & ~nz).any()):
            raise ModelFileError(f"{at}: ternary weights have neg set where nz is 0")
        w = nz.view(np.int8) - np.int8(2) * (neg & nz).view(np.int8)
    elif w_enc == WEnc.SPARSE:
        p = r["packs"]
        kept = _bits(wb[: out_c * p * 4], out_c * p, 32, at, "sparse packs").reshape(out_c, p, 32)
        idx = np.frombuffer(wb[out_c * p * 4: out_c * p * 6], dtype="<u2").reshape(out_c, p)
        if int(idx.max()) >= words or (p > 1 and not (np.diff(idx.astype(np.int32), axis=1) > 0).all()):
            raise ModelFileError(f"{at}: sparse pack index out of range or not increasing")
        w = np.zeros((out_c, words, 32), dtype=np.int8)
        w[np.arange(out_c)[:, None], idx] = _pm1(kept)
        idx = idx.astype(np.uint16)
    else:
        w = np.frombuffer(wb[: taps * in_c], dtype="i1").copy()
    shape = (out_c, in_c) if kind == Kind.DENSE else (out_c, k, k, in_c)
    return w.reshape(shape), idx


def _read_layer(data, i, r):
    at = f"layer {i}"
    try:
        kind, w_enc = Kind(r["kind"]), WEnc(r["w_enc"])
        out_enc = Enc(r["out_enc"])
    except ValueError as e:
        raise ModelFileError(f"{at}: {e}") from None
    why = _record_error(r) or limits.layer_shape_error(
        kind=int(kind), in_h=r["in_h"], in_w=r["in_w"], in_c=r["in_c"], out_c=r["out_c"],
        kernel=r["kernel"], stride=r["stride"], pad=r["pad"], pool=r["pool"])
    if why:
        raise ModelFileError(f"{at}: {why}")
    w, idx = _weights(data, at, kind, w_enc, r)
    out_c = r["out_c"]
    L = r["n_thr"]
    _expect(at, "n_thr", L, n_thresholds(out_enc, r["out_bits"]))
    thr = dirs = None
    if L:
        tb = _blob(data, r["t_offset"], r["t_bytes"], at, "threshold blob")
        _expect(at, "threshold blob size", len(tb), out_c * (1 + L) * 4)
        t = np.frombuffer(tb, dtype="<i4").astype(np.int64).reshape(out_c, 1 + L)
        dirs, thr = t[:, 0].copy(), t[:, 1:].copy()
    layer = LayerSpec(kind=kind, in_enc=r["in_enc"], in_bits=r["in_bits"], w_enc=w_enc,
                      w_bits=r["w_bits"], out_enc=out_enc,
                      out_bits=0 if out_enc == Enc.SCORES else r["out_bits"],
                      in_h=r["in_h"], in_w=r["in_w"], in_c=r["in_c"], out_c=out_c,
                      weights=w, kernel=r["kernel"], stride=r["stride"], pad=r["pad"],
                      pool=r["pool"], thresholds=thr, directions=dirs, pack_index=idx)
    try:
        layer.validate(i)
    except SpecError as e:
        raise ModelFileError(str(e)) from None
    _expect(at, "out_h", r["out_h"], layer.out_h)
    _expect(at, "out_w", r["out_w"], layer.out_w)
    _expect(at, "acc_bound", r["acc_bound"], layer.acc_bound)
    return layer


def from_bytes(data: bytes, *, name="model") -> ModelSpec:
    data = bytes(data)
    if len(data) < HEADER_BYTES:
        raise ModelFileError(f"{name}: truncated: {len(data)} bytes, a header alone is {HEADER_BYTES}")
    h = _HEADER.unpack_from(data)
    magic, version, header_bytes, layer_bytes, n, file_bytes, crc = h[:7]
    if magic != MAGIC:
        raise ModelFileError(f"{name}: not a bittern model file (magic {magic!r}, expected {MAGIC!r})")
    if version not in VERSIONS:
        raise ModelFileError(f"{name}: model file version {version}, this bittern reads versions "
                             f"{', '.join(map(str, VERSIONS))}; re-export the model with this version")
    _expect(name, "header_bytes", header_bytes, HEADER_BYTES)
    _expect(name, "layer_bytes", layer_bytes, LAYER_BYTES)
    if file_bytes > len(data):
        raise ModelFileError(f"{name}: truncated: header says {file_bytes} bytes, file has {len(data)}")
    if file_bytes < len(data):
        raise ModelFileError(f"{name}: {len(data) - file_bytes} trailing bytes after the "
                             f"{file_bytes} the header declares")
    if not 1 <= n <= limits.MAX_LAYERS or HEADER_BYTES + n * LAYER_BYTES > len(data):
        raise ModelFileError(f"{name}: n_layers {n} is not 1..{limits.MAX_LAYERS} or its table "
                             f"does not fit")
    if zlib.crc32(data[HEADER_BYTES:]) != crc:
        raise ModelFileError(f"{name}: CRC-32 mismatch (file corrupted)")
    in_h, in_w, in_c, thr, crop_lo, crop_hi, n_classes = h[7:14]
    head_off = h[15]
    if version == 1 and head_off:
        raise ModelFileError(f"{name}: reserved header word is {head_off}, expected 0 in version 1")
    if version == 2 and not head_off:
        raise ModelFileError(f"{name}: version 2 file without a head (head_offset is 0)")
    why = limits.input_error(in_h, in_w, in_c)
    if why:
        raise ModelFileError(f"{name}: {why}")
    layers = []
    for i in range(n):
        rec = dict(zip(_LAYER_FIELDS, _LAYER.unpack_from(data, HEADER_BYTES + i * LAYER_BYTES)))
        try:
            layers.append(_read_layer(data, i, rec))
        except ModelFileError as e:
            raise ModelFileError(f"{name}: {e}") from None
    head = _read_head(data, head_off, n_classes, name) if head_off else None
    spec = ModelSpec(layers=layers, in_h=in_h, in_w=in_w, in_c=in_c, input_threshold=thr,
                     crop_lo=crop_lo, crop_hi=crop_hi, head=head)
    try:
        spec.validate()
    except SpecError as e:
        raise ModelFileError(f"{name}: {e}") from None
    _expect(name, "n_classes", n_classes, spec.n_classes)
    return spec


def save(spec: ModelSpec, path):
    data = to_bytes(spec)
    with open(path, "wb") as f:
        f.write(data)
    return len(data)


def load(path) -> ModelSpec:
    with open(path, "rb") as f:
        return from_bytes(f.read(), name=str(path))
