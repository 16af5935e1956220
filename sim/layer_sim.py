"""Host-side sequencing of matrix products on the :class:`~bittern.rtl.array.SystolicArray`.

A *job* is ``acc[p, o] = sum_k W[o, k] * X[p, k]``: rows of the array take output channels ``o``,
columns take input vectors ``p``. :func:`schedule` tiles it into per-cycle edge inputs (all rows'
weight words and all columns' activation words of one cycle packed into the flat Verilog port
integers), :func:`decode` turns the recorded ``out_*`` cycles back into the accumulator matrix.
The same plain-integer stimulus drives Amaranth's simulator, Icarus and Verilator through the
shared harness (:mod:`bittern.sim.array_harness`). :func:`simulate_layer` and
:func:`simulate_model` run whole golden layers and models, sparse (3PXNet) layers on the sparse
array (:mod:`bittern.sim.sparse_sim`).
"""

from dataclasses import dataclass, field

import numpy as np

from . import array_harness as harness
from .array_harness import ArrayConfig, LayerRun, RunStats
from .sparse_sim import simulate_sparse_layer

__all__ = ["ArrayConfig", "Schedule", "schedule", "decode", "run_amaranth", "run_schedules",
           "RunStats", "LayerRun", "ModelRun", "simulate_layer", "simulate_model"]


@dataclass
class Schedule:
    """Per-cycle edge inputs of one job and what is needed to read its outputs back."""
    config: ArrayConfig
    valid: list
    first: list
    last: list
    w: list                # flat `w` port value per cycle
    a: list                # flat `a` port value per cycle
    tiles: list            # (o0, p0) of each tile, in output order
    last_cycles: list      # input cycle of each tile's `last` word
    shape: tuple           # (P, O) of the result
    n: int                 # value for the `n` port (xnor)
    macs: int
    meta: dict = field(default_factory=dict)

    @property
    def cycles_in(self):
        return len(self.valid)

    @property
    def ports(self):
        """Port name -> per-cycle values (what :func:`bittern.sim.array_harness.drive` drives)."""
        return {"in_valid": self.valid, "in_first": self.first, "in_last": self.last,
                "w": self.w, "a": self.a}

    @property
    def expect_outputs(self):
        return len(self.tiles) * self.config.cols


def _pack_rows(bits):
    """bits uint8 [..., B] (LSB first) -> list of Python ints, one per leading index (flattened)."""
    b = np.ascontiguousarray(bits.reshape(-1, bits.shape[-1]).astype(np.uint8))
    packed = np.packbits(b, axis=-1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in packed]


