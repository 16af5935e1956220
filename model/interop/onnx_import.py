"""Import a QONNX graph (Brevitas ``export_qonnx``, FINN-style ``MultiThreshold``) as a ModelSpec.

The graph must be one chain: input -> (scalar affine) -> a 1-bit quantizer (the input
binarization) or an 8-bit unsigned one whose codes are the pixels (a u8 first layer) ->
repeated [Gemm | MatMul | Conv] -> elementwise float ops (BatchNormalization, Mul, Add, Sub,
Div, Relu) -> (MaxPool) -> a quantizer (BipolarQuant, Quant, MultiThreshold,
Sign) -> ... -> a last [Gemm | MatMul | Conv] with an optional per-class affine before the output.
Reshape, Flatten, Transpose, Identity and Dropout move or keep elements and are followed exactly.

Exactness does not rest on re-deriving the float formulas: for every layer the nodes between the
accumulator and the quantizer's output are run **by qonnx's own executor** on every reachable
accumulator value, and the integer thresholds are read off those codes, so float32 rounding,
round-half-even and ties agree with ``qonnx.core.onnx_exec.execute_onnx`` by construction. The
input binarization is found the same way over the 256 pixel values (input convention: the graph
input is ``float32(pixel) / 255``), and so are the 8-bit input codes. The last layer's affine
becomes the per-class head (:mod:`bittern.model.head`), exact or proven.

Anything the chain cannot express raises :class:`OnnxImportError` naming the node, its op type
and the reason.
"""

from dataclasses import dataclass, field

import numpy as np

from ..head import fold_head
from ..spec import THRESHOLD_LIMIT, U8, Enc, Kind, LayerSpec, ModelSpec, SpecError, WEnc

__all__ = ["OnnxImportError", "ImportReport", "import_qonnx", "INPUT_DIVISOR"]

INPUT_DIVISOR = 255.0      # graph input = float32(pixel) / float32(255)
_QUANT_OPS = ("BipolarQuant", "Quant", "MultiThreshold", "Sign")
_AFFINE_OPS = ("BatchNormalization", "Mul", "Add", "Sub", "Div", "Relu", "Cast")
HEAD_FRAC_BITS_KEY = "bittern.head_frac_bits"   # metadata of graphs bittern exports
MAX_EVAL_ACC = 1 << 20     # accumulator bound up to which a layer's float ops are evaluated
_EVAL_CHUNK = 1 << 16      # accumulator values per executor call (bounded memory)
_MOVE_OPS = ("Reshape", "Flatten", "Transpose", "Identity", "Dropout")
_LAYER_OPS = ("Gemm", "MatMul", "Conv")


class OnnxImportError(SpecError):
    """A graph bittern cannot express; the message names the node, its op type and why."""


def _err(node, why):
    return OnnxImportError(f"node {node.name or '?'} ({node.op_type}): {why}")


@dataclass
class ImportReport:
    score_tensor: str = ""          # the graph tensor holding the last layer's accumulators
    score_scale: float = 1.0        # ... equal to score * score_scale in the float graph
    head: str = "none"              # the head proof's summary
    layers: list = field(default_factory=list)   # one line per imported layer


def _attrs(node):
    import onnx
    out = {}
    for a in node.attribute:
        v = onnx.helper.get_attribute_value(a)
        out[a.name] = v.decode() if isinstance(v, bytes) else v
    return out


