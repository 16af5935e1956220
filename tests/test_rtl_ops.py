"""The hardware op registry (rtl/ops/): generated C table and docs table, the C table against
the Python one (compiled with the host gcc), refusals naming the layer, and buffer sizing that
is exactly what the plan uses."""

import subprocess
from pathlib import Path

import numpy as np
import pytest

from bittern.model import randspec
from bittern.model.spec import U8, Enc, Kind, WEnc
from bittern.rtl import loader, ops
from bittern.rtl import regmap as rm
from bittern.rtl.ops import expr
from bittern.rtl.ops.base import BANKS, PARAMS
from bittern.rtl.ops.dense_planes import DensePlanes
from bittern.rtl.ops.generate import generate_c_header, spliced_accelerator_doc

ROOT = Path(__file__).resolve().parent.parent


def test_ops_generated_files_are_current():
    assert (ROOT / "runtime" / "include" / "bittern_ops.h").read_text() == generate_c_header(), \
        "run python -m bittern.rtl.ops"
    doc = (ROOT / "docs" / "accelerator.md").read_text()
    assert doc == spliced_accelerator_doc(doc), "run python -m bittern.rtl.ops"


def _layers(rng):
    """Supported and unsupported layers of every kind and encoding, with odd sizes."""
    out = []
    for in_c, out_c in ((1, 1), (33, 7), (70, 40), (784, 96), (64, 10)):
        for out_enc, out_bits in ((Enc.BINARY, 1), (Enc.SCORES, 0), (Enc.UINT, 2)):
            out.append(randspec.random_layer(rng, in_c=in_c, out_c=out_c, out_enc=out_enc,
                                             out_bits=out_bits))
    out.append(randspec.random_layer(rng, w_enc=WEnc.TERNARY, w_bits=2))
    out.append(randspec.random_layer(rng, in_enc=Enc.TERNARY, in_bits=2))
    out.append(randspec.random_layer(rng, kind=Kind.CONV, in_h=6, in_w=6, in_c=3, out_c=5, kernel=3))
    out.append(randspec.random_layer(rng, in_c=96, out_c=13, w_enc=WEnc.SPARSE, packs=2))
    out.append(randspec.random_layer(rng, in_c=64, out_c=10, w_enc=WEnc.SPARSE, packs=1,
                                     out_enc=Enc.SCORES, out_bits=0))
    return out


def test_ops_c_table_agrees_with_python(tmp_path):
    seed = 31
    print("seed", seed)
    layers = _layers(np.random.default_rng(seed))
    geoms = ((2, 2), (4, 2), (8, 1), (1, 16))
    fields = expr.LAYER_FIELDS
    init = ",\n".join("{" + ", ".join(f".{f} = {int(getattr(l, f))}u" for f in fields) + "}"
                      for l in layers)
    calls = " ".join(f"bt_op_{fn}(op, {r}, {c}, &ls[i])," for r, c in geoms
                     for fn in ("w_words", "t_entries", "a_in_words", "a_out_words", "s_words", "i_words",
                                "active_cycles") + tuple(PARAMS))
    calls += " (unsigned)bt_op_features(op), (unsigned)bt_op_fits(op, &ls[i]),"
    src = tmp_path / "ops.c"
    src.write_text(f"""#include <stdio.h>
#include "bittern_ops.h"
static const bt_layer_t ls[] = {{ {init} }};
int main(void) {{
    for (unsigned i = 0; i < sizeof ls / sizeof ls[0]; i++) {{
        int op = bt_op_find(&ls[i]);
        unsigned v[] = {{ {calls} }};
        printf("%d", op);
        for (unsigned j = 0; j < sizeof v / sizeof v[0]; j++) printf(" %u", v[j]);
        printf("\\n");
    }}
    return 0;
}}
""")
    exe = tmp_path / "ops"
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-I", str(ROOT / "runtime" / "include"),
                    str(src), "-o", str(exe)], check=True)
    got = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout.split("\n")
    for i, layer in enumerate(layers):
        # The C table matches on kind and encodings; scores-last is the driver's check.
        op = next((j for j, o in enumerate(ops.OPS) if o.matches(layer)), -1)
        want = [op]
        for r, c in geoms:
            for bank in BANKS:
                want.append(getattr(ops.OPS[op].footprint(layer, rows=r, cols=c), bank) if op >= 0 else 0)
            want.append(ops.OPS[op].cycles(layer, rows=r, cols=c) if op >= 0 else 0)
            want += [ops.OPS[op].param(name, layer, rows=r, cols=c) if op >= 0 else 0
                     for name in PARAMS]
        # the driver's parameters are the descriptor's words and the plane forms' constants
        if op >= 0 and isinstance(ops.OPS[op], DensePlanes):
            d = ops.OPS[op].descriptor(layer, loader.LayerPlan(ops.OPS[op], None, 0, 0, 0, 0, 0, False))
            assert [want[-len(PARAMS):][j] for j in (0, 1, 2)] == \
                [d["D_OUT_FEATURES"], d["D_PLANES"], d["D_PLANES2"]], f"layer {i}"
        want += [ops.OPS[op].feature_mask() if op >= 0 else 0,
                 int(op >= 0 and ops.OPS[op].why_not(layer, last=layer.out_enc == Enc.SCORES) is None)]
        assert [int(v) for v in got[i].split()] == want, f"layer {i}: {layer.where(i)}"
    # 9 dense layers and the conv layer (CONV_XNOR) run in a conv build; in a planes build
    # also the uint-output and ternary ones (DENSE_PLANES_*): every layer runs somewhere
    conv = rm.pack("FEATURES", CONV=1)
    assert sum(1 for l in layers if ops.find(l, last=l.out_enc == Enc.SCORES, features=conv)) == 10 + 1
    assert sum(1 for l in layers if ops.find(l, last=l.out_enc == Enc.SCORES)) == len(layers)


