"""Loader fuzzing shared by the test suite, the libFuzzer target and the bench scripts.

* Seeded mutations of valid model files: truncation, trailing bytes, random byte flips (with
  the CRC left stale, and with it recomputed so the damage reaches the layer checks), and
  hostile values written into header and layer-record fields with a fixed CRC.
* The input format of the libFuzzer target ``runtime/fuzz/fuzz_load_run.c`` (a control byte,
  then the model file): :func:`encode_input` / :func:`decode_input`, and the checked-in seed
  corpus ``runtime/fuzz/corpus`` (``python -m bittern.runtime.fuzz corpus`` rewrites it).
* The differential: :func:`differential` runs inputs through both loaders and asserts the
  same verdict, and the golden label where both accept. Only ``ModelFileError`` counts as a
  rejection by the Python reader: any other exception propagates as a finding.
"""

import hashlib
import struct
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bittern.model import fileformat, golden, randspec
from bittern.model.spec import U8, Enc, Head, Kind, WEnc

__all__ = ["fix_crc", "mutate", "mutations", "python_verdict", "CTRL_FIX", "encode_input",
           "decode_input", "corpus_models", "write_corpus", "CORPUS_DIR", "Differential",
           "differential"]

CORPUS_DIR = Path(__file__).resolve().parent.parent / "fuzz" / "corpus"
CTRL_FIX = 0x01  # control bit 0: the target rewrites file_bytes and the CRC before loading

HOSTILE = (0, 1, 2, 3, 31, 32, 33, 64, 255, 256, 0x7FFF, 0xFFFF, 0x10000, 0x7FFFFFFF,
           0x80000000, 0xFFFFFFFE, 0xFFFFFFFF)


def fix_crc(data):
    data = bytearray(data)
    struct.pack_into("<I", data, 24, zlib.crc32(bytes(data[64:])))
    return bytes(data)


def mutate(rng, data):
    """One random mutation of ``data``; returns (kind, bytes)."""
    data = bytearray(data)
    n = len(data)
    r = rng.integers(0, 6)
    if r == 0:
        return "truncate", bytes(data[: int(rng.integers(0, n))])
    if r == 1:
        return "trailing", bytes(data + bytes(rng.integers(0, 256, int(rng.integers(1, 9)), dtype=np.uint8)))
    if r in (2, 3):
        for _ in range(int(rng.integers(1, 5))):
            data[int(rng.integers(0, n))] ^= 1 << int(rng.integers(0, 8))
        return ("flip", bytes(data)) if r == 2 else ("flip+crc", fix_crc(data))
    # a hostile value in a header word or a layer-record word, CRC recomputed
    n_layers = struct.unpack_from("<I", data, 16)[0]
    words = 16 + 24 * min(n_layers, 64)
    off = 4 * int(rng.integers(0, words))
    if off >= n - 4:
        off = 16
    val = int(rng.choice(HOSTILE)) if r == 4 else int(rng.integers(0, n + 64))
    struct.pack_into("<I", data, off, val)
    out = bytes(data)
    return ("field", fix_crc(out) if off != 24 else out)


def mutations(rng, data, count):
    return [mutate(rng, data) for _ in range(count)]


def python_verdict(blob):
    """The Python reader's verdict: the ModelSpec, or None when it rejects the file.

    Only :class:`ModelFileError` is a rejection; any other exception propagates, because it
    is a finding (a reader bug), never a verdict."""
    try:
        return fileformat.from_bytes(blob)
    except fileformat.ModelFileError:
        return None


def encode_input(model, ctrl):
    """A libFuzzer input: the control byte (see fuzz_load_run.c), then the model file."""
    return bytes([ctrl & 0xFF]) + bytes(model)


def decode_input(data):
    """The model file the target loads for input ``data`` (None for an empty input)."""
    if not data:
        return None
    ctrl, model = data[0], bytearray(data[1:])
    if ctrl & CTRL_FIX and len(model) >= 64:
        struct.pack_into("<I", model, 20, len(model))
        struct.pack_into("<I", model, 24, zlib.crc32(bytes(model[64:])))
    return bytes(model)


# Kernel paths the kernel cases leave to other shapes (from llvm-cov of the corpus): byte
# convs with pool 3 (no window path), one-channel and one-word packed convs, sparse fast paths.
EXTRA_CASES = {
    "conv_u8_bin_pool3": dict(kind=Kind.CONV, in_enc=U8, in_h=9, in_w=9, in_c=3, out_c=4,
                              kernel=3, pad=1, pool=3),
    "conv_bin_c1": dict(kind=Kind.CONV, in_h=8, in_w=8, in_c=1, out_c=4, kernel=3, pad=1),
    "conv_bin_c1_pool3": dict(kind=Kind.CONV, in_h=9, in_w=9, in_c=1, out_c=3, kernel=2,
                              pool=3),
    "conv_bin_nw1_pool3": dict(kind=Kind.CONV, in_h=9, in_w=9, in_c=20, out_c=5, kernel=3,
                               pool=3),
    "conv_bin_nw2_pool3": dict(kind=Kind.CONV, in_h=7, in_w=7, in_c=40, out_c=3, kernel=2,
                               pool=3),
    "sparse_bin_p2": dict(w_enc=WEnc.SPARSE, in_c=128, out_c=20, packs=2),
    "sparse_bin_ter_out": dict(w_enc=WEnc.SPARSE, in_c=64, out_c=9, packs=1,
                               out_enc=Enc.TERNARY, out_bits=2),
}


