"""Hardware/software co-simulation: the C runtime's driver runs models on the RTL.

The host build of the runtime is loaded with ctypes inside the cocotb process; its transport
callbacks become Wishbone cycles (or, with its own SPI transport, SPI frames) on the simulated
accelerator. The scores that ``bt_run_accel`` / ``bt_run_accel_batch`` return must be the
golden model's, bit for bit: the driver, the generated register header and the RTL have to
agree for that. Every Wishbone test uses one geometry, so Verilator builds it once.
"""

import numpy as np
import pytest
import torch

from bittern.model import golden, randspec
from bittern.rtl import regmap as rm
from bittern.runtime.cases import UNIVERSAL, universal_cases
from bittern.sim.cosim import (CTRL_CLEAR, CTRL_START, STATUS_BUSY, STATUS_DONE, STATUS_ERROR,
                               cosim_run, cosim_session)

# Every Wishbone test runs on the universal build (conv, planes, sparse), so Verilator builds
# one accelerator for all of them; the SPI bridge has its own (binary-only) build.
ROWS, COLS = UNIVERSAL["rows"], UNIVERSAL["cols"]
DEPTHS = {k: v for k, v in UNIVERSAL.items() if k not in ("rows", "cols")}
SPI_DEPTHS = dict(w_depth=1024, a_depth=64, t_depth=64, s_depth=64)


def cause(status):
    f = rm.field_of("STATUS", "CAUSE")
    return rm.Cause((status & f.mask) >> f.lsb)


