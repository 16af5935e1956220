"""The golden integer model: the executable definition of bittern's numerics.

Every layer is computed on integer torch tensors; binary and ternary layers go through packed
32-bit words and popcounts (``docs/numerics.md`` section 3), other layers through exact integer
dot products. :func:`layer_accumulators` can also compute any layer directly on values, so tests
can check the packed path against an independent one.

Typical use::

    result = run(spec, images)          # images: uint8 [B, H, W, C] or [B, features]
    result.scores, result.labels        # int64 [B, classes], int64 [B]
    result.logits                       # int64 [B, classes] through the per-class head, or None
    result.trace[i].acc                 # layer i pre-threshold accumulators [B, h, w, c]
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .images import check_images
from .packing import n_words, pack_bits, popcount
from .spec import Enc, Kind, ModelSpec, SpecError, WEnc

__all__ = ["LayerTrace", "GoldenResult", "GoldenMemoryError", "MEMORY_BUDGET", "prepare_input",
           "layer_accumulators", "pool_max", "apply_thresholds", "codes_to_values",
           "post_accumulate", "run_layer",
           "run", "argmax_first", "layer_memory", "batch_for",
           "head_labels"]

# The golden model works on int64 tensors, far wider than the runtime's packed ones: it runs a
# batch only when its estimated peak fits this budget, and refuses a model one image of which
# does not (both loaders may accept a 4096x4096 conv that would need gigabytes here).
MEMORY_BUDGET = 1 << 29


class GoldenMemoryError(SpecError):
    """A model the golden model cannot run within :data:`MEMORY_BUDGET`."""


@dataclass
class LayerTrace:
    acc: torch.Tensor      # int64 [B, out_h, out_w, out_c], after max-pool, before thresholds
    values: torch.Tensor   # int64 [B, out_h, out_w, out_c], the layer's output values
    fired: int             # pairs with both operands non-zero (gated-PE activity), whole batch


@dataclass
class GoldenResult:
    scores: torch.Tensor
    labels: torch.Tensor
    trace: list
    logits: torch.Tensor | None = None   # head logits (int64), None for a model without a head


def prepare_input(spec: ModelSpec, images):
    """uint8 images -> int64 values [B, h, w, c] for layer 0 (crop, binarize, reshape)."""
    x = torch.from_numpy(check_images(images, spec)).to(torch.int64)
    b = x.shape[0]
    if spec.crop_lo or spec.crop_hi:
        x = x[:, spec.crop_lo: x.shape[1] - spec.crop_hi]
        x = x.reshape(b, 1, 1, -1)
    else:
        x = x.reshape(b, spec.in_h, spec.in_w, spec.in_c)
    if spec.input_threshold:
        x = torch.where(x >= spec.input_threshold, 1, -1)
    return x


def argmax_first(scores):
    """Index of the first maximum per row (ties go to the lowest index)."""
    return torch.argmax(scores, dim=-1)


def head_labels(spec: ModelSpec, scores):
    """(logits or None, labels) of integer scores: the per-class head, then the first argmax."""
    if spec.head is None:
        return None, argmax_first(scores)
    logits = spec.head.logits(scores)
    return logits, argmax_first(logits)


def _weight_values(layer):
    return torch.from_numpy(layer.weights.astype("int64"))


def _taps(x, layer):
    """Input pixel grid for each kernel tap: list of (ky, kx, patch [B, oh, ow, C], valid [oh, ow])."""
    b, h, w, c = x.shape
    k, s, p = layer.kernel, layer.stride, layer.pad
    oh, ow = layer.conv_h, layer.conv_w
    xp = F.pad(x, (0, 0, p, p, p, p))  # zeros; validity is tracked separately
    rows = torch.arange(oh) * s
    cols = torch.arange(ow) * s
    out = []
    for ky in range(k):
        for kx in range(k):
            patch = xp[:, rows + ky][:, :, cols + kx]
            valid = ((rows + ky - p >= 0) & (rows + ky - p < h))[:, None] & \
                    ((cols + kx - p >= 0) & (cols + kx - p < w))[None, :]
            out.append((ky, kx, patch, valid))
    return out


def _acc_values(x, layer):
    """Exact integer dot products on values (float64 unfold/matmul, exact below 2^53)."""
    b = x.shape[0]
    w = _weight_values(layer).to(torch.float64)
    if layer.kind == Kind.DENSE:
        return (x.reshape(b, -1).to(torch.float64) @ w.T).round().to(torch.int64).reshape(b, 1, 1, -1)
    xc = x.permute(0, 3, 1, 2).to(torch.float64)
    wc = w.permute(0, 3, 1, 2)
    acc = F.conv2d(xc, wc, stride=layer.stride, padding=layer.pad)
    return acc.round().to(torch.int64).permute(0, 2, 3, 1)


def _fired_values(x, layer):
    """Pairs where activation and weight are both non-zero, over the whole batch."""
    nzx = (x != 0).to(torch.int64)
    spec_w = layer.weights != 0
    tmp = type(layer)(**{**layer.__dict__, "weights": spec_w.astype("int8")})
    return int(_acc_values(nzx, tmp).sum())


def _acc_packed(x, layer):
    """Accumulators through packed words and popcounts (binary/ternary operands)."""
    b = x.shape[0]
    w = _weight_values(layer)
    if layer.kind == Kind.DENSE:
        x = x.reshape(b, 1, 1, -1)
        w = w.reshape(w.shape[0], 1, 1, -1)
    oc = w.shape[0]
    acc = torch.zeros(b, layer.conv_h, layer.conv_w, oc, dtype=torch.int64)
    ternary_in = layer.in_enc == Enc.TERNARY
    for ky, kx, patch, valid in _taps(x, layer):
        wt = w[:, ky, kx, :]                                   # [oc, C]
        if ternary_in:
            a_nz, a_neg = pack_bits(patch != 0), pack_bits(patch < 0)   # [B, oh, ow, W]
        else:
            a_bit = pack_bits(patch > 0)
        if layer.w_enc in (WEnc.BINARY, WEnc.SPARSE) and not ternary_in:
            # Pruned (zero) weights of sparse layers: keep them out of both XOR and N.
            w_nz, w_bit = pack_bits(wt != 0), pack_bits(wt > 0)
            mism = popcount((a_bit[..., None, :] ^ w_bit) & w_nz).sum(-1)
            n = popcount(w_nz).sum(-1)
            part = n - 2 * mism
        else:
            w_nz, w_neg = pack_bits(wt != 0), pack_bits(wt < 0)
            if ternary_in:
                both = a_nz[..., None, :] & w_nz
                fired = popcount(both).sum(-1)
                part = fired - 2 * popcount(both & (a_neg[..., None, :] ^ w_neg)).sum(-1)
            else:
                # binary activation x ternary weight: disagree where act bit == neg bit
                disagree = w_nz & ~(a_bit[..., None, :] ^ w_neg) & 0xFFFFFFFF
                part = popcount(w_nz).sum(-1) - 2 * popcount(disagree).sum(-1)
        acc += part * valid[None, :, :, None]
    return acc


def layer_accumulators(x, layer, *, method="auto"):
    """Pre-pool accumulators [B, conv_h, conv_w, out_c] of one layer on input values ``x``.

    ``method``: ``"packed"`` (words and popcounts; binary/ternary inputs with binary, sparse or
    ternary weights), ``"values"`` (plain integer dot products) or ``"auto"`` (packed wherever
    the contract defines a packed form).
    """
    packable = layer.in_enc in (Enc.BINARY, Enc.TERNARY) and \
        layer.w_enc in (WEnc.BINARY, WEnc.SPARSE, WEnc.TERNARY)
    if method == "auto":
        method = "packed" if packable else "values"
    if method == "packed":
        if not packable:
            raise SpecError(f"no packed form for in_enc={layer.in_enc} with w_enc={layer.w_enc!r}")
        return _acc_packed(x, layer)
    if method == "values":
        return _acc_values(x, layer)
    raise ValueError(f"method must be 'auto', 'packed' or 'values', not {method!r}")


def pool_max(acc, pool):
    """Max-pool (size = stride = ``pool``, floor) over [B, h, w, c] accumulators."""
    if pool == 1:
        return acc
    b, h, w, c = acc.shape
    oh, ow = h // pool, w // pool
    a = acc[:, : oh * pool, : ow * pool].reshape(b, oh, pool, ow, pool, c)
    return a.amax(dim=(2, 4))


def apply_thresholds(acc, thresholds, directions):
    """code = #{j : d*acc >= d*T_j} per channel (ties count as crossed)."""
    t = torch.as_tensor(thresholds).to(torch.int64)         # [C, L]
    d = torch.as_tensor(directions).to(torch.int64)         # [C]
    lhs = (acc * d)[..., None]                              # [..., C, 1]
    rhs = t * d[:, None]                                    # [C, L]
    return (lhs >= rhs).sum(-1)


