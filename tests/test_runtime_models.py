"""Whole trained models on real MNIST images: C runtime on the host (ASan + UBSan) and on
four emulated Cortex-M cores under QEMU, bit-exact against the golden model."""

import numpy as np
import pytest

from bittern.model import golden
from bittern.runtime.host import run_host
from bittern.runtime.mcu import run_on_core
from bittern.runtime.memory import memory_report

MICROBIT_RAM = 16 * 1024


def test_trained_mlp_host_and_four_cores(trained_mlp_spec, mnist, tmp_path):
    """One test on purpose: the trained-model fixture is then built on one xdist worker only."""
    spec = trained_mlp_spec
    x = mnist.test_x[:300]
    g = golden.run(spec, x)
    h = run_host(spec, x, build_dir=tmp_path)
    np.testing.assert_array_equal(h.scores, g.scores.numpy())
    np.testing.assert_array_equal(h.labels, g.labels.numpy())
    assert h.workspace_bytes == memory_report(spec)["workspace_bytes"]
    print(f"host: accuracy on {len(x)} held-out images "
          f"{(h.labels == np.asarray(mnist.test_y[:len(x)])).mean():.4f}")
    # 150 images keep the micro:bit image (model + images) inside its 256 KiB of flash
    x = x[:150]
    g = golden.run(spec, x)
    for cpu in ("cortex-m0", "cortex-m3", "cortex-m4", "cortex-m7"):
        res, info = run_on_core(cpu, spec, x, build_dir=tmp_path)
        assert res.labels == g.labels.tolist(), cpu
        assert res.scores == g.scores.tolist(), cpu
        assert res.calib_ticks and res.measured_instr_per_tick == pytest.approx(
            {"cortex-m0": 62.5}.get(cpu, 40.0), rel=1e-3)
        rep = info["memory"]
        assert res.workspace_bytes == rep["workspace_bytes"]
        ram = info["elf"]["ram_static"] + res.stack_bytes
        print(f"{cpu}: {res.instructions_per_image:.0f} instructions/image, flash "
              f"{info['elf']['flash']} B (model {rep['model_bytes']} B), RAM {ram} B "
              f"(workspace {rep['workspace_bytes']} B, stack {res.stack_bytes} B)")
        if cpu == "cortex-m0":
            assert ram < MICROBIT_RAM


def test_fused_conv_model_on_m0_and_m4(rng, mnist, tmp_path):
    """An eBNN-style CNN (conv-pool-threshold fused per output pixel, ping-pong bit buffers)
    with random weights on the micro:bit's 16 KiB and on M4, bit-exact."""
    from bittern.model import randspec
    from bittern.model.spec import Enc, Kind, ModelSpec
    l1 = randspec.random_layer(rng, kind=Kind.CONV, in_h=28, in_w=28, in_c=1, out_c=16, kernel=3,
                               pad=1, pool=2)
    l2 = randspec.random_layer(rng, kind=Kind.CONV, in_h=14, in_w=14, in_c=16, out_c=24, kernel=3,
                               pad=1, pool=2)
    l3 = randspec.random_layer(rng, in_c=7 * 7 * 24, out_c=10, out_enc=Enc.SCORES, out_bits=0)
    spec = ModelSpec(layers=[l1, l2, l3], in_h=28, in_w=28, in_c=1, input_threshold=100).validate()
    x = mnist.test_x[:3]
    g = golden.run(spec, x)
    for cpu in ("cortex-m0", "cortex-m4"):
        res, info = run_on_core(cpu, spec, x, build_dir=tmp_path)
        assert res.scores == g.scores.tolist(), cpu
        assert info["elf"]["ram_static"] + res.stack_bytes < MICROBIT_RAM


# Instruction bounds: regression guards measured at this commit (+~2%); the M4 sparse one is
# also inside the goal (12,000), the M4 dense goal (51,000) is not met (bench_mcu
# prints the ratios). The code bound is the
# issue's 4 KB for the binary MLP's whole runtime on the M0 and M4 (loader and validation kept;
# the per-class head is a code unit of its own, linked only for a model that has one). The
# sparse build also links sparse_b: its bound is measured (+~2%).
MLP768_BOUNDS = {  # (cpu, packs): (instructions per image, runtime code bytes, per-model build)
    ("cortex-m4", 0): (68400, 4096), ("cortex-m4", 2): (11900, 5190),
    ("cortex-m0", 0): (114500, 4096), ("cortex-m0", 2): (26300, 5600),
}


