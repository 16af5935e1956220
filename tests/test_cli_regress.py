import pytest

from bittern.cli.main import main
from bittern.cli.regress import parse_shapes


def test_cli_regress_runs_a_matrix_and_writes_the_summary(tmp_path, capsys):
    rc = main(["regress", "--shapes", "1x2x8", "--families", "binary,sparse", "--simulators",
               "icarus", "-n", "1", "--images", "1", "--out", str(tmp_path)])
    assert rc == 0
    text = (tmp_path / "summary.md").read_text()
    assert "| binary | 1x2x8 | icarus | pass |" in text
    assert "| sparse | 1x2x8 | icarus | pass |" in text
    assert "2 passed, 0 failed" in text


def test_cli_regress_rejects_bad_matrix_arguments(capsys):
    with pytest.raises(ValueError, match="'4x4' is not ROWSxCOLSxLANES"):
        parse_shapes("4x4")
    assert main(["regress", "--families", "resnet", "--out", "/tmp/x"]) == 2
    assert "unknown family 'resnet'" in capsys.readouterr().err
