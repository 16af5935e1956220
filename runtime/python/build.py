"""Build the C runtime for the host or a Cortex-M core, and firmware images for QEMU.

Everything goes through ``runtime/Makefile`` so the Python flow and a user's ``make`` agree.
Builds are cached per build directory; a model/images pair becomes a generated C file.
"""

import os
import shutil
from pathlib import Path

from bittern.sim import toollog

__all__ = ["RUNTIME_DIR", "CPUS", "BuildError", "build_host", "build_fuzz", "build_firmware",
           "default_build_dir"]

# The C sources: runtime/ in a checkout; bittern/runtime_src/ (package data) in an installed wheel.
_HERE = Path(__file__).resolve().parent
RUNTIME_DIR = _HERE.parent if (_HERE.parent / "Makefile").exists() else _HERE.parent / "runtime_src"
CPUS = ("cortex-m0", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55")


class BuildError(RuntimeError):
    """A compiler or make failure; the message carries the tool's output."""


def default_build_dir():
    """``$BITTERN_RUNTIME_BUILD``, else ``build/runtime`` in the current folder (never inside
    the installed package)."""
    return Path(os.environ.get("BITTERN_RUNTIME_BUILD", Path.cwd() / "build" / "runtime"))


def _make(args, build_dir, log_name):
    """Run the runtime's Makefile; its output goes to ``<build_dir>/<log_name>.log``."""
    build_dir = Path(build_dir).resolve()
    cmd = ["make", "-s", "-C", str(RUNTIME_DIR), f"BUILD={build_dir}", *args]
    log = build_dir / "logs" / f"{log_name}.log"
    if toollog.run(cmd, log=log, check=False):
        raise BuildError(toollog.failure_message(f"make {' '.join(args)} failed", log))


def build_host(build_dir=None, *, kernels=None):
    """Build libbittern.a/.so and the sanitized host_runner; returns the output folder.

    ``kernels``: a per-model build with only those code units (see :func:`build_firmware`)."""
    build_dir = Path(build_dir or default_build_dir())
    _make(["CPU=host", *([f"KERNELS={' '.join(sorted(set(kernels)))}"] if kernels else []),
           "host"], build_dir, "make-host" + ("-k-" + "-".join(sorted(set(kernels))) if kernels else ""))
    return build_dir / "host"


def build_fuzz(build_dir=None, *, coverage=False):
    """Build the libFuzzer target (clang, ASan + UBSan), or with ``coverage`` the same harness
    instrumented for llvm-cov; returns the executable's path."""
    if shutil.which("clang") is None:
        raise BuildError("clang is not installed (scripts/setup.sh installs clang and "
                         "libclang-rt-14-dev)")
    build_dir = Path(build_dir or default_build_dir())
    _make(["fuzz-cov" if coverage else "fuzz"], build_dir, "make-fuzz-cov" if coverage else "make-fuzz")
    return build_dir / "fuzz" / ("fuzz_load_run_cov" if coverage else "fuzz_load_run")


def build_firmware(cpu, c_source, *, workspace_bytes, n_scores=16, build_dir=None, name="firmware",
                   opt="-O3", popcount=None, kernels=None, main=None):
    """Link the QEMU test firmware for ``cpu`` with a generated model/images C file
    (``c_source``; None for none), and ``main`` (None: the model runner port/fw_main.c).

    ``popcount`` picks the popcount form (0 SWAR/Harley-Seal, 1 byte table; None: the
    Makefile default). ``kernels`` (names from :func:`bittern.runtime.codegen.model_kernels`)
    makes a per-model build holding only that code; None keeps every kernel. Returns the ELF
    path (``<build_dir>/<cpu>/<name>.elf``, its link map beside it as ``<name>.map``).
    """
    if cpu not in CPUS:
        raise ValueError(f"cpu must be one of {', '.join(CPUS)}, not {cpu!r}")
    if shutil.which("arm-none-eabi-gcc") is None:
        raise BuildError("arm-none-eabi-gcc is not installed (apt install gcc-arm-none-eabi)")
    build_dir = Path(build_dir or default_build_dir())
    ws = max(4, (int(workspace_bytes) + 3) // 4 * 4)
    extra = [] if popcount is None else [f"POP={int(popcount)}"]
    if popcount is not None:
        build_dir = build_dir / f"pop{int(popcount)}"  # objects differ: keep them apart
    if kernels is not None:
        units = sorted(set(kernels))
        extra.append(f"KERNELS={' '.join(units)}")
        build_dir = build_dir / ("k-" + "-".join(units))
    if main is not None:
        extra.append(f"FW_MAIN={Path(main).resolve()}")
    _make([*extra, f"CPU={cpu}", f"OPT={opt}",
           f"FW_DATA={Path(c_source).resolve() if c_source is not None else ''}",
           f"FW_WORKSPACE={ws}", f"FW_SCORES={max(1, int(n_scores))}", "firmware"], build_dir,
          f"make-{cpu}-{name}")
    out = build_dir / cpu / "firmware.elf"
    final = build_dir / cpu / f"{name}.elf"
    if final != out:
        out.replace(final)
        out.with_suffix(".map").replace(final.with_suffix(".map"))
    return final
