"""C runtime kernels vs the golden model, bit-exact, on the host under ASan + UBSan.

Every layer kind of docs/numerics.md sits behind an adapter layer (so it receives any
activation encoding from a real u8 image) and in front of a scores head; the C runtime's
per-layer outputs and scores must equal the golden trace exactly.
"""

import dataclasses

import numpy as np
import pytest

from bittern.model import golden
from bittern.model.spec import U8, Enc, Head, WEnc
from bittern.runtime.build import build_host
from bittern.runtime.cases import KERNEL_CASES, layer_case, mlp768
from bittern.runtime.host import layer_kernels, run_host
from bittern.runtime.mcu import run_on_core


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("rt_build")
    build_host(d)
    return d


def check_trace(spec, x, h):
    g = golden.run(spec, x)
    b = x.shape[0]
    for i, t in enumerate(g.trace):
        want = t.values.reshape(b, -1).numpy()
        got = np.stack([h.trace[j][i] for j in range(b)])
        assert got.shape == want.shape, f"layer {i}: shape {got.shape} vs {want.shape}"
        diff = np.argwhere(got != want)
        assert not diff.size, (f"layer {i} ({spec.layers[i].where(i)}): {len(diff)} elements differ, "
                               f"first at {diff[0].tolist()}: C {got[tuple(diff[0])]} golden "
                               f"{want[tuple(diff[0])]}")
    np.testing.assert_array_equal(h.scores, g.scores.numpy())
    np.testing.assert_array_equal(h.labels, g.labels.numpy())
    return g


@pytest.mark.parametrize("name", sorted(KERNEL_CASES))
def test_kernel_matches_golden(name, rng, build_dir):
    spec = layer_case(rng, **KERNEL_CASES[name])
    x = rng.integers(0, 256, size=(8, spec.input_features), dtype=np.uint8)
    h = run_host(spec, x, trace=True, build_dir=build_dir)
    g = check_trace(spec, x, h)
    # the layer under test must produce more than one distinct value, or the check is weak
    kw = KERNEL_CASES[name]
    idx = 0 if kw.get("in_enc", Enc.BINARY) == U8 or not kw.get("adapter", True) else 1
    assert len(np.unique(g.trace[idx].values.numpy())) > 1


@pytest.mark.parametrize("name", sorted(KERNEL_CASES))
def test_every_claiming_kernel_matches_golden(name, rng, build_dir):
    """Larq/CMSIS-NN style: each kernel of the table that supports a layer is forced onto it
    and must match the golden model, so a fast path is covered even when the table would
    pick another kernel; the reference kernel supports every layer and is listed last."""
    spec = layer_case(rng, **KERNEL_CASES[name])
    x = rng.integers(0, 256, size=(4, spec.input_features), dtype=np.uint8)
    g = golden.run(spec, x)
    for i, names in enumerate(layer_kernels(spec, build_dir=build_dir)):
        assert names[-1] == "ref", f"layer {i}: {names}"
        for kernel in names:
            h = run_host(spec, x, trace=True, build_dir=build_dir, force=(i, kernel))
            want = g.trace[i].values.reshape(len(x), -1).numpy()
            got = np.stack([h.trace[j][i] for j in range(len(x))])
            assert np.array_equal(got, want), f"layer {i} by kernel {kernel} differs from golden"
            np.testing.assert_array_equal(h.scores, g.scores.numpy(), err_msg=kernel)


def test_forcing_a_kernel_that_does_not_claim_the_layer_fails(rng, build_dir):
    spec = layer_case(rng, **KERNEL_CASES["dense_u8_bin"])
    x = rng.integers(0, 256, size=(1, spec.input_features), dtype=np.uint8)
    with pytest.raises(RuntimeError, match="BT_ERR_ARG"):
        run_host(spec, x, build_dir=build_dir, force=(0, "dense_bb"))


def test_per_model_build_rejects_a_layer_it_has_no_kernel_for(rng, build_dir, tmp_path):
    """A build with only the binary MLP's code (dense_bb, binarize) runs that MLP bit-exactly
    and refuses a model with a ternary layer at load time, naming the layer."""
    from bittern.runtime.host import model_units
    mlp = mlp768(rng)
    units = model_units(mlp, build_dir=build_dir)
    assert units == ["binarize", "dense_bb"]
    build_host(tmp_path / "small", kernels=units)
    x = rng.integers(0, 256, size=(2, 28, 28, 1), dtype=np.uint8)
    check_trace(mlp, x, run_host(mlp, x, trace=True, build_dir=tmp_path / "small"))
    ter = layer_case(rng, **KERNEL_CASES["dense_bin_ter_ter"])
    with pytest.raises(RuntimeError, match="E BT_ERR_KERNEL 1"):
        run_host(ter, x.reshape(2, -1)[:1, :ter.input_features], build_dir=tmp_path / "small")
    # the per-class head is a unit of its own: the same MLP with one needs it, and a build
    # without it refuses that model at load time instead of ignoring the head
    headed = dataclasses.replace(mlp, head=Head(mult=np.arange(1, 11, dtype=np.int64),
                                                offset=np.zeros(10, dtype=np.int64))).validate()
    assert model_units(headed, build_dir=build_dir) == ["binarize", "dense_bb", "head"]
    with pytest.raises(RuntimeError, match="E BT_ERR_KERNEL"):
        run_host(headed, x, build_dir=tmp_path / "small")


