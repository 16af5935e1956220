"""The estimate before synthesis (``bittern.rtl.estimate``, ``bittern build --estimate``).

No tool runs here: the calibration JSON records the sweep's measured builds (Yosys synthesis +
nextpnr packing, ``bench/bench_estimate.py``) and Verilator cycle runs, and these tests check
the estimate against those records, that the records still describe today's RTL and op
formulas (a stale calibration fails: rerun the bench), and the error paths.
"""

import json
import time

import numpy as np
import pytest

from bittern.cli.main import main
from bittern.model import randspec
from bittern.model.fileformat import save
from bittern.rtl import estimate as est
from bittern.rtl import loader

CAL = est.load_calibration()
BUILDS = CAL["builds"]


def _ids(rows):
    return [r["name"] for r in rows]


def mnist_mlp(seed=0):
    return randspec.random_model(np.random.default_rng(seed), hidden=(256, 256), in_features=784,
                                 classes=10, input_threshold=128)


def test_estimate_takes_well_under_a_second():
    est.estimate("icebreaker", 2, 2)                  # imports (torch, Amaranth) once
    spec = mnist_mlp()
    t0 = time.perf_counter()
    for board, rows, cols in (("icebreaker", 1, 1), ("icebreaker", 2, 2), ("ulx3s", 4, 4),
                              ("ulx3s", 8, 8)):
        est.estimate(board, rows, cols, model=spec)
    per_call = (time.perf_counter() - t0) / 4
    print(f"estimate with the MNIST MLP: {1000 * per_call:.1f} ms per call")
    assert per_call < 1.0


def test_calibration_is_not_stale():
    """The JSON's feature lists are the module's, and every recorded build's and cycle run's
    features are what today's RTL (Accelerator.memories(), accumulator widths) and op
    formulas give: a change to either needs `python -m bittern.bench.bench_estimate`."""
    assert CAL["features"] == list(est.FEATURES)
    assert CAL["cycle_features"] == list(est.CYCLE_FEATURES)
    for fam in CAL["families"].values():
        for what in ("luts", "ffs"):
            assert set(fam[what]) <= set(est.FEATURES)
    for b in BUILDS:
        _, feats = est.build_features(b)
        assert feats == b["features"], f"{b['name']}: features changed, rerun bench_estimate"
    from bittern.bench.bench_estimate import cycle_model
    from bittern.rtl.accelerator import Accelerator
    for r in CAL["cycles"]["runs"]:
        acc = Accelerator(rows=r["rows"], cols=r["cols"], **r["depths"], **r["options"])
        acc._MustUse__silence = True
        feats, active = est.cycle_features(cycle_model(r["model"]), loader.Geometry.of(acc))
        assert (feats, active) == (r["features"], r["active"]), r["name"]


@pytest.mark.parametrize("build", BUILDS, ids=_ids(BUILDS))
def test_block_rams_are_exact_on_the_measured_builds(build):
    """EBR / DP16KD and SPRAM counts equal what Yosys + nextpnr used, and every inferred
    memory lands where Yosys put it (block RAM or flip-flops)."""
    e = est.estimate(build["board"], build["rows"], build["cols"], depths=build["depths"],
                     **build["options"], calibration=CAL)
    assert (e.brams, e.sprams) == (build["brams"], build["sprams"])
    acc = est.accelerator(build["board"], build["rows"], build["cols"], depths=build["depths"],
                          **build["options"])
    family = "ice40" if build["board"] == "icebreaker" else "ecp5"
    yosys = build["yosys_memories"]
    for mem in acc.memories():
        if mem.primitive != "inferred":
            continue
        blocks = est.memory_blocks(family, mem)[0]
        for name in est.yosys_memory_names(mem):
            assert yosys[name] == ("mapping" if blocks else "using FF mapping for"), name


@pytest.mark.parametrize("build", BUILDS, ids=_ids(BUILDS))
def test_luts_and_ffs_within_15_percent_of_the_measured_builds(build):
    e = est.estimate(build["board"], build["rows"], build["cols"], depths=build["depths"],
                     **build["options"], calibration=CAL)
    print(build["name"], e.luts, build["luts"], e.ffs, build["ffs"])
    assert abs(e.luts / build["luts"] - 1) <= 0.15
    assert abs(e.ffs / build["ffs"] - 1) <= 0.15


