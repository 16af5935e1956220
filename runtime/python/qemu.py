"""Run firmware ELFs under qemu-system-arm and parse labels, instruction counts and memory."""

import subprocess
from dataclasses import dataclass, field

from .capi import STATUS_NAMES

__all__ = ["MACHINES", "INSTR_PER_TICK", "QemuError", "QemuResult", "run_elf"]

# cpu -> QEMU machine. SysTick runs on the processor clock: with -icount shift=0 one
# instruction is 1 ns, so a tick is 40 instructions at 25 MHz (mps2) and 62.5 at 16 MHz
# (micro:bit). The firmware also times a calibration loop of CALIB_INSTR instructions.
MACHINES = {"cortex-m3": "mps2-an385", "cortex-m4": "mps2-an386", "cortex-m7": "mps2-an500",
            "cortex-m0": "microbit", "cortex-m33": "mps2-an505", "cortex-m55": "mps3-an547"}
CALIB_INSTR = 100000
INSTR_PER_TICK = {"cortex-m3": 40.0, "cortex-m4": 40.0, "cortex-m7": 40.0, "cortex-m0": 62.5,
                  "cortex-m33": 50.0, "cortex-m55": 31.25}   # an505 at 20 MHz, an547 at 32 MHz


class QemuError(RuntimeError):
    """The firmware failed (load error, fault, timeout); the message has its output."""


@dataclass
class QemuResult:
    cpu: str
    labels: list
    scores: list
    ticks: int
    workspace_bytes: int
    stack_bytes: int
    calib_ticks: int = 0
    output: str = field(repr=False, default="")

    @property
    def instructions(self):
        """Instructions of all inferences together (SysTick resolution, see INSTR_PER_TICK)."""
        return self.ticks * INSTR_PER_TICK[self.cpu]

    @property
    def measured_instr_per_tick(self):
        """Instructions per tick from the calibration loop (checks INSTR_PER_TICK)."""
        return CALIB_INSTR / self.calib_ticks if self.calib_ticks else float("nan")

    @property
    def instructions_per_image(self):
        return self.instructions / max(len(self.labels), 1)


def run_elf(cpu, elf, *, timeout=120):
    if cpu not in MACHINES:
        raise ValueError(f"cpu must be one of {', '.join(MACHINES)}, not {cpu!r}")
    cmd = ["qemu-system-arm", "-M", MACHINES[cpu], "-nographic",
           "-semihosting-config", "enable=on,target=native",
           "-icount", "shift=0", "-kernel", str(elf)]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise QemuError(f"{cpu}: firmware did not finish within {timeout} s") from e
    out = r.stdout + r.stderr  # semihosting console output lands on stderr
    labels, scores, ticks, ws, stack, calib = [], [], 0, 0, 0, 0
    for line in out.splitlines():
        tag, _, val = line.partition(" ")
        if tag == "L":
            vals = [int(v) for v in val.split()]
            labels.append(vals[0])
            scores.append(vals[1:])
        elif tag == "T":
            ticks = int(val)
        elif tag == "C":
            calib = int(val)
        elif tag == "W":
            ws = int(val)
        elif tag == "S":
            stack = int(val)
        elif tag == "E":
            code = int(val)  # the firmware prints the status code (fw_main.c)
            name = STATUS_NAMES[code] if 0 <= code < len(STATUS_NAMES) else f"status {code}"
            raise QemuError(f"{cpu}: runtime error {name}")
    if r.returncode:
        raise QemuError(f"{cpu}: qemu exited {r.returncode}\n{out}{r.stderr}")
    return QemuResult(cpu=cpu, labels=labels, scores=scores, ticks=ticks, workspace_bytes=ws,
                      stack_bytes=stack, calib_ticks=calib, output=out)
