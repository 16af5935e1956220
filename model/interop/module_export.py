"""``bittern.export(module, example_input)``: fold a user's ``nn.Module`` built from
:mod:`bittern.model.qnn` layers into a :class:`ModelSpec`.

The module is run once on ``example_input`` (float pixels 0..255, NCHW) with forward hooks on
its leaf modules, which gives the order the layers really run in and every tensor's shape; that
sequence must be a chain bittern can express (see :mod:`bittern.model.qnn`). Batch-norms and
quantizers fold exactly as for bittern's own networks (:func:`bittern.model.fold.fold_batchnorm`),
a final ``BatchNorm1d`` on the scores becomes the per-class head (:mod:`bittern.model.head`).
"""

from types import SimpleNamespace

import numpy as np
import torch
import torch.nn as nn

from ..fold import fold_batchnorm
from ..head import fold_head
from ..qnn import InputBinarize, QuantAct, QuantConv2d, QuantLinear
from ..quant import ACT_THETAS
from ..sparsity import pack_index
from ..spec import Enc, Kind, LayerSpec, ModelSpec, SpecError, WEnc

__all__ = ["ModuleExportError", "export_module"]

_PASS = (nn.Identity, nn.Dropout, nn.Flatten)
_WENC = {"binary": WEnc.BINARY, "ternary": WEnc.TERNARY, "sparse": WEnc.SPARSE, "int": WEnc.INT}
_AENC = {"binary": (Enc.BINARY, 1), "ternary": (Enc.TERNARY, 2)}


class ModuleExportError(SpecError):
    """A module bittern cannot fold; the message names the layer and why."""


def _calls(module, example):
    calls = []
    hooks = [m.register_forward_hook(lambda m, i, o, name=name: calls.append(
        (name, m, tuple(i[0].shape), tuple(o.shape))))
        for name, m in module.named_modules() if not list(m.children())]
    try:
        with torch.no_grad():
            module.eval()(example)
    except RuntimeError as e:
        raise ModuleExportError(f"running the module on example_input failed: "
                                f"{str(e).splitlines()[0]}") from None
    finally:
        for h in hooks:
            h.remove()
    return calls


def _identity_bn(c):
    one = torch.ones(c, dtype=torch.float64)
    return SimpleNamespace(weight=one, bias=0 * one, running_mean=0 * one, running_var=one, eps=0.0)


def _weights(layer_mod):
    with torch.no_grad():
        w = layer_mod.qweight().double().round().cpu().numpy().astype(np.int8)
    return w


