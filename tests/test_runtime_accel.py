"""The accelerator driver through its transport interface (ctypes, host build), against a
register file that records what the driver writes (the scores themselves are checked against
the RTL in tests/test_cosim.py).

What runs here: the probe and its depth clamp, the "no accelerator" fallback, the per-layer
plan, the programming image compared word for word with what rtl/loader.py writes, the
timeout rule (never CLEAR or touch a busy accelerator), the model identity (a model loaded into
the same struct, a device reset, another host), SPI bursts, the batch call in software.
"""

import numpy as np
import pytest

from bittern.model import golden, randspec
from bittern.rtl import loader, regmap as rm
from bittern.runtime.capi import CApi
from bittern.runtime.cases import (KERNEL_CASES, layer_case, mlp768, offload_cases,
                                   universal_cases, universal_geometry)
from bittern.sim.cosim import host_runtime

GEOM = loader.Geometry(rows=4, cols=2, w_depth=4096, a_depth=64, t_depth=256, s_depth=64)
BUSY, DONE, ERROR = (rm.field_of("STATUS", f).mask for f in ("BUSY", "DONE", "ERROR"))
START, CLEAR = rm.field_of("CTRL", "START").mask, rm.field_of("CTRL", "CLEAR").mask
HW_ERROR = DONE | ERROR | rm.Cause.UNSUPPORTED_LAYER << rm.field_of("STATUS", "CAUSE").lsb
R = {r.name: r.offset for r in rm.REGISTERS}
WIN = {w.name: w for w in rm.WINDOWS}


@pytest.fixture(scope="module")
def capi():
    return CApi(host_runtime())     # the co-simulation's build: make has nothing to do


class Device:
    """Register file answering the probe; STATUS answers `status`; RW registers and the
    windows keep what is written (`mem`); every write is logged in order."""

    def __init__(self, status=HW_ERROR, geom=GEOM, depths=None, after_start=None):
        self.status = status
        self.after_start = after_start      # STATUS once CTRL.START is written (None: same)
        self.writes = []
        self.mem = {}
        d = depths or (geom.w_depth, geom.a_depth, geom.t_depth, geom.s_depth)
        self.ro = {R["ID"]: rm.ID_VALUE, R["VERSION"]: rm.VERSION,
                   R["CONFIG"]: geom.rows | geom.cols << 8 | 32 << 16,
                   R["WBUF_DEPTH"]: d[0], R["ABUF_DEPTH"]: d[1], R["TBUF_DEPTH"]: d[2],
                   R["SBUF_DEPTH"]: d[3]}

    def read32(self, addr):
        if addr == R["STATUS"]:
            return self.status
        return self.ro.get(addr, self.mem.get(addr, 0))

    def write32(self, addr, value):
        self.writes.append((addr, value))
        if addr != R["CTRL"]:
            self.mem[addr] = value
        elif value & START and self.after_start is not None:
            self.status = self.after_start

    def reset(self):
        self.mem[R["MODEL_TAG"]] = 0
        self.mem[R["N_LAYERS"]] = 0

    def transport(self, capi):
        return capi.transport(self.read32, self.write32)


def window_of(addr):
    for w in rm.WINDOWS:
        if w.base <= addr < w.base + w.size:
            return w.name
    return "REG"


def assert_image_is_loaders(dev, spec, p, where=""):
    """The device holds what rtl/loader.py writes for plan p (plus zeros for the padding
    channels of a last tile), nothing else but MODEL_TAG and the input window."""
    want = dict(loader.program_writes(spec, p))
    for addr, value in want.items():
        assert dev.mem.get(addr) == value, f"{where} 0x{addr:05X}"
    for addr, value in dev.mem.items():
        if addr not in want and addr != R["MODEL_TAG"] and window_of(addr) != "ABUF":
            assert value == 0 and window_of(addr) in ("WBUF", "REG"), f"{where} 0x{addr:05X}"


def test_no_accelerator_falls_back(rng, capi):
    spec = randspec.random_model(rng)
    x = rng.integers(0, 256, size=(6, spec.input_features), dtype=np.uint8)
    st, m = capi.load(spec)
    assert st == 0
    silent = capi.transport(lambda a: 0, lambda a, v: None)
    st, acc = capi.probe(silent)
    assert capi.error_name(st) == "BT_ERR_NO_ACCEL" and not acc.present
    st, acc0 = capi.probe(None)
    assert capi.error_name(st) == "BT_ERR_NO_ACCEL"
    labels, scores = capi.run_accel(acc, m, x)
    g = golden.run(spec, x)
    np.testing.assert_array_equal(scores, g.scores.numpy())
    assert acc.layers_hw == 0 and acc.layers_sw == 6 * len(spec.layers)