def test_random_odd_sizes(rng, build_dir):
    """Random dense/conv binary and ternary layers with sizes around word boundaries."""
    for _ in range(6):
        in_c = int(rng.choice([1, 31, 32, 33, 63, 65, 95]))
        out_c = int(rng.choice([1, 5, 31, 32, 33]))
        kw = dict(w_enc=WEnc(int(rng.choice([1, 2]))), in_c=in_c, out_c=out_c,
                  out_enc=Enc(int(rng.choice([1, 2]))), in_enc=Enc(int(rng.choice([1, 2]))))
        kw["out_bits"] = 1 if kw["out_enc"] == Enc.BINARY else 2
        kw["in_bits"] = 1 if kw["in_enc"] == Enc.BINARY else 2
        if rng.random() < 0.5:
            k = int(rng.integers(1, 4))
            kw.update(kind=2, in_h=int(rng.integers(k, 7)), in_w=int(rng.integers(k, 7)),
                      kernel=k, pad=int(rng.integers(0, k)), stride=int(rng.integers(1, 3)))
            kw["in_c"] = min(in_c, 40)
        spec = layer_case(rng, **kw)
        x = rng.integers(0, 256, size=(4, spec.input_features), dtype=np.uint8)
        check_trace(spec, x, run_host(spec, x, trace=True, build_dir=build_dir))


@pytest.mark.parametrize("packs", [0, 2])
def test_mlp768_host(packs, rng, build_dir):
    spec = mlp768(rng, packs=packs)
    x = rng.integers(0, 256, size=(16, 28, 28, 1), dtype=np.uint8)
    check_trace(spec, x, run_host(spec, x, trace=True, build_dir=build_dir))


@pytest.fixture(scope="module")
def fw_build(tmp_path_factory):
    """One firmware build folder for the QEMU cases: the library objects are built once per
    core and popcount form, only the model data and main differ between cases."""
    return tmp_path_factory.mktemp("fw_build")


@pytest.mark.parametrize("name", ["conv_ter_ter_pad2", "sparse_ter_in", "dense_u8_int2",
                                  "conv_u8_bin_pool", "conv_u8_bin_c1", "dense_ter_ter_bin",
                                  "dense_uint4_ter_uint2"])
def test_kernels_on_cortex_m0_and_m4(name, rng, fw_build):
    """The same kernels cross-compiled under QEMU: M0 with the byte-table popcount, M4 with
    SWAR/Harley-Seal (the M0 default is covered by the trained-model test)."""
    spec = layer_case(rng, **KERNEL_CASES[name])
    x = rng.integers(0, 256, size=(4, spec.input_features), dtype=np.uint8)
    g = golden.run(spec, x)
    for cpu, pop in (("cortex-m0", 1), ("cortex-m4", None)):
        res, _ = run_on_core(cpu, spec, x, build_dir=fw_build, popcount=pop)
        assert res.scores == g.scores.tolist(), cpu
        assert res.labels == g.labels.tolist(), cpu


@pytest.mark.parametrize("cpu", ["cortex-m0", "cortex-m3", "cortex-m4"])
def test_pop_xor_on_cores(cpu, fw_build):
    """The hand-written popcount block loops (src/bt_pop.h: Thumb-1 on the M0, ARMv7-M asm
    without and with DSP on the M3 and M4; the M7 runs the M4's) under QEMU, through
    bt_pop_xor: all bits differing and seeded pseudo-random words, 0-65 words and the
    lengths around the 248-word split (runtime/tests/pop_fw.c prints the first wrong count).
    Whole-model tests rarely reach the large counts where a narrow sum overflows."""
    from bittern.runtime.build import RUNTIME_DIR, build_firmware
    from bittern.runtime.qemu import run_elf
    elf = build_firmware(cpu, None, workspace_bytes=4, build_dir=fw_build, name="pop_fw",
                         main=RUNTIME_DIR / "tests" / "pop_fw.c")
    out = run_elf(cpu, elf).output.strip()
    assert out == "OK", out


def test_pop_xor_counts_every_bit(build_dir):
    """The Harley-Seal popcount (src/bt_pop.h; dense_bb inlines the same code) against numpy
    at the counts that overflow a narrow sum: all bits set, 0..300 words (blocks, the 0-7
    word tail, and bt_pop_xor's split of runs over 248 words), plus seeded random words."""
    import ctypes as C
    from bittern.runtime.capi import CApi
    lib = CApi(build_dir).lib
    lib.bt_pop_xor.restype = C.c_uint32
    lib.bt_pop_xor.argtypes = [C.c_void_p, C.c_void_p, C.c_uint32]
    seed = 16
    print(f"seed {seed}")
    rng = np.random.default_rng(seed)
    for n in list(range(0, 66)) + [190, 196, 247, 248, 249, 255, 256, 300]:
        for a, b in ((np.zeros(n, np.uint32), np.full(n, 0xFFFFFFFF, np.uint32)),
                     (rng.integers(0, 2**32, n, dtype=np.uint32),
                      rng.integers(0, 2**32, n, dtype=np.uint32))):
            want = int(np.unpackbits((a ^ b).view(np.uint8)).sum())
            got = lib.bt_pop_xor(a.ctypes.data, b.ctypes.data, n)
            assert got == want, (n, got, want)
