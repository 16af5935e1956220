"""Quantizers with straight-through estimators, producing the contract's integer values.

Forward values are exactly what the golden model computes with (``docs/numerics.md``): binary
-1/+1 (``sign(0) = +1``), ternary -1/0/+1, k-bit codes 0..2^k-1, signed k-bit weight codes. No
scale factors: batch-norm absorbs them, which keeps every pre-batch-norm value an exact integer.
"""

import torch

__all__ = ["binary", "ternary_act", "uint_act", "binary_weight", "ternary_weight", "int_weight",
           "weight_values", "ACT_THETAS"]


class _STE(torch.autograd.Function):
    """Forward: ``q``; backward: ``grad * gate`` (gate computed in forward)."""

    @staticmethod
    def forward(ctx, x, q, gate):
        ctx.save_for_backward(gate)
        return q

    @staticmethod
    def backward(ctx, grad):
        (gate,) = ctx.saved_tensors
        return grad * gate, None, None


def _ste(x, q, gate):
    return _STE.apply(x, q.detach(), gate.detach().to(x.dtype))


def _crossed(y, thetas):
    """#{j : y >= theta_j}: the contract's quantizer form, shared with folding."""
    bounds = torch.tensor(thetas, dtype=y.dtype, device=y.device)
    return torch.bucketize(y.detach().contiguous(), bounds, right=True).to(y.dtype)


def binary(y):
    """sign with sign(0) = +1; gradient passes where |y| <= 1 (hardtanh STE)."""
    return _ste(y, 2 * _crossed(y, ACT_THETAS("binary", 1)) - 1, y.abs() <= 1)


def ternary_act(y):
    """-1 below -0.5, +1 at or above +0.5, 0 between."""
    return _ste(y, _crossed(y, ACT_THETAS("ternary", 2)) - 1, y.abs() <= 1)


def uint_act(y, bits):
    """WRPN clip-then-round to codes 0..L (L = 2^bits - 1), round half up.

    Written as the count of thresholds (j - 0.5)/L crossed, which equals floor(clip(y,0,1)*L + 0.5)
    without its floating-point rounding at the half-way points.
    """
    levels = (1 << bits) - 1
    return _ste(y, _crossed(y, ACT_THETAS("uint", bits)), ((y >= 0) & (y <= 1)) * levels)


def binary_weight(w):
    return binary(w)


def ternary_weight(w, ratio=0.7):
    """TWN: threshold 0.7 * mean|w| over the layer; values -1/0/+1, identity STE."""
    delta = ratio * w.detach().abs().mean()
    q = torch.sign(w) * (w.abs() > delta)
    return _ste(w, q, torch.ones_like(w))


def int_weight(w, bits):
    """WRPN weights: clip to [-1, 1], round to signed codes with 2^(bits-1)-1 levels each side."""
    levels = (1 << (bits - 1)) - 1
    q = torch.floor(w.clamp(-1, 1) * levels + 0.5)
    return _ste(w, q, (w.abs() <= 1) * levels)


def weight_values(w, enc, bits, mask=None):
    """Integer weight values (with their STE) of latent weights ``w`` for a weight encoding:
    ``binary``, ``sparse`` (binary times the 32-weight pack ``mask``), ``ternary``, ``int``."""
    if enc == "binary":
        return binary_weight(w)
    if enc == "sparse":
        return binary_weight(w) * mask.repeat_interleave(32, dim=1)
    if enc == "ternary":
        return ternary_weight(w)
    if enc == "int":
        return int_weight(w, bits)
    raise ValueError(f"unknown weight encoding {enc!r}")


# The quantizers' thresholds on the batch-norm output y, in the contract's "count the
# thresholds crossed" form; folding uses these so the two can never drift apart.
def ACT_THETAS(act, bits):
    if act == "binary":
        return [0.0]
    if act == "ternary":
        return [-0.5, 0.5]
    if act == "uint":
        levels = (1 << bits) - 1
        return [(j - 0.5) / levels for j in range(1, levels + 1)]
    raise ValueError(f"no thresholds for activation {act!r}")