def _word_bits(values, kind, lanes, act_bits=None):
    """Operand values [M, K] -> bits [M, Kw, word_bits] for the array's port encoding."""
    m, k = values.shape
    kw = max(1, -(-k // lanes))
    v = np.zeros((m, kw * lanes), dtype=np.int64)
    v[:, :k] = values
    v = v.reshape(m, kw, lanes)
    if kind == "xnor":
        return (v > 0).astype(np.uint8)                     # pad lanes stay 0
    if kind == "ternary":
        return np.concatenate([(v != 0), (v < 0)], axis=-1).astype(np.uint8)
    # k-bit codes, LSB first per lane
    sh = np.arange(act_bits)
    return ((v[..., None] >> sh) & 1).reshape(m, kw, lanes * act_bits).astype(np.uint8)


def _check_values(name, values, kind):
    if kind == "xnor" and not np.isin(values, (-1, 1)).all():
        raise ValueError(f"{name}: the xnor array takes -1/+1 values only")
    if kind == "ternary" and not np.isin(values, (-1, 0, 1)).all():
        raise ValueError(f"{name}: ternary operands must be -1, 0 or +1")


def schedule(config: ArrayConfig, W, X, *, n=None):
    """Tile ``acc = X @ W.T`` onto the array.

    ``W``: int [O, K] weight values; ``X``: int [P, K] activation values (-1/+1 for ``xnor``,
    -1/0/+1 for ternary activations, codes 0..2^k-1 with ``act_bits = k``). ``n`` is the xnor
    output stage's dot-product length (default ``K``).
    """
    W = np.asarray(W, dtype=np.int64)
    X = np.asarray(X, dtype=np.int64)
    if W.ndim != 2 or X.ndim != 2 or W.shape[1] != X.shape[1]:
        raise ValueError(f"W [O, K] and X [P, K] must share K, not {W.shape} and {X.shape}")
    R, C, L = config.rows, config.cols, config.lanes
    O, K = W.shape
    P = X.shape[0]
    wkind = "xnor" if config.pe == "xnor" else "ternary"
    akind = wkind if config.act_bits is None else "codes"
    _check_values("W", W, wkind)
    if akind != "codes":
        _check_values("X", X, akind)
    elif X.min(initial=0) < 0 or X.max(initial=0) >= 1 << config.act_bits:
        raise ValueError(f"X: {config.act_bits}-bit codes must be 0..{(1 << config.act_bits) - 1}")
    max_n = config.info().max_n
    if K > max_n:
        raise ValueError(f"{config.name}: dot-product length {K} exceeds the array's max_n {max_n}")
    kw = max(1, -(-K // L))
    ot, pt = -(-O // R), -(-P // C)
    # Pad to whole tiles; padded rows/columns hold zero words and their results are dropped.
    Wb = np.zeros((ot * R, kw, L * (1 if wkind == "xnor" else 2)), dtype=np.uint8)
    Wb[:O] = _word_bits(W, wkind, L)
    Xb = np.zeros((pt * C, kw, _abits(config)), dtype=np.uint8)
    Xb[:P] = _word_bits(X, akind, L, config.act_bits)
    # Per tile: one packed port value per word.
    w_ports = [_pack_rows(Wb[i * R:(i + 1) * R].transpose(1, 0, 2).reshape(kw, -1))
               for i in range(ot)]
    a_ports = [_pack_rows(Xb[j * C:(j + 1) * C].transpose(1, 0, 2).reshape(kw, -1))
               for j in range(pt)]
    gap = max(0, C - kw)
    s = Schedule(config=config, valid=[], first=[], last=[], w=[], a=[], tiles=[], last_cycles=[],
                 shape=(P, O), n=K if n is None else n, macs=O * P * K)
    for i in range(ot):
        for j in range(pt):
            for k in range(kw):
                s.valid.append(1)
                s.first.append(int(k == 0))
                s.last.append(int(k == kw - 1))
                if k == kw - 1:
                    s.last_cycles.append(len(s.valid) - 1)
                s.w.append(w_ports[i][k])
                s.a.append(a_ports[j][k])
            for _ in range(gap):
                s.valid.append(0), s.first.append(0), s.last.append(0)
                s.w.append(0), s.a.append(0)
            s.tiles.append((i * R, j * C))
    return s


def _abits(config):
    if config.pe == "xnor":
        return config.lanes
    return config.lanes * (2 if config.act_bits is None else config.act_bits)


def decode(sched: Schedule, outputs):
    """Recorded outputs -> (acc int64 [P, O], fired int64 [P, O] or None, last output cycle).

    ``outputs``: list of ``(cycle, col, acc_flat, fired_flat)`` for every cycle with
    ``out_valid``, in order. Checks the count, that columns come in order and that each comes
    exactly ``latency + col`` cycles after its tile's ``last`` word (the documented timing).
    """
    cfg = sched.config
    dut = cfg.info()
    acc_width = dut.acc_width
    fired_width = dut.fired_width if cfg.pe == "ternary" else None
    R, C = cfg.rows, cfg.cols
    P, O = sched.shape
    want = len(sched.tiles) * C
    if len(outputs) != want:
        raise AssertionError(f"{cfg.name}: expected {want} output cycles, got {len(outputs)}")
    acc = np.zeros((P, O), dtype=np.int64)
    fired = np.zeros((P, O), dtype=np.int64) if fired_width else None
    for idx, (cycle, col, acc_flat, fired_flat) in enumerate(outputs):
        t, c = divmod(idx, C)
        if col != c:
            raise AssertionError(f"{cfg.name}: output {idx} has out_col {col}, expected {c}")
        if cycle != sched.last_cycles[t] + dut.latency + c:
            raise AssertionError(f"{cfg.name}: tile {t} column {c} came out in cycle {cycle}, "
                                 f"expected {sched.last_cycles[t]} + latency {dut.latency} + {c}")
        o0, p0 = sched.tiles[t]
        p = p0 + c
        if p >= P:
            continue
        vals = harness.split_words(acc_flat, R, acc_width, True)
        fv = harness.split_words(fired_flat, R, fired_width, False) if fired_width else None
        for r in range(R):
            if o0 + r < O:
                acc[p, o0 + r] = vals[r]
                if fv is not None:
                    fired[p, o0 + r] = fv[r]
    return acc, fired, outputs[-1][0] if outputs else 0


def _outputs(cfg, rec):
    """Recorded ``(cycle, valid, col, acc[, fired])`` -> :func:`decode`'s ``(cycle, col, acc, fired)``."""
    return [(o[0], o[2], o[3], o[4] if cfg.pe == "ternary" else 0) for o in rec.outputs]


def run_amaranth(sched: Schedule, *, vcd=None):
    """Drive one schedule through Amaranth's simulator; returns (outputs, overrun)."""
    rec = harness.run_amaranth(sched, vcd=vcd)
    return _outputs(sched.config, rec), rec.flags["overrun"]


def run_schedules(schedules, *, simulator="verilator", build_root=None, waves=False, workdir=None):
    """Run schedules of one array configuration on ``simulator`` ("amaranth", "icarus" or
    "verilator"), one after the other; returns ``[(acc, fired, RunStats), ...]``.

    Results are decoded and their timing checked against the documented ``latency`` (see
    :func:`decode`); the caller compares them with the golden model.
    """
    recs = harness.drive(schedules, simulator=simulator, build_root=build_root, waves=waves,
                         workdir=workdir)
    results = []
    for s, rec in zip(schedules, recs):
        harness.check_flags(s.config, rec)
        acc, fired, last_cycle = decode(s, _outputs(s.config, rec))
        stats = RunStats(cycles=last_cycle + 1, ideal_cycles=s.config.info().ideal_cycles(s.macs),
                         sim_wall_s=rec.wall_s)
        results.append((acc, fired, stats))
    return results


# ---- whole layers and models -------------------------------------------------------------

@dataclass
class ModelRun:
    scores: "torch.Tensor"
    labels: "torch.Tensor"
    layers: list
    waves: list = field(default_factory=list)   # waveform files, in layer order (waves=True)

    @property
    def cycles(self):
        return sum(l.cycles for l in self.layers)

    @property
    def ideal_cycles(self):
        return sum(l.ideal_cycles for l in self.layers)

    @property
    def utilisation(self):
        return self.ideal_cycles / self.cycles if self.cycles else 0.0


def _im2col(x, layer):
    """Input values [B, h, w, c] -> (X [B*oh*ow, k*k*c], valid [B*oh*ow, k*k*c] bool) in the
    weights' (ky, kx, c) order."""
    import torch
    from bittern.model.golden import _taps
    from bittern.model.spec import Kind
    b = x.shape[0]
    if layer.kind == Kind.DENSE:
        X = x.reshape(b, -1)
        return X.numpy(), np.ones(X.shape, dtype=bool)
    taps = _taps(x, layer)
    patches = torch.stack([p for _, _, p, _ in taps], dim=3)          # [B, oh, ow, kk, C]
    valid = torch.stack([v for _, _, _, v in taps], dim=2)             # [oh, ow, kk]
    valid = valid[None, :, :, :, None].expand_as(patches)
    k = patches.shape[3] * patches.shape[4]
    return patches.reshape(-1, k).numpy(), valid.reshape(-1, k).numpy()


def _path(layer):
    from bittern.model.spec import U8, Enc, WEnc
    if layer.w_enc == WEnc.INT:
        return "decompose"
    if layer.in_enc in (U8, Enc.UINT):
        return "wrpn"
    if layer.in_enc == Enc.BINARY and layer.w_enc == WEnc.BINARY and layer.pad == 0:
        return "xnor"
    return "gxnor"


def simulate_layer(x, layer, *, rows, cols, lanes, simulator="verilator", index=0,
                   method="auto", build_root=None, waves=False, stage_levels=2):
    """Run one golden :class:`LayerSpec` on input values ``x`` [B, h, w, c] through the array.

    Output channels tile the rows, output pixels (x batch) tile the columns, the ``k*k*c`` taps
    are the reduction (host-side im2col and sequencing). Binary layers without padding run on
    the XNOR array; sparse (3PXNet) layers on binary input on the sparse array, which spends no
    cycles on pruned packs (``sim/sparse_sim.py``); padding and ternary operands on the GXNOR
    array (padding taps are ``nz = 0``); k-bit / u8 activations with binary or ternary weights on the
    WRPN array; multi-bit ``int`` weights (or any layer with ``method="decompose"``) as the
    {-1,+1} decomposition's binary passes on the XNOR (GXNOR when padded) array. Max-pool and the
    thresholds are then applied host-side with the golden functions.
    """
    import torch
    from bittern.model import golden
    from bittern.model.decompose import binary_passes
    from bittern.model.spec import U8, Enc, Kind, WEnc
    x = torch.as_tensor(x).to(torch.int64)
    if layer.kind == Kind.DENSE:
        x = x.reshape(x.shape[0], 1, 1, -1)
    if layer.w_enc == WEnc.SPARSE and layer.in_enc == Enc.BINARY and method == "auto":
        # 3PXNet: pruned packs cost no cycles on the sparse array (indices travel with weights).
        return simulate_sparse_layer(x, layer, rows=rows, cols=cols, simulator=simulator,
                                     index=index, build_root=build_root, waves=waves,
                                     stage_levels=stage_levels, out_slots=cols)
    path = "decompose" if method == "decompose" else _path(layer)
    O = layer.out_c
    W = layer.weights.reshape(O, -1).astype(np.int64)
    K = W.shape[1]
    max_n = None if K <= (1 << 14) else K

    def cfg(pe, act_bits=None):
        return ArrayConfig(rows, cols, lanes, pe=pe, act_bits=act_bits, max_n=max_n,
                           stage_levels=stage_levels)

    fired_total = None
    if path == "decompose":
        passes = binary_passes(x, layer)
        pe = "xnor" if layer.pad == 0 else "ternary"
        c = cfg(pe)
        jobs = []
        for coef, plane, bl in passes:
            Xp, valid = _im2col(plane, layer)
            Wp = bl.weights.reshape(O, -1).astype(np.int64)
            if pe == "ternary":
                Xp = np.where(valid, Xp, 0)
            jobs.append((coef, schedule(c, Wp, Xp)))
        res = run_schedules([s for _, s in jobs], simulator=simulator, build_root=build_root,
                            waves=waves)
        acc4 = sum(coef * r[0] for (coef, _), r in zip(jobs, res))
        if (acc4 % 4).any():
            raise AssertionError(f"layer {index}: decomposed sum not a multiple of 4")
        acc = acc4 // 4
        stats = [r[2] for r in res]
        path = f"decompose({'xnor' if pe == 'xnor' else 'gxnor'}) x {len(jobs)} passes"
    else:
        X, valid = _im2col(x, layer)
        if path == "xnor":
            c = cfg("xnor")
        elif path == "gxnor":
            c = cfg("ternary")
            X = np.where(valid, X, 0)
        else:
            c = cfg("ternary", 8 if layer.in_enc == U8 else layer.in_bits)
            X = np.where(valid, X, 0)
        (acc, fired, st), = run_schedules([schedule(c, W, X)], simulator=simulator,
                                          build_root=build_root, waves=waves)
        stats = [st]
        if fired is not None:
            fired_total = int(fired.sum())
    b = x.shape[0]
    acc, values = golden.post_accumulate(
        torch.from_numpy(acc).reshape(b, layer.conv_h, layer.conv_w, O), layer)
    ideal = layer.macs * b / (rows * cols * lanes)
    return LayerRun(index=index, path=path, acc=acc, values=values,
                    cycles=sum(s.cycles for s in stats), ideal_cycles=ideal, fired=fired_total,
                    sim_wall_s=sum(s.sim_wall_s for s in stats))


def simulate_model(spec, images, *, rows, cols, lanes, simulator="verilator", layers=None,
                   build_root=None, waves=False):
    """Run a whole :class:`ModelSpec` on uint8 ``images`` through the simulated array.

    Returns a :class:`ModelRun`: per-image ``scores`` (int64 [B, classes]) and ``labels``, and
    per layer a :class:`LayerRun` with cycles, ideal cycles (work / (rows*cols*lanes)) and their
    ratio. ``layers`` (list of indices) limits which layers run on the array; the others run on
    the golden model (so one layer can be simulated alone).
    """
    import torch
    from bittern.model import golden
    x = golden.prepare_input(spec, torch.as_tensor(images))
    runs = []
    first_wave = len(harness.WAVES)
    for i, layer in enumerate(spec.layers):
        if layers is None or i in layers:
            r = simulate_layer(x, layer, rows=rows, cols=cols, lanes=lanes, simulator=simulator,
                               index=i, build_root=build_root, waves=waves)
            runs.append(r)
            x = r.values
        else:
            x = golden.run_layer(x, layer).values
    scores = x.reshape(x.shape[0], -1)
    _, labels = golden.head_labels(spec, scores)     # through the per-class head, if any
    return ModelRun(scores=scores, labels=labels, layers=runs,
                    waves=harness.WAVES[first_wave:])
