"""Ordinary mistakes get one line, ``bittern CMD: error: <what and where>``, and an exit status
(2: a user error), never a traceback, and before any long work starts."""

import pickle
import struct
from importlib.metadata import version

import pytest

from bittern.cli.main import main
from bittern.model import fileformat
from bittern.model.fold import export_spec
from bittern.model.layers import BitNet
from bittern.model.train import save_checkpoint
from bittern.model.zoo import network_config


class _RunsCode:
    """Pickles to a call of ``open(path, "w")``: what a hostile .pt could do on a pickle load."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Real files to be wrong with: an (untrained) checkpoint and its model file, a truncated
    copy, random bytes, a pickle that runs code, a model file from a future version, bad JSON."""
    d = tmp_path_factory.mktemp("bad")
    net = BitNet(network_config("mlp")).eval()
    save_checkpoint(d / "good.pt", net, meta={})
    fileformat.save(export_spec(net), d / "good.bittern")
    (d / "truncated.pt").write_bytes((d / "good.pt").read_bytes()[:3000])
    (d / "noise.pt").write_bytes(bytes(range(256)) * 8)
    (d / "evil.pt").write_bytes(pickle.dumps({"format": _RunsCode(str(d / "pwned"))}))
    data = bytearray((d / "good.bittern").read_bytes())
    struct.pack_into("<I", data, 4, 7)
    (d / "future.bittern").write_bytes(bytes(data))
    (d / "bad.json").write_text("{not json")
    (d / "list.json").write_text("[1, 2]")
    return d


# (argv with {d} for the files' folder, the expected text of the one error line, exit status)
CASES = [
    ("export {d}/good.bittern",
     "bittern export: error: {d}/good.bittern: a .bittern model file, not a training checkpoint", 2),
    ("export {d}/truncated.pt", "bittern export: error: {d}/truncated.pt: not a readable checkpoint", 2),
    ("export {d}/noise.pt", "bittern export: error: {d}/noise.pt: not a readable checkpoint", 2),
    ("export {d}/evil.pt", "bittern export: error: {d}/evil.pt: not a readable checkpoint", 2),
    ("export {d}/missing.pt", "bittern export: error: argument checkpoint: {d}/missing.pt: no such file", 2),
    ("export {d}/good.pt -o {d}/nowhere/m.bittern",
     "bittern export: error: argument -o/--out: {d}/nowhere/m.bittern: the folder {d}/nowhere does not exist", 2),
    ("train --batch 0", "bittern train: error: argument --batch: must be at least 1, not 0", 2),
    ("train --epochs 0", "bittern train: error: argument --epochs: must be at least 1, not 0", 2),
    ("train --augment -1", "bittern train: error: argument --augment: must be at least 0, not -1", 2),
    ("train --lr 0", "bittern train: error: argument --lr: must be greater than 0, not 0", 2),
    ("train --weight-lr -0.1",
     "bittern train: error: argument --weight-lr: must be greater than 0, not -0.1", 2),
    ("train -o /nonexistent/x.pt",
     "bittern train: error: argument -o/--out: /nonexistent/x.pt: the folder /nonexistent does not exist", 2),
    ("train -o {d}", "bittern train: error: argument -o/--out: {d} is a folder; give a file name", 2),
    ("train --config {d}/bad.json --epochs 1", "bittern train: error: {d}/bad.json: not a JSON file", 2),
    ("train --config {d}/list.json --epochs 1",
     "bittern train: error: {d}/list.json: a network configuration is a JSON object, not list", 2),
    ("train --family nonsense", "bittern train: error: argument --family: invalid choice: 'nonsense'", 2),
    ("build --board icebreaker --rows 0",
     "bittern build: error: argument --rows: must be at least 1, not 0", 2),
    ("build --board icebreaker --rows 3",
     "bittern build: error: argument --rows: rows must be a power of two in 1..32", 2),
    ("build --board icebreaker --w-depth 1",
     "bittern build: error: argument --w-depth: must be 2..32768, not 1", 2),
    ("build --board icebreaker --rows 32 --w-depth 30000",
     "bittern build: error: a 32x2 array with --w-depth 30000 --a-depth 64 --t-depth 16 --s-depth 16 "
     "(ram inferred): a buffer is larger than its window in the register map", 2),
    ("build --board icebreaker --model {d}/good.bittern --out {d}/b",
     "bittern build: error: {d}/good.bittern: layer 0 (dense 784->256): this accelerator build has "
     "no DENSE_PLANES_U8_BIN; build it with planes=True", 2),
    ("build --board icebreaker --out {d}/good.pt",
     "bittern build: error: argument --out: {d}/good.pt is a file, not a folder", 2),
    ("eval {d}/good.bittern --array foo",
     "bittern eval: error: argument --array: 'foo' is not ROWSxCOLSxLANES (e.g. 2x2x32)", 2),
    ("eval {d}/future.bittern --no-cycles",
     "bittern eval: error: {d}/future.bittern: model file version 7, this bittern reads versions 1, 2", 2),
    ("sim --model {d}/good.bittern --rows 3",
     "bittern sim: error: argument --rows: rows must be a power of two in 1..32", 2),
    ("sim --model {d}/good.bittern --images 5000",
     "bittern sim: error: --images 5000: mnist5k has 1000 held-out images", 2),
    ("demo --skip foo", "bittern demo: error: argument --skip: unknown 'foo'; choose from accel, mcu, bitstream", 2),
    ("demo --cpus cortex-m9", "bittern demo: error: argument --cpus: unknown 'cortex-m9'", 2),
    ("demo --array 2x2x16",
     "bittern demo: error: argument --array: lanes must be 32 (the accelerator's buffers hold 32-bit words)", 2),
    ("runtime run --cpu host --model {d}/good.bittern --images 100000",
     "bittern runtime run: error: --images 100000: mnist5k has 1000 held-out images", 2),
    ("runtime export-c --model {d}/good.bittern --name my-model --out {d}",
     "bittern runtime export-c: error: argument --name: 'my-model' is not a C identifier", 2),
    ("runtime export-c --model {d}/good.bittern --name int --out {d}",
     "bittern runtime export-c: error: argument --name: 'int' is a C keyword", 2),
    ("runtime mem --model {d}/truncated.pt",
     "bittern runtime mem: error: {d}/truncated.pt:", 2),
    ("nosuch", "bittern: error: argument COMMAND: invalid choice: 'nosuch'", 2),
]


@pytest.mark.parametrize("argv, message, status", CASES, ids=[c[0].split(" {")[0] + f"-{i}"
                                                              for i, c in enumerate(CASES)])
def test_cli_error_is_one_line(files, capsys, argv, message, status):
    args = [a.format(d=files) for a in argv.split()]
    assert main(args) == status
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(message.format(d=files)), err
    assert "Traceback" not in out + err
    assert not (files / "pwned").exists(), "loading a checkpoint ran pickled code"
    assert not (files / "b").exists(), "build started before refusing the model"


def test_cli_debug_shows_the_traceback(files):
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        main(["--debug", "export", str(files / "noise.pt")])
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        main(["export", str(files / "noise.pt"), "--debug"])


def test_cli_internal_error_is_one_line_with_a_hint(monkeypatch, capsys):
    # a bug, injected: the model loader divides by zero
    monkeypatch.setattr("bittern.model.fileformat.load", lambda path: 1 / 0)
    assert main(["runtime", "mem", "--model", __file__]) == 3
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(
        "bittern runtime mem: error: internal error: ZeroDivisionError: division by zero"), err
    assert "--debug" in err[0]


def test_cli_version_is_the_installed_one(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"bittern {version('bittern')}"
