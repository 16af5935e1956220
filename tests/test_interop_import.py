"""`bittern import` of Brevitas export_qonnx graphs: label- and score-exact against qonnx's own
executor on the 1,000 held-out MNIST images, then bit-exact on the C runtime (host and the
emulated Cortex-M0 and M4) and on the simulated accelerator (the binary MLP); graphs it cannot
express get an error naming the node.

The four graphs in tests/data/qonnx are written by scripts/make_qonnx_models.py (Brevitas
networks of bittern.model.interop.brevitas_nets, trained briefly: exactness needs no accuracy).
"""

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import helper

import bittern
from bittern.cli.main import main
from bittern.model import fileformat, golden
from bittern.model.interop.onnx_import import OnnxImportError, import_qonnx
from bittern.model.interop.qonnx_run import run_qonnx
from bittern.model.spec import U8, Enc, Kind, WEnc
from bittern.sim.layer_sim import simulate_model
from bittern.runtime.host import run_host
from bittern.runtime.mcu import run_on_core

DATA = Path(__file__).parent / "data" / "qonnx"
NETS = ["mlp-bn", "tfc-w1a1", "ternary-a2", "cnn", "u8-mlp"]


@pytest.fixture(scope="module")
def imported():
    return {name: import_qonnx(DATA / f"{name}.onnx") for name in NETS}


@pytest.fixture(scope="module")
def rt_dir(runtime_build_dir):
    return runtime_build_dir


def test_import_shapes_encodings_and_head(imported):
    spec, rep = imported["mlp-bn"]
    assert [(l.kind, l.w_enc, l.out_enc) for l in spec.layers] == \
        [(Kind.DENSE, WEnc.BINARY, Enc.BINARY), (Kind.DENSE, WEnc.BINARY, Enc.SCORES)]
    assert spec.input_threshold == 128          # 2 * (p / 255) - 1 >= 0  <=>  p >= 128
    assert spec.head is not None and "exact" in rep.head
    spec, rep = imported["tfc-w1a1"]
    assert [l.out_c for l in spec.layers] == [64, 64, 64, 10]
    assert spec.head is None                    # TensorNorm: one positive scale for all classes
    spec, _ = imported["ternary-a2"]
    assert (spec.layers[0].w_enc, spec.layers[0].out_enc, spec.layers[0].out_bits) == \
        (WEnc.TERNARY, Enc.UINT, 2)
    assert spec.layers[1].in_enc == Enc.UINT and spec.layers[1].w_enc == WEnc.TERNARY
    assert set(np.unique(spec.layers[0].weights)) == {-1, 0, 1}
    spec, _ = imported["cnn"]
    assert [(l.kind, l.pool, l.out_h) for l in spec.layers] == \
        [(Kind.CONV, 2, 14), (Kind.CONV, 2, 7), (Kind.DENSE, 1, 1)]
    spec, _ = imported["u8-mlp"]                # 8-bit pixels straight into ternary weights
    assert spec.input_threshold == 0
    assert (spec.layers[0].in_enc, spec.layers[0].in_bits, spec.layers[0].w_enc) == \
        (U8, 8, WEnc.TERNARY)
    assert spec.layers[0].acc_bound == 784 * 255