def ideal_words(spec, rows, hw=None):
    """Array cycles of one START that never idles: tiles x input words of the offloaded layers."""
    hw = hw or [1] * len(spec.layers)
    return sum(-(-l.out_c // rows) * -(-l.in_c // 32) for l, h in zip(spec.layers, hw) if h)


def mask(flags):
    return sum(1 << i for i, f in enumerate(flags) if f)


def golden_of(spec, images):
    ref = golden.run(spec, torch.as_tensor(np.asarray(images)))
    return ref.scores.numpy(), ref.labels.numpy()


def test_cosim_trained_mlp_wishbone(small_trained_mlp_spec, mnist):
    """Trained 784-64-32-10 MLP: all layers offloaded, exact scores, then the misuse phase
    (timeouts never CLEAR or touch a busy accelerator)."""
    spec = small_trained_mlp_spec
    n_run = 4
    images = mnist.test_x[:n_run + 3]
    print("images: mnist5k test_x[0:7] (no randomness)")
    res = cosim_run(spec, images, rows=ROWS, cols=COLS, depths=DEPTHS, misuse=True)
    print(f"wall {res.wall_s:.1f} s (testbench {res.tb_wall_s:.1f} s), bus {res.bus}, "
          f"cycles {res.cycles}, active {res.active}")
    gs, gl = golden_of(spec, images)
    np.testing.assert_array_equal(res.scores, gs[:n_run])
    np.testing.assert_array_equal(res.labels, gl[:n_run])

    # the driver found the accelerator through the generated register map
    assert res.probe["id"] == rm.ID_VALUE and (res.probe["rows"], res.probe["cols"]) == (ROWS, COLS)
    # every layer ran on the hardware, one START per image, nothing in software, no error
    d = res.driver
    assert d["hw_layers"] == mask([1] * len(spec.layers)) and d["programs"] == 1
    assert d["runs_hw"] == n_run and d["layers_hw"] == n_run * len(spec.layers)
    assert d["layers_sw"] == 0 and d["errors"] == 0
    # the hardware's own counters, summed per call: every array cycle a useful word pair
    ideal = ideal_words(spec, ROWS)
    assert res.active == [ideal] * n_run and res.tiles[0] > 0
    assert all(c > a for c, a in zip(res.cycles, res.active))

    m = res.misuse
    a, b, e = m["phases"]
    for i, ph in enumerate(m["phases"]):
        assert ph["scores"] == gs[n_run + i].tolist(), ph["name"]
        assert ph["label"] == gl[n_run + i], ph["name"]
    # a. one STATUS poll: the driver gives up on a busy run, writes nothing after START (no
    #    CLEAR while BUSY), finishes the image in software
    assert a["status"] & STATUS_BUSY, "the run must still be busy after one poll"
    assert a["ctrl"] == [CTRL_START]
    assert a["driver"]["timeouts"] == 1 and a["driver"]["pending"] == 1
    assert a["driver"]["runs_hw"] == n_run
    # b. still busy: the driver touches nothing (no dropped writes, no BUS_WHILE_BUSY)
    assert b["writes"] == 0 and b["status"] & STATUS_BUSY and not b["status"] & STATUS_ERROR
    assert b["driver"]["timeouts"] == 1 and b["driver"]["runs_hw"] == n_run
    # c. START while busy: the documented error bit and cause, the run goes on
    before, after = m["raw_start"]["before"], m["raw_start"]["after"]
    assert before & STATUS_BUSY and not before & STATUS_ERROR
    assert after & STATUS_BUSY and after & STATUS_ERROR
    assert cause(after) == rm.Cause.START_WHILE_BUSY
    # d. the run ends (never a hang), the error stays until the next START or CLEAR
    idle = m["idle"]["status"]
    assert not idle & STATUS_BUSY and idle & STATUS_DONE and cause(idle) == rm.Cause.START_WHILE_BUSY
    # e. idle again: the driver clears the abandoned run's status, the hardware runs exactly
    assert e["ctrl"] == [CTRL_CLEAR, CTRL_START]
    assert e["driver"]["runs_hw"] == n_run + 1 and e["driver"]["pending"] == 0
    assert not e["status"] & STATUS_ERROR and e["driver"]["perf"]["active"] == ideal
    # f. without software fallback a timeout is the status code
    assert m["strict"]["status"] == "BT_ERR_ACCEL" and m["strict"]["driver"]["timeouts"] == 2
    assert not m["strict_idle"]["status"] & STATUS_BUSY


def test_cosim_model_identity():
    """#17 item 2 on the RTL: a model loaded into the struct of another, a device reset and
    another host's model are each seen through MODEL_TAG and re-programmed; the scores are
    exact after each (the old pointer check ran model B on model A's weights)."""
    seed = 5
    print("seed", seed)
    rng = np.random.default_rng(seed)
    spec_a = randspec.random_model(rng, hidden=(40,), in_features=70)
    spec_b = randspec.random_model(rng, hidden=(24, 16), in_features=70)
    x = rng.integers(0, 256, size=(2, 70)).astype(np.uint8)
    steps = [{"op": "load", "slot": 0, "model": 0},
             {"op": "run", "slot": 0, "images": 0},             # 1: A
             {"op": "load", "slot": 0, "model": 1},             # B into A's struct
             {"op": "run", "slot": 0, "images": 0},             # 3: B
             {"op": "reset"},
             {"op": "run", "slot": 0, "images": 0},             # 5: B after a reset
             {"op": "probe", "host": 1},
             {"op": "load", "slot": 1, "model": 0},
             {"op": "run", "slot": 1, "images": 0, "host": 1},  # 8: another host runs A
             {"op": "run", "slot": 0, "images": 0}]             # 9: B again
    res = cosim_session([spec_a, spec_b], [x], steps, rows=ROWS, cols=COLS, depths=DEPTHS,
                        bursts=True)
    print(f"wall {res.wall_s:.1f} s (testbench {res.tb_wall_s:.1f} s), bus {res.bus}")
    ga, gb = golden_of(spec_a, x)[0], golden_of(spec_b, x)[0]
    for i, g, programs in ((1, ga, 1), (3, gb, 2), (5, gb, 3), (8, ga, 1), (9, gb, 4)):
        run = res.steps[i]
        np.testing.assert_array_equal(run["scores"], g, err_msg=f"step {i}")
        assert run["driver"]["programs"] == programs, f"step {i}"
        assert run["driver"]["errors"] == 0 and run["driver"]["layers_sw"] == 0, f"step {i}"
    # the second image of each run found the model in place: programmed once per run
    assert res.steps[3]["driver"]["runs_hw"] == 4


def test_cosim_spi_transport():
    """The driver's own SPI transport (bt_transport_spi) over four wires into SPIBridge:
    bursts (many words per chip-select period), a batch and single images, exact."""
    seed = 7
    print("seed", seed)
    rng = np.random.default_rng(seed)
    spec = randspec.random_model(rng, hidden=(20,), in_features=40, classes=5)
    images = rng.integers(0, 256, size=(2, 40)).astype(np.uint8)
    steps = [{"op": "load", "slot": 0, "model": 0},
             {"op": "run", "slot": 0, "images": 0, "batch": True},
             {"op": "run", "slot": 0, "images": 0}]
    res = cosim_session([spec], [images], steps, bus="spi", rows=ROWS, cols=COLS, depths=SPI_DEPTHS)
    print(f"wall {res.wall_s:.1f} s (testbench {res.tb_wall_s:.1f} s), bus {res.bus}, "
          f"simulated {res.sim_ns / 1e3:.0f} us")
    gs, gl = golden_of(spec, images)
    for run in res.steps[1:]:
        np.testing.assert_array_equal(run["scores"], gs)
        np.testing.assert_array_equal(run["labels"], gl)
        assert run["driver"]["layers_sw"] == 0 and run["driver"]["errors"] == 0
    assert res.steps[1]["perf"][0]["starts"] == 1 and res.steps[1]["perf"][0]["images"] == 2
    assert res.steps[1]["perf"][0]["active"] == ideal_words(spec, ROWS)
    words = res.bus["reads"] + res.bus["writes"]
    assert res.bus["frames"] < words / 3, "consecutive words go out as bursts"


def test_cosim_bad_arguments():
    rng = np.random.default_rng(3)
    spec = randspec.random_model(rng, hidden=(8,), in_features=16, classes=3)
    x = np.zeros((2, 16), dtype=np.uint8)
    with pytest.raises(ValueError, match=r"^simulator must be one of icarus, verilator, not 'xsim'$"):
        cosim_run(spec, x, simulator="xsim")
    with pytest.raises(ValueError, match=r"^bus must be one of wishbone, spi, not 'axi'$"):
        cosim_run(spec, x, bus="axi")
    with pytest.raises(ValueError, match=r"^images must be uint8, not int64$"):
        cosim_run(spec, x.astype(np.int64))
    with pytest.raises(ValueError, match=r"^images must be \[n, \.\.\.\] with 16 bytes per image, "
                                         r"not shape \(2, 15\)$"):
        cosim_run(spec, x[:, :15])
    with pytest.raises(ValueError, match=r"^the misuse phase needs at least 3 images, not 2$"):
        cosim_run(spec, x, misuse=True)
    with pytest.raises(ValueError, match=r"^poll_limit must be an integer in 1\.\.2\*\*32-1, not 0$"):
        cosim_run(spec, x, poll_limit=0)
    with pytest.raises(ValueError, match=r"^step \{'op': 'run', 'slot': 0, 'images': 0\} runs slot 0 "
                                         r"before a load into it$"):
        cosim_session([spec], [x], [{"op": "run", "slot": 0, "images": 0}], depths=DEPTHS)


def stretch_cycles(spec, hw, rows, cols):
    """PERF_ACTIVE of one START of each stretch summed (the ops' cycle formulas, rtl/ops), each
    layer in the form it runs: a stretch's last layer as a scores layer."""
    import dataclasses
    from bittern.model.spec import Enc
    from bittern.rtl import ops
    total = 0
    for i, (layer, h) in enumerate(zip(spec.layers, hw)):
        if not h:
            continue
        if i + 1 == len(hw) or not hw[i + 1]:
            layer = dataclasses.replace(layer, out_enc=Enc.SCORES, out_bits=0)
        total += ops.find(layer, last=layer.out_enc == Enc.SCORES).cycles(layer, rows=rows, cols=cols)
    return total


def test_cosim_universal_build_every_family():
    """The C driver on the universal build (conv, planes, sparse), layers on the hardware or
    in software per layer, activations crossing over: the cnn family on binarized pixels (two
    convs on HWC maps, the second flattened into the dense head), on u8 pixels with the u8
    conv on the hardware (CONV_PLANES_U8_BIN, and int3 weights: 4 weight planes x 8 pixel
    planes a tap), and with an 8x8 u8 conv too large for this build's buffers in software; WRPN on u8 pixels (8 bit planes) around a software int8 layer (two stretches:
    the driver turns the first one's scores into uint2 codes, and the software layer's
    ternary output into the planes the second reads); GXNOR, the int3 decomposition and
    3PXNet sparse on the hardware. Each model as a batch (3 images: two STARTs per stretch),
    WRPN also image by image: exact every time, every START feeding the array
    exactly the ops' cycle estimate, bt_accel_read_perf the last START's counters."""
    seed = 2012
    print("seed", seed)
    rng = np.random.default_rng(seed)
    cases = list(universal_cases(rng).items())
    models = [spec for _, (spec, _) in cases]
    images = [rng.integers(0, 256, size=(3, spec.input_features)).astype(np.uint8)
              for spec in models]
    steps, runs = [], []
    for i, (name, _) in enumerate(cases):
        steps += [{"op": "load", "slot": 0, "model": i},
                  {"op": "run", "slot": 0, "images": i, "batch": True, "perf": True}]
        runs.append([len(steps) - 1])
        if name == "wrpn_u8_int8_sw":   # two stretches: also image by image
            steps.append({"op": "run", "slot": 0, "images": i, "perf": True})
            runs[-1].append(len(steps) - 1)
    # a descriptor the hardware refuses (the cnn's first conv overwritten with kernel 6): the
    # strict call returns BT_ERR_ACCEL with STATUS.CAUSE in last_cause, no hang; the next call
    # writes the descriptors afresh and runs exactly on the hardware
    geom = rm.pack("D_CONV_GEOM", KERNEL=6, STRIDE=1, PAD=1, POOL=2)
    steps += [{"op": "load", "slot": 0, "model": 0},
              {"op": "run", "slot": 0, "images": 0},
              {"op": "poke", "addr": rm.desc_addr(0, "D_CONV_GEOM"), "value": geom},
              {"op": "run", "slot": 0, "images": 0, "strict": True},
              {"op": "run", "slot": 0, "images": 0, "batch": True}]
    # the u8 conv's D_PLANES overwritten with one pixel plane: CONV_PLANES (its padding taps
    # would not be zero pixels), then the driver writes it afresh
    u8 = [name for name, _ in cases].index("cnn_u8")
    steps += [{"op": "load", "slot": 0, "model": u8},
              {"op": "run", "slot": 0, "images": u8},
              {"op": "poke", "addr": rm.desc_addr(0, "D_PLANES"),
               "value": rm.pack("D_PLANES", A_PLANES_M1=0, A_STEP=1, SCORE_SHIFT=1)},
              {"op": "run", "slot": 0, "images": u8, "strict": True},
              {"op": "run", "slot": 0, "images": u8, "batch": True}]
    res = cosim_session(models, images, steps, rows=ROWS, cols=COLS, depths=DEPTHS, bursts=True)
    print(f"wall {res.wall_s:.1f} s (testbench {res.tb_wall_s:.1f} s), bus {res.bus}")
    bad_planes, u8_again = res.steps[-2], res.steps[-1]
    assert bad_planes["status"] == "BT_ERR_ACCEL", bad_planes["status"]
    assert bad_planes["driver"]["last_cause"] == rm.Cause.CONV_PLANES
    assert not bad_planes["device_status"] & STATUS_BUSY
    np.testing.assert_array_equal(u8_again["scores"], golden_of(models[u8], images[u8])[0])
    ok, refused, again = res.steps[-9], res.steps[-7], res.steps[-6]
    assert refused["status"] == "BT_ERR_ACCEL" and refused["driver"]["errors"] == 1
    assert refused["driver"]["last_cause"] == rm.Cause.CONV_KERNEL
    assert not refused["device_status"] & STATUS_BUSY     # idle (and cleared by the driver)
    for run in (ok, again):
        np.testing.assert_array_equal(run["scores"], golden_of(models[0], images[0])[0])
    assert again["driver"]["errors"] == 1 and again["driver"]["layers_sw"] == ok["driver"]["layers_sw"]
    for (name, (spec, hw)), at in zip(cases, runs):
        gs, gl = golden_of(spec, images[models.index(spec)])
        stretches = sum(1 for j, h in enumerate(hw) if h and (j == 0 or not hw[j - 1]))
        ideal = stretch_cycles(spec, hw, ROWS, COLS)
        for j in at:
            run = res.steps[j]
            np.testing.assert_array_equal(run["scores"], gs, err_msg=name)
            np.testing.assert_array_equal(run["labels"], gl, err_msg=name)
            d = run["driver"]
            assert d["hw_layers"] == mask(hw) and d["errors"] == 0, name
        batch = res.steps[at[0]]
        print(f"{name}: hw {hw}, accelerator PERF_CYCLES per image (batch of 3) "
              f"{batch['perf'][0]['cycles'] / 3:.0f}, PERF_ACTIVE per START {ideal}")
        assert batch["perf"][0]["starts"] == 2 * stretches and batch["perf"][0]["images"] == 3
        assert batch["perf"][0]["active"] == 2 * ideal, name
        if len(at) > 1:
            single = res.steps[at[1]]
            assert [p["starts"] for p in single["perf"]] == [stretches] * 3, name
            assert [p["active"] for p in single["perf"]] == [ideal] * 3, name
            assert batch["perf"][0]["cycles"] < sum(p["cycles"] for p in single["perf"]), name
            assert single["driver"]["layers_sw"] - batch["driver"]["layers_sw"] == 3 * hw.count(0)
            # bt_accel_read_perf reads the device's counters of the last START
            last = single["read_perf"][-1]
            assert 0 < last["active"] <= ideal and last["cycles"] > last["active"]
