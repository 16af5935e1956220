"""bench_area's roll-up of Yosys' per-module counts (the synthesis itself runs in the bench)."""

from bittern.bench.bench_area import breakdown, table


def test_area_breakdown_adds_children_and_skips_foreign_modules():
    counts = {"top": {"SB_LUT4": 1}, "top.accel": {"SB_LUT4": 10, "SB_DFFE": 4},
              "top.accel.array": {"SB_LUT4": 5, "SB_CARRY": 2, "SB_RAM40_4K": 1},
              "top.accelx": {"SB_LUT4": 7},          # a sibling whose name starts alike
              "SB_LUT4_wrapper": {"SB_LUT4": 99}}    # not part of the design's hierarchy
    rows = {name: (own, tot) for name, own, tot in breakdown(counts, "ice40")}
    assert set(rows) == {"top", "top.accel", "top.accel.array", "top.accelx"}
    assert rows["top.accel"][1] == {"lut": 15, "carry": 2, "ff": 4, "ram": 1, "spram": 0, "dsp": 0}
    assert rows["top"][1]["lut"] == 23
    text = table(breakdown(counts, "ice40"), board="icebreaker", rows_cols=(2, 2), commit="x")
    assert "| &nbsp;&nbsp;accel | 10 | 0 | 4 | 17 | 4 | 1 | 0 | 68.0% |" in text
