"""3PXNet sparse output-stationary systolic array: pruned packs cost no cycles.

Why a variant of :class:`~bittern.rtl.array.SystolicArray`: there, activations flow down a
column shared by all rows, so every row must take the same input word in the same cycle. In a
3PXNet layer each output neuron (row) keeps a *different* set of ``P`` packs of 32 weights. Here
each kept pack's word index travels with its weight word along the row, and each column keeps its
input vector's words in a small local **word store** that every PE of the column reads with the
index it receives. A sparse layer then takes ``P`` words per output tile instead of
``in_words``; the input vector is loaded into the store once per column tile and reused by all
output tiles (two banks: the next column tile loads while the current one computes).

Interface contract
------------------
``SparseSystolicArray(*, rows, cols, words, out_slots=1, max_n=None, stage_levels=2)`` is a
``wiring.Component``; ``lanes`` is fixed at 32 (the 3PXNet pack size).

* Row ``r`` holds **output channel** ``r`` of a tile, column ``c`` holds **input vector** ``c``.
* **Load port**: in a cycle with ``ld_valid``, word ``ld_a[c]`` is written to address
  ``ld_addr`` of bank ``ld_bank`` of column ``c``'s store, for all columns at once. It is
  visible to compute words that enter in the next cycle or later. ``ld_addr >= words`` sets the
  sticky ``index_error`` bit (the write is dropped).
* **Compute port**: each cycle with ``in_valid`` the array takes, all in the same cycle (it skews
  them itself), one 32-bit weight word ``w[r]`` and its store index ``idx[r]`` per row, plus
  ``in_bank`` (the store bank to read), ``in_first`` and ``in_last`` (as the dense array).
  Row ``r``'s word, index and control are delayed ``r`` cycles and then move one PE per cycle to
  the right; PE ``(r, c)`` reads ``store_c[in_bank][idx[r]]`` (a registered read) and gets the
  weight and the read word together ``pe_delay(r, c) = 2 + r + c`` cycles after they entered.
  An ``idx[r] >= words`` on a valid word sets ``index_error``.
* PE ``(r, c)`` accumulates mismatches ``popcount(a XOR w)`` in place; the output stage forms
  ``out_acc = n - 2 * mismatches`` with ``n`` (input port, ``32 * P``) held while results drain.
  Pruned packs are simply not sent: acc = sum over kept packs of ``32 - 2*popcount(a XOR w)``.
* Results leave each column as soon as it is finished (no shadow read-out pass): the ``j``-th
  reduction since reset uses output slot ``k = j mod out_slots``; when its ``in_last`` word
  entered in cycle ``t``, its column ``c`` comes out in cycle ``t + latency + c`` with
  ``out_valid[k] = 1``, ``out_col[k] = c`` and ``out_acc[k*rows + r]`` = row ``r``.
  ``in_last`` words must be at least ``min_last_spacing = ceil(cols / out_slots)`` cycles apart,
  else the sticky ``overrun`` bit is set. Why slots: one tile makes ``rows*cols`` results and a
  sparse tile may take only ``P < cols`` cycles; with one slot the output port, not the PEs,
  would bound the layer (``cols`` cycles a tile). ``out_col``/``out_acc`` of a slot whose
  ``out_valid`` bit is 0 are meaningless.
* Cost: each PE adds an index register and a ``2*words``-to-1 read mux of its column's store
  (3PXNet's "small index per pack"); each column holds ``2*words`` 32-bit words.
* A bank may be reloaded once the last compute word that reads it has passed PE
  ``(rows-1, cols-1)``: from ``bank_release`` cycles after that word entered.

In Verilog ``w``, ``idx``, ``ld_a`` and ``out_acc`` are flat ports, element ``i`` at bits
``[i*E, (i+1)*E)``.
"""

from amaranth.hdl import Cat, Module, Mux, Signal, unsigned, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .pe import XnorPopcountPE, acc_width_for, count_width
from .popcount import tree_latency

__all__ = ["SparseSystolicArray", "LANES", "BANKS"]

LANES = 32      # 3PXNet pack size: one kept pack = one 32-bit word
BANKS = 2       # store banks per column: load one column tile while computing another