class _Graph:
    """The cleaned QONNX graph: node order, constants (initializers and folded weight quants)."""

    def __init__(self, model):
        from onnx import numpy_helper
        self.model = model
        g = model.graph
        self.consts = {t.name: numpy_helper.to_array(t) for t in g.initializer}
        self.inits = {t.name: t for t in g.initializer}
        self.levels = {}          # quantized constants: name -> (int values, scale)
        self.nodes = []
        for n in g.node:
            if n.op_type == "Constant":
                self.consts[n.output[0]] = numpy_helper.to_array(_attrs(n)["value"])
            elif n.op_type in ("BipolarQuant", "Quant") and n.input[0] in self.consts and \
                    all(i in self.consts for i in n.input[1:]):
                self._fold_weight_quant(n)
            else:
                self.nodes.append(n)

    def _fold_weight_quant(self, n):
        x = self.consts[n.input[0]].astype(np.float32)
        scale = self.consts[n.input[1]]
        if np.asarray(scale).size != 1:
            raise _err(n, "per-channel weight scales are not supported (use a per-tensor scale)")
        s = float(np.asarray(scale).ravel()[0])
        if n.op_type == "BipolarQuant":
            q = np.where(x >= 0, 1, -1)
        else:
            from qonnx.custom_op.general.quant import quant
            zp, bits = self.consts[n.input[2]], self.consts[n.input[3]]
            if np.any(zp != 0):
                raise _err(n, "weights with a zero point are not supported")
            a = _attrs(n)
            y = quant(x, np.float32(s), zp, bits, signed=a.get("signed", 1),
                      narrow=a.get("narrow", 0), rounding_mode=a.get("rounding_mode", "ROUND"))
            q = np.round(y / s)
        self.levels[n.output[0]] = (q.astype(np.int64), s)

    def weight(self, node, name):
        """Integer weight values and their scale for a layer's weight input."""
        if name in self.levels:
            return self.levels[name]
        if name in self.consts:
            w = self.consts[name].astype(np.float64)
            if np.all(w == np.round(w)):
                return w.astype(np.int64), 1.0
            raise _err(node, "float weights are not quantized (need a Quant/BipolarQuant on them, "
                             "or integer values)")
        raise _err(node, f"weight {name} is not a constant")


def _levels_of(graph, node, scale_hint=None):
    """(enc, bits, act_scale, level values float32 by code) of a quantizer node."""
    a = _attrs(node)
    if node.op_type == "BipolarQuant":
        s = float(np.asarray(graph.consts[node.input[1]]).ravel()[0])
        return Enc.BINARY, 1, s, np.array([-s, s], np.float32)
    if node.op_type == "Sign":
        return Enc.TERNARY, 2, 1.0, np.array([-1, 0, 1], np.float32)
    if node.op_type == "Quant":
        sc, zp, bits = (np.asarray(graph.consts.get(i, np.nan)) for i in node.input[1:4])
        if np.isnan(sc).any():
            raise _err(node, "the activation scale must be a constant")
        if sc.size != 1:
            raise _err(node, f"per-channel activation scales ({sc.size} values) cannot be "
                             f"expressed: the next layer would weigh its input channels "
                             f"unequally, which no integer dot product does; use one "
                             f"per-tensor scale")
        if np.isnan(zp).any() or np.any(zp != 0):
            raise _err(node, "activations with a non-zero zero point are not imported: "
                             "bittern's codes are the quantized values themselves (value 0 "
                             "is code 0, as conv padding assumes); use zero point 0")
        s, k = float(sc.ravel()[0]), int(np.asarray(bits).ravel()[0])
        signed, narrow = a.get("signed", 1), a.get("narrow", 0)
        if signed and k == 1:
            return Enc.BINARY, 1, s, np.array([-s, s], np.float32)
        if signed and k == 2 and narrow:
            return Enc.TERNARY, 2, s, np.array([-s, 0, s], np.float32)
        if not signed and 1 <= k <= 8:
            return Enc.UINT, k, s, (np.arange(1 << k) * np.float32(s)).astype(np.float32)
        raise _err(node, f"{'signed' if signed else 'unsigned'} {k}-bit activations "
                         f"(narrow={narrow}) have no bittern encoding: use 1-bit, 2-bit signed "
                         f"narrow (ternary) or 1..8-bit unsigned")
    if node.op_type == "MultiThreshold":
        thr = graph.consts.get(node.input[1])
        if thr is None:
            raise _err(node, "thresholds must be a constant")
        L = thr.shape[-1]
        osc, obias = float(a.get("out_scale", 1.0)), float(a.get("out_bias", 0.0))
        vals = (np.arange(L + 1) * np.float32(osc) + np.float32(obias)).astype(np.float32)
        if L == 1 and vals[0] == -vals[1] and vals[1] > 0:
            return Enc.BINARY, 1, float(vals[1]), vals
        if L == 2 and vals[0] == -vals[2] and vals[1] == 0 and vals[2] > 0:
            return Enc.TERNARY, 2, float(vals[2]), vals
        k = int(L + 1).bit_length() - 1
        if obias == 0 and osc > 0 and (1 << k) == L + 1 and 1 <= k <= 8:
            return Enc.UINT, k, osc, vals
        raise _err(node, f"{L} thresholds with out_scale={osc}, out_bias={obias} give no bittern "
                         f"encoding (binary -s/+s, ternary -s/0/+s, or unsigned 0..2^k-1 times s)")
    raise _err(node, "not a quantizer")


