"""The golden-model regression matrix, collected by pytest and run in parallel by pytest-xdist.

``bittern regress`` writes the matrix (array shapes x families x simulators) as JSON and points
``BITTERN_REGRESS_MATRIX`` at it; each case builds a seeded random model of its family, runs it
through the simulated systolic array and compares every score with the golden model bit for bit.
Each case writes one JSON result next to the matrix for the summary table.
"""

import json
import os
import time
from pathlib import Path

import numpy as np


def _matrix():
    path = os.environ.get("BITTERN_REGRESS_MATRIX")
    if not path:
        return None, []
    with open(path) as f:
        return Path(path).parent, json.load(f)


def pytest_generate_tests(metafunc):
    if "case" in metafunc.fixturenames:
        _, cases = _matrix()
        metafunc.parametrize("case", cases, ids=[c["id"] for c in cases])


def test_regress_case(case):
    import torch
    from bittern.model import golden
    from bittern.model.randspec import random_family_model
    from bittern.sim.layer_sim import simulate_model

    out_dir, _ = _matrix()
    seed = case["seed"]
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    spec = random_family_model(rng, case["family"])
    images = rng.integers(0, 256, size=(case["images"], spec.input_features)).astype(np.uint8)
    want = golden.run(spec, images)
    start = time.time()
    run = simulate_model(spec, images, rows=case["rows"], cols=case["cols"], lanes=case["lanes"],
                         simulator=case["simulator"])
    seconds = time.time() - start
    same = bool(torch.equal(torch.as_tensor(run.scores), want.scores))
    cycles = sum(lr.cycles for lr in run.layers)
    ideal = sum(lr.ideal_cycles for lr in run.layers)
    result = {**case, "pass": same, "cycles": int(cycles), "ideal_cycles": float(ideal),
              "seconds": round(seconds, 2)}
    (out_dir / "results").mkdir(exist_ok=True)
    (out_dir / "results" / f"{case['id']}.json").write_text(json.dumps(result))
    assert same, f"{case['id']}: simulated scores differ from the golden model (seed {seed})"
