"""An estimate before synthesis: LCs / LUTs, flip-flops, block RAMs, SPRAMs and cycles per image.

``estimate(board, rows, cols, model=..., ...)`` runs no tool and takes well under a second:

- **Block RAMs and SPRAMs** are counted, not fitted: every memory of the build comes from
  :meth:`Accelerator.memories() <bittern.rtl.accelerator.Accelerator.memories>` (the list the
  RTL builds its buffers from), each through :func:`bittern.rtl.bram.block_count` (DP16KD,
  SPRAM: the blocks the RTL instantiates) or :func:`bittern.rtl.bram.ice40_inferred_blocks`
  (Yosys' mapping of an inferred iCE40 memory). ``bench/bench_estimate.py`` checks them
  against Yosys on every build of its sweep.
- **LCs / LUTs and flip-flops** are a linear model over structural features of the build
  (:data:`FEATURES`: PE bits, per-row and per-column bits, bank port bits, memory kept in
  logic, build options), one coefficient vector per FPGA family, fitted (non-negative least
  squares) to Yosys synthesis + nextpnr packing of the sweep and stored in
  ``rtl/estimate_calibration.json`` (package data).
- **Cycles per image**: the op registry's array-active cycles of each layer (``PERF_ACTIVE``,
  :func:`bittern.rtl.loader.plan`) plus overheads per layer and per output tile fitted to the
  ``PERF_CYCLES`` counters of Verilator runs, divided by the batch (``cols`` images).
"""

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import bram

__all__ = ["Estimate", "FEATURES", "CYCLE_FEATURES", "CALIBRATION", "EstimateError", "estimate",
           "accelerator", "memory_blocks", "features", "load_calibration", "fit_calibration",
           "accuracy_table", "cycle_features", "cycles_table", "build_features", "fit_cycles"]

CALIBRATION = Path(__file__).resolve().with_name("estimate_calibration.json")

# Structural features of a build, each a count of bits (or 1) that logic scales with:
FEATURES = {
    "const": "1 (bus, SPI bridge, registers, the sequencer's loops)",
    "pe_bits": "rows x cols x (lanes + acc_width): each PE's popcount tree and accumulator",
    "row_bits": "rows x (32 + acc_width): a row's weight word, result, threshold compare, score",
    "col_bits": "cols x 32: a column's activation word and packing",
    "bank_bits": "sum over banks of 2 x address bits + data bits: host/sequencer port muxes",
    "mem_logic_bits": "bits of memories Yosys keeps in flip-flops + bits of block RAM depth muxes",
    "planes": "1 with planes=True (binary passes: shifts, plane loops)",
    "sparse_bits": "with sparse_words: (rows x cols + cols x sparse_words) x 32 (sparse array, "
                   "column word stores)",
    "conv": "1 with conv=True (tap loops, pad masks, max-pool)",
}
# Cycles per batch = PERF_ACTIVE (the ops' formulas) + these features x fitted overheads.
CYCLE_FEATURES = {
    "batch": "1 per batch (START to the sequencer's first fetch, the end of the run)",
    "layers": "1 per layer (descriptor decode hand-over, write-back tail)",
    "layer_rows": "rows per layer (the array's fill and drain: a skew register per row)",
    "layer_cols": "cols per layer (the last tile drains over cols cycles)",
    "tiles": "1 per output tile (a tile's first column leaving the array)",
    "conv_layers": "1 per conv layer (its tap loops' set-up and the pixel walk's turns)",
    "stalls": "cycles tiles wait because two tiles start at least cols cycles apart "
              "(rtl/seq_fetch.py): per layer, tiles x max(0, cols - words per tile); not "
              "fitted, 1 cycle each",
}
_FIXED_CYCLES = {"stalls": 1.0}


class EstimateError(ValueError):
    """Bad input to the estimate; the message is one line naming what is wrong."""


