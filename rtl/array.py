"""Output-stationary systolic array of XNOR-popcount or ternary PEs.

Interface contract (the accelerator builds on it; keep it backward compatible)
------------------------------------------------------------------------------
``SystolicArray(*, rows, cols, lanes, pe="xnor"|"ternary", act_bits=None, acc_width=None,
max_n=None, stage_levels=2)`` is a ``wiring.Component``.

* Row ``r`` holds **output channel** ``r`` of a tile, column ``c`` holds **input vector** ``c``
  (a pixel or a batch element). PE ``(r, c)`` accumulates ``dot(w_r, a_c)`` in place.
* Each cycle with ``in_valid`` the array takes, *all in the same cycle* (the array skews them
  itself): one ``lanes``-wide weight word per row (``w[r]``), one activation word per column
  (``a[c]``) and ``in_first`` / ``in_last``. ``in_first`` marks the first word of a reduction,
  ``in_last`` its last word; a reduction may have any number of words (1 word: first and last
  together) and idle cycles (``in_valid = 0``) may sit anywhere.
* Inside, row ``r``'s words are delayed ``r`` cycles and column ``c``'s ``c`` cycles, then move
  one PE per cycle (weights and control to the right, activations down), so PE ``(r, c)`` sees
  word ``k`` ``1 + r + c`` cycles after it entered (``pe_delay(r, c)``).
* When a reduction whose ``in_last`` word entered in cycle ``t`` is finished, its results come out
  in cycles ``t + latency + c`` for ``c = 0 .. cols-1`` (``drain_cycles = cols`` cycles): in that
  cycle ``out_valid = 1``, ``out_col = c``, ``out_first = (c == 0)``, ``out_last = (c == cols-1)``
  and ``out_acc[r]`` is the contract accumulator of row ``r``, column ``c``. For ``pe="ternary"``
  ``out_fired[r]`` is the number of pairs that fired (both operands non-zero).
* Draining overlaps the next reduction, which may start in the very next cycle. Only the ``last``
  words of two reductions must be at least ``drain_cycles`` (= ``cols``) cycles apart (one tile
  of shorter reductions needs idle cycles after it); an earlier ``last`` sets the sticky
  ``overrun`` error bit (until reset) and that tile's results are not valid.
* Operand words:

  - ``pe="xnor"``: ``w[r]`` and ``a[c]`` are ``lanes``-bit words, bit 1 = +1. Pad lanes must be 0
    in *both* operands. The PEs count mismatches ``popcount(a XOR w)`` (pad lanes cost nothing)
    and the output stage forms ``out_acc = n - 2 * mismatches`` with ``n`` (input port) the
    dot-product length of the current layer; ``n`` must be held while the layer's results drain.
  - ``pe="ternary"``: ``w[r]`` is a ``TernaryWord`` (``nz`` plane in the low ``lanes`` bits, then
    ``neg``). ``a[c]`` is a ``TernaryWord`` too (GXNOR; binary activations have ``nz`` all ones,
    padding taps ``nz = 0``) or, with ``act_bits = k``, ``lanes`` ``k``-bit unsigned codes (WRPN),
    code ``i`` in bits ``[i*k, (i+1)*k)``. ``n`` is not used (absent).

* ``acc_width`` (signed bits of ``out_acc``) is derived from the largest dot-product length
  ``max_n`` when not given: ``ceil(log2(max_n * max|a| + 1)) + 1``; giving ``acc_width`` instead
  sets ``max_n`` to the largest length it can hold. Reductions longer than ``max_n`` wrap.

In Verilog, ``w``, ``a``, ``out_acc`` and ``out_fired`` are single flat ports: element ``i`` of
``rows``/``cols`` sits at bits ``[i*E, (i+1)*E)`` with ``E`` the element width.
"""

from amaranth.hdl import Cat, Module, Signal, Value, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .popcount import tree_latency
from .pe import DEFAULT_MAX_N, TernaryPE, TernaryWord, XnorPopcountPE, acc_width_for, count_width