@pytest.mark.parametrize("name", NETS)
def test_import_label_and_score_exact_against_qonnx(name, imported, mnist, rt_dir):
    spec, rep = imported[name]
    x = mnist.test_x
    # the golden model's value path (plain integer dot products; tests/test_model_golden.py
    # checks it against the packed path): 20x faster on the CNN
    g = golden.run(spec, x, method="values")
    ref = run_qonnx(DATA / f"{name}.onnx", x, tensors=[rep.score_tensor])
    out = next(v for k, v in ref.items() if k != rep.score_tensor).reshape(len(x), -1)
    scores = ref[rep.score_tensor].reshape(len(x), -1)
    # every integer score is the float graph's accumulator, exactly
    np.testing.assert_array_equal(scores, (g.scores.numpy() * rep.score_scale).astype(np.float32))
    # and every label is the float graph's argmax
    np.testing.assert_array_equal(np.argmax(out, axis=1), g.labels.numpy())
    if spec.head is not None:       # the logits stand for the float outputs
        approx = g.logits.double().numpy() / 2.0 ** spec.head.frac_bits
        np.testing.assert_allclose(approx, out, rtol=1e-5, atol=1e-4)
    acc = float((g.labels.numpy() == mnist.test_y).mean())
    print(f"{name}: {len(x)} held-out images, labels and scores exact; accuracy {acc:.3f}; "
          f"{rep.head}")
    # the C runtime on the host (ASan + UBSan): bit-exact
    n = 100 if name == "cnn" else 300
    h = run_host(spec, x[:n], build_dir=rt_dir)
    np.testing.assert_array_equal(h.scores, g.scores.numpy()[:n])
    np.testing.assert_array_equal(h.labels, g.labels.numpy()[:n])


@pytest.mark.parametrize("cpu,name", [("cortex-m0", "mlp-bn"), ("cortex-m4", "u8-mlp")])
def test_import_on_emulated_cortex_m(cpu, name, imported, mnist, rt_dir):
    """Models with a head (int64 logits) on the M0 (no 64-bit multiply) and, with 8-bit pixels
    into ternary weights, on the M4."""
    spec, _ = imported[name]
    x = mnist.test_x[:40]
    g = golden.run(spec, x)
    res, _ = run_on_core(cpu, spec, x, build_dir=rt_dir)
    assert res.labels == g.labels.tolist()
    assert res.scores == g.scores.tolist()


def test_import_on_the_simulated_accelerator(imported, mnist):
    """The binary MLP with its per-class head on the whole accelerator RTL (bus-transaction
    replay, Verilator): scores and head labels bit-exact. It runs on the 2x2 accelerator with
    default depths that tests/test_sim_replay.py builds, so Verilator builds it once (FINN's
    TFC would need deeper threshold banks: a second build, left to `bittern regress`)."""
    spec, _ = imported["mlp-bn"]
    x = mnist.test_x[:8]        # on image 2 the head's label is not the scores' argmax
    g = golden.run(spec, x)
    labels, scores = bittern.Model(spec).predict(x, target="replay")
    np.testing.assert_array_equal(scores, g.scores.numpy())
    np.testing.assert_array_equal(labels, g.labels.numpy())
    assert labels[2] != np.argmax(scores[2])
    # the bare-array path (`bittern sim`, target="array") labels through the head as well
    # (layers=[]: every layer on the golden model, no simulator; the labels are the point)
    run = simulate_model(spec, x.reshape(len(x), -1), rows=2, cols=2, lanes=32, layers=[])
    np.testing.assert_array_equal(run.labels.numpy(), g.labels.numpy())
    # the Brevitas CNN (binarized pixels, binary convs) on the conv build replay makes for it
    cnn, _ = imported["cnn"]
    labels, scores = bittern.Model(cnn).predict(x[:2], target="replay")
    np.testing.assert_array_equal(scores, golden.run(cnn, x[:2]).scores.numpy())


def _graph(name):
    return onnx.load(str(DATA / f"{name}.onnx"))


def _replace_op(model, old, new, **attrs):
    for n in model.graph.node:
        if n.op_type == old:
            n.op_type = new
            del n.attribute[:]
            n.attribute.extend(helper.make_attribute(k, v) for k, v in attrs.items())
            return n.name
    raise AssertionError(f"no {old} node")


def _with_attr(model, op, **attrs):
    """``model`` with attributes added to its first ``op`` node."""
    node = next(n for n in model.graph.node if n.op_type == op)
    node.attribute.extend(helper.make_attribute(k, v) for k, v in attrs.items())
    return model