@pytest.mark.parametrize("run", CAL["cycles"]["runs"], ids=_ids(CAL["cycles"]["runs"]))
def test_cycles_within_5_percent_of_the_measured_perf_counters(run):
    from bittern.bench.bench_estimate import cycle_model
    e = est.estimate("icebreaker", run["rows"], run["cols"], model=cycle_model(run["model"]),
                     depths=run["depths"], ram="inferred", calibration=CAL, **run["options"])
    assert e.active_per_image * run["cols"] == run["active"]
    print(run["name"], e.cycles_per_image * run["cols"], run["cycles"])
    assert abs(e.cycles_per_image * run["cols"] / run["cycles"] - 1) <= 0.05


def test_model_sizes_the_buffers_and_gives_cycles():
    spec = mnist_mlp()
    e = est.estimate("ulx3s", 4, 4, model=spec)
    assert e.depths == {k: v for k, v in loader.default_depths(spec, 4, 4).items()}
    ideal = sum(-(-l.out_c // 4) * -(-l.in_c // 32) for l in spec.layers)
    assert e.active_per_image == ideal / 4
    assert ideal / 4 < e.cycles_per_image < 1.2 * ideal / 4
    assert e.fits


@pytest.mark.parametrize("call,match", [
    (lambda: est.estimate("de10", 2, 2), r"unknown board 'de10': one of icebreaker, ulx3s"),
    (lambda: est.estimate("icebreaker", 3, 2), r"rows must be a power of two"),
    (lambda: est.estimate("icebreaker", 2, 2, model=mnist_mlp()),
     None),
    (lambda: est.estimate("ulx3s", 2, 2, model=mnist_mlp(), depths=dict(
        w_depth=256, a_depth=64, t_depth=16, s_depth=16)),
     r"model: layer 0 \(dense 784->256\): weights need 3200 words per row bank, the buffer has 256"),
    (lambda: est.estimate("ulx3s", 2, 2, ram="inferred"), r"inferred memories on iCE40 only"),
    (lambda: est.estimate("icebreaker", 2, 2, model="/nonexistent/m.bittern"),
     r"no such model file"),
])
def test_bad_input_is_one_line(call, match):
    if match is None:       # the MNIST MLP at 2x2 on the UP5K: SPRAM weights, it fits
        assert call().fits
        return
    with pytest.raises(est.EstimateError, match=match) as e:
        call()
    assert "\n" not in str(e.value)


def test_a_build_that_does_not_fit_says_so():
    e = est.estimate("icebreaker", 4, 4, model=mnist_mlp())
    assert not e.fits and e.brams > e.brams_available


def test_cli_prints_the_table_quietly(tmp_path, capfd):
    model = tmp_path / "m.bittern"
    save(mnist_mlp(), model)
    capfd.readouterr()
    assert main(["build", "--board", "icebreaker", "--estimate", "--model", str(model)]) == 0
    out, err = capfd.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == ["board", "array", "LCs", "FFs", "EBR",
                                                   "cycles/image", "fits"], out
    assert "SPRAM 4 / 4" in out and "fits         yes" in out
    assert main(["build", "--board", "ulx3s", "--rows", "4", "--cols", "4", "--estimate",
                 "--json"]) == 0
    out, err = capfd.readouterr()
    d = json.loads(out)
    assert err == "" and d["brams"] > 0 and d["fits"] and d["cycles_per_image"] is None
    # Does not fit: the table, then one error line, exit status 1.
    assert main(["build", "--board", "icebreaker", "--rows", "8", "--cols", "8",
                 "--estimate"]) == 1
    out, err = capfd.readouterr()
    assert "fits         NO" in out
    assert err.strip().splitlines() == ["bittern build: error: the estimate does not fit the UP5K"]


def test_an_option_no_calibration_build_had_is_named():
    e = est.estimate("ulx3s", 2, 2, conv=True)
    assert e.uncalibrated == ([] if "conv" in CAL["families"]["ecp5"]["luts"] else ["conv"])
    assert ("no calibration build had conv" in e.table()) == bool(e.uncalibrated)
