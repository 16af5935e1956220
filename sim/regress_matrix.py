"""The golden-model regression matrix: its cases, and the function that runs one case.

A case is a plain dict (JSON-able, so any Dask worker can take it): target (``accelerator``,
the whole accelerator through its bus with :mod:`bittern.sim.replay`, or ``array``, the bare
systolic array with Python sequencing, :mod:`bittern.sim.layer_sim`), family, geometry,
simulator, seed and image count. :func:`run_case` builds the case's seeded random model, runs
every image and compares every score with the golden model bit for bit. Its result is a dict
too; everything in it but the timings (:data:`TIMING_KEYS`) depends only on the case, whoever
runs it.
"""

import time
import zlib

import numpy as np

__all__ = ["TARGETS", "TIMING_KEYS", "case_seed", "make_cases", "run_case", "replay_command"]

TARGETS = ("accelerator", "array")
SIMULATORS = {"accelerator": ("verilator", "icarus", "amaranth"), "array": ("icarus", "verilator")}
TIMING_KEYS = ("wall_s", "sim_wall_s", "sim_cycles_per_s")


def case_seed(seed, family, geometry):
    """The model/image seed of one case: the matrix seed mixed with what the case is."""
    return (seed * 1000003 + zlib.crc32(f"{family}-{geometry}".encode())) % 2**31


def _geometry(target, rows, cols, lanes):
    return f"{rows}x{cols}" if target == "accelerator" else f"{rows}x{cols}x{lanes}"


def make_cases(*, target, shapes, families, simulators, seeds, images):
    """Every combination; ``shapes`` are (rows, cols, lanes) (lanes is 32 on the accelerator)."""
    if target not in TARGETS:
        raise ValueError(f"target must be one of {', '.join(TARGETS)}, not {target!r}")
    for s in simulators:
        if s not in SIMULATORS[target]:
            raise ValueError(f"--simulators: {s!r} does not run the {target}; choose from "
                             f"{', '.join(SIMULATORS[target])}")
    cases = []
    for rows, cols, lanes in shapes:
        if target == "accelerator" and lanes != 32:
            raise ValueError(f"--shapes: the accelerator has 32 lanes, not {lanes}")
        geom = _geometry(target, rows, cols, lanes)
        for fam in families:
            for sim in simulators:
                for seed in seeds:
                    cases.append({"id": f"{target}-{fam}-{geom}-{sim}-s{seed}", "target": target,
                                  "family": fam, "rows": rows, "cols": cols, "lanes": lanes,
                                  "simulator": sim, "seed": seed, "images": images,
                                  "model_seed": case_seed(seed, fam, geom)})
    return cases


def replay_command(case, out="out/regress-replay"):
    """The command that runs ``case`` alone, in this process, with waveforms."""
    geom = _geometry(case["target"], case["rows"], case["cols"], case["lanes"])
    return (f"bittern regress --target {case['target']} --shapes {geom} --families {case['family']} "
            f"--simulators {case['simulator']} --seed {case['seed']} --seeds 1 "
            f"--images {case['images']} --workers 0 --waves --out {out}")


def run_case(case, *, waves=False, build_root=None):
    """Run one case; returns its result dict (never raises for a failing or unsupported case)."""
    from bittern.model import golden
    from bittern.model.randspec import random_family_model
    from bittern.rtl.loader import UnsupportedLayer
    t0 = time.monotonic()
    rng = np.random.default_rng(case["model_seed"])
    spec = random_family_model(rng, case["family"])
    images = rng.integers(0, 256, size=(case["images"], spec.input_features)).astype(np.uint8)
    want = golden.run(spec, images).scores.numpy()
    out = {**case, "status": "error", "message": "", "cycles": 0, "ideal_cycles": 0,
           "utilisation": 0.0, "sim_cycles": 0, "sim_wall_s": 0.0, "sim_cycles_per_s": 0.0,
           "waves": None}
    try:
        if case["target"] == "accelerator":
            _on_accelerator(case, spec, images, out, waves=waves, build_root=build_root)
        else:
            _on_array(case, spec, images, out, waves=waves, build_root=build_root)
        same = np.array_equal(np.asarray(out.pop("scores")), want)
        out["status"] = "pass" if same else "FAIL"
        if not same:
            out["message"] = "scores differ from the golden model"
    except UnsupportedLayer as e:
        out["status"], out["message"] = "unsupported", str(e)
    except Exception as e:      # a simulator or hardware error is this case's result
        out["status"], out["message"] = "error", f"{type(e).__name__}: {e}"
    out.pop("scores", None)
    out["wall_s"] = round(time.monotonic() - t0, 3)
    return out


def _on_accelerator(case, spec, images, out, *, waves, build_root):
    from bittern.rtl.loader import default_depths
    from bittern.sim.replay import run_model
    rows, cols = case["rows"], case["cols"]
    depths = default_depths(spec, rows, cols)          # raises UnsupportedLayer first
    run = run_model(spec, images, rows=rows, cols=cols, simulator=case["simulator"],
                    depths=depths, waves=waves, build_root=build_root)
    out.update(scores=run.scores, cycles=run.cycles, ideal_cycles=run.active,
               utilisation=round(run.utilisation, 4), sim_cycles=run.sim.cycles,
               sim_wall_s=round(run.sim.wall_s, 3),
               sim_cycles_per_s=round(run.sim.cycles_per_s), tiles=run.tiles,
               waves=str(run.sim.waves) if run.sim.waves else None)


def _on_array(case, spec, images, out, *, waves, build_root):
    from bittern.sim.layer_sim import simulate_model
    run = simulate_model(spec, images, rows=case["rows"], cols=case["cols"], lanes=case["lanes"],
                         simulator=case["simulator"], waves=waves, build_root=build_root)
    wall = sum(lr.sim_wall_s for lr in run.layers)
    cycles = sum(lr.cycles for lr in run.layers)
    ideal = sum(lr.ideal_cycles for lr in run.layers)
    out.update(scores=run.scores.numpy() if hasattr(run.scores, "numpy") else run.scores,
               cycles=int(cycles), ideal_cycles=round(float(ideal), 1),
               utilisation=round(float(ideal) / cycles, 4) if cycles else 0.0,
               sim_cycles=int(cycles), sim_wall_s=round(wall, 3),
               sim_cycles_per_s=round(cycles / wall) if wall else 0,
               waves=str(run.waves[-1]) if waves and run.waves else None)
