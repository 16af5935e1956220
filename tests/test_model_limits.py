"""The model-file limits have one home (model/limits.py): the generated C header and the table
in docs/format.md are current, and the shape rules refuse each bound + 1 and accept the bound."""

from pathlib import Path

import pytest

from bittern.model import limits

ROOT = Path(__file__).resolve().parent.parent


def test_limits_generated_files_are_current():
    assert (ROOT / "runtime" / "include" / "bittern_limits.h").read_text() == \
        limits.generate_c_header()
    doc = (ROOT / "docs" / "format.md").read_text()
    assert limits.generate_markdown() in doc


def test_limits_header_is_the_only_c_copy():
    # no hand-written copy of a limit in the C sources (they include bittern_limits.h)
    src = "".join(p.read_text() for p in (ROOT / "runtime" / "src").glob("*.[ch]"))
    src += (ROOT / "runtime" / "include" / "bittern.h").read_text()
    for lim in limits.LIMITS:
        assert f"#define {limits.c_name(lim)}" not in src
    # the head's bounds too: the loader's check_head reads the generated macros
    loader = (ROOT / "runtime" / "src" / "bt_model.c").read_text()
    assert "BT_HEAD_LIMIT" in loader and "BT_HEAD_MAX_FRAC_BITS" in loader
    assert "<< 62" not in src and "62u" not in src


BASE = dict(kind=limits.CONV, in_h=8, in_w=8, in_c=4, out_c=4, kernel=3, stride=1, pad=1, pool=1)


@pytest.mark.parametrize("field,bound", [
    ("kernel", limits.MAX_KERNEL), ("in_c", limits.MAX_IN_C), ("out_c", limits.MAX_OUT_C),
    ("in_h", limits.MAX_DIM), ("in_w", limits.MAX_DIM), ("stride", limits.MAX_DIM),
    ("pool", limits.MAX_DIM)])
def test_layer_shape_error_refuses_each_field_bound_plus_one(field, bound):
    why = limits.layer_shape_error(**{**BASE, field: bound + 1})
    assert why and why.startswith(f"{field} {bound + 1} is not 1..{bound}")
    assert limits.layer_shape_error(**{**BASE, field: 0}).startswith(f"{field} 0 is not")


def test_layer_shape_error_products():
    assert limits.layer_shape_error(**BASE) is None
    big = dict(BASE, in_h=4096, in_w=4096, in_c=3, out_c=2, kernel=1, pad=0)
    assert "input tensor 4096x4096x3 is larger than" in limits.layer_shape_error(**big)
    many = dict(kind=limits.DENSE, in_h=1, in_w=1, in_c=1 << 20, out_c=17, kernel=1, stride=1,
                pad=0, pool=1)
    assert "weights are more than 16777216" in limits.layer_shape_error(**many)
    assert limits.layer_shape_error(**dict(many, out_c=16)) is None
    assert "a dense layer has" in limits.layer_shape_error(**dict(many, kernel=3))


def test_input_error_checks_each_factor_before_the_product():
    assert limits.input_error(1, 1, limits.MAX_INPUT_FEATURES) is None
    assert "in_w 4294967276 is not" in limits.input_error(1, 4294967276, 1)
    assert "more than 16777216 pixels" in limits.input_error(4096, 4096, 2)
