"""Host-side sequencing of 3PXNet sparse layers on the :class:`~bittern.rtl.sparse_array.SparseSystolicArray`.

A sparse dense layer ``acc[b, o] = sum over kept packs q of 32 - 2*popcount(x_word[b, idx[o, q]]
XOR w_word[o, q])`` is tiled with output channels on the rows and batch elements on the columns.
Per column tile the input vectors are loaded into the column word stores (``in_words`` cycles,
overlapping the previous tile's compute through the second bank), then each output tile takes
only its ``P`` kept packs (``max(P, ceil(cols / out_slots))`` cycles: the output spacing). The
dense array needs ``max(in_words, cols)`` cycles per tile instead: :func:`simulate_sparse_layer`
reports both.

:func:`schedule` builds the per-cycle port values (flat Verilog integers), :func:`decode` reads
the recorded outputs back and checks the documented timing; the same stimulus drives Amaranth's
simulator, Icarus and Verilator through the shared harness (:mod:`bittern.sim.array_harness`).
"""

from dataclasses import dataclass, field

import numpy as np

from . import array_harness as harness
from .array_harness import ArrayConfig, LayerRun, RunStats, SparseConfig

__all__ = ["SparseConfig", "SparseSchedule", "schedule", "decode", "split_slots", "run_amaranth",
           "run_schedules", "run_schedule", "dense_equivalent_cycles", "SparseLayerRun",
           "simulate_sparse_layer", "LANES"]

LANES = 32
DRIVE_PORTS = SparseConfig.drive_ports


@dataclass
class SparseSchedule:
    """Per-cycle port values of one job and what is needed to read its outputs back."""
    config: SparseConfig
    ports: dict            # port name -> list of ints, one per cycle
    tiles: list            # (o0, b0) of each output tile, in output order
    last_cycles: list      # input cycle of each tile's `last` word
    shape: tuple           # (B, O) of the result
    n: int                 # value of the `n` port: 32 * P
    macs: int              # kept multiply-accumulates: B * O * 32 * P
    meta: dict = field(default_factory=dict)

    @property
    def cycles_in(self):
        return len(self.ports["in_valid"])

    @property
    def expect_outputs(self):
        return len(self.tiles) * self.config.cols


def _words(bits):
    """bits uint8 [..., 32] -> int array [...] of 32-bit words (bit i = lane i)."""
    return (bits.astype(np.uint64) << np.arange(LANES, dtype=np.uint64)).sum(-1)


def _flat(values, width):
    """Element i at bits [i*width, (i+1)*width) of one Python int."""
    out = 0
    for i, v in enumerate(values):
        out |= int(v) << (i * width)
    return out


