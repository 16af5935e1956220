"""What every cocotb testbench in ``sim/`` shares: the clock, the reset, and the job files.

A testbench gets one JSON *job* (named by ``$TB_JOB``) and writes one JSON *result* (to
``$TB_OUT``); the pytest side writes and reads them with :func:`bittern.sim.runner.run_job`.
Models and golden comparisons stay on the pytest side: a testbench only drives and records.

Clock and reset are the same everywhere: a 10 ns clock starting low, ``rst`` held for three
rising edges and released at a falling edge, inputs given their idle values first.
"""

import json
import os

from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

from .runner import JOB_ENV, RESULT_ENV

__all__ = ["CLOCK_NS", "RESET_CYCLES", "start", "reset", "read_job", "write_result"]

CLOCK_NS = 10
RESET_CYCLES = 3


async def reset(dut):
    """Hold ``rst`` for :data:`RESET_CYCLES` rising edges; release it at the next falling edge
    (inputs driven after this call are seen at the next rising edge)."""
    dut.rst.value = 1
    for _ in range(RESET_CYCLES):
        await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0


async def start(dut, idle=None):
    """Drive ``idle`` (port name -> value) first, start the clock, then :func:`reset`."""
    for name, value in (idle or {}).items():
        getattr(dut, name).value = value
    Clock(dut.clk, CLOCK_NS, unit="ns").start(start_high=False)
    await reset(dut)


def read_job():
    """The job the pytest side wrote (``$TB_JOB``)."""
    with open(os.environ[JOB_ENV]) as f:
        return json.load(f)


def write_result(result):
    """Hand ``result`` (JSON-serialisable) back to the pytest side (``$TB_OUT``)."""
    with open(os.environ[RESULT_ENV], "w") as f:
        json.dump(result, f)