def corpus_models(seed=0):
    """name -> spec: every kernel case and a few more shapes, a random model of every family,
    the 768-256-10 MLP (dense, binary: the accelerator's case) and a 3PXNet-sparse one; small
    files, seeded."""
    from .cases import KERNEL_CASES, layer_case, mlp768
    rng = np.random.default_rng(seed)
    out = {}
    for name in sorted(KERNEL_CASES):
        out[f"case_{name}"] = layer_case(rng, **KERNEL_CASES[name])
    for name in sorted(EXTRA_CASES):
        out[f"case_{name}"] = layer_case(rng, **EXTRA_CASES[name])
    for fam in randspec.FAMILY_NAMES:
        out[f"family_{fam}"] = randspec.random_family_model(rng, fam)
    out["mlp768"] = mlp768(rng, hidden=64)
    out["mlp768_sparse"] = mlp768(rng, packs=3, hidden=32)
    # format version 2: the per-class head (docs/numerics.md section 5), so its checks and the
    # int64 argmax are in the corpus too
    for name, base in (("head_mlp", randspec.random_model(rng, hidden=(24,), in_features=70)),
                       ("head_family_cnn", randspec.random_family_model(rng, "cnn"))):
        n = base.layers[-1].out_c
        base.head = Head(mult=rng.integers(-1000, 1001, size=n).astype(np.int64),
                         offset=rng.integers(-10**6, 10**6 + 1, size=n).astype(np.int64),
                         frac_bits=int(rng.integers(0, 63)))
        out[name] = base.validate()
    return out


def _ctrl(i):
    # cycle through accelerator present/absent, the three STATUS modes and 1..8 rows/cols
    return CTRL_FIX | ((i & 1) << 1) | (((i >> 1) % 3) << 2) | (((i >> 2) & 3) << 4) | \
        (((i >> 4) & 3) << 6)


def write_corpus(path=CORPUS_DIR, seed=0):
    """(Re)write the seed corpus: one input per model, the file names its content hash."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.bin"):
        old.unlink()
    for i, (name, spec) in enumerate(corpus_models(seed).items()):
        data = encode_input(fileformat.to_bytes(spec), _ctrl(i))
        (path / f"{name}-{hashlib.sha1(data).hexdigest()[:8]}.bin").write_bytes(data)
    return sorted(path.glob("*.bin"))


@dataclass
class Differential:
    inputs: int = 0
    both_accept: int = 0
    both_reject: int = 0
    golden_refused: int = 0             # both accept, but too large for the golden model
    verdict_diffs: list = field(default_factory=list)  # (index, C line, Python verdict)
    label_diffs: list = field(default_factory=list)    # (index, C label, golden label)

    def ok(self):
        return not self.verdict_diffs and not self.label_diffs

    def summary(self):
        return (f"{self.inputs} inputs: both accept {self.both_accept}, both reject "
                f"{self.both_reject}, golden refused {self.golden_refused}, verdict "
                f"differences {len(self.verdict_diffs)}, label differences {len(self.label_diffs)}")


def differential(models, *, build_dir=None, chunk=2000):
    """Both loaders on every model file (bytes): the C one through the sanitized host runner
    (load, then one inference on the zero image), the Python one through
    :func:`python_verdict`, and the golden label on the same image where both accept."""
    from .host import load_many
    res = Differential()
    for start in range(0, len(models), chunk):
        part = models[start:start + chunk]
        for j, (blob, line) in enumerate(zip(part, load_many(part, build_dir=build_dir))):
            i = start + j
            res.inputs += 1
            parts = line.split()
            spec = python_verdict(blob)
            if (parts[0] == "BT_OK") != (spec is not None):
                res.verdict_diffs.append((i, line, "accept" if spec is not None else "reject"))
            elif spec is None:
                res.both_reject += 1
            else:
                res.both_accept += 1
                try:
                    want = int(golden.run(spec, np.zeros((1, spec.input_features), np.uint8)).labels[0])
                except golden.GoldenMemoryError:
                    res.golden_refused += 1
                    continue
                if parts[2:4] != ["run", "BT_OK"] or int(parts[4]) != want:
                    res.label_diffs.append((i, line, want))
    return res


if __name__ == "__main__":
    if sys.argv[1:2] == ["corpus"]:
        for p in write_corpus(*(sys.argv[2:3] or [CORPUS_DIR])):
            print(p)
    else:
        sys.exit("usage: python -m bittern.runtime.fuzz corpus [DIR]")
