"""Run a QONNX graph with qonnx's own executor on uint8 images (the reference for imports).

The graph is executed by ``qonnx.core.onnx_exec.execute_onnx`` on the whole batch at once: the
batch dimension is set with qonnx's ``ChangeBatchSize`` (which also rewrites constant Reshape
shapes), then shapes are inferred again. Images are given as bittern holds them (uint8, HWC) and
fed as the graph expects them: ``float32(pixel) / 255``, NCHW (or flat).
"""

import numpy as np

from .onnx_import import INPUT_DIVISOR

__all__ = ["run_qonnx", "graph_input"]


def graph_input(images, dims, divisor=INPUT_DIVISOR):
    """uint8 [N, H, W, C] -> float32 in the graph's input layout (``dims`` without batch)."""
    x = np.asarray(images, dtype=np.uint8)
    x = x.reshape(len(x), -1, *x.shape[-1:]) if x.ndim == 2 else x
    x = x.astype(np.float32) / np.float32(divisor)
    if len(dims) == 3:
        return np.ascontiguousarray(x.reshape(len(x), dims[1], dims[2], dims[0]).transpose(0, 3, 1, 2))
    return np.ascontiguousarray(x.reshape(len(x), -1))


def run_qonnx(model, images, *, tensors=(), divisor=INPUT_DIVISOR, batch=250):
    """{output name and each of ``tensors``: float32 array [N, ...]} for uint8 ``images``."""
    import onnx
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx
    from qonnx.transformation.change_batchsize import ChangeBatchSize
    from qonnx.transformation.infer_shapes import InferShapes
    from qonnx.util.cleanup import cleanup_model
    proto = model if isinstance(model, onnx.ModelProto) else onnx.load(str(model))
    base = cleanup_model(ModelWrapper(proto))
    dims = [d.dim_value for d in base.graph.input[0].type.tensor_type.shape.dim][1:]
    x = graph_input(images, dims, divisor)
    out_name = base.graph.output[0].name
    results = {name: [] for name in (out_name, *tensors)}
    wrapped = {}
    for start in range(0, len(x), batch):
        xb = x[start: start + batch]
        if len(xb) not in wrapped:
            m = ModelWrapper(onnx.ModelProto.FromString(base.model.SerializeToString()))
            m = m.transform(ChangeBatchSize(len(xb))).transform(InferShapes())
            wrapped[len(xb)] = m
        m = wrapped[len(xb)]
        ctx = execute_onnx(m, {m.graph.input[0].name: xb}, return_full_exec_context=bool(tensors))
        for name in results:
            results[name].append(ctx[name])
    return {name: np.concatenate(v) for name, v in results.items()}