def export_module(module, example_input) -> ModelSpec:
    example = torch.as_tensor(example_input, dtype=torch.get_default_dtype())
    if example.dim() != 4 or example.shape[0] != 1:
        raise ModuleExportError(f"example_input must be one image [1, C, H, W], not "
                                f"{tuple(example.shape)}")
    _, c, h, w = example.shape
    calls = [x for x in _calls(module, example) if not isinstance(x[1], _PASS)]
    if not calls or not isinstance(calls[0][1], InputBinarize):
        raise ModuleExportError("the module must start with qnn.InputBinarize (bittern's input is "
                                "the binarized image)")
    threshold = calls[0][1].threshold
    layers, i, n = [], 1, len(calls)
    enc, bits = Enc.BINARY, 1
    shape = (h, w, c)                   # the current activation, HWC
    head = None
    while i < n:
        name, m, in_shape, _ = calls[i]
        if not isinstance(m, (QuantLinear, QuantConv2d)):
            raise ModuleExportError(f"{name} ({type(m).__name__}): expected a QuantLinear or "
                                    f"QuantConv2d here")
        wv = _weights(m)
        if isinstance(m, QuantLinear):
            feats = shape[0] * shape[1] * shape[2]
            if m.in_features != feats:
                raise ModuleExportError(f"{name}: in_features {m.in_features}, the previous "
                                        f"output has {feats}")
            if shape[:2] != (1, 1):     # torch flattened CHW; bittern's features are HWC
                wv = _chw_to_hwc(wv, shape)
            spec = LayerSpec(kind=Kind.DENSE, in_enc=enc, in_bits=bits, w_enc=_WENC[m.w_enc],
                             w_bits=m.w_bits, out_enc=Enc.SCORES, out_bits=0, in_h=1, in_w=1,
                             in_c=feats, out_c=m.out_features, weights=wv)
            if m.w_enc == "sparse":
                try:
                    spec.pack_index = pack_index(m.pack_mask, name)
                except ValueError as e:
                    raise ModuleExportError(f"{e} (call .prune())") from None
        else:
            if (in_shape[1], in_shape[2], in_shape[3]) != (shape[2], shape[0], shape[1]):
                raise ModuleExportError(f"{name}: its input {in_shape[1:]} is not the previous "
                                        f"feature map")
            spec = LayerSpec(kind=Kind.CONV, in_enc=enc, in_bits=bits, w_enc=_WENC[m.w_enc],
                             w_bits=m.w_bits, out_enc=Enc.SCORES, out_bits=0, in_h=shape[0],
                             in_w=shape[1], in_c=shape[2], out_c=m.out_channels,
                             weights=np.ascontiguousarray(wv.transpose(0, 2, 3, 1)),
                             kernel=m.kernel_size, stride=m.stride, pad=m.padding)
        i += 1
        if i < n and isinstance(calls[i][1], nn.MaxPool2d):
            p = calls[i][1]
            k = p.kernel_size if isinstance(p.kernel_size, int) else p.kernel_size[0]
            s = p.stride if isinstance(p.stride, int) else p.stride[0]
            if spec.kind != Kind.CONV or k != s or p.padding not in (0, (0, 0)) or p.ceil_mode:
                raise ModuleExportError(f"{calls[i][0]} (MaxPool2d): needs a conv before it and "
                                        f"kernel == stride, no padding, floor mode")
            spec.pool = k
            i += 1
        bn = None
        if i < n and isinstance(calls[i][1], (nn.BatchNorm1d, nn.BatchNorm2d)):
            bn = calls[i][1]
            i += 1
        if i < n and isinstance(calls[i][1], QuantAct):
            act = calls[i][1]
            i += 1
            spec.out_enc, spec.out_bits = _AENC.get(act.act, (Enc.UINT, act.act_bits))
            spec.thresholds, spec.directions = fold_batchnorm(
                bn if bn is not None else _identity_bn(spec.out_c),
                ACT_THETAS(act.act, act.act_bits))
            layers.append(spec)
            enc, bits = spec.out_enc, spec.out_bits
            shape = (spec.out_h, spec.out_w, spec.out_c)
            continue
        if i < n:
            name_i, m_i = calls[i][0], calls[i][1]
            raise ModuleExportError(f"{name_i} ({type(m_i).__name__}): not supported here (a "
                                    f"layer is Quant* -> [MaxPool2d] -> [BatchNorm] -> QuantAct)")
        layers.append(spec)             # the last layer: scores, and a head from its batch-norm
        if bn is not None:
            g = bn.weight.detach().double().numpy()
            sd = np.sqrt(bn.running_var.detach().double().numpy() + bn.eps)
            a = g / sd
            b = bn.bias.detach().double().numpy() - bn.running_mean.detach().double().numpy() * a
            spec.validate(len(layers) - 1)
            head, _ = fold_head(a, b, acc_bound=spec.acc_bound)
    out = ModelSpec(layers=layers, in_h=h, in_w=w, in_c=c, input_threshold=threshold, head=head,
                    meta={"source": type(module).__name__})
    try:
        return out.validate()
    except SpecError as e:
        raise ModuleExportError(f"the folded module breaks the contract: {e}") from None


def _chw_to_hwc(wv, shape):
    """Dense weights whose columns follow torch's CHW flatten -> bittern's HWC feature order."""
    h, w, c = shape
    return np.ascontiguousarray(wv.reshape(-1, c, h, w).transpose(0, 2, 3, 1).reshape(wv.shape[0], -1))
