"""Fold a trained :class:`BitNet` into an integer-only :class:`ModelSpec`.

Batch-norm and the activation quantizer of each hidden block become per-channel integer
thresholds and a direction (``docs/numerics.md`` section 4). Computed in float64.
"""


import numpy as np
import torch

from .layers import BitNet
from .quant import ACT_THETAS
from .sparsity import pack_index
from .spec import THRESHOLD_LIMIT, U8, Enc, Kind, LayerSpec, ModelSpec, WEnc

__all__ = ["fold_batchnorm", "export_spec"]

_ENC = {"u8": (U8, 8), "binary": (Enc.BINARY, 1), "ternary": (Enc.TERNARY, 2)}
_WENC = {"binary": WEnc.BINARY, "ternary": WEnc.TERNARY, "sparse": WEnc.SPARSE, "int": WEnc.INT}


def fold_batchnorm(bn, thetas):
    """Thresholds [C, L] and directions [C] with code = #{j : d*acc >= d*T_j}."""
    gamma = bn.weight.detach().double().cpu().numpy()
    beta = bn.bias.detach().double().cpu().numpy()
    mu = bn.running_mean.detach().double().cpu().numpy()
    sd = np.sqrt(bn.running_var.detach().double().cpu().numpy() + bn.eps)
    theta = np.asarray(thetas, dtype=np.float64)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = mu[:, None] + (theta - beta[:, None]) * sd[:, None] / gamma[:, None]
    up = np.ceil(tau)
    down = np.floor(tau)
    thr = np.where(gamma[:, None] > 0, up, down)
    # gamma == 0: y = beta everywhere, so each threshold is always or never crossed.
    const = np.where(beta[:, None] >= theta, -THRESHOLD_LIMIT, THRESHOLD_LIMIT)
    thr = np.where(gamma[:, None] == 0, const, thr)
    thr = np.clip(np.nan_to_num(thr, nan=THRESHOLD_LIMIT, posinf=THRESHOLD_LIMIT,
                                neginf=-THRESHOLD_LIMIT), -THRESHOLD_LIMIT, THRESHOLD_LIMIT)
    d = np.where(gamma < 0, -1, 1)
    return thr.astype(np.int32), d.astype(np.int32)


def _weight_values(blk):
    with torch.no_grad():
        w = blk.qweight().double().round().cpu().numpy().astype(np.int8)
    if blk.kind == "conv":
        w = w.transpose(0, 2, 3, 1)  # OIHW -> [out][kh][kw][in] (HWC taps)
    return np.ascontiguousarray(w)


def export_spec(net: BitNet, *, meta=None) -> ModelSpec:
    net = net.eval()
    layers = []
    in_enc = "binary" if net.threshold else "u8"
    in_bits = 1 if net.threshold else 8
    for i, blk in enumerate(net.blocks):
        if blk.w_enc == "float" or blk.act == "relu":
            raise ValueError(f"block {i}: float weights / relu activations are a training baseline "
                             f"only and have no integer form; use binary, ternary, sparse or int<k> "
                             f"weights and binary, ternary or uint<k> activations")
        enc, bits = _ENC[in_enc] if in_enc in _ENC else (Enc.UINT, in_bits)
        h, w, c = blk.in_shape
        out_enc = {"scores": Enc.SCORES, "binary": Enc.BINARY, "ternary": Enc.TERNARY,
                   "uint": Enc.UINT}[blk.act]
        weights = _weight_values(blk)
        layer = LayerSpec(kind=Kind.DENSE if blk.kind == "dense" else Kind.CONV,
                          in_enc=enc, in_bits=bits, w_enc=_WENC[blk.w_enc], w_bits=blk.w_bits,
                          out_enc=out_enc, out_bits=blk.act_bits,
                          in_h=1 if blk.kind == "dense" else h, in_w=1 if blk.kind == "dense" else w,
                          in_c=blk.in_features if blk.kind == "dense" else c,
                          out_c=blk.out_shape[2], weights=weights, kernel=blk.kernel,
                          stride=blk.stride, pad=blk.pad, pool=blk.pool)
        if blk.w_enc == "sparse":
            layer.pack_index = pack_index(blk.pack_mask, f"block {i}")
        if not blk.last:
            layer.thresholds, layer.directions = fold_batchnorm(blk.bn, ACT_THETAS(blk.act, blk.act_bits))
        layers.append(layer)
        in_enc, in_bits = blk.act, blk.act_bits
    h, w, c = net.in_shape
    spec = ModelSpec(layers=layers, in_h=h, in_w=w, in_c=c, input_threshold=net.threshold,
                     crop_lo=net.crop[0], crop_hi=net.crop[1], meta=dict(meta or {}))
    return spec.validate()
