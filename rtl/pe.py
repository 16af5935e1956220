"""Processing elements of the systolic array: XNOR-popcount (binary) and ternary (WRPN / GXNOR).

Both PEs take one ``lanes``-wide operand word per cycle plus ``valid``/``first``/``last``, reduce
the word through a pipelined balanced adder tree (:mod:`bittern.rtl.popcount`) and accumulate in
place. On ``last`` the finished sum is copied to ``result`` (a shadow register) so that the next
reduction can start on the very next cycle while the array drains the previous one.

Timing, for both PEs: the operands and control presented in cycle ``s`` reach the accumulator in
cycle ``s + tree_latency``; when that word carried ``last``, ``result`` holds the finished sum from
cycle ``s + latency`` on (``latency = tree_latency + 1``) and ``result_stb`` is 1 in that cycle.
"""

from amaranth.hdl import Module, Shape, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .popcount import AdderTree, Popcount, tree_latency

__all__ = ["XnorPopcountPE", "TernaryPE", "count_width", "acc_width_for", "TernaryWord"]

# Default largest dot-product length (taps) when neither max_n nor acc_width is given.
DEFAULT_MAX_N = 1 << 14


def count_width(n):
    """Unsigned bits that hold 0..n."""
    return max(1, int(n).bit_length())


def acc_width_for(bound):
    """Signed accumulator bits for |acc| <= bound, as docs/numerics.md: ceil(log2(bound+1)) + 1."""
    return max(1, int(bound).bit_length()) + 1


def _check_int(name, value, lo, hi=None):
    if not isinstance(value, int) or isinstance(value, bool) or value < lo or \
            (hi is not None and value > hi):
        rng = f">= {lo}" if hi is None else f"in {lo}..{hi}"
        raise TypeError(f"{name} must be an integer {rng}, not {value!r}")


def TernaryWord(lanes):
    """Layout of one ternary operand word: ``nz`` plane (low ``lanes`` bits), then ``neg``."""
    return data.StructLayout({"nz": unsigned(lanes), "neg": unsigned(lanes)})


class _PE(wiring.Component):
    def _delay_ctrl(self, m, depth):
        """valid/first/last delayed by ``depth`` cycles, to line up with the tree output."""
        v, f, l = self.valid, self.first, self.last
        for k in range(depth):
            nv, nf, nl = Signal(name=f"v_d{k}"), Signal(name=f"f_d{k}"), Signal(name=f"l_d{k}")
            m.d.sync += [nv.eq(v), nf.eq(f), nl.eq(l)]
            v, f, l = nv, nf, nl
        return v, f, l

    @staticmethod
    def _accumulate(m, acc, result, prod, v, f, l, name):
        # In-place accumulation: `first` restarts the sum, `last` copies it to the shadow.
        nxt = Signal(acc.shape(), name=f"{name}_next")
        m.d.comb += nxt.eq(prod + acc)
        with m.If(f):
            m.d.comb += nxt.eq(prod)
        with m.If(v):
            m.d.sync += acc.eq(nxt)
            with m.If(l):
                m.d.sync += result.eq(nxt)


