"""The accelerator driver through its transport interface (ctypes, host build).

What runs here: the probe, the "no accelerator answers" fallback, the fallback after a
hardware error, and the driver's bus traffic compared word for word with the protocol that
rtl/loader.py drives into the RTL (programming writes, input writes, START). The end-to-end
co-simulation of this driver against the RTL is a separate (lead's) step.
"""

import numpy as np
import pytest

from bittern.model import golden
from bittern.rtl import loader, regmap as rm
from bittern.runtime.capi import CApi
from bittern.runtime.cases import KERNEL_CASES, layer_case, mlp768
from bittern.model import randspec

GEOM = loader.Geometry(rows=4, cols=2, w_depth=4096, a_depth=64, t_depth=256, s_depth=64)


@pytest.fixture(scope="module")
def capi(tmp_path_factory):
    return CApi(tmp_path_factory.mktemp("rt_accel"))


class Bus:
    """Register file answering the probe; records writes. STATUS answers `status`."""

    def __init__(self, status):
        self.status = status
        self.writes = []
        self.regs = {rm.reg("ID").offset: rm.ID_VALUE,
                     rm.reg("VERSION").offset: 1,
                     rm.reg("CONFIG").offset: GEOM.rows | GEOM.cols << 8 | 32 << 16,
                     rm.reg("WBUF_DEPTH").offset: GEOM.w_depth,
                     rm.reg("ABUF_DEPTH").offset: GEOM.a_depth,
                     rm.reg("TBUF_DEPTH").offset: GEOM.t_depth,
                     rm.reg("SBUF_DEPTH").offset: GEOM.s_depth}

    def read32(self, addr):
        if addr == rm.reg("STATUS").offset:
            return self.status
        return self.regs.get(addr, 0)

    def write32(self, addr, value):
        self.writes.append((addr, value))


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


def test_driver_bus_traffic_matches_rtl_loader(rng, capi):
    spec = randspec.random_model(rng, hidden=(40, 24), in_features=70)
    x = rng.integers(0, 256, size=(1, spec.input_features), dtype=np.uint8)
    st, m = capi.load(spec)
    err = 1 << 1 | 1 << 2 | rm.Cause.UNSUPPORTED_LAYER << 8     # DONE | ERROR | cause
    bus = Bus(status=err)
    t = capi.transport(bus.read32, bus.write32)
    st, acc = capi.probe(t)
    assert st == 0 and acc.present and (acc.rows, acc.cols) == (GEOM.rows, GEOM.cols)
    for i in range(len(spec.layers)):
        assert capi.lib.bt_accel_supports(acc, m, i)
    labels, scores = capi.run_accel(acc, m, x)
    # the hardware "failed": the image was finished in software, exactly
    np.testing.assert_array_equal(scores, golden.run(spec, x).scores.numpy())
    assert acc.errors == 1 and acc.last_cause == 2
    p = loader.plan(spec, GEOM)
    want = loader.program_writes(spec, p)
    got = bus.writes
    assert sorted(got[:len(want)]) == sorted(want)
    inputs = loader.batch_writes(spec, p, x)
    assert got[len(want):len(want) + len(inputs)] == inputs
    assert got[len(want) + len(inputs)] == (rm.reg("CTRL").offset, 1)   # START
    assert got[-1] == (rm.reg("CTRL").offset, 2)                        # CLEAR after the error


def test_partial_offload_plan(rng, capi):
    """A u8 first layer stays in software; the binary dense suffix is offloaded."""
    spec = layer_case(rng, **KERNEL_CASES["dense_u8_bin"])
    st, m = capi.load(spec)
    bus = Bus(status=0x6)
    st, acc = capi.probe(capi.transport(bus.read32, bus.write32))
    assert not capi.lib.bt_accel_supports(acc, m, 0)
    assert capi.lib.bt_accel_supports(acc, m, 1)
    # 768-256-10 fits this geometry whole; with 100 weight words per bank only its last
    # layer (3 tiles x 8 words) does, so layer 0 stays in software
    st, mb = capi.load(mlp768(rng))
    assert capi.lib.bt_accel_supports(acc, mb, 0) and capi.lib.bt_accel_supports(acc, mb, 1)
    small = Bus(status=0x6)
    small.regs[rm.reg("WBUF_DEPTH").offset] = 100
    st, acc2 = capi.probe(capi.transport(small.read32, small.write32))
    assert not capi.lib.bt_accel_supports(acc2, mb, 0)
    assert capi.lib.bt_accel_supports(acc2, mb, 1)


def test_spi_transport_frames(rng, capi):
    """bt_transport_spi speaks rtl/spi.py's frames: 0x02 A2 A1 A0 D3..D0 writes, 0x03 A2 A1 A0
    <dummy> D3..D0 reads (big-endian); the driver's traffic over SPI equals the loader's."""
    from bittern.rtl import spi as rtl_spi
    spec = randspec.random_model(rng, hidden=(33,), in_features=50)
    x = rng.integers(0, 256, size=(1, spec.input_features), dtype=np.uint8)
    st, m = capi.load(spec)
    bus = Bus(status=0x206)
    frames = []

    def xfer(tx):
        frames.append(tx)
        addr = int.from_bytes(tx[1:4], "big")
        if tx[0] == rtl_spi.CMD_WRITE:
            assert len(tx) == 8
            bus.write32(addr, int.from_bytes(tx[4:8], "big"))
            return bytes(len(tx))
        assert tx[0] == rtl_spi.CMD_READ and len(tx) == 9
        return bytes(5) + bus.read32(addr).to_bytes(4, "big")

    st, acc = capi.probe(capi.spi_transport(xfer))
    assert st == 0 and acc.id == rm.ID_VALUE and acc.rows == GEOM.rows
    capi.run_accel(acc, m, x)
    p = loader.plan(spec, GEOM)
    want = loader.program_writes(spec, p)
    assert sorted(bus.writes[:len(want)]) == sorted(want)
    assert all(f[0] in (rtl_spi.CMD_WRITE, rtl_spi.CMD_READ) for f in frames)