@pytest.mark.parametrize("index,change,reason", [
    (0, dict(kind=Kind.CONV, in_h=5, in_w=5, in_c=2, kernel=3),
     r"layer 0 \(conv 50->40\): this accelerator build has no CONV_XNOR; build it with conv=True \(bittern build --conv\)"),
    (0, dict(in_enc=U8, in_bits=8), r"layer 0 \(dense 70->40\): this accelerator build has no "
     r"DENSE_PLANES_U8_BIN; build it with planes=True"),
    (1, dict(w_enc=WEnc.TERNARY, w_bits=2), r"layer 1 \(dense 40->24\): this accelerator build "
     r"has no DENSE_PLANES_BIN_TER; build it with planes=True"),
    (1, dict(out_enc=Enc.UINT, out_bits=2), r"layer 1 \(dense 40->24\): this accelerator build "
     r"has no DENSE_PLANES_BIN_BIN; build it with planes=True"),
    (1, dict(out_enc=Enc.SCORES, out_bits=0), r"layer 1 \(dense 40->24\): scores are the last "
     r"layer's output only, and the last layer outputs scores"),
])
def test_ops_refusal_names_the_layer_and_reason(index, change, reason):
    seed = 32
    print("seed", seed)
    rng = np.random.default_rng(seed)
    spec = randspec.random_model(rng)
    old = spec.layers[index]
    kw = dict(kind=old.kind, in_enc=old.in_enc, in_bits=old.in_bits, w_enc=old.w_enc,
              w_bits=old.w_bits, out_enc=old.out_enc, out_bits=old.out_bits, in_c=old.in_c,
              out_c=old.out_c)
    kw.update(change)
    layer = randspec.random_layer(rng, **kw)
    with pytest.raises(ops.UnsupportedLayer, match="^" + reason + "$"):
        ops.select(layer, index, last=index == len(spec.layers) - 1, features=0)   # binary-only build


def test_ops_too_many_features_is_refused():
    layer = randspec.random_layer(np.random.default_rng(33), in_c=0x10000, out_c=2)
    assert ops.why_not(layer, last=False) == "65536 inputs exceed the descriptor's 65535"


@pytest.mark.parametrize("seed,rows,cols,hidden", [(34, 4, 2, (40, 24)), (35, 2, 8, (300,)),
                                                   (36, 8, 1, (96, 17, 33))])
