"""`bittern export-onnx`: bittern models as QONNX graphs that qonnx's executor runs with the
same labels, scores and logits; exported and imported again, the model is unchanged."""

from pathlib import Path

import numpy as np
import pytest
import torch

from bittern.cli.main import main
from bittern.model import fileformat, golden
from bittern.model.head import fold_head
from bittern.model.interop.onnx_export import OnnxExportError, export_qonnx
from bittern.model.interop.onnx_import import import_qonnx
from bittern.model.interop.qonnx_run import run_qonnx
from bittern.model.randspec import random_layer
from bittern.model.spec import U8, Enc, Kind, ModelSpec, WEnc

DATA = Path(__file__).parent / "data" / "qonnx"


def _every_kind(rng, head=True):
    """conv (pool, pad, stride) -> conv ternary -> dense uint3 x int4 -> sparse -> scores+head."""
    l0 = random_layer(rng, kind=Kind.CONV, in_h=12, in_w=12, in_c=1, out_c=6, kernel=3, pad=1,
                      pool=2, out_enc=Enc.TERNARY, out_bits=2)
    l1 = random_layer(rng, kind=Kind.CONV, in_enc=Enc.TERNARY, in_bits=2, w_enc=WEnc.TERNARY,
                      in_h=6, in_w=6, in_c=6, out_c=8, kernel=3, stride=2,
                      out_enc=Enc.UINT, out_bits=3)
    l2 = random_layer(rng, in_enc=Enc.UINT, in_bits=3, w_enc=WEnc.INT, w_bits=4, in_c=32, out_c=64)
    l3 = random_layer(rng, in_c=64, out_c=32, w_enc=WEnc.SPARSE, packs=1)
    l4 = random_layer(rng, in_c=32, out_c=10, out_enc=Enc.SCORES, out_bits=0)
    spec = ModelSpec(layers=[l0, l1, l2, l3, l4], in_h=12, in_w=12, in_c=1, input_threshold=90)
    if head:
        a = rng.normal(1.0, 0.4, 10).astype(np.float32)
        b = rng.normal(0.0, 1.0, 10).astype(np.float32)
        spec.head, _ = fold_head(a, b, acc_bound=l4.acc_bound)
    return spec.validate()


def _qonnx_out(path, x):
    r = run_qonnx(path, x)
    return next(iter(r.values())).reshape(len(x), -1)


@pytest.mark.parametrize("head", [True, False])
def test_export_every_layer_kind_exact_under_qonnx(rng, tmp_path, head):
    spec = _every_kind(rng, head)
    x = rng.integers(0, 256, size=(100, 12, 12, 1)).astype(np.uint8)
    g = golden.run(spec, x)                                  # the packed path
    path = tmp_path / "m.onnx"
    export_qonnx(spec, path)
    out = _qonnx_out(path, x)
    want = (g.logits if head else g.scores).numpy()
    np.testing.assert_array_equal(out, want)                 # int64 logits or float scores
    np.testing.assert_array_equal(np.argmax(out, axis=1), g.labels.numpy())
    assert len(set(g.labels.tolist())) > 1
    back, _ = import_qonnx(path)                             # and back: the same integers
    gb = golden.run(back, x, method="values")
    assert torch.equal(gb.scores, g.scores) and torch.equal(gb.labels, g.labels)


@pytest.mark.parametrize("name", ["mlp-bn", "tfc-w1a1", "cnn", "u8-mlp"])
def test_export_round_trip_of_imported_brevitas_models(name, mnist, tmp_path):
    spec, _ = import_qonnx(DATA / f"{name}.onnx")
    path = tmp_path / "rt.onnx"
    export_qonnx(spec, path)
    x = mnist.test_x[:300]
    g = golden.run(spec, x, method="values")
    out = _qonnx_out(path, x)
    np.testing.assert_array_equal(out, (g.logits if spec.head else g.scores).numpy())
    back, _ = import_qonnx(path)
    assert fileformat.to_bytes(back) == fileformat.to_bytes(spec)


def test_export_refuses_what_it_cannot_express(rng):
    l0 = random_layer(rng, in_enc=U8, in_bits=8, in_c=15, out_c=4, out_enc=Enc.SCORES, out_bits=0)
    spec = ModelSpec(layers=[l0], in_h=4, in_w=4, in_c=1, crop_lo=1).validate()
    with pytest.raises(OnnxExportError, match="input crop"):
        export_qonnx(spec, "never-written.onnx")
    assert not Path("never-written.onnx").exists()


def test_cli_export_onnx(rng, tmp_path, capsys):
    model = tmp_path / "m.bittern"
    fileformat.save(_every_kind(rng), model)
    out = tmp_path / "m.onnx"
    assert main(["export-onnx", str(model), "-o", str(out)]) == 0
    assert out.exists() and "exported" in capsys.readouterr().out
    assert main(["export-onnx", str(model), "-o", str(out)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err
    assert main(["export-onnx", str(model), "-o", str(out), "--force"]) == 0
