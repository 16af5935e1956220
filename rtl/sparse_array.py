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
``SparseSystolicArray(*, rows, cols, words, max_n=None, stage_levels=2)`` is a
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
* When a reduction whose ``in_last`` word entered in cycle ``t`` is finished, its results come out
  in cycles ``t + latency + c`` (``c = 0 .. cols-1``) with ``out_valid``, ``out_col = c``,
  ``out_first``/``out_last`` and ``out_acc[r]``. ``in_last`` words must be at least
  ``min_last_spacing`` (= ``cols``) cycles apart, else the sticky ``overrun`` bit is set.
* A bank may be reloaded once the last compute word that reads it has passed PE
  ``(rows-1, cols-1)``: from ``bank_release`` cycles after that word entered.

In Verilog ``w``, ``idx``, ``ld_a`` and ``out_acc`` are flat ports, element ``i`` at bits
``[i*E, (i+1)*E)``.
"""

from amaranth.hdl import Cat, Module, Signal, unsigned, signed
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


class SparseSystolicArray(wiring.Component):
    """Output-stationary XNOR-popcount array whose rows carry pack indices into per-column word
    stores; see the module docstring for the full contract.

    Parameters
    ----------
    rows, cols : int
        PEs per column (output channels of a tile) and per row (input vectors of a tile), 1..64.
    words : int
        32-bit words per store bank of one column (the largest ``in_features / 32``), 1..4096.
    max_n : None or int
        Largest dot-product length of one reduction; default ``32 * words`` (all packs kept).
    stage_levels : int
        Adder levels between pipeline registers in the PEs.

    Members
    -------
    ld_valid, ld_bank : In(1)
    ld_addr : In(idx_width)
    ld_a : In(ArrayLayout(32, cols))
    in_valid, in_first, in_last, in_bank : In(1)
    w : In(ArrayLayout(32, rows))
    idx : In(ArrayLayout(idx_width, rows))
    n : In(count_width)
    out_valid, out_first, out_last : Out(1)
    out_col : Out(col_width)
    out_acc : Out(ArrayLayout(signed(acc_width), rows))
    overrun, index_error : Out(1)

    Raises
    ------
    TypeError, ValueError
        On a parameter of the wrong type, range or combination; the message names it.
    """

    def __init__(self, *, rows, cols, words, max_n=None, stage_levels=2):
        _check_int("rows", rows, 1, 64)
        _check_int("cols", cols, 1, 64)
        _check_int("words", words, 1, 4096)
        _check_int("stage_levels", stage_levels, 1)
        if max_n is None:
            max_n = LANES * words
        _check_int("max_n", max_n, 1, (1 << 30) - 1)
        if max_n > LANES * words:
            raise ValueError(f"max_n {max_n} exceeds the {LANES * words} taps {words} words hold")
        self._rows, self._cols, self._words = rows, cols, words
        self._max_n, self._stage_levels = max_n, stage_levels
        super().__init__({
            "ld_valid": In(1), "ld_bank": In(1), "ld_addr": In(self.idx_width),
            "ld_a": In(data.ArrayLayout(unsigned(LANES), cols)),
            "in_valid": In(1), "in_first": In(1), "in_last": In(1), "in_bank": In(1),
            "w": In(data.ArrayLayout(unsigned(LANES), rows)),
            "idx": In(data.ArrayLayout(unsigned(self.idx_width), rows)),
            "n": In(count_width(max_n)),
            "out_valid": Out(1), "out_first": Out(1), "out_last": Out(1),
            "out_col": Out(self.col_width),
            "out_acc": Out(data.ArrayLayout(signed(self.acc_width), rows)),
            "overrun": Out(1), "index_error": Out(1),
        })

    # ---- parameters ---------------------------------------------------------------------
    rows = property(lambda self: self._rows)
    cols = property(lambda self: self._cols)
    words = property(lambda self: self._words)
    max_n = property(lambda self: self._max_n)
    stage_levels = property(lambda self: self._stage_levels)
    lanes = property(lambda self: LANES)
    banks = property(lambda self: BANKS)

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
        """Cycles from the ``in_last`` word at the ports to column 0 of its results at ``out_*``:
        one more than the dense array (the registered store read)."""
        return self._rows + self._cols + self.pe_latency + 2

    @property
    def drain_cycles(self):
        return self._cols

    @property
    def min_last_spacing(self):
        return self._cols

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
        stores = [[[Signal(LANES, name=f"st{c}_b{b}_{k}") for k in range(D)] for b in range(BANKS)]
                  for c in range(C)]
        with m.If(self.ld_valid):
            with m.If(self.ld_addr >= D):
                m.d.sync += self.index_error.eq(1)
            with m.Else():
                for c in range(C):
                    for b in range(BANKS):
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
                    for b in range(BANKS):
                        for k in range(D):
                            with m.Case(k | (b << iw)):
                                m.d.sync += rd.eq(stores[c][b][k])
                w_pe = delay(w_at[r, c], 1, f"wpe{r}_{c}")
                c_pe = delay(c_at[r, c][:3], 1, f"cpe{r}_{c}")
                m.d.comb += [
                    pe.w.eq(w_pe), pe.a.eq(rd),
                    pe.valid.eq(c_pe[0]), pe.first.eq(c_pe[1]), pe.last.eq(c_pe[2]),
                ]

        # Drain (as the dense array): row 0 reads its shadows when its last PE's result is ready,
        # one column per cycle; each lower row follows one cycle later (its skew).
        cw = self.col_width
        active = Signal()
        cnt = Signal(cw)
        sel_v = [Signal(name=f"sel_v{r}") for r in range(R)]
        sel_c = [Signal(cw, name=f"sel_c{r}") for r in range(R)]
        trig = pes[0, C - 1].result_stb
        m.d.comb += [sel_v[0].eq(trig | active), sel_c[0].eq(cnt)]
        with m.If(trig):
            m.d.comb += sel_c[0].eq(0)
            m.d.sync += [active.eq(C > 1), cnt.eq(1 % (1 << cw))]
        with m.Elif(active):
            m.d.sync += cnt.eq(cnt + 1)
            with m.If(cnt == C - 1):
                m.d.sync += active.eq(0)
        for r in range(1, R):
            m.d.sync += [sel_v[r].eq(sel_v[r - 1]), sel_c[r].eq(sel_c[r - 1])]

        cwid = count_width(self._max_n)
        rdv = [Signal(cwid, name=f"res{r}") for r in range(R)]
        for r in range(R):
            with m.Switch(sel_c[r]):
                for c in range(C):
                    with m.Case(c):
                        m.d.sync += rdv[r].eq(pes[r, c].result)
        rd_v = Signal()
        rd_c = Signal(cw)
        m.d.sync += [rd_v.eq(sel_v[R - 1]), rd_c.eq(sel_c[R - 1])]
        # Output deskew: row r waits rows-1-r more cycles, so a column comes out all at once.
        al = [delay(rdv[r], R - 1 - r, f"res{r}_dsk") for r in range(R)]
        for r in range(R):
            m.d.sync += self.out_acc[r].eq(self.n - (al[r] << 1))
        m.d.sync += [
            self.out_valid.eq(rd_v),
            self.out_col.eq(rd_c),
            self.out_first.eq(rd_v & (rd_c == 0)),
            self.out_last.eq(rd_v & (rd_c == C - 1)),
        ]

        # Overrun: two `last` words closer than drain_cycles would overwrite undrained shadows.
        since = Signal(range(C + 1), init=C)
        with m.If(self.in_valid & self.in_last):
            m.d.sync += since.eq(1 if C > 1 else C)
            with m.If(since < C):
                m.d.sync += self.overrun.eq(1)
        with m.Elif(since < C):
            m.d.sync += since.eq(since + 1)
        return m
