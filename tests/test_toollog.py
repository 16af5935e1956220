"""bittern.sim.toollog: a tool's output goes to its log, not the terminal; a failure names the
log and shows its last lines; verbose streams; a stage prints its steps with elapsed times."""

import io
import sys
import time

import pytest

from bittern.sim import toollog

NOISY = [sys.executable, "-c", "import sys\nfor i in range(50): print('compiling', i)\n"
         "print('fatal: no such thing', file=sys.stderr); sys.exit(3)"]


def test_tool_output_goes_to_its_log(tmp_path, capfd):
    log = tmp_path / "logs" / "tool.log"
    with pytest.raises(toollog.ToolError) as e:
        toollog.run(NOISY, log=log, what="the tool")
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    text = log.read_text()
    assert "compiling 49" in text and "fatal: no such thing" in text
    msg = str(e.value).splitlines()
    assert msg[0] == f"the tool failed with exit status 3 (log: {log})"
    assert msg[-1] == "fatal: no such thing" and len(msg) == 1 + toollog.TAIL_LINES
    assert toollog.run(NOISY, log=log, check=False) == 3


def test_verbose_streams_and_still_logs(tmp_path, capfd):
    toollog.set_verbose(True)
    try:
        toollog.run(NOISY, log=tmp_path / "v.log", check=False)
    finally:
        toollog.set_verbose(False)
    assert "compiling 49" in capfd.readouterr().out
    assert "compiling 49" in (tmp_path / "v.log").read_text()


def test_stage_prints_steps_and_elapsed_time(tmp_path):
    out = io.StringIO()
    marker = tmp_path / "top.json"
    with toollog.stage("synthesis", out=out, heartbeat_s=1,
                       watch=[(marker, "place and route")]):
        time.sleep(1.5)
        marker.write_text("{}")
        time.sleep(1.5)
    lines = out.getvalue().splitlines()
    assert lines[0] == "synthesis ... 0 s"
    assert any(l.startswith("synthesis: done at ") for l in lines)
    assert lines[-1].startswith("place and route: done in ")
    out = io.StringIO()
    with pytest.raises(RuntimeError):
        with toollog.stage("routing", out=out):
            raise RuntimeError("nextpnr failed")
    assert out.getvalue().splitlines()[-1].startswith("routing: failed after ")
