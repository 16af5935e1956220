"""libbittern.a links into a normal hard-float Cortex-M4F / M7 application (built with Make or
CMake, FLOAT=hard / BT_FLOAT_ABI=hard), and the soft-float default still does not: the
linker's own check of the float ABI is what this test relies on."""

import subprocess

import pytest

from bittern.runtime.build import RUNTIME_DIR

# The application: hard-float code that passes a float in a VFP register, and calls bittern.
APP = r"""
#include "bittern.h"
static uint32_t ws[64];
float scale(float x) { return x * 0.5f; }
int main(void) {
    static const uint8_t blob[16];
    bt_model_t m; int32_t s[10]; uint32_t label;
    bt_status_t st = bt_model_load(&m, blob, sizeof blob);
    if (st == BT_OK) st = bt_run(&m, blob, ws, sizeof ws, s, &label);
    return (int)scale((float)st);
}
"""
FPU = {"cortex-m4": "fpv4-sp-d16", "cortex-m7": "fpv5-d16"}


def _link(tmp_path, cpu, lib):
    (tmp_path / "app.c").write_text(APP)
    return subprocess.run(
        ["arm-none-eabi-gcc", f"-mcpu={cpu}", "-mthumb", "-mfloat-abi=hard", f"-mfpu={FPU[cpu]}",
         "-O2", f"-I{RUNTIME_DIR}/include", "app.c", str(lib), "--specs=nosys.specs",
         "-o", "app.elf"], cwd=tmp_path, capture_output=True, text=True)


@pytest.mark.parametrize("cpu", sorted(FPU))
def test_make_hard_float_library_links_into_a_hard_float_app(tmp_path, cpu):
    for float_abi in ("soft", "hard"):
        r = subprocess.run(["make", "-s", "-C", str(RUNTIME_DIR), f"BUILD={tmp_path}", f"CPU={cpu}",
                            f"FLOAT={float_abi}", "lib"], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
    soft = _link(tmp_path, cpu, tmp_path / cpu / "libbittern.a")
    assert soft.returncode != 0 and "VFP register arguments" in soft.stderr, soft.stderr
    hard = _link(tmp_path, cpu, tmp_path / f"{cpu}-hard" / "libbittern.a")
    assert hard.returncode == 0, hard.stderr


def test_cmake_hard_float_library_links_into_a_hard_float_app(tmp_path):
    build = tmp_path / "cmake"
    r = subprocess.run(["cmake", "-S", str(RUNTIME_DIR), "-B", str(build),
                        f"-DCMAKE_TOOLCHAIN_FILE={RUNTIME_DIR}/cmake/arm-none-eabi.cmake",
                        "-DBT_CPU=cortex-m4", "-DBT_FLOAT_ABI=hard"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run(["cmake", "--build", str(build)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    hard = _link(tmp_path, "cortex-m4", build / "libbittern.a")
    assert hard.returncode == 0, hard.stderr
    r = subprocess.run(["cmake", "-S", str(RUNTIME_DIR), "-B", str(tmp_path / "bad"),
                        f"-DCMAKE_TOOLCHAIN_FILE={RUNTIME_DIR}/cmake/arm-none-eabi.cmake",
                        "-DBT_CPU=cortex-m4", "-DBT_FLOAT_ABI=maybe"], capture_output=True, text=True)
    assert r.returncode != 0 and "BT_FLOAT_ABI must be soft or hard" in r.stdout + r.stderr