def _run_chain(graph, steps, x, in_name):
    """Run the float ops ``steps`` ([(node, its data input)]) with qonnx's executor on ``x``.

    The nodes are rewired into one chain from ``in_name`` (nodes bittern handles itself, such as
    data movements and max-pools, are left out); returns the last node's output.
    """
    import copy

    import onnx
    from onnx import TensorProto, helper
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx
    from qonnx.util.cleanup import cleanup_model
    nodes, prev = [], in_name
    for node, data in steps:
        n = copy.deepcopy(node)
        for i, v in enumerate(n.input):
            if v == data:
                n.input[i] = prev
        nodes.append(n)
        prev = n.output[0]
    needed = {i for n in nodes for i in n.input} - {in_name}
    inits = [graph.inits[i] for i in needed if i in graph.inits]
    consts = [onnx.numpy_helper.from_array(graph.consts[i], i)
              for i in needed if i not in graph.inits and i in graph.consts]
    g = helper.make_graph(nodes, "chain",
                          [helper.make_tensor_value_info(in_name, TensorProto.FLOAT, list(x.shape))],
                          [helper.make_tensor_value_info(prev, TensorProto.FLOAT, None)],
                          initializer=inits + consts)
    m = helper.make_model(g, opset_imports=list(graph.model.opset_import))
    m.ir_version = graph.model.ir_version
    wrapped = cleanup_model(ModelWrapper(m))   # renames tensors: use its own names
    g = wrapped.model.graph
    return execute_onnx(wrapped, {g.input[0].name: x})[g.output[0].name]


def _codes_by_acc(graph, steps, in_name, bound, scale, bias, out_c, conv, to_codes=None):
    """Quantizer outputs [2*bound+1, out_c] for acc = -bound..bound, by qonnx's executor.

    The layer's float output is taken as float32(acc * scale) (+ its float32 bias), which is
    what the float Gemm/Conv computes whenever acc * scale is exact in float32 (scales that
    are powers of two, as FINN's and Brevitas' constant-scale binary quantizers give).
    ``to_codes`` turns each chunk's outputs into codes as it goes.
    """
    out = []
    for lo in range(-bound, bound + 1, _EVAL_CHUNK):     # chunks: u8 layers reach ~2^18 values
        acc = np.arange(lo, min(lo + _EVAL_CHUNK, bound + 1), dtype=np.float64)
        x = np.repeat((acc * scale).astype(np.float32)[:, None], out_c, axis=1)
        if bias is not None:
            x = (x + bias.astype(np.float32)[None, :]).astype(np.float32)
        if conv:
            x = x[:, :, None, None]
        y = _run_chain(graph, steps, x, in_name).reshape(len(acc), out_c)
        out.append(y if to_codes is None else to_codes(y))
    return np.concatenate(out)


def _to_codes(node, y, levels):
    codes = np.full(y.shape, -1, dtype=np.int16)
    for c, v in enumerate(levels):
        codes[y == v] = c
    if (codes < 0).any():
        bad = y[codes < 0].ravel()[0]
        raise _err(node, f"output value {bad} is not one of its levels {levels.tolist()}")
    return codes


