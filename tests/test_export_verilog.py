"""``bittern export-verilog``: plain Verilog that Verilator lints clean with only the explained
waivers it ships, a register header that compiles on its own, and a FuseSoC core."""

import re
import subprocess

import pytest

from bittern.cli.main import main
from bittern.rtl import regmap
from bittern.rtl.export import VERILATOR_WAIVERS
from bittern.sim.runner import verilator_bin


def _lint(*files):
    r = subprocess.run([str(verilator_bin() / "verilator"), "--lint-only", "-Wall",
                        "-Wno-fatal", *map(str, files)], capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


@pytest.mark.parametrize("top", ["wishbone", "spi"])
def test_exported_verilog_lints_clean_with_only_its_waivers(tmp_path, capsys, top):
    out = tmp_path / top
    assert main(["export-verilog", "--top", top, "-o", str(out)]) == 0
    assert "bittern_accel.v" in capsys.readouterr().out
    v, vlt = out / "bittern_accel.v", out / "bittern_accel.vlt"
    rc, log = _lint(vlt, v)
    assert rc == 0 and "%Warning" not in log and "%Error" not in log, log
    # Every waiver is needed, and nothing else is waived: without them, the warnings are
    # exactly of the waived kinds (a new kind, or a stale waiver, fails here).
    rc, log = _lint(v)
    fired = set(re.findall(r"%Warning-([A-Z]+)", log))
    if top == "spi":   # the SPI bridge's narrower design does not need every waiver
        assert fired <= set(VERILATOR_WAIVERS), log
    else:
        assert fired == set(VERILATOR_WAIVERS), fired
    for rule in VERILATOR_WAIVERS:
        assert f"lint_off -rule {rule} " in vlt.read_text()
    core = (out / "bittern_accel.core").read_text()
    assert core.startswith("CAPI=2:") and "toplevel: bittern_accel" in core
    readme = (out / "README.md").read_text()
    top_module = re.search(r"^module bittern_accel\(.*?^endmodule", v.read_text(), re.M | re.S)
    port_names = re.findall(r"^\s*(?:input|output)\s+(?:\[\d+:0\]\s+)?(\w+);",
                            top_module.group(0), re.M)
    assert port_names and all(f"`{p}`" in readme for p in port_names), port_names


def test_register_header_compiles_alone(tmp_path):
    (tmp_path / "use.c").write_text('#include "bittern_regs.h"\n'
                                    'uint32_t f(void) { return BT_ACC_DESC(1, 0); }\n')
    (tmp_path / "bittern_regs.h").write_text(regmap.generate_c_header())
    for cc in ("gcc", "arm-none-eabi-gcc"):
        r = subprocess.run([cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-c",
                            "use.c", "-o", f"use-{cc}.o"], cwd=tmp_path, capture_output=True,
                           text=True)
        assert r.returncode == 0, r.stderr


def test_export_verilog_refuses_bad_geometry(tmp_path, capsys):
    assert main(["export-verilog", "--rows", "3", "-o", str(tmp_path / "v")]) == 2
    assert "rows must be a power of two" in capsys.readouterr().err
    assert main(["export-verilog", "--name", "1top", "-o", str(tmp_path / "v")]) == 2
    assert "not a C identifier" in capsys.readouterr().err
    assert not (tmp_path / "v").exists()
