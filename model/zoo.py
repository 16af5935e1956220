"""Reference network configurations (see ``bittern.model.layers`` for the keys).

``family`` names follow the seed papers: ``binary`` (BNN/XNOR-Net), ``sparse`` (3PXNet),
``wrpn`` (ternary weights, k-bit activations, widened), ``gxnor`` (ternary weights and
activations), plus the eBNN-style ``cnn`` and the full-precision ``float`` baseline.
"""

import copy

__all__ = ["NETWORKS", "network_config"]

_MNIST = {"shape": [28, 28, 1]}

NETWORKS = {
    # 784-256-256-10 like FINN's SFC and 3PXNet's MLP; binary-weight first layer on 8-bit pixels.
    "mlp": {"input": _MNIST, "blocks": [
        {"out": 256}, {"out": 256}, {"out": 10}]},
    # The same with binarized input: every layer runs on the XNOR accelerator (the demo's network).
    "mlp-bin": {"input": {**_MNIST, "threshold": 128}, "blocks": [
        {"out": 256}, {"out": 256}, {"out": 10}]},
    # FINN's TFC-w1a1 (Umuroglu et al. 2017): 784-64-64-64-10, binary weights and activations on
    # binarized pixels, every layer on the XNOR accelerator.
    "tfc-w1a1": {"input": {**_MNIST, "threshold": 128}, "blocks": [
        {"out": 64}, {"out": 64}, {"out": 64}, {"out": 10}]},
    # The MCU benchmark MLP: 768 binarized pixels (8 always-background pixels cropped at each end).
    "mlp768": {"input": {**_MNIST, "threshold": 128, "crop": [8, 8]}, "blocks": [
        {"out": 256}, {"out": 10}]},
    # 3PXNet: the same, with 2 of 24 packs kept per layer-1 neuron.
    "sparse": {"input": {**_MNIST, "threshold": 128, "crop": [8, 8]}, "blocks": [
        {"out": 256, "weights": "sparse", "packs": 2}, {"out": 10}]},
    # 3PXNet on a hidden layer: 2 of 8 packs kept per neuron, inputs permuted before pruning.
    "sparse-hidden": {"input": _MNIST, "blocks": [
        {"out": 256}, {"out": 256, "weights": "sparse", "packs": 2}, {"out": 10}]},
    # eBNN-style small conv net: conv -> pool -> bn -> sign, fused per output pixel on the MCU.
    "cnn": {"input": _MNIST, "blocks": [
        {"kind": "conv", "out": 16, "kernel": 3, "pad": 1, "pool": 2},
        {"kind": "conv", "out": 32, "kernel": 3, "pad": 1, "pool": 2},
        {"out": 10}]},
    # The Cortex-M0 budget net (eBNN's 15 KB): the CNN at twice the width, 32/64 channels.
    # 40 epochs with +-1 px shifts: 96.8 % held-out in 8.5 KB of model + 2.2 KB of RAM.
    "cnn-m0": {"input": _MNIST, "blocks": [
        {"kind": "conv", "out": 32, "kernel": 3, "pad": 1, "pool": 2},
        {"kind": "conv", "out": 64, "kernel": 3, "pad": 1, "pool": 2},
        {"out": 10}]},
    # WRPN: ternary weights, 2-bit activations, width multiplier applied by network_config().
    "wrpn": {"input": _MNIST, "blocks": [
        {"out": 128, "weights": "ternary", "act": "uint2"},
        {"out": 128, "weights": "ternary", "act": "uint2"},
        {"out": 10, "weights": "ternary"}]},
    # GXNOR: ternary weights and ternary activations.
    "gxnor": {"input": _MNIST, "blocks": [
        {"out": 256, "weights": "ternary", "act": "ternary"},
        {"out": 256, "weights": "ternary", "act": "ternary"},
        {"out": 10, "weights": "ternary"}]},
    # Full-precision baseline of the MLP (trains, cannot be exported).
    "float": {"input": _MNIST, "blocks": [
        {"out": 256, "weights": "float", "act": "relu"},
        {"out": 256, "weights": "float", "act": "relu"},
        {"out": 10, "weights": "float"}]},
}


def network_config(name, *, width=1.0, input_shape=None):
    """A copy of a reference configuration; ``width`` multiplies hidden widths (WRPN)."""
    if name not in NETWORKS:
        raise ValueError(f"unknown network {name!r}; choose one of {', '.join(NETWORKS)}")
    if not width > 0:
        raise ValueError(f"width multiplier must be positive, not {width!r}")
    cfg = copy.deepcopy(NETWORKS[name])
    for blk in cfg["blocks"][:-1]:
        blk["out"] = max(1, int(round(blk["out"] * width)))
    if input_shape is not None:
        cfg["input"]["shape"] = list(input_shape)
        if cfg["input"].get("crop"):
            cfg["input"]["crop"] = [0, 0]  # the crop is MNIST-specific
    cfg["name"] = name
    cfg["width"] = width
    return cfg