def _thresholds(node, codes, bound, L, negate):
    """Per channel (thresholds [L], direction, flip) from codes over acc = -bound..bound.

    Channels where ``negate`` is set are expressed in acc' = -acc (their weights get negated).
    """
    acc = np.arange(-bound, bound + 1)
    n_c = codes.shape[1]
    thr = np.zeros((n_c, L), dtype=np.int64)
    dirs = np.ones(n_c, dtype=np.int64)
    flip = np.zeros(n_c, dtype=bool)
    for c in range(n_c):
        col = codes[:, c]
        d = np.diff(col)
        if (d >= 0).all():
            direction = 1
        elif (d <= 0).all():
            direction = -1
        else:
            raise _err(node, f"channel {c}: the codes are not monotone in the accumulator")
        if negate[c]:
            flip[c] = True          # in acc' = -acc: the codes read backwards
            col, direction = col[::-1], -direction
        for j in range(1, L + 1):
            hit = np.flatnonzero(col >= j)
            if direction > 0:
                thr[c, j - 1] = THRESHOLD_LIMIT if not hit.size else \
                    (-THRESHOLD_LIMIT if hit[0] == 0 else acc[hit[0]])
            else:
                thr[c, j - 1] = -THRESHOLD_LIMIT if not hit.size else \
                    (THRESHOLD_LIMIT if hit[-1] == len(acc) - 1 else acc[hit[-1]])
        dirs[c] = direction
    return thr, dirs, flip


def _affine(graph, node, alpha, beta):
    """Compose a float op into y = alpha * acc + beta (float64, per channel)."""
    op = node.op_type
    if op == "BatchNormalization":
        g, b, mu, var = (graph.consts[i].astype(np.float64) for i in node.input[1:5])
        eps = float(_attrs(node).get("epsilon", 1e-5))
        f = g / np.sqrt(var + np.float64(np.float32(eps)))
        return alpha * f, (beta - mu) * f + b
    other = [i for i in node.input if i in graph.consts]
    if op in ("Mul", "Add", "Sub", "Div") and len(other) == 1 and len(node.input) == 2:
        c = graph.consts[other[0]].astype(np.float64).ravel()
        if c.size not in (1, alpha.size):
            raise _err(node, f"constant of {c.size} values does not broadcast per class")
        if op == "Sub" and node.input[0] == other[0]:
            return -alpha, c - beta
        if op == "Div" and node.input[0] == other[0]:
            raise _err(node, "dividing a constant by the scores is not affine")
        return {"Mul": (alpha * c, beta * c), "Add": (alpha, beta + c), "Sub": (alpha, beta - c),
                "Div": (alpha / c, beta / c)}[op]
    raise _err(node, "the last layer's scores may only pass a per-class affine "
                     "(BatchNormalization, Mul, Add, Sub, Div by constants)")


def _canonical(h, w, c):
    """Index tensor [c, h, w] (ONNX NCHW) -> bittern's HWC flat index of each element."""
    hh, ww, cc = np.meshgrid(np.arange(h), np.arange(w), np.arange(c), indexing="ij")
    return ((hh * w + ww) * c + cc).transpose(2, 0, 1)


def _move(graph, node, idx):
    op = node.op_type
    if op in ("Identity", "Dropout"):
        return idx
    if op == "Flatten":
        return idx.reshape(-1)
    if op == "Reshape":
        shape = graph.consts.get(node.input[1])
        if shape is None:
            raise _err(node, "the target shape must be a constant")
        shape = [int(v) for v in shape.ravel()]
        if not shape or shape[0] not in (1, -1, 0):
            raise _err(node, "reshape must keep the batch dimension first")
        return idx.reshape([-1 if v == -1 else v for v in shape[1:]] or [-1])
    if op == "Transpose":
        perm = _attrs(node).get("perm")
        if perm is None or perm[0] != 0:
            raise _err(node, "transpose must keep the batch dimension first")
        return idx.transpose([p - 1 for p in perm[1:]])
    raise _err(node, "not a data movement")


