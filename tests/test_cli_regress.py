import json
import shlex

import pytest

from bittern.cli.main import build_parser, main
from bittern.cli.regress import build_matrix, parse_shapes
from bittern.sim.regress_matrix import TIMING_KEYS, replay_command


def _results(path):
    rows = json.loads((path / "results.json").read_text())
    return [{k: v for k, v in r.items() if k not in TIMING_KEYS} for r in rows]


def test_cli_regress_on_the_accelerator_through_dask_equals_inline(tmp_path, capsys):
    """The accelerator matrix through a Dask LocalCluster on 127.0.0.1 and in this process:
    identical results (timings aside); a family the accelerator cannot run is reported with the
    loader's reason, not skipped."""
    args = ["regress", "--shapes", "2x2", "--families", "binary,cnn", "--simulators", "icarus",
            "--images", "3"]
    assert main([*args, "--workers", "2", "--out", str(tmp_path / "dask")]) == 0
    out = capsys.readouterr().out
    assert "local Dask cluster on 127.0.0.1 (2 workers)" in out
    assert main([*args, "--workers", "0", "--out", str(tmp_path / "inline")]) == 0
    dask, inline = _results(tmp_path / "dask"), _results(tmp_path / "inline")
    assert dask == inline
    by_family = {r["family"]: r for r in dask}
    assert by_family["binary"]["status"] == "pass"
    assert by_family["binary"]["cycles"] > by_family["binary"]["ideal_cycles"] > 0
    assert by_family["cnn"]["status"] == "unsupported"      # the binary build has no conv ops
    assert ("this accelerator build has no CONV_PLANES_U8_BIN; build it with conv=True, "
            "planes=True") in by_family["cnn"]["message"]
    text = (tmp_path / "dask" / "summary.md").read_text()
    assert "| accelerator | binary | 2x2 | icarus | 0 | pass |" in text
    assert "1 passed, 0 failed, 1 unsupported" in text


def test_cli_regress_bare_array_is_labelled(tmp_path):
    rc = main(["regress", "--target", "array", "--shapes", "1x2x8", "--families", "binary",
               "--simulators", "icarus", "--workers", "0", "--images", "1", "--out", str(tmp_path)])
    assert rc == 0
    assert "| array | binary | 1x2x8 | icarus | 0 | pass |" in (tmp_path / "summary.md").read_text()


def test_cli_regress_replay_command_selects_exactly_that_case():
    args = build_parser().parse_args(["regress", "--seed", "3", "--seeds", "2", "--shapes", "2x2,4x4"])
    cases = build_matrix(args)
    assert len(cases) == 2 * 6 * 2 * 2
    case = next(c for c in cases if c["id"] == "accelerator-binary-4x4-icarus-s4")
    cmd = replay_command(case)
    assert "--waves" in cmd and "--workers 0" in cmd
    again = build_matrix(build_parser().parse_args(shlex.split(cmd)[1:]))
    assert again == [case]


def test_cli_regress_rejects_bad_matrix_arguments(capsys):
    with pytest.raises(ValueError, match="'4x4' is not ROWSxCOLSxLANES"):
        parse_shapes("4x4")
    with pytest.raises(ValueError, match="'4' is not ROWSxCOLS"):
        parse_shapes("4", "accelerator")
    assert main(["regress", "--families", "resnet", "--out", "/tmp/x"]) == 2
    assert "unknown family 'resnet'" in capsys.readouterr().err
    assert main(["regress", "--simulators", "xsim", "--out", "/tmp/x"]) == 2
    assert "'xsim' does not run the accelerator" in capsys.readouterr().err
    assert main(["regress", "--shapes", "2x2x16", "--out", "/tmp/x"]) == 2
    assert "the accelerator has 32 lanes, not 16" in capsys.readouterr().err
