"""The C runtime builds warning-free (-std=c99 -Wall -Wextra -Werror -pedantic) for the host and
Cortex-M0/M3/M4/M7, and links against nothing but memset/memcpy and compiler helpers: no
heap, no stdio, no abort/assert."""

import subprocess

import pytest

from bittern.runtime.build import CPUS, RUNTIME_DIR

# _GLOBAL_OFFSET_TABLE_: defined by the linker (host -fPIC code taking function addresses)
ALLOWED = {"memset", "memcpy", "_GLOBAL_OFFSET_TABLE_"}


def _undefined(lib, nm):
    out = subprocess.run([nm, "-u", str(lib)], capture_output=True, text=True, check=True).stdout
    own = subprocess.run([nm, "--defined-only", str(lib)], capture_output=True, text=True,
                         check=True).stdout
    defined = {line.split()[-1] for line in own.splitlines() if len(line.split()) == 3}
    return {line.split()[-1] for line in out.splitlines()
            if line.strip() and not line.endswith(":")} - defined


@pytest.mark.parametrize("cpu", ["host", *CPUS])
def test_library_builds_without_heap(cpu, tmp_path):
    r = subprocess.run(["make", "-s", "-C", str(RUNTIME_DIR), f"BUILD={tmp_path}", f"CPU={cpu}",
                        "lib"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    nm = "nm" if cpu == "host" else "arm-none-eabi-nm"
    und = _undefined(tmp_path / cpu / "libbittern.a", nm)
    extra = {s for s in und if s not in ALLOWED and not s.startswith("__aeabi_")}
    assert not extra, f"{cpu}: unexpected external symbols {sorted(extra)}"
    assert not und & {"malloc", "calloc", "realloc", "free", "abort", "__assert_func", "printf"}