@pytest.fixture(scope="module")
def shared_build(tmp_path_factory):
    """One host + firmware build folder for the MLP cases (objects reused between them)."""
    return tmp_path_factory.mktemp("mlp768_build")


@pytest.mark.parametrize("cpu,packs", sorted(MLP768_BOUNDS))
def test_mlp768_instructions_and_code(cpu, packs, mnist, shared_build):
    """768-256-10 binary MLP (input binarized and cropped, argmax) at -O3, counted under QEMU
    -icount, in a per-model build (only its kernels linked): bit-exact, and neither the
    instruction count nor the runtime's code (loader with validation included) may grow."""
    from bittern.runtime.cases import mlp768
    spec = mlp768(np.random.default_rng(0), packs=packs)
    x = mnist.test_x[:10]
    res, info = run_on_core(cpu, spec, x, build_dir=shared_build, per_model=True)
    assert res.scores == golden.run(spec, x).scores.tolist()
    instr, code = MLP768_BOUNDS[(cpu, packs)]
    print(f"{cpu} packs={packs}: {res.instructions_per_image:.0f} instructions per image "
          f"(bound {instr}), runtime code {info['elf']['runtime_code']} B (bound {code})")
    assert res.instructions_per_image <= instr
    assert info["elf"]["runtime_code"] <= code


def test_cnn_m0_shape_instruction_bound(rng, mnist, shared_build):
    """cnn-m0's shape (u8 28x28 -> conv 32 -> conv 64 -> 10) with random weights on the M0:
    bit-exact, and the one-channel u8 first-layer kernel and conv_bb1 (one-word pixels) keep
    it under a measured bound (14.2 M instructions per image before the first, 6.64 M with it,
    4.81 M with both, 3.55 M with the first as subset-sum tables, 1.89 M with conv_bb1 stopping
    at the pool window that decides a binary output and conv_bytes_c1 gathering the four
    windows of a 3x3 pool-2 pixel from one patch and testing the threshold on all lanes at
    once, 1.74 M with conv_bb1's 3x3 window popcount in Thumb-1 asm; the issue's goal is 2 M)."""
    from bittern.model import randspec
    from bittern.model.spec import U8, Enc, Kind, ModelSpec
    l1 = randspec.random_layer(rng, kind=Kind.CONV, in_enc=U8, in_bits=8, in_h=28, in_w=28,
                               in_c=1, out_c=32, kernel=3, pad=1, pool=2)
    l2 = randspec.random_layer(rng, kind=Kind.CONV, in_h=14, in_w=14, in_c=32, out_c=64,
                               kernel=3, pad=1, pool=2)
    l3 = randspec.random_layer(rng, in_c=7 * 7 * 64, out_c=10, out_enc=Enc.SCORES, out_bits=0)
    spec = ModelSpec(layers=[l1, l2, l3], in_h=28, in_w=28, in_c=1).validate()
    x = mnist.test_x[:2]
    res, _ = run_on_core("cortex-m0", spec, x, build_dir=shared_build, per_model=True)
    assert res.scores == golden.run(spec, x).scores.tolist()
    print(f"cnn-m0 shape on M0: {res.instructions_per_image:,.0f} instructions per image")
    assert res.instructions_per_image <= 1_775_000


@pytest.mark.parametrize("cpu,bound", [("cortex-m4", 2.3), ("cortex-m0", 3.35)])
def test_wrpn_dense_per_mac_bound(cpu, bound, shared_build):
    """A WRPN dense layer (uint2 activations x ternary weights, 256 -> 256) runs bit-serial on
    dense_wrpn, not the reference kernel: measured per MAC 27.23 (ref) -> 5.74 (dense_bytes'
    two byte-mask sums) -> 2.17 (bit planes) on the M4, 35.90 -> 14.03 -> 3.17 on the M0
    (bench_mcu's per-MAC table); the bound keeps it from regressing."""
    from bittern.bench.bench_mcu import ternary_per_mac
    name = "uint2 x ter (WRPN)"
    per = ternary_per_mac(cpu, shared_build, only={name})[name]
    print(f"WRPN dense 256 -> 256 on {cpu}: {per:.3f} instructions per MAC")
    assert per <= bound