class _Importer:
    def __init__(self, model):
        self.g = _Graph(model)
        self.layers = []
        self.report = ImportReport()

    # ---- the input: scalar float ops, then the binarizing quantizer -----------------------
    def _input_quant(self, steps, input_name, divisor):
        """((enc, bits, scale) of layer 0's input, the header's input threshold) from the
        input's float ops and quantizer, run on all 256 pixel values: a binarization
        ``pixel >= t``, or 8-bit unsigned codes equal to the pixels (a u8 first layer)."""
        quant = steps[-1][0]
        enc, bits, scale, levels = _levels_of(self.g, quant)     # its checks first
        px = np.arange(256, dtype=np.float32) / np.float32(divisor)
        y = _run_chain(self.g, steps, px.reshape(1, 256), input_name).ravel()
        if enc == Enc.UINT and bits == 8:
            codes = _to_codes(quant, y, levels)
            bad = np.flatnonzero(codes != np.arange(256))
            if bad.size:
                p = int(bad[0])
                raise _err(quant, f"8-bit input codes must be the pixels themselves for "
                                  f"bittern's u8 first layer, but pixel {p} gives code "
                                  f"{int(codes[p])} (quantize pixel/255 with scale 1/255, or "
                                  f"pixel/255 * 255 with scale 1)")
            return (U8, 8, scale), 0
        if enc != Enc.BINARY:
            raise _err(quant, f"the input quantizer must binarize the pixels (1 bit) or pass "
                              f"them on as 8-bit unsigned codes (a u8 first layer), not "
                              f"{enc.name.lower()} {bits}-bit")
        codes = _to_codes(quant, y, levels)
        on = np.flatnonzero(codes == 1)
        if not on.size or on[0] == 0 or not (codes[on[0]:] == 1).all():
            raise _err(quant, "the input binarization is not 'pixel >= t' for a t in 1..255")
        return (Enc.BINARY, 1, scale), int(on[0])

    def run(self, divisor):
        g = self.g
        graph = g.model.graph
        if len(graph.input) != 1 or len(graph.output) != 1:
            raise OnnxImportError(f"graph has {len(graph.input)} inputs and {len(graph.output)} "
                                  f"outputs; bittern imports one-input one-output chains")
        inp = graph.input[0]
        dims = [d.dim_value for d in inp.type.tensor_type.shape.dim]
        if len(dims) == 4:
            _, c, h, w = dims
        elif len(dims) == 2:
            h, w, c = 1, 1, dims[1]
        else:
            raise OnnxImportError(f"input {inp.name}: shape {dims} is neither [1, C, H, W] nor [1, F]")
        self.in_shape = (h, w, c)
        cur = inp.name
        idx = _canonical(h, w, c)
        stage, prefix, chain = "input", [], []
        act = None          # (enc, bits, scale) of the current activation
        threshold = 0
        for node in g.nodes:
            if cur not in node.input:
                raise _err(node, f"the graph is not one chain (expected a consumer of {cur})")
            op = node.op_type
            if op in _MOVE_OPS:
                if stage == "acc":
                    if op not in ("Identity", "Dropout"):
                        raise _err(node, "moving accumulators before their quantizer is not "
                                         "supported")
                else:
                    idx = _move(g, node, idx)
            elif stage == "input":
                if op in ("Mul", "Add", "Sub", "Div"):
                    if not all(i in g.consts and g.consts[i].size == 1
                               for i in node.input if i != cur):
                        raise _err(node, "only scalar constants may act on the input")
                    prefix.append((node, cur))
                elif op in _QUANT_OPS:
                    act, threshold = self._input_quant(prefix + [(node, cur)], inp.name, divisor)
                    stage = "act"
                else:
                    raise _err(node, "expected scalar float ops and a binarizing quantizer on "
                                     "the input")
            elif stage == "act":
                if op in _LAYER_OPS:
                    self._start_layer(node, idx, act)
                    stage, chain = "acc", []
                elif op == "MaxPool":
                    idx = self._pool_after_quant(node, idx)
                elif op == "Relu" and act[0] == Enc.UINT:
                    pass            # codes are already >= 0
                else:
                    raise _err(node, "expected a Gemm, MatMul or Conv after a quantizer")
            else:  # acc
                if op in _AFFINE_OPS:
                    chain.append((node, cur))
                elif op == "MaxPool":
                    self._pool(node)
                    self.pending["pool_at"] = len(chain)
                elif op in _QUANT_OPS:
                    act = self._finish_layer(chain + [(node, cur)])
                    layer = self.layers[-1]
                    idx = _canonical(layer.out_h, layer.out_w, layer.out_c)
                    stage = "act"
                else:
                    raise _err(node, "not supported between a layer and its quantizer")
            cur = node.output[0]
        if stage != "acc":
            raise OnnxImportError("the graph does not end with a Gemm, MatMul or Conv layer "
                                  "(and an optional per-class affine)")
        if cur != graph.output[0].name:
            raise OnnxImportError(f"the chain ends at {cur}, not at the output "
                                  f"{graph.output[0].name}")
        head = self._finish_last(chain)
        h, w, c = self.in_shape
        spec = ModelSpec(layers=self.layers, in_h=h, in_w=w, in_c=c, input_threshold=threshold,
                         head=head, meta={"source": "qonnx"})
        try:
            return spec.validate(), self.report
        except SpecError as e:
            raise OnnxImportError(f"the imported model breaks the contract: {e}") from None

    # ---- layers ----------------------------------------------------------------------------
    def _start_layer(self, node, idx, act):
        g = self.g
        enc, bits, a_scale = act
        a = _attrs(node)
        wq, w_scale = g.weight(node, node.input[1])
        if node.op_type == "Gemm":
            if a.get("transA", 0) or a.get("alpha", 1.0) != 1.0:
                raise _err(node, "transA and alpha other than 1 are not supported")
            if not a.get("transB", 0):
                wq = wq.T
        elif node.op_type == "MatMul":
            wq = wq.T
        bias = None
        if len(node.input) > 2 and node.input[2]:
            if node.op_type == "Gemm" and a.get("beta", 1.0) != 1.0:
                raise _err(node, "beta other than 1 is not supported")
            bias = node.input[2]
        if node.op_type == "Conv":
            k = a.get("kernel_shape", list(wq.shape[2:]))
            strides, pads = a.get("strides", [1, 1]), a.get("pads", [0, 0, 0, 0])
            if len(k) != 2 or k[0] != k[1] or strides[0] != strides[1] or len(set(pads)) != 1 \
                    or a.get("group", 1) != 1 or any(d != 1 for d in a.get("dilations", [1, 1])):
                raise _err(node, "needs a square kernel, equal strides, equal pads, group 1 and "
                                 "dilation 1")
            if idx.ndim != 3 or not np.array_equal(idx, _canonical(*idx.shape[1:], idx.shape[0])):
                raise _err(node, "its input is not the previous layer's feature map in order")
            c_in, h, w = idx.shape
            weights = wq.transpose(0, 2, 3, 1)                 # OIHW -> [out][kh][kw][in]
            layer = dict(kind=Kind.CONV, in_h=h, in_w=w, in_c=c_in, kernel=k[0],
                         stride=strides[0], pad=pads[0])
        else:
            flat = idx.reshape(-1)
            if wq.ndim != 2 or wq.shape[1] != flat.size:
                raise _err(node, f"weights {wq.shape} do not match {flat.size} input features")
            weights = np.zeros_like(wq)
            weights[:, flat] = wq                              # ONNX feature order -> HWC
            layer = dict(kind=Kind.DENSE, in_h=1, in_w=1, in_c=flat.size)
        vals = set(np.unique(weights).tolist())
        if vals <= {-1, 1}:
            w_enc, w_bits = WEnc.BINARY, 1
        elif vals <= {-1, 0, 1}:
            w_enc, w_bits = WEnc.TERNARY, 2
        else:
            m = int(np.abs(weights).max())
            w_enc, w_bits = WEnc.INT, max(2, m.bit_length() + 1)
            if w_bits > 8:
                raise _err(node, f"integer weights up to {m} need more than 8 bits")
        self.pending = dict(node=node, bias=bias, scale=float(np.float64(a_scale) * w_scale),
                            spec=LayerSpec(in_enc=enc, in_bits=bits, w_enc=w_enc, w_bits=w_bits,
                                           out_enc=Enc.SCORES, out_bits=0,
                                           out_c=int(weights.shape[0]),
                                           weights=weights.astype(np.int8), **layer))

    def _pool_params(self, node):
        a = _attrs(node)
        k = a.get("kernel_shape", [1, 1])
        if len(set(k)) != 1 or list(a.get("strides", k)) != list(k) or \
                any(a.get("pads", [0, 0, 0, 0])) or a.get("ceil_mode", 0) or \
                any(d != 1 for d in a.get("dilations", [1, 1])):
            raise _err(node, "max-pool needs a square kernel equal to its stride, no padding, "
                             "floor mode")
        return k[0]

    def _pool(self, node):
        spec = self.pending["spec"]
        if spec.kind != Kind.CONV or spec.pool != 1:
            raise _err(node, "max-pool follows a conv layer, once")
        spec.pool = self._pool_params(node)

    def _pool_after_quant(self, node, idx):
        last = self.layers[-1]
        if last.kind != Kind.CONV or last.pool != 1 or \
                not np.array_equal(idx, _canonical(last.out_h, last.out_w, last.out_c)):
            raise _err(node, "max-pool after a quantizer must directly follow a conv layer's")
        k = self._pool_params(node)
        # max over codes == codes of the max accumulator when codes rise with acc. Make them
        # rise by negating the weights of falling channels: acc' = -acc, and
        # #{j: -acc >= -T_j} = #{j: acc' >= T'_j} with T' = -T ("always"/"never" stay so).
        falling = last.directions < 0
        last.weights[falling] = -last.weights[falling]
        last.thresholds[falling] = -last.thresholds[falling]
        last.directions[falling] = 1
        last.pool = k
        return _canonical(last.out_h, last.out_w, last.out_c)

    def _bias(self):
        b = self.pending["bias"]
        return None if not b else self.g.consts[b].astype(np.float32).ravel()

    def _finish_layer(self, steps):
        p = self.pending
        spec = p["spec"]
        quant = steps[-1][0]
        enc, bits, scale, levels = _levels_of(self.g, quant)
        spec.out_enc, spec.out_bits = enc, bits
        bound = spec.acc_bound
        if bound > MAX_EVAL_ACC:
            raise _err(p["node"], f"accumulators up to {bound} are too many to evaluate "
                                  f"(at most {MAX_EVAL_ACC})")
        codes = _codes_by_acc(self.g, steps, p["node"].output[0] + "__acc", bound, p["scale"],
                              self._bias(), spec.out_c, spec.kind == Kind.CONV,
                              to_codes=lambda y: _to_codes(quant, y, levels))
        # A max-pool after float ops f (e.g. a batch-norm) takes max f(acc) = f(max acc) only
        # where f rises; where f falls, bittern pools -acc instead (the channel's weights negated)
        at = p.get("pool_at", 0)
        falling = np.zeros(spec.out_c, dtype=bool)
        if spec.pool > 1 and at > 0:
            f = _codes_by_acc(self.g, steps[:at], p["node"].output[0] + "__acc", bound,
                              p["scale"], self._bias(), spec.out_c, True)
            d = np.diff(f, axis=0)
            if not ((d >= 0).all(0) | (d <= 0).all(0)).all():
                raise _err(quant, "the float ops before the max-pool are not monotone")
            falling = (d <= 0).all(0) & (d < 0).any(0)
        thr, dirs, flip = _thresholds(quant, codes, bound, spec.n_thr, falling)
        spec.weights[flip] = -spec.weights[flip]
        spec.thresholds, spec.directions = thr.astype(np.int32), dirs.astype(np.int32)
        self.layers.append(spec)
        self.report.layers.append(f"{p['node'].name}: {spec.kind.name.lower()} "
                                  f"{spec.w_enc.name.lower()} weights -> {enc.name.lower()}")
        return enc, bits, scale

    def _finish_last(self, chain):
        p = self.pending
        spec = p["spec"]
        self.layers.append(spec)
        self.report.score_tensor = p["node"].output[0]
        self.report.score_scale = p["scale"]
        n = spec.out_c
        alpha = np.full(n, p["scale"], dtype=np.float64)
        beta = np.zeros(n, dtype=np.float64)
        if p["bias"]:
            beta = beta + self.g.consts[p["bias"]].astype(np.float64).ravel()
        if chain and chain[0][0].op_type == "Cast":
            return _integer_head_of(self, chain, p["scale"], p["bias"])
        for node, _ in chain:
            if node.op_type in ("Relu", "Cast"):
                raise _err(node, "a Relu or Cast on the float scores is not affine")
            alpha, beta = _affine(self.g, node, alpha, beta)
        if (alpha == alpha[0]).all() and alpha[0] > 0 and (beta == beta[0]).all():
            self.report.head = "none (a common positive scale keeps the argmax)"
            return None
        spec.validate(len(self.layers) - 1)
        head, proof = fold_head(alpha, beta, acc_bound=spec.acc_bound)
        self.report.head = proof.summary()
        return head


