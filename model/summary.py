"""A model summary in the spirit of Larq's ``lq.models.summary``: per layer the encodings and
bits, parameters by precision, multiply-accumulates, bytes of weights and activations, whether
the layer runs on the accelerator (and if not, why) and its estimated array cycles; totals.

Byte counts are those of the model file and the C runtime's layout (``bittern.model.fileformat``);
whether a layer runs on the accelerator, and its array-active cycles, come from the hardware ops
(``bittern.rtl.ops``), with the C driver's rule that it offloads a suffix of the layers.
"""

from dataclasses import dataclass

from .fileformat import head_bytes, layer_act_bytes, layer_blob_bytes, to_bytes
from .spec import U8, Enc, Kind, ModelSpec, WEnc

__all__ = ["LayerSummary", "ModelSummary", "summarize", "format_summary", "accel_why_not"]


@dataclass
class LayerSummary:
    index: int
    name: str             # "dense 784->64", "conv 3x3 28x28x1->16 pool 2"
    in_enc: str           # "u8", "binary", "ternary", "uint2"
    weights: str          # "binary", "ternary", "sparse", "int4"
    out_enc: str          # "binary", ..., "scores"
    low_bit_params: int   # weights (each w_bits wide; pruned sparse weights not counted)
    weight_bits: int
    params_32: int        # thresholds and directions (int32), head coefficients as 2 x 32 each
    macs: int
    weight_bytes: int     # in the model file
    act_bytes: int        # the layer's output tensor in the runtime's layout
    accel: str | None     # None: runs on the accelerator; else why not (bittern.rtl.ops)
    cycles: int | None    # array-active cycles per image (None when not on the accelerator)


@dataclass
class ModelSummary:
    layers: list
    file_bytes: int
    input_bytes: int
    head: bool

    @property
    def total_params(self):
        return sum(l.low_bit_params + l.params_32 for l in self.layers)

    @property
    def total_macs(self):
        return sum(l.macs for l in self.layers)

    @property
    def weight_bytes(self):
        return sum(l.weight_bytes for l in self.layers)

    @property
    def max_act_bytes(self):
        return max([self.input_bytes] + [l.act_bytes for l in self.layers])


def _enc_name(enc, bits):
    if enc == U8 and bits == 8:
        return "u8"
    return {Enc.BINARY: "binary", Enc.TERNARY: "ternary", Enc.UINT: f"uint{bits}",
            Enc.SCORES: "scores"}[Enc(enc)]


def _w_name(layer):
    return {WEnc.BINARY: "binary", WEnc.TERNARY: "ternary", WEnc.SPARSE: "sparse",
            WEnc.INT: f"int{layer.w_bits}"}[layer.w_enc]


def accel_why_not(spec: ModelSpec):
    """Per layer None (offloaded) or the reason it stays in software."""
    from bittern.rtl import ops
    n = len(spec.layers)
    own = [ops.why_not(l, last=i == n - 1) for i, l in enumerate(spec.layers)]
    out, later_ok = [None] * len(own), True
    for i in range(len(own) - 1, -1, -1):
        out[i] = own[i] if own[i] else (None if later_ok else "a later layer runs in software")
        later_ok = later_ok and own[i] is None
    return out


def _cycles(layer, last, rows, cols):
    from bittern.rtl import ops
    return ops.find(layer, last=last).cycles(layer, rows=rows, cols=cols)


def _name(layer):
    if layer.kind == Kind.DENSE:
        return f"dense {layer.in_features}->{layer.out_c}"
    pool = f" pool {layer.pool}" if layer.pool > 1 else ""
    return f"conv {layer.kernel}x{layer.kernel} {layer.in_h}x{layer.in_w}x{layer.in_c}->{layer.out_c}{pool}"


def summarize(spec: ModelSpec, *, rows=4, cols=4) -> ModelSummary:
    spec.validate()
    why = accel_why_not(spec)
    rows_out = []
    for i, layer in enumerate(spec.layers):
        kept = int((layer.weights != 0).sum()) if layer.w_enc == WEnc.SPARSE else int(layer.weights.size)
        p32 = layer.out_c * (1 + layer.n_thr) if layer.n_thr else 0
        if i == len(spec.layers) - 1 and spec.head is not None:
            p32 += 4 * layer.out_c        # int64 mult and offset per class
        rows_out.append(LayerSummary(
            index=i, name=_name(layer), in_enc=_enc_name(layer.in_enc, layer.in_bits),
            weights=_w_name(layer), out_enc=_enc_name(layer.out_enc, layer.out_bits),
            low_bit_params=kept, weight_bits=layer.w_bits, params_32=p32, macs=layer.macs,
            weight_bytes=layer_blob_bytes(layer) + (head_bytes(layer.out_c) if
                                                     i == len(spec.layers) - 1 and spec.head else 0),
            act_bytes=layer_act_bytes(layer), accel=why[i],
            cycles=None if why[i] else _cycles(layer, i == len(spec.layers) - 1, rows, cols)))
    return ModelSummary(layers=rows_out, file_bytes=len(to_bytes(spec)),
                        input_bytes=spec.input_features, head=spec.head is not None)


def format_summary(spec: ModelSpec, *, rows=4, cols=4) -> str:
    s = summarize(spec, rows=rows, cols=cols)
    head = (f"{'#':>2} {'layer':<30} {'in':<8} {'weights':<8} {'out':<8} {'low-bit':>9} "
            f"{'32-bit':>7} {'MACs':>10} {'w bytes':>8} {'act B':>6} {'accelerator':<11} "
            f"{'cycles':>7}")
    lines = [head, "-" * len(head)]
    for l in s.layers:
        accel = "yes" if l.accel is None else "no"
        lines.append(f"{l.index:>2} {l.name:<30} {l.in_enc:<8} {l.weights:<8} {l.out_enc:<8} "
                     f"{l.low_bit_params:>9,} {l.params_32:>7,} {l.macs:>10,} {l.weight_bytes:>8,} "
                     f"{l.act_bytes:>6,} {accel:<11} {'-' if l.cycles is None else l.cycles:>7}")
    why = [f"  layer {l.index} not on the accelerator: {l.accel}" for l in s.layers if l.accel]
    lines.append("-" * len(head))
    low = sum(l.low_bit_params for l in s.layers)
    p32 = sum(l.params_32 for l in s.layers)
    lines.append(f"total: {low:,} low-bit + {p32:,} 32-bit parameters, {s.total_macs:,} MACs, "
                 f"{s.weight_bytes:,} bytes of weights, largest activation {s.max_act_bytes:,} "
                 f"bytes, file {s.file_bytes:,} bytes"
                 f"{', per-class head' if s.head else ''}; cycles on a {rows}x{cols} "
                 f"accelerator (array-active)")
    return "\n".join(lines + why)
