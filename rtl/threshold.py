"""Per-output-channel integer thresholds: batch-norm and quantizer folded as the golden model does.

``code = #{ j : d * acc >= d * T_j }`` (docs/numerics.md section 4): with direction ``d = +1``
a threshold is crossed when ``acc >= T_j``, with ``d = -1`` when ``acc <= T_j``; ties count as
crossed either way. One threshold gives the binary output bit (``code`` 1 = +1), two the ternary
code (``value = code - 1``), ``2^k - 1`` the ``k``-bit unsigned code.
"""

from amaranth.hdl import Module, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .popcount import AdderTree, tree_latency

__all__ = ["ThresholdUnit", "clamp_thresholds"]


def clamp_thresholds(thresholds, acc_bound):
    """Clamp thresholds into ``[-(acc_bound+1), acc_bound+1]``: every comparison with an
    accumulator ``|acc| <= acc_bound`` keeps its result, so ``thr_width`` can be
    ``acc_width + 1`` instead of 32 bits. Works on ints, lists and numpy arrays."""
    import numpy as np
    lim = int(acc_bound) + 1
    return np.clip(np.asarray(thresholds, dtype=np.int64), -lim, lim)


def _check_int(name, value, lo, hi=None):
    if not isinstance(value, int) or isinstance(value, bool) or value < lo or \
            (hi is not None and value > hi):
        rng = f">= {lo}" if hi is None else f"in {lo}..{hi}"
        raise TypeError(f"{name} must be an integer {rng}, not {value!r}")


class ThresholdUnit(wiring.Component):
    """Accumulator to output code, one per cycle, pipelined.

    Parameters
    ----------
    acc_width : int
        Signed width of ``acc`` (2..32).
    n_thr : int
        Thresholds per channel ``L`` (1 binary, 2 ternary, ``2^k - 1`` for ``k``-bit codes; 1..255).
    thr_width : int
        Signed width of each threshold (default 32: the contract's +/-2^30 fits; see
        :func:`clamp_thresholds` to narrow it).
    stage_levels : int
        Adder levels between registers in the crossed-threshold count.

    Members
    -------
    i_valid : In(1)
    acc : In(signed(acc_width))
    descending : In(1)
        1 for direction ``d = -1`` (negative batch-norm gamma).
    thresholds : In(ArrayLayout(signed(thr_width), n_thr))
        ``T_1..T_L`` of the channel ``acc`` belongs to.
    o_valid : Out(1)
    code : Out(range(n_thr + 1))
        Number of thresholds crossed, ``latency`` cycles after the inputs.
    """

    def __init__(self, *, acc_width, n_thr, thr_width=32, stage_levels=2):
        _check_int("acc_width", acc_width, 2, 32)
        _check_int("n_thr", n_thr, 1, 255)
        _check_int("thr_width", thr_width, 2, 32)
        _check_int("stage_levels", stage_levels, 1)
        self._acc_width, self._n_thr = acc_width, n_thr
        self._thr_width, self._stage_levels = thr_width, stage_levels
        super().__init__({
            "i_valid": In(1),
            "acc": In(signed(acc_width)),
            "descending": In(1),
            "thresholds": In(data.ArrayLayout(signed(thr_width), n_thr)),
            "o_valid": Out(1),
            "code": Out(range(n_thr + 1)),
        })

    acc_width = property(lambda self: self._acc_width)
    n_thr = property(lambda self: self._n_thr)
    thr_width = property(lambda self: self._thr_width)
    stage_levels = property(lambda self: self._stage_levels)

    @property
    def latency(self):
        """Cycles from ``acc`` to ``code``: 1 compare register + the count's adder tree."""
        return 1 + tree_latency(self._n_thr, self._stage_levels)

    def elaborate(self, platform):
        m = Module()
        L = self._n_thr
        crossed = Signal(L)
        for j in range(L):
            t = self.thresholds[j]
            # d*acc >= d*T  <=>  acc >= T (d=+1) or acc <= T (d=-1); ties cross either way.
            m.d.sync += crossed[j].eq(((self.acc >= t) & ~self.descending) |
                                      ((self.acc <= t) & self.descending))
        m.submodules.count = count = AdderTree(count=L, shape=unsigned(1),
                                               stage_levels=self._stage_levels)
        m.d.comb += count.i.as_value().eq(crossed)
        v = self.i_valid
        for k in range(self.latency):
            nv = Signal(name=f"v_d{k}")
            m.d.sync += nv.eq(v)
            v = nv
        m.d.comb += [self.o_valid.eq(v), self.code.eq(count.o)]
        return m
