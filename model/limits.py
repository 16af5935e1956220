"""The limits of a ``.bittern`` model file: one home for the Python reader and the C loader.

Every bound a reader enforces beyond the format's own consistency rules lives here, once.
``python -m bittern.model.limits`` writes the generated copies: the C header
``runtime/include/bittern_limits.h`` (included by ``bittern.h``) and the table between the
markers in ``docs/format.md``; ``tests/test_model_limits.py`` fails when either is stale.

The bounds are chosen so that every size a reader computes from an accepted file fits in 32
bits with room to spare (tensor bytes <= 2^28, weights <= 2^24 per layer), checked factor by
factor before any product is formed, and so that the Python reader's memory stays bounded.

:func:`layer_shape_error` and :func:`input_error` apply the shape rules to plain integers, so
the reader can run them on a raw layer record before it allocates anything, and
:class:`~bittern.model.spec.LayerSpec` validation uses the very same code.
"""

from dataclasses import dataclass
from pathlib import Path

__all__ = ["Limit", "LIMITS", "MAX_LAYERS", "MAX_INPUT_FEATURES", "MAX_IN_C", "MAX_OUT_C",
           "MAX_KERNEL", "MAX_DIM", "MAX_TENSOR_BYTES", "MAX_LAYER_WEIGHTS", "MAX_ACC_BOUND",
           "THRESHOLD_LIMIT", "HEAD_LIMIT", "HEAD_MAX_FRAC_BITS", "c_name", "tensor_cost",
           "input_error", "layer_shape_error",
           "generate_c_header", "generate_markdown", "write_generated"]


@dataclass(frozen=True)
class Limit:
    name: str
    value: int
    doc: str


LIMITS = (
    Limit("MAX_LAYERS", 64, "layers per model (`n_layers` is 1..this)"),
    Limit("MAX_INPUT_FEATURES", 1 << 24,
          "input pixels `in_h*in_w*in_c` of the header; each factor is checked on its own first"),
    Limit("MAX_IN_C", 1 << 20, "a layer's `in_c` (input features of a dense layer)"),
    Limit("MAX_OUT_C", 1 << 16, "a layer's `out_c`"),
    Limit("MAX_KERNEL", 15, "a conv layer's `kernel`"),
    Limit("MAX_DIM", 65535, "a conv layer's `in_h`, `in_w`, `stride` and `pool`"),
    Limit("MAX_TENSOR_BYTES", 1 << 28,
          "cost `h*w*(8*ceil(c/32) + 4*c)` of a layer's input and of its output tensor"),
    Limit("MAX_LAYER_WEIGHTS", 1 << 24,
          "weights `out_c*kernel*kernel*in_c` of one layer, pruned ones counted"),
    Limit("MAX_ACC_BOUND", (1 << 31) - 1, "a layer's `acc_bound` (int32 accumulators)"),
    Limit("THRESHOLD_LIMIT", 1 << 30, "magnitude of a threshold `T_j`"),
    Limit("HEAD_LIMIT", (1 << 62) - 1,
          "magnitude of a head coefficient `m_c` or `k_c`; also `abs(m_c)*acc_bound + abs(k_c)` "
          "is below 2^63"),
    Limit("HEAD_MAX_FRAC_BITS", 62, "the head's `frac_bits` F (0..this)"),
)

_BY_NAME = {lim.name: lim.value for lim in LIMITS}
MAX_LAYERS = _BY_NAME["MAX_LAYERS"]
MAX_INPUT_FEATURES = _BY_NAME["MAX_INPUT_FEATURES"]
MAX_IN_C = _BY_NAME["MAX_IN_C"]
MAX_OUT_C = _BY_NAME["MAX_OUT_C"]
MAX_KERNEL = _BY_NAME["MAX_KERNEL"]
MAX_DIM = _BY_NAME["MAX_DIM"]
MAX_TENSOR_BYTES = _BY_NAME["MAX_TENSOR_BYTES"]
MAX_LAYER_WEIGHTS = _BY_NAME["MAX_LAYER_WEIGHTS"]
MAX_ACC_BOUND = _BY_NAME["MAX_ACC_BOUND"]
THRESHOLD_LIMIT = _BY_NAME["THRESHOLD_LIMIT"]
HEAD_LIMIT = _BY_NAME["HEAD_LIMIT"]
HEAD_MAX_FRAC_BITS = _BY_NAME["HEAD_MAX_FRAC_BITS"]

DENSE, CONV = 1, 2  # the Kind values of bittern.model.spec (kept numeric: no import cycle)


