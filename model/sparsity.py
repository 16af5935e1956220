"""3PXNet pack pruning: every output neuron keeps the same number of 32-weight packs."""

import torch

__all__ = ["prune_packs"]


def prune_packs(block):
    """Keep, per output neuron, the ``block.packs`` packs with the largest latent |w| sum.

    Balanced work per neuron (3PXNet); the mask is a buffer, so later training keeps the pruned
    packs at zero. Returns the fraction of packs kept.
    """
    with torch.no_grad():
        out, n = block.weight.shape
        score = block.weight.abs().reshape(out, n // 32, 32).sum(-1)
        keep = score.topk(block.packs, dim=1).indices
        mask = torch.zeros_like(block.pack_mask)
        mask.scatter_(1, keep, 1.0)
        block.pack_mask.copy_(mask)
    return block.packs / (n // 32)
