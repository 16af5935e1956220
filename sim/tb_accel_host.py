"""Host side of the accelerator co-simulation: scripts, a cocotb run, and the results.

:func:`run_on_accelerator` is the one call most users need: it loads a golden
:class:`~bittern.model.spec.ModelSpec` into a simulated :class:`~bittern.rtl.accelerator.Accelerator`
purely through Wishbone bus writes, runs every batch of ``cols`` images, reads the scores back
and returns them with the cycle and PE-activity counters the hardware measured itself.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bittern.rtl import loader

__all__ = ["AccelResult", "accel_name", "run_script", "run_on_accelerator"]


@dataclass
class AccelResult:
    scores: np.ndarray          # int64 [n_images, n_classes]
    labels: np.ndarray          # first argmax
    cycles: int                 # PERF_CYCLES summed over batches
    active: int                 # PERF_ACTIVE (array busy cycles) summed over batches
    batches: int
    runs: list                  # per-batch STATUS and counters

    @property
    def utilisation(self):
        return self.active / self.cycles if self.cycles else 0.0


def run_script(accel, script, *, name, simulator="verilator", build_root=None):
    """Run a bus script (see ``sim/tb_accel.py``) on ``accel``; returns ``{"reads", "runs"}``."""
    from bittern.sim.runner import default_build_root, run_job
    from bittern.sim.vendor_models import models_for
    models = models_for(accel.ram, Path(build_root or default_build_root()) / name)
    result, _ = run_job(accel, script, name=name, test_module="tb_accel", simulator=simulator,
                        build_root=build_root, extra_sources=models)
    return result


def accel_name(accel):
    return (f"accel_r{accel.rows}c{accel.cols}_w{accel.w_depth}a{accel.a_depth}"
            + ("" if accel.ram == "inferred" else f"_{accel.ram}") +
            f"t{accel.t_depth}s{accel.s_depth}" + ("_conv" if accel.conv else "") +
            ("_planes" if accel.planes else "") +
            (f"_sp{accel.sparse_words}i{accel.i_depth}" if accel.sparse_words else ""))


def run_on_accelerator(spec, images, *, rows, cols, lanes=32, simulator="verilator",
                       depths=None, build_root=None, max_cycles=2_000_000, ram="inferred", conv=False,
                       planes=False):
    """Run ``spec`` on ``images`` (u8, [n, ...]) on the simulated accelerator.

    ``ram`` builds the buffers from a board's memory primitives (``"spram"``, ``"dp16kd"``)
    simulated with their models (:mod:`bittern.sim.vendor_models`; Icarus). ``planes`` builds
    the accelerator with the plane ops (multi-bit dense layers as binary passes).

    Returns an :class:`AccelResult`; raises :class:`~bittern.rtl.loader.UnsupportedLayer` for a
    model the hardware cannot run and ``RuntimeError`` (:class:`~bittern.sim.runner.SimulationError`)
    when the hardware reports an error or times out.
    """
    from bittern.rtl.accelerator import Accelerator
    from bittern.sim.replay import check_status
    images = np.asarray(images)
    depths = depths or loader.default_depths(spec, rows, cols)
    accel = Accelerator(rows=rows, cols=cols, lanes=lanes, ram=ram, conv=conv, planes=planes,
                        **depths)
    p = loader.plan(spec, loader.Geometry.of(accel))
    script = [["w", a, v] for a, v in loader.program_writes(spec, p)]
    n = len(images)
    addrs_all = []
    for b0 in range(0, n, cols):
        batch = images[b0:b0 + cols]
        script += [["w", a, v] for a, v in loader.batch_writes(spec, p, batch)]
        script.append(["run", max_cycles])
        addrs = loader.score_addresses(spec, p, len(batch))
        addrs_all.append(addrs)
        script += [["r", a] for row in addrs for a in row]
    res = run_script(accel, script, name=accel_name(accel), simulator=simulator,
                     build_root=build_root)
    for i, r in enumerate(res["runs"]):
        check_status(i, r["status"], r["timeout"], max_cycles)
    scores = loader.unpack_scores(res["reads"]).reshape(n, -1)
    return AccelResult(scores=scores, labels=np.argmax(scores, axis=1),
                       cycles=sum(r["cycles"] for r in res["runs"]),
                       active=sum(r["active"] for r in res["runs"]),
                       batches=len(res["runs"]), runs=res["runs"])