def test_import_unsupported_nodes_are_named():
    m = _graph("mlp-bn")
    _replace_op(m, "BatchNormalization", "LRN", size=3)
    with pytest.raises(OnnxImportError, match=r"node \S+ \(LRN\): not supported between a layer"):
        import_qonnx(m)
    with pytest.raises(OnnxImportError, match=r"\(MaxPool\): max-pool needs .* floor mode"):
        import_qonnx(_with_attr(_graph("cnn"), "MaxPool", ceil_mode=1))
    m = _with_attr(_graph("cnn"), "Conv", group=2)
    with pytest.raises(OnnxImportError, match=r"\(Conv\): .*group 1"):
        import_qonnx(m)


def _input_quant(model):
    """The first Quant node on data (not on a weight initializer)."""
    consts = {t.name for t in model.graph.initializer}
    return next(n for n in model.graph.node if n.op_type == "Quant" and n.input[0] not in consts)


def _set_input(model, node, i, value):
    """Point input ``i`` of ``node`` at a new initializer holding ``value``."""
    name, old = f"{node.name}_test_in{i}", node.input[i]
    model.graph.initializer.append(onnx.numpy_helper.from_array(np.asarray(value, np.float32),
                                                                name))
    node.input[i] = name
    if all(old not in n.input for n in model.graph.node):    # Brevitas lists it as an input
        keep = [v for v in model.graph.input if v.name != old]
        del model.graph.input[:]
        model.graph.input.extend(keep)
    return model


def test_import_u8_input_quantizers_it_cannot_express_are_named():
    m = _graph("u8-mlp")                        # x * 254 instead of x * 255: codes != pixels
    mul = next(n for n in m.graph.node if n.op_type == "Mul")
    consts = {t.name for t in m.graph.initializer}
    _set_input(m, mul, next(i for i, v in enumerate(mul.input) if v in consts), 254.0)
    with pytest.raises(OnnxImportError, match=r"\(Quant\): 8-bit input codes must be the "
                                              r"pixels .* but pixel \d+ gives code \d+"):
        import_qonnx(m)
    m = _graph("u8-mlp")
    _set_input(m, _input_quant(m), 2, 3.0)      # zero point 3
    with pytest.raises(OnnxImportError, match=r"\(Quant\): activations with a non-zero zero "
                                              r"point are not imported"):
        import_qonnx(m)
    m = _graph("u8-mlp")
    _set_input(m, _input_quant(m), 1, np.full((1, 784), 1.0))   # one scale per input feature
    with pytest.raises(OnnxImportError, match=r"\(Quant\): per-channel activation scales "
                                              r"\(784 values\) cannot be expressed"):
        import_qonnx(m)
    m = _graph("u8-mlp")
    _set_input(m, _input_quant(m), 3, 4.0)      # 4-bit pixels: neither binary nor u8
    with pytest.raises(OnnxImportError, match=r"\(Quant\): the input quantizer must binarize "
                                              r"the pixels .* not uint 4-bit"):
        import_qonnx(m)


def test_cli_import_writes_and_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "m.bittern"
    assert main(["import", str(DATA / "mlp-bn.onnx"), "-o", str(out)]) == 0
    assert fileformat.load(out).head is not None
    assert "head exact" in capsys.readouterr().out
    assert main(["import", str(DATA / "mlp-bn.onnx"), "-o", str(out)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not onnx")
    assert main(["import", str(bad), "-o", str(tmp_path / "x.bittern")]) == 2
    assert "not an ONNX model" in capsys.readouterr().err


def test_brevitas_builds_are_seeded():
    """make_qonnx_models.py must be able to regenerate the bundled graphs: the same seed gives
    the same initial weights (before, build() drew them from torch's global generator)."""
    import torch
    from bittern.model.interop import brevitas_nets
    a, b = (brevitas_nets.build("mlp-bn", seed=7).state_dict() for _ in range(2))
    c = brevitas_nets.build("mlp-bn", seed=8).state_dict()
    weights = [k for k, v in a.items() if v.dtype.is_floating_point and v.numel() > 1]
    assert weights and all(torch.equal(a[k], b[k]) for k in weights)
    assert not all(torch.equal(a[k], c[k]) for k in weights)