def _integer_head_of(importer, chain, scale, bias):
    """Cast(int) -> Mul/Add by integer constants on integer scores: the head, exactly."""
    from onnx import TensorProto
    cast = chain[0][0]
    if _attrs(cast).get("to") not in (TensorProto.INT64, TensorProto.INT32) or scale != 1.0 \
            or bias:
        raise _err(cast, "a Cast on the scores must be to int64 or int32, of unscaled integer "
                         "scores")
    n = importer.pending["spec"].out_c
    m, k = [1] * n, [0] * n
    for node, _ in chain[1:]:
        other = [i for i in node.input if i in importer.g.consts]
        if node.op_type not in ("Mul", "Add") or len(other) != 1:
            raise _err(node, "after a Cast to integers only Mul and Add by integer constants")
        c = importer.g.consts[other[0]]
        if c.dtype.kind not in "iu" or c.size not in (1, n):
            raise _err(node, "the constant must be integers, one or one per class")
        c = [int(v) for v in np.broadcast_to(c.ravel(), (n,))]
        if node.op_type == "Mul":
            m, k = [a * b for a, b in zip(m, c)], [a * b for a, b in zip(k, c)]
        else:
            k = [a + b for a, b in zip(k, c)]
    meta = {p.key: p.value for p in importer.g.model.metadata_props}
    from ..spec import Head
    head = Head(mult=np.array(m, dtype=np.int64), offset=np.array(k, dtype=np.int64),
                frac_bits=int(meta.get(HEAD_FRAC_BITS_KEY, 0)))
    importer.report.head = "integer head (int64 Mul/Add in the graph), taken exactly"
    return head


def import_qonnx(model, *, input_divisor=INPUT_DIVISOR):
    """A QONNX model (path, bytes or ``onnx.ModelProto``) -> (:class:`ModelSpec`, :class:`ImportReport`)."""
    import onnx
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.util.cleanup import cleanup_model
    if isinstance(model, (bytes, bytearray)):
        model = onnx.load_from_string(bytes(model))
    elif not isinstance(model, onnx.ModelProto):
        try:
            model = onnx.load(str(model))
        except Exception as e:  # noqa: BLE001 - onnx raises several types for a bad file
            raise OnnxImportError(f"{model}: not an ONNX model ({e})") from None
    cleaned = cleanup_model(ModelWrapper(model)).model
    return _Importer(cleaned).run(input_divisor)