def _check_int(name, value, lo, hi=None):
    if not isinstance(value, int) or isinstance(value, bool) or value < lo or \
            (hi is not None and value > hi):
        rng = f">= {lo}" if hi is None else f"in {lo}..{hi}"
        raise TypeError(f"{name} must be an integer {rng}, not {value!r}")


def _or(values):
    """Balanced OR tree (at most one operand is non-zero: a one-hot select)."""
    while len(values) > 1:
        values = [values[i] | values[i + 1] if i + 1 < len(values) else values[i]
                  for i in range(0, len(values), 2)]
    return values[0]


class SparseSystolicArray(wiring.Component):
    """Output-stationary XNOR-popcount array whose rows carry pack indices into per-column word
    stores; see the module docstring for the full contract.

    Parameters
    ----------
    rows, cols : int
        PEs per column (output channels of a tile) and per row (input vectors of a tile), 1..64.
    words : int
        32-bit words per store bank of one column (the largest ``in_features / 32``), 1..4096.
    out_slots : int
        Output slots (tiles draining at the same time), 1..cols.
    max_n : None or int
        Largest dot-product length of one reduction; default ``32 * words`` (all packs kept).
    stage_levels : int
        Adder levels between pipeline registers in the PEs.
    banks : int
        Store banks per column, 1 or 2 (default): with one bank (the accelerator, whose layers
        reload the stores only after the previous layer is done) ``ld_bank``/``in_bank`` must
        be 0 and the store costs half.

    Members
    -------
    ld_valid, ld_bank : In(1)
    ld_addr : In(idx_width)
    ld_a : In(ArrayLayout(32, cols))
    in_valid, in_first, in_last, in_bank : In(1)
    w : In(ArrayLayout(32, rows))
    idx : In(ArrayLayout(idx_width, rows))
    n : In(count_width)
    out_valid : Out(out_slots)
    out_col : Out(ArrayLayout(col_width, out_slots))
    out_acc : Out(ArrayLayout(signed(acc_width), rows * out_slots))
    overrun, index_error : Out(1)

    Raises
    ------
    TypeError, ValueError
        On a parameter of the wrong type, range or combination; the message names it.
    """

    def __init__(self, *, rows, cols, words, out_slots=1, max_n=None, stage_levels=2, banks=BANKS):
        _check_int("rows", rows, 1, 64)
        _check_int("banks", banks, 1, BANKS)
        _check_int("cols", cols, 1, 64)
        _check_int("words", words, 1, 4096)
        _check_int("out_slots", out_slots, 1, cols)
        _check_int("stage_levels", stage_levels, 1)
        if max_n is None:
            max_n = LANES * words
        _check_int("max_n", max_n, 1, (1 << 30) - 1)
        if max_n > LANES * words:
            raise ValueError(f"max_n {max_n} exceeds the {LANES * words} taps {words} words hold")
        self._rows, self._cols, self._words = rows, cols, words
        self._out_slots = out_slots
        self._banks = banks
        self._max_n, self._stage_levels = max_n, stage_levels
        super().__init__({
            "ld_valid": In(1), "ld_bank": In(1), "ld_addr": In(self.idx_width),
            "ld_a": In(data.ArrayLayout(unsigned(LANES), cols)),
            "in_valid": In(1), "in_first": In(1), "in_last": In(1), "in_bank": In(1),
            "w": In(data.ArrayLayout(unsigned(LANES), rows)),
            "idx": In(data.ArrayLayout(unsigned(self.idx_width), rows)),
            "n": In(count_width(max_n)),
            "out_valid": Out(out_slots),
            "out_col": Out(data.ArrayLayout(unsigned(self.col_width), out_slots)),
            "out_acc": Out(data.ArrayLayout(signed(self.acc_width), rows * out_slots)),
            "overrun": Out(1), "index_error": Out(1),
        })

    # ---- parameters ---------------------------------------------------------------------
    rows = property(lambda self: self._rows)
    cols = property(lambda self: self._cols)
    words = property(lambda self: self._words)
    out_slots = property(lambda self: self._out_slots)
    max_n = property(lambda self: self._max_n)
    stage_levels = property(lambda self: self._stage_levels)
    lanes = property(lambda self: LANES)
    banks = property(lambda self: self._banks)

    # ---- derived facts the testbenches and the host sequencing use -----------------------
    @property
    def idx_width(self):
        return max(1, (self._words - 1).bit_length())

    @property
    def col_width(self):
        return max(1, (self._cols - 1).bit_length())

    @property
    def acc_width(self):
        return acc_width_for(self._max_n)

    @property
    def pe_latency(self):
        """Cycles from a word at a PE's inputs to its finished sum in the PE's shadow register."""
        return tree_latency(LANES, self._stage_levels) + 1

    def pe_delay(self, r, c):
        """Cycles from a word at the compute port to PE ``(r, c)``'s inputs: input register,
        ``r`` skew, ``c`` hops, and the registered store read (weight waits one cycle for it)."""
        return 2 + r + c

    @property
    def skew(self):
        """Cycles between PE (0, 0) and PE (rows-1, cols-1) seeing the same word."""
        return self._rows + self._cols - 2

    @property
    def latency(self):
        """Cycles from the ``in_last`` word at the ports to column 0 of its results at ``out_*``.

        ``pe_delay(0, 0)`` (2) + ``pe_latency`` + 1 (slot select) + rows - 1 (row skew, removed
        by the output deskew) + 1 (output stage)."""
        return self._rows + self.pe_latency + 3

    @property
    def drain_cycles(self):
        """Cycles the results of one tile take at ``out_*`` (one column a cycle)."""
        return self._cols

    @property
    def min_last_spacing(self):
        """Least number of cycles between two ``in_last`` words (else ``overrun``)."""
        return -(-self._cols // self._out_slots)

    @property
    def bank_release(self):
        """Cycles after the last compute word reading a bank entered until a load may overwrite
        that bank (its read at PE (rows-1, cols-1) is then done)."""
        return self.pe_delay(self._rows - 1, self._cols - 1)

    def ideal_cycles(self, macs):
        """Cycles an ideal array of this size needs for ``macs`` (kept) multiply-accumulates."""
        return macs / (self._rows * self._cols * LANES)

    # ---- logic ----------------------------------------------------------------------------
    def elaborate(self, platform):
        m = Module()
        R, C, D = self._rows, self._cols, self._words
        iw = self.idx_width

        def delay(sig, n, name):
            for k in range(n):
                d = Signal(len(sig), name=f"{name}_d{k}")
                m.d.sync += d.eq(sig)
                sig = d
            return sig

        # Per-column word stores (BANKS x words registers), written from the load port.
        stores = [[[Signal(LANES, name=f"st{c}_b{b}_{k}") for k in range(D)] for b in range(self._banks)]
                  for c in range(C)]
        with m.If(self.ld_valid):
            with m.If(self.ld_addr >= D):
                m.d.sync += self.index_error.eq(1)
            with m.Else():
                for c in range(C):
                    for b in range(self._banks):
                        with m.If(self.ld_bank == b):
                            with m.Switch(self.ld_addr):
                                for k in range(D):
                                    with m.Case(k):
                                        m.d.sync += stores[c][b][k].eq(self.ld_a[c])

        # Compute inputs: valid/first/last/bank gate with valid, then the edge register.
        ctrl_in = Signal(4)
        m.d.comb += ctrl_in.eq(Cat(self.in_valid, self.in_first & self.in_valid,
                                   self.in_last & self.in_valid, self.in_bank))
        bad_idx = Signal()
        m.d.comb += bad_idx.eq(self.in_valid &
                               Cat(*[self.idx[r] >= D for r in range(R)]).any())
        with m.If(bad_idx):
            m.d.sync += self.index_error.eq(1)
        ctrl_r = Signal(4, name="ctrl_reg")
        m.d.sync += ctrl_r.eq(ctrl_in)
        w_edge, i_edge, c_edge = [], [], []
        for r in range(R):
            w_edge.append(delay(delay(self.w[r], 1, f"w{r}_in"), r, f"w{r}_skew"))
            i_edge.append(delay(delay(self.idx[r], 1, f"i{r}_in"), r, f"i{r}_skew"))
            c_edge.append(delay(ctrl_r, r, f"c{r}_skew"))

        pes = {}
        w_at, i_at, c_at = {}, {}, {}
        for r in range(R):
            for c in range(C):
                pe = XnorPopcountPE(lanes=LANES, max_n=self._max_n,
                                    stage_levels=self._stage_levels)
                m.submodules[f"pe_{r}_{c}"] = pes[r, c] = pe
                w_at[r, c] = w_edge[r] if c == 0 else delay(w_at[r, c - 1], 1, f"w{r}_{c}")
                i_at[r, c] = i_edge[r] if c == 0 else delay(i_at[r, c - 1], 1, f"i{r}_{c}")
                c_at[r, c] = c_edge[r] if c == 0 else delay(c_at[r, c - 1], 1, f"c{r}_{c}")
                # Registered store read with the index this PE received; the weight and control
                # wait one cycle for it (they still move on to the next PE undelayed).
                rd = Signal(LANES, name=f"rd{r}_{c}")
                bank = c_at[r, c][3]
                with m.Switch(Cat(i_at[r, c], bank)):
                    for b in range(self._banks):
                        for k in range(D):
                            with m.Case(k | (b << iw)):
                                m.d.sync += rd.eq(stores[c][b][k])
                w_pe = delay(w_at[r, c], 1, f"wpe{r}_{c}")
                c_pe = delay(c_at[r, c][:3], 1, f"cpe{r}_{c}")
                m.d.comb += [
                    pe.w.eq(w_pe), pe.a.eq(rd),
                    pe.valid.eq(c_pe[0]), pe.first.eq(c_pe[1]), pe.last.eq(c_pe[2]),
                ]

        # Read-out: each PE's finished sum leaves in the cycle it is ready (result_stb), on the
        # slot of its tile; every PE counts its own finished tiles, so all agree on the slot.
        K, M = self._out_slots, self.min_last_spacing
        cwid = count_width(self._max_n)
        sw = max(1, (K - 1).bit_length())
        hit = {}
        for r in range(R):
            for c in range(C):
                pe = pes[r, c]
                if K == 1:
                    hit[r, c, 0] = pe.result_stb
                    continue
                cnt = Signal(sw, name=f"slot{r}_{c}")
                with m.If(pe.result_stb):
                    m.d.sync += cnt.eq(Mux(cnt == K - 1, 0, cnt + 1))
                for k in range(K):
                    h = Signal(name=f"hit{r}_{c}_{k}")
                    m.d.comb += h.eq(pe.result_stb & (cnt == k))
                    hit[r, c, k] = h
        for k in range(K):
            # Row 0 gives the slot's valid bit and column; rows below follow one cycle per row.
            v0 = Signal(name=f"v0_{k}")
            c0 = Signal(self.col_width, name=f"c0_{k}")
            m.d.sync += [v0.eq(Cat(*[hit[0, c, k] for c in range(C)]).any()),
                         c0.eq(_or([Mux(hit[0, c, k], c, 0) for c in range(C)]))]
            vo = delay(v0, R - 1, f"v{k}_dsk")
            co = delay(c0, R - 1, f"c{k}_dsk")
            m.d.sync += [self.out_valid[k].eq(vo), self.out_col[k].eq(co)]
            for r in range(R):
                sel = Signal(cwid, name=f"res{r}_{k}")
                m.d.sync += sel.eq(_or([Mux(hit[r, c, k], pes[r, c].result, 0)
                                        for c in range(C)]))
                al = delay(sel, R - 1 - r, f"res{r}_{k}_dsk")
                m.d.sync += self.out_acc[k * R + r].eq(self.n - (al << 1))

        # Overrun: `last` words closer than min_last_spacing would put two results in one slot.
        since = Signal(range(M + 1), init=M)
        with m.If(self.in_valid & self.in_last):
            m.d.sync += since.eq(1 if M > 1 else M)
            with m.If(since < M):
                m.d.sync += self.overrun.eq(1)
        with m.Elif(since < M):
            m.d.sync += since.eq(since + 1)
        return m
