"""One small configuration per FPGA family to a real bitstream (YoWASP Yosys + nextpnr).

Each build must fit its device and meet its clock; the summary comes from nextpnr's JSON report.
"""

from pathlib import Path

import pytest

from bittern.bench.bench_synth import depths_for, mnist_spec
from bittern.rtl.boards import board_info, build_bitstream, ecp5_pll, ice40_pll

# Each board at the clock target (the PLL is set to it, so the bitstream runs there):
# UP5K 40 MHz (PLL 40.5), ECP5-85F 150 MHz, with buffers sized for the MNIST MLP 784-256-256-10
# on a 2x2 array (on the UP5K its weights fill the SPRAMs).
CASES = [("icebreaker", 40.0), ("ulx3s", 150.0)]


def test_build_pll_settings():
    divr, divf, divq, fr, fout = ice40_pll(12.0, 40.0)
    assert fout >= 40.0 and abs(fout - 12.0 * (divf + 1) / (divr + 1) / (1 << divq)) < 1e-9
    clki, fb, op, fout = ecp5_pll(25.0, 150.0)
    assert fout == 150.0 and 400 <= fout * op <= 800
    with pytest.raises(ValueError, match=r"^board must be one of icebreaker, ulx3s, not 'de0'$"):
        board_info("de0")


@pytest.mark.parametrize("board,target", CASES)
def test_build_small_bitstream(board, target, tmp_path):
    depths = depths_for(mnist_spec(), 2, 2)
    s = build_bitstream(board, rows=2, cols=2, out_dir=tmp_path / board, target_mhz=target,
                        timing_allow_fail=True, **depths)
    print(s.table())
    assert s.fits, s.error
    assert s.luts > 0 and s.ffs > 0 and s.ram_blocks > 0
    if board == "icebreaker":
        assert s.sprams == 4, "the MLP's weights belong in the four SPRAMs"
    assert s.bitstream and Path(s.bitstream).stat().st_size > 1000
    assert s.meets_timing, f"{board}: {s.fmax_mhz:.2f} MHz < {s.target_mhz:.2f} MHz"