def schedule(config: SparseConfig, W, pack_index, X):
    """Tile a sparse layer ``acc = X @ W.T`` onto the array.

    ``W``: int [O, K] weights (-1/+1 in kept packs, 0 in pruned ones), ``pack_index``: int
    [O, P] kept word indices (strictly increasing per row), ``X``: int [B, K] activations -1/+1.
    """
    W = np.asarray(W, dtype=np.int64)
    X = np.asarray(X, dtype=np.int64)
    idx = np.asarray(pack_index, dtype=np.int64)
    if W.ndim != 2 or X.ndim != 2 or W.shape[1] != X.shape[1]:
        raise ValueError(f"W [O, K] and X [B, K] must share K, not {W.shape} and {X.shape}")
    O, K = W.shape
    B = X.shape[0]
    if K % LANES:
        raise ValueError(f"sparse layers need K % 32 == 0, not K = {K}")
    kw = K // LANES
    if idx.ndim != 2 or idx.shape[0] != O or idx.shape[1] < 1:
        raise ValueError(f"pack_index must have shape [O={O}, P >= 1], not {idx.shape}")
    P = idx.shape[1]
    if idx.min() < 0 or idx.max() >= kw:
        raise ValueError(f"pack_index out of range 0..{kw - 1}")
    if not np.isin(X, (-1, 1)).all():
        raise ValueError("X: the sparse array takes -1/+1 activations only")
    Wp = W.reshape(O, kw, LANES)
    kept = np.zeros((O, kw), dtype=bool)
    np.put_along_axis(kept, idx, True, axis=1)
    if (Wp[~kept] != 0).any() or not np.isin(Wp[kept], (-1, 1)).all():
        raise ValueError("W: kept packs must be -1/+1 and pruned packs 0")
    dut = config.info()
    if kw > dut.words:
        raise ValueError(f"{config.name}: {kw} input words exceed the store's {dut.words} words")
    if LANES * P > dut.max_n:
        raise ValueError(f"{config.name}: {P} packs exceed the array's max_n {dut.max_n}")
    R, C, iw = config.rows, config.cols, dut.idx_width
    ot, pt = -(-O // R), -(-B // C)
    # Kept weight words [O, P] and activation words [B, kw]; padded rows/columns are zero.
    wk = np.take_along_axis(_words((Wp > 0).astype(np.uint8)), idx, axis=1)
    xw = np.zeros((pt * C, kw), dtype=np.uint64)
    xw[:B] = _words((X.reshape(B, kw, LANES) > 0).astype(np.uint8))
    wpad = np.zeros((ot * R, P), dtype=np.uint64)
    wpad[:O] = wk
    ipad = np.zeros((ot * R, P), dtype=np.int64)
    ipad[:O] = idx

    ports = {k: [] for k in DRIVE_PORTS}

    def put(t, **vals):
        while len(ports["in_valid"]) <= t:
            for k in DRIVE_PORTS:
                ports[k].append(0)
        for k, v in vals.items():
            ports[k][t] = v

    s = SparseSchedule(config=config, ports=ports, tiles=[], last_cycles=[], shape=(B, O),
                       n=LANES * P, macs=B * O * LANES * P, meta={"in_words": kw, "packs": P})
    comp_t = ld_t = 0
    bank_free = [0, 0]
    for j in range(pt):
        b = j % 2
        start = max(ld_t, bank_free[b])
        cols_words = xw[j * C:(j + 1) * C]                  # [C, kw]
        for k in range(kw):
            put(start + k, ld_valid=1, ld_bank=b, ld_addr=k, ld_a=_flat(cols_words[:, k], LANES))
        ld_t = start + kw
        comp_t = max(comp_t, ld_t)      # a load is visible to compute words of the next cycle
        for i in range(ot):
            rows_w, rows_i = wpad[i * R:(i + 1) * R], ipad[i * R:(i + 1) * R]
            for q in range(P):
                put(comp_t + q, in_valid=1, in_first=int(q == 0), in_last=int(q == P - 1),
                    in_bank=b, w=_flat(rows_w[:, q], LANES), idx=_flat(rows_i[:, q], iw))
            s.last_cycles.append(comp_t + P - 1)
            s.tiles.append((i * R, j * C))
            comp_t += max(P, dut.min_last_spacing)     # output slots free again
        bank_free[b] = s.last_cycles[-1] + dut.bank_release
    return s


def decode(sched: SparseSchedule, outputs, *, first_slot=0):
    """Recorded ``(cycle, slot, col, acc_flat)`` outputs (one per valid slot and cycle, in cycle
    order) -> (acc int64 [B, O], last output cycle). ``first_slot``: the slot of the job's first
    tile (the array counts tiles since reset, across jobs).

    Checks the count, the slot and column order and that each column comes exactly
    ``latency + col`` cycles after its tile's ``last`` word (the documented timing)."""
    cfg = sched.config
    dut = cfg.info()
    R, C, K = cfg.rows, cfg.cols, cfg.out_slots
    B, O = sched.shape
    want = len(sched.tiles) * C
    if len(outputs) != want:
        raise AssertionError(f"{cfg.name}: expected {want} output columns, got {len(outputs)}")
    acc = np.zeros((B, O), dtype=np.int64)
    seen = [0] * K
    in_slot = [[t for t in range(len(sched.tiles)) if (first_slot + t) % K == k] for k in range(K)]
    for cycle, slot, col, acc_flat in outputs:
        j, c = divmod(seen[slot], C)
        seen[slot] += 1
        t = in_slot[slot][j] if j < len(in_slot[slot]) else len(sched.tiles)
        if col != c or t >= len(sched.tiles):
            raise AssertionError(f"{cfg.name}: slot {slot} output {seen[slot] - 1} has out_col "
                                 f"{col}, expected tile {t} column {c}")
        if cycle != sched.last_cycles[t] + dut.latency + c:
            raise AssertionError(f"{cfg.name}: tile {t} column {c} came out in cycle {cycle}, "
                                 f"expected {sched.last_cycles[t]} + latency {dut.latency} + {c}")
        o0, b0 = sched.tiles[t]
        if b0 + c >= B:
            continue
        vals = harness.split_words(acc_flat, R, dut.acc_width, True)
        for r in range(R):
            if o0 + r < O:
                acc[b0 + c, o0 + r] = vals[r]
    return acc, max(o[0] for o in outputs) if outputs else 0


def split_slots(cycle, valid, cols_flat, acc_flat, *, rows, out_slots, col_width, acc_width):
    """One cycle's flat ``out_valid``/``out_col``/``out_acc`` -> ``[(cycle, slot, col, acc)]``."""
    out = []
    w = rows * acc_width
    for k in range(out_slots):
        if valid >> k & 1:
            out.append((cycle, k, cols_flat >> (k * col_width) & ((1 << col_width) - 1),
                        acc_flat >> (k * w) & ((1 << w) - 1)))
    return out


def _outputs(dut, rec):
    """Recorded ``(cycle, valid, cols, accs)`` -> :func:`decode`'s ``(cycle, slot, col, acc)``."""
    out = []
    for cycle, valid, cols, accs in rec.outputs:
        out += split_slots(cycle, valid, cols, accs, rows=dut.rows, out_slots=dut.out_slots,
                           col_width=dut.col_width, acc_width=dut.acc_width)
    return out


def run_amaranth(sched: SparseSchedule):
    """Drive one schedule through Amaranth's simulator; returns (outputs, overrun, index_error)."""
    rec = harness.run_amaranth(sched)
    return (_outputs(sched.config.info(), rec), rec.flags["overrun"], rec.flags["index_error"])


def run_schedules(schedules, *, simulator="verilator", build_root=None, waves=False,
                  workdir=None):
    """Run schedules of one :class:`SparseConfig` on ``simulator`` ("amaranth", "icarus" or
    "verilator"), one after the other on the same array (one build, one simulator run); returns
    ``[(acc [B, O], RunStats), ...]``. Raises ``AssertionError`` on an error bit or a
    result that breaks the documented timing."""
    recs = harness.drive(schedules, simulator=simulator, build_root=build_root, waves=waves,
                         workdir=workdir)
    results = []
    first = 0
    for s, rec in zip(schedules, recs):
        cfg = s.config
        dut = cfg.info()
        harness.check_flags(cfg, rec)
        # The array numbers output slots by tiles since reset, across the jobs of one run.
        acc, last = decode(s, _outputs(dut, rec),
                           first_slot=0 if harness.FRESH_PER_JOB[simulator] else first)
        first = (first + len(s.tiles)) % cfg.out_slots
        results.append((acc, RunStats(cycles=last + 1, ideal_cycles=dut.ideal_cycles(s.macs),
                                      sim_wall_s=rec.wall_s)))
    return results


def run_schedule(sched, **kwargs):
    """:func:`run_schedules` of one schedule; returns ``(acc, RunStats)``."""
    return run_schedules([sched], **kwargs)[0]


def dense_equivalent_cycles(*, rows, cols, batch, out_c, in_words, stage_levels=2):
    """Cycles the dense :class:`SystolicArray` (``bittern.sim.layer_sim.schedule``, 32 lanes)
    takes for the same layer: every tile streams all ``in_words`` words, pruned or not."""
    dense = ArrayConfig(rows, cols, LANES, pe="ternary", stage_levels=stage_levels).info()
    tiles = -(-out_c // rows) * -(-batch // cols)
    per_tile = max(in_words, cols)
    last = (tiles - 1) * per_tile + in_words - 1
    return last + dense.latency + cols


@dataclass
class SparseLayerRun(LayerRun):
    """A :class:`LayerRun` of the sparse array, with the dense array's cycles for comparison."""
    dense_cycles: int              # the dense array on the same layer (pruned packs streamed)
    dense_ideal_cycles: float      # all in_features MACs / (rows * cols * 32)
    packs: int
    in_words: int

    @property
    def saving(self):
        """Dense cycles / sparse cycles."""
        return self.dense_cycles / self.cycles if self.cycles else 0.0


def simulate_sparse_layer(x, layer, *, rows, cols, simulator="verilator", index=0, words=None,
                          out_slots=1, build_root=None, waves=False, stage_levels=2):
    """Run one sparse (3PXNet) dense :class:`LayerSpec` on binary input values ``x`` [B, ...]
    through the sparse array; returns a :class:`SparseLayerRun` (accumulators and output values
    as :func:`bittern.sim.layer_sim.simulate_layer`, plus cycles, ideal cycles and the dense
    array's cycles). ``words`` (store depth) defaults to the layer's ``in_features / 32``;
    ``out_slots`` (see :class:`SparseSystolicArray`) lets tiles of ``P < cols`` words drain
    without waiting ``cols`` cycles each."""
    import torch
    from bittern.model import golden
    from bittern.model.spec import Enc, Kind, WEnc
    if layer.w_enc != WEnc.SPARSE or layer.kind != Kind.DENSE:
        raise ValueError(f"layer {index}: simulate_sparse_layer takes sparse dense layers, not "
                         f"{layer.kind.name.lower()} {layer.w_enc.name.lower()}")
    if layer.in_enc != Enc.BINARY:
        raise ValueError(f"layer {index}: the sparse array takes binary inputs, not "
                         f"{getattr(layer.in_enc, 'name', layer.in_enc)!s}")
    x = torch.as_tensor(x).to(torch.int64)
    b = x.shape[0]
    X = x.reshape(b, -1).numpy()
    O = layer.out_c
    W = layer.weights.reshape(O, -1).astype(np.int64)
    kw = W.shape[1] // LANES
    cfg = SparseConfig(rows, cols, kw if words is None else words, out_slots=out_slots,
                       stage_levels=stage_levels)
    sched = schedule(cfg, W, layer.pack_index, X)
    acc, st = run_schedule(sched, simulator=simulator, build_root=build_root, waves=waves)
    acc, values = golden.post_accumulate(torch.from_numpy(acc).reshape(b, 1, 1, O), layer)
    P = layer.packs
    return SparseLayerRun(
        index=index, path="sparse", acc=acc, values=values, cycles=st.cycles,
        ideal_cycles=st.ideal_cycles, fired=None, sim_wall_s=st.sim_wall_s,
        dense_cycles=dense_equivalent_cycles(rows=rows, cols=cols, batch=b, out_c=O,
                                             in_words=kw, stage_levels=stage_levels),
        dense_ideal_cycles=b * O * W.shape[1] / (rows * cols * LANES), packs=P, in_words=kw)