def codes_to_values(codes, out_enc):
    if out_enc == Enc.BINARY:
        return 2 * codes - 1
    if out_enc == Enc.TERNARY:
        return codes - 1
    if out_enc == Enc.UINT:
        return codes
    raise SpecError(f"no code->value rule for output encoding {out_enc!r}")


def post_accumulate(acc, layer):
    """What follows the accumulators of ``layer`` (pre-pool, [B, conv_h, conv_w, out_c]):
    max-pool, then the thresholds and the output code's values (a scores layer keeps the pooled
    accumulators). Returns ``(pooled acc, output values)``. Every simulator of the bare arrays
    finishes its layers through this one function."""
    acc = pool_max(acc, layer.pool)
    if layer.out_enc == Enc.SCORES:
        return acc, acc
    return acc, codes_to_values(apply_thresholds(acc, layer.thresholds, layer.directions),
                                layer.out_enc)


def run_layer(x, layer, *, method="auto", activity=False):
    """One layer on input values [B, h, w, c] -> :class:`LayerTrace`."""
    if layer.kind == Kind.DENSE:
        x = x.reshape(x.shape[0], 1, 1, -1)
    acc, values = post_accumulate(layer_accumulators(x, layer, method=method), layer)
    fired = _fired_values(x, layer) if activity else 0
    return LayerTrace(acc=acc, values=values, fired=fired)