class XnorPopcountPE(_PE):
    """Binary x binary PE: ``lanes`` bits of activation and weight per cycle.

    It counts **mismatches**, ``popcount(a XOR w)``, rather than XNOR matches: zero pad bits
    (the contract's pad) then cost nothing, and the contract's accumulator is
    ``acc = N - 2 * mismatches`` with ``N`` the dot-product length (the array forms that once per
    output, see :class:`bittern.rtl.array.SystolicArray`).

    Parameters
    ----------
    lanes : int
        Bits per operand word (1..1024).
    max_n : int
        Largest dot-product length (taps) one reduction may hold; sets ``count_width``.
    stage_levels : int
        Popcount adder levels between pipeline registers.

    Members
    -------
    a, w : In(lanes)
        Activation and weight words (bit 1 = +1).
    valid, first, last : In(1)
        ``valid`` words are accumulated; ``first`` restarts the sum, ``last`` finishes it.
    acc : Out(count_width)
        Running mismatch count.
    result : Out(count_width)
        Mismatch count of the last finished reduction (held until the next one finishes).
    result_stb : Out(1)
        1 in the cycle ``result`` first holds a newly finished reduction.
    """

    def __init__(self, *, lanes, max_n=DEFAULT_MAX_N, stage_levels=2, shift_bits=0):
        _check_int("lanes", lanes, 1, 1024)
        _check_int("max_n", max_n, 1, (1 << 31) - 1)
        _check_int("stage_levels", stage_levels, 1)
        _check_int("shift_bits", shift_bits, 0, 5)
        self._lanes, self._max_n, self._stage_levels = lanes, max_n, stage_levels
        self._shift_bits = shift_bits
        cw = count_width(max_n)
        # shift_bits > 0 (planes builds): a word's mismatches count 2^shift times (the binary
        # passes of a multi-bit layer, rtl/ops/dense_planes.py); max_n then bounds the sum.
        extra = {"shift": In(shift_bits)} if shift_bits else {}
        super().__init__({**extra,
            "a": In(lanes), "w": In(lanes),
            "valid": In(1), "first": In(1), "last": In(1),
            "acc": Out(cw), "result": Out(cw), "result_stb": Out(1),
        })

    lanes = property(lambda self: self._lanes)
    max_n = property(lambda self: self._max_n)
    stage_levels = property(lambda self: self._stage_levels)

    @property
    def count_width(self):
        return count_width(self._max_n)

    @property
    def tree_latency(self):
        return tree_latency(self._lanes, self._stage_levels)

    @property
    def latency(self):
        """Cycles from the ``last`` word at the inputs to its sum in ``result``."""
        return self.tree_latency + 1

    def elaborate(self, platform):
        m = Module()
        m.submodules.pc = pc = Popcount(width=self._lanes, stage_levels=self._stage_levels)
        x = Signal(self._lanes)
        m.d.comb += [x.eq(self.a ^ self.w), pc.i.eq(x)]
        v, f, l = self._delay_ctrl(m, pc.latency)
        prod = Signal(self.count_width)
        if self._shift_bits:
            sh = self.shift
            for k in range(pc.latency):
                nsh = Signal(self._shift_bits, name=f"sh_d{k}")
                m.d.sync += nsh.eq(sh)
                sh = nsh
            m.d.comb += prod.eq(pc.o << sh)
        else:
            m.d.comb += prod.eq(pc.o)
        self._accumulate(m, self.acc, self.result, prod, v, f, l, "acc")
        m.d.sync += self.result_stb.eq(v & l)
        return m


