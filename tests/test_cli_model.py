"""The user interface: bittern train / export / eval end to end, and its error messages."""

import struct

from bittern.cli.main import main


def test_cli_train_export_eval_on_digits(tmp_path, capsys):
    ckpt, model = tmp_path / "d.pt", tmp_path / "d.bittern"
    assert main(["train", "--data", "digits", "--epochs", "3", "--quiet", "-o", str(ckpt)]) == 0
    assert main(["export", str(ckpt), "-o", str(model)]) == 0
    assert main(["eval", str(ckpt), "--array", "2x2x16"]) == 0
    out = capsys.readouterr().out
    assert "array cycles/image" in out
    assert "class scores float vs int : identical" in out
    assert "x smaller" in out
    assert main(["eval", str(model), "--data", "digits", "--no-cycles"]) == 0


def test_cli_eval_reports_model_from_another_version(tmp_path, capsys, trained_mlp_file):
    data = bytearray(trained_mlp_file.read_bytes())
    struct.pack_into("<I", data, 4, 7)
    bad = tmp_path / "future.bittern"
    bad.write_bytes(bytes(data))
    assert main(["eval", str(bad), "--no-cycles"]) == 2
    err = capsys.readouterr().err
    assert "model file version 7, this bittern reads versions 1, 2" in err


def test_cli_export_refuses_unsupported_layer(tmp_path, capsys):
    ckpt = tmp_path / "f.pt"
    assert main(["train", "--data", "digits", "--family", "float", "--epochs", "1", "--quiet",
                 "-o", str(ckpt)]) == 0
    assert main(["export", str(ckpt), "-o", str(tmp_path / "f.bittern")]) == 2
    assert "no integer form" in capsys.readouterr().err


def test_cli_train_rejects_bad_arguments(capsys):
    assert main(["train", "--epochs", "0"]) == 2
    assert "argument --epochs: must be at least 1" in capsys.readouterr().err
    assert main(["train", "--family", "nonsense"]) == 2


def test_cli_build_refuses_a_model_the_accelerator_cannot_hold(tmp_path, capsys, trained_mlp_file):
    """``bittern build --model`` sizes the buffers for the model, and says which layer the
    hardware cannot run before spending minutes in Yosys (this MLP takes u8 pixels: only a
    planes build runs them)."""
    assert main(["build", "--board", "icebreaker", "--model", str(trained_mlp_file),
                 "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "bittern build: error:" in err and \
        "layer 0 (dense 784->256): this accelerator build has no DENSE_PLANES_U8_BIN" in err
    assert not (tmp_path / "b").exists()
    assert main(["build", "--board", "icebreaker", "--model", str(tmp_path / "none.bittern")]) == 2
    assert "none.bittern" in capsys.readouterr().err


def test_cli_build_model_u8_conv_needs_conv_and_planes(tmp_path, capsys):
    """A cnn on u8 pixels: ``bittern build --model --conv`` names the layer and the options
    its first conv needs (CONV_PLANES_U8_BIN) before any synthesis; with ``--planes`` too the
    buffers are sized for it (8 plane words a pixel)."""
    import argparse

    import numpy as np

    from bittern.cli.build import sized_depths
    from bittern.model import fileformat, randspec
    spec = randspec.random_family_model(np.random.default_rng(26), "cnn")
    print("seed", 26)
    path = tmp_path / "cnn.bittern"
    path.write_bytes(fileformat.to_bytes(spec))
    assert main(["build", "--board", "icebreaker", "--model", str(path), "--conv",
                 "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert ("layer 0 (conv 64->6): this accelerator build has no CONV_PLANES_U8_BIN; build it "
            "with conv=True, planes=True (bittern build --conv --planes)\n") in err, err
    assert not (tmp_path / "b").exists()
    args = argparse.Namespace(model=str(path), rows=2, cols=2, lanes=32, conv=True, planes=True,
                              w_depth=256, a_depth=64, t_depth=16, s_depth=16)
    depths = sized_depths(args)
    assert depths["a_depth"] == 2 * 8 * 8 * 8       # 8x8 pixels x 8 planes, ping-pong halves