def test_programming_image_matches_rtl_loader(rng, capi):
    """Whole-model offload: the driver leaves the device's buffers and descriptors as
    rtl/loader.py would (plus zeros for the padding channels of a last tile), then uploads
    the image where the loader does and starts; after the hardware's error it finishes the
    image in software, exactly, and clears the (idle) accelerator."""
    spec = randspec.random_model(rng, hidden=(40, 24), in_features=70)
    x = rng.integers(0, 256, size=(1, spec.input_features), dtype=np.uint8)
    st, m = capi.load(spec)
    dev = Device()
    st, acc = capi.probe(dev.transport(capi))
    assert st == 0 and acc.present and (acc.rows, acc.cols) == (GEOM.rows, GEOM.cols)
    assert all(capi.lib.bt_accel_supports(acc, m, i) for i in range(len(spec.layers)))
    labels, scores = capi.run_accel(acc, m, x)
    np.testing.assert_array_equal(scores, golden.run(spec, x).scores.numpy())
    assert acc.errors == 1 and acc.last_cause == rm.Cause.UNSUPPORTED_LAYER
    p = loader.plan(spec, GEOM)
    assert_image_is_loaders(dev, spec, p)
    assert dev.mem[R["MODEL_TAG"]] == acc.tag != 0
    start = dev.writes.index((R["CTRL"], START))
    inputs = dict(loader.batch_writes(spec, p, x))
    uploaded = dict(dev.writes[start - 2 * len(inputs):start])     # both columns
    assert all(uploaded[a] == v for a, v in inputs.items())
    assert dev.writes[-1] == (R["CTRL"], CLEAR)     # CLEAR after the error: the device is idle


def test_plan_per_layer(rng, capi):
    """Every supported layer that fits is offloaded, not only a suffix: a u8 first layer
    and a ternary last layer stay in software around a hardware middle; software layers
    between two hardware stretches; a CNN's dense head after software convolutions."""
    dev = Device()
    st, acc = capi.probe(dev.transport(capi))
    for name, (spec, want) in offload_cases(rng).items():
        st, m = capi.load(spec)
        got = [capi.lib.bt_accel_supports(acc, m, i) for i in range(len(spec.layers))]
        assert got == want, name
    # a dense u8 first layer never runs in hardware; the binary suffix does
    st, m = capi.load(layer_case(rng, **KERNEL_CASES["dense_u8_bin"]))
    assert [capi.lib.bt_accel_supports(acc, m, i) for i in range(2)] == [0, 1]
    # 768-256-10: with 100 weight words per bank only its last layer (3 tiles x 8 words) fits
    st, mb = capi.load(mlp768(rng))
    assert capi.lib.bt_accel_supports(acc, mb, 0) and capi.lib.bt_accel_supports(acc, mb, 1)
    small = Device(depths=(100, GEOM.a_depth, GEOM.t_depth, GEOM.s_depth))
    st, acc2 = capi.probe(small.transport(capi))
    assert [capi.lib.bt_accel_supports(acc2, mb, i) for i in range(2)] == [0, 1]
    # a hidden layer whose scores do not fit the score buffer cannot end a stretch: with 8
    # score words per bank the 40-output first layer of sw_middle (10 tiles x 2) runs in software
    spec, _ = offload_cases(rng)["sw_middle"]
    tight = Device(depths=(GEOM.w_depth, GEOM.a_depth, GEOM.t_depth, 8))
    st, acc3 = capi.probe(tight.transport(capi))
    st, m = capi.load(spec)
    assert [capi.lib.bt_accel_supports(acc3, m, i) for i in range(5)] == [0, 0, 0, 1, 1]