class TernaryPE(_PE):
    """Ternary-weight PE with no multiplier.

    * ``act_bits=None`` (GXNOR): ternary activations as ``nz``/``neg`` planes. A pair *fires*
      when both operands are non-zero and adds +1 when the signs agree, -1 otherwise:
      ``prod = fired - 2 * popcount(nz_a & nz_w & (neg_a ^ neg_w))``. Binary activations are
      the case ``nz_a = all ones``; a zero ``nz_a`` lane (convolution padding) costs nothing.
    * ``act_bits=k`` (WRPN): ``k``-bit unsigned codes, code ``i`` in bits ``[i*k, (i+1)*k)`` of
      ``a``; each lane adds, subtracts or skips its code by the weight: ``prod = sum(w_i * a_i)``.

    Either way it also counts the pairs that fired (both operands non-zero) per reduction, so
    benchmarks can report gated activity.

    Parameters
    ----------
    lanes : int
        Weights per word (1..1024).
    act_bits : None or int
        ``None`` for ternary activations, else the code width 1..8.
    max_n : int
        Largest dot-product length; sets ``acc_width`` (signed) and ``fired_width``.
    stage_levels : int
        Adder levels between pipeline registers.

    Members
    -------
    a : In(TernaryWord(lanes)) or In(lanes * act_bits)
    w : In(TernaryWord(lanes))
    valid, first, last : In(1)
    acc, result : Out(signed(acc_width))
    fired, fired_result : Out(fired_width)
    result_stb : Out(1)
    """

    def __init__(self, *, lanes, act_bits=None, max_n=DEFAULT_MAX_N, stage_levels=2):
        _check_int("lanes", lanes, 1, 1024)
        if act_bits is not None:
            _check_int("act_bits", act_bits, 1, 8)
        _check_int("max_n", max_n, 1, (1 << 31) - 1)
        _check_int("stage_levels", stage_levels, 1)
        self._lanes, self._act_bits = lanes, act_bits
        self._max_n, self._stage_levels = max_n, stage_levels
        a_shape = TernaryWord(lanes) if act_bits is None else unsigned(lanes * act_bits)
        super().__init__({
            "a": In(a_shape), "w": In(TernaryWord(lanes)),
            "valid": In(1), "first": In(1), "last": In(1),
            "acc": Out(signed(self.acc_width)), "result": Out(signed(self.acc_width)),
            "fired": Out(self.fired_width), "fired_result": Out(self.fired_width),
            "result_stb": Out(1),
        })

    lanes = property(lambda self: self._lanes)
    act_bits = property(lambda self: self._act_bits)
    max_n = property(lambda self: self._max_n)
    stage_levels = property(lambda self: self._stage_levels)

    @property
    def amax(self):
        """Largest |activation|."""
        return 1 if self._act_bits is None else (1 << self._act_bits) - 1

    @property
    def acc_width(self):
        return acc_width_for(self._max_n * self.amax)

    @property
    def fired_width(self):
        return count_width(self._max_n)

    @property
    def tree_latency(self):
        return tree_latency(self._lanes, self._stage_levels)

    @property
    def latency(self):
        return self.tree_latency + 1

    def elaborate(self, platform):
        m = Module()
        n = self._lanes
        m.submodules.fire = fire = Popcount(width=n, stage_levels=self._stage_levels)
        if self._act_bits is None:
            both = Signal(n)
            dis = Signal(n)
            m.d.comb += [
                both.eq(self.a.nz & self.w.nz),
                dis.eq(both & (self.a.neg ^ self.w.neg)),
                fire.i.eq(both),
            ]
            m.submodules.dis = dpc = Popcount(width=n, stage_levels=self._stage_levels)
            m.d.comb += dpc.i.eq(dis)
            prod = Signal(signed(self.acc_width))
            m.d.comb += prod.eq(fire.o - (dpc.o << 1))
        else:
            k = self._act_bits
            m.submodules.sum = tree = AdderTree(count=n, shape=signed(k + 1),
                                                stage_levels=self._stage_levels)
            nzc = Signal(n)
            for i in range(n):
                code = Signal(k, name=f"code{i}")
                term = Signal(signed(k + 1), name=f"term{i}")
                m.d.comb += code.eq(self.a[i * k:(i + 1) * k])
                # add, subtract or skip: no multiplier
                with m.If(self.w.nz[i]):
                    with m.If(self.w.neg[i]):
                        m.d.comb += term.eq(-code)
                    with m.Else():
                        m.d.comb += term.eq(code)
                m.d.comb += [tree.i[i].eq(term), nzc[i].eq(self.w.nz[i] & code.any())]
            m.d.comb += fire.i.eq(nzc)
            prod = Signal(signed(self.acc_width))
            m.d.comb += prod.eq(tree.o)
        v, f, l = self._delay_ctrl(m, fire.latency)
        fprod = Signal(self.fired_width)
        m.d.comb += fprod.eq(fire.o)
        self._accumulate(m, self.acc, self.result, prod, v, f, l, "acc")
        self._accumulate(m, self.fired, self.fired_result, fprod, v, f, l, "fired")
        m.d.sync += self.result_stb.eq(v & l)
        return m
