"""Training loop for :class:`BitNet` (CPU, seeded, with a progress bar)."""

import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from . import recipe
from .fileformat import MAGIC
from .layers import BitNet
from .permute import apply_input_permutation, search_permutation
from .sparsity import prune_packs

__all__ = ["CheckpointError", "TrainResult", "train", "param_groups", "optimizer", "float_accuracy",
           "CHECKPOINT_VERSION", "save_checkpoint", "load_checkpoint"]

CHECKPOINT_VERSION = 1


class CheckpointError(ValueError):
    """A file that is not a readable bittern training checkpoint; the message says why."""


class TrainResult:
    def __init__(self, net, history, seconds):
        self.net, self.history, self.seconds = net, history, seconds


def _batches(n, size, rng):
    order = rng.permutation(n)
    for i in range(0, n, size):
        yield order[i: i + size]


def float_accuracy(net, images, labels, *, batch=1000):
    """Accuracy of the float fake-quantized model (eval mode)."""
    net.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(images), batch):
            s = net(torch.from_numpy(images[i: i + batch]))
            correct += int((s.argmax(1).numpy() == labels[i: i + batch]).sum())
    return correct / max(len(images), 1)


def shift_images(xb, rng, max_shift):
    """Random translation by up to ``max_shift`` pixels with zero fill (uint8 [B, H, W, C])."""
    if max_shift <= 0 or xb.shape[1] < 4:
        return xb
    out = torch.zeros_like(xb)
    h, w = xb.shape[1], xb.shape[2]
    shifts = rng.integers(-max_shift, max_shift + 1, size=(len(xb), 2))
    for i, (dy, dx) in enumerate(shifts):
        ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
        xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
        out[i, yd, xd] = xb[i, ys, xs]
    return out


def train(config, dataset, *, epochs=20, batch=recipe.BATCH, lr=recipe.LR,
          weight_lr=recipe.WEIGHT_LR, seed=0, progress=True, augment=0):
    """Train a network from ``config`` on ``dataset.train_*``; the test split is never touched.

    ``lr``: Adam's peak learning rate of the float parameters (batch-norm, the score temperature,
    the weights of ``float`` blocks). ``weight_lr``: that of the latent weights of quantized
    blocks (see :func:`param_groups`). Both follow one OneCycle schedule.
    ``augment``: random shifts of up to that many pixels (0 = none).
    Sparse blocks train dense for the first third of the epochs, are then pruned to their pack
    budget (3PXNet), and retrain with the mask fixed.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = BitNet(config)
    steps = epochs * math.ceil(len(dataset.train_x) / batch)
    opt, sched = optimizer(net, lr=lr, weight_lr=weight_lr, steps=steps)
    prune_at = max(1, epochs // 3) if any(b.w_enc == "sparse" for b in net.blocks) else None
    x_all = torch.from_numpy(dataset.train_x)
    y_all = torch.from_numpy(dataset.train_y)
    history = []
    start = time.time()
    bar = tqdm(total=steps, desc=f"train {config.get('name', 'net')}", disable=not progress,
               unit="step", leave=False, mininterval=1.0)
    for epoch in range(epochs):
        if prune_at is not None and epoch == prune_at:
            _permute_and_prune(net, seed)
        net.train()
        total, correct, loss_sum = 0, 0, 0.0
        for idx in _batches(len(x_all), batch, rng):
            xb, yb = x_all[idx], y_all[idx]
            xb = shift_images(xb, rng, augment)
            out = net(xb)
            loss = F.cross_entropy(out, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            net.clip_latent()
            total += len(idx)
            correct += int((out.argmax(1) == yb).sum())
            loss_sum += float(loss.detach()) * len(idx)
            bar.update(1)
        history.append({"epoch": epoch + 1, "loss": loss_sum / total, "train_acc": correct / total})
        bar.set_postfix(loss=f"{loss_sum / total:.3f}", acc=f"{correct / total:.3f}")
    bar.close()
    if prune_at is not None and prune_at >= epochs:  # too few epochs to retrain: prune anyway
        _permute_and_prune(net, seed)
    net.eval()
    return TrainResult(net, history, time.time() - start)


def param_groups(net, *, lr, weight_lr):
    """Adam's parameter groups: latent weights of quantized blocks at ``weight_lr``, the rest
    at ``lr``.

    Why two rates: Adam moves every parameter by about its learning rate per step, whatever
    the gradient's scale. A latent weight is clipped to [-1, 1] and starts uniform in it, so
    its quantized value (sign, TWN threshold, int-k level) changes only after it has travelled
    a good part of that range: at 0.01 that takes ~50-100 steps of agreeing gradients, too few
    flips in a short run (BinaryConnect scales the latent weights' rate up for the same
    reason). Batch-norm and the temperature are ordinary float parameters: 0.01 suits them.
    The measured comparison is in docs/interop.md ("Accuracy against Brevitas").
    """
    latent = [b.weight for b in net.blocks if b.w_enc != "float"]
    ids = {id(p) for p in latent}
    rest = [p for p in net.parameters() if id(p) not in ids]
    return [g for g in ({"params": latent, "lr": weight_lr}, {"params": rest, "lr": lr})
            if g["params"]]


def optimizer(net, *, lr, weight_lr, steps):
    """Adam over :func:`param_groups` and its OneCycle schedule over ``steps`` steps: each
    group rises from its peak / 25 to its peak in the first 15 %, then anneals."""
    groups = param_groups(net, lr=lr, weight_lr=weight_lr)
    opt = torch.optim.Adam(groups)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[g["lr"] for g in groups],
                                                total_steps=max(steps, 1), pct_start=0.15)
    return opt, sched


def _permute_and_prune(net, seed):
    """3PXNet: permute hidden inputs of sparse blocks (folded into the block before), then prune."""
    for i, blk in enumerate(net.blocks):
        if blk.w_enc != "sparse":
            continue
        prev = net.blocks[i - 1] if i else None
        if blk.cfg.get("permute", True) and prev is not None and prev.kind == "dense":
            perm = search_permutation(blk.weight.detach().abs().numpy(), blk.packs, seed=seed)
            apply_input_permutation(net, i, perm)
        prune_packs(blk)


def save_checkpoint(path, net, *, meta):
    torch.save({"format": "bittern-checkpoint", "version": CHECKPOINT_VERSION,
                "config": net.config, "state_dict": net.state_dict(), "meta": meta}, path)


def load_checkpoint(path):
    """The network and metadata of a checkpoint written by :func:`save_checkpoint`.

    ``weights_only=True``: a checkpoint holds only tensors, numbers, strings, lists and dicts,
    so a .pt from someone else cannot run code while it loads."""
    with open(path, "rb") as f:
        head = f.read(4)
    if head == MAGIC:
        raise CheckpointError(f"{path}: a .bittern model file, not a training checkpoint (.pt "
                              f"from `bittern train`); it is already exported")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:   # torch raises pickle, zip, EOF or runtime errors for a bad file
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise CheckpointError(f"{path}: not a readable checkpoint ({reason[:200]})") from None
    if not isinstance(data, dict) or data.get("format") != "bittern-checkpoint":
        raise CheckpointError(f"{path}: not a bittern training checkpoint")
    if data.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(f"{path}: checkpoint version {data.get('version')}, this bittern "
                              f"reads version {CHECKPOINT_VERSION}")
    net = BitNet(data["config"])
    try:
        net.load_state_dict(data["state_dict"])
    except (RuntimeError, KeyError) as e:
        raise CheckpointError(f"{path}: its weights do not match its configuration "
                              f"({str(e).splitlines()[0][:200]})") from None
    return net.eval(), data.get("meta", {})
