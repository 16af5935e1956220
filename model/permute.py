"""3PXNet permutation search: cluster the weights that pruning will remove into whole packs.

Pack pruning keeps, per output neuron, the ``packs`` 32-weight packs with the largest latent
magnitude. Reordering the layer's *input features* changes which weights share a pack, so a good
order keeps more magnitude in the kept packs. The order is folded offline into the previous
layer (its output neurons: weight rows and batch-norm parameters are permuted the same way), so
nothing is permuted at run time and the network computes exactly the same function.
"""

import numpy as np
import torch

__all__ = ["kept_magnitude", "search_permutation", "apply_input_permutation"]


def kept_magnitude(w_abs, packs):
    """Sum over outputs of the magnitude in the ``packs`` best packs ([out, in] array)."""
    out, n = w_abs.shape
    per_pack = w_abs.reshape(out, n // 32, 32).sum(-1)
    return float(np.sort(per_pack, axis=1)[:, -packs:].sum())


def search_permutation(w_abs, packs, *, iters=4000, seed=0):
    """Local search over swaps of two input features; returns the permutation (new -> old).

    Deterministic for a seed. A swap is kept only when it raises :func:`kept_magnitude`, so the
    result is never worse than the identity.
    """
    w_abs = np.asarray(w_abs, dtype=np.float64)
    out, n = w_abs.shape
    if n % 32:
        raise ValueError(f"permutation search needs in_features % 32 == 0, not {n}")
    rng = np.random.default_rng(seed)
    perm = np.arange(n)
    cur = w_abs.copy()
    per_pack = cur.reshape(out, n // 32, 32).sum(-1)              # [out, P]
    best = kept_magnitude(cur, packs)
    for _ in range(iters):
        i, j = rng.integers(0, n, size=2)
        pi, pj = i // 32, j // 32
        if pi == pj:
            continue
        delta = cur[:, j] - cur[:, i]
        trial = per_pack.copy()
        trial[:, pi] += delta
        trial[:, pj] -= delta
        score = float(np.sort(trial, axis=1)[:, -packs:].sum())
        if score > best:
            best, per_pack = score, trial
            cur[:, [i, j]] = cur[:, [j, i]]
            perm[[i, j]] = perm[[j, i]]
    return perm


def apply_input_permutation(net, index, perm):
    """Reorder block ``index``'s input features by ``perm`` and fold it into block ``index-1``.

    Both blocks must be dense and block ``index-1`` must have a batch-norm (a hidden block).
    The network's function is unchanged.
    """
    if index < 1:
        raise ValueError("the first block's inputs are pixels; permute hidden blocks only")
    prev, blk = net.blocks[index - 1], net.blocks[index]
    if prev.kind != "dense" or blk.kind != "dense":
        raise ValueError("input permutation is implemented for dense -> dense blocks")
    p = torch.as_tensor(np.asarray(perm), dtype=torch.long)
    if sorted(p.tolist()) != list(range(blk.weight.shape[1])):
        raise ValueError("perm must be a permutation of the block's input features")
    with torch.no_grad():
        blk.weight.copy_(blk.weight[:, p])
        if hasattr(blk, "pack_mask") and not bool((blk.pack_mask == 1).all()):
            raise ValueError("permute before pruning: the pack mask is already set")
        prev.weight.copy_(prev.weight[p])
        bn = prev.bn
        for t in (bn.weight, bn.bias, bn.running_mean, bn.running_var):
            t.copy_(t[p])
    return net
