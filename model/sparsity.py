"""3PXNet pack pruning: every output neuron keeps the same number of 32-weight packs."""

import torch

__all__ = ["prune_packs", "pack_index"]


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


def pack_index(pack_mask, at):
    """The kept packs of a pruned layer as the model's ``pack_index`` (``uint16 [out, P]``).

    Raises ValueError naming ``at`` when the outputs keep different numbers of packs.
    """
    import numpy as np
    mask = pack_mask.cpu().numpy() > 0
    counts = mask.sum(1)
    if not (counts == counts[0]).all():
        raise ValueError(f"{at}: sparse layers need the same number of kept packs per output "
                         f"(got {sorted(set(counts.tolist()))}); prune first")
    return np.stack([np.flatnonzero(r) for r in mask]).astype(np.uint16)
