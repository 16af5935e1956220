"""A real package: the wheel built from this tree, installed (not editable) into a fresh venv,
runs train -> export -> the C runtime on the host, and writes the accelerator's Verilog, from a
folder outside the checkout, writing nothing into the installed package. The Cortex-M builds use
the same installed runtime sources (checked to be all in the wheel) and are run under QEMU by the
runtime tests from the checkout; running one here too cost ~11 CPU-s for nothing more.

The fresh venv reuses the project venv's already-installed dependencies (torch, Amaranth, ...)
through a .pth line, so the install takes seconds; the project venv's editable bittern is not
seen (a .pth path's own .pth files are not processed), only the wheel's.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIP = shutil.ignore_patterns(".git", ".venv", "build", "out", "dist", "*.egg-info", "__pycache__",
                              ".pytest_cache")
# What an installed bittern needs besides Python: one file of each kind of package data.
DATA = ["bittern/constraints/icebreaker.toml", "bittern/runtime_src/Makefile",
        "bittern/runtime_src/include/bittern.h", "bittern/runtime_src/src/bt_run.c",
        "bittern/runtime_src/port/mps2.ld", "bittern/runtime_src/tests/host_runner.c",
        "bittern/sim/models/DP16KD.v", "bittern/sim/tb_array.py",
        "bittern/rtl/estimate_calibration.json"]
# Every source a runtime build reads (host and every Cortex-M port): one missing from the wheel
# breaks `bittern runtime run` from an installed package.
RUNTIME_SOURCES = sorted(f"bittern/runtime_src/{d}/{p.name}" for d in ("include", "src", "port")
                         for p in (ROOT / "runtime" / d).iterdir()
                         if p.is_file() and p.suffix not in (".o", ".d", ".a") and p.name[0] != ".")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pkg")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=SKIP)      # build from a copy: the checkout stays clean
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(tmp / "dist"), str(src)], check=True)
    wheel, = (tmp / "dist").glob("bittern-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(subprocess.run([venv / "bin/python", "-c", "import sysconfig; "
                                "print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "project-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin/python"), "install",
                    "-q", "--no-deps", "--no-index", str(wheel)], check=True)
    return wheel, venv, site


def test_wheel_holds_the_package_data(installed):
    wheel, _, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    assert [d for d in DATA if d not in names] == []
    assert len(RUNTIME_SOURCES) > 20 and [d for d in RUNTIME_SOURCES if d not in names] == []


def test_installed_wheel_trains_exports_and_runs_outside_the_checkout(installed, tmp_path):
    _, venv, site = installed
    env = {k: v for k, v in os.environ.items()
           if k not in ("BITTERN_RUNTIME_BUILD", "BITTERN_SIM_BUILD", "PYTHONPATH")}
    work = tmp_path / "work"
    work.mkdir()
    before = {p for p in (site / "bittern").rglob("*") if "__pycache__" not in p.parts}

    def bittern(*args):
        r = subprocess.run([str(venv / "bin/bittern"), *args], cwd=work, env=env,
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, f"bittern {' '.join(args)}:\n{r.stdout}{r.stderr}"
        return r.stdout

    where = subprocess.run([venv / "bin/python", "-c", "import bittern.cli.main as m; print(m.__file__)"],
                           cwd=work, env=env, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(site)), where
    bittern("train", "--data", "digits", "--epochs", "1", "--quiet", "-o", "m.pt")
    bittern("export", "m.pt", "-o", "m.bittern")
    out = bittern("runtime", "run", "--cpu", "host", "--model", "m.bittern", "--data", "digits",
                  "--images", "4")
    assert "bit-exact with golden: yes" in out
    assert (work / "build" / "runtime" / "host" / "libbittern.a").exists()
    bittern("export-verilog", "-o", "verilog")
    # The estimate reads its calibration from the installed package data.
    assert "EBR          14 / 30 (exact)" in bittern("build", "--board", "icebreaker", "--estimate")
    assert (work / "verilog" / "bittern_accel.v").stat().st_size > 10000
    after = {p for p in (site / "bittern").rglob("*") if "__pycache__" not in p.parts}
    assert sorted(map(str, after - before)) == [], "bittern wrote into the installed package"