def tensor_cost(h, w, c):
    """Bytes a tensor may take in any runtime layout (ternary packed planes plus int32)."""
    return h * w * (8 * ((c + 31) // 32) + 4 * c)


def input_error(in_h, in_w, in_c):
    """Why the header's input shape is out of limits, or None."""
    for name, v in (("in_h", in_h), ("in_w", in_w), ("in_c", in_c)):
        if not 1 <= v <= MAX_INPUT_FEATURES:
            return f"input {name} {v} is not 1..{MAX_INPUT_FEATURES}"
    if in_h * in_w * in_c > MAX_INPUT_FEATURES:
        return f"input {in_h}x{in_w}x{in_c} has more than {MAX_INPUT_FEATURES} pixels"
    return None


def layer_shape_error(*, kind, in_h, in_w, in_c, out_c, kernel, stride, pad, pool):
    """Why a layer's shape fields are impossible or out of limits, or None.

    Checks each field against its bound before anything is multiplied, then the derived
    output size, the tensor costs and the weight count.
    """
    if not 1 <= kernel <= MAX_KERNEL:
        return f"kernel {kernel} is not 1..{MAX_KERNEL}"
    if not 1 <= in_c <= MAX_IN_C:
        return f"in_c {in_c} is not 1..{MAX_IN_C}"
    if not 1 <= out_c <= MAX_OUT_C:
        return f"out_c {out_c} is not 1..{MAX_OUT_C}"
    for name, v in (("in_h", in_h), ("in_w", in_w), ("stride", stride), ("pool", pool)):
        if not 1 <= v <= MAX_DIM:
            return f"{name} {v} is not 1..{MAX_DIM}"
    if pad < 0 or (pad > 0 and pad >= kernel):
        return f"pad {pad} is not 0..kernel-1"
    if kind == DENSE:
        if (in_h, in_w, kernel, stride, pad, pool) != (1, 1, 1, 1, 0, 1):
            return "a dense layer has in_h=in_w=kernel=stride=pool=1, pad=0"
        out_h = out_w = 1
    else:
        if in_h + 2 * pad < kernel or in_w + 2 * pad < kernel:
            return f"kernel {kernel} is larger than the padded {in_h}x{in_w} input"
        out_h = ((in_h + 2 * pad - kernel) // stride + 1) // pool
        out_w = ((in_w + 2 * pad - kernel) // stride + 1) // pool
        if out_h < 1 or out_w < 1:
            return f"kernel/stride/pool leave no output pixels for {in_h}x{in_w} input"
    if tensor_cost(in_h, in_w, in_c) > MAX_TENSOR_BYTES:
        return f"input tensor {in_h}x{in_w}x{in_c} is larger than {MAX_TENSOR_BYTES} bytes"
    if tensor_cost(out_h, out_w, out_c) > MAX_TENSOR_BYTES:
        return f"output tensor {out_h}x{out_w}x{out_c} is larger than {MAX_TENSOR_BYTES} bytes"
    if out_c * kernel * kernel * in_c > MAX_LAYER_WEIGHTS:
        return (f"{out_c}x{kernel}x{kernel}x{in_c} weights are more than "
                f"{MAX_LAYER_WEIGHTS}")
    return None


# ---- generated copies -----------------------------------------------------------------------

DOC_BEGIN = "<!-- limits: generated by `python -m bittern.model.limits`; do not edit -->"
DOC_END = "<!-- end of limits -->"


def c_name(lim):
    """The macro name of a limit in ``bittern_limits.h``."""
    return "BT_THR_LIMIT" if lim.name == "THRESHOLD_LIMIT" else f"BT_{lim.name}"


def _c_literal(value):
    # an int literal where it fits int32, else a 64-bit one (the head's coefficient bound)
    return str(value) if value < (1 << 31) else f"{value}LL"


def generate_c_header():
    out = ["/* Generated from model/limits.py by `python -m bittern.model.limits`; do not edit.",
           " * Model-file limits shared with the Python reader (docs/format.md). All fit int32",
           " * except BT_HEAD_LIMIT (int64: the per-class head's coefficients). */",
           "#ifndef BITTERN_LIMITS_H", "#define BITTERN_LIMITS_H", ""]
    for lim in LIMITS:
        out.append(f"#define {c_name(lim)} {_c_literal(lim.value)}  "
                   f"/* {lim.doc.replace('`', '')} */")
    out += ["", "#endif /* BITTERN_LIMITS_H */", ""]
    return "\n".join(out)


def generate_markdown():
    rows = ["| limit | value | bounds |", "| --- | --- | --- |"]
    for lim in LIMITS:
        v = lim.value
        shown = f"2^{v.bit_length() - 1}" if v > 1024 and v & (v - 1) == 0 else \
            f"2^{v.bit_length()} - 1" if v >= (1 << 31) - 1 and v & (v + 1) == 0 else str(v)
        rows.append(f"| `{lim.name}` | {shown} | {lim.doc} |")
    return "\n".join([DOC_BEGIN, *rows, DOC_END])


def _docs_with_table(text):
    start, end = text.index(DOC_BEGIN), text.index(DOC_END) + len(DOC_END)
    return text[:start] + generate_markdown() + text[end:]


def write_generated(root):
    """Rewrite the C header and the docs/format.md table under the checkout ``root``."""
    root = Path(root)
    (root / "runtime" / "include" / "bittern_limits.h").write_text(generate_c_header())
    doc = root / "docs" / "format.md"
    doc.write_text(_docs_with_table(doc.read_text()))


if __name__ == "__main__":
    import sys
    write_generated(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