@dataclass
class Estimate:
    board: str
    device: str
    family: str
    rows: int
    cols: int
    depths: dict
    options: dict
    ram: str
    luts: int
    luts_available: int
    ffs: int
    brams: int
    brams_available: int
    sprams: int
    sprams_available: int
    cycles_per_image: float | None = None
    active_per_image: float | None = None
    memories: list = field(default_factory=list)      # (name, banks, depth, width, primitive, brams, sprams)
    calibration_commit: str = ""
    uncalibrated: list = field(default_factory=list)  # features of this build no swept build had

    @property
    def fits(self):
        return (self.luts <= self.luts_available and self.brams <= self.brams_available and
                self.sprams <= self.sprams_available)

    def as_dict(self):
        return dict(asdict(self), fits=self.fits)

    def table(self):
        lut = "LCs" if self.family == "ice40" else "LUTs"
        ram = "EBR" if self.family == "ice40" else "DP16KD"
        pct = lambda a, b: f"{100 * a / max(b, 1):.1f}%"
        opts = ", ".join(f"{k}={v}" for k, v in self.options.items() if v) or "binary-only"
        lines = [
            f"board        {self.board} ({self.device}), estimate before synthesis "
            f"(calibration git {self.calibration_commit or '?'})",
            f"array        {self.rows} x {self.cols} PEs x 32 lanes ({opts}; buffers "
            + " ".join(f"{k}={v}" for k, v in self.depths.items() if v) + ")",
            f"{lut:<12} ~{self.luts} / {self.luts_available} ({pct(self.luts, self.luts_available)})",
            f"FFs          ~{self.ffs}",
            f"{ram:<12} {self.brams} / {self.brams_available} (exact)"
            + (f", SPRAM {self.sprams} / {self.sprams_available}" if self.family == "ice40" else ""),
        ]
        if self.cycles_per_image is not None:
            lines.append(f"cycles/image ~{self.cycles_per_image:.0f} (array active "
                         f"{self.active_per_image:.0f}, batch of {self.cols})")
        lines.append(f"fits         {'yes' if self.fits else 'NO'}")
        if self.uncalibrated:
            lines.append(f"note         no calibration build had {', '.join(self.uncalibrated)}: "
                         f"its logic is left out of {lut} and FFs")
        return "\n".join(lines)


def _board(board):
    from .boards import BOARDS, board_info
    if board not in BOARDS:
        raise EstimateError(f"unknown board {board!r}: one of {', '.join(BOARDS)}")
    return board_info(board)


def accelerator(board, rows, cols, *, depths, ram=None, conv=False, planes=False,
                sparse_words=0, i_depth=0):
    """The :class:`~bittern.rtl.accelerator.Accelerator` of a board build (constructed, its
    parameters checked, never elaborated); raises :class:`EstimateError` for bad parameters."""
    from .accelerator import Accelerator
    from .boards import default_ram
    _board(board)
    ram = ram or default_ram(board, rows if isinstance(rows, int) else 1)
    try:
        acc = Accelerator(rows=rows, cols=cols, ram=ram, conv=conv, planes=planes,
                          sparse_words=sparse_words, i_depth=i_depth, **depths)
    except (TypeError, ValueError) as e:
        # A half-built component must not warn that it was never elaborated.
        tb = e.__traceback__
        while tb is not None:
            if isinstance(tb.tb_frame.f_locals.get("self"), Accelerator):
                tb.tb_frame.f_locals["self"]._MustUse__silence = True
            tb = tb.tb_next
        raise EstimateError(f"a {rows}x{cols} accelerator on {board}: {e}") from None
    acc._MustUse__silence = True
    return acc


def memory_blocks(family, mem):
    """(block RAMs, SPRAMs, bits kept in logic, depth-mux bits) of one
    :class:`~bittern.rtl.accelerator.Memory` row (all its banks) on ``family``."""
    n = max(mem.banks, 1)
    if mem.primitive == "spram":
        return 0, n * bram.block_count("spram", mem.depth, mem.width), 0, 0
    if mem.primitive == "dp16kd":
        groups = bram._geometry("dp16kd", mem.depth, mem.width)[4]
        return (n * bram.block_count("dp16kd", mem.depth, mem.width), 0, 0,
                n * (groups - 1) * mem.width)
    if family != "ice40":
        raise EstimateError(f"the estimate models inferred memories on iCE40 only, not "
                            f"{family} (build ECP5 with ram='dp16kd')")
    blocks, groups = bram.ice40_inferred_blocks(mem.depth, mem.width)
    if not blocks:
        return 0, 0, n * mem.depth * mem.width, 0
    return n * blocks, 0, 0, n * (groups - 1) * mem.width