def test_timeout_leaves_busy_accelerator_alone(rng, capi):
    """Reproducer: the driver used to write CTRL.CLEAR to an accelerator still BUSY after
    poll_limit polls. Now it writes nothing more, counts the timeout, finishes in software
    (or returns BT_ERR_ACCEL without fallback), touches nothing while the run goes on, and
    clears the device once it is idle."""
    spec = randspec.random_model(rng, hidden=(40,), in_features=70)
    x = rng.integers(0, 256, size=(2, spec.input_features), dtype=np.uint8)
    g = golden.run(spec, x).scores.numpy()
    st, m = capi.load(spec)
    dev = Device(status=DONE, after_start=BUSY)
    st, acc = capi.probe(dev.transport(capi))
    acc.poll_limit = 3
    labels, scores = capi.run_accel(acc, m, x[:1])
    np.testing.assert_array_equal(scores, g[:1])
    assert dev.writes[-1] == (R["CTRL"], START), "nothing may follow START while BUSY"
    assert acc.timeouts == 1 and acc.pending == 1
    n = len(dev.writes)
    labels, scores = capi.run_accel(acc, m, x[1:])     # still busy: hands off, software
    np.testing.assert_array_equal(scores, g[1:])
    assert len(dev.writes) == n and acc.timeouts == 1
    acc.sw_fallback = 0
    st, _, _ = capi.run_accel_batch(acc, m, x[1:])
    assert capi.error_name(st) == "BT_ERR_ACCEL" and len(dev.writes) == n
    dev.status, dev.after_start = DONE | ERROR, None    # the run ended (with an error)
    acc.sw_fallback = 1
    labels, scores = capi.run_accel(acc, m, x[1:])
    np.testing.assert_array_equal(scores, g[1:])
    assert dev.writes[n] == (R["CTRL"], CLEAR) and acc.pending == 0     # CLEAR, now idle


def test_model_identity_by_content(rng, capi):
    """Reproducer (#17 item 2): the driver took "programmed" from the bt_model_t pointer, so
    model B loaded into A's struct ran on A's weights. It now compares the model's tag with
    the device's MODEL_TAG on every call: another model, a device reset and another host's
    model are each re-programmed; the same model is not."""
    spec_a = randspec.random_model(rng, hidden=(40,), in_features=70)
    spec_b = randspec.random_model(rng, hidden=(24,), in_features=70)
    x = rng.integers(0, 256, size=(1, 70), dtype=np.uint8)
    wb = WIN["WBUF"]

    def wbuf(d):
        return {a: v for a, v in d.mem.items() if window_of(a) == "WBUF"}

    def loader_wbuf(spec):
        return {a: v for a, v in loader.program_writes(spec, loader.plan(spec, GEOM))
                if wb.base <= a < wb.base + wb.size}

    dev = Device()
    st, acc = capi.probe(dev.transport(capi))
    st, m = capi.load(spec_a)
    capi.run_accel(acc, m, x)
    assert acc.programs == 1
    capi.run_accel(acc, m, x)
    assert acc.programs == 1, "the same model is not programmed twice"
    tag_a = dev.mem[R["MODEL_TAG"]]
    # B into the same struct: re-programmed with B's weights
    before = len(dev.writes)
    st, _ = capi.load(spec_b, into=m)
    assert st == 0
    capi.run_accel(acc, m, x)
    assert acc.programs == 2 and len(dev.writes) > before
    assert dev.mem[R["MODEL_TAG"]] not in (0, tag_a)
    got = wbuf(dev)
    for a, v in loader_wbuf(spec_b).items():
        assert got[a] == v, f"B's weight at 0x{a:05X}"
    # a reset of the device: MODEL_TAG reads 0, the model is written again
    dev.reset()
    capi.run_accel(acc, m, x)
    assert acc.programs == 3
    # another host programs A; this host's next run of B re-programs B
    st, other = capi.probe(dev.transport(capi))
    st, ma = capi.load(spec_a)
    capi.run_accel(other, ma, x)
    assert dev.mem[R["MODEL_TAG"]] == tag_a
    capi.run_accel(acc, m, x)
    assert acc.programs == 4 and dev.mem[R["MODEL_TAG"]] != tag_a