def layer_memory(layer):
    """(fixed, per image) bytes the golden model's temporaries take for ``layer``: an upper
    estimate of the packed path (per tap: [h, w, out_c, words] int64 XOR/popcount terms) and
    of the value path (float64 unfold of every tap)."""
    ch, cw, oc, k, c = layer.conv_h, layer.conv_w, layer.out_c, layer.kernel, layer.in_c
    words = n_words(c)
    per_image = 8 * (ch * cw * (6 * oc * words + 64 * words + 2 * k * k * c + 3 * oc) +
                     3 * layer.in_h * layer.in_w * c)
    fixed = 8 * 4 * oc * k * k * c
    return fixed, per_image


def batch_for(spec, batch):
    """The largest batch <= ``batch`` whose estimated peak fits :data:`MEMORY_BUDGET`."""
    fixed = max(layer_memory(layer)[0] for layer in spec.layers)
    per, worst = max((layer_memory(layer)[1], i) for i, layer in enumerate(spec.layers))
    if fixed + per > MEMORY_BUDGET:
        raise GoldenMemoryError(
            f"{spec.layers[worst].where(worst)}: the golden model would need about "
            f"{(fixed + per) >> 20} MiB for one image, more than its {MEMORY_BUDGET >> 20} MiB "
            f"budget")
    return max(1, min(batch, (MEMORY_BUDGET - fixed) // per))


def run(spec: ModelSpec, images, *, method="auto", activity=False, batch=1024):
    """Run the whole model on uint8 images; returns scores, labels and a per-layer trace.

    Images are checked by :func:`bittern.model.images.check_images`; batches are cut so the
    golden model's temporaries stay within :data:`MEMORY_BUDGET` (a model of which one image
    does not fit raises :class:`GoldenMemoryError`)."""
    images = check_images(images, spec)
    batch = batch_for(spec, batch)
    traces_all, scores_all = [], []
    for start in range(0, images.shape[0], batch):
        x = prepare_input(spec, images[start: start + batch])
        traces = []
        for layer in spec.layers:
            t = run_layer(x, layer, method=method, activity=activity)
            traces.append(t)
            x = t.values
        traces_all.append(traces)
        scores_all.append(x.reshape(x.shape[0], -1))
    scores = torch.cat(scores_all)
    trace = [LayerTrace(acc=torch.cat([t[i].acc for t in traces_all]),
                        values=torch.cat([t[i].values for t in traces_all]),
                        fired=sum(t[i].fired for t in traces_all))
             for i in range(len(spec.layers))]
    logits, labels = head_labels(spec, scores)
    return GoldenResult(scores=scores, labels=labels, trace=trace, logits=logits)