def features(family, acc):
    """{feature: value} of :data:`FEATURES` for the accelerator ``acc`` on ``family``."""
    rows, cols = acc.rows, acc.cols
    aw = acc.acc_width
    bank_bits = mem_logic = 0
    for mem in acc.memories():
        _, _, logic_bits, mux_bits = memory_blocks(family, mem)
        mem_logic += logic_bits + mux_bits
        bank_bits += max(mem.banks, 1) * (2 * max(1, (mem.depth - 1).bit_length()) + mem.width)
    return {
        "const": 1,
        "pe_bits": rows * cols * (acc.lanes + aw),
        "row_bits": rows * (32 + aw),
        "col_bits": cols * 32,
        "bank_bits": bank_bits,
        "mem_logic_bits": mem_logic,
        "planes": int(acc.planes),
        "sparse_bits": (rows * cols + cols * acc.sparse_words) * 32 if acc.sparse_words else 0,
        "conv": int(acc.conv),
    }


def cycle_features(spec, geom):
    """{cycle feature: value per batch} and the array-active cycles per batch of ``spec`` on
    ``geom`` (:func:`bittern.rtl.loader.plan`; raises its ``UnsupportedLayer``)."""
    from bittern.model.spec import Kind
    from . import loader
    p = loader.plan(spec, geom)
    tiles = stalls = convs = 0
    for layer, lp in zip(spec.layers, p.layers):
        convs += layer.kind == Kind.CONV
        # A tile: one output pixel's group of `rows` channels (conv: before max-pool).
        n = -(-layer.out_c // geom.rows) * (
            layer.conv_h * layer.conv_w if layer.kind == Kind.CONV else 1)
        tiles += n
        stalls += n * max(0, geom.cols - lp.cycles // max(n, 1))
    n = len(p.layers)
    return ({"batch": 1, "layers": n, "layer_rows": n * geom.rows, "layer_cols": n * geom.cols,
             "tiles": tiles, "conv_layers": convs, "stalls": stalls},
            sum(lp.cycles for lp in p.layers))


def load_calibration(path=None):
    path = Path(path) if path else CALIBRATION
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise EstimateError(f"no calibration at {path}: run `python -m bittern.bench.bench_estimate`") from None


def _dot(coef, feats):
    return sum(coef.get(k, 0.0) * v for k, v in feats.items())


def _load_spec(model):
    if model is None or not isinstance(model, (str, Path)):
        return model
    from bittern.model.fileformat import load
    try:
        return load(str(model))
    except FileNotFoundError:
        raise EstimateError(f"{model}: no such model file") from None
    except Exception as e:
        raise EstimateError(f"{model}: not a bittern model ({e})") from None


def estimate(board, rows, cols, *, model=None, depths=None, conv=False, planes=False,
             sparse_words=None, i_depth=None, ram=None, calibration=None):
    """Estimate a board build's resources and, with ``model``, its cycles per image.

    Parameters
    ----------
    board : str
        ``"icebreaker"`` (iCE40 UP5K) or ``"ulx3s"`` (ECP5-85F).
    rows, cols : int
        Array geometry.
    model : ModelSpec or path, optional
        A golden model (or ``.bittern`` file): the buffers are sized to hold it (unless
        ``depths`` is given, then it must fit them) and the cycles per image are estimated.
    depths : dict, optional
        ``w_depth``, ``a_depth``, ``t_depth``, ``s_depth`` (and ``i_depth``): the buffer depths
        (default: the model's, or the CLI's 256 / 64 / 16 / 16).
    conv, planes, sparse_words, i_depth, ram
        The build options of :class:`~bittern.rtl.accelerator.Accelerator` (``sparse_words``
        default: what the model's sparse layers need).
    calibration : dict or path, optional
        Default: the shipped ``estimate_calibration.json``.

    Raises :class:`EstimateError` (one line) for an unknown board, bad parameters or a model
    the build cannot run or hold.
    """
    from . import loader
    from . import regmap as rm
    info = _board(board)
    family = info["family"]
    cal = calibration if isinstance(calibration, dict) else load_calibration(calibration)
    spec = _load_spec(model)
    feats_flags = rm.pack("FEATURES", CONV=int(conv), PLANES=int(planes))
    if depths is None:
        if spec is not None:
            try:
                depths = loader.default_depths(spec, rows, cols, features=None)
            except (ValueError, TypeError) as e:
                raise EstimateError(f"model: {e}") from None
        else:
            depths = dict(w_depth=256, a_depth=64, t_depth=16, s_depth=16)
    depths = dict(depths)
    sw = depths.pop("sparse_words", 0) if sparse_words is None else sparse_words
    idep = depths.pop("i_depth", 0) if i_depth is None else i_depth
    depths.pop("sparse_words", None)
    depths.pop("i_depth", None)
    acc = accelerator(board, rows, cols, depths=depths, ram=ram, conv=conv, planes=planes,
                      sparse_words=sw, i_depth=idep)
    mems, brams, sprams = [], 0, 0
    for mem in acc.memories():
        b, s, _, _ = memory_blocks(family, mem)
        brams, sprams = brams + b, sprams + s
        mems.append((*mem, b, s))
    fam = cal["families"].get(family)
    if fam is None:
        raise EstimateError(f"the calibration has no {family} builds: run bench_estimate")
    f = features(family, acc)
    cycles = active = None
    if spec is not None:
        geom = loader.Geometry.of(acc)
        try:
            cf, act = cycle_features(spec, geom)
        except loader.UnsupportedLayer as e:
            raise EstimateError(f"model: {e}") from None
        cyc = cal.get("cycles", {}).get("coef", {})
        cycles = (act + _dot(cyc, cf)) / cols
        active = act / cols
    res = info["resources"]
    return Estimate(
        board=board, device=info["device"], family=family, rows=rows, cols=cols,
        depths=dict(depths, **({"i_depth": acc.i_depth} if acc.i_depth else {})),
        options=dict(conv=conv, planes=planes, sparse_words=acc.sparse_words), ram=acc.ram,
        luts=round(_dot(fam["luts"], f)), luts_available=res["luts"], ffs=round(_dot(fam["ffs"], f)),
        brams=brams, brams_available=res["ram_blocks"], sprams=sprams,
        sprams_available=4 if family == "ice40" else 0,
        cycles_per_image=cycles, active_per_image=active, memories=mems,
        calibration_commit=cal.get("commit", ""),
        uncalibrated=[k for k, v in f.items() if v and k not in fam["luts"]])


# ---- calibration (bench/bench_estimate.py) ---------------------------------------------------

def yosys_memory_names(mem):
    """The Yosys names (flattened board top) of a :class:`~bittern.rtl.accelerator.Memory`
    row's inferred memories, one per bank."""
    if not mem.banks:
        return [f"accel.{mem.name}.mem"]
    return [f"accel.{mem.name}.bank{i}.mem" for i in range(mem.banks)]


def build_features(row):
    """Family and features of one measured sweep build (a ``measured.json`` dict)."""
    info = _board(row["board"])
    opts = dict(row.get("options", {}))
    acc = accelerator(row["board"], row["rows"], row["cols"], depths=row["depths"], **opts)
    return info["family"], features(info["family"], acc)


def _nnls(rows, key):
    """Non-negative least squares of ``key`` over the rows' features; {feature: coef}."""
    import numpy as np
    from scipy.optimize import nnls
    names = [n for n in FEATURES if any(r["features"][n] for r in rows)]
    a = np.array([[r["features"][n] for n in names] for r in rows], dtype=float)
    b = np.array([r[key] for r in rows], dtype=float)
    # Scale columns so that the large-valued features do not dominate the conditioning.
    scale = np.maximum(np.abs(a).max(axis=0), 1e-9)
    x, _ = nnls(a / scale, b)
    return {n: float(v / s) for n, v, s in zip(names, x, scale)}


def _fit_rows(measured):
    out = []
    for r in measured:
        fam, f = build_features(r)
        out.append(dict(r, family=fam, features=f))
    return out


def fit_calibration(measured, *, commit, cycles=None):
    """The calibration dict from measured builds (and ``cycles``: measured PERF runs, see
    ``bench_estimate``), as written to ``estimate_calibration.json``."""
    rows = _fit_rows(measured)
    fams = {}
    for fam in sorted({r["family"] for r in rows}):
        pts = [r for r in rows if r["family"] == fam]
        fams[fam] = {"luts": _nnls(pts, "luts"), "ffs": _nnls(pts, "ffs")}
    cal = {
        "about": "bittern.rtl.estimate calibration: written by bench/bench_estimate.py; do not edit",
        "commit": commit, "features": list(FEATURES), "cycle_features": list(CYCLE_FEATURES),
        "families": fams,
        # Each build as measured, with where Yosys put each inferred memory ("mapping": block
        # RAM, "using FF mapping for": flip-flops), for the tests' exactness checks.
        "builds": [dict({k: r[k] for k in ("name", "board", "rows", "cols", "depths", "options",
                                           "features", "luts", "ffs", "brams", "sprams")},
                        yosys_memories=r.get("mem_map", {}))
                   for r in rows],
    }
    if cycles:
        cal["cycles"] = fit_cycles(cycles)
    return cal


def fit_cycles(runs):
    """Overheads {cycle feature: cycles} from runs [{features, active, cycles}] (least squares
    of the relative error, non-negative), with the runs kept for the staleness test."""
    import numpy as np
    from scipy.optimize import nnls
    names = [n for n in CYCLE_FEATURES if n not in _FIXED_CYCLES]
    a = np.array([[r["features"][n] for n in names] for r in runs], dtype=float)
    b = np.array([r["cycles"] - r["active"] - _dot(_FIXED_CYCLES, r["features"]) for r in runs],
                 dtype=float)
    w = 1 / np.array([r["cycles"] for r in runs], dtype=float)    # the ratio is what counts
    x, _ = nnls(a * w[:, None], b * w)
    return {"coef": dict({n: float(v) for n, v in zip(names, x)}, **_FIXED_CYCLES), "runs": runs}


def accuracy_table(measured, cal, *, leave_one_out=False):
    """Markdown table (docs/accelerator.md's): estimate vs measured per build (LCs/LUTs, FFs,
    block RAMs exact), with the ratio and, with ``leave_one_out``, the ratio of each build's
    estimate from a fit to the other builds of its family."""
    rows = _fit_rows(measured)
    lines = ["| build | LCs/LUTs est / measured | ratio | leave-one-out | FFs est / measured | "
             "block RAMs est / measured |", "| --- | --- | --- | --- | --- | --- |"]
    worst, worst_loo, bram_ok = 0.0, 0.0, True
    for i, r in enumerate(rows):
        e = estimate(r["board"], r["rows"], r["cols"], depths=r["depths"], **r["options"],
                     calibration=cal)
        loo = ""
        if leave_one_out:
            rest = [q for j, q in enumerate(rows) if j != i and q["family"] == r["family"]]
            lr = _dot(_nnls(rest, "luts"), r["features"]) / r["luts"]
            worst_loo = max(worst_loo, abs(lr - 1))
            loo = f"{lr:.3f}"
        ratio = e.luts / r["luts"]
        worst = max(worst, abs(ratio - 1))
        same = (e.brams, e.sprams) == (r["brams"], r["sprams"])
        bram_ok &= same
        opts = "".join(f" {k.replace('sparse_words', 'sparse')}" for k, v in r["options"].items()
                       if v and k != "i_depth")
        ram = lambda b, sp: f"{b}" + (f" + {sp} SPRAM" if sp else "")
        lines.append(f"| {e.device} {r['rows']}x{r['cols']} {r['name'].split('_')[2]}{opts} | "
                     f"{e.luts} / {r['luts']} | {ratio:.3f} | {loo} | {e.ffs} / {r['ffs']} | "
                     f"{ram(e.brams, e.sprams)} / {ram(r['brams'], r['sprams'])}"
                     f"{'' if same else ' MISMATCH'} |")
    lines.append("")
    lines.append(f"worst LUT/LC error {100 * worst:.1f} %"
                 + (f", worst leave-one-out error {100 * worst_loo:.1f} %" if leave_one_out else "")
                 + f"; block RAMs and SPRAMs {'exact on every build' if bram_ok else 'MISMATCH'}")
    return "\n".join(lines)


def cycles_table(runs, cal):
    """Markdown table: estimated vs measured PERF_CYCLES per batch of the cycle runs, and each
    run's ratio when it is left out of the overheads' fit."""
    coef = cal["cycles"]["coef"]
    lines = ["| run | PERF_ACTIVE | PERF_CYCLES | estimate | ratio | LOO ratio |",
             "| --- | --- | --- | --- | --- | --- |"]
    worst = worst_loo = 0.0
    for i, r in enumerate(runs):
        e = r["active"] + _dot(coef, r["features"])
        loo_coef = fit_cycles(runs[:i] + runs[i + 1:])["coef"]
        loo = (r["active"] + _dot(loo_coef, r["features"])) / r["cycles"]
        worst, worst_loo = max(worst, abs(e / r["cycles"] - 1)), max(worst_loo, abs(loo - 1))
        lines.append(f"| {r['name']} | {r['active']} | {r['cycles']} | {e:.0f} | "
                     f"{e / r['cycles']:.3f} | {loo:.3f} |")
    lines.append("")
    lines.append("overheads: " + ", ".join(f"{v:.1f} cycles per {k}" for k, v in coef.items())
                 + f"; worst cycle error {100 * worst:.1f} %, leave-one-out {100 * worst_loo:.1f} %")
    return "\n".join(lines)