def test_depth_clamp(rng, capi):
    """Reproducer (#17 item 3): depths the device reports are clamped to the register map's
    windows, so a device (or a bus fault) reporting huge depths cannot make programming
    write weights past the weight window (into the activation window)."""
    geom = loader.Geometry(rows=128, cols=2, w_depth=0, a_depth=0, t_depth=0, s_depth=0)
    huge = 0xFFFFFFFF
    dev = Device(geom=geom, depths=(huge, huge, huge, huge))
    st, acc = capi.probe(dev.transport(capi))
    assert st == 0
    assert acc.w_depth == WIN["WBUF"].size // 4 // 128
    assert acc.a_depth == WIN["ABUF"].size // 4 // 2
    assert acc.t_depth == WIN["TBUF"].size // 8 // 128
    assert acc.s_depth == WIN["SBUF"].size // 4 // 128
    # 640 -> 3328 scores: 26 tiles x 20 words = 520 words per bank, the window holds 512
    spec = randspec.random_model(rng, hidden=(), in_features=640, classes=3328)
    st, m = capi.load(spec)
    assert not capi.lib.bt_accel_supports(acc, m, 0)
    x = rng.integers(0, 256, size=(1, 640), dtype=np.uint8)
    labels, scores = capi.run_accel(acc, m, x)
    np.testing.assert_array_equal(scores, golden.run(spec, x).scores.numpy())
    assert all(window_of(a) in ("REG", "WBUF") for a, _ in dev.writes if a >= 0x40000)
    assert not any(window_of(a) == "ABUF" for a, _ in dev.writes)