def test_ops_default_depths_are_exactly_what_the_plan_needs(seed, rows, cols, hidden):
    print("seed", seed)
    spec = randspec.random_model(np.random.default_rng(seed), hidden=hidden, in_features=100)
    depths = loader.default_depths(spec, rows, cols)
    p = loader.plan(spec, loader.Geometry(rows=rows, cols=cols, **depths))
    assert sum(lp.cycles for lp in p.layers) == \
        sum(-(-l.out_c // rows) * -(-l.in_c // 32) for l in spec.layers)
    for name, v in depths.items():
        if v > 2:
            with pytest.raises(ops.UnsupportedLayer, match=r"(need|has) "):
                loader.plan(spec, loader.Geometry(rows=rows, cols=cols, **{**depths, name: v - 1}))


def test_ops_default_depths_skip_layers_left_in_software():
    rng = np.random.default_rng(37)
    print("seed", 37)
    spec = randspec.random_model(rng)
    whole = loader.default_depths(spec, 4, 2)
    spec.layers[0] = randspec.random_layer(rng, in_c=70, out_c=40, w_enc=WEnc.TERNARY, w_bits=2)
    part = loader.default_depths(spec, 4, 2, features=0)      # binary-only build: in software
    assert part["w_depth"] == whole["w_depth"] - 10 * 3 and part["t_depth"] == whole["t_depth"] - 10


def test_ops_formula_language_is_checked():
    with pytest.raises(expr.FormulaError, match=r"^formula 'in_c / 2': 'in_c / 2' is not allowed"):
        expr.evaluate("in_c / 2", randspec.random_layer(np.random.default_rng(1)), rows=2, cols=2)
    with pytest.raises(expr.FormulaError, match=r"'weights' is not allowed"):
        expr.to_c("weights * 2")


def test_regmap_pack_and_unpack():
    word = rm.pack("D_CFG", KIND=2, IN_ENC=1, W_ENC=3, OUT_ENC=0)
    assert word == 0x0312
    assert rm.unpack("D_CFG", word) == {"KIND": 2, "IN_ENC": 1, "W_ENC": 3, "OUT_ENC": 0}
    assert rm.unpack("STATUS", rm.pack("STATUS", CAUSE=11, LAYER=15, ERROR=1))["CAUSE"] == 11
    with pytest.raises(ValueError, match=r"^D_CFG\.KIND is 4 bits wide, 16 does not fit$"):
        rm.pack("D_CFG", KIND=16)
    with pytest.raises(KeyError, match=r"D_CFG has no field SIZE"):
        rm.pack("D_CFG", SIZE=1)


def test_ops_sparse_refusals_name_the_layer_and_the_build():
    """A sparse layer needs a build with the sparse datapath whose column store holds its
    input, and 1..W kept packs; the loader says which, naming the layer. default_depths sizes
    the index buffer and the store, one word less of either is refused."""
    seed = 38
    print("seed", seed)
    rng = np.random.default_rng(seed)
    spec = randspec.random_family_model(rng, "sparse")
    depths = loader.default_depths(spec, 4, 2)
    assert depths["sparse_words"] == 2 and depths["i_depth"] == 8      # ceil(32/4) tiles x 1 pack
    p = loader.plan(spec, loader.Geometry(rows=4, cols=2, **depths))
    assert [lp.op.name for lp in p.layers] == ["DENSE_XNOR", "SPARSE_XNOR", "DENSE_XNOR"]
    plain = {k: v for k, v in depths.items() if k not in ("sparse_words", "i_depth")}
    with pytest.raises(ops.UnsupportedLayer, match=r"^layer 1 \(dense 64->32\): this accelerator "
                       r"build has no SPARSE_XNOR; build it with sparse_words=W \(the longest "
                       r"sparse input, in words\) and i_depth$"):
        loader.plan(spec, loader.Geometry(rows=4, cols=2, **plain))
    with pytest.raises(ops.UnsupportedLayer, match=r"^layer 1 \(dense 64->32\): this build has a "
                       r"1-word column store; .* sparse_words >= 2$"):
        loader.plan(spec, loader.Geometry(rows=4, cols=2, **{**depths, "sparse_words": 1}))
    with pytest.raises(ops.UnsupportedLayer, match=r"^layer 1 \(dense 64->32\): pack indices need "
                       r"8 words per row bank, the buffer has 7$"):
        loader.plan(spec, loader.Geometry(rows=4, cols=2, **{**depths, "i_depth": 7}))
    none = randspec.random_layer(rng, in_c=64, out_c=8, w_enc=WEnc.SPARSE, packs=1)
    none.pack_index = none.pack_index[:, :0]
    none.weights[:] = 0
    assert ops.why_not(none, last=False) == "a sparse layer keeps 1..2 packs per output here, not 0"