__all__ = ["SystolicArray"]

_PE_KINDS = ("xnor", "ternary")


def _check_int(name, value, lo, hi=None):
    if not isinstance(value, int) or isinstance(value, bool) or value < lo or \
            (hi is not None and value > hi):
        rng = f">= {lo}" if hi is None else f"in {lo}..{hi}"
        raise TypeError(f"{name} must be an integer {rng}, not {value!r}")


class SystolicArray(wiring.Component):
    """Output-stationary systolic array; see the module docstring for the full contract.

    Parameters
    ----------
    rows, cols : int
        PEs per column (output channels of a tile) and per row (input vectors of a tile), 1..64.
    lanes : int
        Bits (weights) per operand word, 1..1024.
    pe : str
        ``"xnor"`` (binary x binary) or ``"ternary"`` (ternary weights).
    act_bits : None or int
        ``pe="ternary"`` only: ``None`` for ternary activations (GXNOR), ``k`` = 1..8 for
        ``k``-bit unsigned activation codes (WRPN).
    acc_width : None or int
        Signed width of ``out_acc``; derived from ``max_n`` when ``None``.
    max_n : None or int
        Largest dot-product length (taps) of one reduction; default 16384.
    stage_levels : int
        Adder levels between pipeline registers in the PEs.

    Members
    -------
    in_valid, in_first, in_last : In(1)
    w : In(ArrayLayout(word, rows))
    a : In(ArrayLayout(word, cols))
    n : In(count_width)                  (``pe="xnor"`` only)
    out_valid, out_first, out_last : Out(1)
    out_col : Out(col_width)
    out_acc : Out(ArrayLayout(signed(acc_width), rows))
    out_fired : Out(ArrayLayout(unsigned(fired_width), rows))   (``pe="ternary"`` only)
    overrun : Out(1)

    Raises
    ------
    TypeError, ValueError
        On a parameter of the wrong type, range or combination; the message names it.
    """

    def __init__(self, *, rows, cols, lanes, pe="xnor", act_bits=None, acc_width=None,
                 max_n=None, stage_levels=2, shift_bits=0):
        _check_int("rows", rows, 1, 64)
        _check_int("cols", cols, 1, 64)
        _check_int("lanes", lanes, 1, 1024)
        if pe not in _PE_KINDS:
            raise ValueError(f"pe must be 'xnor' or 'ternary', not {pe!r}")
        if act_bits is not None:
            if pe != "ternary":
                raise ValueError(f"act_bits is only for pe='ternary', not pe={pe!r}")
            _check_int("act_bits", act_bits, 1, 8)
        _check_int("stage_levels", stage_levels, 1)
        _check_int("shift_bits", shift_bits, 0, 5)
        if shift_bits and pe != "xnor":
            raise ValueError("shift_bits (binary passes of multi-bit layers) is for pe='xnor'")
        self._shift_bits = shift_bits
        amax = 1 if act_bits is None else (1 << act_bits) - 1
        if acc_width is not None and max_n is not None:
            raise ValueError("give acc_width or max_n, not both")
        if acc_width is not None:
            _check_int("acc_width", acc_width, 2, 32)
            max_n = ((1 << (acc_width - 1)) - 1) // amax
            if max_n < 1:
                raise ValueError(f"acc_width {acc_width} cannot hold one {act_bits}-bit product")
        elif max_n is None:
            max_n = DEFAULT_MAX_N
        _check_int("max_n", max_n, 1, (1 << 31) - 1)
        if acc_width_for(max_n * amax) > 32:
            raise ValueError(f"max_n {max_n} with |a| <= {amax} needs more than 32 bits")
        self._rows, self._cols, self._lanes = rows, cols, lanes
        self._pe, self._act_bits, self._max_n = pe, act_bits, max_n
        self._stage_levels = stage_levels
        self._acc_width = acc_width if acc_width is not None else acc_width_for(max_n * amax)
        sig = {
            "in_valid": In(1), "in_first": In(1), "in_last": In(1),
            "w": In(data.ArrayLayout(self.w_shape, rows)),
            "a": In(data.ArrayLayout(self.a_shape, cols)),
            "out_valid": Out(1), "out_first": Out(1), "out_last": Out(1),
            "out_col": Out(self.col_width),
            "out_acc": Out(data.ArrayLayout(signed(self._acc_width), rows)),
            "overrun": Out(1),
        }
        if pe == "xnor":
            sig["n"] = In(count_width(max_n))
            if shift_bits:
                # the word's pass shift (travels with in_valid/in_first/in_last)
                sig["in_shift"] = In(shift_bits)
        else:
            sig["out_fired"] = Out(data.ArrayLayout(unsigned(self.fired_width), rows))
        super().__init__(sig)

    # ---- parameters ---------------------------------------------------------------------
    rows = property(lambda self: self._rows)
    cols = property(lambda self: self._cols)
    lanes = property(lambda self: self._lanes)
    pe = property(lambda self: self._pe)
    act_bits = property(lambda self: self._act_bits)
    max_n = property(lambda self: self._max_n)
    acc_width = property(lambda self: self._acc_width)
    stage_levels = property(lambda self: self._stage_levels)

    # ---- derived facts the testbenches and the accelerator use --------------------------
    @property
    def w_shape(self):
        return unsigned(self._lanes) if self._pe == "xnor" else TernaryWord(self._lanes)

    @property
    def a_shape(self):
        if self._pe == "xnor":
            return unsigned(self._lanes)
        if self._act_bits is None:
            return TernaryWord(self._lanes)
        return unsigned(self._lanes * self._act_bits)

    @property
    def w_bits(self):
        """Bits of one row's weight word in the flat ``w`` port."""
        return self._lanes * (1 if self._pe == "xnor" else 2)

    @property
    def a_bits(self):
        """Bits of one column's activation word in the flat ``a`` port."""
        if self._pe == "xnor":
            return self._lanes
        return self._lanes * (2 if self._act_bits is None else self._act_bits)

    @property
    def col_width(self):
        return max(1, (self._cols - 1).bit_length())

    @property
    def fired_width(self):
        return count_width(self._max_n)

    @property
    def pe_latency(self):
        """Cycles from a word at a PE's inputs to its finished sum in the PE's shadow register."""
        return tree_latency(self._lanes, self._stage_levels) + 1

    def pe_delay(self, r, c):
        """Cycles from a word at the array's edge ports to PE ``(r, c)``'s inputs."""
        return 1 + r + c

    @property
    def skew(self):
        """Cycles between PE (0, 0) and PE (rows-1, cols-1) seeing the same word."""
        return self._rows + self._cols - 2

    @property
    def latency(self):
        """Cycles from the ``in_last`` word at the ports to column 0 of its results at ``out_*``.

        1 (input register) + cols - 1 (to the row's last PE) + pe_latency + rows - 1 (row skew,
        removed again by the output deskew) + 1 (read-out register) + 1 (output stage) + 1
        (drain start).
        """
        return self._rows + self._cols + self.pe_latency + 1

    @property
    def drain_cycles(self):
        """Cycles the results of one tile take at ``out_*`` (one column per cycle)."""
        return self._cols

    @property
    def min_last_spacing(self):
        """Least number of cycles between two ``in_last`` words (else ``overrun``)."""
        return self._cols

    def ideal_cycles(self, macs):
        """Cycles an ideal array of this size would need for ``macs`` multiply-accumulates."""
        return macs / (self._rows * self._cols * self._lanes)

    # ---- logic ----------------------------------------------------------------------------
    def _make_pe(self):
        if self._pe == "xnor":
            return XnorPopcountPE(lanes=self._lanes, max_n=self._max_n,
                                  stage_levels=self._stage_levels, shift_bits=self._shift_bits)
        return TernaryPE(lanes=self._lanes, act_bits=self._act_bits, max_n=self._max_n,
                         stage_levels=self._stage_levels)

    def elaborate(self, platform):
        m = Module()
        R, C = self._rows, self._cols
        wbits, abits = self.w_bits, self.a_bits

        # Edge input register, then skew: row r waits r cycles, column c waits c cycles.
        def delay(sig, n, name):
            for k in range(n):
                d = Signal(len(sig), name=f"{name}_d{k}")
                m.d.sync += d.eq(sig)
                sig = d
            return sig

        # first/last mean nothing without valid
        sb = self._shift_bits
        ctrl_in = Signal(3 + sb)
        m.d.comb += ctrl_in.eq(Cat(self.in_valid, self.in_first & self.in_valid,
                                   self.in_last & self.in_valid, self.in_shift if sb else []))
        ctrl_r = Signal(3 + sb, name="ctrl_reg")
        m.d.sync += ctrl_r.eq(ctrl_in)
        w_edge = [delay(delay(self.w.as_value()[r * wbits:(r + 1) * wbits], 1, f"w{r}_in"),
                        r, f"w{r}_skew") for r in range(R)]
        c_edge = [delay(ctrl_r, r, f"c{r}_skew") for r in range(R)]
        a_edge = [delay(delay(self.a.as_value()[c * abits:(c + 1) * abits], 1, f"a{c}_in"),
                        c, f"a{c}_skew") for c in range(C)]

        pes = {}
        w_at, c_at, a_at = {}, {}, {}
        for r in range(R):
            for c in range(C):
                pe = self._make_pe()
                m.submodules[f"pe_{r}_{c}"] = pes[r, c] = pe
                w_at[r, c] = w_edge[r] if c == 0 else delay(w_at[r, c - 1], 1, f"w{r}_{c}")
                c_at[r, c] = c_edge[r] if c == 0 else delay(c_at[r, c - 1], 1, f"c{r}_{c}")
                a_at[r, c] = a_edge[c] if r == 0 else delay(a_at[r - 1, c], 1, f"a{r}_{c}")
                m.d.comb += [
                    Value.cast(pe.w).eq(w_at[r, c]),
                    Value.cast(pe.a).eq(a_at[r, c]),
                    pe.valid.eq(c_at[r, c][0]),
                    pe.first.eq(c_at[r, c][1]),
                    pe.last.eq(c_at[r, c][2]),
                ]
                if sb:
                    m.d.comb += pe.shift.eq(c_at[r, c][3:])

        # Drain: row 0 starts reading its shadows when its last PE's result is ready, one
        # column per cycle; each lower row follows one cycle later (its skew).
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

        res_shape = signed(self._acc_width) if self._pe == "ternary" else unsigned(count_width(self._max_n))
        rd = [Signal(res_shape, name=f"rd{r}") for r in range(R)]
        rd_f = [Signal(self.fired_width, name=f"rdf{r}") for r in range(R)]
        for r in range(R):
            with m.Switch(sel_c[r]):
                for c in range(C):
                    with m.Case(c):
                        m.d.sync += rd[r].eq(pes[r, c].result)
                        if self._pe == "ternary":
                            m.d.sync += rd_f[r].eq(pes[r, c].fired_result)
        rd_v = Signal()
        rd_c = Signal(cw)
        m.d.sync += [rd_v.eq(sel_v[R - 1]), rd_c.eq(sel_c[R - 1])]

        # Output deskew: row r waits rows-1-r more cycles, so a column comes out all at once.
        def delay_s(sig, n, name):
            for k in range(n):
                d = Signal(sig.shape(), name=f"{name}_d{k}")
                m.d.sync += d.eq(sig)
                sig = d
            return sig
        al = [delay_s(rd[r], R - 1 - r, f"rd{r}_dsk") for r in range(R)]
        alf = [delay_s(rd_f[r], R - 1 - r, f"rdf{r}_dsk") for r in range(R)]

        # Output stage: the contract's accumulator.
        for r in range(R):
            if self._pe == "xnor":
                m.d.sync += self.out_acc[r].eq(self.n - (al[r] << 1))
            else:
                m.d.sync += [self.out_acc[r].eq(al[r]), self.out_fired[r].eq(alf[r])]
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
