"""The {-1,+1} decomposition: any layer as binary XNOR-popcount passes recombined by shifts.

After Sun et al. (2018): an M-bit value is a weighted sum of M values in {-1,+1} plus a
constant. For an unsigned M-bit code ``a = sum_i 2^i b_i`` with ``s_i = 2 b_i - 1``:

    2a = sum_i 2^i s_i + (2^M - 1)

and for a signed N-bit weight ``w`` in ``[-(2^(N-1)-1), 2^(N-1)-1]``, shifted to the code
``u = w + 2^(N-1) - 1`` with bits ``t_j``:

    2w = sum_j 2^j t_j + 1

Binary values are their own plane (``2a = 2 s``); ternary values are 2-bit codes minus 1
(``2a = s_0 + 2 s_1 + 1``); sparse (pruned) weights are ternary. Writing the constant as a
coefficient on an all-ones plane ``1``, both operands are ``2x = sum_p c_p P_p`` with
``P_p`` in {-1,+1}, and every dot product becomes

    4 * acc = sum_{p,q} c_p d_q dot(P_p, Q_q)

i.e. ``M*N`` binary passes ``dot(s_i, t_j)`` shifted by ``i+j``, plus the offset passes with a
ones plane: ``dot(s_i, 1)`` (M passes), ``dot(1, t_j)`` (N passes, weight-only: precomputable
offline) and ``dot(1, 1)`` = the number of valid taps. Convolution padding taps are 0 in every
plane (the golden binary layer's padding), so they cost nothing, exactly as in the contract.
Every pass is an ordinary binary x binary layer, which is what the XNOR-popcount array computes.
"""

import numpy as np
import torch

from .golden import layer_accumulators
from .spec import U8, Enc, LayerSpec, SpecError, WEnc

__all__ = ["act_planes", "weight_planes", "binary_passes", "decomposed_accumulators"]


def _bits_planes(u, bits):
    """Unsigned codes -> [(2^i, 2*b_i - 1)]."""
    return [(1 << i, 2 * ((u >> i) & 1) - 1) for i in range(bits)]


def act_planes(x, in_enc, in_bits):
    """Activation values -> list of ``(coef, plane)`` with ``2x = sum coef * plane``; a plane is
    a {-1,+1} int64 tensor of x's shape, or the string ``"ones"`` for the all-ones plane."""
    x = torch.as_tensor(x).to(torch.int64)
    if in_enc == Enc.BINARY:
        return [(2, x)]
    if in_enc == Enc.TERNARY:
        return _bits_planes(x + 1, 2) + [(1, "ones")]
    if in_enc == Enc.UINT or in_enc == U8:
        bits = 8 if in_enc == U8 else in_bits
        return _bits_planes(x, bits) + [((1 << bits) - 1, "ones")]
    raise SpecError(f"no decomposition for activation encoding {in_enc!r}")


def weight_planes(w, w_enc, w_bits):
    """Weight values -> ``(coef, plane)`` list with ``2w = sum coef * plane`` (as act_planes)."""
    w = torch.as_tensor(np.asarray(w)).to(torch.int64)
    if w_enc == WEnc.BINARY:
        return [(2, w)]
    if w_enc in (WEnc.TERNARY, WEnc.SPARSE):
        return _bits_planes(w + 1, 2) + [(1, "ones")]
    if w_enc == WEnc.INT:
        return _bits_planes(w + (1 << (w_bits - 1)) - 1, w_bits) + [(1, "ones")]
    raise SpecError(f"no decomposition for weight encoding {w_enc!r}")


def _binary_layer(layer, weights):
    return LayerSpec(kind=layer.kind, in_enc=Enc.BINARY, in_bits=1, w_enc=WEnc.BINARY, w_bits=1,
                     out_enc=Enc.SCORES, out_bits=0, in_h=layer.in_h, in_w=layer.in_w,
                     in_c=layer.in_c, out_c=layer.out_c, weights=weights.astype(np.int8),
                     kernel=layer.kernel, stride=layer.stride, pad=layer.pad, pool=1)


def binary_passes(x, layer):
    """The binary passes of ``layer`` on input values ``x`` [B, h, w, c]:
    list of ``(coef, act_plane [B, h, w, c], binary LayerSpec)`` with
    ``4 * acc = sum coef * layer_accumulators(act_plane, binary_layer)``."""
    x = torch.as_tensor(x).to(torch.int64)
    if x.dim() == 2:
        x = x.reshape(x.shape[0], 1, 1, -1)
    a = act_planes(x, layer.in_enc, layer.in_bits)
    w = weight_planes(layer.weights, layer.w_enc, layer.w_bits)
    ones_a = torch.ones_like(x)
    ones_w = np.ones(layer.weights.shape, dtype=np.int8)
    passes = []
    for cw, qw in w:
        wl = _binary_layer(layer, ones_w if isinstance(qw, str) else qw.numpy())
        for ca, pa in a:
            passes.append((ca * cw, ones_a if isinstance(pa, str) else pa, wl))
    return passes


def decomposed_accumulators(x, layer, *, dot=None):
    """Pre-pool accumulators of ``layer`` computed only from binary passes.

    ``dot(act_plane, binary_layer)`` computes one binary pass (default: the golden packed
    XNOR-popcount path); pass the RTL array here to run a multi-bit layer on binary hardware.
    Equal to ``golden.layer_accumulators(x, layer, method="values")``.
    """
    if dot is None:
        def dot(p, bl):
            return layer_accumulators(p, bl, method="packed")
    total = None
    for coef, plane, bl in binary_passes(x, layer):
        part = coef * torch.as_tensor(dot(plane, bl)).to(torch.int64)
        total = part if total is None else total + part
    if bool((total % 4 != 0).any()):
        raise AssertionError("decomposition sum is not a multiple of 4: a plane is wrong")
    return total // 4
