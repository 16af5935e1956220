"""A bittern model as a QONNX graph that qonnx's executor runs with identical labels and scores.

The graph takes ``float32(pixel) / 255`` (NCHW ``[1, C, H, W]``, as :mod:`.onnx_import` expects)
and is built only from operations that are exact in float32 on bittern's integers:

* input binarization: ``Sub`` of ``float32(t) / 255`` (division is monotone, so ``x >= that``
  exactly when ``pixel >= t``), then ``BipolarQuant`` (scale 1); or, for a u8 first layer,
  ``Mul`` by 255 and an 8-bit unsigned ``Quant`` of scale 1, whose codes are the pixels again
  (``round(float32(p / 255) * 255) = p`` for every p, checked by the importer);
* each layer: ``MatMul`` or ``Conv`` with the integer weight values as float32 (accumulators
  below 2^24 are exact), ``MaxPool`` on the accumulators, then ``Mul`` by the per-channel
  direction and qonnx's ``MultiThreshold`` (``x >= T`` counted, ties crossed) on ``d * T`` with
  ``out_scale``/``out_bias`` giving the values -1/+1, -1/0/+1 or the codes;
* conv -> dense: ``Transpose`` to NHWC and ``Reshape`` (bittern flattens HWC);
* the last layer's scores, or with a per-class head ``Cast`` to int64, ``Mul`` and ``Add`` by
  the int64 coefficients: the graph output is then the exact int64 logits (the float head is
  ``logit / 2^F``, F in the metadata ``bittern.head_frac_bits``).
"""

import numpy as np

from ..spec import Enc, Kind, ModelSpec, SpecError
from .onnx_import import HEAD_FRAC_BITS_KEY, INPUT_DIVISOR

__all__ = ["OnnxExportError", "to_qonnx", "export_qonnx"]

_QONNX = "qonnx.custom_op.general"
_F32_EXACT = 1 << 24


class OnnxExportError(SpecError):
    """A model the QONNX export cannot express exactly; the message says which layer and why."""


class _Builder:
    def __init__(self):
        self.nodes, self.inits, self.n = [], [], 0

    def const(self, value, dtype=np.float32):
        from onnx import numpy_helper
        name = f"c{len(self.inits)}"
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def node(self, op, inputs, domain="", **attrs):
        from onnx import helper
        out = f"t{self.n}_{op}"
        self.n += 1
        self.nodes.append(helper.make_node(op, inputs, [out], name=f"{op}_{self.n}",
                                           domain=domain, **attrs))
        return out


def _levels(layer):
    """(out_scale, out_bias, out_dtype) of a MultiThreshold giving the layer's output values."""
    if layer.out_enc == Enc.BINARY:
        return 2.0, -1.0, "BIPOLAR"
    if layer.out_enc == Enc.TERNARY:
        return 1.0, -1.0, "TERNARY"
    return 1.0, 0.0, f"UINT{layer.out_bits}"


def to_qonnx(spec: ModelSpec):
    """The ``onnx.ModelProto`` of ``spec`` (see the module docstring)."""
    from onnx import TensorProto, helper
    spec.validate()
    if spec.crop_lo or spec.crop_hi:
        raise OnnxExportError("models with an input crop are not exported yet")
    b = _Builder()
    if spec.input_threshold:
        thr = np.float32(spec.input_threshold) / np.float32(INPUT_DIVISOR)
        x = b.node("Sub", ["global_in", b.const(thr)])
        x = b.node("BipolarQuant", [x, b.const(1.0)], domain=_QONNX)
    else:                                # u8 pixels: back to the integers 0..255
        x = b.node("Mul", ["global_in", b.const(INPUT_DIVISOR)])
        x = b.node("Quant", [x, b.const(1.0), b.const(0.0), b.const(8.0)], domain=_QONNX,
                   signed=0, narrow=0, rounding_mode="ROUND")
    spatial = True                       # x is NCHW [1, C, H, W]
    for i, layer in enumerate(spec.layers):
        at = layer.where(i)
        if layer.acc_bound >= _F32_EXACT:
            raise OnnxExportError(f"{at}: accumulators up to {layer.acc_bound} are not exact in "
                                  f"float32")
        w = layer.weights.astype(np.float32)
        if layer.kind == Kind.DENSE:
            if spatial:
                x = b.node("Transpose", [x], perm=[0, 2, 3, 1])
                x = b.node("Reshape", [x, b.const([1, -1], np.int64)])
                spatial = False
            x = b.node("MatMul", [x, b.const(np.ascontiguousarray(w.T))])
        else:
            x = b.node("Conv", [x, b.const(np.ascontiguousarray(w.transpose(0, 3, 1, 2)))],
                       kernel_shape=[layer.kernel] * 2, strides=[layer.stride] * 2,
                       pads=[layer.pad] * 4)
            if layer.pool > 1:
                x = b.node("MaxPool", [x], kernel_shape=[layer.pool] * 2, strides=[layer.pool] * 2)
        if layer.out_enc == Enc.SCORES:
            break
        d = layer.directions.astype(np.float32)
        shape = (-1, 1, 1) if layer.kind == Kind.CONV else (-1,)
        x = b.node("Mul", [x, b.const(d.reshape(shape))])
        # |acc| <= acc_bound: thresholds beyond it mean the same clamped to acc_bound + 1
        lim = layer.acc_bound + 1
        t = np.clip(layer.thresholds.astype(np.int64) * layer.directions[:, None], -lim, lim)
        scale, bias, dtype = _levels(layer)
        x = b.node("MultiThreshold", [x, b.const(t.astype(np.float32))], domain=_QONNX,
                   out_scale=scale, out_bias=bias, out_dtype=dtype)
    out_type, out_shape = TensorProto.FLOAT, [1, spec.n_classes]
    if spec.head is not None:
        x = b.node("Cast", [x], to=TensorProto.INT64)
        x = b.node("Mul", [x, b.const(np.asarray(spec.head.mult), np.int64)])
        x = b.node("Add", [x, b.const(np.asarray(spec.head.offset), np.int64)])
        out_type = TensorProto.INT64
    if spec.layers[-1].kind == Kind.CONV:
        x = b.node("Reshape", [x, b.const([1, -1], np.int64)])
    b.nodes[-1].output[0] = "global_out"
    graph = helper.make_graph(
        b.nodes, "bittern",
        [helper.make_tensor_value_info("global_in", TensorProto.FLOAT,
                                       [1, spec.in_c, spec.in_h, spec.in_w])],
        [helper.make_tensor_value_info("global_out", out_type, out_shape)], initializer=b.inits)
    model = helper.make_model(graph, producer_name="bittern",
                              opset_imports=[helper.make_opsetid("", 17),
                                             helper.make_opsetid(_QONNX, 1)])
    if spec.head is not None:
        helper.set_model_props(model, {HEAD_FRAC_BITS_KEY: str(spec.head.frac_bits)})
    return model


def export_qonnx(spec: ModelSpec, path):
    """Write ``spec`` as a QONNX ``.onnx`` file; returns its size in bytes."""
    import onnx
    model = to_qonnx(spec)
    onnx.save(model, str(path))
    import os
    return os.path.getsize(path)