def test_spi_bursts(rng, capi):
    """bt_transport_spi speaks rtl/spi.py's frames (0x02 A2 A1 A0 then words; 0x03 A2 A1 A0
    <dummy> then words) and sends consecutive words as bursts: the programming image equals
    the loader's, in about one frame per 32 words."""
    from bittern.rtl import spi as rtl_spi
    spec = randspec.random_model(rng, hidden=(33,), in_features=50)
    x = rng.integers(0, 256, size=(1, spec.input_features), dtype=np.uint8)
    st, m = capi.load(spec)
    dev = Device(status=DONE)
    frames = []

    def xfer(tx):
        frames.append(tx)
        addr = int.from_bytes(tx[1:4], "big")
        if tx[0] == rtl_spi.CMD_WRITE:
            assert len(tx) >= 8 and len(tx) % 4 == 0
            for i in range(4, len(tx), 4):
                dev.write32(addr + i - 4, int.from_bytes(tx[i:i + 4], "big"))
            return bytes(len(tx))
        assert tx[0] == rtl_spi.CMD_READ and len(tx) >= 9 and (len(tx) - 5) % 4 == 0
        return bytes(5) + b"".join(dev.read32(addr + 4 * i).to_bytes(4, "big")
                                   for i in range((len(tx) - 5) // 4))

    st, acc = capi.probe(capi.spi_transport(xfer))
    assert st == 0 and acc.id == rm.ID_VALUE and acc.rows == GEOM.rows
    capi.run_accel(acc, m, x)
    want = dict(loader.program_writes(spec, loader.plan(spec, GEOM)))
    assert all(dev.mem[a] == v for a, v in want.items())
    words = sum((len(f) - 4) // 4 if f[0] == rtl_spi.CMD_WRITE else (len(f) - 5) // 4
                for f in frames)
    print(f"{len(frames)} frames for {words} words")
    assert max(len(f) for f in frames) == 4 + 4 * 32
    assert len(frames) < words / 8


def test_batch_software_only(rng, capi):
    """bt_run_accel_batch without an accelerator: every image exact, with fewer workspace
    slots than images; bad arguments give a status, never a crash."""
    spec, _ = offload_cases(rng)["cnn"]
    x = rng.integers(0, 256, size=(5, spec.input_features), dtype=np.uint8)
    st, m = capi.load(spec)
    st, acc = capi.probe(None)
    st, labels, scores = capi.run_accel_batch(acc, m, x, slots=2)
    g = golden.run(spec, x)
    assert st == 0
    np.testing.assert_array_equal(scores, g.scores.numpy())
    np.testing.assert_array_equal(labels, g.labels.numpy())
    st, _, _ = capi.run_accel_batch(acc, m, x, slots=0)
    assert capi.error_name(st) == "BT_ERR_WORKSPACE"
    assert capi.error_name(capi.lib.bt_run_accel_batch(acc, m, x.ctypes.data, 0, None, 0, None,
                                                       None)) == "BT_ERR_NULL"


def test_reset_into_another_geometry(rng, capi):
    """A device reset that brings another build (here: one column instead of two) is seen
    through MODEL_TAG; the driver re-reads the geometry before it programs and batches."""
    spec = randspec.random_model(rng, hidden=(40,), in_features=70)
    x = rng.integers(0, 256, size=(2, 70), dtype=np.uint8)
    dev = Device()
    st, acc = capi.probe(dev.transport(capi))
    st, m = capi.load(spec)
    st, labels, scores = capi.run_accel_batch(acc, m, x)
    assert st == 0 and dev.writes.count((R["CTRL"], START)) == 1     # both images, one START
    dev.reset()
    dev.ro[R["CONFIG"]] = GEOM.rows | 1 << 8 | 32 << 16
    n = len(dev.writes)
    st, labels, scores = capi.run_accel_batch(acc, m, x)
    np.testing.assert_array_equal(scores, golden.run(spec, x).scores.numpy())
    assert acc.cols == 1 and acc.programs == 2
    assert dev.writes[n:].count((R["CTRL"], START)) == 2               # one image per START


def test_sparse_programming_image_matches_rtl_loader(capi):
    """3PXNet sparse layers: on a device whose FEATURES has the sparse datapath the driver
    offloads them and writes their kept weight words, pack indices (IBUF) and D_SPARSE words
    as rtl/loader.py does; on one without (FEATURES 0) they stay in software."""
    seed = 42
    print("seed", seed)
    rng = np.random.default_rng(seed)
    spec = randspec.random_family_model(rng, "sparse")
    spec.layers[1] = randspec.random_layer(rng, in_c=64, out_c=30, w_enc=3, packs=1)
    spec.layers[2] = randspec.random_layer(rng, in_c=30, out_c=10, out_enc=0, out_bits=0)
    spec.validate()
    geom = loader.Geometry(**{**GEOM.__dict__, "i_depth": 32, "sparse_words": 2})
    x = rng.integers(0, 2, size=(1, spec.input_features), dtype=np.uint8) * 255
    st, m = capi.load(spec)
    plain = Device()
    st, acc = capi.probe(plain.transport(capi))
    assert [capi.lib.bt_accel_supports(acc, m, i) for i in range(3)] == [1, 0, 1]
    dev = Device(geom=geom)
    dev.ro[R["FEATURES"]] = rm.pack("FEATURES", SPARSE=1, SPARSE_WORDS=2)
    dev.ro[R["IBUF_DEPTH"]] = geom.i_depth
    st, acc = capi.probe(dev.transport(capi))
    assert (acc.sparse_words, acc.i_depth) == (2, 32)
    assert [capi.lib.bt_accel_supports(acc, m, i) for i in range(3)] == [1, 1, 1]
    labels, scores = capi.run_accel(acc, m, x)
    np.testing.assert_array_equal(scores, golden.run(spec, x).scores.numpy())
    want = dict(loader.program_writes(spec, loader.plan(spec, geom)))
    assert any(window_of(a) == "IBUF" for a in want)
    for addr, value in want.items():
        assert dev.mem.get(addr) == value, f"0x{addr:05X}"


def universal_device(features=None):
    """A Device answering as the universal build (conv, planes, sparse) of cases.UNIVERSAL,
    or with another FEATURES value; its loader Geometry."""
    geom = universal_geometry()
    dev = Device(geom=geom)
    dev.ro[R["FEATURES"]] = geom.features if features is None else features
    dev.ro[R["IBUF_DEPTH"]] = geom.i_depth
    return dev, geom


def test_conv_and_planes_programming_image_matches_rtl_loader(capi):
    """Conv (CONV_XNOR: HWC weights, the conv descriptor words, FLAT into the dense head)
    and plane layers (DENSE_PLANES_*: weight planes, thermometer output channels, folded
    thresholds and score offsets, D_PLANES words) on a universal build: the driver's
    programming image equals rtl/loader.py's word for word, and the first input it uploads
    (HWC pixels; u8 bit planes) equals loader.batch_writes'. Layers whose op a build lacks
    stay in software, each with its reason (bt_accel_layer_why)."""
    seed = 2011
    print("seed", seed)
    rng = np.random.default_rng(seed)
    cases = universal_cases(rng)
    for name, (spec, want_hw) in cases.items():
        x = rng.integers(0, 256, size=(1, spec.input_features), dtype=np.uint8)
        st, m = capi.load(spec)
        dev, geom = universal_device()
        st, acc = capi.probe(dev.transport(capi))
        assert st == 0 and acc.features == geom.features
        n = len(spec.layers)
        assert [capi.lib.bt_accel_supports(acc, m, i) for i in range(n)] == want_hw, name
        labels, scores = capi.run_accel(acc, m, x)      # the device answers an error: software
        np.testing.assert_array_equal(scores, golden.run(spec, x).scores.numpy(), err_msg=name)
        if not all(want_hw):
            # BUFFERS (4): the 8x8 u8 conv's plane words; LIMITS (3): int8 weights (the planes
            # run int-k to 7)
            sw = want_hw.index(0)
            assert capi.lib.bt_accel_layer_why(acc, m, sw) == {"cnn_u8_first_sw": 4}.get(name, 3), name
            continue
        p = loader.plan(spec, geom)
        assert_image_is_loaders(dev, spec, p, name)
        start = dev.writes.index((R["CTRL"], START))
        uploaded = {a: v for a, v in dev.writes[:start] if window_of(a) == "ABUF"}
        inputs = dict(loader.batch_writes(spec, p, x))
        assert inputs and all(uploaded[a] == v for a, v in inputs.items()), name
    # builds without the op: the layers stay in software and say why (NOT_IN_BUILD)
    spec, _ = cases["cnn_binarized"]
    st, m = capi.load(spec)
    dev, _ = universal_device(features=rm.pack("FEATURES", PLANES=1))
    st, acc = capi.probe(dev.transport(capi))
    assert [capi.lib.bt_accel_layer_why(acc, m, i) for i in range(3)] == [2, 2, 0]
    spec, _ = cases["gxnor"]
    st, m = capi.load(spec)
    dev, _ = universal_device(features=rm.pack("FEATURES", CONV=1))
    st, acc = capi.probe(dev.transport(capi))
    assert [capi.lib.bt_accel_layer_why(acc, m, i) for i in range(3)] == [2, 2, 2]
    st, acc = capi.probe(None)
    assert capi.lib.bt_accel_layer_why(acc, m, 0) == 5


def test_stretch_crossing_uint_codes_into_planes(capi):
    """A hardware stretch whose last layer has uint2 output, a software layer (int8 weights:
    beyond the planes' int-k), then a stretch starting at a uint2 input: the driver turns the
    first stretch's accumulators into codes with the layer's thresholds and the software
    layer's codes into the thermometer planes the next op reads (dense_planes.input_words).
    The device answers every run with accumulators 0, so the expected words follow from that."""
    import torch
    from bittern.model.spec import U8, Enc, ModelSpec, WEnc
    from bittern.rtl.ops.dense_planes import input_words
    seed = 2013
    print("seed", seed)
    rng = np.random.default_rng(seed)
    rl = randspec.random_layer
    spec = ModelSpec(layers=[
        rl(rng, in_enc=U8, in_bits=8, w_enc=WEnc.TERNARY, w_bits=2, in_c=40, out_c=20,
           out_enc=Enc.UINT, out_bits=2),
        rl(rng, in_enc=Enc.UINT, in_bits=2, w_enc=WEnc.INT, w_bits=8, in_c=20, out_c=36,
           out_enc=Enc.UINT, out_bits=2),
        rl(rng, in_enc=Enc.UINT, in_bits=2, w_enc=WEnc.TERNARY, w_bits=2, in_c=36, out_c=10,
           out_enc=Enc.SCORES, out_bits=0),
    ], in_h=1, in_w=1, in_c=40, input_threshold=0).validate()
    x = rng.integers(0, 256, size=(1, 40), dtype=np.uint8)
    st, m = capi.load(spec)
    dev, geom = universal_device()
    dev.status = DONE
    st, acc = capi.probe(dev.transport(capi))
    assert [capi.lib.bt_accel_supports(acc, m, i) for i in range(3)] == [1, 0, 1]
    capi.run_accel(acc, m, x)
    assert acc.runs_hw == 2 and acc.errors == 0
    _, codes = golden.post_accumulate(torch.zeros(1, 1, 1, 20, dtype=torch.int64), spec.layers[0])
    v = golden.run_layer(codes, spec.layers[1]).values.reshape(1, -1)
    want = input_words(spec.layers[2], v)[0]               # 3 planes x 2 words
    starts = [i for i, w in enumerate(dev.writes) if w == (R["CTRL"], START)]
    abuf = WIN["ABUF"].base
    got = {a: v for a, v in dev.writes[starts[0]:starts[1]] if window_of(a) == "ABUF"}
    assert [got[abuf + 4 * k * geom.cols] for k in range(len(want))] == [int(w) for w in want]
